// Phase 5, lower: takes the parsed_files and symbol_table of a script that passed the checks and
// gives the flat runtime tables (include/parley/detail/tables.hpp): interned strings, phrases
// pre-split into segments with the language fallback resolved, guards as a node array, and the
// state x label dispatch table, so that step() never looks anything up by string. The script's
// fingerprint is computed here.
#include "pipeline.hpp"
#include "text.hpp"

#include <parley/detail/hash.hpp>
#include <parley/detail/render.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace parley::pipeline {

using namespace detail;  // the tables' types: text, phrase, handler, state, ...

namespace {

// A confirmation question is said ahead for every label (text::by_subject) while its texts times
// the labels stay below this: a script with thousands of labels renders its questions per step.
constexpr std::size_t max_subject_texts = 1u << 16;

class lowering {
public:
    lowering(script_tables& t, const symbol_table& symbols)
        : t_(t), languages_(symbols.languages), values_(symbols.values), types_(&symbols) {
        const auto& fallback = symbols.settings.fallback;
        for (std::uint32_t i = 0; i < languages_.size(); ++i)
            if (languages_[i] == fallback) t_.fallback_language = i;
    }

    string_ref intern(std::string_view s) {
        if (s.empty()) return {};
        auto it = interned_.find(s);
        if (it != interned_.end()) return it->second;
        const string_ref r{static_cast<std::uint32_t>(t_.pool.size()), static_cast<std::uint32_t>(s.size())};
        t_.pool.append(s);
        interned_.emplace(std::string(s), r);
        return r;
    }

    // The index of the language a text is written in (a bare string: the default language).
    std::uint8_t language_of(const ast::text& x) const {
        if (x.language.empty()) return 0;
        const auto it = std::find(languages_.begin(), languages_.end(), x.language);
        return static_cast<std::uint8_t>(it - languages_.begin());
    }

    // The text of `v` for language `lang`: its own, else the fallback's, else the default's.
    const ast::text* pick(const std::vector<ast::text>& texts, std::uint32_t lang) const {
        auto find = [&](std::uint32_t l) -> const ast::text* {
            for (const auto& x : texts)
                if ((x.language.empty() ? languages_[0] : x.language) == languages_[l]) return &x;
            return nullptr;
        };
        if (auto* x = find(lang)) return x;
        if (auto* x = find(t_.fallback_language)) return x;
        if (auto* x = find(0)) return x;
        return texts.empty() ? nullptr : &texts.front();
    }

    // A conditional part `{name?then|else}` becomes a segment that skips the then part while the
    // value is empty, the then part, a segment that skips the else part, and the else part.
    text make_text(std::string_view value) {
        text out;
        std::vector<template_piece> pieces;
        template_error bad;
        split_template(value, pieces, bad);
        out.first_segment = static_cast<std::uint32_t>(t_.segments.size());
        std::string whole;
        std::size_t skipping = none;  // the segment whose `skip` the part being lowered sets
        auto close_part = [&] {
            if (skipping != none) t_.segments[skipping].skip = static_cast<std::uint32_t>(t_.segments.size() - skipping - 1);
            skipping = none;
        };
        for (const auto& p : pieces) {
            segment s;
            switch (p.kind) {
                case piece_kind::literal:
                    s.literal = intern(p.text);
                    whole += p.text;
                    break;
                case piece_kind::placeholder:
                    if (p.text == "intent") {
                        s.kind = segment_kind::intent_description;
                    } else {
                        const auto& v = values_.find(p.text)->second;
                        s.kind = v.kind == value_kind::slot ? segment_kind::slot : segment_kind::variable;
                        s.index = v.index;
                        s.literal = intern(p.fallback);
                    }
                    out.has_placeholders = true;
                    break;
                case piece_kind::when: {
                    const auto& v = values_.find(p.text)->second;
                    s.kind = v.kind == value_kind::slot ? segment_kind::unless_slot : segment_kind::unless_variable;
                    if (p.has_value) {
                        s.kind = v.kind == value_kind::slot ? segment_kind::unless_slot_is : segment_kind::unless_variable_is;
                        s.literal = intern(p.value);
                    }
                    s.index = v.index;
                    skipping = t_.segments.size();
                    out.has_placeholders = true;
                    break;
                }
                case piece_kind::otherwise:
                    t_.segments.push_back({segment_kind::jump});  // the then part ends by jumping over the else part
                    close_part();
                    skipping = t_.segments.size() - 1;
                    continue;
                case piece_kind::end: close_part(); continue;
            }
            t_.segments.push_back(s);
        }
        out.segment_count = static_cast<std::uint32_t>(t_.segments.size() - out.first_segment);
        if (!out.has_placeholders) {
            t_.segments.resize(out.first_segment);
            out.segment_count = 0;
            out.whole = intern(whole);
        }
        return out;
    }

    // `file` is where the phrase is written: a text's origin is kept for lower_plans' diagnostics.
    std::uint32_t phrase(const ast::phrase& p, std::uint32_t file) {
        detail::phrase out;
        out.first_text = static_cast<std::uint32_t>(t_.texts.size());
        out.variant_count = static_cast<std::uint32_t>(p.variants.size());
        if (out.variant_count > 1) out.rotation = t_.rotation_count++;
        for (const auto& v : p.variants) {
            std::map<const ast::text*, std::uint32_t> made;
            for (std::uint32_t l = 0; l < languages_.size(); ++l) {
                const auto* x = pick(v.texts, l);
                text_origins.push_back(x ? at(file, x->value) : origin{});
                if (auto it = made.find(x); it != made.end()) {
                    t_.texts.push_back(t_.texts[it->second]);
                    continue;
                }
                made.emplace(x, static_cast<std::uint32_t>(t_.texts.size()));
                t_.texts.push_back(x ? make_text(x->value.value) : text{});
                if (x) t_.texts.back().language = language_of(*x);
            }
        }
        t_.phrases.push_back(out);
        return static_cast<std::uint32_t>(t_.phrases.size() - 1);
    }

    std::uint32_t description(const label_info& l) {
        const auto first = static_cast<std::uint32_t>(t_.texts.size());
        std::string plain = l.name;
        std::replace(plain.begin(), plain.end(), '_', ' ');
        for (std::uint32_t lang = 0; lang < languages_.size(); ++lang) {
            const ast::text* x = l.intent ? pick(l.intent->description, lang) : nullptr;
            text out;
            out.whole = intern(x ? std::string_view(x->value.value) : std::string_view(plain));
            t_.texts.push_back(out);
            text_origins.emplace_back();
        }
        return first;
    }

    std::vector<origin> text_origins;  // by text: where it is written (a description's: none)

    std::uint32_t guard(const ast::disjunction& g) {
        if (g.terms.size() == 1) return conjunction(g.terms[0]);
        std::vector<std::uint32_t> children;
        for (const auto& c : g.terms) children.push_back(conjunction(c));
        return group(guard_op::any_of, children);
    }

private:
    std::uint32_t conjunction(const ast::conjunction& c) {
        if (c.terms.size() == 1) return operand(c.terms[0]);
        std::vector<std::uint32_t> children;
        for (const auto& o : c.terms) children.push_back(operand(o));
        return group(guard_op::all_of, children);
    }
    std::uint32_t group(guard_op op, const std::vector<std::uint32_t>& children) {
        guard_node node;
        node.op = op;
        node.a = static_cast<std::uint32_t>(t_.guard_children.size());
        node.b = static_cast<std::uint32_t>(children.size());
        t_.guard_children.insert(t_.guard_children.end(), children.begin(), children.end());
        return add(node);
    }
    std::uint32_t add(const guard_node& n) {
        t_.guards.push_back(n);
        return static_cast<std::uint32_t>(t_.guards.size() - 1);
    }
    static compare to_compare(ast::compare_op op) {
        static constexpr compare ops[] = {compare::eq, compare::ne, compare::lt, compare::le, compare::gt, compare::ge};
        return ops[int(op)];
    }

    std::uint32_t operand(const ast::operand& o) {
        struct visitor {
            lowering& l;
            std::uint32_t operator()(const ast::comparison& c) const {
                guard_node n;
                n.cmp = to_compare(c.op);
                const auto it = l.values_.find(c.subject.text);
                if (it == l.values_.end() && (c.subject.text == "no_match" || c.subject.text == "no_input")) {
                    n.op = guard_op::counter_cmp;  // the state's counts follow the counters
                    n.a = static_cast<std::uint32_t>(l.t_.counters.size()) + (c.subject.text == "no_input" ? 1 : 0);
                    n.number = static_cast<std::int64_t>(boost::get<ast::number_literal>(c.value).value);
                    l.t_.state_count_bytes = 2;
                    return l.add(n);
                }
                if (it == l.values_.end()) {  // `confidence`, checked
                    n.op = guard_op::confidence_cmp;
                    n.real = boost::get<ast::number_literal>(c.value).value;
                    return l.add(n);
                }
                const auto& v = it->second;
                n.a = v.index;
                if (const auto* other = boost::get<ast::identifier>(&c.value)) {  // two values compared
                    const auto& w = l.values_.find(other->text)->second;
                    auto source = [](const value_symbol& x) {
                        return x.kind == value_kind::counter ? counter_value : x.kind == value_kind::slot ? slot_value : variable_value;
                    };
                    const bool as_numbers = v.kind == value_kind::counter || (l.types_ && l.types_->type_of(v)->number);
                    n.op = as_numbers ? guard_op::values_number_cmp : guard_op::values_cmp;
                    n.b = w.index;
                    n.number = source(v) | source(w) << 2;
                    return l.add(n);
                }
                if (v.kind != value_kind::counter && boost::get<ast::number_literal>(&c.value)) {  // a number slot or variable
                    n.op = v.kind == value_kind::slot ? guard_op::slot_number_cmp : guard_op::variable_number_cmp;
                    n.real = boost::get<ast::number_literal>(c.value).value;
                } else if (v.kind == value_kind::counter) {
                    n.op = guard_op::counter_cmp;
                    n.number = static_cast<std::int64_t>(boost::get<ast::number_literal>(c.value).value);
                } else {
                    n.op = v.kind == value_kind::slot ? guard_op::slot_cmp : guard_op::variable_cmp;
                    n.string = l.intern(boost::get<ast::string_literal>(c.value).value);
                }
                return l.add(n);
            }
            std::uint32_t operator()(const ast::known_check& k) const {
                guard_node n;
                n.op = guard_op::known_slot;
                n.a = l.values_.find(k.name.text)->second.index;
                return l.add(n);
            }
            std::uint32_t operator()(const ast::known_count& k) const {
                std::vector<std::uint32_t> slots;
                for (const auto& name : k.names) slots.push_back(l.values_.find(name.text)->second.index);
                guard_node n;
                n.op = guard_op::known_count_cmp;
                n.cmp = to_compare(k.op);
                n.a = static_cast<std::uint32_t>(l.t_.guard_children.size());
                n.b = static_cast<std::uint32_t>(slots.size());
                n.number = static_cast<std::int64_t>(k.value.value);
                l.t_.guard_children.insert(l.t_.guard_children.end(), slots.begin(), slots.end());
                return l.add(n);
            }
            std::uint32_t operator()(const ast::negation& neg) const {
                guard_node n;
                n.op = guard_op::negate;
                n.a = l.operand(neg.subject);
                return l.add(n);
            }
            std::uint32_t operator()(const ast::disjunction& d) const { return l.guard(d); }
        };
        return boost::apply_visitor(visitor{*this}, o);
    }

    script_tables& t_;
    const std::vector<std::string>& languages_;
    const std::map<std::string, value_symbol, std::less<>>& values_;
    const symbol_table* types_;  // what the slots and variables hold
    std::unordered_map<std::string, string_ref, string_hash, std::equal_to<>> interned_;
};

// Builds the tables in the order their indices are handed out: names, labels, states and their
// handlers, the globals, the dispatch table, settings, then the fingerprint and the name indices.
class table_builder {
public:
    table_builder(const parsed_files& files, const symbol_table& symbols, const compile_limits& limits, diagnostic_sink& sink)
        : files_(files), symbols_(symbols), limits_(limits), sink_(sink), l_(t_, symbols) {}

    // Null when the script goes past a limit that only the tables show (the sink says which).
    std::unique_ptr<const script_tables> build() {
        lower_names();
        lower_labels();
        lower_states();
        lower_dispatch();
        lower_settings();
        if (!lower_plans()) return nullptr;
        t_.fingerprint = fingerprint();
        index_names();
        return std::move(tables_);
    }

private:
    using candidate = std::pair<std::uint32_t, std::uint32_t>;  // label, handler

    [[nodiscard]] source_ref line_of(std::uint32_t file, const ast::tagged& node) const {
        return {file, files_.sources[file]->line_of(node.offset)};
    }
    [[nodiscard]] std::uint32_t value_index(const ast::identifier& name) const { return symbols_.values.find(name.text)->second.index; }
    [[nodiscard]] std::uint32_t state_index(const ast::identifier& name) const {
        return name.text == "stay" ? none : symbols_.states.find(name.text)->second.index;
    }
    [[nodiscard]] std::uint32_t label_index(std::string_view name) const { return symbols_.labels.find(name)->second.index; }

    void lower_names();
    void lower_labels();
    void lower_states();
    std::uint32_t lower_handler(const handler_ref& h);
    std::uint32_t lower_clauses(const std::vector<ast::clause>& clauses, std::uint32_t file, std::uint32_t& phrase, std::uint32_t& hint,
                                std::uint32_t& count);
    void lower_effects(const ast::clause& clause, std::uint32_t file, std::uint32_t& phrase, std::uint32_t& hint);
    void lower_action(const ast::do_clause& action);
    std::uint32_t lower_form(const ast::state_decl& node, std::uint32_t file, const std::vector<std::uint32_t>& completes);
    // Files the handler under its labels (`on`) or as an `otherwise` of the state (or the globals).
    void collect(const handler_ref& h, std::uint32_t index, std::vector<candidate>& on, std::vector<std::uint32_t>& otherwise);
    void lower_dispatch();
    void lower_settings();
    [[nodiscard]] bool lower_plans();
    [[nodiscard]] std::uint64_t fingerprint() const;
    void index_names();

    const parsed_files& files_;
    const symbol_table& symbols_;
    const compile_limits& limits_;
    diagnostic_sink& sink_;
    std::unique_ptr<script_tables> tables_ = std::make_unique<script_tables>();
    script_tables& t_ = *tables_;
    lowering l_;
    std::vector<std::vector<candidate>> on_handlers_;             // by state
    std::vector<std::vector<std::uint32_t>> otherwise_handlers_;  // by state
    std::vector<candidate> global_on_;
    std::vector<std::uint32_t> global_otherwise_;
};

void table_builder::lower_names() {
    for (const auto& f : files_.sources) t_.files.push_back(f->name());
    for (const auto& lang : symbols_.languages) t_.languages.push_back(l_.intern(lang));
    auto type_of = [&](const ast::value_type& type) {
        const value_type out{type.number, static_cast<std::uint32_t>(t_.choices.size()), static_cast<std::uint32_t>(type.choices.size())};
        for (const auto& c : type.choices) t_.choices.push_back(l_.intern(c.text));
        return out;
    };
    for (std::size_t i = 0; i < symbols_.slots.size(); ++i) {
        t_.slots.push_back(l_.intern(symbols_.slots[i]));
        t_.slot_types.push_back(type_of(*symbols_.slot_types[i]));
        t_.has_typed_slots = t_.has_typed_slots || !t_.slot_types.back().any_text();
    }
    for (const auto& s : symbols_.counters) t_.counters.push_back(l_.intern(s));
    for (std::size_t i = 0; i < symbols_.variables.size(); ++i) {
        t_.variables.push_back(l_.intern(symbols_.variables[i]));
        t_.variable_types.push_back(type_of(*symbols_.variable_types[i]));
    }
    for (const auto* wordings : symbols_.variable_defaults)  // by variable, then language, with the phrases' fallback
        for (std::uint32_t lang = 0; lang < symbols_.languages.size(); ++lang) {
            const auto* x = l_.pick(*wordings, lang);
            t_.variable_defaults.push_back(l_.intern(x ? std::string_view(x->value.value) : std::string_view()));
        }
}

void table_builder::lower_labels() {
    for (const auto& info : symbols_.label_list) {
        label out;
        out.name = l_.intern(info.name);
        out.is_event = info.is_event;
        out.where = {info.where.file, files_.sources[info.where.file]->line_of(info.where.offset)};
        out.first_description = l_.description(info);
        if (info.name == "silence") t_.silence_label = static_cast<std::uint32_t>(t_.labels.size());
        t_.labels.push_back(out);
    }
}

std::uint32_t table_builder::lower_handler(const handler_ref& h) {
    handler out;
    handler_text text;
    const auto& node = *h.node;
    if (node.guard) {
        out.guard = l_.guard(*node.guard);
        text.guard = l_.intern(guard_text(*node.guard));
    }
    text.trigger = l_.intern(trigger_text(node.when));
    out.target = state_index(node.target);
    out.rule = line_of(h.file, node);
    out.first_effect = lower_clauses(node.clauses, h.file, out.phrase, out.hint, out.effect_count);
    t_.handlers.push_back(out);
    t_.handler_texts.push_back(text);
    t_.otherwise_handler.push_back(node.when.kind == ast::trigger_kind::otherwise ? 1 : 0);
    return static_cast<std::uint32_t>(t_.handlers.size() - 1);
}

// A handler's clauses, or a state's entry clauses: the changes to the call in the order written,
// then the host actions, as effects; the phrase and the hint into `phrase` and `hint`. Returns the
// first effect and sets `count`.
std::uint32_t table_builder::lower_clauses(const std::vector<ast::clause>& clauses, std::uint32_t file, std::uint32_t& phrase,
                                           std::uint32_t& hint, std::uint32_t& count) {
    const auto first = static_cast<std::uint32_t>(t_.effects.size());
    for (const auto& clause : clauses) lower_effects(clause, file, phrase, hint);
    for (const auto& clause : clauses)  // the host actions after the changes to the call
        if (const auto* action = boost::get<ast::do_clause>(&clause)) lower_action(*action);
    count = static_cast<std::uint32_t>(t_.effects.size() - first);
    return first;
}

void table_builder::lower_effects(const ast::clause& clause, std::uint32_t file, std::uint32_t& phrase, std::uint32_t& hint) {
    if (const auto* say = boost::get<ast::say_clause>(&clause)) {
        phrase = l_.phrase(say->what, file);
    } else if (const auto* h = boost::get<ast::hint_clause>(&clause)) {
        hint = l_.phrase(h->what, file);
    } else if (const auto* c = boost::get<ast::counter_clause>(&clause)) {
        effect e;
        e.kind = c->verb == ast::counter_verb::increment ? effect_kind::increment : effect_kind::reset;
        e.index = value_index(c->counter);
        t_.effects.push_back(e);
    } else if (const auto* k = boost::get<ast::keep_clause>(&clause)) {
        for (const auto& slot : k->slots) {
            effect e;
            e.kind = effect_kind::keep_slot;
            e.index = value_index(slot);
            e.slot_name = l_.intern(slot.text);
            t_.effects.push_back(e);
        }
    } else if (const auto* s = boost::get<ast::set_clause>(&clause)) {
        effect e;
        e.kind = s->copies ? effect_kind::copy_slot : effect_kind::set_variable;
        e.index = value_index(s->variable);
        if (s->copies) {
            e.slot = value_index(s->from);
        } else {
            e.value = l_.intern(s->value.value);
            const auto rendered = l_.make_text(s->value.value);
            if (rendered.has_placeholders) {  // rendered when the set runs
                e.kind = effect_kind::render_variable;
                e.slot = static_cast<std::uint32_t>(t_.texts.size());
                t_.texts.push_back(rendered);
            } else {
                e.value = rendered.whole;  // `{{` and `}}` are braces, as in a phrase
            }
        }
        t_.effects.push_back(e);
    } else if (const auto* clear = boost::get<ast::clear_clause>(&clause)) {
        for (const auto& slot : clear->slots) {
            effect e;
            e.kind = effect_kind::clear_slot;
            e.index = value_index(slot);
            t_.effects.push_back(e);
        }
    }
}

// A form: its fields in the order it asks, and its 'complete' handlers in priority order.
std::uint32_t table_builder::lower_form(const ast::state_decl& node, std::uint32_t file, const std::vector<std::uint32_t>& completes) {
    form out;
    out.first_field = static_cast<std::uint32_t>(t_.form_fields.size());
    out.field_count = static_cast<std::uint32_t>(node.fields.size());
    for (const auto& f : node.fields)
        t_.form_fields.push_back(
            {value_index(f.slot), l_.phrase(f.prompt, file), f.reprompt ? l_.phrase(*f.reprompt, file) : none, line_of(file, f)});
    out.first_complete = static_cast<std::uint32_t>(t_.form_completes.size());
    out.complete_count = static_cast<std::uint32_t>(completes.size());
    t_.form_completes.insert(t_.form_completes.end(), completes.begin(), completes.end());
    t_.forms.push_back(out);
    t_.has_forms = true;
    return static_cast<std::uint32_t>(t_.forms.size() - 1);
}

// A host action and its arguments; the effect that asks for it.
void table_builder::lower_action(const ast::do_clause& action) {
    host_action_spec spec;
    spec.name = l_.intern(action.name.text);
    spec.first_argument = static_cast<std::uint32_t>(t_.host_arguments.size());
    spec.argument_count = static_cast<std::uint32_t>(action.arguments.size());
    for (const auto& a : action.arguments) {
        host_argument_spec out;
        out.name = l_.intern(a.name.text);
        const auto* constant = a.has_value ? boost::get<ast::string_literal>(&a.value) : nullptr;
        if (constant) {
            out.constant = l_.intern(constant->value);
        } else {
            const auto& ref = a.has_value ? boost::get<ast::identifier>(a.value) : a.name;
            const auto& v = symbols_.values.find(ref.text)->second;
            out.source = v.kind == value_kind::slot ? argument_source::slot : argument_source::variable;
            out.index = v.index;
        }
        t_.host_arguments.push_back(out);
    }
    effect e;
    e.kind = effect_kind::host_action;
    e.index = static_cast<std::uint32_t>(t_.host_actions.size());
    t_.host_actions.push_back(spec);
    t_.effects.push_back(e);
}

void table_builder::collect(const handler_ref& h, std::uint32_t index, std::vector<candidate>& on, std::vector<std::uint32_t>& otherwise) {
    if (h.node->when.kind == ast::trigger_kind::otherwise)
        otherwise.push_back(index);
    else
        for (const auto& name : h.node->when.labels) on.emplace_back(label_index(name.text), index);
}

// States, their handlers in file order (timers apart, sorted by time), then the globals.
void table_builder::lower_states() {
    const auto& states = symbols_.state_list;
    on_handlers_.resize(states.size());
    otherwise_handlers_.resize(states.size());
    for (std::uint32_t s = 0; s < states.size(); ++s) {
        const auto& info = states[s];
        state out;
        out.name = l_.intern(info.node->name.text);
        if (info.copy != none) out.flow = l_.intern(symbols_.copies[info.copy].name);
        out.action = info.action;
        out.where = line_of(info.file, *info.node);
        if (info.node->entry) out.entry = l_.phrase(*info.node->entry, info.file);
        out.first_entry_effect = lower_clauses(info.node->entry_clauses, info.file, out.entry, out.hint, out.entry_effect_count);
        out.first_handler = static_cast<std::uint32_t>(t_.handlers.size());
        std::vector<const handler_ref*> timers;
        std::vector<std::uint32_t> completes;
        for (const auto& h : info.handlers) {
            if (h.node->when.kind == ast::trigger_kind::after)
                timers.push_back(&h);
            else if (h.node->when.kind == ast::trigger_kind::complete)
                completes.push_back(lower_handler(h));
            else
                collect(h, lower_handler(h), on_handlers_[s], otherwise_handlers_[s]);
        }
        out.handler_count = static_cast<std::uint32_t>(t_.handlers.size() - out.first_handler);
        if (!info.node->fields.empty()) out.form = lower_form(*info.node, info.file, completes);
        std::stable_sort(timers.begin(), timers.end(),
                         [](auto* a, auto* b) { return a->node->when.seconds.value < b->node->when.seconds.value; });
        out.first_timer = static_cast<std::uint32_t>(t_.timers.size());
        for (const auto* h : timers) t_.timers.push_back({std::llround(h->node->when.seconds.value * 1000.0), lower_handler(*h)});
        out.timer_count = static_cast<std::uint32_t>(t_.timers.size() - out.first_timer);
        t_.states.push_back(out);
    }
    t_.first_global_handler = static_cast<std::uint32_t>(t_.handlers.size());
    for (const auto& h : symbols_.globals) collect(h, lower_handler(h), global_on_, global_otherwise_);
    t_.global_handler_count = static_cast<std::uint32_t>(t_.handlers.size() - t_.first_global_handler);
}

// For each state and label, the candidate handlers in priority order: the state's own for the
// label, the globals for it, the state's otherwise, the global otherwise. The table has a row
// per state, but a list of candidates is made only for what a state handles itself; the others
// share one: a state's otherwise and the global otherwise, or, in a state without otherwise,
// the globals for the label and the global otherwise. (dispatch_entries counts the same way.)
void table_builder::lower_dispatch() {
    const auto labels = static_cast<std::uint32_t>(symbols_.label_list.size());
    const auto columns = labels + 1;  // the last column: labels the script does not declare
    t_.label_count = labels;
    auto by_label = [](const candidate& a, const candidate& b) { return a.first < b.first; };
    std::stable_sort(global_on_.begin(), global_on_.end(), by_label);
    std::vector<std::uint32_t> global_first(columns + 1, 0);  // global_on_[global_first[l], global_first[l + 1]): label l's
    for (const auto& c : global_on_) ++global_first[c.first + 1];
    for (std::uint32_t l = 0; l < columns; ++l) global_first[l + 1] += global_first[l];
    auto add = [&](auto&&... parts) {
        const auto first = static_cast<std::uint32_t>(t_.candidates.size());
        (parts(), ...);
        const auto count = static_cast<std::uint32_t>(t_.candidates.size() - first);
        handler_range range;
        range.first_handler = count ? t_.candidates[first] : none;
        range.set_candidates({first, count});
        return range;
    };
    auto globals_for = [&](std::uint32_t label) {
        return [&, label] {
            for (auto i = global_first[label]; i < global_first[label + 1]; ++i) t_.candidates.push_back(global_on_[i].second);
        };
    };
    auto global_otherwise = [&] { t_.candidates.insert(t_.candidates.end(), global_otherwise_.begin(), global_otherwise_.end()); };
    std::vector<std::optional<handler_range>> shared_for_label(columns);  // the globals for it, the global otherwise
    std::optional<handler_range> shared_otherwise;                        // the global otherwise alone
    t_.dispatch.resize(std::size_t{symbols_.state_list.size()} * columns);
    for (std::uint32_t s = 0; s < symbols_.state_list.size(); ++s) {
        if (is_terminal(symbols_.state_list[s].action)) continue;
        auto& own = on_handlers_[s];
        std::stable_sort(own.begin(), own.end(), by_label);
        const auto& otherwise = otherwise_handlers_[s];
        auto state_otherwise = [&] { t_.candidates.insert(t_.candidates.end(), otherwise.begin(), otherwise.end()); };
        if (otherwise.empty() && !shared_otherwise) shared_otherwise = add(global_otherwise);
        const auto fallback = otherwise.empty() ? *shared_otherwise : add(state_otherwise, global_otherwise);
        auto* row = &t_.dispatch[std::size_t{s} * columns];
        for (std::uint32_t label = 0; label < columns; ++label) row[label] = fallback;
        for (std::uint32_t label = 0; label < columns; ++label) {
            if (global_first[label] == global_first[label + 1]) continue;
            if (otherwise.empty()) {
                if (!shared_for_label[label]) shared_for_label[label] = add(globals_for(label), global_otherwise);
                row[label] = *shared_for_label[label];
            } else {
                row[label] = add(globals_for(label), state_otherwise, global_otherwise);
            }
        }
        for (auto it = own.begin(); it != own.end();) {
            const auto label = it->first;
            auto end = it;
            while (end != own.end() && end->first == label) ++end;
            row[label] = add(
                [&] {
                    for (; it != end; ++it) t_.candidates.push_back(it->second);
                },
                globals_for(label), state_otherwise, global_otherwise);
        }
    }
}

void table_builder::lower_settings() {
    const auto& settings = symbols_.settings;
    t_.initial_state = symbols_.initial;
    t_.confidence_threshold = settings.threshold;
    t_.silence_timeout_ms = std::llround(settings.silence_timeout * 1000.0);
    t_.hold_timeout_ms = std::llround(settings.hold_timeout * 1000.0);
    t_.unknown_to_otherwise = settings.unknown_to_otherwise;
    if (const auto it = symbols_.labels.find(settings.below_threshold); it != symbols_.labels.end())
        t_.below_threshold_label = it->second.index;
    if (const auto* confirm = symbols_.confirm) {
        t_.confirm_state = state_index(confirm->target);
        t_.confirm_ask = l_.phrase(confirm->ask, symbols_.confirm_file);
        t_.confirm_repeat = l_.phrase(confirm->repeat, symbols_.confirm_file);
        t_.confirm_where = line_of(symbols_.confirm_file, *confirm);
        t_.accept_label = label_index("accept");
        t_.decline_label = label_index("decline");
    }
    for (const auto& f : symbols_.forbids)
        t_.forbidden_phrases.push_back(
            {l_.intern(f.node->phrase.value), f.folded, l_.intern(f.node->replacement.value), line_of(f.file, *f.node)});
}

// What step()'s quick path reads (session.hpp, quick_step): each handler's guard as one test, the
// phrase it says and what its target is; which dispatch cells it may take whole; and where a label
// heard below the threshold is dispatched. Derived from the tables above, so not fingerprinted.
bool table_builder::lower_plans() {
    auto asks_host = [&](std::uint32_t first, std::uint32_t count) {
        for (auto i = first; i < first + count; ++i)
            if (t_.effects[i].kind == effect_kind::host_action) return true;
        return false;
    };
    for (auto& h : t_.handlers) {
        bool quick = !asks_host(h.first_effect, h.effect_count);
        bool changes = h.effect_count != 0;
        h.says = h.phrase;
        if (h.target != none) {
            const auto& st = t_.states[h.target];
            h.plan |= plan_enters;
            if (is_terminal(st.action)) h.plan |= plan_ends;
            if (st.action == action::hold) h.plan |= plan_holds;
            h.action = st.action;
            quick = quick && st.form == none && !asks_host(st.first_entry_effect, st.entry_effect_count);
            changes = changes || st.entry_effect_count != 0;
            if (h.says == none) h.says = st.entry;
        }
        if (quick) h.plan |= plan_quick;
        if (changes) h.plan |= plan_changes;
        bool counts = h.target == none || t_.states[h.target].entry_effect_count == 0;
        for (auto i = h.first_effect; i < h.first_effect + h.effect_count; ++i)
            counts = counts && (t_.effects[i].kind == effect_kind::increment || t_.effects[i].kind == effect_kind::reset);
        if (changes && counts) h.plan |= plan_counts;
        if (h.says != none && t_.phrases[h.says].rotation == none) h.says_text = t_.phrases[h.says].first_text;
        if (h.says == none) {
            h.plan |= plan_said;
        } else if (h.says_text != none) {
            const auto& first = t_.texts[h.says_text];
            bool same = !first.has_placeholders;
            for (std::size_t l = 1; same && l < t_.languages.size(); ++l) {
                const auto& other = t_.texts[h.says_text + l];
                same = !other.has_placeholders && t_.str(other.whole) == t_.str(first.whole);
            }
            if (same) {
                h.plan |= plan_said;
                h.said = first.whole;
            }
        }
        if (h.guard == none) {
            if (!changes) h.plan |= plan_plain;
            continue;
        }
        const auto& g = t_.guards[h.guard];
        if (g.op == guard_op::counter_cmp) {  // a counter is 0 to 255: any number outside compares as -1 or 256 does
            h.test = quick_test::counter;
            h.operand = g.a;
            h.value = static_cast<double>(std::clamp<std::int64_t>(g.number, -1, 256));
            h.cmp = g.cmp;
        } else if (g.op == guard_op::confidence_cmp) {
            h.test = quick_test::confidence;
            h.value = g.real;
            h.cmp = g.cmp;
        } else if (g.op != guard_op::always) {
            h.test = quick_test::guard;
            h.operand = h.guard;
        }
    }
    // A text whose placeholders are all variables, rendered with the script's values for them;
    // one that also reads slots, the same with no slot known; one that says the intent a
    // confirmation asks about (and no slot), once for each label.
    struct defaults {
        const script_tables& t;
        std::uint8_t language;
        std::uint32_t subject = none;
        [[nodiscard]] std::string_view variable(std::uint32_t i) const {
            return t.str(t.variable_defaults[i * t.languages.size() + language]);
        }
        [[nodiscard]] std::string_view slot(std::uint32_t) const { return {}; }
        [[nodiscard]] std::string_view description() const {
            return subject == none ? std::string_view() : t.str(t.texts[t.labels[subject].first_description + language].whole);
        }
    };
    // What is said ahead is measured before anything is rendered: a text of many placeholders
    // with long defaults, or a question said once per intent, renders far more than its bytes.
    auto measure = [&](const text& x, std::uint32_t subject) {
        std::size_t size = 0;
        detail::for_each_said(t_, x, defaults{t_, x.language, subject}, [&](std::string_view piece) { size += piece.size(); });
        return size;
    };
    const auto limit = limits_.max_rendered_bytes;
    std::size_t total = 0;
    auto over = [&](std::uint32_t text_index, std::size_t size, const char* what) {
        total += size;
        if (total <= limit) return false;
        sink_.error(l_.text_origins[text_index],
                    fmt::format("the phrases said as compiled would add up to more than the limit of {} bytes: "
                                "{} {} bytes",
                                limit, what, size));
        return true;
    };
    std::vector<std::uint32_t> questions;  // read the intent, and no slot
    for (std::uint32_t i = 0; i < t_.texts.size(); ++i) {
        auto& x = t_.texts[i];
        if (!x.has_placeholders) continue;
        bool slot = false, intent = false;
        for (auto j = x.first_segment; j < x.first_segment + x.segment_count; ++j) {
            const auto kind = t_.segments[j].kind;
            slot = slot || kind == segment_kind::slot || kind == segment_kind::unless_slot || kind == segment_kind::unless_slot_is;
            intent = intent || kind == segment_kind::intent_description;
        }
        x.variables_only = !slot && !intent;
        x.reads_slots = slot && !intent;
        if (!intent) {
            if (over(i, measure(x, none), "with the variables' defaults this text says")) return false;
        } else if (!slot) {
            questions.push_back(i);
        }
    }
    const bool by_subject = questions.size() * t_.labels.size() <= max_subject_texts;
    if (by_subject && !questions.empty()) {
        std::vector<std::size_t> descriptions(t_.languages.size(), 0);  // by language: all labels' together
        for (const auto& label : t_.labels)
            for (std::size_t lang = 0; lang < descriptions.size(); ++lang)
                descriptions[lang] += t_.str(t_.texts[label.first_description + lang].whole).size();
        for (const auto i : questions) {
            const auto& x = t_.texts[i];
            std::size_t asks = 0;
            for (auto j = x.first_segment; j < x.first_segment + x.segment_count; ++j)
                asks += t_.segments[j].kind == segment_kind::intent_description;
            // The same text for every label but for its descriptions (conditional parts read variables only).
            const auto size = measure(x, none) * t_.labels.size() + asks * descriptions[x.language];
            if (over(i, size, "asked about each intent and event, this question says")) return false;
        }
    }
    std::string rendered;
    auto render = [&](const text& x, std::uint32_t subject) {
        return l_.intern(
            detail::render([&](std::size_t size) { return detail::room_in(rendered, size); }, t_, x, defaults{t_, x.language, subject}));
    };
    for (auto& x : t_.texts)
        if (x.has_placeholders && (x.variables_only || x.reads_slots)) x.by_default = render(x, none);
    if (by_subject)
        for (const auto i : questions) {
            auto& x = t_.texts[i];
            x.by_subject = static_cast<std::uint32_t>(t_.subject_texts.size());
            for (std::uint32_t label = 0; label < t_.labels.size(); ++label) t_.subject_texts.push_back(render(x, label));
        }
    // Cells share candidate lists (lower_dispatch), and lists do not overlap: each list is judged
    // once, by its first candidate, so that this stays linear in the table however many cells share.
    enum : std::uint8_t { unknown, slow, fast };
    std::vector<std::uint8_t> judged(t_.candidates.size(), unknown);
    auto quick = [&](const handler_range& range) {
        const auto [first, count] = range.candidates();
        if (count == 0) return true;
        auto& verdict = judged[first];
        if (verdict == unknown) {
            verdict = fast;
            for (auto i = first; i < first + count; ++i)
                if (!(t_.handlers[t_.candidates[i]].plan & plan_quick)) verdict = slow;
        }
        return verdict == fast;
    };
    const auto columns = t_.label_columns();
    for (std::uint32_t s = 0; s < t_.states.size(); ++s) {
        const auto& st = t_.states[s];
        if (is_terminal(st.action)) continue;                        // no step comes there
        if (st.form != none || t_.state_count_bytes != 0) continue;  // they watch for `otherwise`: the full path
        for (std::size_t label = 0; label < columns; ++label) {
            auto& range = t_.dispatch[s * columns + label];
            range.quick = !quick(range) ? quick_cell::no : s == t_.confirm_state ? quick_cell::unless_asking : quick_cell::yes;
            range.action = st.action;
            if (range.quick != quick_cell::yes || range.candidates().count == 0) continue;
            const auto& h = t_.handlers[range.first_handler];
            if ((h.plan & plan_plain) && (h.plan & plan_said)) {
                range.set_direct(h.said);
                if (h.target != none) range.target = static_cast<std::uint16_t>(h.target), range.action = h.action;
            }
        }
    }
    t_.low_confidence_column.resize(t_.label_count);
    for (std::uint32_t label = 0; label < t_.label_count; ++label) {
        auto& column = t_.low_confidence_column[label];
        column = label;
        if (t_.labels[label].is_event) continue;
        if (t_.confirm_state != none)
            column = none;
        else if (t_.below_threshold_label != none)
            column = t_.below_threshold_label;
    }
    return true;
}

// Over what gives a snapshot's indices their meaning.
std::uint64_t table_builder::fingerprint() const {
    fnv1a f;
    for (const auto& s : symbols_.state_list) f.add(s.node->name.text), f.add(s.handlers.size());
    for (const auto& s : symbols_.label_list) f.add(s.name);
    for (const auto& s : symbols_.languages) f.add(s);
    for (const auto& s : symbols_.counters) f.add(s);
    for (const auto& s : symbols_.slots) f.add(s);
    for (const auto& s : symbols_.variables) f.add(s);
    for (const auto& p : t_.phrases) f.add(p.variant_count), f.add(p.rotation);
    for (const auto& s : t_.states) f.add(s.timer_count);
    return f.value();
}

void table_builder::index_names() {
    auto index = [&](name_index& into, const std::vector<string_ref>& names) {
        into.reserve(names.size());
        for (std::uint32_t i = 0; i < names.size(); ++i) into.emplace(std::string(t_.str(names[i])), i);
    };
    for (std::uint32_t i = 0; i < t_.states.size(); ++i) t_.state_index.emplace(std::string(t_.str(t_.states[i].name)), i);
    for (std::uint32_t i = 0; i < t_.labels.size(); ++i) t_.label_index.emplace(std::string(t_.str(t_.labels[i].name)), i);
    index(t_.language_index, t_.languages);
    index(t_.slot_index, t_.slots);
    index(t_.counter_index, t_.counters);
    index(t_.variable_index, t_.variables);
}

}  // namespace

std::size_t dispatch_entries(const symbol_table& symbols) {
    const auto columns = symbols.label_list.size() + 1;
    auto label_of = [&](const std::string& name) {
        const auto it = symbols.labels.find(name);
        return it == symbols.labels.end() ? columns - 1 : std::size_t{it->second.index};
    };
    std::vector<std::size_t> globals(columns, 0);
    std::size_t global_otherwise = 0, global_entries = 0, global_labels = 0;
    for (const auto& h : symbols.globals) {
        if (h.node->when.kind == ast::trigger_kind::otherwise) ++global_otherwise;
        if (h.node->when.kind == ast::trigger_kind::on)
            for (const auto& l : h.node->when.labels) global_labels += globals[label_of(l.text)]++ == 0, ++global_entries;
    }
    std::size_t n = symbols.state_list.size() * columns + global_otherwise + global_entries + global_labels * global_otherwise;
    std::vector<std::size_t> own;
    for (const auto& st : symbols.state_list) {
        if (is_terminal(st.action)) continue;
        std::size_t otherwise = 0;
        own.clear();
        for (const auto& h : st.handlers) {
            if (h.node->when.kind == ast::trigger_kind::otherwise) ++otherwise;
            if (h.node->when.kind == ast::trigger_kind::on)
                for (const auto& l : h.node->when.labels) own.push_back(label_of(l.text));
        }
        const auto fallback = otherwise + global_otherwise;
        if (otherwise > 0) n += fallback + global_entries + global_labels * fallback;
        std::sort(own.begin(), own.end());
        for (std::size_t i = 0; i < own.size();) {
            const auto label = own[i];
            const auto first = i;
            while (i < own.size() && own[i] == label) ++i;
            n += (i - first) + globals[label] + fallback;
        }
    }
    return n;
}

std::unique_ptr<const script_tables> lower(const parsed_files& files, const symbol_table& symbols, const compile_limits& limits,
                                           diagnostic_sink& sink) {
    return table_builder(files, symbols, limits, sink).build();
}

}  // namespace parley::pipeline
