// parley test: runs the conversation tests that rule authors write (format in rules/README.md).
#include "cli.hpp"
#include "coverage.hpp"
#include "tests_file.hpp"

#include <parley/screen.hpp>
#include <parley/session.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace parley::cli {

namespace {

// What the operator was told after one input: the state and action the call is in, and every
// phrase and hint on the way (a wait may fire several timers; their words are joined by " / ").
struct outcome {
    std::string state;
    parley::action action = parley::action::continue_;
    std::string phrase, hint;
    std::vector<expected_action> actions;  // every action asked for, with all its arguments

    void add(const parley::reply& r) {
        state = r.state_name();
        action = r.action;
        append(phrase, r.phrase);
        append(hint, r.hint());
        for (const auto& a : r.actions) {
            auto& kept = actions.emplace_back(expected_action{std::string(a.name), {}});
            for (const auto& argument : a.arguments) kept.arguments.emplace_back(argument.name, argument.value);
        }
    }
    // Whether the actions are the expected list: the same actions in the same order, each with
    // the values of the arguments given; `do ...` stands for any actions, none included.
    [[nodiscard]] bool are(const std::vector<expected_action>& wanted) const { return match(wanted, 0, 0); }
    [[nodiscard]] bool match(const std::vector<expected_action>& wanted, std::size_t w, std::size_t a) const {
        if (w == wanted.size()) return a == actions.size();
        if (wanted[w].any) return match(wanted, w + 1, a) || (a < actions.size() && match(wanted, w, a + 1));
        return a < actions.size() && is(actions[a], wanted[w]) && match(wanted, w + 1, a + 1);
    }
    [[nodiscard]] static bool is(const expected_action& got, const expected_action& wanted) {
        return got.name == wanted.name && std::all_of(wanted.arguments.begin(), wanted.arguments.end(), [&](const auto& argument) {
                   return std::find(got.arguments.begin(), got.arguments.end(), argument) != got.arguments.end();
               });
    }
    [[nodiscard]] std::string actions_text() const {
        std::string out;
        for (const auto& a : actions) out += (out.empty() ? "" : ", ") + action_text(a);
        return out.empty() ? "none" : out;
    }
    static std::string action_text(const expected_action& a) {
        if (a.any) return "...";
        std::string out = a.name;
        for (const auto& [name, value] : a.arguments) out += fmt::format(" {}=\"{}\"", name, value);
        return out;
    }
    static void append(std::string& to, std::string_view what) {
        if (what.empty()) return;
        if (!to.empty()) to += " / ";
        to += what;
    }
};

outcome play(parley::session& call, const input& in, coverage* seen) {
    outcome out;
    std::optional<state_id> before = in.what == input::kind::pickup ? std::nullopt : std::optional(call.state());
    auto add = [&](const parley::reply& r) {
        out.add(r);
        if (seen) seen->observe(before, r);
        before = r.state;
    };
    switch (in.what) {
        case input::kind::pickup: add(call.start()); return out;
        case input::kind::wait:
            out.add(call.idle());
            call.advance(call.now() + in.seconds, add);
            return out;
        case input::kind::label: break;
    }
    std::vector<parley::slot_value> slots;
    for (const auto& [name, value] : in.slots) slots.push_back({name, value});
    if (!seen) {
        add(call.step(std::string_view(in.label), in.confidence, slots));
        return out;
    }
    // Traced, so that coverage sees every handler that fired: a form that completes on the
    // way fires its 'complete' handler after the one the input fired.
    parley::step_trace why;
    const auto r = call.step(std::string_view(in.label), in.confidence, slots, why);
    out.add(r);
    seen->observe(before, r, &why);
    return out;
}

// What the call holds that the step's expectation names, and differs.
void check_values(const parley::session& call, const expectation& e, std::vector<std::string>& problems) {
    for (const auto& v : e.values) {
        switch (v.what) {
            case expected_value::kind::slot:
                if (call.slot(v.name) != v.value)
                    problems.push_back(
                        fmt::format("expected slot {}={}, got {}", v.name, in_quotes(v.value), in_quotes(call.slot(v.name))));
                break;
            case expected_value::kind::counter:
                if (std::to_string(call.counter(v.name)) != v.value)
                    problems.push_back(fmt::format("expected counter {}={}, got {}", v.name, v.value, call.counter(v.name)));
                break;
            case expected_value::kind::variable:
                if (call.variable(v.name) != v.value)
                    problems.push_back(
                        fmt::format("expected variable {}={}, got {}", v.name, in_quotes(v.value), in_quotes(call.variable(v.name))));
                break;
        }
    }
}

// What the outcome got wrong; empty when it is as expected.
std::vector<std::string> mismatches(const outcome& r, const expectation& e) {
    std::vector<std::string> problems;
    if (r.state != e.state) problems.push_back(fmt::format("expected state '{}', got '{}'", e.state, r.state));
    if (e.action && r.action != *e.action)
        problems.push_back(fmt::format("expected action '{}', got '{}'", to_string(*e.action), to_string(r.action)));
    if (e.silent && !r.phrase.empty()) problems.push_back("expected no phrase, got one");
    for (const auto& w : e.words)
        if (!parley::contains_folded(r.phrase, w)) problems.push_back(fmt::format("expected the phrase to contain \"{}\"", w));
    if (e.no_actions && !r.actions.empty()) problems.push_back(fmt::format("expected no action, got {}", r.actions_text()));
    if (!e.actions.empty() && !r.are(e.actions)) {
        std::string wanted;
        for (const auto& a : e.actions) wanted += (wanted.empty() ? "" : ", ") + outcome::action_text(a);
        problems.push_back(fmt::format("expected the actions {}, in this order, got {}", wanted, r.actions_text()));
    }
    for (const auto& w : e.hint_words) {
        if (w.empty() && !r.hint.empty())  // `hint ""`: the step gives the operator no hint
            problems.push_back(fmt::format("expected no hint, got \"{}\"", r.hint));
        else if (!parley::contains_folded(r.hint, w))
            problems.push_back(fmt::format("expected the hint to contain \"{}\"", w));
    }
    return problems;
}

// Runs one conversation; empty on success, else the failure report.
std::string run_one(const parley::script& script, const std::string& file, const conversation& c, coverage* seen) {
    std::string transcript;
    try {
        parley::session call(script, {.language = c.language, .variables = c.variables});
        for (const auto& s : c.steps) {
            std::vector<std::string> problems;
            std::string got;
            try {
                const auto r = play(call, s.input, seen);
                got = fmt::format("[{}, {}] {}{}{}", r.state, to_string(r.action), r.phrase,
                                  r.hint.empty() ? "" : fmt::format("  (hint: {})", r.hint),
                                  r.actions.empty() ? "" : fmt::format("  (do: {})", r.actions_text()));
                problems = mismatches(r, s.expect);
                check_values(call, s.expect, problems);
            } catch (const parley::session_error& e) {
                got = fmt::format("error: {}", e.what());
                problems.emplace_back(e.what());
            }
            transcript += fmt::format("    > {}\n    < {}\n", to_string(s.input), got);
            if (!problems.empty()) {
                std::string report = fmt::format("{}:{}: FAILED: {}\n  conversation so far:\n{}  at {}:{}:\n", file, c.line, c.name,
                                                 transcript, file, s.line);
                for (const auto& p : problems) report += "    " + p + "\n";
                return report;
            }
        }
    } catch (const parley::session_error& e) {
        return fmt::format("{}:{}: FAILED: {}\n  the call could not start: {}\n", file, c.line, c.name, e.what());
    }
    return {};
}

std::string xml_escaped(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default:
                // XML 1.0 has no other control characters than tab, newline and return.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
                    out += "\uFFFD";
                else
                    out += c;
        }
    }
    return out;
}

// JUnit XML, as CI systems read it: a testsuite per file, a testcase per test; a file that could
// not run is one testcase with an error.
class junit_report {
public:
    void file(const std::string& path) { suites_.push_back({path, {}, 0}); }
    void passed(const conversation& c) { add(c.name, c.line, {}); }
    void failed(const conversation& c, std::string_view report) {
        add(c.name, c.line,
            fmt::format("      <failure message=\"{}\">{}</failure>\n", xml_escaped(c.name + " failed"), xml_escaped(report)));
    }
    void broken(std::string_view why, std::string_view details) {
        add("(the file)", 0, fmt::format("      <error message=\"{}\">{}</error>\n", xml_escaped(why), xml_escaped(details)));
    }
    [[nodiscard]] std::string xml() const {
        std::size_t tests = 0, failures = 0;
        std::string body;
        for (const auto& s : suites_) {
            tests += s.cases.size(), failures += s.failures;
            body +=
                fmt::format("  <testsuite name=\"{0}\" tests=\"{1}\" failures=\"{2}\">\n", xml_escaped(s.name), s.cases.size(), s.failures);
            for (const auto& c : s.cases) body += c;
            body += "  </testsuite>\n";
        }
        return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{}\" failures=\"{}\">\n{}</testsuites>\n",
                           tests, failures, body);
    }

private:
    struct suite {
        std::string name;
        std::vector<std::string> cases;
        std::size_t failures = 0;
    };
    void add(std::string_view name, std::uint32_t line, std::string failure) {
        auto& s = suites_.back();
        s.failures += !failure.empty();
        s.cases.push_back(fmt::format("    <testcase classname=\"{0}\" name=\"{1}\" file=\"{0}\" line=\"{2}\"{3}", xml_escaped(s.name),
                                      xml_escaped(name), line, failure.empty() ? "/>\n" : ">\n" + failure + "    </testcase>\n"));
    }
    std::vector<suite> suites_;
};

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (out.flush()) return true;
    std::cerr << "parley: cannot write '" << path << "'\n";
    return false;
}

}  // namespace

std::optional<std::vector<std::uint64_t>> tested_edge_hits(const parley::script& script, const std::string& file,
                                                           const std::string& tests) {
    const auto parsed = read_tests_file(tests);
    if (!parsed.diagnostics.empty()) {
        parley::print(std::cerr, parsed.diagnostics, {.color = isatty(STDERR_FILENO) != 0});
        return std::nullopt;
    }
    coverage seen(script, parley::list_coverage_points(file));
    for (const auto& c : parsed.conversations) (void)run_one(script, parsed.path, c, &seen);
    return seen.edge_hits();
}

int run_tests(const test_options& options) {
    const auto& file = options.file;
    auto tests = options.tests;
    if (options.coverage_format == "lcov" && options.coverage_output.empty()) {
        std::cerr << "parley: --coverage-format lcov needs -o FILE for the tracefile\n";
        return 2;
    }
    auto script = load_script(file);
    if (!script) return 1;
    std::optional<coverage> seen;
    if (options.coverage) seen.emplace(*script, parley::list_coverage_points(file));
    junit_report junit;
    if (tests.empty()) {
        auto path = std::filesystem::path(file).replace_extension(".tests");
        if (!std::filesystem::exists(path)) {
            std::cerr << "parley: no tests given and no " << path.string() << '\n';
            return 1;
        }
        tests.push_back(path.string());
    }
    std::size_t passed = 0, failed = 0, filtered_out = 0;
    for (auto& t : tests) {
        const auto parsed = read_tests_file(std::move(t));
        junit.file(parsed.path);
        // A file with syntax errors counts as one failure, and none of its tests run.
        if (!parsed.diagnostics.empty()) {
            parley::print(std::cerr, parsed.diagnostics, {.color = isatty(STDERR_FILENO) != 0});
            std::string details;
            for (const auto& d : parsed.diagnostics) details += parley::format(d);
            junit.broken("syntax errors", details);
            ++failed;
            continue;
        }
        // A file that tests nothing is a mistake (a wrong path, everything commented out), not a pass.
        if (parsed.conversations.empty()) {
            const parley::diagnostic none{.file = parsed.path, .message = "the file has no test"};
            parley::print(std::cerr, std::vector{none}, {.color = isatty(STDERR_FILENO) != 0});
            junit.broken(none.message, parley::format(none));
            ++failed;
            continue;
        }
        for (const auto& c : parsed.conversations) {
            if (c.name.find(options.filter) == std::string::npos) {
                ++filtered_out;
                continue;
            }
            const auto report = run_one(*script, parsed.path, c, seen ? &*seen : nullptr);
            if (report.empty()) {
                ++passed;
                junit.passed(c);
            } else {
                ++failed;
                junit.failed(c, report);
                std::cout << report << '\n';
            }
        }
    }
    // A filter that matches nothing tests nothing: a typo, not a pass.
    if (passed + failed == 0 && filtered_out > 0) {
        std::cerr << "parley: no test name contains '" << options.filter << "'\n";
        ++failed;
    }
    std::cout << passed << " passed, " << failed << " failed";
    if (filtered_out > 0) std::cout << ", " << filtered_out << " filtered out";
    std::cout << '\n';
    if (!options.junit.empty() && !write_file(options.junit, junit.xml())) return 2;
    if (seen) {
        if (options.coverage_format == "lcov") {
            if (!write_file(options.coverage_output, seen->lcov())) return 2;
        } else if (options.coverage_output.empty()) {
            std::cout << seen->report();
        } else if (!write_file(options.coverage_output, seen->report())) {
            return 2;
        }
    }
    return failed ? 1 : 0;
}

}  // namespace parley::cli
