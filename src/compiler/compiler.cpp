// The compiler front: loading files and includes, declaring symbols, the semantic checks and
// the Boost.Graph analyses. Lowering into runtime tables is in lower.cpp.
#include "compilation.hpp"

#include "../dsl/parser.hpp"

#include <parley/detail/utf8.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/strong_components.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

namespace parley {

namespace ast = dsl::ast;
namespace fs = std::filesystem;
using detail::none;

compile_error::compile_error(std::vector<diagnostic> diagnostics)
    : std::runtime_error([&] {
          std::string what;
          for (const auto& d : diagnostics) what += format(d);
          return what;
      }()),
      diagnostics_(std::move(diagnostics)) {}

namespace detail {

namespace {

std::optional<std::string> read_from_disk(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return std::move(text).str();
}

bool valid_language_tag(std::string_view tag) {
    std::size_t i = 0;
    while (i < tag.size() && tag[i] >= 'a' && tag[i] <= 'z') ++i;
    if (i < 2 || i > 3) return false;
    while (i < tag.size()) {
        if (tag[i++] != '-') return false;
        std::size_t n = 0;
        while (i < tag.size() && std::isalnum(static_cast<unsigned char>(tag[i]))) ++i, ++n;
        if (n < 1 || n > 8) return false;
    }
    return true;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

std::string_view op_text(ast::compare_op op) {
    switch (op) {
        case ast::compare_op::eq: return "==";
        case ast::compare_op::ne: return "!=";
        case ast::compare_op::lt: return "<";
        case ast::compare_op::le: return "<=";
        case ast::compare_op::gt: return ">";
        case ast::compare_op::ge: return ">=";
    }
    return "==";
}

std::string number_text(double v) { return fmt::format("{}", v); }

void write_guard(std::string& out, const ast::disjunction& g, bool nested);
void write_operand(std::string& out, const ast::operand& o) {
    struct {
        std::string& out;
        void operator()(const ast::comparison& c) const {
            out += c.subject.text;
            out += ' ';
            out += op_text(c.op);
            out += ' ';
            if (auto* n = boost::get<ast::number_literal>(&c.value)) out += number_text(n->value);
            else out += "\"" + boost::get<ast::string_literal>(c.value).value + "\"";
        }
        void operator()(const ast::known_check& k) const { out += "known(" + k.name.text + ")"; }
        void operator()(const ast::negation& n) const {
            out += "not ";
            write_operand(out, n.subject);
        }
        void operator()(const ast::disjunction& d) const { write_guard(out, d, true); }
    } visitor{out};
    boost::apply_visitor(visitor, o);
}
void write_guard(std::string& out, const ast::disjunction& g, bool nested) {
    const bool parens = nested && (g.terms.size() > 1 || (g.terms.size() == 1 && g.terms[0].terms.size() > 1));
    if (parens) out += '(';
    for (std::size_t i = 0; i < g.terms.size(); ++i) {
        if (i) out += " or ";
        for (std::size_t k = 0; k < g.terms[i].terms.size(); ++k) {
            if (k) out += " and ";
            write_operand(out, g.terms[i].terms[k]);
        }
    }
    if (parens) out += ')';
}

}  // namespace

std::string guard_text(const ast::disjunction& g) {
    std::string out;
    write_guard(out, g, false);
    return out;
}

std::string trigger_text(const ast::trigger& t) {
    switch (t.kind) {
        case ast::trigger_kind::otherwise: return "otherwise";
        case ast::trigger_kind::after: return "after " + number_text(t.seconds.value) + "s";
        case ast::trigger_kind::on: break;
    }
    std::string out;
    for (const auto& l : t.labels) out += (out.empty() ? "" : ", ") + l.text;
    return out;
}

bool split_template(std::string_view s, std::vector<template_piece>& out, std::uint32_t& error_at) {
    out.clear();
    std::string literal;
    std::uint32_t literal_at = 0;
    auto flush = [&] {
        if (!literal.empty()) out.push_back({false, std::move(literal), literal_at});
        literal.clear();
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '{' && i + 1 < s.size() && s[i + 1] == '{') {
            if (literal.empty()) literal_at = static_cast<std::uint32_t>(i);
            literal.push_back('{');
            ++i;
        } else if (c == '}' && i + 1 < s.size() && s[i + 1] == '}') {
            if (literal.empty()) literal_at = static_cast<std::uint32_t>(i);
            literal.push_back('}');
            ++i;
        } else if (c == '{') {
            const auto close = s.find('}', i + 1);
            if (close == std::string_view::npos) {
                error_at = static_cast<std::uint32_t>(i);
                return false;
            }
            auto name = s.substr(i + 1, close - i - 1);
            while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
            while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
            flush();
            out.push_back({true, std::string(name), static_cast<std::uint32_t>(i)});
            i = close;
        } else if (c == '}') {
            error_at = static_cast<std::uint32_t>(i);
            return false;
        } else {
            if (literal.empty()) literal_at = static_cast<std::uint32_t>(i);
            literal.push_back(c);
        }
    }
    flush();
    return true;
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

void compilation::report(severity level, const origin& where, std::string message) {
    auto d = files_[where.file]->make(level, where.offset, where.length, std::move(message));
    if (level == severity::warning && options_.warnings_as_errors) d.severity = severity::error;
    if (d.severity == severity::error) ++errors_;
    if (d.severity == severity::warning) ++warnings_;
    diagnostics_.push_back(std::move(d));
}

void compilation::file_error(std::string file, std::string message) {
    diagnostic d;
    d.severity = severity::error;
    d.file = std::move(file);
    d.message = std::move(message);
    diagnostics_.push_back(std::move(d));
    ++errors_;
}

template <class Map>
std::string compilation::suggest(std::string_view name, const Map& candidates) const {
    // Close enough: at most a third of the name's letters differ (one for short names), and
    // never the whole name ('b' is no misspelling of 'a').
    std::string_view best;
    std::size_t best_distance = std::min(std::max<std::size_t>(1, name.size() / 3), name.size() - (name.empty() ? 0 : 1)) + 1;
    for (const auto& [candidate, ignored] : candidates) {
        const auto d = edit_distance(name, candidate);
        if (d < best_distance) best_distance = d, best = candidate;
    }
    return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
}

const value_symbol* compilation::find_value(std::string_view name) const {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
}

// ---------------------------------------------------------------------------------------------
// Loading

void compilation::load_root(const fs::path& path) { load(path, path.string(), std::nullopt, nullptr, 0); }

void compilation::load_root_text(std::string_view text, std::string name) {
    load(fs::path(name), name, std::string(text), nullptr, 0);
}

void compilation::load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from,
                       std::size_t depth) {
    const auto& limits = options_.limits;
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(path, ec).string();
    const auto key = ec ? path.lexically_normal().string() : canonical;
    if (from) {
        if (std::find(include_stack_.begin(), include_stack_.end(), key) != include_stack_.end()) {
            std::string cycle;
            auto first = std::find(include_stack_.begin(), include_stack_.end(), key);
            for (auto it = first; it != include_stack_.end(); ++it) cycle += fs::path(*it).filename().string() + " -> ";
            error(*from, fmt::format("include cycle: {}{}", cycle, path.filename().string()));
            return;
        }
        if (depth > limits.max_include_depth) {
            error(*from, fmt::format("includes are nested too deeply (the limit is {})", limits.max_include_depth));
            return;
        }
        for (const auto& f : files_)
            if (f->name() == name) return;  // included once already: its declarations are in
    }
    if (!text) text = options_.read_file ? options_.read_file(path) : read_from_disk(path);
    if (!text) {
        if (from) error(*from, fmt::format("cannot open included file '{}'", name));
        else file_error(name, "cannot open file");
        return;
    }
    if (text->size() > limits.max_file_bytes) {
        const auto message = fmt::format("file is larger than the limit of {} bytes", limits.max_file_bytes);
        if (from) error(*from, message);
        else file_error(name, message);
        return;
    }
    const auto index = static_cast<std::uint32_t>(files_.size());
    files_.push_back(std::make_unique<dsl::source_file>(name, std::move(*text)));
    std::vector<diagnostic> parsed;
    asts_.push_back(std::make_unique<ast::file>(dsl::parse(*files_.back(), limits, parsed)));
    for (auto& d : parsed) {
        if (d.severity == severity::error) ++errors_;
        if (d.severity == severity::warning) ++warnings_;
        diagnostics_.push_back(std::move(d));
    }
    include_stack_.push_back(key);
    const auto* file = asts_.back().get();
    for (const auto& item : file->items) {
        if (const auto* inc = boost::get<ast::include_decl>(&item)) {
            const auto where = at(index, *inc);
            const auto target = (path.parent_path() / inc->path.value).lexically_normal();
            const auto shown = (fs::path(name).parent_path() / inc->path.value).lexically_normal().string();
            load(target, shown, std::nullopt, &where, depth + 1);
        } else {
            items_.emplace_back(index, &item);
        }
    }
    include_stack_.pop_back();
}

// ---------------------------------------------------------------------------------------------
// Declarations

void compilation::declare() {
    std::map<std::string, origin, std::less<>> settings_seen;
    for (const auto& [file, item] : items_) {
        struct visitor {
            compilation& c;
            std::uint32_t file;
            std::map<std::string, origin, std::less<>>& settings_seen;

            void duplicate(const origin& here, const origin& first, std::string what) const {
                c.error(here, "duplicate " + what);
                c.note(first, "first declared here");
            }
            void value(const ast::identifier& name, value_kind kind, std::vector<std::string>& list) const {
                const auto where = c.at(file, name);
                if (auto* existing = c.find_value(name.text)) {
                    static constexpr const char* kinds[] = {"counter", "slot", "variable"};
                    c.error(where, fmt::format("'{}' is already declared as a {}", name.text, kinds[int(existing->kind)]));
                    c.note(existing->where, "first declared here");
                    return;
                }
                c.values_.emplace(name.text, value_symbol{kind, static_cast<std::uint32_t>(list.size()), where});
                list.push_back(name.text);
            }
            void label(const ast::identifier& name, bool is_event, const ast::intent_decl* intent) const {
                const auto where = c.at(file, name);
                if (auto it = c.labels_.find(name.text); it != c.labels_.end()) {
                    duplicate(where, it->second.where, fmt::format("intent or event '{}'", name.text));
                    return;
                }
                const auto index = static_cast<std::uint32_t>(c.label_list_.size());
                c.labels_.emplace(name.text, symbol{index, where});
                c.label_list_.push_back({name.text, is_event, intent, where, false});
            }

            void operator()(const ast::include_decl&) const {}
            void operator()(const ast::setting_decl& s) const {
                const auto where = c.at(file, s.name);
                if (auto it = settings_seen.find(s.name.text); it != settings_seen.end()) {
                    c.error(where, fmt::format("setting '{}' is set twice", s.name.text));
                    c.note(it->second, "first set here");
                    return;
                }
                settings_seen.emplace(s.name.text, where);
                const auto* number = boost::get<ast::number_literal>(&s.value);
                std::string word;
                if (const auto* id = boost::get<ast::identifier>(&s.value)) word = id->text;
                if (const auto* str = boost::get<ast::string_literal>(&s.value)) word = str->value;
                const auto& n = s.name.text;
                auto need_number = [&](double low, double high, double& into, std::string_view unit) {
                    if (!number || !(number->value >= low && number->value <= high))
                        c.error(where, fmt::format("setting '{}' takes a number from {} to {}{}", n, low, high, unit));
                    else
                        into = number->value;
                };
                auto need_language = [&](std::string& into) {
                    if (number || !valid_language_tag(word))
                        c.error(where, fmt::format("setting '{}' takes a language tag such as 'ru' or 'pt-BR'", n));
                    else
                        into = word;
                };
                if (n == "language") need_language(c.language_);
                else if (n == "fallback") need_language(c.fallback_);
                else if (n == "threshold") need_number(0, 1, c.threshold_, "");
                else if (n == "silence_timeout") need_number(0, 3600, c.silence_timeout_, " seconds");
                else if (n == "hold_timeout") need_number(1, 3600, c.hold_timeout_, " seconds");
                else if (n == "unknown_intents") {
                    if (word == "error" || word == "otherwise") c.unknown_to_otherwise_ = word == "otherwise";
                    else c.error(where, "setting 'unknown_intents' takes 'error' or 'otherwise'");
                } else {
                    static const std::map<std::string, int, std::less<>> known = {
                        {"language", 0}, {"fallback", 0}, {"threshold", 0}, {"silence_timeout", 0},
                        {"hold_timeout", 0}, {"unknown_intents", 0}};
                    c.error(where, fmt::format("unknown setting '{}'{}", n, c.suggest(n, known)));
                }
            }
            void operator()(const ast::variable_decl& v) const {
                const auto before = c.variables_.size();
                value(v.name, value_kind::variable, c.variables_);
                if (c.variables_.size() != before) c.variable_defaults_.push_back(v.value ? v.value->value : std::string());
            }
            void operator()(const ast::slot_decl& s) const { value(s.name, value_kind::slot, c.slots_); }
            void operator()(const ast::counter_decl& s) const { value(s.name, value_kind::counter, c.counters_); }
            void operator()(const ast::intent_decl& i) const { label(i.name, false, &i); }
            void operator()(const ast::event_decl& e) const { label(e.name, true, nullptr); }
            void operator()(const ast::forbid_decl& f) const {
                std::u32string folded;
                fold_utf8(f.phrase.value, folded);
                if (folded.empty()) {
                    c.error(c.at(file, f.phrase), "a forbidden phrase cannot be empty");
                    return;
                }
                c.forbids_.emplace_back(&f, file);
                c.forbid_folded_.push_back(std::move(folded));
            }
            void operator()(const ast::confirm_decl& d) const {
                if (c.confirm_) {
                    c.error(c.at(file, d), "duplicate 'confirm'");
                    c.note(c.at(c.confirm_file_, *c.confirm_), "first declared here");
                    return;
                }
                c.confirm_ = &d;
                c.confirm_file_ = file;
            }
            void operator()(const ast::global_decl& g) const {
                for (const auto& h : g.handlers) c.globals_.push_back({&h, file, none});
            }
            void operator()(const ast::state_decl& s) const {
                const auto where = c.at(file, s.name);
                if (auto it = c.states_.find(s.name.text); it != c.states_.end()) {
                    duplicate(where, it->second.where, fmt::format("state '{}'", s.name.text));
                    return;
                }
                const auto index = static_cast<std::uint32_t>(c.state_list_.size());
                c.states_.emplace(s.name.text, symbol{index, where});
                state_info info{&s, file, state_action::continue_, {}};
                for (const auto& h : s.handlers) info.handlers.push_back({&h, file, index});
                c.state_list_.push_back(std::move(info));
                if (s.initial) {
                    if (c.initial_ != none) {
                        c.error(where, fmt::format("state '{}' is marked 'initial', but so is '{}'", s.name.text,
                                                   c.state_list_[c.initial_].node->name.text));
                        c.note(c.states_.find(c.state_list_[c.initial_].node->name.text)->second.where,
                               "the first initial state");
                    } else {
                        c.initial_ = index;
                    }
                }
            }
        };
        boost::apply_visitor(visitor{*this, file, settings_seen}, *item);
    }
    languages_.push_back(language_);
    if (fallback_.empty()) fallback_ = language_;
    if (fallback_ != language_) languages_.push_back(fallback_);
}

// ---------------------------------------------------------------------------------------------
// Checks

void compilation::check_phrase(const ast::phrase& p, std::uint32_t file, bool allow_intent, bool is_hint) {
    const auto& limits = options_.limits;
    if (is_hint && p.variants.size() > 1) error(at(file, p.variants[1]), "a hint has one variant");
    if (p.variants.size() > limits.max_variants)
        error(at(file, p), fmt::format("a phrase may have at most {} variants", limits.max_variants));
    std::vector<template_piece> pieces;
    std::u32string folded;
    for (const auto& v : p.variants) {
        std::set<std::string> seen;
        bool has_default = false;
        for (const auto& t : v.texts) {
            const std::string& lang = t.language.empty() ? language_ : t.language;
            const auto where = at(file, t);
            if (!t.language.empty() && !valid_language_tag(t.language)) {
                error(where, fmt::format("'{}' is not a language tag such as 'ru' or 'pt-BR'", t.language));
                continue;
            }
            if (!seen.insert(lang).second) error(where, fmt::format("language '{}' appears twice in one variant", lang));
            has_default = has_default || lang == language_;
            if (std::find(languages_.begin(), languages_.end(), lang) == languages_.end()) {
                if (languages_.size() >= limits.max_languages)
                    error(where, fmt::format("a script may use at most {} languages", limits.max_languages));
                else
                    languages_.push_back(lang);
            }
            if (t.value.value.size() > limits.max_phrase_bytes)
                error(at(file, t.value), fmt::format("phrase is longer than {} bytes", limits.max_phrase_bytes));
            std::uint32_t bad = 0;
            if (!split_template(t.value.value, pieces, bad)) {
                error({file, t.value.offset + 1 + bad, 1},
                      fmt::format("unmatched '{}' in a phrase; write '{}' for a literal brace", t.value.value[bad],
                                  std::string(2, t.value.value[bad])));
                continue;
            }
            for (const auto& piece : pieces) {
                if (!piece.placeholder) continue;
                const origin here{file, t.value.offset + 1 + piece.where, static_cast<std::uint32_t>(piece.text.size() + 2)};
                if (is_hint) {
                    error(here, "a hint cannot have placeholders");
                    break;
                }
                if (piece.text == "intent") {
                    if (!allow_intent) error(here, "'{intent}' can only be used in the 'ask' phrase of 'confirm'");
                    continue;
                }
                const auto* named = find_value(piece.text);
                if (!named) error(here, fmt::format("placeholder '{{{}}}' names no variable or slot{}", piece.text, suggest(piece.text, values_)));
                else if (named->kind == value_kind::counter)
                    error(here, fmt::format("'{}' is a counter; phrases show slots and variables", piece.text));
            }
            if (is_hint) continue;
            fold_utf8(t.value.value, folded);
            for (std::size_t k = 0; k < forbids_.size(); ++k) {
                const auto& f = forbid_folded_[k];
                if (std::search(folded.begin(), folded.end(), f.begin(), f.end()) != folded.end()) {
                    const auto& [decl, decl_file] = forbids_[k];
                    error(at(file, t.value), fmt::format("phrase contains the forbidden phrase '{}'; say '{}' instead",
                                                         decl->phrase.value, decl->replacement.value));
                    note(at(decl_file, *decl), "forbidden here");
                }
            }
        }
        if (!has_default)
            error(at(file, v), fmt::format("phrase has no text in the default language '{}'", language_));
    }
}

void compilation::check_guard(const ast::disjunction& g, std::uint32_t file) {
    struct visitor {
        compilation& c;
        std::uint32_t file;
        void operator()(const ast::comparison& cmp) const {
            const auto where = c.at(file, cmp.subject);
            const auto* v = c.find_value(cmp.subject.text);
            if (!v) {
                c.error(where, fmt::format("undefined counter, slot or variable '{}'{}", cmp.subject.text,
                                           c.suggest(cmp.subject.text, c.values_)));
                return;
            }
            const bool is_number = boost::get<ast::number_literal>(&cmp.value) != nullptr;
            if (v->kind == value_kind::counter) {
                if (!is_number) c.error(c.at(file, cmp), fmt::format("counter '{}' compares with a number", cmp.subject.text));
                else if (const auto n = boost::get<ast::number_literal>(cmp.value).value; n != std::floor(n) || n < 0 || n > 255)
                    c.error(c.at(file, cmp), fmt::format("counter '{}' compares with a whole number from 0 to 255", cmp.subject.text));
            } else {
                const char* kind = v->kind == value_kind::slot ? "slot" : "variable";
                if (is_number) c.error(c.at(file, cmp), fmt::format("{} '{}' compares with a string", kind, cmp.subject.text));
                else if (cmp.op != ast::compare_op::eq && cmp.op != ast::compare_op::ne)
                    c.error(c.at(file, cmp), fmt::format("{} '{}' compares only with '==' or '!='", kind, cmp.subject.text));
            }
        }
        void operator()(const ast::known_check& k) const {
            const auto* v = c.find_value(k.name.text);
            if (!v || v->kind != value_kind::slot)
                c.error(c.at(file, k.name), fmt::format("'{}' is not a slot; known() takes a slot{}", k.name.text,
                                                        v ? "" : c.suggest(k.name.text, c.values_)));
        }
        void operator()(const ast::negation& n) const { boost::apply_visitor(*this, n.subject); }
        void operator()(const ast::disjunction& d) const { c.check_guard(d, file); }
    };
    for (const auto& conj : g.terms)
        for (const auto& term : conj.terms) boost::apply_visitor(visitor{*this, file}, term);
}

void compilation::check_handler(const handler_ref& h, bool global) {
    const auto& node = *h.node;
    const auto file = h.file;
    switch (node.when.kind) {
        case ast::trigger_kind::on:
            for (const auto& l : node.when.labels) {
                auto it = labels_.find(l.text);
                if (it == labels_.end())
                    error(at(file, l), fmt::format("undefined intent or event '{}'{}", l.text, suggest(l.text, labels_)));
                else
                    label_list_[it->second.index].used = true;
            }
            break;
        case ast::trigger_kind::after:
            if (global) error(at(file, node.when), "a timer belongs to a state, not to 'global'");
            else if (!(node.when.seconds.value > 0 && node.when.seconds.value <= 86400))
                error(at(file, node.when.seconds), "a timer needs a number of seconds from 0 to 86400 (more than 0)");
            else if (state_list_[h.owner].action == state_action::hold && node.when.seconds.value > hold_timeout_)
                error(at(file, node.when.seconds),
                      fmt::format("a hold must not last longer than hold_timeout ({} s)", number_text(hold_timeout_)));
            break;
        case ast::trigger_kind::otherwise: break;
    }
    if (node.guard) check_guard(*node.guard, file);
    if (node.target.text != "stay" && !states_.count(node.target.text))
        error(at(file, node.target), fmt::format("undefined state '{}'{}", node.target.text, suggest(node.target.text, states_)));
    int says = 0, hints = 0;
    for (const auto& clause : node.clauses) {
        struct visitor {
            compilation& c;
            std::uint32_t file;
            int& says;
            int& hints;
            void need(const ast::identifier& name, value_kind kind, const char* what) const {
                const auto* v = c.find_value(name.text);
                if (!v || v->kind != kind)
                    c.error(c.at(file, name), fmt::format("undefined {} '{}'{}", what, name.text, c.suggest(name.text, c.values_)));
            }
            void operator()(const ast::say_clause& s) const {
                if (++says == 2) c.error(c.at(file, s), "a handler says one phrase; separate variants with '|'");
                c.check_phrase(s.what, file, false, false);
            }
            void operator()(const ast::hint_clause& s) const {
                if (++hints == 2) c.error(c.at(file, s), "a handler has one hint");
                c.check_phrase(s.what, file, false, true);
            }
            void operator()(const ast::counter_clause& s) const { need(s.counter, value_kind::counter, "counter"); }
            void operator()(const ast::keep_clause& s) const {
                for (const auto& slot : s.slots) need(slot, value_kind::slot, "slot");
            }
            void operator()(const ast::set_clause& s) const { need(s.variable, value_kind::variable, "variable"); }
        };
        boost::apply_visitor(visitor{*this, file, says, hints}, clause);
    }
}

void compilation::check_shadowing(const std::vector<handler_ref>& handlers) {
    // The first handler for each label (or otherwise, or timer length) that always matches.
    std::map<std::string, const handler_ref*> always;
    std::map<std::string, std::pair<std::string, const handler_ref*>> seen;  // label+guard -> first
    for (const auto& h : handlers) {
        std::vector<std::string> keys;
        switch (h.node->when.kind) {
            case ast::trigger_kind::on:
                for (const auto& l : h.node->when.labels) keys.push_back("on " + l.text);
                break;
            case ast::trigger_kind::otherwise: keys.push_back("otherwise"); break;
            case ast::trigger_kind::after: keys.push_back("after " + number_text(h.node->when.seconds.value)); break;
        }
        const std::string guard = h.node->guard ? guard_text(*h.node->guard) : std::string();
        for (const auto& key : keys) {
            const handler_ref* earlier = nullptr;
            if (auto it = always.find(key); it != always.end()) earlier = it->second;
            else if (auto s = seen.find(key + "\n" + guard); s != seen.end()) earlier = s->second.second;
            const auto what = key.substr(key.find(' ') + 1);
            if (earlier) {
                warning(at(h.file, h.node->when),
                        fmt::format("this handler for '{}' can never fire: the handler on line {} always matches first",
                                    key == "otherwise" ? std::string("otherwise") : what,
                                    files_[earlier->file]->line_of(earlier->node->offset)));
                continue;
            }
            if (guard.empty()) always.emplace(key, &h);
            seen.emplace(key + "\n" + guard, std::make_pair(guard, &h));
        }
    }
}

void compilation::check_states() {
    static const std::map<std::string, state_action, std::less<>> actions = {
        {"continue", state_action::continue_}, {"hold", state_action::hold}, {"transfer", state_action::transfer},
        {"hangup", state_action::hangup},      {"close", state_action::close}};
    for (auto& s : state_list_) {
        if (s.node->action) {
            auto it = actions.find(s.node->action->text);
            if (it == actions.end())
                error(at(s.file, *s.node->action),
                      fmt::format("unknown action '{}'; a state's action is continue, hold, transfer, hangup or close",
                                  s.node->action->text));
            else
                s.action = it->second;
        }
    }
    if (initial_ == none && !state_list_.empty()) {
        const auto& first = state_list_.front();
        error(at(first.file, first.node->name), "no state is marked 'initial'; mark the state where a call starts");
    } else if (state_list_.empty() && !files_.empty()) {
        error({0, 0, 1}, "the script declares no state");
    }
    for (auto& s : state_list_) {
        if (s.node->entry) check_phrase(*s.node->entry, s.file, false, false);
        const bool terminal = s.action == state_action::transfer || s.action == state_action::hangup || s.action == state_action::close;
        if (terminal && !s.handlers.empty())
            error(at(s.file, *s.handlers.front().node),
                  fmt::format("terminal state '{}' cannot have handlers: the call has ended there", s.node->name.text));
        std::size_t timers = 0;
        for (const auto& h : s.handlers) {
            check_handler(h, false);
            timers += h.node->when.kind == ast::trigger_kind::after;
        }
        if (timers > options_.limits.max_timers_per_state)
            error(at(s.file, s.node->name),
                  fmt::format("state '{}' has more than {} timers", s.node->name.text, options_.limits.max_timers_per_state));
        check_shadowing(s.handlers);
    }
    for (const auto& h : globals_) check_handler(h, true);
    check_shadowing(globals_);
    if (confirm_) {
        const auto file = confirm_file_;
        if (!states_.count(confirm_->target.text))
            error(at(file, confirm_->target),
                  fmt::format("undefined state '{}'{}", confirm_->target.text, suggest(confirm_->target.text, states_)));
        for (const char* needed : {"accept", "decline"}) {
            auto it = labels_.find(needed);
            if (it == labels_.end()) error(at(file, *confirm_), fmt::format("'confirm' needs the intent '{}'", needed));
            else label_list_[it->second.index].used = true;
        }
        check_phrase(confirm_->ask, file, true, false);
        check_phrase(confirm_->repeat, file, false, false);
    } else if (threshold_ > 0) {
        for (const auto& [file, item] : items_)
            if (const auto* s = boost::get<ast::setting_decl>(item); s && s->name.text == "threshold")
                warning(at(file, *s), "'threshold' has no effect without a 'confirm' block");
    }
    for (const auto& l : label_list_) {
        if (!l.intent) continue;
        std::set<std::string> seen;
        for (const auto& t : l.intent->description) {
            const std::string& lang = t.language.empty() ? language_ : t.language;
            if (!t.language.empty() && !valid_language_tag(t.language))
                error(at(l.where.file, t), fmt::format("'{}' is not a language tag such as 'ru' or 'pt-BR'", t.language));
            else if (!seen.insert(lang).second)
                error(at(l.where.file, t), fmt::format("language '{}' appears twice in one description", lang));
            else if (std::find(languages_.begin(), languages_.end(), lang) == languages_.end())
                languages_.push_back(lang);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Graph analyses (Boost.Graph)

void compilation::analyse() {
    using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
    const auto n = state_list_.size();
    if (n == 0 || initial_ == none) return;
    graph g(n);
    auto terminal = [&](std::size_t s) {
        const auto a = state_list_[s].action;
        return a == state_action::transfer || a == state_action::hangup || a == state_action::close;
    };
    auto target_of = [&](const handler_ref& h) -> std::uint32_t {
        if (h.node->target.text == "stay") return none;
        auto it = states_.find(h.node->target.text);
        return it == states_.end() ? none : it->second.index;
    };
    std::vector<std::uint32_t> global_targets;
    for (const auto& h : globals_)
        if (auto t = target_of(h); t != none) global_targets.push_back(t);
    std::sort(global_targets.begin(), global_targets.end());
    global_targets.erase(std::unique(global_targets.begin(), global_targets.end()), global_targets.end());
    const auto confirm_state = confirm_ && threshold_ > 0 && states_.count(confirm_->target.text)
                                   ? states_.find(confirm_->target.text)->second.index
                                   : none;
    for (std::uint32_t s = 0; s < n; ++s) {
        if (terminal(s)) continue;
        for (const auto& h : state_list_[s].handlers)
            if (auto t = target_of(h); t != none) boost::add_edge(s, t, g);
        for (auto t : global_targets) boost::add_edge(s, t, g);
        if (confirm_state != none && s != confirm_state) {
            boost::add_edge(s, confirm_state, g);
            boost::add_edge(confirm_state, s, g);
        }
    }

    // Reachable from the initial state.
    std::vector<boost::default_color_type> reached(n, boost::white_color);
    boost::breadth_first_search(g, boost::vertex(initial_, g),
                                boost::color_map(boost::make_iterator_property_map(reached.begin(), get(boost::vertex_index, g))));
    auto name_at = [&](std::uint32_t s) { return states_.find(state_list_[s].node->name.text)->second.where; };
    for (std::uint32_t s = 0; s < n; ++s)
        if (reached[s] == boost::white_color)
            warning(name_at(s), fmt::format("state '{}' is unreachable from the initial state '{}'",
                                            state_list_[s].node->name.text, state_list_[initial_].node->name.text));

    // Cycles that can never be left: strongly connected components with no way out.
    std::vector<std::size_t> component(n);
    const auto count = boost::strong_components(g, boost::make_iterator_property_map(component.begin(), get(boost::vertex_index, g)));
    std::vector<bool> has_exit(count, false), has_terminal(count, false);
    std::vector<std::vector<std::uint32_t>> members(count);
    for (std::uint32_t s = 0; s < n; ++s) {
        members[component[s]].push_back(s);
        if (terminal(s)) has_terminal[component[s]] = true;
        for (auto [e, end] = boost::out_edges(s, g); e != end; ++e)
            if (component[boost::target(*e, g)] != component[s]) has_exit[component[s]] = true;
    }
    std::vector<bool> in_trap_cycle(n, false);
    for (std::size_t c = 0; c < count; ++c) {
        if (has_exit[c] || has_terminal[c] || members[c].size() < 2) continue;
        if (std::none_of(members[c].begin(), members[c].end(), [&](auto s) { return reached[s] != boost::white_color; })) continue;
        std::string names;
        for (std::size_t i = 0; i < members[c].size(); ++i) {
            names += (i == 0 ? "" : i + 1 == members[c].size() ? " and " : ", ");
            names += "'" + state_list_[members[c][i]].node->name.text + "'";
            in_trap_cycle[members[c][i]] = true;
        }
        warning(name_at(members[c].front()),
                fmt::format("states {} form a cycle that can never be left: no handler leads out of it", names));
    }

    // States from which no terminal state can be reached: a search backwards from the terminals.
    const auto sink = boost::add_vertex(g);
    for (std::uint32_t s = 0; s < n; ++s)
        if (terminal(s)) boost::add_edge(s, sink, g);
    std::vector<boost::default_color_type> leads_out(n + 1, boost::white_color);
    boost::breadth_first_search(boost::make_reverse_graph(g), sink,
                                boost::color_map(boost::make_iterator_property_map(leads_out.begin(), get(boost::vertex_index, g))));
    for (std::uint32_t s = 0; s < n; ++s)
        if (leads_out[s] == boost::white_color && reached[s] != boost::white_color && !in_trap_cycle[s])
            warning(name_at(s), fmt::format("no terminal state can be reached from state '{}'", state_list_[s].node->name.text));
}

void compilation::warn_unused() {
    for (const auto& l : label_list_)
        if (!l.used)
            warning(l.where, fmt::format("{} '{}' is declared but never handled", l.is_event ? "event" : "intent", l.name));
}

compile_result compilation::finish() {
    compile_result result;
    using clock = std::chrono::steady_clock;
    auto lap = [&, last = started_](double compile_timings::*phase) mutable {
        const auto now = clock::now();
        if (options_.timings) options_.timings->*phase = std::chrono::duration<double>(now - last).count();
        last = now;
    };
    lap(&compile_timings::parse);
    if (!failed() && !files_.empty()) {
        declare();
        check_states();
        lap(&compile_timings::check);
        if (!failed()) {
            analyse();
            warn_unused();
        }
        lap(&compile_timings::analyse);
        if (!failed()) result.script.emplace(std::shared_ptr<const script_tables>(lower()));
        lap(&compile_timings::lower);
    }
    result.diagnostics = std::move(diagnostics_);
    return result;
}

}  // namespace detail

compile_result compile_file(const std::filesystem::path& path, const compile_options& options) {
    detail::compilation c(options);
    c.load_root(path);
    return c.finish();
}

compile_result compile_string(std::string_view text, std::string name, const compile_options& options) {
    detail::compilation c(options);
    c.load_root_text(text, std::move(name));
    return c.finish();
}

script load(const std::filesystem::path& path, const compile_options& options) {
    auto result = compile_file(path, options);
    if (!result.script) throw compile_error(std::move(result.diagnostics));
    return std::move(*result.script);
}

}  // namespace parley
