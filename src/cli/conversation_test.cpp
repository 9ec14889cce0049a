// parley test: conversation tests that rule authors write (format in rules/README.md).
#include "cli.hpp"

#include <parley/detail/utf8.hpp>
#include <parley/session.hpp>

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace parley::cli {

namespace {

struct step {
    std::size_t line = 0;
    enum class kind { pickup, wait, label } what = kind::label;
    std::string label;
    double number = 1.0;  // confidence, or seconds for wait
    std::vector<std::pair<std::string, std::string>> slots;
    std::string state;
    std::string action;
    std::vector<std::string> words;
    bool expect_silence = false;  // `""` alone
    std::vector<std::string> hint_words;
};

struct conversation {
    std::string file;
    std::size_t line = 0;
    std::string name;
    std::string language;
    std::vector<std::pair<std::string, std::string>> variables;
    std::vector<step> steps;
};

class syntax_error : public std::runtime_error {
public:
    syntax_error(const std::string& file, std::size_t line, const std::string& what)
        : std::runtime_error(fmt::format("{}:{}: error: {}", file, line, what)) {}
};

// Splits a line into tokens: words, numbers, "strings", '->', '@0.4', key="value", '='.
struct token {
    enum class kind { word, string, arrow, equals, at } what;
    std::string text;
};

std::vector<token> tokenize(std::string_view s, const std::string& file, std::size_t line) {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\r') ++i;
        else if (c == '#') break;
        else if (c == '"') {
            std::string text;
            ++i;
            while (i < s.size() && s[i] != '"') {
                if (s[i] == '\\' && i + 1 < s.size()) ++i;
                text.push_back(s[i++]);
            }
            if (i >= s.size()) throw syntax_error(file, line, "unterminated string");
            ++i;
            out.push_back({token::kind::string, std::move(text)});
        } else if (s.substr(i, 2) == "->") {
            out.push_back({token::kind::arrow, "->"});
            i += 2;
        } else if (c == '=') {
            out.push_back({token::kind::equals, "="});
            ++i;
        } else if (c == '@') {
            out.push_back({token::kind::at, "@"});
            ++i;
        } else {
            std::size_t j = i;
            while (j < s.size() && !std::strchr(" \t\r\"=#@", s[j]) && s.substr(j, 2) != "->") ++j;
            out.push_back({token::kind::word, std::string(s.substr(i, j - i))});
            i = j;
        }
    }
    return out;
}

double number_of(const std::string& text, const std::string& file, std::size_t line, const char* what) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) throw syntax_error(file, line, fmt::format("expected {}, found '{}'", what, text));
    return v;
}

std::vector<conversation> read_tests(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open '" + file + "'");
    std::vector<conversation> out;
    std::string text;
    std::size_t number = 0;
    conversation* current = nullptr;
    while (std::getline(in, text)) {
        ++number;
        auto tokens = tokenize(text, file, number);
        if (tokens.empty()) continue;
        auto word = [&](std::size_t i) { return i < tokens.size() && tokens[i].what == token::kind::word ? tokens[i].text : std::string(); };
        if (!current) {
            if (word(0) != "test" || tokens.size() < 2 || tokens[1].what != token::kind::string)
                throw syntax_error(file, number, "expected 'test \"NAME\"'");
            out.push_back({file, number, tokens[1].text, {}, {}, {}});
            current = &out.back();
            if (word(2) == "lang" && tokens.size() == 4) current->language = tokens[3].text;
            else if (tokens.size() != 2) throw syntax_error(file, number, "expected 'test \"NAME\" [lang L]'");
            continue;
        }
        if (word(0) == "end" && tokens.size() == 1) {
            current = nullptr;
            continue;
        }
        if (word(0) == "with") {
            if (tokens.size() != 4 || tokens[2].what != token::kind::equals || tokens[3].what != token::kind::string)
                throw syntax_error(file, number, "expected 'with NAME = \"VALUE\"'");
            current->variables.emplace_back(tokens[1].text, tokens[3].text);
            continue;
        }
        step s;
        s.line = number;
        std::size_t i = 0;
        if (word(0) == "pickup") s.what = step::kind::pickup, i = 1;
        else if (word(0) == "wait") {
            s.what = step::kind::wait;
            s.number = number_of(word(1), file, number, "seconds after 'wait'");
            i = 2;
        } else if (!word(0).empty()) {
            s.label = word(0);
            i = 1;
            while (i < tokens.size() && tokens[i].what != token::kind::arrow) {
                if (tokens[i].what == token::kind::at) {
                    s.number = number_of(word(i + 1), file, number, "a confidence after '@'");
                    i += 2;
                } else if (tokens[i].what == token::kind::word && i + 2 < tokens.size() &&
                           tokens[i + 1].what == token::kind::equals && tokens[i + 2].what == token::kind::string) {
                    s.slots.emplace_back(tokens[i].text, tokens[i + 2].text);
                    i += 3;
                } else {
                    throw syntax_error(file, number, fmt::format("expected '@CONFIDENCE', 'slot=\"value\"' or '->', found '{}'", tokens[i].text));
                }
            }
        } else {
            throw syntax_error(file, number, "expected 'pickup', 'wait SECONDS', an intent or event, or 'end'");
        }
        if (i >= tokens.size() || tokens[i].what != token::kind::arrow) throw syntax_error(file, number, "expected '->' and the expected state");
        ++i;
        s.state = word(i);
        if (s.state.empty()) throw syntax_error(file, number, "expected a state after '->'");
        ++i;
        if (!word(i).empty() && word(i) != "hint") s.action = word(i++);
        while (i < tokens.size()) {
            if (word(i) == "hint") {
                if (i + 1 >= tokens.size() || tokens[i + 1].what != token::kind::string) throw syntax_error(file, number, "expected a string after 'hint'");
                s.hint_words.push_back(tokens[i + 1].text);
                i += 2;
            } else if (tokens[i].what == token::kind::string) {
                if (tokens[i].text.empty()) s.expect_silence = true;
                else s.words.push_back(tokens[i].text);
                ++i;
            } else {
                throw syntax_error(file, number, fmt::format("unexpected '{}' after the expected state", tokens[i].text));
            }
        }
        current->steps.push_back(std::move(s));
    }
    if (current) throw syntax_error(file, current->line, "test \"" + current->name + "\" has no 'end'");
    return out;
}

bool contains_folded(std::string_view text, std::string_view words) {
    std::u32string a, b;
    parley::detail::fold_utf8(text, a);
    parley::detail::fold_utf8(words, b);
    return std::search(a.begin(), a.end(), b.begin(), b.end()) != a.end();
}

// Runs one conversation; empty on success, else the failure report.
std::string run_one(const parley::script& script, const conversation& c) {
    std::string transcript;
    try {
        parley::session call(script, {.language = c.language, .variables = c.variables});
        for (const auto& s : c.steps) {
            parley::reply r;
            std::string input;
            std::string error;
            try {
                if (s.what == step::kind::pickup) {
                    input = "pickup";
                    r = call.start();
                } else if (s.what == step::kind::wait) {
                    input = fmt::format("wait {}", s.number);
                    auto timer = call.advance(call.now() + s.number);
                    if (timer) r = *timer;
                    else {
                        r.state = call.state();
                        r.state_name = call.state_name();
                        r.action = script.state_action(call.state());
                        r.ended = call.ended();
                    }
                } else {
                    input = s.label;
                    if (s.number != 1.0) input += fmt::format(" @{}", s.number);
                    std::vector<parley::slot_value> slots;
                    for (const auto& [k, v] : s.slots) {
                        slots.push_back({k, v});
                        input += fmt::format(" {}=\"{}\"", k, v);
                    }
                    r = call.step(std::string_view(s.label), s.number, slots);
                }
            } catch (const parley::session_error& e) {
                error = e.what();
            }
            std::string got = error.empty() ? fmt::format("[{}, {}] {}{}", r.state_name, to_string(r.action), r.phrase,
                                                          r.hint.empty() ? "" : fmt::format("  (hint: {})", r.hint))
                                            : "error: " + error;
            transcript += fmt::format("    > {}\n    < {}\n", input, got);
            std::vector<std::string> problems;
            if (!error.empty()) problems.push_back(error);
            else {
                if (r.state_name != s.state) problems.push_back(fmt::format("expected state '{}', got '{}'", s.state, r.state_name));
                if (!s.action.empty() && to_string(r.action) != s.action)
                    problems.push_back(fmt::format("expected action '{}', got '{}'", s.action, to_string(r.action)));
                if (s.expect_silence && !r.phrase.empty()) problems.push_back("expected no phrase, got one");
                for (const auto& w : s.words)
                    if (!contains_folded(r.phrase, w)) problems.push_back(fmt::format("expected the phrase to contain \"{}\"", w));
                for (const auto& w : s.hint_words)
                    if (!contains_folded(r.hint, w)) problems.push_back(fmt::format("expected the hint to contain \"{}\"", w));
            }
            if (!problems.empty()) {
                std::string report = fmt::format("{}:{}: FAILED: {}\n  conversation so far:\n{}  at {}:{}:\n", c.file, c.line,
                                                 c.name, transcript, c.file, s.line);
                for (const auto& p : problems) report += "    " + p + "\n";
                return report;
            }
        }
    } catch (const parley::session_error& e) {
        return fmt::format("{}:{}: FAILED: {}\n  the call could not start: {}\n", c.file, c.line, c.name, e.what());
    }
    return {};
}

}  // namespace

int conversation_tests(const std::string& file, std::vector<std::string> tests) {
    auto script = load_script(file);
    if (!script) return 1;
    if (tests.empty()) {
        auto path = std::filesystem::path(file).replace_extension(".tests");
        if (!std::filesystem::exists(path)) {
            std::cerr << "parley: no tests given and no " << path.string() << '\n';
            return 1;
        }
        tests.push_back(path.string());
    }
    std::size_t passed = 0, failed = 0;
    for (const auto& t : tests) {
        std::vector<conversation> conversations;
        try {
            conversations = read_tests(t);
        } catch (const std::exception& e) {
            std::cerr << e.what() << '\n';
            ++failed;
            continue;
        }
        for (const auto& c : conversations) {
            const auto report = run_one(*script, c);
            if (report.empty()) ++passed;
            else {
                ++failed;
                std::cout << report << '\n';
            }
        }
    }
    std::cout << passed << " passed, " << failed << " failed\n";
    return failed ? 1 : 0;
}

}  // namespace parley::cli
