// parley fmt: one canonical layout for a .rules file, from its syntax tree and its tokens.
//
// The layout only moves whitespace: the tokens (strings byte for byte, numbers as written) and
// the comments stay, in order. The syntax tree says where lines start and how deep they are
// indented (a statement at 0; a state's entry, fields and handlers at 2; a handler's clauses
// at 4; 'end' at its statement's depth); tokens are then spaced one apart, except around
// ',', ':', '(' and ')'. Within a phrase the author chooses where to break between texts and
// variants, as gofmt lets authors break long lists: a continued text is aligned under the
// phrase's first text, and a '|' two columns before it. At most one blank line is kept where
// the author left one. A comment stays after the code it follows, or on its own line indented
// as what comes next; comments ending consecutive lines are aligned.
//
// Before answering, the result is lexed again and must hold the same tokens and comments and
// parse cleanly: a layout bug refuses to format rather than change a script.
#include "../dsl/parser.hpp"

#include <parley/compiler.hpp>
#include <parley/detail/utf8.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

namespace {

namespace ast = dsl::ast;

struct token {
    enum class kind : std::uint8_t { word, string, punct, comment };
    kind what = kind::word;
    std::uint32_t offset = 0;
    std::string_view text;
    std::uint32_t newlines_before = 0;  // in the source, since the previous token
};

bool is_punct(char c) { return std::string_view(",()|:=<>!").find(c) != std::string_view::npos; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Words (names, keywords, numbers, action names with '-'), strings, comments and punctuation
// ('->' and the two-character comparisons are one token each). Only ever run on text that parsed.
std::vector<token> lex(std::string_view s) {
    std::vector<token> out;
    std::size_t i = 0;
    std::uint32_t newlines = 0;
    auto push = [&](token::kind what, std::size_t end) {
        out.push_back({what, static_cast<std::uint32_t>(i), s.substr(i, end - i), newlines});
        newlines = 0;
        i = end;
    };
    while (i < s.size()) {
        const char c = s[i];
        if (is_blank(c)) {
            newlines += c == '\n';
            ++i;
        } else if (c == '#') {
            auto end = std::min(s.find('\n', i), s.size());
            while (end > i && is_blank(s[end - 1])) --end;
            push(token::kind::comment, end);
        } else if (c == '"') {
            std::size_t j = i + 1;
            while (j < s.size() && s[j] != '"' && s[j] != '\n') j += s[j] == '\\' && j + 1 < s.size() ? 2 : 1;
            push(token::kind::string, std::min(j + 1, s.size()));
        } else if (const auto two = s.substr(i, 2); two == "->" || two == "==" || two == "!=" || two == "<=" || two == ">=") {
            push(token::kind::punct, i + 2);
        } else if (is_punct(c)) {
            push(token::kind::punct, i + 1);
        } else {
            std::size_t j = i + 1;
            while (j < s.size() && !is_blank(s[j]) && !is_punct(s[j]) && s[j] != '"' && s[j] != '#' && s.substr(j, 2) != "->") ++j;
            push(token::kind::word, j);
        }
    }
    return out;
}

// How the layout treats a token.
enum class role : std::uint8_t {
    inline_,     // spaced on its line
    line_start,  // starts a line at `indent`
    first_text,  // a phrase's first text: the column its continuations align with
    next_text,   // a later text of a variant: on a new line if the author broke there
    bar,         // '|' before a variant: on a new line if the author broke before or after it
};
struct layout {
    role what = role::inline_;
    std::uint32_t indent = 0;
};

// Walks the syntax tree and marks the tokens that start lines and the texts of phrases.
class marker {
public:
    marker(const dsl::source_file& source, const std::vector<token>& tokens, std::vector<layout>& roles, std::vector<diagnostic>& errors)
        : source_(source), tokens_(tokens), roles_(roles), errors_(errors) {}

    void file(const ast::file& f) {
        for (const auto& item : f.items) boost::apply_visitor([&](const auto& node) { this->item(node); }, item);
    }

private:
    // The index of the token that starts at `offset` (a node's first token).
    std::size_t at(std::uint32_t offset) const {
        return static_cast<std::size_t>(
            std::lower_bound(tokens_.begin(), tokens_.end(), offset, [](const token& t, std::uint32_t o) { return t.offset < o; }) -
            tokens_.begin());
    }
    std::size_t last_of(const ast::tagged& node) const { return at(node.offset + node.length) - 1; }
    void mark(std::size_t i, role what, std::uint32_t indent = 0) {
        if (i < roles_.size()) roles_[i] = {what, indent};
    }
    void starts(const ast::tagged& node, std::uint32_t indent) { mark(at(node.offset), role::line_start, indent); }
    // The statement's closing 'end', when it has one (a state without a body may omit it).
    void ends(const ast::tagged& node, std::uint32_t indent) {
        const auto i = last_of(node);
        if (i < tokens_.size() && tokens_[i].what == token::kind::word && tokens_[i].text == "end") mark(i, role::line_start, indent);
    }
    // A keyword that introduces a phrase ('say', 'ask', 'repeat', 'reprompt') starts a line.
    void keyword_line(const ast::tagged& phrase, std::uint32_t indent) { mark(at(phrase.offset) - 1, role::line_start, indent); }

    void texts(const std::vector<ast::text>& texts, bool first_of_phrase) {
        for (std::size_t k = 0; k < texts.size(); ++k)
            if (k > 0 || first_of_phrase) mark(at(texts[k].offset), k == 0 ? role::first_text : role::next_text);
    }
    void phrase(const ast::phrase& p) {
        for (std::size_t v = 0; v < p.variants.size(); ++v) {
            if (v > 0) mark(at(p.variants[v].offset) - 1, role::bar);
            texts(p.variants[v].texts, v == 0);
        }
    }

    void clause(const ast::clause& c, std::uint32_t indent) {
        boost::apply_visitor(
            [&](const auto& node) {
                starts(node, indent);
                using node_type = std::decay_t<decltype(node)>;
                if constexpr (std::is_same_v<node_type, ast::say_clause> || std::is_same_v<node_type, ast::hint_clause>) phrase(node.what);
            },
            c);
    }
    void handler(const ast::handler& h, std::uint32_t indent) {
        starts(h, indent);
        for (const auto& c : h.clauses) {
            // A clause not indented under its handler is an error of the compiler's (check.cpp),
            // which indenting it would silently resolve: the author decides where it belongs.
            const auto& node = boost::apply_visitor([](const auto& n) -> const ast::tagged& { return n; }, c);
            if (source_.line_of(node.offset) != source_.line_of(h.offset) && source_.column_of(node.offset) <= source_.column_of(h.offset))
                errors_.push_back(source_.make(severity::error, node.offset, node.length,
                                               "this clause is not indented under its handler; indent it, or move it where it "
                                               "belongs, before formatting"));
            clause(c, indent + 2);
        }
    }
    void state(const ast::state_decl& s, std::uint32_t indent) {
        starts(s, indent);
        if (s.entry) {
            keyword_line(*s.entry, indent + 2);
            phrase(*s.entry);
        }
        for (const auto& c : s.entry_clauses) clause(c, indent + 2);
        for (const auto& f : s.fields) {
            starts(f, indent + 2);
            phrase(f.prompt);
            if (f.reprompt) {
                keyword_line(*f.reprompt, indent + 4);
                phrase(*f.reprompt);
            }
        }
        for (const auto& h : s.handlers) handler(h, indent + 2);
        for (const auto& g : s.groups) starts(g, indent + 2);
        ends(s, indent);
    }

    void item(const ast::state_decl& s) { state(s, 0); }
    void item(const ast::flow_decl& f) {
        starts(f, 0);
        for (const auto& s : f.states) state(s, 2);
        ends(f, 0);
    }
    void item(const ast::global_decl& g) {
        starts(g, 0);
        for (const auto& h : g.handlers) handler(h, 2);
        ends(g, 0);
    }
    void item(const ast::group_decl& g) {
        starts(g, 0);
        for (const auto& h : g.handlers) handler(h, 2);
        for (const auto& u : g.groups) starts(u, 2);
        ends(g, 0);
    }
    void item(const ast::confirm_decl& c) {
        starts(c, 0);
        keyword_line(c.ask, 2);
        phrase(c.ask);
        keyword_line(c.repeat, 2);
        phrase(c.repeat);
        ends(c, 0);
    }
    void item(const ast::intent_decl& i) {
        starts(i, 0);
        texts(i.description, true);
    }
    void item(const ast::variable_decl& v) {
        starts(v, 0);
        texts(v.value, true);
    }
    void item(const auto& other) { starts(other, 0); }

    const dsl::source_file& source_;
    const std::vector<token>& tokens_;
    std::vector<layout>& roles_;
    std::vector<diagnostic>& errors_;
};

std::size_t width(std::string_view s) { return detail::code_points(s); }

bool is_word(const token& t, std::initializer_list<std::string_view> words) {
    return t.what == token::kind::word && std::find(words.begin(), words.end(), t.text) != words.end();
}

// Whether one space separates two tokens on a line.
bool spaced(const token& before, const token& after) {
    if (after.text == "," || after.text == ")" || after.text == ":") return false;
    if (before.text == "(") return false;
    // `known(a)`, `do notify(manager)`, `-> flow(found -> asking)`, `flow f(done)`: no space; a
    // guard's parenthesis after 'if', 'and', 'or' or 'not' is spaced.
    if (after.text == "(") return before.what != token::kind::word || is_word(before, {"if", "and", "or", "not"});
    return true;
}

struct output_line {
    std::string code;
    std::string comment;  // a trailing comment
};

class printer {
public:
    printer(const std::vector<token>& tokens, const std::vector<layout>& roles) : tokens_(tokens), roles_(roles) {}

    std::string print() {
        for (std::size_t i = 0; i < tokens_.size(); ++i) {
            const auto& t = tokens_[i];
            if (t.what == token::kind::comment)
                comment(i);
            else
                code(i);
        }
        flush();
        return join();
    }

private:
    void flush() {
        if (!current_.code.empty() || !current_.comment.empty()) lines_.push_back(std::move(current_));
        current_ = {};
    }
    void new_line(std::uint32_t indent, bool blank_before) {
        flush();
        if (blank_before && !lines_.empty() && !lines_.back().code.empty()) lines_.emplace_back();
        current_.code.assign(indent, ' ');
    }

    // Where a token goes when it must start a line (after a comment) or chooses to.
    std::uint32_t break_indent(const layout& l) const {
        switch (l.what) {
            case role::line_start: return l.indent;
            case role::next_text: return phrase_column_;
            case role::bar: return phrase_column_ >= 2 ? phrase_column_ - 2 : 0;
            case role::first_text:
            case role::inline_: break;
        }
        return line_indent_ + 4;
    }

    void comment(std::size_t i) {
        const auto& t = tokens_[i];
        if (i > 0 && t.newlines_before == 0 && !current_.code.empty()) {
            current_.comment = std::string(t.text);
            flush();
            broken_ = true;
            return;
        }
        // On its own line: indented as the next code, or inside the block an 'end' closes.
        std::size_t next = i + 1;
        while (next < tokens_.size() && tokens_[next].what == token::kind::comment) ++next;
        std::uint32_t indent = 0;
        if (next < tokens_.size()) {
            indent = break_indent(roles_[next]);
            if (roles_[next].what == role::line_start && tokens_[next].text == "end") indent += 2;
        }
        new_line(indent, t.newlines_before >= 2);
        current_.code += t.text;
        flush();
        broken_ = true;
    }

    void code(std::size_t i) {
        const auto& t = tokens_[i];
        const auto& l = roles_[i];
        const bool author_broke =
            t.newlines_before > 0 || (l.what == role::bar && i + 1 < tokens_.size() && tokens_[i + 1].newlines_before > 0);
        const bool starts_line = current_.code.empty() || broken_ || l.what == role::line_start ||
                                 ((l.what == role::next_text || l.what == role::bar) && author_broke);
        if (starts_line) {
            const auto indent = break_indent(l);
            new_line(indent, l.what == role::line_start && t.newlines_before >= 2);
            if (l.what == role::line_start) line_indent_ = indent;
        } else if (spaced(tokens_[i - 1], t)) {
            current_.code += ' ';
        }
        current_.code += t.text;
        if (l.what == role::first_text) phrase_column_ = static_cast<std::uint32_t>(width(current_.code) - width(t.text));
        broken_ = false;
    }

    // Trailing comments of consecutive lines line up, two columns after the longest code.
    std::string join() const {
        std::string out;
        for (std::size_t i = 0; i < lines_.size();) {
            std::size_t end = i + 1;
            std::size_t column = 0;
            if (!lines_[i].comment.empty()) {
                while (end < lines_.size() && !lines_[end].comment.empty()) ++end;
                for (std::size_t k = i; k < end; ++k) column = std::max(column, width(lines_[k].code) + 2);
            }
            for (std::size_t k = i; k < end; ++k) {
                out += lines_[k].code;
                if (!lines_[k].comment.empty()) {
                    out.append(column - width(lines_[k].code), ' ');
                    out += lines_[k].comment;
                }
                out += '\n';
            }
            i = end;
        }
        return out;
    }

    const std::vector<token>& tokens_;
    const std::vector<layout>& roles_;
    std::vector<output_line> lines_;
    output_line current_;
    std::uint32_t line_indent_ = 0;    // of the last line a statement, clause or 'end' started
    std::uint32_t phrase_column_ = 0;  // where the current phrase's first text starts
    bool broken_ = false;              // a comment ended the line: the next token starts one
};

bool same_tokens(const std::vector<token>& a, const std::vector<token>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                      [](const token& x, const token& y) { return x.what == y.what && x.text == y.text; });
}

}  // namespace

format_result format_source(std::string_view text, std::string name) {
    const dsl::source_file source(name, std::string(text));
    format_result result;
    const auto tree = dsl::parse(source, compile_limits{}, result.diagnostics);
    if (has_errors(result.diagnostics)) return result;

    const auto tokens = lex(source.text());
    std::vector<layout> roles(tokens.size());
    marker(source, tokens, roles, result.diagnostics).file(tree);
    if (has_errors(result.diagnostics)) return result;
    auto formatted = printer(tokens, roles).print();

    // The safety net: the same tokens and comments, and a clean parse.
    std::vector<diagnostic> again;
    (void)dsl::parse(dsl::source_file(name, formatted), compile_limits{}, again);
    if (!same_tokens(tokens, lex(formatted)) || has_errors(again)) {
        result.diagnostics.push_back({.severity = severity::error,
                                      .file = std::move(name),
                                      .line = 0,
                                      .column = 0,
                                      .length = 1,
                                      .message = "the formatter would change this script's meaning; it was left as it is (please report "
                                                 "this as a bug in parley fmt)",
                                      .source_line = {}});
        return result;
    }
    result.text = std::move(formatted);
    return result;
}

}  // namespace parley
