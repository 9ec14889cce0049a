// The .tests format (rules/README.md, "Conversation tests"): its syntax tree and its parser.
// Errors are diagnostics in the compiler's format; the parser recovers at the next line, so
// one run reports every broken line.
#ifndef PARLEY_SRC_CLI_TESTS_FILE_HPP_INCLUDED
#define PARLEY_SRC_CLI_TESTS_FILE_HPP_INCLUDED

#include <parley/action.hpp>
#include <parley/diagnostic.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::cli {

// What the caller (or the clock) did: `pickup`, `wait SECONDS`, or `LABEL [@CONFIDENCE] [slot="value"]...`.
struct input {
    enum class kind : std::uint8_t { pickup, wait, label };
    kind what = kind::label;
    std::string label;
    double confidence = 1.0;
    double seconds = 0;  // for wait
    std::vector<std::pair<std::string, std::string>> slots;
};

// The input as a line would write it, for transcripts and recorded tests.
[[nodiscard]] std::string to_string(const input& in);
// `text` in double quotes, with '"' and '\\' escaped as the parser reads them.
[[nodiscard]] std::string in_quotes(std::string_view text);

// `do NAME [ARGUMENT="VALUE"]...`: an action the step asks the host for, with these values for
// the arguments given (the others are not checked); `do ...`: any actions, none included.
struct expected_action {
    std::string name;
    std::vector<std::pair<std::string, std::string>> arguments;
    bool any = false;  // `do ...`
};

// What the call holds after a step: `slot NAME="VALUE"` (`""`: unknown), `counter NAME=N`,
// `variable NAME="VALUE"`.
struct expected_value {
    enum class kind : std::uint8_t { slot, counter, variable };
    kind what = kind::slot;
    std::string name;
    std::string value;
};

// `-> STATE [ACTION] ["WORDS"...] [hint "WORDS"]... [do NAME ...]... [slot|counter|variable NAME=VALUE]...`
struct expectation {
    std::string state;
    std::optional<parley::action> action;  // checked when given
    std::vector<std::string> words;        // each occurs in the phrase, ignoring case
    bool silent = false;                   // `""`: the phrase is empty
    std::vector<std::string> hint_words;
    // The step's `do` clauses: with any, the exact list of its actions, in order (every timer's
    // after a wait); `do ...` stands for any actions there.
    std::vector<expected_action> actions;
    bool no_actions = false;  // `do ""`: the reply asks for no action
    std::vector<expected_value> values;
};

struct step {
    std::uint32_t line = 0;
    cli::input input;
    cli::expectation expect;
};

// `test "NAME" [lang L]`, `with NAME = "VALUE"` lines, steps, `end`.
struct conversation {
    std::uint32_t line = 0;
    std::string name;
    std::string language;
    std::vector<std::pair<std::string, std::string>> variables;
    std::vector<step> steps;
};

struct tests_file {
    std::string path;
    std::vector<conversation> conversations;
    std::vector<diagnostic> diagnostics;  // syntax errors, in line order; none means the tests can run
};

[[nodiscard]] tests_file parse_tests_file(std::string path, std::string_view text);
// Reads and parses; a file that cannot be read is one diagnostic.
[[nodiscard]] tests_file read_tests_file(std::string path);

// One line that holds only an input, as `parley chat` reads them; `file` and `line_number` say
// where it came from in the diagnostics. nullopt when it is malformed (the reason is appended).
[[nodiscard]] std::optional<input> parse_input(std::string_view line, std::vector<diagnostic>& diagnostics,
                                               std::string_view file = "<input>", std::uint32_t line_number = 1);

}  // namespace parley::cli

#endif
