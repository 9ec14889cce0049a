// The C ABI (include/parley/parley.h) over the public C++ API. Every entry point catches
// everything: a C host cannot unwind a C++ exception, so each one becomes a status and a message.
#include <parley/parley.h>

#include <parley/compiler.hpp>
#include <parley/session.hpp>

#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// Each handle starts with a number that says what it is while it lives; a handle's free sets it
// to `freed_handle` before the memory goes. Every entry point checks it (live()), so a handle
// used after its free, freed twice, or of the other kind is refused (PARLEY_ERROR_MISUSE), as
// SQLite refuses a closed connection: caught where it is cheap, while its memory is not reused.
constexpr std::uint32_t script_handle = 0x70536372;   // "pScr"
constexpr std::uint32_t session_handle = 0x70536573;  // "pSes"
constexpr std::uint32_t freed_handle = 0x66726565;    // "free"

struct parley_script {
    std::uint32_t magic = script_handle;
    std::optional<parley::script> script;
    std::vector<parley::diagnostic> diagnostics;
    std::string message;  // compile_error's, for a script that did not compile
};

struct parley_session {
    explicit parley_session(parley::script s) : call(std::move(s)) {}

    std::uint32_t magic = session_handle;
    parley::session call;
    std::string error;
    std::string snapshot;
    std::vector<parley::slot_value> slots;  // an utterance's, as the C++ API takes them
    // The replies of the last start, step or advance, and what their views point into. A step's
    // views are the session's (valid until its next call, as in C++); the replies of advance are
    // copied into `texts`, since each timer renders into the same buffer as the one before.
    std::vector<parley_reply> replies;
    std::vector<std::size_t> first_action;  // by reply, into actions
    std::vector<parley_host_action> actions;
    std::vector<std::size_t> first_argument;  // by action, into arguments
    std::vector<parley_pair> arguments;
    std::deque<std::string> texts;  // a deque: adding one never moves the others
};

namespace {

// Whether a handle is one that lives: its first four bytes, the number (each handle's first
// member). They may be freed memory, or a handle of the other kind and alignment, so they are
// read a byte at a time (no member access: UBSan checks those for alignment) and outside
// AddressSanitizer's sight, so that the sanitized tests can pass such a handle and see it refused
// rather than stop at the read. (After a free the bytes say `freed_handle`, or whatever the
// allocator keeps there: never the live number.)
[[gnu::no_sanitize_address]] std::uint32_t number_of(const void* handle) noexcept {
    const auto* bytes = static_cast<const volatile unsigned char*>(handle);
    std::uint32_t number = 0;
    auto* out = reinterpret_cast<unsigned char*>(&number);
    for (std::size_t i = 0; i < sizeof number; ++i) out[i] = bytes[i];
    return number;
}
bool live(const parley_script* s) noexcept { return s && number_of(s) == script_handle; }
bool live(const parley_session* s) noexcept { return s && number_of(s) == session_handle; }

// A host's mistake that the C++ API cannot see (a NULL pointer, an index out of range).
struct misuse : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

parley_status status_of(parley::session_errc code) noexcept {
    switch (code) {
        case parley::session_errc::ended: return PARLEY_ERROR_ENDED;
        case parley::session_errc::unknown_label: return PARLEY_ERROR_UNKNOWN_LABEL;
        case parley::session_errc::bad_confidence: return PARLEY_ERROR_BAD_CONFIDENCE;
        case parley::session_errc::bad_language: return PARLEY_ERROR_BAD_LANGUAGE;
        case parley::session_errc::bad_variable: return PARLEY_ERROR_BAD_VARIABLE;
        case parley::session_errc::bad_slot: return PARLEY_ERROR_BAD_SLOT;
        case parley::session_errc::bad_snapshot: return PARLEY_ERROR_BAD_SNAPSHOT;
        case parley::session_errc::time_backwards: return PARLEY_ERROR_TIME_BACKWARDS;
        case parley::session_errc::limit: return PARLEY_ERROR_LIMIT;
    }
    return PARLEY_ERROR_INTERNAL;
}

// Runs `body` (which may return a status of its own), turning whatever it throws into a status
// and, when there is a handle to keep it in, a message.
template <class Body>
parley_status guarded(std::string* message, Body&& body) noexcept {
    const auto fail = [&](parley_status status, const char* what) noexcept {
        if (message) try {
                *message = what;
            } catch (...) {  // no memory for the message: the status says it
                message->clear();
            }
        return status;
    };
    try {
        if (message) message->clear();
        if constexpr (std::is_void_v<decltype(body())>) {
            body();
            return PARLEY_OK;
        } else {
            return body();
        }
    } catch (const parley::session_error& e) {
        return fail(status_of(e.code()), e.what());
    } catch (const misuse& e) {
        return fail(PARLEY_ERROR_MISUSE, e.what());
    } catch (const std::bad_alloc&) {
        return fail(PARLEY_ERROR_OUT_OF_MEMORY, "out of memory");
    } catch (const std::exception& e) {
        return fail(PARLEY_ERROR_INTERNAL, e.what());
    } catch (...) {
        return fail(PARLEY_ERROR_INTERNAL, "an unknown exception");
    }
}

void require(bool ok, const char* what) {
    if (!ok) throw misuse(what);
}

std::string_view text(const char* data, std::size_t size, const char* what) {
    if (!data && size != 0) throw misuse(std::string(what) + " is NULL but its size is " + std::to_string(size));
    return data ? std::string_view(data, size) : std::string_view();
}
std::string_view text(const parley_string& s, const char* what) { return text(s.data, s.size, what); }

parley_string view(std::string_view s) noexcept { return {s.data(), s.size()}; }

void check_pairs(const parley_pair* pairs, std::size_t count, const char* what) {
    if (!pairs && count != 0) throw misuse(std::string(what) + " is NULL but its count is " + std::to_string(count));
    for (std::size_t i = 0; i < count; ++i) {
        (void)text(pairs[i].name, what);
        (void)text(pairs[i].value, what);
    }
}

std::vector<std::pair<std::string, std::string>> to_options(const parley_pair* pairs, std::size_t count, const char* what) {
    check_pairs(pairs, count, what);
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < count; ++i) out.emplace_back(text(pairs[i].name, what), text(pairs[i].value, what));
    return out;
}

// The replies a call made, as the C structs; finish() points them into the arrays once all are in.
void begin_replies(parley_session& s) noexcept {
    s.replies.clear();
    s.first_action.clear();
    s.actions.clear();
    s.first_argument.clear();
    s.arguments.clear();
    s.texts.clear();
}

void add_reply(parley_session& s, const parley::reply& r, bool copy) {
    const auto keep = [&](std::string_view v) {
        if (!copy || v.empty()) return view(v);
        return view(s.texts.emplace_back(v));
    };
    const auto rule = r.rule();
    s.first_action.push_back(s.actions.size());
    for (const auto& a : r.actions) {
        s.first_argument.push_back(s.arguments.size());
        for (const auto& arg : a.arguments) s.arguments.push_back({keep(arg.name), keep(arg.value)});
        s.actions.push_back({keep(a.name), nullptr, a.arguments.size()});
    }
    s.replies.push_back({.phrase = keep(r.phrase),
                         .action = static_cast<parley_action>(r.action),
                         .state = r.state,
                         .ended = r.ended ? 1 : 0,
                         .state_name = view(r.state_name()),
                         .hint = view(r.hint()),
                         .rule_file = view(rule.file),
                         .rule_line = rule.line,
                         .actions = nullptr,
                         .action_count = r.actions.size()});
}

void finish_replies(parley_session& s) noexcept {
    for (std::size_t i = 0; i < s.actions.size(); ++i)
        if (s.actions[i].argument_count) s.actions[i].arguments = s.arguments.data() + s.first_argument[i];
    for (std::size_t i = 0; i < s.replies.size(); ++i)
        if (s.replies[i].action_count) s.replies[i].actions = s.actions.data() + s.first_action[i];
}

// Back to pickup first, so that a bad option of any kind leaves the session there.
void reset(parley_session& s, const char* language, std::size_t language_size, const parley_pair* variables, std::size_t variable_count,
           const parley_pair* slots, std::size_t slot_count) {
    begin_replies(s);
    s.call.reset();
    const auto tag = text(language, language_size, "language");
    if (tag.empty() && variable_count == 0 && slot_count == 0) return;
    s.call.reset(parley::session_options{.language = std::string(tag),
                                         .variables = to_options(variables, variable_count, "variables"),
                                         .slots = to_options(slots, slot_count, "slots")});
}

void one_reply(parley_session& s, const parley::reply& r, parley_reply* out) {
    add_reply(s, r, false);
    finish_replies(s);
    *out = s.replies.front();
}

std::span<const parley::slot_value> to_slots(parley_session& s, const parley_pair* slots, std::size_t count) {
    check_pairs(slots, count, "slots");
    s.slots.clear();
    for (std::size_t i = 0; i < count; ++i) s.slots.push_back({text(slots[i].name, "slots"), text(slots[i].value, "slots")});
    return s.slots;
}

parley_status compile(parley_script** out, const auto& run) noexcept {
    if (!out) return PARLEY_ERROR_MISUSE;
    *out = nullptr;
    try {
        auto result = run();
        auto handle = std::make_unique<parley_script>();
        handle->diagnostics = std::move(result.diagnostics);
        const bool ok = result.script.has_value();
        if (ok)
            handle->script = std::move(result.script);
        else
            handle->message = parley::compile_error(handle->diagnostics).what();
        *out = handle.release();
        return ok ? PARLEY_OK : PARLEY_ERROR_COMPILE;
    } catch (const misuse&) {
        return PARLEY_ERROR_MISUSE;
    } catch (const std::bad_alloc&) {
        return PARLEY_ERROR_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        // Worth a handle, if one can be had, to say what went wrong.
        try {
            auto handle = std::make_unique<parley_script>();
            handle->message = e.what();
            *out = handle.release();
        } catch (...) {}
        return PARLEY_ERROR_INTERNAL;
    } catch (...) {
        return PARLEY_ERROR_INTERNAL;
    }
}

// An enum a C host passed, as the integer it holds: a C host may pass any value, and reading an
// enum object outside its enumerators' range is undefined in C++ (UBSan reports it).
template <class Enum>
std::underlying_type_t<Enum> value_of(const Enum& e) noexcept {
    std::underlying_type_t<Enum> v;
    std::memcpy(&v, &e, sizeof v);
    return v;
}

const char* message_of(const std::string& message, std::size_t* size) noexcept {
    if (size) *size = message.size();
    return message.c_str();
}

}  // namespace

extern "C" {

const char* parley_version(void) { return PARLEY_VERSION; }

const char* parley_status_string(parley_status status) {
    switch (value_of(status)) {
        case PARLEY_OK: return "no error";
        case PARLEY_ERROR_COMPILE: return "the rules have errors";
        case PARLEY_ERROR_ENDED: return "the call has ended";
        case PARLEY_ERROR_UNKNOWN_LABEL: return "the script declares no such intent or event";
        case PARLEY_ERROR_BAD_CONFIDENCE: return "confidence must be a number from 0 to 1";
        case PARLEY_ERROR_BAD_LANGUAGE: return "the script has no such language";
        case PARLEY_ERROR_BAD_VARIABLE: return "a bad variable";
        case PARLEY_ERROR_BAD_SLOT: return "a bad slot";
        case PARLEY_ERROR_BAD_SNAPSHOT: return "a bad snapshot";
        case PARLEY_ERROR_TIME_BACKWARDS: return "time went backwards";
        case PARLEY_ERROR_LIMIT: return "a value past a limit";
        case PARLEY_ERROR_MISUSE: return "a NULL or invalid argument";
        case PARLEY_ERROR_OUT_OF_MEMORY: return "out of memory";
        case PARLEY_ERROR_INTERNAL: return "an internal error";
    }
    return "an unknown status";
}

const char* parley_action_name(parley_action action) {
    const auto v = value_of(action);
    if (v > PARLEY_ACTION_CLOSE) return "unknown";
    return to_string(static_cast<parley::action>(v)).data();  // static, NUL-terminated literals
}

parley_status parley_compile_file(const char* path, size_t path_size, parley_script** out) {
    return compile(out, [&] { return parley::compile_file(std::string(text(path, path_size, "path"))); });
}

parley_status parley_compile_string(const char* source, size_t source_size, const char* name, size_t name_size, parley_script** out) {
    return compile(out, [&] {
        const auto body = text(source, source_size, "text");
        const auto shown = name ? std::string(text(name, name_size, "name")) : std::string("<string>");
        return parley::compile_string(body, shown);
    });
}

void parley_script_free(parley_script* script) {
    if (!live(script)) return;  // NULL, freed already, or no script
    script->magic = freed_handle;
    delete script;
}

int parley_script_ok(const parley_script* script) { return live(script) && script->script ? 1 : 0; }

const char* parley_script_errmsg(const parley_script* script, size_t* size) {
    static const std::string none;
    return message_of(live(script) ? script->message : none, size);
}

size_t parley_script_diagnostic_count(const parley_script* script) { return live(script) ? script->diagnostics.size() : 0; }

parley_status parley_script_diagnostic(const parley_script* script, size_t index, parley_diagnostic* out) {
    if (!live(script) || !out || index >= script->diagnostics.size()) return PARLEY_ERROR_MISUSE;
    const auto& d = script->diagnostics[index];
    *out = {.severity = static_cast<parley_severity>(d.severity),
            .file = view(d.file),
            .line = d.line,
            .column = d.column,
            .length = d.length,
            .message = view(d.message),
            .source_line = view(d.source_line)};
    return PARLEY_OK;
}

parley_status parley_script_label(const parley_script* script, const char* name, size_t name_size, uint32_t* out) {
    if (!live(script) || !script->script || !out || (!name && name_size)) return PARLEY_ERROR_MISUSE;
    return guarded(nullptr, [&] {
        const auto id = script->script->find_label(text(name, name_size, "name"));
        if (!id) return PARLEY_ERROR_UNKNOWN_LABEL;
        *out = *id;
        return PARLEY_OK;
    });
}

size_t parley_script_label_count(const parley_script* script) { return live(script) && script->script ? script->script->label_count() : 0; }

parley_status parley_script_label_name(const parley_script* script, uint32_t label, parley_string* out) {
    if (!live(script) || !script->script || !out || label >= script->script->label_count()) return PARLEY_ERROR_MISUSE;
    *out = view(script->script->label_name(label));
    return PARLEY_OK;
}

parley_status parley_session_new(const parley_script* script, const char* language, size_t language_size, const parley_pair* variables,
                                 size_t variable_count, const parley_pair* slots, size_t slot_count, parley_session** out) {
    if (!out) return PARLEY_ERROR_MISUSE;
    *out = nullptr;
    if (!live(script) || !script->script) return PARLEY_ERROR_MISUSE;
    parley_session* s = nullptr;
    try {
        s = new parley_session(*script->script);
    } catch (...) {
        return PARLEY_ERROR_OUT_OF_MEMORY;  // all a session's constructor can throw
    }
    *out = s;
    return guarded(&s->error, [&] { reset(*s, language, language_size, variables, variable_count, slots, slot_count); });
}

void parley_session_free(parley_session* session) {
    if (!live(session)) return;  // NULL, freed already, or no session
    session->magic = freed_handle;
    delete session;
}

parley_status parley_session_reset(parley_session* session, const char* language, size_t language_size, const parley_pair* variables,
                                   size_t variable_count, const parley_pair* slots, size_t slot_count) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] { reset(*session, language, language_size, variables, variable_count, slots, slot_count); });
}

const char* parley_session_errmsg(const parley_session* session, size_t* size) {
    static const std::string none;
    return message_of(live(session) ? session->error : none, size);
}

parley_status parley_session_start(parley_session* session, parley_reply* out) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] {
        begin_replies(*session);  // a failed call leaves none
        require(out, "out is NULL");
        one_reply(*session, session->call.start(), out);
    });
}

parley_status parley_session_step(parley_session* session, const char* label, size_t label_size, double confidence,
                                  const parley_pair* slots, size_t slot_count, parley_reply* out) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] {
        begin_replies(*session);  // a failed call leaves none
        require(out, "out is NULL");
        const auto name = text(label, label_size, "label");
        one_reply(*session, session->call.step(name, confidence, to_slots(*session, slots, slot_count)), out);
    });
}

parley_status parley_session_step_label(parley_session* session, uint32_t label, double confidence, const parley_pair* slots,
                                        size_t slot_count, parley_reply* out) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] {
        begin_replies(*session);  // a failed call leaves none
        require(out, "out is NULL");
        one_reply(*session, session->call.step(label, confidence, to_slots(*session, slots, slot_count)), out);
    });
}

parley_status parley_session_advance(parley_session* session, double seconds, size_t* fired) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] {
        begin_replies(*session);
        try {
            const auto n = session->call.advance(seconds, [&](const parley::reply& r) { add_reply(*session, r, true); });
            finish_replies(*session);
            if (fired) *fired = n;
        } catch (...) {
            begin_replies(*session);  // no half-made replies
            throw;
        }
    });
}

size_t parley_session_reply_count(const parley_session* session) { return live(session) ? session->replies.size() : 0; }

parley_status parley_session_reply(const parley_session* session, size_t index, parley_reply* out) {
    if (!live(session) || !out || index >= session->replies.size()) return PARLEY_ERROR_MISUSE;
    *out = session->replies[index];
    return PARLEY_OK;
}

parley_status parley_session_next_deadline(const parley_session* session, double* out) {
    if (!live(session) || !out) return PARLEY_ERROR_MISUSE;
    *out = session->call.next_deadline().value_or(-1.0);
    return PARLEY_OK;
}

parley_status parley_session_snapshot(parley_session* session, const char** bytes, size_t* size) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] {
        require(bytes && size, "bytes or size is NULL");
        session->snapshot = session->call.snapshot();
        *bytes = session->snapshot.data();
        *size = session->snapshot.size();
    });
}

parley_status parley_session_restore(parley_session* session, const void* bytes, size_t size, parley_restore_mode mode) {
    if (!live(session)) return PARLEY_ERROR_MISUSE;
    return guarded(&session->error, [&] {
        begin_replies(*session);
        const auto m = value_of(mode);
        require(m == PARLEY_RESTORE_EXACT || m == PARLEY_RESTORE_BY_NAME, "mode is not a parley_restore_mode");
        const auto data = text(static_cast<const char*>(bytes), size, "bytes");
        auto restored = parley::session::restore(
            session->call.script(), data, mode == PARLEY_RESTORE_EXACT ? parley::restore_mode::exact : parley::restore_mode::by_name);
        begin_replies(*session);
        session->call = std::move(restored);
    });
}

}  // extern "C"
