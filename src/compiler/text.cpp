// Text that several phases read or write the same way (see text.hpp).
#include "text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace parley::pipeline {

namespace ast = dsl::ast;

namespace {

// Levenshtein distance if it is below `bound`, else `bound`: a band of the table around its
// diagonal, O(size * bound).
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t bound) {
    if (a.size() > b.size()) std::swap(a, b);
    if (b.size() - a.size() >= bound) return bound;
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        const std::size_t from = i > bound ? i - bound : 1, to = std::min(b.size(), i + bound);
        std::size_t diagonal = row[from - 1];
        row[from - 1] = from == 1 ? i : bound;  // outside the band: at least `bound`
        std::size_t smallest = row[from - 1];
        for (std::size_t j = from; j <= to; ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
            smallest = std::min(smallest, row[j]);
        }
        if (to < b.size()) row[to + 1] = bound;
        if (smallest >= bound) return bound;
    }
    return std::min(row[b.size()], bound);
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

void write_guard(std::string& out, const ast::disjunction& g, bool nested);
void write_operand(std::string& out, const ast::operand& o) {
    struct {
        std::string& out;
        void operator()(const ast::comparison& c) const {
            out += c.subject.text;
            out += ' ';
            out += op_text(c.op);
            out += ' ';
            if (auto* n = boost::get<ast::number_literal>(&c.value))
                out += number_text(n->value);
            else if (auto* other = boost::get<ast::identifier>(&c.value))
                out += other->text;
            else
                out += "\"" + boost::get<ast::string_literal>(c.value).value + "\"";
        }
        void operator()(const ast::known_check& k) const { out += "known(" + k.name.text + ")"; }
        void operator()(const ast::known_count& k) const {
            out += "known(";
            for (std::size_t i = 0; i < k.names.size(); ++i) {
                if (i != 0) out += ", ";
                out += k.names[i].text;
            }
            out += ") ";
            out += op_text(k.op);
            out += ' ';
            out += number_text(k.value.value);
        }
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

std::string number_text(double v) { return fmt::format("{}", v); }

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

std::string guard_text(const ast::disjunction& g) {
    std::string out;
    write_guard(out, g, false);
    return out;
}

std::string trigger_text(const ast::trigger& t) {
    switch (t.kind) {
        case ast::trigger_kind::otherwise: return "otherwise";
        case ast::trigger_kind::after: return "after " + number_text(t.seconds.value) + "s";
        case ast::trigger_kind::complete: return "complete";
        case ast::trigger_kind::on: break;
    }
    std::string out;
    for (const auto& l : t.labels) out += (out.empty() ? "" : ", ") + l.text;
    return out;
}

bool split_template(std::string_view s, std::vector<template_piece>& out, template_error& error) {
    out.clear();
    std::string literal;
    std::uint32_t literal_at = 0;
    auto flush = [&] {
        if (!literal.empty()) out.push_back({piece_kind::literal, std::move(literal), literal_at});
        literal.clear();
    };
    auto add_literal = [&](char c, std::size_t at) {
        if (literal.empty()) literal_at = static_cast<std::uint32_t>(at);
        literal.push_back(c);
    };
    auto fail = [&](template_fault fault, std::size_t at, std::size_t size) {
        error = {fault, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(std::max<std::size_t>(1, size))};
        return false;
    };
    auto trimmed = [](std::string_view name) {
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        return std::string(name);
    };
    std::size_t open = std::string_view::npos;  // the `when` piece of the conditional part we are in
    bool has_else = false;
    const auto plain = [](char c) { return c != '{' && c != '}' && c != '|'; };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (plain(c)) {  // a run of literal text, appended at once
            auto end = i + 1;
            while (end < s.size() && plain(s[end])) ++end;
            if (literal.empty()) literal_at = static_cast<std::uint32_t>(i);
            literal.append(s.data() + i, end - i);
            i = end - 1;
        } else if ((c == '{' || c == '}') && i + 1 < s.size() && s[i + 1] == c) {  // `{{`, `}}`: a literal brace, here too
            add_literal(c, i);
            ++i;
        } else if (c == '{') {
            // `{name?`: a conditional part; `{name}`, `{name|fallback}`: a placeholder.
            const auto head = s.find_first_of("?|{}", i + 1);
            if (head != std::string_view::npos && s[head] == '?') {
                const auto size = head + 1 - i;
                if (open != std::string_view::npos) return fail(template_fault::nested, i, size);
                flush();
                open = out.size();
                has_else = false;
                auto name = s.substr(i + 1, head - i - 1);
                template_piece when{piece_kind::when, {}, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(size)};
                if (const auto equals = name.find('='); equals != std::string_view::npos) {  // `{name=value?`
                    when.has_value = true;
                    when.value = trimmed(name.substr(equals + 1));
                    name = name.substr(0, equals);
                }
                when.text = trimmed(name);
                out.push_back(std::move(when));
                i = head;
                continue;
            }
            const auto close = s.find('}', i + 1);
            if (close == std::string_view::npos) return fail(template_fault::unmatched, i, 1);
            auto name = s.substr(i + 1, close - i - 1);
            std::string_view fallback;
            if (const auto bar = name.find('|'); bar != std::string_view::npos) {
                fallback = name.substr(bar + 1);
                name = name.substr(0, bar);
            }
            flush();
            out.push_back({piece_kind::placeholder, trimmed(name), static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(close + 1 - i),
                           std::string(fallback)});
            i = close;
        } else if (c == '|' && open != std::string_view::npos && !has_else) {
            flush();
            out.push_back({piece_kind::otherwise, {}, static_cast<std::uint32_t>(i), 1});
            has_else = true;
        } else if (c == '}' && open != std::string_view::npos) {
            flush();
            const bool empty = std::all_of(out.begin() + static_cast<std::ptrdiff_t>(open) + 1, out.end(),
                                           [](const template_piece& p) { return p.kind == piece_kind::otherwise; });
            if (empty) return fail(template_fault::empty, out[open].where, i + 1 - out[open].where);
            out.push_back({piece_kind::end, {}, static_cast<std::uint32_t>(i), 1});
            open = std::string_view::npos;
        } else if (c == '}') {
            return fail(template_fault::unmatched, i, 1);
        } else {
            add_literal(c, i);
        }
    }
    if (open != std::string_view::npos) return fail(template_fault::unmatched, out[open].where, 1);
    flush();
    return true;
}

std::string count_text(std::size_t n) {
    auto digits = std::to_string(n);
    for (auto i = digits.size(); i > 3; i -= 3) digits.insert(i - 3, 1, ',');
    return digits;
}

std::string list_text(const std::vector<std::string_view>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < max_listed; ++i) {
        if (i) out += ", ";
        out += echo(items[i]);
    }
    if (items.size() > max_listed) out += fmt::format(", ... and {} more", count_text(items.size() - max_listed));
    return out;
}

std::string echo(std::string_view literal) {
    if (literal.size() <= max_echoed) return std::string(literal);
    auto end = max_echoed;
    while (end > 0 && (static_cast<unsigned char>(literal[end]) & 0xC0) == 0x80) --end;  // not inside a character
    return fmt::format("{}...", literal.substr(0, end));
}

std::string suggest(std::string_view name, const std::vector<std::string_view>& names) {
    // Close enough: at most a third of the name's letters differ (one for short names), and
    // never the whole name ('b' is no misspelling of 'a'). A name longer than anyone types is
    // no misspelling either: the search stays O(names * max_suggested_name * distance).
    if (name.size() > max_suggested_name || names.size() > max_suggestion_candidates) return {};
    std::string_view best;
    std::size_t best_distance = std::min(std::max<std::size_t>(1, name.size() / 3), name.size() - (name.empty() ? 0 : 1)) + 1;
    for (const auto candidate : names) {
        if (candidate.size() > max_suggested_name) continue;
        const auto d = edit_distance(name, candidate, best_distance);
        if (d < best_distance) best_distance = d, best = candidate;
    }
    return best.empty() ? std::string() : fmt::format("; did you mean '{}'?", best);
}

bool guard_needs_slot(const dsl::ast::disjunction& g, std::string_view slot) {
    namespace ast = dsl::ast;
    return std::all_of(g.terms.begin(), g.terms.end(), [&](const ast::conjunction& c) {
        return std::any_of(c.terms.begin(), c.terms.end(), [&](const ast::operand& o) {
            if (const auto* k = boost::get<ast::known_check>(&o)) return k->name.text == slot;
            if (const auto* cmp = boost::get<ast::comparison>(&o)) {  // == "text", or any number comparison but !=
                const auto* text = boost::get<ast::string_literal>(&cmp->value);
                if (boost::get<ast::identifier>(&cmp->value)) return false;  // two unknown values compare equal
                return cmp->subject.text == slot && cmp->op != ast::compare_op::ne && (!text || !text->value.empty());
            }
            return false;
        });
    });
}

}  // namespace parley::pipeline
