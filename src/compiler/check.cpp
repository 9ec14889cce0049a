// Phase 3, check: takes parsed_files and the symbol_table, both const, and gives the usage that
// later phases need (which intents and events are handled). Every semantic error of a declared
// script is found here: names that resolve to nothing, phrases, guards, timers, handlers that
// can never fire. Nothing but the diagnostic sink is written.
#include "pipeline.hpp"
#include "text.hpp"

#include <parley/detail/guard.hpp>
#include <parley/detail/utf8.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/topological_sort.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <set>
#include <unordered_set>

namespace parley::pipeline {

namespace {

// Which of the edges `from -> to` between `vertices` states lie on a circle: both ends in one
// strongly connected component (Boost.Graph) of more than one state, or an edge to itself.
std::vector<bool> on_circles(std::size_t vertices, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& edges) {
    using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
    graph g(vertices);
    for (const auto& [from, to] : edges) boost::add_edge(from, to, g);
    std::vector<std::size_t> component(vertices);
    const auto count = boost::strong_components(g, boost::make_iterator_property_map(component.begin(), get(boost::vertex_index, g)));
    std::vector<std::size_t> size(count, 0);
    for (auto c : component) ++size[c];
    std::vector<bool> out;
    for (const auto& [from, to] : edges) out.push_back(component[from] == component[to] && (from == to || size[component[from]] > 1));
    return out;
}

std::vector<std::string_view> choices_of(const ast::value_type& type) {
    std::vector<std::string_view> out;
    for (const auto& c : type.choices) out.push_back(c.text);
    return out;
}
// "a number", "one of basic, premium", "any text": what a type takes, as the runtime says it.
std::string type_text(const ast::value_type& type) {
    if (type.number) return "a number";
    if (type.choices.empty()) return "any text";
    return "one of " + list_text(choices_of(type));
}

// Where `f` first occurs in `text` (fold_for_matching) as whole words, as detail::find_words
// says, but in O(text + phrase) whatever the text: Knuth-Morris-Pratt over f.failure.
std::size_t find_whole_words(const std::u32string& text, const forbidden_phrase& f) {
    const auto& words = f.folded;
    if (words.empty()) return std::u32string::npos;
    std::size_t k = 0;  // how much of `words` ends at text[i]
    for (std::size_t i = 0; i < text.size(); ++i) {
        while (k > 0 && text[i] != words[k]) k = f.failure[k - 1];
        if (text[i] == words[k]) ++k;
        if (k < words.size()) continue;
        const auto start = i + 1 - k, end = i + 1;
        const bool starts_word = start == 0 || !detail::is_word_char(words.front()) || !detail::is_word_char(text[start - 1]);
        const bool ends_word = end == text.size() || !detail::is_word_char(words.back()) || !detail::is_word_char(text[end]);
        if (starts_word && ends_word) return start;
        k = f.failure[k - 1];
    }
    return std::u32string::npos;
}

// How many earlier counter guards for one trigger a guard is compared with (check_shadowing).
constexpr std::size_t max_compared_guards = 256;

class checker {
public:
    checker(const parsed_files& files, const symbol_table& symbols, const compile_options& options, diagnostic_sink& sink)
        : files_(files), symbols_(symbols), options_(options), sink_(sink) {
        used_.label_handled.resize(symbols.label_list.size());
    }

    [[nodiscard]] usage run() {
        check_initial();
        // Past the sink's cap nothing more is shown: the checks stop, so that a file of errors
        // costs no more than its first ones.
        for (const auto& s : symbols_.state_list)
            if (!sink_.full()) check_state(s);
        for (const auto& h : symbols_.globals)
            if (!sink_.full()) check_handler(h, true);
        if (sink_.full()) return std::move(used_);
        check_groups();
        check_forms_chain();
        check_shadowing(symbols_.globals);
        check_confirm();
        check_descriptions();
        check_value_types();
        check_holds();
        check_silence_timeout();
        check_counters();
        check_dispatch_size();
        if (!sink_.failed())  // the guards' names resolve
            for (const auto& s : symbols_.state_list)
                if (!s.node->fields.empty()) check_form_completes(symbols_, s, sink_);
        return std::move(used_);
    }

private:
    void check_initial();
    void check_state(const state_info& s);
    void check_handler(const handler_ref& h, bool global);
    void check_trigger(const handler_ref& h, bool global);
    void check_clauses(const handler_ref& h);
    void check_entry(const state_info& s);
    void check_effect(const ast::clause& clause, std::uint32_t file);
    bool check_indentation(const handler_ref& h, const ast::clause& clause);
    void check_phrase(const ast::phrase& p, std::uint32_t file, bool allow_intent, bool is_hint);
    void check_text(const ast::text& t, std::uint32_t file, bool allow_intent, bool is_hint);
    bool check_placeholders(const ast::text& t, std::uint32_t file, bool allow_intent, bool is_hint);
    void check_part_value(const template_piece& piece, const value_symbol& named, const origin& here);
    void check_forbidden(const ast::string_literal& text, std::uint32_t file);
    void check_guard(const ast::disjunction& g, std::uint32_t file);
    void check_comparison(const ast::comparison& cmp, std::uint32_t file);
    void check_values_compared(const ast::comparison& cmp, const value_symbol& v, const ast::identifier& other, std::uint32_t file);
    void check_shadowing(const std::vector<handler_ref>& handlers);
    void check_empty_slots(const handler_ref& h, const ast::phrase& p);
    using counter_values = std::map<std::string, std::bitset<256>, std::less<>>;
    [[nodiscard]] std::optional<counter_values> counter_constraints(const ast::disjunction& g) const;
    void check_confirm();
    void check_action(const ast::do_clause& action, std::uint32_t file);
    void check_confirm_target();
    void check_below_threshold();
    void check_descriptions();
    void check_value_types();
    void check_set_type(const ast::set_clause& set, std::uint32_t file);
    void check_set_text(const ast::set_clause& set, std::uint32_t file);
    void check_fits(const ast::value_type& type, const std::string& what, const ast::string_literal& value, std::uint32_t file);
    void check_groups();
    void check_form(const state_info& s);
    void check_forms_chain();
    void check_holds();
    void check_confirmed_descriptions();
    void check_silence_timeout();
    void check_counters();
    void check_dispatch_size();

    // Whether `value` is one of the type's choices: a lookup in a set made once per type, so that
    // many guards over a slot of many values cost a lookup each, not a pass over the values.
    [[nodiscard]] bool takes(const ast::value_type& type, std::string_view value) {
        auto [it, made] = choice_sets_.try_emplace(&type);
        if (made)
            for (const auto& c : type.choices) it->second.insert(c.text);
        return it->second.count(value) != 0;
    }

    void need_state(const ast::identifier& name, std::uint32_t file) {
        if (sink_.full()) return;
        if (name.text != "stay" && !symbols_.states.count(name.text))
            sink_.error(at(file, name), fmt::format("undefined state '{}'{}", name.text, suggest(name.text, keys_of(symbols_.states))));
    }
    void need_value(const ast::identifier& name, std::uint32_t file, value_kind kind, const char* what) {
        const auto* v = symbols_.find_value(name.text);
        if (sink_.full()) return;
        if (!v)
            sink_.error(at(file, name), fmt::format("undefined {} '{}'{}", what, name.text, suggest(name.text, keys_of(symbols_.values))));
        else if (v->kind != kind)  // declared, as something else: suggesting its own name would not help
            sink_.error(at(file, name), fmt::format("'{}' is a {}, not a {}", name.text, kind_name(v->kind), what));
    }
    [[nodiscard]] const std::string& language_of(const ast::text& t) const {
        return t.language.empty() ? symbols_.settings.language : t.language;
    }

    const parsed_files& files_;
    const symbol_table& symbols_;
    const compile_options& options_;
    diagnostic_sink& sink_;
    usage used_;
    std::size_t phrase_bytes_ = 0;    // the texts check_forbidden saw
    std::size_t screening_work_ = 0;  // their bytes times the forbidden phrases
    bool over_phrase_bytes_ = false;
    bool over_screening_work_ = false;
    std::map<const ast::value_type*, std::unordered_set<std::string_view>> choice_sets_;  // takes()
};

void checker::check_initial() {
    if (symbols_.initial == none && !symbols_.state_list.empty()) {
        const auto& first = symbols_.state_list.front();
        sink_.error(at(first.file, first.node->name), "no state is marked 'initial'; mark the state where a call starts");
    } else if (symbols_.state_list.empty()) {
        sink_.error({0, 0, 1}, "the script declares no state");
    }
}

void checker::check_state(const state_info& s) {
    if (s.node->entry) check_phrase(*s.node->entry, s.file, false, false);
    if (!s.node->fields.empty()) check_form(s);
    check_entry(s);
    if (is_terminal(s.action) && !s.handlers.empty())
        sink_.error(at(s.file, *s.handlers.front().node),
                    fmt::format("terminal state '{}' cannot have handlers: the call has ended there", s.node->name.text));
    std::size_t timers = 0;
    for (const auto& h : s.handlers) {
        if (!h.shared) check_handler(h, false);
        timers += h.node->when.kind == ast::trigger_kind::after;
    }
    if (const auto limit = options_.limits.max_timers_per_state; timers > limit)
        sink_.error(at(s.file, s.node->name), fmt::format("state '{}' has more than {} timers", s.node->name.text, limit));
    if (!sink_.full()) check_shadowing(s.handlers);
}

void checker::check_handler(const handler_ref& h, bool global) {
    check_trigger(h, global);
    if (h.node->guard) {
        check_guard(*h.node->guard, h.file);
        if (const auto allowed = counter_constraints(*h.node->guard))
            for (const auto& [counter, values] : *allowed)
                if (values.none()) {
                    sink_.warning(at(h.file, *h.node->guard),
                                  fmt::format("this guard can never hold: no value of counter '{}' (0 to 255) satisfies it", counter));
                    break;
                }
    }
    need_state(h.node->target, h.file);
    check_clauses(h);
}

void checker::check_trigger(const handler_ref& h, bool global) {
    const auto& when = h.node->when;
    switch (when.kind) {
        case ast::trigger_kind::on:
            for (const auto& l : when.labels) {
                if (sink_.full()) break;
                const auto it = symbols_.labels.find(l.text);
                if (it == symbols_.labels.end())
                    sink_.error(at(h.file, l),
                                fmt::format("undefined intent or event '{}'{}", l.text, suggest(l.text, keys_of(symbols_.labels))));
                else
                    used_.label_handled[it->second.index] = true;
            }
            break;
        case ast::trigger_kind::after: {
            const auto hold_timeout = symbols_.settings.hold_timeout;
            if (global)
                sink_.error(at(h.file, when), "a timer belongs to a state, not to 'global'");
            else if (!(when.seconds.value > 0 && when.seconds.value <= 86400))
                sink_.error(at(h.file, when.seconds), "a timer needs a number of seconds from 0 to 86400 (more than 0)");
            else if (h.owner != none && symbols_.state_list[h.owner].action == action::hold && when.seconds.value > hold_timeout)
                sink_.error(at(h.file, when.seconds),
                            fmt::format("a hold must not last longer than hold_timeout ({} s)", number_text(hold_timeout)));
            break;
        }
        case ast::trigger_kind::otherwise:
            if (h.owner != none && !symbols_.state_list[h.owner].node->fields.empty())
                sink_.error(at(h.file, when), "a form has no 'otherwise': it asks again for what it still lacks");
            break;
        case ast::trigger_kind::complete:
            if (global || h.owner == none || symbols_.state_list[h.owner].node->fields.empty())
                sink_.error(at(h.file, when), "'complete' belongs to a form: a state with 'ask' lines");
            break;
    }
}

// The keyword a clause starts with, and where it is.
const ast::tagged& clause_node(const ast::clause& clause) {
    return boost::apply_visitor([](const auto& c) -> const ast::tagged& { return c; }, clause);
}
const char* clause_keyword(const ast::clause& clause) {
    if (boost::get<ast::say_clause>(&clause)) return "say";
    if (boost::get<ast::hint_clause>(&clause)) return "hint";
    if (const auto* c = boost::get<ast::counter_clause>(&clause)) return c->verb == ast::counter_verb::increment ? "increment" : "reset";
    if (boost::get<ast::keep_clause>(&clause)) return "keep";
    if (boost::get<ast::clear_clause>(&clause)) return "clear";
    if (boost::get<ast::do_clause>(&clause)) return "do";
    return "set";
}
const char* trigger_keyword(ast::trigger_kind kind) {
    switch (kind) {
        case ast::trigger_kind::on: return "on";
        case ast::trigger_kind::otherwise: return "otherwise";
        case ast::trigger_kind::after: return "after";
        case ast::trigger_kind::complete: return "complete";
    }
    return "on";
}

// A clause on a line after its handler's must be indented more than the handler's keyword: the
// grammar gives every clause after a handler to that handler, so a state's entry 'say' written
// after the handlers would otherwise become the last handler's phrase without a word.
bool checker::check_indentation(const handler_ref& h, const ast::clause& clause) {
    const auto& source = *files_.sources[h.file];
    const auto& node = clause_node(clause);
    const auto& when = h.node->when;
    if (source.line_of(node.offset) == source.line_of(when.offset) || source.column_of(node.offset) > source.column_of(when.offset))
        return true;
    const std::string keyword = clause_keyword(clause);
    if (keyword == "say" && h.owner != none)
        sink_.error(at(h.file, node),
                    "this 'say' is indented like the state's statements, after its handlers; a state's own 'say' goes "
                    "before its first 'on', and a handler's 'say' is indented under it");
    else
        sink_.error(at(h.file, node), fmt::format("this '{}' is not indented under its handler; a handler's clauses are indented more "
                                                  "than its '{}'",
                                                  keyword, trigger_keyword(when.kind)));
    sink_.note(at(h.file, when), "the handler it would belong to");
    return false;
}

void checker::check_clauses(const handler_ref& h) {
    int says = 0, hints = 0;
    for (const auto& clause : h.node->clauses) {
        if (!check_indentation(h, clause)) continue;
        if (const auto* say = boost::get<ast::say_clause>(&clause)) {
            if (++says == 2) sink_.error(at(h.file, *say), "a handler says one phrase; separate variants with '|'");
            check_phrase(say->what, h.file, false, false);
            check_empty_slots(h, say->what);
        } else if (const auto* hint = boost::get<ast::hint_clause>(&clause)) {
            if (++hints == 2) sink_.error(at(h.file, *hint), "a handler has one hint");
            check_phrase(hint->what, h.file, false, true);
        } else {
            check_effect(clause, h.file);
        }
    }
}

// A state's entry clauses: at most one hint, then what a handler's clauses may change.
void checker::check_entry(const state_info& s) {
    int hints = 0;
    for (const auto& clause : s.node->entry_clauses) {
        if (const auto* hint = boost::get<ast::hint_clause>(&clause)) {
            if (++hints == 2)
                sink_.error(at(s.file, *hint), fmt::format("state '{}' already has its hint; a state has one hint", s.node->name.text));
            check_phrase(hint->what, s.file, false, true);
        } else {
            check_effect(clause, s.file);
        }
    }
}

// A clause that changes the call or asks the host for something, in a handler or a state's entry.
void checker::check_effect(const ast::clause& clause, std::uint32_t file) {
    if (const auto* count = boost::get<ast::counter_clause>(&clause)) {
        need_value(count->counter, file, value_kind::counter, "counter");
    } else if (const auto* keep = boost::get<ast::keep_clause>(&clause)) {
        for (const auto& slot : keep->slots) need_value(slot, file, value_kind::slot, "slot");
    } else if (const auto* set = boost::get<ast::set_clause>(&clause)) {
        need_value(set->variable, file, value_kind::variable, "variable");
        if (!set->copies) check_set_text(*set, file);
        if (set->copies) need_value(set->from, file, value_kind::slot, "slot");
        check_set_type(*set, file);
    } else if (const auto* clear = boost::get<ast::clear_clause>(&clause)) {
        for (const auto& slot : clear->slots) need_value(slot, file, value_kind::slot, "slot");
    } else if (const auto* action = boost::get<ast::do_clause>(&clause)) {
        check_action(*action, file);
    }
}

void checker::check_phrase(const ast::phrase& p, std::uint32_t file, bool allow_intent, bool is_hint) {
    const auto& limits = options_.limits;
    if (is_hint && p.variants.size() > 1) sink_.error(at(file, p.variants[1]), "a hint has one variant");
    if (p.variants.size() > limits.max_variants)
        sink_.error(at(file, p), fmt::format("a phrase may have at most {} variants", limits.max_variants));
    for (const auto& v : p.variants) {
        std::set<std::string> seen;
        bool has_default = false;
        for (const auto& t : v.texts) {
            const auto& lang = language_of(t);
            if (!t.language.empty() && !valid_language_tag(t.language)) {
                sink_.error(at(file, t), fmt::format("'{}' is not a language tag such as 'ru' or 'pt-BR'", t.language));
                continue;
            }
            if (!seen.insert(lang).second) sink_.error(at(file, t), fmt::format("language '{}' appears twice in one variant", lang));
            has_default = has_default || lang == symbols_.settings.language;
            check_text(t, file, allow_intent, is_hint);
        }
        if (!has_default)
            sink_.error(at(file, v), fmt::format("phrase has no text in the default language '{}'", symbols_.settings.language));
    }
}

void checker::check_text(const ast::text& t, std::uint32_t file, bool allow_intent, bool is_hint) {
    if (const auto limit = options_.limits.max_phrase_bytes; t.value.value.size() > limit)
        sink_.error(at(file, t.value), fmt::format("phrase is longer than {} bytes", limit));
    if (check_placeholders(t, file, allow_intent, is_hint) && !is_hint) check_forbidden(t.value, file);
}

// False when the text is no template at all (an unmatched brace).
bool checker::check_placeholders(const ast::text& t, std::uint32_t file, bool allow_intent, bool is_hint) {
    std::vector<template_piece> pieces;
    template_error bad;
    const auto& value = t.value.value;
    if (!split_template(value, pieces, bad)) {
        const origin here{file, t.value.offset + 1 + bad.where, bad.size};
        if (bad.fault == template_fault::nested)
            sink_.error(here, "a conditional part cannot contain another; write them one after the other");
        else if (bad.fault == template_fault::empty)
            sink_.error(here, "this conditional part says nothing: write the text after '?', as in '{name?Thank you, {name}.}'");
        else
            sink_.error(here, fmt::format("unmatched '{}' in a phrase; write '{}' for a literal brace", value[bad.where],
                                          std::string(2, value[bad.where])));
        return false;
    }
    for (const auto& piece : pieces) {
        if (!piece.reads_value()) continue;
        const origin here{file, t.value.offset + 1 + piece.where, piece.size};
        if (is_hint) {
            sink_.error(here, "a hint cannot have placeholders");
            break;
        }
        if (piece.kind == piece_kind::placeholder && piece.text == "intent") {
            if (!allow_intent) sink_.error(here, "'{intent}' can only be used in the 'ask' phrase of 'confirm'");
            continue;
        }
        const auto* named = symbols_.find_value(piece.text);
        if (!named)
            sink_.error(here, fmt::format("placeholder '{{{}}}' names no variable or slot{}", piece.text,
                                          suggest(piece.text, keys_of(symbols_.values))));
        else if (named->kind == value_kind::counter)
            sink_.error(here, fmt::format("'{}' is a counter; phrases show slots and variables", piece.text));
        else if (piece.has_value)
            check_part_value(piece, *named, here);
    }
    return true;
}

// `{level=gold?...}`: a value the slot or variable can have.
void checker::check_part_value(const template_piece& piece, const value_symbol& named, const origin& here) {
    const auto& type = *symbols_.type_of(named);
    double number = 0;
    if (piece.value.empty())
        sink_.error(here, fmt::format("write the value after '=', as in '{{{}=VALUE?...}}'; '{{{}?...}}' is said whenever it has one",
                                      piece.text, piece.text));
    else if (type.number && !detail::number_in(piece.value, number))
        sink_.error(here, fmt::format("{} '{}' is a number: '{}' is none", kind_name(named.kind), piece.text, piece.value));
    else if (const auto choices = choices_of(type);
             !choices.empty() && std::find(choices.begin(), choices.end(), piece.value) == choices.end())
        sink_.error(here, fmt::format("'{}' is not a value of {} '{}' ({}){}", piece.value, kind_name(named.kind), piece.text,
                                      fmt::join(choices, ", "), suggest(piece.value, choices)));
}

// Whatever the operator may end up saying: phrases, variable defaults, `set` values. A forbidden
// phrase counts as whole words, whatever their case and spacing; the caret is on the match.
// Each text is folded once and searched for each forbidden phrase in time linear in both (KMP);
// the phrases' bytes and that work have limits of their own.
void checker::check_forbidden(const ast::string_literal& text, std::uint32_t file) {
    const auto& limits = options_.limits;
    phrase_bytes_ += text.value.size();
    if (phrase_bytes_ > limits.max_total_phrase_bytes) {
        if (!over_phrase_bytes_)
            sink_.error(at(file, text), fmt::format("the script's phrases add up to more than {} bytes", limits.max_total_phrase_bytes));
        over_phrase_bytes_ = true;
        return;
    }
    if (symbols_.forbids.empty() || sink_.full()) return;
    screening_work_ += (text.value.size() + 1) * symbols_.forbids.size();
    if (screening_work_ > limits.max_screening_work) {
        if (!over_screening_work_)
            sink_.error(at(file, text), fmt::format("too much text to screen for {} forbidden phrases (the limit is {} bytes of phrases "
                                                    "times forbidden phrases)",
                                                    symbols_.forbids.size(), limits.max_screening_work));
        over_screening_work_ = true;
        return;
    }
    std::u32string folded;
    std::basic_string<std::uint32_t> offsets;
    detail::fold_for_matching(text.value, folded, &offsets);
    for (const auto& f : symbols_.forbids) {
        const auto first = find_whole_words(folded, f);
        if (first == std::u32string::npos) continue;
        const auto begin = offsets[first], end = offsets[first + f.folded.size()];
        sink_.error({file, text.offset + 1 + begin, std::max<std::uint32_t>(1, end - begin)},
                    fmt::format("phrase contains the forbidden phrase '{}'; say '{}' instead", echo(f.node->phrase.value),
                                echo(f.node->replacement.value)));
        sink_.note(at(f.file, *f.node), "forbidden here");
    }
}

void checker::check_guard(const ast::disjunction& g, std::uint32_t file) {
    struct visitor {
        checker& c;
        std::uint32_t file;
        void operator()(const ast::comparison& cmp) const { c.check_comparison(cmp, file); }
        void operator()(const ast::known_check& k) const { need_slot(k.name); }
        void need_slot(const ast::identifier& name) const {
            const auto* v = c.symbols_.find_value(name.text);
            if (!v || v->kind != value_kind::slot)
                c.sink_.error(at(file, name), fmt::format("'{}' is not a slot; known() takes a slot{}", name.text,
                                                          v ? "" : suggest(name.text, keys_of(c.symbols_.values))));
        }
        void operator()(const ast::known_count& k) const {
            for (const auto& name : k.names) need_slot(name);
            if (k.value.value != std::floor(k.value.value) || k.value.value < 0 || k.value.value > double(k.names.size()))
                c.sink_.error(at(file, k), fmt::format("known(...) counts {} slots: compare it with a whole number from 0 to {}",
                                                       k.names.size(), k.names.size()));
        }
        void operator()(const ast::negation& n) const { boost::apply_visitor(*this, n.subject); }
        void operator()(const ast::disjunction& d) const { c.check_guard(d, file); }
    };
    for (const auto& conj : g.terms)
        for (const auto& term : conj.terms) boost::apply_visitor(visitor{*this, file}, term);
}

void checker::check_comparison(const ast::comparison& cmp, std::uint32_t file) {
    const auto* v = symbols_.find_value(cmp.subject.text);
    const auto* number = boost::get<ast::number_literal>(&cmp.value);
    if (!v && (cmp.subject.text == "no_match" || cmp.subject.text == "no_input")) {  // the state's counts
        if (!number || number->value != std::floor(number->value) || number->value < 0 || number->value > 255)
            sink_.error(at(file, cmp), fmt::format("'{}' compares with a whole number from 0 to 255", cmp.subject.text));
        else if (cmp.subject.text == "no_input" && !symbols_.labels.count("silence"))
            sink_.error(at(file, cmp.subject), "'no_input' counts the 'silence' intent or event, which the script does not declare");
        return;
    }
    if (!v && cmp.subject.text == "confidence") {  // the utterance's, unless the script names something so
        if (!number || !(number->value >= 0 && number->value <= 1))
            sink_.error(at(file, cmp), "'confidence' compares with a number from 0 to 1");
        return;
    }
    if (!v) {
        sink_.error(at(file, cmp.subject), fmt::format("undefined counter, slot or variable '{}'{}", cmp.subject.text,
                                                       suggest(cmp.subject.text, keys_of(symbols_.values))));
        return;
    }
    if (const auto* other = boost::get<ast::identifier>(&cmp.value)) {
        check_values_compared(cmp, *v, *other, file);
        return;
    }
    const auto* typed = symbols_.type_of(*v);
    if (typed && typed->number) {
        if (!number)
            sink_.error(at(file, cmp), fmt::format("{} '{}' is a number and compares with a number", kind_name(v->kind), cmp.subject.text));
        return;
    }
    if (typed && !typed->choices.empty() && !number) {
        const auto& value = boost::get<ast::string_literal>(cmp.value).value;
        if (!takes(*typed, value)) {
            const auto choices = choices_of(*typed);
            sink_.error(at(file, cmp), fmt::format("'{}' is not a value of {} '{}' ({}){}", echo(value), kind_name(v->kind),
                                                   cmp.subject.text, list_text(choices), suggest(value, choices)));
        }
    }
    if (v->kind == value_kind::counter) {
        if (!number)
            sink_.error(at(file, cmp), fmt::format("counter '{}' compares with a number", cmp.subject.text));
        else if (const auto n = number->value; n != std::floor(n) || n < 0 || n > 255)
            sink_.error(at(file, cmp), fmt::format("counter '{}' compares with a whole number from 0 to 255", cmp.subject.text));
    } else {
        const char* kind = v->kind == value_kind::slot ? "slot" : "variable";
        if (number)
            sink_.error(at(file, cmp), fmt::format("{} '{}' holds text and compares with a string; to compare it with numbers, declare "
                                                   "it '{} {}: number'",
                                                   kind, cmp.subject.text, kind, cmp.subject.text));
        else if (cmp.op != ast::compare_op::eq && cmp.op != ast::compare_op::ne)
            sink_.error(at(file, cmp), fmt::format("{} '{}' compares only with '==' or '!='; a {} declared ': number' compares as a number",
                                                   kind, cmp.subject.text, kind));
    }
}

// `days <= window`, `email == backup_email`: two values compared, as numbers (counters, number
// slots and variables: while either has no number, no comparison holds) or as text ('==' and
// '!=' only; an unknown value is empty).
void checker::check_values_compared(const ast::comparison& cmp, const value_symbol& v, const ast::identifier& other_name,
                                    std::uint32_t file) {
    const auto* other = symbols_.find_value(other_name.text);
    if (!other) {
        sink_.error(at(file, other_name), fmt::format("undefined counter, slot or variable '{}'{}", other_name.text,
                                                      suggest(other_name.text, keys_of(symbols_.values))));
        return;
    }
    auto is_number = [&](const value_symbol& x) { return x.kind == value_kind::counter || symbols_.type_of(x)->number; };
    auto what = [&](const value_symbol& x, const std::string& name) {
        return fmt::format("{} '{}' {}", kind_name(x.kind), name, is_number(x) ? "is a number" : "holds text");
    };
    if (is_number(v) != is_number(*other)) {
        sink_.error(at(file, cmp),
                    fmt::format("{} and {}: they cannot be compared", what(v, cmp.subject.text), what(*other, other_name.text)));
        return;
    }
    if (is_number(v)) return;
    if (cmp.op != ast::compare_op::eq && cmp.op != ast::compare_op::ne) {
        sink_.error(at(file, cmp),
                    fmt::format("'{}' and '{}' hold text: they compare only with '==' or '!='", cmp.subject.text, other_name.text));
        return;
    }
    const auto& left = *symbols_.type_of(v);
    const auto& right = *symbols_.type_of(*other);
    if (left.choices.empty() || right.choices.empty()) return;
    const auto theirs = choices_of(right);
    if (std::none_of(left.choices.begin(), left.choices.end(),
                     [&](const ast::identifier& c) { return std::find(theirs.begin(), theirs.end(), c.text) != theirs.end(); }))
        sink_.error(at(file, cmp), fmt::format("{} '{}' and {} '{}' take no value in common: they are equal only while both are unknown",
                                               kind_name(v.kind), cmp.subject.text, kind_name(other->kind), other_name.text));
}

// A handler that an earlier one for the same trigger always beats: one without a guard, or one
// with the same guard.
// A slot placeholder without a default renders as nothing while the slot is unknown ("Take
// care, ."). In a handler's phrase that is no surprise when the handler keeps the slot from the
// utterance, its guard needs the slot (known(x), x == "..."), or it completes a form that asks
// for it; anywhere else it is a warning.
void checker::check_empty_slots(const handler_ref& h, const ast::phrase& p) {
    const auto& node = *h.node;
    auto keeps = [&](std::string_view slot) {
        for (const auto& clause : node.clauses)
            if (const auto* keep = boost::get<ast::keep_clause>(&clause))
                for (const auto& s : keep->slots)
                    if (s.text == slot) return true;
        return false;
    };
    auto needed_by_guard = [&](std::string_view slot) { return node.guard && guard_needs_slot(*node.guard, slot); };
    auto asked_by_form = [&](std::string_view slot) {
        if (node.when.kind != ast::trigger_kind::complete || h.owner == none) return false;
        const auto& fields = symbols_.state_list[h.owner].node->fields;
        return std::any_of(fields.begin(), fields.end(), [&](const ast::form_field& f) { return f.slot.text == slot; });
    };
    std::set<std::string> warned;
    for (const auto& v : p.variants)
        for (const auto& t : v.texts) {
            std::vector<template_piece> pieces;
            template_error bad;
            if (!split_template(t.value.value, pieces, bad)) continue;
            std::string_view guarded;  // `{name?...}`: inside, until its else part, name has a value
            for (const auto& piece : pieces) {
                if (piece.kind == piece_kind::when) guarded = piece.text;
                if (piece.kind == piece_kind::otherwise || piece.kind == piece_kind::end) guarded = {};
                if (piece.kind != piece_kind::placeholder || !piece.fallback.empty() || warned.count(piece.text)) continue;
                if (piece.text == guarded) continue;
                const auto* v2 = symbols_.find_value(piece.text);
                if (!v2 || v2->kind != value_kind::slot) continue;
                if (keeps(piece.text) || needed_by_guard(piece.text) || asked_by_form(piece.text)) continue;
                warned.insert(piece.text);
                sink_.warning({h.file, t.value.offset + 1 + piece.where, piece.size},
                              fmt::format("'{{{}}}' says nothing while slot '{}' is unknown, and this handler neither keeps it nor "
                                          "guards with known({}); give it a default: {{{}|...}}",
                                          piece.text, piece.text, piece.text, piece.text));
            }
        }
}

// What a guard allows of the counters it compares, when it is counter comparisons joined by
// 'and' (`insults >= 1`, `tries >= 2 and tries < 5`): for each counter, which of 0..255 it may
// be. nullopt for any other guard, about which nothing is concluded.
std::optional<checker::counter_values> checker::counter_constraints(const ast::disjunction& g) const {
    if (g.terms.size() != 1) return std::nullopt;
    counter_values out;
    for (const auto& term : g.terms.front().terms) {
        const auto* cmp = boost::apply_visitor(
            [](const auto& o) -> const ast::comparison* {
                if constexpr (std::is_same_v<std::decay_t<decltype(o)>, ast::comparison>)
                    return &o;
                else
                    return nullptr;
            },
            term);
        if (!cmp) return std::nullopt;
        const auto* v = symbols_.find_value(cmp->subject.text);
        const auto* number = boost::get<ast::number_literal>(&cmp->value);
        if (!v || v->kind != value_kind::counter || !number) return std::nullopt;
        std::bitset<256> allowed;
        const double n = number->value;
        const auto allow = [&](auto holds) {  // one loop per operator, not a switch per value
            for (int x = 0; x < 256; ++x)
                if (holds(double(x))) allowed.set(static_cast<std::size_t>(x));
        };
        switch (cmp->op) {
            case ast::compare_op::eq: allow([n](double x) { return x == n; }); break;
            case ast::compare_op::ne: allow([n](double x) { return x != n; }); break;
            case ast::compare_op::lt: allow([n](double x) { return x < n; }); break;
            case ast::compare_op::le: allow([n](double x) { return x <= n; }); break;
            case ast::compare_op::gt: allow([n](double x) { return x > n; }); break;
            case ast::compare_op::ge: allow([n](double x) { return x >= n; }); break;
        }
        const auto [it, fresh] = out.try_emplace(cmp->subject.text, allowed);
        if (!fresh) it->second &= allowed;
    }
    return out;
}

void checker::check_shadowing(const std::vector<handler_ref>& handlers) {
    std::map<std::string, const handler_ref*> always;  // trigger -> the first unguarded handler
    std::map<std::string, const handler_ref*> seen;    // trigger + guard -> the first handler
    // trigger -> the earlier handlers whose guards are counter comparisons, and what they allow
    std::map<std::string, std::vector<std::pair<const handler_ref*, counter_values>>> counted;
    for (const auto& h : handlers) {
        std::vector<std::string> triggers;
        switch (h.node->when.kind) {
            case ast::trigger_kind::on:
                for (const auto& l : h.node->when.labels) triggers.push_back("on " + l.text);
                break;
            case ast::trigger_kind::otherwise: triggers.push_back("otherwise"); break;
            case ast::trigger_kind::complete: triggers.push_back("complete"); break;
            case ast::trigger_kind::after: triggers.push_back("after " + number_text(h.node->when.seconds.value)); break;
        }
        const std::string guard = h.node->guard ? guard_text(*h.node->guard) : std::string();
        const auto allowed = h.node->guard ? counter_constraints(*h.node->guard) : std::nullopt;
        const bool possible = allowed && std::none_of(allowed->begin(), allowed->end(), [](const auto& c) { return c.second.none(); });
        for (const auto& key : triggers) {
            const handler_ref* earlier = nullptr;
            if (auto it = always.find(key); it != always.end())
                earlier = it->second;
            else if (auto s = seen.find(key + "\n" + guard); s != seen.end())
                earlier = s->second;
            const std::string name = key == "otherwise" || key == "complete" ? key : key.substr(key.find(' ') + 1);
            if (earlier) {
                sink_.warning(at(h.file, h.node->when),
                              fmt::format("this handler for '{}' can never fire: the handler on line {} always matches first", name,
                                          files_.sources[earlier->file]->line_of(earlier->node->offset)));
                continue;
            }
            // A guard that implies an earlier one's: `insults >= 2` after `insults >= 1`.
            if (possible) {  // (an impossible guard has its own warning)
                auto& before = counted[key];
                const auto implied = std::find_if(before.begin(), before.end(), [&](const auto& e) {
                    return std::all_of(e.second.begin(), e.second.end(), [&](const auto& constraint) {
                        const auto it = allowed->find(constraint.first);
                        return it != allowed->end() && (it->second & ~constraint.second).none();
                    });
                });
                if (implied != before.end()) {
                    sink_.warning(at(h.file, *h.node->guard),
                                  fmt::format("this handler for '{}' can never fire: whenever its guard holds, so does the guard of the "
                                              "handler on line {}, which comes first",
                                              name, files_.sources[implied->first->file]->line_of(implied->first->node->offset)));
                    continue;
                }
                // Compared with the first ones only: a state of thousands of counted handlers for one
                // label would make this quadratic.
                if (before.size() < max_compared_guards) before.emplace_back(&h, *allowed);
            }
            if (guard.empty()) always.emplace(key, &h);
            seen.emplace(key + "\n" + guard, &h);
        }
    }
}

// An argument passes a slot or a variable (its own name, or another after '='), or a constant.
void checker::check_action(const ast::do_clause& action, std::uint32_t file) {
    std::set<std::string_view> names;
    for (const auto& a : action.arguments) {
        if (!names.insert(a.name.text).second)
            sink_.error(at(file, a.name), fmt::format("argument '{}' appears twice in action '{}'", a.name.text, action.name.text));
        if (a.has_value && boost::get<ast::string_literal>(&a.value)) continue;
        const auto& ref = a.has_value ? boost::get<ast::identifier>(a.value) : a.name;
        const auto* v = symbols_.find_value(ref.text);
        if (!v)
            sink_.error(at(file, ref), fmt::format("undefined slot or variable '{}'{}; a constant argument is written {} = \"VALUE\"",
                                                   ref.text, suggest(ref.text, keys_of(symbols_.values)), a.name.text));
        else if (v->kind == value_kind::counter)
            sink_.error(at(file, ref), fmt::format("'{}' is a counter; an action passes slots, variables and quoted values", ref.text));
    }
}

// `setting below_threshold = INTENT`: below the threshold an utterance counts as that intent.
void checker::check_below_threshold() {
    const auto& settings = symbols_.settings;
    if (settings.below_threshold.empty()) return;
    const auto& where = settings.below_threshold_at;
    const auto it = symbols_.labels.find(settings.below_threshold);
    if (it == symbols_.labels.end() || symbols_.label_list[it->second.index].is_event)
        sink_.error(where, fmt::format("setting 'below_threshold' names '{}', which is not a declared intent{}", settings.below_threshold,
                                       suggest(settings.below_threshold, keys_of(symbols_.labels))));
    if (symbols_.confirm)
        sink_.error(where, "a script either asks to confirm a doubtful intent ('confirm') or takes it as 'below_threshold', not both");
    else if (settings.threshold <= 0)
        sink_.warning(where, "'below_threshold' has no effect without a 'threshold'");
}

void checker::check_confirm() {
    const auto* confirm = symbols_.confirm;
    check_below_threshold();
    if (!confirm) {
        if (symbols_.settings.threshold > 0 && symbols_.settings.below_threshold.empty())
            for (const auto& [file, item, copy] : files_.items)
                if (const auto* s = boost::get<ast::setting_decl>(item); s && s->name.text == "threshold")
                    sink_.warning(at(file, *s), "'threshold' has no effect without a 'confirm' block or 'below_threshold'");
        return;
    }
    const auto file = symbols_.confirm_file;
    need_state(confirm->target, file);
    for (const char* needed : {"accept", "decline"}) {
        const auto it = symbols_.labels.find(needed);
        if (it == symbols_.labels.end())
            sink_.error(at(file, *confirm), fmt::format("'confirm' needs the intent '{}'", needed));
        else
            used_.label_handled[it->second.index] = true;
    }
    check_phrase(confirm->ask, file, true, false);
    check_phrase(confirm->repeat, file, false, false);
    check_confirm_target();
    check_confirmed_descriptions();
}

// What '{intent}' reads to a caller in each language, as lowering picks it: the intent's
// description in that language, else in the fallback, else in the default language, else its
// first description, else its name with spaces for underscores.
void checker::check_confirmed_descriptions() {
    bool reads_intent = false;
    for (const auto& v : symbols_.confirm->ask.variants)
        for (const auto& t : v.texts) {
            std::vector<template_piece> pieces;
            template_error bad;
            if (!split_template(t.value.value, pieces, bad)) continue;
            for (const auto& piece : pieces)
                reads_intent = reads_intent || (piece.kind == piece_kind::placeholder && piece.text == "intent");
        }
    if (!reads_intent || symbols_.settings.threshold <= 0) return;  // no threshold: nothing is ever confirmed
    const auto& settings = symbols_.settings;
    for (const auto& l : symbols_.label_list) {
        if (l.is_event || !l.intent) continue;
        const auto& texts = l.intent->description;
        if (texts.empty()) {
            std::string plain = l.name;
            std::replace(plain.begin(), plain.end(), '_', ' ');
            sink_.warning(l.where,
                          fmt::format("intent '{}' has no description; a confirmation would read '{}' to the caller", l.name, plain));
            continue;
        }
        auto has = [&](const std::string& lang) {
            return std::any_of(texts.begin(), texts.end(), [&](const ast::text& t) { return language_of(t) == lang; });
        };
        if (has(settings.fallback) || has(settings.language)) continue;
        std::vector<std::string> missing;
        for (const auto& lang : symbols_.languages)
            if (!has(lang)) missing.push_back("'" + lang + "'");
        std::string list;
        for (std::size_t k = 0; k < missing.size(); ++k) list += (k == 0 ? "" : k + 1 == missing.size() ? " or " : ", ") + missing[k];
        sink_.warning(l.where, fmt::format("intent '{}' has no description in {}; a confirmation would read its '{}' description to "
                                           "those callers",
                                           l.name, list, language_of(texts.front())));
    }
}

// While a question is pending the call is in the confirm target: the reply has its action, its
// timers run, but `ask` is said instead of its entry phrase and the next utterance answers the
// question instead of going to its handlers. A target the call enters only that way has an
// entry phrase and handlers that never take effect; a terminal one would end the call on asking.
void checker::check_confirm_target() {
    const auto* confirm = symbols_.confirm;
    const auto it = symbols_.states.find(confirm->target.text);
    if (it == symbols_.states.end()) return;
    const auto target = it->second.index;
    const auto& st = symbols_.state_list[target];
    if (is_terminal(st.action)) {
        sink_.error(at(symbols_.confirm_file, confirm->target),
                    fmt::format("the confirm target '{}' is a terminal state: asking to confirm would end the call", confirm->target.text));
        return;
    }
    auto leads_here = [&](const handler_ref& h) { return h.node->target.text == confirm->target.text; };
    if (target == symbols_.initial) return;
    if (std::any_of(symbols_.globals.begin(), symbols_.globals.end(), leads_here)) return;
    for (const auto& other : symbols_.state_list)
        if (std::any_of(other.handlers.begin(), other.handlers.end(), leads_here)) return;
    const auto& name = confirm->target.text;
    if (st.node->entry)
        sink_.warning(at(st.file, *st.node->entry),
                      fmt::format("state '{}' is entered only to confirm, where 'ask' is said: this entry phrase is never said", name));
    for (const auto& h : st.handlers)
        if (h.node->when.kind != ast::trigger_kind::after)
            sink_.warning(at(h.file, h.node->when),
                          fmt::format("state '{}' is entered only to confirm, where the next utterance answers the question: this "
                                      "handler never runs (its timers do)",
                                      name));
}

// Intent descriptions and variable defaults: one wording per language.
void checker::check_descriptions() {
    auto check = [&](const std::vector<ast::text>& wordings, std::uint32_t file, const char* what) {
        std::set<std::string> seen;
        for (const auto& t : wordings) {
            if (!t.language.empty() && !valid_language_tag(t.language))
                sink_.error(at(file, t), fmt::format("'{}' is not a language tag such as 'ru' or 'pt-BR'", t.language));
            else if (!seen.insert(language_of(t)).second)
                sink_.error(at(file, t), fmt::format("language '{}' appears twice in one {}", language_of(t), what));
        }
    };
    for (const auto& l : symbols_.label_list)
        if (l.intent) check(l.intent->description, l.where.file, "description");
    for (std::size_t i = 0; i < symbols_.variables.size(); ++i) {
        const auto file = symbols_.find_value(symbols_.variables[i])->where.file;
        check(*symbols_.variable_defaults[i], file, "value");
        for (const auto& wording : *symbols_.variable_defaults[i]) check_forbidden(wording.value, file);
    }
}

// A group's handlers are checked once, here, whichever states use them; each state checks how
// they combine with its own (shadowing, timers).
// A form asks for each of its slots once, in order; it says its prompts, not an entry phrase;
// 'complete' says where the call goes once every slot is known.
void checker::check_form(const state_info& s) {
    std::set<std::string_view> asked;
    for (const auto& f : s.node->fields) {
        need_value(f.slot, s.file, value_kind::slot, "slot");
        if (!asked.insert(f.slot.text).second)
            sink_.error(at(s.file, f.slot), fmt::format("form '{}' asks for slot '{}' twice", s.node->name.text, f.slot.text));
        check_phrase(f.prompt, s.file, false, false);
        if (f.reprompt) check_phrase(*f.reprompt, s.file, false, false);
    }
    if (s.node->entry)
        sink_.error(at(s.file, *s.node->entry),
                    fmt::format("form '{}' has no entry phrase: it says the prompt of the first slot it lacks; words to say on the way in "
                                "belong in the 'say' of the handler that leads here, said before the prompt",
                                s.node->name.text));
    if (is_terminal(s.action))
        sink_.error(at(s.file, s.node->name),
                    fmt::format("form '{}' cannot be a terminal state: the call would end before it asks", s.node->name.text));
    if (std::none_of(s.handlers.begin(), s.handlers.end(), [](const auto& h) { return h.node->when.kind == ast::trigger_kind::complete; }))
        sink_.error(at(s.file, s.node->name),
                    fmt::format("form '{}' needs a 'complete' handler: where the call goes once every slot is known", s.node->name.text));
}

// Entering a form whose slots are all known completes it at once: forms whose 'complete'
// handlers lead from one to another in a circle would go round without end.
void checker::check_forms_chain() {
    const auto& states = symbols_.state_list;
    // From each form, the forms its 'complete' handlers lead into.
    std::vector<std::vector<std::pair<std::uint32_t, const handler_ref*>>> next(states.size());
    for (std::uint32_t s = 0; s < states.size(); ++s)
        for (const auto& h : states[s].handlers) {
            if (h.node->when.kind != ast::trigger_kind::complete) continue;
            const auto it = symbols_.states.find(h.node->target.text);
            if (it != symbols_.states.end() && !states[it->second.index].node->fields.empty()) next[s].emplace_back(it->second.index, &h);
        }
    std::vector<int> mark(states.size(), 0);  // 0 unseen, 1 on the path, 2 done
    std::vector<std::pair<std::uint32_t, std::size_t>> path;
    for (std::uint32_t start = 0; start < states.size(); ++start) {
        if (mark[start] != 0 || next[start].empty()) continue;
        path.assign(1, {start, 0});
        mark[start] = 1;
        while (!path.empty()) {
            auto& [s, k] = path.back();
            if (k == next[s].size()) {
                mark[s] = 2;
                path.pop_back();
                continue;
            }
            const auto [to, h] = next[s][k++];
            if (mark[to] == 1)
                sink_.error(at(h->file, h->node->when),
                            fmt::format("forms complete into each other in a circle here ('{}' -> '{}'): with every slot known "
                                        "they would go round without end",
                                        states[s].node->name.text, states[to].node->name.text));
            else if (mark[to] == 0) {
                mark[to] = 1;
                path.emplace_back(to, 0);
            }
        }
    }
}

void checker::check_groups() {
    for (const auto& [name, group] : symbols_.groups) {
        if (!group.used) sink_.warning(group.where, fmt::format("no state uses the group of handlers '{}'", name));
        for (const auto& h : group.node->handlers) check_handler({&h, group.file, none, true}, false);
    }
}

// A type's choices lists each value once; a typed variable has one default, for every
// language, of its type.
void checker::check_value_types() {
    auto check_choices = [&](const ast::value_type& type, const std::string& name) {
        const auto file = symbols_.find_value(name)->where.file;
        std::set<std::string_view> seen;
        for (const auto& c : type.choices)
            if (c.text.empty())
                sink_.error(at(file, c), fmt::format("a value of {} '{}' cannot be empty: an empty value means it is unknown",
                                                     kind_name(symbols_.find_value(name)->kind), name));
            else if (!seen.insert(c.text).second)
                sink_.error(at(file, c),
                            fmt::format("value '{}' appears twice in {} '{}'", c.text, kind_name(symbols_.find_value(name)->kind), name));
    };
    for (std::size_t i = 0; i < symbols_.slots.size(); ++i) check_choices(*symbols_.slot_types[i], symbols_.slots[i]);
    for (std::size_t i = 0; i < symbols_.variables.size(); ++i) {
        const auto& type = *symbols_.variable_types[i];
        const auto& name = symbols_.variables[i];
        check_choices(type, name);
        if (type.any_text()) continue;
        const auto file = symbols_.find_value(name)->where.file;
        const auto& wordings = *symbols_.variable_defaults[i];
        const auto tagged = std::find_if(wordings.begin(), wordings.end(),
                                         [&](const ast::text& t) { return !t.language.empty() || &t != &wordings.front(); });
        if (tagged != wordings.end())
            sink_.error(at(file, *tagged), fmt::format("variable '{}' has a type: its default is one value for every language, without a "
                                                       "language tag",
                                                       name));
        else if (!wordings.empty())
            check_fits(type, "variable '" + name + "'", wordings.front().value, file);
    }
}

// `set VARIABLE = "TEXT"` is a phrase's text: its placeholders are rendered when the set runs,
// with the same syntax ('{name}', '{name|default}', '{name?...}', '{{' for a brace). A typed
// variable takes a value of its type as written, not a rendered text.
void checker::check_set_text(const ast::set_clause& set, std::uint32_t file) {
    ast::text as_text;
    as_text.value = set.value;
    if (!check_placeholders(as_text, file, false, false)) return;
    check_forbidden(set.value, file);
    std::vector<template_piece> pieces;
    template_error bad;
    const auto* variable = symbols_.find_value(set.variable.text);
    if (!variable || variable->kind != value_kind::variable || symbols_.type_of(*variable)->any_text()) return;
    if (split_template(set.value.value, pieces, bad) &&
        std::any_of(pieces.begin(), pieces.end(), [](const template_piece& p) { return p.reads_value(); }))
        sink_.error(at(file, set.value), fmt::format("variable '{}' has a type: it takes a value of its type as written, or a slot's "
                                                     "('set {} = SLOT'), not a text with placeholders",
                                                     set.variable.text, set.variable.text));
}

// `set VARIABLE = "VALUE"` gives a value of the variable's type; `set VARIABLE = SLOT` copies a
// slot whose every value the variable takes.
void checker::check_set_type(const ast::set_clause& set, std::uint32_t file) {
    const auto* variable = symbols_.find_value(set.variable.text);
    if (!variable || variable->kind != value_kind::variable) return;
    const auto& type = *symbols_.type_of(*variable);
    if (type.any_text()) return;
    if (!set.copies) {
        std::vector<template_piece> pieces;
        template_error bad;
        if (split_template(set.value.value, pieces, bad) &&
            std::none_of(pieces.begin(), pieces.end(), [](const template_piece& p) { return p.reads_value(); }))
            check_fits(type, "variable '" + set.variable.text + "'", set.value, file);  // (with placeholders: check_set_text)
        return;
    }
    const auto* slot = symbols_.find_value(set.from.text);
    if (!slot || slot->kind != value_kind::slot) return;
    const auto& from = *symbols_.type_of(*slot);
    const bool fits = type.number ? from.number
                                  : !from.choices.empty() && std::all_of(from.choices.begin(), from.choices.end(),
                                                                         [&](const ast::identifier& c) { return takes(type, c.text); });
    if (!fits)
        sink_.error(at(file, set.from), fmt::format("variable '{}' takes {}, but slot '{}' may hold {}", set.variable.text, type_text(type),
                                                    set.from.text, type_text(from)));
}

// A value written in the script for a typed slot or variable (`what`): empty (no value), or one
// of its type.
void checker::check_fits(const ast::value_type& type, const std::string& what, const ast::string_literal& value, std::uint32_t file) {
    double number = 0;
    if (value.value.empty() || type.any_text() || (type.number && detail::number_in(value.value, number))) return;
    if (!type.number && takes(type, value.value)) return;
    sink_.error(at(file, value), fmt::format("{} takes {}, not '{}'{}", what, type_text(type), echo(value.value),
                                             type.number ? std::string() : suggest(value.value, choices_of(type))));
}

// A hold lasts at most hold_timeout (the runtime ends it then). What the timers of hold states
// that lead into other hold states can add up to is known here: a chain of them longer than
// hold_timeout is an error at the timer that makes it too long, and timers that lead round
// from hold state to hold state are an error (the hold would end only by the runtime's limit).
// Only the timers a state can reach count: those up to its first unguarded one that leaves.
void checker::check_holds() {
    const auto& states = symbols_.state_list;
    auto is_hold = [&](std::uint32_t s) { return states[s].action == action::hold; };
    struct link {
        const handler_ref* timer;
        std::uint32_t from, to;  // to: a hold state, or none when the timer leaves the hold
        double seconds;
    };
    std::vector<link> links;
    using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
    graph g(states.size());
    std::vector<std::pair<std::uint32_t, std::uint32_t>> hold_edges;
    std::vector<const link*> edge_links;
    for (std::uint32_t s = 0; s < states.size(); ++s) {
        if (!is_hold(s)) continue;
        std::vector<const handler_ref*> timers;
        for (const auto& h : states[s].handlers)
            if (h.node->when.kind == ast::trigger_kind::after) timers.push_back(&h);
        std::stable_sort(timers.begin(), timers.end(),
                         [](auto* a, auto* b) { return a->node->when.seconds.value < b->node->when.seconds.value; });
        for (const auto* h : timers) {
            const auto it = symbols_.states.find(h->node->target.text);
            if (it == symbols_.states.end()) continue;  // stay, or undefined (said elsewhere)
            const auto to = it->second.index;
            links.push_back({h, s, is_hold(to) ? to : none, h->node->when.seconds.value});
            if (is_hold(to)) {
                boost::add_edge(s, to, g);
                hold_edges.emplace_back(s, to);
            } else if (!h->node->guard)
                break;  // the hold ends here; later timers never fire
        }
    }
    if (links.empty()) return;
    for (const auto& l : links)
        if (l.to != none) edge_links.push_back(&l);
    const auto circles = on_circles(states.size(), hold_edges);
    bool circular = false;
    for (std::size_t e = 0; e < edge_links.size(); ++e)
        if (circles[e]) {
            const auto& l = *edge_links[e];
            circular = true;
            sink_.error(
                at(l.timer->file, l.timer->node->when),
                fmt::format("the timers of hold states lead round in a circle here ('{}' -> '{}'): only hold_timeout "
                            "({} s) would end the hold; lead the call out of the hold states",
                            states[l.from].node->name.text, states[l.to].node->name.text, number_text(symbols_.settings.hold_timeout)));
        }
    if (circular) return;
    // The longest a hold can last from the entry into each state, sinks first.
    std::vector<std::uint32_t> order;
    boost::topological_sort(g, std::back_inserter(order));
    std::vector<std::vector<const link*>> out(states.size());
    for (const auto& l : links) out[l.from].push_back(&l);
    std::vector<double> longest(states.size(), 0.0);
    const double limit = symbols_.settings.hold_timeout;
    for (auto s : order)
        for (const auto* l : out[s]) {
            const double lasts = l->seconds + (l->to == none ? 0.0 : longest[l->to]);
            if (l->to != none && l->seconds <= limit && longest[l->to] <= limit && lasts > limit)
                sink_.error(at(l->timer->file, l->timer->node->when),
                            fmt::format("with the timers of hold state '{}' after this one, the hold can last {} s, longer than "
                                        "hold_timeout ({} s)",
                                        states[l->to].node->name.text, number_text(lasts), number_text(limit)));
            longest[s] = std::max(longest[s], lasts);
        }
}

// The host sends the 'silence' intent after silence_timeout: a script that declares none
// has set a timeout that nothing can act on.
void checker::check_silence_timeout() {
    if (symbols_.settings.silence_timeout <= 0 || symbols_.labels.count("silence")) return;
    for (const auto& [file, item, copy] : files_.items)
        if (const auto* s = boost::get<ast::setting_decl>(item); s && s->name.text == "silence_timeout")
            sink_.warning(at(file, *s),
                          "'silence_timeout' has no effect: the script declares no 'silence' intent or event for the host to send");
}

// A counter that guards compare but nothing increments stays 0.
void checker::check_counters() {
    if (sink_.failed()) return;  // a guard with errors says nothing reliable about its counters
    std::set<std::string> incremented, compared;
    const auto increments = [&](const std::vector<ast::clause>& clauses) {
        for (const auto& clause : clauses)
            if (const auto* c = boost::get<ast::counter_clause>(&clause); c && c->verb == ast::counter_verb::increment)
                incremented.insert(c->counter.text);
    };
    const auto scan = [&](const handler_ref& h) {
        increments(h.node->clauses);
        if (!h.node->guard) return;
        std::vector<const ast::disjunction*> todo{&*h.node->guard};
        while (!todo.empty()) {
            const auto* d = todo.back();
            todo.pop_back();
            for (const auto& conj : d->terms)
                for (const auto& term : conj.terms) {
                    const ast::operand* o = &term;
                    while (const auto* n = boost::get<ast::x3::forward_ast<ast::negation>>(o)) o = &n->get().subject;
                    if (const auto* cmp = boost::get<ast::comparison>(o)) {
                        compared.insert(cmp->subject.text);
                        if (const auto* other = boost::get<ast::identifier>(&cmp->value)) compared.insert(other->text);
                    } else if (const auto* inner = boost::get<ast::x3::forward_ast<ast::disjunction>>(o))
                        todo.push_back(&inner->get());
                }
        }
    };
    for (const auto& st : symbols_.state_list) {
        increments(st.node->entry_clauses);
        for (const auto& h : st.handlers) scan(h);
    }
    for (const auto& h : symbols_.globals) scan(h);
    for (const auto& name : symbols_.counters)
        if (compared.count(name) && !incremented.count(name))
            sink_.warning(symbols_.find_value(name)->where,
                          fmt::format("counter '{}' is compared in guards but never incremented: it is always 0", name));
}

// The runtime looks a label up in a table of a row per state and a column per label: its size is
// the product, which a script of many states and many intents makes large with few bytes.
void checker::check_dispatch_size() {
    if (sink_.failed() || symbols_.initial == none) return;
    const auto entries = dispatch_entries(symbols_);
    if (const auto limit = options_.limits.max_dispatch_entries; entries > limit) {
        const auto& initial = symbols_.state_list[symbols_.initial];
        sink_.error(at(initial.file, initial.node->name),
                    fmt::format("the script's dispatch table would have {} entries ({} states times {} intents and events, and the "
                                "handlers they try), more than the limit of {}",
                                entries, symbols_.state_list.size(), symbols_.label_list.size() + 1, limit));
    }
}

}  // namespace

usage check(const parsed_files& files, const symbol_table& symbols, const compile_options& options, diagnostic_sink& sink) {
    return checker(files, symbols, options, sink).run();
}

}  // namespace parley::pipeline
