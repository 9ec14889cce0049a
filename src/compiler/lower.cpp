// Lowering a checked compilation into the flat runtime tables (include/parley/detail/tables.hpp):
// interned strings, phrases pre-split into segments with the language fallback resolved, guards
// as a node array, and the state x label dispatch table, so that step() never looks anything
// up by string.
#include "compilation.hpp"

#include <parley/detail/utf8.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace parley::detail {

namespace ast = dsl::ast;

namespace {

class lowering {
public:
    lowering(script_tables& t, const std::vector<std::string>& languages, const std::string& fallback,
             const std::map<std::string, value_symbol, std::less<>>& values)
        : t_(t), languages_(languages), values_(values) {
        for (std::uint32_t i = 0; i < languages.size(); ++i)
            if (languages[i] == fallback) t_.fallback_language = i;
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

    text make_text(std::string_view value) {
        text out;
        std::vector<template_piece> pieces;
        std::uint32_t bad = 0;
        split_template(value, pieces, bad);
        out.first_segment = static_cast<std::uint32_t>(t_.segments.size());
        std::string whole;
        for (const auto& p : pieces) {
            segment s;
            if (!p.placeholder) {
                s.literal = intern(p.text);
                whole += p.text;
            } else if (p.text == "intent") {
                s.kind = segment_kind::intent_description;
                out.has_placeholders = true;
            } else {
                const auto& v = values_.find(p.text)->second;
                s.kind = v.kind == value_kind::slot ? segment_kind::slot : segment_kind::variable;
                s.index = v.index;
                out.has_placeholders = true;
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

    std::uint32_t phrase(const ast::phrase& p) {
        detail::phrase out;
        out.first_text = static_cast<std::uint32_t>(t_.texts.size());
        out.variant_count = static_cast<std::uint32_t>(p.variants.size());
        if (out.variant_count > 1) out.rotation = t_.rotation_count++;
        for (const auto& v : p.variants) {
            std::map<const ast::text*, std::uint32_t> made;
            for (std::uint32_t l = 0; l < languages_.size(); ++l) {
                const auto* x = pick(v.texts, l);
                if (auto it = made.find(x); it != made.end()) {
                    t_.texts.push_back(t_.texts[it->second]);
                    continue;
                }
                made.emplace(x, static_cast<std::uint32_t>(t_.texts.size()));
                t_.texts.push_back(x ? make_text(x->value.value) : text{});
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
        }
        return first;
    }

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
    std::uint32_t operand(const ast::operand& o) {
        struct visitor {
            lowering& l;
            std::uint32_t operator()(const ast::comparison& c) const {
                static constexpr compare ops[] = {compare::eq, compare::ne, compare::lt, compare::le, compare::gt, compare::ge};
                const auto& v = l.values_.find(c.subject.text)->second;
                guard_node n;
                n.cmp = ops[int(c.op)];
                n.a = v.index;
                if (v.kind == value_kind::counter) {
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
    std::unordered_map<std::string, string_ref, string_hash, std::equal_to<>> interned_;
};

// FNV-1a over what gives a snapshot's indices their meaning.
class fingerprinter {
public:
    void add(std::string_view s) {
        for (unsigned char c : s) mix(c);
        mix(0xFF);
    }
    void add(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) mix(static_cast<unsigned char>(v >> (8 * i)));
    }
    [[nodiscard]] std::uint64_t value() const noexcept { return h_; }

private:
    void mix(unsigned char c) { h_ = (h_ ^ c) * 0x100000001b3ULL; }
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::shared_ptr<script_tables> compilation::lower() {
    auto tables = std::make_shared<script_tables>();
    auto& t = *tables;
    lowering l(t, languages_, fallback_, values_);

    for (const auto& f : files_) t.files.push_back(f->name());
    for (const auto& lang : languages_) t.languages.push_back(l.intern(lang));
    for (const auto& s : slots_) t.slots.push_back(l.intern(s));
    for (const auto& s : counters_) t.counters.push_back(l.intern(s));
    for (const auto& s : variables_) t.variables.push_back(l.intern(s));
    for (const auto& s : variable_defaults_) t.variable_defaults.push_back(l.intern(s));

    auto line_of = [&](std::uint32_t file, const ast::tagged& node) {
        return source_ref{file, files_[file]->line_of(node.offset)};
    };
    for (const auto& info : label_list_) {
        label out;
        out.name = l.intern(info.name);
        out.is_event = info.is_event;
        out.where = {info.where.file, files_[info.where.file]->line_of(info.where.offset)};
        out.first_description = l.description(info);
        t.labels.push_back(out);
    }

    auto state_index = [&](const ast::identifier& target) {
        return target.text == "stay" ? none : states_.find(target.text)->second.index;
    };
    auto lower_handler = [&](const handler_ref& h) {
        handler out;
        handler_text text;
        const auto& node = *h.node;
        if (node.guard) {
            out.guard = l.guard(*node.guard);
            text.guard = l.intern(guard_text(*node.guard));
        }
        text.trigger = l.intern(trigger_text(node.when));
        out.target = state_index(node.target);
        out.rule = line_of(h.file, node);
        out.first_effect = static_cast<std::uint32_t>(t.effects.size());
        for (const auto& clause : node.clauses) {
            if (const auto* say = boost::get<ast::say_clause>(&clause)) out.phrase = l.phrase(say->what);
            else if (const auto* hint = boost::get<ast::hint_clause>(&clause)) out.hint = l.phrase(hint->what);
            else if (const auto* c = boost::get<ast::counter_clause>(&clause)) {
                effect e;
                e.kind = c->verb == ast::counter_verb::increment ? effect_kind::increment : effect_kind::reset;
                e.index = values_.find(c->counter.text)->second.index;
                t.effects.push_back(e);
            } else if (const auto* k = boost::get<ast::keep_clause>(&clause)) {
                for (const auto& slot : k->slots) {
                    effect e;
                    e.kind = effect_kind::keep_slot;
                    e.index = values_.find(slot.text)->second.index;
                    e.slot_name = l.intern(slot.text);
                    t.effects.push_back(e);
                }
            } else if (const auto* s = boost::get<ast::set_clause>(&clause)) {
                effect e;
                e.kind = effect_kind::set_variable;
                e.index = values_.find(s->variable.text)->second.index;
                e.value = l.intern(s->value.value);
                t.effects.push_back(e);
            }
        }
        out.effect_count = static_cast<std::uint32_t>(t.effects.size() - out.first_effect);
        t.handlers.push_back(out);
        t.handler_texts.push_back(text);
        return static_cast<std::uint32_t>(t.handlers.size() - 1);
    };

    // States, their handlers in file order (timers apart, sorted by time), then the globals.
    const auto labels = static_cast<std::uint32_t>(label_list_.size());
    const auto columns = labels + 1;  // the last column: labels the script does not declare
    t.label_count = static_cast<std::uint32_t>(labels);
    using pair = std::pair<std::uint32_t, std::uint32_t>;  // label, handler
    std::vector<std::vector<pair>> on_handlers(state_list_.size());
    std::vector<std::vector<std::uint32_t>> otherwise_handlers(state_list_.size());
    auto collect = [&](const handler_ref& h, std::uint32_t index, std::vector<pair>& on, std::vector<std::uint32_t>& otherwise) {
        if (h.node->when.kind == ast::trigger_kind::otherwise) otherwise.push_back(index);
        else
            for (const auto& name : h.node->when.labels) on.emplace_back(labels_.find(name.text)->second.index, index);
    };
    for (std::uint32_t s = 0; s < state_list_.size(); ++s) {
        const auto& info = state_list_[s];
        state out;
        out.name = l.intern(info.node->name.text);
        out.action = info.action;
        out.where = line_of(info.file, *info.node);
        if (info.node->entry) out.entry = l.phrase(*info.node->entry);
        out.first_handler = static_cast<std::uint32_t>(t.handlers.size());
        std::vector<const handler_ref*> timers;
        for (const auto& h : info.handlers) {
            if (h.node->when.kind == ast::trigger_kind::after) {
                timers.push_back(&h);
                continue;
            }
            collect(h, lower_handler(h), on_handlers[s], otherwise_handlers[s]);
        }
        out.handler_count = static_cast<std::uint32_t>(t.handlers.size() - out.first_handler);
        std::stable_sort(timers.begin(), timers.end(), [](auto* a, auto* b) {
            return a->node->when.seconds.value < b->node->when.seconds.value;
        });
        out.first_timer = static_cast<std::uint32_t>(t.timers.size());
        for (const auto* h : timers)
            t.timers.push_back({std::llround(h->node->when.seconds.value * 1000.0), lower_handler(*h)});
        out.timer_count = static_cast<std::uint32_t>(t.timers.size() - out.first_timer);
        t.states.push_back(out);
    }
    std::vector<pair> global_on;
    std::vector<std::uint32_t> global_otherwise;
    t.first_global_handler = static_cast<std::uint32_t>(t.handlers.size());
    for (const auto& h : globals_) collect(h, lower_handler(h), global_on, global_otherwise);
    t.global_handler_count = static_cast<std::uint32_t>(t.handlers.size() - t.first_global_handler);

    // The dispatch table: for each state and label, the candidate handlers in priority order.
    auto by_label = [](const pair& a, const pair& b) { return a.first < b.first; };
    std::stable_sort(global_on.begin(), global_on.end(), by_label);
    t.dispatch.resize(std::size_t{state_list_.size()} * columns);
    for (std::uint32_t s = 0; s < state_list_.size(); ++s) {
        const auto action = state_list_[s].action;
        if (action == state_action::transfer || action == state_action::hangup || action == state_action::close) continue;
        auto& own = on_handlers[s];
        std::stable_sort(own.begin(), own.end(), by_label);
        auto own_it = own.begin();
        auto global_it = global_on.begin();
        for (std::uint32_t label = 0; label < columns; ++label) {
            const auto first = static_cast<std::uint32_t>(t.candidates.size());
            for (; own_it != own.end() && own_it->first == label; ++own_it) t.candidates.push_back(own_it->second);
            for (; global_it != global_on.end() && global_it->first == label; ++global_it) t.candidates.push_back(global_it->second);
            t.candidates.insert(t.candidates.end(), otherwise_handlers[s].begin(), otherwise_handlers[s].end());
            t.candidates.insert(t.candidates.end(), global_otherwise.begin(), global_otherwise.end());
            const auto count = static_cast<std::uint32_t>(t.candidates.size() - first);
            t.dispatch[std::size_t{s} * columns + label] = {first, count, count ? t.candidates[first] : none};
        }
    }

    t.initial_state = initial_;
    t.confidence_threshold = threshold_;
    t.silence_timeout_ms = std::llround(silence_timeout_ * 1000.0);
    t.hold_timeout_ms = std::llround(hold_timeout_ * 1000.0);
    t.unknown_to_otherwise = unknown_to_otherwise_;
    if (confirm_) {
        t.confirm_state = states_.find(confirm_->target.text)->second.index;
        t.confirm_ask = l.phrase(confirm_->ask);
        t.confirm_repeat = l.phrase(confirm_->repeat);
        t.confirm_where = line_of(confirm_file_, *confirm_);
        t.accept_label = labels_.find("accept")->second.index;
        t.decline_label = labels_.find("decline")->second.index;
    }
    for (std::size_t k = 0; k < forbids_.size(); ++k) {
        const auto& [decl, file] = forbids_[k];
        t.forbidden_phrases.push_back(
            {l.intern(decl->phrase.value), forbid_folded_[k], l.intern(decl->replacement.value), line_of(file, *decl)});
    }

    fingerprinter f;
    for (const auto& s : state_list_) f.add(s.node->name.text), f.add(s.handlers.size());
    for (const auto& s : label_list_) f.add(s.name);
    for (const auto& s : languages_) f.add(s);
    for (const auto& s : counters_) f.add(s);
    for (const auto& s : slots_) f.add(s);
    for (const auto& s : variables_) f.add(s);
    for (const auto& p : t.phrases) f.add(p.variant_count), f.add(p.rotation);
    for (const auto& s : t.states) f.add(s.timer_count);
    t.fingerprint = f.value();

    auto index = [&](name_index& into, const std::vector<string_ref>& names) {
        into.reserve(names.size());
        for (std::uint32_t i = 0; i < names.size(); ++i) into.emplace(std::string(t.str(names[i])), i);
    };
    for (std::uint32_t i = 0; i < t.states.size(); ++i) t.state_index.emplace(std::string(t.str(t.states[i].name)), i);
    for (std::uint32_t i = 0; i < t.labels.size(); ++i) t.label_index.emplace(std::string(t.str(t.labels[i].name)), i);
    index(t.language_index, t.languages);
    index(t.slot_index, t.slots);
    index(t.counter_index, t.counters);
    index(t.variable_index, t.variables);
    return tables;
}

}  // namespace parley::detail
