// parley test: runs the conversation tests that rule authors write (format in rules/README.md).
#include "cli.hpp"
#include "tests_file.hpp"

#include <parley/screen.hpp>
#include <parley/session.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <filesystem>
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
    [[nodiscard]] bool has(const expected_action& wanted) const {
        return std::any_of(actions.begin(), actions.end(), [&](const expected_action& a) {
            return a.name == wanted.name && std::all_of(wanted.arguments.begin(), wanted.arguments.end(), [&](const auto& argument) {
                       return std::find(a.arguments.begin(), a.arguments.end(), argument) != a.arguments.end();
                   });
        });
    }
    [[nodiscard]] std::string actions_text() const {
        std::string out;
        for (const auto& a : actions) out += (out.empty() ? "" : ", ") + action_text(a);
        return out.empty() ? "none" : out;
    }
    static std::string action_text(const expected_action& a) {
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

outcome play(parley::session& call, const input& in) {
    outcome out;
    switch (in.what) {
        case input::kind::pickup: out.add(call.start()); return out;
        case input::kind::wait:
            out.add(call.idle());
            call.advance(call.now() + in.seconds, [&](const parley::reply& r) { out.add(r); });
            return out;
        case input::kind::label: break;
    }
    std::vector<parley::slot_value> slots;
    for (const auto& [name, value] : in.slots) slots.push_back({name, value});
    out.add(call.step(std::string_view(in.label), in.confidence, slots));
    return out;
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
    for (const auto& a : e.actions)
        if (!r.has(a)) problems.push_back(fmt::format("expected the action {}, got {}", outcome::action_text(a), r.actions_text()));
    for (const auto& w : e.hint_words) {
        if (w.empty() && !r.hint.empty())  // `hint ""`: the step gives the operator no hint
            problems.push_back(fmt::format("expected no hint, got \"{}\"", r.hint));
        else if (!parley::contains_folded(r.hint, w))
            problems.push_back(fmt::format("expected the hint to contain \"{}\"", w));
    }
    return problems;
}

// Runs one conversation; empty on success, else the failure report.
std::string run_one(const parley::script& script, const std::string& file, const conversation& c) {
    std::string transcript;
    try {
        parley::session call(script, {.language = c.language, .variables = c.variables});
        for (const auto& s : c.steps) {
            std::vector<std::string> problems;
            std::string got;
            try {
                const auto r = play(call, s.input);
                got = fmt::format("[{}, {}] {}{}{}", r.state, to_string(r.action), r.phrase,
                                  r.hint.empty() ? "" : fmt::format("  (hint: {})", r.hint),
                                  r.actions.empty() ? "" : fmt::format("  (do: {})", r.actions_text()));
                problems = mismatches(r, s.expect);
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

}  // namespace

int run_tests(const std::string& file, std::vector<std::string> tests) {
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
    for (auto& t : tests) {
        const auto parsed = read_tests_file(std::move(t));
        // A file with syntax errors counts as one failure, and none of its tests run.
        if (!parsed.diagnostics.empty()) {
            parley::print(std::cerr, parsed.diagnostics, {.color = isatty(STDERR_FILENO) != 0});
            ++failed;
            continue;
        }
        // A file that tests nothing is a mistake (a wrong path, everything commented out), not a pass.
        if (parsed.conversations.empty()) {
            parley::print(std::cerr, std::vector{parley::diagnostic{.file = parsed.path, .message = "the file has no test"}},
                          {.color = isatty(STDERR_FILENO) != 0});
            ++failed;
            continue;
        }
        for (const auto& c : parsed.conversations) {
            const auto report = run_one(*script, parsed.path, c);
            if (report.empty())
                ++passed;
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
