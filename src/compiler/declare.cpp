// Phase 2, declare: takes script_items and gives the symbol_table: states (with their actions),
// intents and events, counters, slots and variables, settings, forbidden phrases, 'confirm', the
// initial state, and the script's languages. Duplicates and bad settings are diagnosed here, and
// so is the language limit: this is the one place that decides the languages and their indices.
#include "pipeline.hpp"
#include "text.hpp"

#include <parley/detail/utf8.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <variant>

namespace parley::pipeline {

namespace {

// ---- Settings: each listed once, with what it takes and where it goes --------------------------

struct takes_language {
    std::string settings::*into;
};
struct takes_number {
    double low, high;
    std::string_view unit;
    double settings::*into;
};
struct takes_choice {  // one of two words: the first sets false, the second true
    std::string_view no, yes;
    bool settings::*into;
};
struct takes_name {  // a name the checks resolve: where it was written goes with it
    std::string settings::*into;
    origin settings::*where;
};
struct setting_spec {
    std::string_view name;
    std::variant<takes_language, takes_number, takes_choice, takes_name> takes;
};

// In alphabetical order, which "did you mean" breaks ties by.
const setting_spec setting_table[] = {
    {"below_threshold", takes_name{&settings::below_threshold, &settings::below_threshold_at}},
    {"fallback", takes_language{&settings::fallback}},
    {"hold_timeout", takes_number{1, 3600, " seconds", &settings::hold_timeout}},
    {"language", takes_language{&settings::language}},
    {"silence_timeout", takes_number{0, 3600, " seconds", &settings::silence_timeout}},
    {"threshold", takes_number{0, 1, "", &settings::threshold}},
    {"unknown_intents", takes_choice{"error", "otherwise", &settings::unknown_to_otherwise}},
};

template <class... F>
struct overloaded : F... {
    using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;  // clang 14 (the fuzzers) does not deduce aggregates yet

// Sets `s` as `spec` says, or says why it cannot.
void apply_setting(const setting_spec& spec, const ast::setting_decl& s, const origin& where, settings& into, diagnostic_sink& sink) {
    const auto* number = boost::get<ast::number_literal>(&s.value);
    std::string word;
    if (const auto* id = boost::get<ast::identifier>(&s.value)) word = id->text;
    if (const auto* str = boost::get<ast::string_literal>(&s.value)) word = str->value;
    std::visit(overloaded{
                   [&](const takes_language& t) {
                       if (number || !valid_language_tag(word))
                           sink.error(where, fmt::format("setting '{}' takes a language tag such as 'ru' or 'pt-BR'", spec.name));
                       else
                           into.*t.into = word;
                   },
                   [&](const takes_number& t) {
                       if (!number || !(number->value >= t.low && number->value <= t.high))
                           sink.error(where, fmt::format("setting '{}' takes a number from {} to {}{}", spec.name, t.low, t.high, t.unit));
                       else
                           into.*t.into = number->value;
                   },
                   [&](const takes_name& t) {
                       if (!boost::get<ast::identifier>(&s.value)) {
                           sink.error(where, fmt::format("setting '{}' takes the name of an intent", spec.name));
                       } else {
                           into.*t.into = word;
                           into.*t.where = at(where.file, s);
                       }
                   },
                   [&](const takes_choice& t) {
                       if (word == t.no || word == t.yes)
                           into.*t.into = word == t.yes;
                       else
                           sink.error(where, fmt::format("setting '{}' takes '{}' or '{}'", spec.name, t.no, t.yes));
                   },
               },
               spec.takes);
}

// ---- Declarations, one top-level item at a time -------------------------------------------------

class declarer {
public:
    declarer(const compile_options& options, diagnostic_sink& sink) : options_(options), sink_(sink) {}

    void declare(const located_item& item) {
        file_ = item.file;
        copy_ = item.copy;
        boost::apply_visitor(*this, *item.item);
    }
    // After every item: what depends on all of them.
    [[nodiscard]] symbol_table finish(std::vector<flow_copy> copies) {
        symbols_.copies = std::move(copies);
        expand_groups();
        resolve_actions();
        collect_languages();
        return std::move(symbols_);
    }

    void operator()(const ast::include_decl&) {}
    // Counts `more` handlers in; false, with an error the first time, past the limit.
    [[nodiscard]] bool count_handlers(std::size_t more, const origin& where) {
        const auto limit = options_.limits.max_handlers;
        if (handlers_ > limit) return false;
        handlers_ += more;
        if (handlers_ <= limit) return true;
        sink_.error(where, fmt::format("a script may have at most {} handlers", limit));
        return false;
    }
    void operator()(const ast::setting_decl& s);
    void operator()(const ast::variable_decl& v);
    void operator()(const ast::slot_decl& s) {
        if (value(s.name, value_kind::slot, symbols_.slots)) symbols_.slot_types.push_back(&s.type);
    }
    void operator()(const ast::counter_decl& s) { value(s.name, value_kind::counter, symbols_.counters); }
    void operator()(const ast::intent_decl& i);
    void operator()(const ast::event_decl& e) { label(e.name, true, nullptr); }
    void operator()(const ast::forbid_decl& f);
    void operator()(const ast::confirm_decl& d);
    void operator()(const ast::global_decl& g);
    void operator()(const ast::group_decl& g);
    void operator()(const ast::state_decl& s);
    void operator()(const ast::flow_decl&) {}  // expanded before: its copies' states come as states

private:
    void duplicate(const origin& here, const origin& first, const std::string& what) {
        sink_.error(here, "duplicate " + what);
        sink_.note(first, "first declared here");
    }
    bool value(const ast::identifier& name, value_kind kind, std::vector<std::string>& list);
    bool label(const ast::identifier& name, bool is_event, const ast::intent_decl* intent);
    void mark_initial(const ast::state_decl& s, std::uint32_t index, const origin& where);
    void note_languages(const ast::phrase& p);
    void note_languages(const ast::handler& h);
    void note_languages(const std::vector<ast::text>& texts);
    void resolve_actions();
    void expand_groups();
    const std::vector<handler_ref>* group_handlers(handler_group& group, std::vector<std::string>& chain);
    void collect_languages();

    const compile_options& options_;
    diagnostic_sink& sink_;
    symbol_table symbols_;
    std::size_t handlers_ = 0;        // all states' and global handlers, groups' uses included
    std::size_t group_handlers_ = 0;  // what the groups hold of the groups they use, all together
    bool too_many_states_ = false;
    std::uint32_t file_ = 0;
    std::uint32_t copy_ = none;
    std::map<std::string, origin, std::less<>> settings_seen_;
    std::vector<std::pair<std::uint32_t, const ast::text*>> tagged_texts_;  // in order of appearance
};

void declarer::operator()(const ast::setting_decl& s) {
    const auto where = at(file_, s.name);
    if (auto it = settings_seen_.find(s.name.text); it != settings_seen_.end()) {
        sink_.error(where, fmt::format("setting '{}' is set twice", s.name.text));
        sink_.note(it->second, "first set here");
        return;
    }
    settings_seen_.emplace(s.name.text, where);
    const auto spec = std::find_if(std::begin(setting_table), std::end(setting_table),
                                   [&](const setting_spec& known) { return known.name == s.name.text; });
    if (spec != std::end(setting_table))
        apply_setting(*spec, s, where, symbols_.settings, sink_);
    else
        sink_.error(where, fmt::format("unknown setting '{}'{}", s.name.text, suggest(s.name.text, setting_names())));
}

void declarer::operator()(const ast::variable_decl& v) {
    if (value(v.name, value_kind::variable, symbols_.variables)) {
        symbols_.variable_defaults.push_back(&v.value);
        symbols_.variable_types.push_back(&v.type);
        note_languages(v.value);
    }
}

void declarer::operator()(const ast::intent_decl& i) {
    if (label(i.name, false, &i)) note_languages(i.description);
}

void declarer::operator()(const ast::forbid_decl& f) {
    auto folded = detail::forbidden_words(f.phrase.value);
    if (folded.empty()) {
        sink_.error(at(file_, f.phrase), "a forbidden phrase cannot be empty");
        return;
    }
    std::vector<std::uint32_t> failure(folded.size(), 0);
    for (std::uint32_t i = 1, k = 0; i < folded.size(); ++i) {
        while (k > 0 && folded[i] != folded[k]) k = failure[k - 1];
        if (folded[i] == folded[k]) ++k;
        failure[i] = k;
    }
    symbols_.forbids.push_back({&f, file_, std::move(folded), std::move(failure)});
}

void declarer::operator()(const ast::confirm_decl& d) {
    if (symbols_.confirm) {
        sink_.error(at(file_, d), "duplicate 'confirm'");
        sink_.note(at(symbols_.confirm_file, *symbols_.confirm), "first declared here");
        return;
    }
    symbols_.confirm = &d;
    symbols_.confirm_file = file_;
    note_languages(d.ask);
    note_languages(d.repeat);
}

void declarer::operator()(const ast::global_decl& g) {
    if (!count_handlers(g.handlers.size(), at(file_, g))) return;
    for (const auto& h : g.handlers) {
        symbols_.globals.push_back({&h, file_, none});
        note_languages(h);
    }
}

void declarer::operator()(const ast::group_decl& g) {
    const auto where = at(file_, g.name);
    if (auto it = symbols_.groups.find(g.name.text); it != symbols_.groups.end()) {
        duplicate(where, it->second.where, fmt::format("group of handlers '{}'", g.name.text));
        return;
    }
    symbols_.groups.emplace(g.name.text, handler_group{&g, file_, where});
    for (const auto& h : g.handlers) note_languages(h);
}

// A group's handlers with the groups it uses in their places (those groups' own, in turn), as
// handler_refs of the group's files, once per group; nullptr when it uses itself, directly or
// through others (said once, at the use that closes the circle). `chain`: the groups being
// expanded, outermost first.
const std::vector<handler_ref>* declarer::group_handlers(handler_group& group, std::vector<std::string>& chain) {
    if (group.expanded) return group.broken ? nullptr : &group.handlers;
    const auto& node = *group.node;
    chain.push_back(node.name.text);
    std::vector<handler_ref> out;
    std::size_t own = 0;
    auto take_own = [&](std::size_t until) {
        for (; own < until; ++own) out.push_back({&node.handlers[own], group.file, none, true});
    };
    for (const auto& use : node.groups) {
        take_own(use.position);
        const auto it = symbols_.groups.find(use.name.text);
        if (it == symbols_.groups.end()) {
            sink_.error(at(group.file, use.name),
                        fmt::format("undefined group of handlers '{}'{}", use.name.text, suggest(use.name.text, keys_of(symbols_.groups))));
            continue;
        }
        it->second.used = true;
        if (chain.size() >= options_.limits.max_guard_depth) {  // a chain of groups as deep as a guard, and no deeper
            sink_.error(at(group.file, use.name), fmt::format("groups of handlers use each other too deeply here (the limit is {})",
                                                              options_.limits.max_guard_depth));
            group.broken = true;
            continue;
        }
        if (const auto loop = std::find(chain.begin(), chain.end(), use.name.text); loop != chain.end()) {
            std::string path;
            for (auto g = loop; g != chain.end(); ++g) path += *g + " -> ";
            sink_.error(at(group.file, use.name), fmt::format("group of handlers '{}' uses itself ({}{}); a group cannot contain itself",
                                                              use.name.text, path, use.name.text));
            group.broken = true;
            continue;
        }
        if (const auto* inner = group_handlers(it->second, chain)) {
            // Groups used twice over, level after level, or many groups using a large one: all the
            // groups' handlers, each with those of the groups it uses, stay within the script's limit.
            group_handlers_ += inner->size();
            if (group_handlers_ > options_.limits.max_handlers) {
                sink_.error(at(group.file, use.name),
                            fmt::format("the groups of handlers hold more than {} handlers with the groups they use (here, '{}')",
                                        options_.limits.max_handlers, node.name.text));
                group.broken = true;
                continue;
            }
            out.insert(out.end(), inner->begin(), inner->end());
        } else {
            group.broken = true;
        }
    }
    take_own(node.handlers.size());
    chain.pop_back();
    group.expanded = true;
    group.handlers = std::move(out);
    return group.broken ? nullptr : &group.handlers;
}

// Each `handlers NAME` in a state becomes the group's handlers, in its place; groups may be
// declared anywhere, before or after the states that use them.
void declarer::expand_groups() {
    std::vector<std::string> chain;
    for (auto& [name, group] : symbols_.groups) (void)group_handlers(group, chain);  // every group, used or not: its mistakes are said
    for (std::uint32_t index = 0; index < symbols_.state_list.size(); ++index) {
        auto& info = symbols_.state_list[index];
        if (info.node->groups.empty()) continue;
        std::vector<handler_ref> handlers;
        std::size_t own = 0;
        auto take_own = [&](std::size_t until) {
            for (; own < until; ++own) handlers.push_back(info.handlers[own]);
        };
        for (const auto& use : info.node->groups) {
            take_own(use.position);
            const auto it = symbols_.groups.find(use.name.text);
            if (it == symbols_.groups.end()) {
                sink_.error(at(info.file, use.name), fmt::format("undefined group of handlers '{}'{}", use.name.text,
                                                                 suggest(use.name.text, keys_of(symbols_.groups))));
                continue;
            }
            it->second.used = true;
            if (it->second.broken) continue;
            const auto& shared = it->second.handlers;
            if (!count_handlers(shared.size(), at(info.file, use.name))) continue;
            for (auto h : shared) {
                h.owner = index;
                handlers.push_back(h);
            }
        }
        take_own(info.handlers.size());
        info.handlers = std::move(handlers);
    }
}

void declarer::operator()(const ast::state_decl& s) {
    const auto where = at(file_, s.name);
    if (auto it = symbols_.states.find(s.name.text); it != symbols_.states.end()) {
        duplicate(where, it->second.where, fmt::format("state '{}'", s.name.text));
        return;
    }
    const auto index = static_cast<std::uint32_t>(symbols_.state_list.size());
    if (const auto limit = std::min<std::size_t>(options_.limits.max_states, 65535); index >= limit) {
        if (!too_many_states_) sink_.error(where, fmt::format("a script may have at most {} states", limit));
        too_many_states_ = true;
        return;
    }
    if (!count_handlers(s.handlers.size(), where)) return;
    symbols_.states.emplace(s.name.text, symbol{index, where});
    state_info info{&s, file_, copy_, action::continue_, {}};
    for (const auto& h : s.handlers) info.handlers.push_back({&h, file_, index});
    symbols_.state_list.push_back(std::move(info));
    if (s.initial) mark_initial(s, index, where);
    if (s.entry) note_languages(*s.entry);
    for (const auto& f : s.fields) {
        note_languages(f.prompt);
        if (f.reprompt) note_languages(*f.reprompt);
    }
    for (const auto& h : s.handlers) note_languages(h);
}

void declarer::mark_initial(const ast::state_decl& s, std::uint32_t index, const origin& where) {
    if (symbols_.initial == none) {
        symbols_.initial = index;
        return;
    }
    const auto& first = symbols_.state_list[symbols_.initial].node->name.text;
    sink_.error(where, fmt::format("state '{}' is marked 'initial', but so is '{}'", s.name.text, first));
    sink_.note(symbols_.states.find(first)->second.where, "the first initial state");
}

// False when the name is taken.
bool declarer::value(const ast::identifier& name, value_kind kind, std::vector<std::string>& list) {
    const auto where = at(file_, name);
    if (const auto* existing = symbols_.find_value(name.text)) {
        sink_.error(where, fmt::format("'{}' is already declared as a {}", name.text, kind_name(existing->kind)));
        sink_.note(existing->where, "first declared here");
        return false;
    }
    symbols_.values.emplace(name.text, value_symbol{kind, static_cast<std::uint32_t>(list.size()), where});
    list.push_back(name.text);
    return true;
}

// False when the name is taken.
bool declarer::label(const ast::identifier& name, bool is_event, const ast::intent_decl* intent) {
    const auto where = at(file_, name);
    if (auto it = symbols_.labels.find(name.text); it != symbols_.labels.end()) {
        duplicate(where, it->second.where, fmt::format("intent or event '{}'", name.text));
        return false;
    }
    symbols_.labels.emplace(name.text, symbol{static_cast<std::uint32_t>(symbols_.label_list.size()), where});
    symbols_.label_list.push_back({name.text, is_event, intent, where});
    return true;
}

void declarer::note_languages(const ast::phrase& p) {
    for (const auto& v : p.variants) note_languages(v.texts);
}

void declarer::note_languages(const ast::handler& h) {
    for (const auto& clause : h.clauses) {
        if (const auto* say = boost::get<ast::say_clause>(&clause))
            note_languages(say->what);
        else if (const auto* hint = boost::get<ast::hint_clause>(&clause))
            note_languages(hint->what);
    }
}

void declarer::note_languages(const std::vector<ast::text>& texts) {
    for (const auto& t : texts)
        if (!t.language.empty()) tagged_texts_.emplace_back(file_, &t);
}

void declarer::resolve_actions() {
    for (auto& s : symbols_.state_list) {
        if (!s.node->action) continue;
        if (const auto named = action_from_string(s.node->action->text))
            s.action = *named;
        else
            sink_.error(
                at(s.file, *s.node->action),
                fmt::format("unknown action '{}'; a state's action is continue, hold, transfer, hangup or close", s.node->action->text));
    }
}

// The default language, the fallback, then each tag in order of appearance, up to the limit.
// Malformed tags are left to the checks.
void declarer::collect_languages() {
    auto& settings = symbols_.settings;
    auto& languages = symbols_.languages;
    if (settings.fallback.empty()) settings.fallback = settings.language;
    languages.push_back(settings.language);
    if (settings.fallback != settings.language) languages.push_back(settings.fallback);
    const auto limit = options_.limits.max_languages;
    for (const auto& [file, t] : tagged_texts_) {
        if (!valid_language_tag(t->language) || std::find(languages.begin(), languages.end(), t->language) != languages.end()) continue;
        if (languages.size() >= limit)
            sink_.error(at(file, *t), fmt::format("a script may use at most {} languages", limit));
        else
            languages.push_back(t->language);
    }
}

}  // namespace

std::vector<std::string_view> setting_names() {
    std::vector<std::string_view> out;
    for (const auto& spec : setting_table) out.push_back(spec.name);
    return out;
}

symbol_table declare(const script_items& items, const compile_options& options, diagnostic_sink& sink) {
    declarer d(options, sink);
    for (const auto& item : items.items) d.declare(item);
    return d.finish(items.copies);
}

}  // namespace parley::pipeline
