// The .tests parser: a lexer for one line, and recursive descent over its tokens. Each line is
// one statement, so a line with an error is skipped after its first diagnostic and parsing
// goes on at the next.
#include "tests_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <tuple>

namespace parley::cli {

namespace {

struct token {
    enum class kind : std::uint8_t { word, string, arrow, equals, at, end, unterminated };
    kind what = kind::end;
    std::string text;        // a string's contents, escapes resolved; otherwise the source text
    std::size_t offset = 0;  // bytes into the line
    std::size_t size = 0;    // bytes of source
};

bool ends_word(std::string_view line, std::size_t i) {
    return std::string_view(" \t\r\"=#@").find(line[i]) != std::string_view::npos || line.substr(i, 2) == "->";
}

// Words, "strings" (with \-escapes), '->', '=' and '@'; '#' starts a comment. Always ends with
// an `end` token just after the last token, where an "expected ..." caret belongs.
std::vector<token> lex(std::string_view line) {
    std::vector<token> out;
    std::size_t i = 0;
    auto push = [&](token::kind what, std::size_t size, std::string text) {
        out.push_back({what, std::move(text), i, size});
        i += size;
    };
    while (i < line.size()) {
        const char c = line[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            ++i;
        } else if (c == '#') {
            break;
        } else if (c == '"') {
            std::string text;
            std::size_t j = i + 1;
            for (; j < line.size() && line[j] != '"'; ++j) {
                if (line[j] == '\\' && j + 1 < line.size()) ++j;
                text.push_back(line[j]);
            }
            if (j == line.size()) {
                push(token::kind::unterminated, line.find_last_not_of(" \t\r") + 1 - i, {});
                break;
            }
            push(token::kind::string, j + 1 - i, std::move(text));
        } else if (line.substr(i, 2) == "->") {
            push(token::kind::arrow, 2, "->");
        } else if (c == '=' || c == '@') {
            push(c == '=' ? token::kind::equals : token::kind::at, 1, std::string(1, c));
        } else {
            std::size_t j = i;
            while (j < line.size() && !ends_word(line, j)) ++j;
            push(token::kind::word, j - i, std::string(line.substr(i, j - i)));
        }
    }
    const std::size_t end = out.empty() ? 0 : out.back().offset + out.back().size;
    out.push_back({token::kind::end, {}, end, 1});
    return out;
}

// Diagnostics count columns in code points: every byte that does not continue a UTF-8 sequence.
std::uint32_t code_points(std::string_view s) {
    return static_cast<std::uint32_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The tokens of one line and the diagnostics they lead to: only the line's first error is
// reported, since what follows it is read out of context.
class line_parser {
public:
    line_parser(std::string_view file, std::uint32_t number, std::string_view line, std::vector<diagnostic>& out)
        : file_(file), number_(number), line_(line.substr(0, line.find_last_not_of('\r') + 1)), tokens_(lex(line_)), out_(out) {}

    [[nodiscard]] const token& peek(std::size_t ahead = 0) const { return tokens_[std::min(next_ + ahead, tokens_.size() - 1)]; }
    [[nodiscard]] bool at(token::kind what) const { return peek().what == what; }
    [[nodiscard]] bool at_word(std::string_view word) const { return at(token::kind::word) && peek().text == word; }
    // The next token; the final `end` is never passed.
    const token& take() {
        const auto& t = tokens_[next_];
        if (t.what != token::kind::end) ++next_;
        return t;
    }

    [[nodiscard]] std::string describe(const token& t) const {
        return t.what == token::kind::end ? "the end of the line" : fmt::format("'{}'", line_.substr(t.offset, t.size));
    }

    // An error underlining `from` through `to`; an unterminated string is the error wherever it stands.
    void error(const token& from, const token& to, std::string message) {
        if (failed_) return;
        failed_ = true;
        if (from.what == token::kind::unterminated) message = "unterminated string";
        diagnostic d;
        d.file = file_;
        d.line = number_;
        d.column = code_points(line_.substr(0, from.offset)) + 1;
        d.length = std::max<std::uint32_t>(1, code_points(line_.substr(from.offset, to.offset + to.size - from.offset)));
        d.message = std::move(message);
        d.source_line = line_;
        out_.push_back(std::move(d));
    }
    void error(const token& t, std::string message) { error(t, t, std::move(message)); }
    // "expected WHAT, found ..." at the next token.
    void expected(std::string_view what) { error(peek(), fmt::format("expected {}, found {}", what, describe(peek()))); }
    // The next token if it is of kind `what`, else an error.
    const token* expect(token::kind what, std::string_view description) {
        if (at(what)) return &take();
        expected(description);
        return nullptr;
    }
    bool expect_end() { return expect(token::kind::end, "the end of the line") != nullptr; }

private:
    std::string_view file_;
    std::uint32_t number_;
    std::string_view line_;
    std::vector<token> tokens_;
    std::size_t next_ = 0;
    bool failed_ = false;
    std::vector<diagnostic>& out_;
};

// A finite number of at least `minimum`, taken from a word; else "expected WHAT".
std::optional<double> number(line_parser& p, std::string_view what, double minimum = std::numeric_limits<double>::lowest()) {
    const auto& t = p.peek();
    double value = 0;
    if (t.what == token::kind::word) {
        const auto [end, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), value);
        if (ec == std::errc() && end == t.text.data() + t.text.size() && std::isfinite(value) && value >= minimum) {
            p.take();
            return value;
        }
    }
    p.expected(what);
    return std::nullopt;
}

std::optional<std::string> quoted_value(line_parser& p) {
    const token* t = p.expect(token::kind::string, "a quoted value after '='");
    return t ? std::optional(t->text) : std::nullopt;
}

// `@CONFIDENCE` and `slot="value"` after a label, in any order.
bool label_tail(line_parser& p, input& in) {
    bool has_confidence = false;
    while (true) {
        if (p.at(token::kind::at)) {
            const auto& sign = p.take();
            const auto& value = p.peek();
            const auto confidence = number(p, "a confidence after '@'");
            if (!confidence) return false;
            if (!(*confidence >= 0.0 && *confidence <= 1.0)) {
                p.error(value, fmt::format("confidence '{}' is outside 0..1", value.text));
                return false;
            }
            if (has_confidence) {
                p.error(sign, value, "a second confidence for the same input");
                return false;
            }
            has_confidence = true;
            in.confidence = *confidence;
        } else if (p.at(token::kind::word) && p.peek(1).what == token::kind::equals) {
            std::string name = p.take().text;
            p.take();
            auto value = quoted_value(p);
            if (!value) return false;
            in.slots.emplace_back(std::move(name), std::move(*value));
        } else {
            return true;
        }
    }
}

// An input, which must be followed by a token of kind `follow` (left for the caller).
std::optional<input> parse_input(line_parser& p, token::kind follow) {
    input in;
    if (p.at_word("pickup")) {
        p.take();
        in.what = input::kind::pickup;
    } else if (p.at_word("wait")) {
        p.take();
        in.what = input::kind::wait;
        const auto seconds = number(p, "a number of seconds after 'wait'", 0.0);
        if (!seconds) return std::nullopt;
        in.seconds = *seconds;
    } else if (p.at(token::kind::word)) {
        in.label = p.take().text;
        if (!label_tail(p, in)) return std::nullopt;
    } else {
        p.expected("'pickup', 'wait SECONDS', an intent or an event");
        return std::nullopt;
    }
    if (p.at(follow)) return in;
    const std::string_view follow_name = follow == token::kind::arrow ? "'->'" : "the end of the line";
    if (follow == token::kind::arrow && p.at(token::kind::end))
        p.error(p.peek(), "expected '->' and the expected state");
    else if (in.what == input::kind::label)
        p.expected(fmt::format("'@CONFIDENCE', 'slot=\"value\"' or {}", follow_name));
    else
        p.expected(follow_name);
    return std::nullopt;
}

// `slot`, `counter` or `variable` followed by `NAME=`: an expected value.
std::optional<expected_value::kind> value_kind(const line_parser& p) {
    if (p.peek(1).what != token::kind::word || p.peek(2).what != token::kind::equals) return std::nullopt;
    if (p.at_word("slot")) return expected_value::kind::slot;
    if (p.at_word("counter")) return expected_value::kind::counter;
    if (p.at_word("variable")) return expected_value::kind::variable;
    return std::nullopt;
}

// `slot NAME="VALUE"`, `counter NAME=N`, `variable NAME="VALUE"`.
bool expected_value_clause(line_parser& p, expected_value::kind what, expectation& e) {
    p.take();
    std::string name = p.take().text;
    p.take();
    if (what == expected_value::kind::counter) {
        const auto& value = p.peek();
        const auto n = number(p, "a whole number after '='", 0.0);
        if (!n) return false;
        if (*n != std::floor(*n) || *n > 255) {
            p.error(value, fmt::format("counter value '{}' is not a whole number from 0 to 255", value.text));
            return false;
        }
        e.values.push_back({what, std::move(name), value.text});
        return true;
    }
    auto value = quoted_value(p);
    if (!value) return false;
    e.values.push_back({what, std::move(name), std::move(*value)});
    return true;
}

// `INPUT -> STATE [ACTION] ["WORDS"...] [hint "WORDS"]...`
std::optional<step> parse_step(line_parser& p, std::uint32_t line) {
    step s{.line = line, .input = {}, .expect = {}};
    auto in = parse_input(p, token::kind::arrow);
    if (!in) return std::nullopt;
    s.input = std::move(*in);
    p.take();
    const token* state = p.expect(token::kind::word, "a state after '->'");
    if (!state) return std::nullopt;
    s.expect.state = state->text;
    if (p.at(token::kind::word) && !p.at_word("hint") && !p.at_word("do") && !value_kind(p)) {
        s.expect.action = action_from_string(p.peek().text);
        if (!s.expect.action) {
            p.expected("an action (continue, hold, transfer, hangup or close)");
            return std::nullopt;
        }
        p.take();
    }
    while (!p.at(token::kind::end)) {
        if (p.at(token::kind::string)) {
            const auto& words = p.take().text;
            if (words.empty())
                s.expect.silent = true;
            else
                s.expect.words.push_back(words);
        } else if (p.at_word("do")) {
            const auto& keyword = p.take();
            if (p.at(token::kind::string) && p.peek().text.empty()) {
                const auto& none = p.take();
                if (!s.expect.actions.empty()) {
                    p.error(keyword, none, "'do \"\"' says the step asks for no action; it cannot follow another 'do'");
                    return std::nullopt;
                }
                s.expect.no_actions = true;
                continue;
            }
            if (s.expect.no_actions) {
                p.error(keyword, "'do \"\"' said the step asks for no action; no other 'do' can follow it");
                return std::nullopt;
            }
            if (p.at_word("...")) {
                p.take();
                s.expect.actions.push_back({.name = {}, .arguments = {}, .any = true});
                continue;
            }
            const token* name = p.expect(token::kind::word, "an action's name after 'do', '...' for any actions, or \"\" for none");
            if (!name) return std::nullopt;
            expected_action action{name->text, {}};
            while (p.at(token::kind::word) && p.peek(1).what == token::kind::equals) {
                std::string argument = p.take().text;
                p.take();
                auto value = quoted_value(p);
                if (!value) return std::nullopt;
                action.arguments.emplace_back(std::move(argument), std::move(*value));
            }
            s.expect.actions.push_back(std::move(action));
        } else if (const auto what = value_kind(p)) {
            if (!expected_value_clause(p, *what, s.expect)) return std::nullopt;
        } else if (p.at_word("hint")) {
            p.take();
            const token* words = p.expect(token::kind::string, "a quoted phrase after 'hint'");
            if (!words) return std::nullopt;
            s.expect.hint_words.push_back(words->text);
        } else {
            p.error(p.peek(), fmt::format("unexpected {} after the expected state", p.describe(p.peek())));
            return std::nullopt;
        }
    }
    return s;
}

// `test "NAME" [lang L]`
void parse_header(line_parser& p, conversation& c) {
    p.take();
    const token* name = p.expect(token::kind::string, "the test's name in quotes after 'test'");
    if (!name) return;
    c.name = name->text;
    if (p.at_word("lang")) {
        p.take();
        if (!p.at(token::kind::word) && !p.at(token::kind::string)) return p.expected("a language after 'lang'");
        c.language = p.take().text;
        p.expect_end();
    } else if (!p.at(token::kind::end)) {
        p.expected("'lang' or the end of the line");
    }
}

// `with NAME = "VALUE"`
void parse_with(line_parser& p, conversation& c) {
    p.take();
    const token* name = p.expect(token::kind::word, "a variable name after 'with'");
    if (!name || !p.expect(token::kind::equals, "'=' after the variable name")) return;
    auto value = quoted_value(p);
    if (value && p.expect_end()) c.variables.emplace_back(name->text, std::move(*value));
}

}  // namespace

std::string to_string(const input& in) {
    switch (in.what) {
        case input::kind::pickup: return "pickup";
        case input::kind::wait: return fmt::format("wait {}", in.seconds);
        case input::kind::label: break;
    }
    std::string out = in.label;
    if (in.confidence != 1.0) out += fmt::format(" @{}", in.confidence);
    for (const auto& [name, value] : in.slots) out += fmt::format(" {}={}", name, in_quotes(value));
    return out;
}

std::string in_quotes(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + '"';
}

tests_file parse_tests_file(std::string path, std::string_view text) {
    tests_file out{.path = std::move(path), .conversations = {}, .diagnostics = {}};
    std::optional<conversation> open;  // the test being read
    bool stray = false;                // `open` only gathers lines that stand outside any test
    std::string_view open_line;        // its `test` line, for a missing `end`
    auto close = [&] {
        if (!stray) out.conversations.push_back(std::move(*open));
        open.reset();
    };
    auto report_no_end = [&] {
        if (stray) return;
        line_parser header(out.path, open->line, open_line, out.diagnostics);
        header.error(header.peek(), fmt::format("test \"{}\" has no 'end'", open->name));
    };
    std::uint32_t number = 0;
    for (std::size_t start = 0; start < text.size(); ++number) {
        const auto stop = std::min(text.find('\n', start), text.size());
        const auto line = text.substr(start, stop - start);
        start = stop + 1;
        line_parser p(out.path, number + 1, line, out.diagnostics);
        if (p.at(token::kind::end)) continue;
        if (p.at_word("test")) {
            if (open) {
                report_no_end();
                close();
            }
            open.emplace();
            open->line = number + 1;
            open_line = line;
            stray = false;
            parse_header(p, *open);
        } else if (!open) {
            p.expected("'test \"NAME\"'");
            if (p.at_word("end")) continue;
            open.emplace();
            stray = true;
        } else if (p.at_word("end")) {
            p.take();
            p.expect_end();
            close();
        } else if (p.at_word("with")) {
            parse_with(p, *open);
        } else if (auto s = parse_step(p, number + 1)) {
            open->steps.push_back(std::move(*s));
        }
    }
    if (open) report_no_end();
    // A missing `end` is found after the lines that follow its test.
    std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(),
                     [](const diagnostic& a, const diagnostic& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
    return out;
}

tests_file read_tests_file(std::string path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        diagnostic d;
        d.file = path;
        d.message = "cannot open file";
        return {.path = std::move(path), .conversations = {}, .diagnostics = {std::move(d)}};
    }
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return parse_tests_file(std::move(path), text);
}

std::optional<input> parse_input(std::string_view line, std::vector<diagnostic>& diagnostics, std::string_view file,
                                 std::uint32_t line_number) {
    line_parser p(file, line_number, line, diagnostics);
    return parse_input(p, token::kind::end);
}

}  // namespace parley::cli
