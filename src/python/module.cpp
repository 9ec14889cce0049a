// parley._parley: the Python binding (Debian's pybind11) over the public C++ API. The package
// python/parley/ re-exports it; python/parley/__init__.pyi is its type stub.
//
// A Reply owns what it shows: the C++ reply's phrase and actions are views that the next step
// overwrites, so a phrase rendered into the session's buffer is copied (one said as written is
// a view of the script, kept alive by the Reply), and actions are copied. The state's name, the
// hint and the rule are looked up only when read.
//
// The hot path, Session.step and the Reply it returns, is written against the CPython API
// (METH_FASTCALL, a plain type with getters): through pybind11's dispatcher and instance
// registry a step cost several times as much. Everything else is pybind11.
#include <parley/compiler.hpp>
#include <parley/graph.hpp>
#include <parley/session.hpp>

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

// A compiled script and what the compiler said about it (warnings, for a script that compiled).
struct py_script {
    parley::script script;
    std::vector<parley::diagnostic> diagnostics;
};

struct py_action {
    std::string name;
    std::vector<std::pair<std::string, std::string>> arguments;
};

class py_reply {
public:
    py_reply(const parley::script& script, const parley::reply& r) : script_(script), reply_(r) {
        if (!r.phrase.empty() && !script.owns(r.phrase)) {
            rendered_ = true;
            text_.assign(r.phrase);
        }
        reply_.actions = {};
        for (const auto& a : r.actions) {
            auto& copy = actions_.emplace_back(py_action{std::string(a.name), {}});
            for (const auto& arg : a.arguments) copy.arguments.emplace_back(arg.name, arg.value);
        }
    }

    [[nodiscard]] std::string_view phrase() const noexcept { return rendered_ ? std::string_view(text_) : reply_.phrase; }
    [[nodiscard]] const parley::reply& reply() const noexcept { return reply_; }
    [[nodiscard]] const std::vector<py_action>& actions() const noexcept { return actions_; }

private:
    parley::script script_;  // keeps the views of the phrase, state name, hint and rule alive
    parley::reply reply_;
    bool rendered_ = false;
    std::string text_;
    std::vector<py_action> actions_;
};

// A graph keeps its script, whose strings it views.
struct py_graph {
    parley::script script;
    parley::graph_view view;
};

struct py_edge {
    parley::script script;
    parley::graph_edge edge;
};

struct py_rule {
    std::string file;
    std::uint32_t line = 0;
};

struct py_session {
    parley::session call;
    std::vector<parley::slot_value> slots;  // scratch for an utterance's slots
    std::vector<py::object> keep;           // str() of numbers given for number slots, for the step's duration
};

// The package's own exceptions; created once with the module, never freed (as pybind11's are).
py::handle error_type, compile_error_type, session_error_type;

std::string_view code_name(parley::session_errc code) {
    switch (code) {
        case parley::session_errc::ended: return "ended";
        case parley::session_errc::unknown_label: return "unknown_label";
        case parley::session_errc::bad_confidence: return "bad_confidence";
        case parley::session_errc::bad_language: return "bad_language";
        case parley::session_errc::bad_variable: return "bad_variable";
        case parley::session_errc::bad_slot: return "bad_slot";
        case parley::session_errc::bad_snapshot: return "bad_snapshot";
        case parley::session_errc::time_backwards: return "time_backwards";
        case parley::session_errc::limit: return "limit";
    }
    return "unknown";
}

void raise(py::handle type, const char* message, const char* attribute, py::object value) {
    py::object error = py::reinterpret_borrow<py::object>(type)(message);
    error.attr(attribute) = std::move(value);
    PyErr_SetObject(type.ptr(), error.ptr());
}

// Sets the Python exception for the C++ exception being handled, for pybind11's translator and
// for the functions written against the CPython API; rethrows what is not parley's.
void set_parley_error() {
    try {
        throw;
    } catch (const parley::compile_error& e) {
        raise(compile_error_type, e.what(), "diagnostics", py::cast(e.diagnostics()));
    } catch (const parley::session_error& e) {
        const auto code = code_name(e.code());
        raise(session_error_type, e.what(), "code", py::str(code.data(), code.size()));
    }
}

// The same for anything, in a function of the CPython API; returns nullptr to return.
PyObject* set_python_error() noexcept {
    try {
        set_parley_error();
    } catch (py::error_already_set& e) {
        e.restore();
    } catch (const py::builtin_exception& e) {
        e.set_error();
    } catch (const std::bad_alloc&) {
        PyErr_NoMemory();
    } catch (const std::exception& e) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
    } catch (...) {
        PyErr_SetString(PyExc_RuntimeError, "an unknown C++ exception");
    }
    return nullptr;
}

// A str as UTF-8 without a copy (CPython caches it in the object).
std::string_view utf8(py::handle text) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(text.ptr(), &size);
    if (!data) throw py::error_already_set();
    return {data, static_cast<std::size_t>(size)};
}

// Slots and variables by name, and whether each is declared ': number'.
struct value_kinds {
    const parley::detail::name_index* names = nullptr;
    const std::vector<parley::detail::value_type>* types = nullptr;
    const char* what = "slot";
    [[nodiscard]] bool number(std::string_view name) const {
        const auto it = names->find(name);
        return it != names->end() && (*types)[it->second].number;
    }
};
value_kinds slots_in(const parley::script& script) {
    const auto& t = parley::detail::tables_of(script);
    return {&t.slot_index, &t.slot_types, "slot"};
}
value_kinds variables_in(const parley::script& script) {
    const auto& t = parley::detail::tables_of(script);
    return {&t.variable_index, &t.variable_types, "variable"};
}

// A value given for a slot or a variable: a str; for one declared ': number', an int or a float
// too (not a bool), as Python writes it, kept alive in `keep` until the step is done. Anything
// else is a TypeError: None or an object is not said as "None" or as its repr.
std::pair<std::string_view, std::string_view> name_and_value(py::handle name, py::handle value, const value_kinds& kinds,
                                                             std::vector<py::object>& keep) {
    if (!PyUnicode_Check(name.ptr())) throw py::type_error(std::string(kinds.what) + " names are str, not " + Py_TYPE(name.ptr())->tp_name);
    const auto key = utf8(name);
    if (PyUnicode_Check(value.ptr())) return {key, utf8(value)};
    const bool number = !PyBool_Check(value.ptr()) && (PyLong_Check(value.ptr()) || PyFloat_Check(value.ptr()));
    if (number && kinds.number(key)) return {key, utf8(keep.emplace_back(py::str(value)))};
    throw py::type_error(std::string(kinds.what) + " '" + std::string(key) + "' takes a str" + (kinds.number(key) ? " or a number" : "") +
                         ", not " + Py_TYPE(value.ptr())->tp_name);
}

std::vector<std::pair<std::string, std::string>> pairs(const py::object& mapping, const value_kinds& kinds) {
    std::vector<std::pair<std::string, std::string>> out;
    if (mapping.is_none()) return out;
    std::vector<py::object> keep;
    for (auto item : mapping.attr("items")()) {
        auto pair = py::reinterpret_borrow<py::tuple>(item);
        out.emplace_back(name_and_value(pair[0], pair[1], kinds, keep));
    }
    return out;
}

parley::session_options options(const parley::script& script, const py::object& language, const py::object& variables,
                                const py::object& slots) {
    return {.language = language.is_none() ? std::string() : language.cast<std::string>(),
            .variables = pairs(variables, variables_in(script)),
            .slots = pairs(slots, slots_in(script))};
}

std::span<const parley::slot_value> slots_of(py_session& s, py::handle slots) {
    s.slots.clear();
    s.keep.clear();
    if (slots.is_none() || (PyDict_Check(slots.ptr()) && PyDict_GET_SIZE(slots.ptr()) == 0)) return {};
    const auto kinds = slots_in(s.call.script());
    auto add = [&](py::handle name, py::handle value) {
        const auto [key, text] = name_and_value(name, value, kinds, s.keep);
        s.slots.push_back({key, text});
    };
    if (PyDict_Check(slots.ptr())) {
        PyObject *key = nullptr, *value = nullptr;
        Py_ssize_t at = 0;
        while (PyDict_Next(slots.ptr(), &at, &key, &value)) add(key, value);
    } else {
        for (auto item : slots.attr("items")()) {
            auto pair = py::reinterpret_borrow<py::tuple>(item);
            s.keep.push_back(pair);
            add(pair[0], pair[1]);
        }
    }
    return s.slots;
}

py::object rule_of(parley::rule_location where) {
    if (!where) return py::none();
    return py::cast(py_rule{std::string(where.file), where.line});
}

std::string repr_of(std::string_view text) { return py::repr(py::str(text.data(), text.size())).cast<std::string>(); }

// ---- Reply: a plain CPython type -------------------------------------------------------------

struct reply_object {
    PyObject_HEAD py_reply value;
};

PyTypeObject* reply_type = nullptr;
PyObject* action_names[5] = {};  // interned "continue", "hold", ...: read on most steps

const py_reply& reply_of(PyObject* self) noexcept { return reinterpret_cast<reply_object*>(self)->value; }

py::object make_reply(const parley::script& script, const parley::reply& r) {
    py_reply value(script, r);
    auto* self = PyObject_New(reply_object, reply_type);  // not tracked by the GC: it holds no Python object
    if (!self) throw py::error_already_set();
    new (&self->value) py_reply(std::move(value));
    return py::reinterpret_steal<py::object>(reinterpret_cast<PyObject*>(self));
}

void reply_dealloc(PyObject* self) {
    auto* type = Py_TYPE(self);
    reinterpret_cast<reply_object*>(self)->value.~py_reply();
    PyObject_Free(self);
    Py_DECREF(type);
}

PyObject* reply_new(PyTypeObject*, PyObject*, PyObject*) {
    PyErr_SetString(PyExc_TypeError, "parley.Reply objects come from Session.start, step and advance");
    return nullptr;
}

// Phrases carry slot values, and restored snapshots values nobody checked: never fail on them.
PyObject* text(std::string_view v) { return PyUnicode_DecodeUTF8(v.data(), static_cast<Py_ssize_t>(v.size()), "replace"); }

PyObject* reply_phrase(PyObject* self, void*) { return text(reply_of(self).phrase()); }
PyObject* reply_action(PyObject* self, void*) {
    PyObject* name = action_names[static_cast<std::size_t>(reply_of(self).reply().action)];
    Py_INCREF(name);
    return name;
}
PyObject* reply_state(PyObject* self, void*) { return PyLong_FromUnsignedLong(reply_of(self).reply().state); }
PyObject* reply_state_name(PyObject* self, void*) { return text(reply_of(self).reply().state_name()); }
PyObject* reply_hint(PyObject* self, void*) { return text(reply_of(self).reply().hint()); }
PyObject* reply_ended(PyObject* self, void*) { return PyBool_FromLong(reply_of(self).reply().ended); }
PyObject* reply_rule(PyObject* self, void*) {
    try {
        return rule_of(reply_of(self).reply().rule()).release().ptr();
    } catch (...) {
        return set_python_error();
    }
}
PyObject* reply_actions(PyObject* self, void*) {
    try {
        return py::cast(reply_of(self).actions()).release().ptr();
    } catch (...) {
        return set_python_error();
    }
}
PyObject* reply_repr(PyObject* self) {
    try {
        const auto& r = reply_of(self);
        const auto out = "<Reply " + std::string(r.reply().state_name()) + " " + std::string(to_string(r.reply().action)) + " " +
                         repr_of(r.phrase()) + (r.reply().ended ? " ended>" : ">");
        return text(out);
    } catch (...) {
        return set_python_error();
    }
}

PyGetSetDef reply_getset[] = {{"phrase", reply_phrase, nullptr, "What to say; empty when the rule says nothing.", nullptr},
                              {"action", reply_action, nullptr, "continue, hold, transfer, hangup or close.", nullptr},
                              {"state", reply_state, nullptr, "The state's index (Script.states, Graph.states).", nullptr},
                              {"state_name", reply_state_name, nullptr, "The state's name.", nullptr},
                              {"hint", reply_hint, nullptr, "Advice for the operator; empty when none.", nullptr},
                              {"rule", reply_rule, nullptr, "The rule that fired (a Rule), None when none did.", nullptr},
                              {"ended", reply_ended, nullptr, "Whether the call reached a terminal state.", nullptr},
                              {"actions", reply_actions, nullptr, "What the host should do, in order (Action objects).", nullptr},
                              {nullptr, nullptr, nullptr, nullptr, nullptr}};

PyType_Slot reply_slots[] = {{Py_tp_dealloc, reinterpret_cast<void*>(&reply_dealloc)},
                             {Py_tp_new, reinterpret_cast<void*>(&reply_new)},
                             {Py_tp_repr, reinterpret_cast<void*>(&reply_repr)},
                             {Py_tp_getset, reply_getset},
                             {Py_tp_doc, const_cast<char*>("What the operator should do now; it outlives later steps.")},
                             {0, nullptr}};
PyType_Spec reply_spec = {"parley.Reply", sizeof(reply_object), 0, Py_TPFLAGS_DEFAULT, reply_slots};

// ---- Session.step: METH_FASTCALL ---------------------------------------------------------------

// An interned label (an int from Script.label) or a name.
py::object step(py_session& s, PyObject* label, double confidence, PyObject* slots) {
    const auto given = slots_of(s, slots);
    const auto& script = s.call.script();
    if (PyLong_Check(label)) {
        int overflow = 0;
        const long long id = PyLong_AsLongLongAndOverflow(label, &overflow);
        if (id == -1 && PyErr_Occurred()) throw py::error_already_set();
        if (overflow || id < 0 || id > UINT32_MAX)
            throw parley::session_error(parley::session_errc::unknown_label,
                                        "label id " + py::str(label).cast<std::string>() + " is out of range");
        return make_reply(script, s.call.step(static_cast<parley::label_id>(id), confidence, given));
    }
    if (!PyUnicode_Check(label))
        throw py::type_error("label must be a str or an int from Script.label(), not " + std::string(Py_TYPE(label)->tp_name));
    return make_reply(script, s.call.step(utf8(label), confidence, given));
}

// step(label, confidence=1.0, slots={}), its arguments parsed by hand.
PyObject* session_step(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) noexcept {
    static constexpr const char* names[] = {"label", "confidence", "slots"};
    PyObject* given[3] = {nullptr, nullptr, nullptr};
    if (nargs > 3) return PyErr_Format(PyExc_TypeError, "step() takes at most 3 arguments (%zd given)", nargs);
    for (Py_ssize_t i = 0; i < nargs; ++i) given[i] = args[i];
    for (Py_ssize_t k = 0; kwnames && k < PyTuple_GET_SIZE(kwnames); ++k) {
        PyObject* key = PyTuple_GET_ITEM(kwnames, k);
        std::size_t at = 0;
        while (at < 3 && PyUnicode_CompareWithASCIIString(key, names[at]) != 0) ++at;
        if (at == 3) return PyErr_Format(PyExc_TypeError, "step() got an unexpected keyword argument '%U'", key);
        if (given[at]) return PyErr_Format(PyExc_TypeError, "step() got multiple values for argument '%s'", names[at]);
        given[at] = args[nargs + k];
    }
    if (!given[0]) return PyErr_Format(PyExc_TypeError, "step() missing required argument 'label'");
    double confidence = 1.0;
    if (given[1]) {
        confidence = PyFloat_AsDouble(given[1]);
        if (confidence == -1.0 && PyErr_Occurred()) return nullptr;
    }
    try {
        return step(py::cast<py_session&>(py::handle(self)), given[0], confidence, given[2] ? given[2] : Py_None).release().ptr();
    } catch (...) {
        return set_python_error();
    }
}

PyMethodDef step_method = {"step", reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(&session_step)),
                           METH_FASTCALL | METH_KEYWORDS,
                           "step($self, /, label, confidence=1.0, slots={})\n--\n\nOne classified utterance: a label's name, or its "
                           "id from Script.label (faster); returns a Reply."};

py_script compiled(parley::compile_result result) {
    if (!result) throw parley::compile_error(std::move(result.diagnostics));
    return {std::move(*result.script), std::move(result.diagnostics)};
}

}  // namespace

PYBIND11_MODULE(_parley, m) {
    m.doc() = "parley: a rule-based dialogue engine for call centers";
    m.attr("__version__") = PARLEY_VERSION_STRING;

    error_type = py::exception<py_script>(m, "Error").release();
    compile_error_type = py::exception<py_rule>(m, "CompileError", error_type).release();
    session_error_type = py::exception<py_session>(m, "SessionError", error_type).release();
    py::register_exception_translator([](std::exception_ptr thrown) {
        try {
            if (thrown) std::rethrow_exception(thrown);
        } catch (...) {
            set_parley_error();
        }
    });

    py::class_<parley::diagnostic>(m, "Diagnostic", "What the compiler said about the rules, as data.")
        .def_property_readonly("severity", [](const parley::diagnostic& d) { return to_string(d.severity); })
        .def_readonly("file", &parley::diagnostic::file)
        .def_readonly("line", &parley::diagnostic::line)
        .def_readonly("column", &parley::diagnostic::column)
        .def_readonly("length", &parley::diagnostic::length)
        .def_readonly("message", &parley::diagnostic::message)
        .def_readonly("source_line", &parley::diagnostic::source_line)
        .def("__str__", [](const parley::diagnostic& d) { return parley::format(d); })
        .def("__repr__", [](const parley::diagnostic& d) {
            return "<Diagnostic " + d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
                   std::string(to_string(d.severity)) + ": " + d.message + ">";
        });

    py::class_<py_rule>(m, "Rule", "Where a rule was written.")
        .def_readonly("file", &py_rule::file)
        .def_readonly("line", &py_rule::line)
        .def("__str__", [](const py_rule& r) { return r.file + ":" + std::to_string(r.line); })
        .def("__repr__", [](const py_rule& r) { return "<Rule " + r.file + ":" + std::to_string(r.line) + ">"; });

    py::class_<py_action>(m, "Action", "Something the script asks the host to do, with its arguments' values.")
        .def_readonly("name", &py_action::name)
        .def_property_readonly("arguments",
                               [](const py_action& a) {
                                   py::dict out;
                                   for (const auto& [name, value] : a.arguments) out[py::str(name)] = py::str(value);
                                   return out;
                               })
        .def("__repr__", [](const py_action& a) {
            std::string out = "<Action " + a.name + "(";
            for (std::size_t i = 0; i < a.arguments.size(); ++i)
                out += (i ? ", " : "") + a.arguments[i].first + "=" + repr_of(a.arguments[i].second);
            return out + ")>";
        });

    reply_type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&reply_spec));
    if (!reply_type) throw py::error_already_set();
    m.attr("Reply") = py::handle(reinterpret_cast<PyObject*>(reply_type));  // the module keeps a reference too
    for (auto a :
         {parley::action::continue_, parley::action::hold, parley::action::transfer, parley::action::hangup, parley::action::close}) {
        const auto name = to_string(a);
        action_names[static_cast<std::size_t>(a)] = PyUnicode_InternFromString(std::string(name).c_str());
    }

    py::class_<py_edge>(m, "Edge", "A transition of the state graph.")
        .def_property_readonly("source",
                               [](const py_edge& e) -> std::optional<parley::state_id> {
                                   if (e.edge.global) return std::nullopt;
                                   return e.edge.from;
                               })
        .def_property_readonly("target", [](const py_edge& e) { return e.edge.to; })
        .def_property_readonly("trigger", [](const py_edge& e) { return e.edge.trigger; })
        .def_property_readonly("guard", [](const py_edge& e) { return e.edge.guard; })
        .def_property_readonly("is_global", [](const py_edge& e) { return e.edge.global; })
        .def_property_readonly("rule", [](const py_edge& e) { return rule_of(e.edge.rule); })
        .def_property_readonly("host_actions", [](const py_edge& e) { return e.edge.host_actions; })
        .def("__repr__", [](const py_edge& e) {
            return "<Edge " + (e.edge.global ? std::string("*") : std::to_string(e.edge.from)) + " -> " + std::to_string(e.edge.to) +
                   " on " + std::string(e.edge.trigger) + ">";
        });

    py::class_<py_graph>(m, "Graph", "The state graph of a script: states by index, and every transition.")
        .def_property_readonly("states", [](const py_graph& g) { return g.view.states; })
        .def_property_readonly("actions",
                               [](const py_graph& g) {
                                   std::vector<std::string_view> out;
                                   for (auto a : g.view.actions) out.push_back(to_string(a));
                                   return out;
                               })
        .def_property_readonly("initial", [](const py_graph& g) { return g.view.initial; })
        .def_property_readonly("entry_actions", [](const py_graph& g) { return g.view.entry_actions; })
        .def_property_readonly("entry_changes", [](const py_graph& g) { return g.view.entry_changes; })
        .def_property_readonly("flows", [](const py_graph& g) { return g.view.flows; })
        .def_property_readonly("hints", [](const py_graph& g) { return g.view.hints; })
        .def_property_readonly("fields", [](const py_graph& g) { return g.view.fields; })
        .def_property_readonly("edges",
                               [](const py_graph& g) {
                                   std::vector<py_edge> out;
                                   for (const auto& e : g.view.edges) out.push_back({g.script, e});
                                   return out;
                               })
        .def("__repr__", [](const py_graph& g) {
            return "<Graph " + std::to_string(g.view.states.size()) + " states, " + std::to_string(g.view.edges.size()) + " edges>";
        });

    py::class_<py_script>(m, "Script", "A compiled script: immutable, shared by any number of sessions and threads.")
        .def(
            "label",
            [](const py_script& s, std::string_view name) {
                if (auto id = s.script.find_label(name)) return *id;
                throw parley::session_error(parley::session_errc::unknown_label,
                                            "the script declares no intent or event '" + std::string(name) + "'");
            },
            "name"_a, "The interned id of an intent or event, for a faster Session.step.")
        .def_property_readonly("labels",
                               [](const py_script& s) {
                                   std::vector<std::string_view> out;
                                   for (parley::label_id i = 0; i < s.script.label_count(); ++i) out.push_back(s.script.label_name(i));
                                   return out;
                               })
        .def_property_readonly("states",
                               [](const py_script& s) {
                                   std::vector<std::string_view> out;
                                   for (parley::state_id i = 0; i < s.script.state_count(); ++i) out.push_back(s.script.state_name(i));
                                   return out;
                               })
        .def_property_readonly("languages",
                               [](const py_script& s) {
                                   std::vector<std::string_view> out;
                                   for (parley::language_id i = 0; i < s.script.language_count(); ++i)
                                       out.push_back(s.script.language_name(i));
                                   return out;
                               })
        .def_property_readonly("files",
                               [](const py_script& s) {
                                   std::vector<std::string_view> out;
                                   for (std::size_t i = 0; i < s.script.file_count(); ++i) out.push_back(s.script.file_name(i));
                                   return out;
                               })
        .def_property_readonly("fingerprint", [](const py_script& s) { return s.script.fingerprint(); })
        .def_readonly("diagnostics", &py_script::diagnostics)
        .def("graph",
             [](const py_script& s) {
                 return py_graph{s.script, parley::make_graph(s.script)};
             })
        .def("dot", [](const py_script& s) { return parley::to_dot(s.script); })
        .def("__repr__", [](const py_script& s) {
            return "<Script " + std::string(s.script.file_name(0)) + ": " + std::to_string(s.script.state_count()) + " states, " +
                   std::to_string(s.script.label_count()) + " labels>";
        });

    py::class_<py_session> session(m, "Session", "One call over a script; used by one thread at a time.");
    session
        .def(py::init([](const py_script& s, const py::object& language, const py::object& variables, const py::object& slots) {
                 return py_session{parley::session(s.script, options(s.script, language, variables, slots)), {}, {}};
             }),
             "script"_a, py::kw_only(), "language"_a = py::none(), "variables"_a = py::none(), "slots"_a = py::none())
        .def("start", [](py_session& s) { return make_reply(s.call.script(), s.call.start()); })
        .def(
            "advance",
            [](py_session& s, double seconds) {
                py::list out;
                s.call.advance(seconds, [&](const parley::reply& r) { out.append(make_reply(s.call.script(), r)); });
                return out;
            },
            "seconds"_a)
        .def("next_deadline", [](const py_session& s) { return s.call.next_deadline(); })
        .def(
            "reset",
            [](py_session& s, const py::object& language, const py::object& variables, const py::object& slots) {
                if (language.is_none() && variables.is_none() && slots.is_none())
                    s.call.reset();
                else
                    s.call.reset(options(s.call.script(), language, variables, slots));
            },
            py::kw_only(), "language"_a = py::none(), "variables"_a = py::none(), "slots"_a = py::none())
        .def("snapshot",
             [](const py_session& s) {
                 const auto bytes = s.call.snapshot();
                 return py::bytes(bytes.data(), bytes.size());
             })
        .def_static(
            "restore",
            [](const py_script& script, const py::bytes& data, bool by_name) {
                return py_session{parley::session::restore(script.script, std::string_view(data),
                                                           by_name ? parley::restore_mode::by_name : parley::restore_mode::exact),
                                  {},
                                  {}};
            },
            "script"_a, "data"_a, py::kw_only(), "by_name"_a = false)
        .def_property_readonly("state", [](const py_session& s) { return s.call.state(); })
        .def_property_readonly("state_name", [](const py_session& s) { return s.call.state_name(); })
        .def_property_readonly("ended", [](const py_session& s) { return s.call.ended(); })
        .def_property_readonly("now", [](const py_session& s) { return s.call.now(); })
        .def_property_readonly("language", [](const py_session& s) { return s.call.script().language_name(s.call.language()); })
        .def(
            "counter", [](const py_session& s, std::string_view name) { return s.call.counter(name); }, "name"_a)
        .def(
            "slot", [](const py_session& s, std::string_view name) { return s.call.slot(name); }, "name"_a)
        .def(
            "variable", [](const py_session& s, std::string_view name) { return s.call.variable(name); }, "name"_a)
        .def("__repr__",
             [](const py_session& s) { return "<Session " + std::string(s.call.state_name()) + (s.call.ended() ? " ended>" : ">"); });
    session.attr("step") =
        py::reinterpret_steal<py::object>(PyDescr_NewMethod(reinterpret_cast<PyTypeObject*>(session.ptr()), &step_method));

    m.def(
        "load",
        [](const std::filesystem::path& path) {
            parley::compile_result result;
            {
                py::gil_scoped_release unlocked;  // compiling is the host's batch work
                result = parley::compile_file(path);
            }
            return compiled(std::move(result));
        },
        "path"_a, "Compile a .rules file (and its includes); raises CompileError.");
    m.def(
        "compile",
        [](std::string_view text, std::string name) {
            parley::compile_result result;
            {
                py::gil_scoped_release unlocked;
                result = parley::compile_string(text, std::move(name));
            }
            return compiled(std::move(result));
        },
        "text"_a, "name"_a = "<string>", "Compile rules from a string named `name` in diagnostics; raises CompileError.");
}
