// One line of `parley run`'s JSON Lines input, read the same way by `run` and `bench`, so that
// both refuse the same lines for the same reasons (the contract is in `parley run --help`).
#ifndef PARLEY_SRC_CLI_INPUT_LINE_HPP_INCLUDED
#define PARLEY_SRC_CLI_INPUT_LINE_HPP_INCLUDED

#include <parley/script.hpp>
#include <parley/session.hpp>

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::cli {

// The longest call id a line may carry, in bytes (documented in `parley run --help`).
inline constexpr std::size_t max_call_id = 256;

// Why `id` cannot name a call (it must have 1 to max_call_id bytes), or an empty string: one
// rule for a line's "call" and for the ids in `parley serve`'s paths.
[[nodiscard]] std::string call_id_problem(std::string_view id);

struct input_line {
    std::string_view call, intent, event, lang;  // views into the parser: valid until the next line
    double confidence = 1.0;
    std::optional<double> at;
    bool has_call = false;
    std::vector<parley::slot_value> slots;
    // `"vars": {"company": "Acme", "company.ru": "..."}` on a pickup: the variables of the call it
    // starts, as --set gives them to every call (views into the parser, as above).
    std::vector<std::pair<std::string_view, std::string_view>> vars;
    bool has_vars = false;
    std::vector<std::string_view> names;  // scratch for the duplicate-key check; keeps its capacity
    // `parley serve`'s per-call sequence number, unread here (`parley run` ignores it).
    std::optional<simdjson::dom::element> seq;

    [[nodiscard]] bool is_event() const noexcept { return !event.empty(); }
    [[nodiscard]] std::string_view label() const noexcept { return is_event() ? event : intent; }
    [[nodiscard]] bool is_pickup() const noexcept { return event == "pickup"; }
    [[nodiscard]] bool is_tick() const noexcept { return event == "tick"; }
    // The caller put the phone down: `parley run` ends the call; no script declares it.
    [[nodiscard]] bool is_hangup() const noexcept { return event == "caller_hangup"; }
};

// Reads `line` (which must be followed by simdjson::SIMDJSON_PADDING readable bytes) into `out`;
// returns why the line is refused, or an empty string. A blank line is refused like any line
// that is not one JSON object: every input line gets its output line. A key given twice, in the
// line or in its slots, is refused: JSON leaves its meaning open, and readers differ on it.
[[nodiscard]] std::string read_input_line(simdjson::dom::parser& parser, std::string_view line, input_line& out);

// Why a line with 'vars' is refused for a call that has already started.
inline constexpr std::string_view vars_too_late =
    "'vars' give a call its variables when its pickup starts it; this call has already started";

// The options of the call a line starts: the run's, with the line's 'lang' and 'vars' (which
// come after the run's --set, so they win).
[[nodiscard]] parley::session_options options_for(const parley::session_options& defaults, const input_line& in);

// The line's label as the script knows it: its id, or nullopt for a label the script does not
// declare (a session_error or `otherwise`, as the script says). The error: an intent sent as an
// event or the other way round.
[[nodiscard]] std::string resolve_label(const parley::script& script, const input_line& in, std::optional<parley::label_id>& id);

}  // namespace parley::cli

#endif
