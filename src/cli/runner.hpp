// `parley run`'s answers, apart from the process: the lines of a stream in, one JSON line out
// for each, into a string. run.cpp drives it from file descriptors; tests/fuzz/fuzz_run.cpp
// from a buffer. line_answerer is the part for one line of one call, apart from where the call's
// session lives: the runner's table, or `parley serve`'s store (serve.cpp).
#ifndef PARLEY_SRC_CLI_RUNNER_HPP_INCLUDED
#define PARLEY_SRC_CLI_RUNNER_HPP_INCLUDED

#include <parley/script.hpp>
#include <parley/session.hpp>

#include "input_line.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::cli {

struct run_limits {
    std::size_t max_line = std::size_t{1} << 20;  // bytes; a longer line is answered with an error
    // Seconds of stream time (see README) after which a call with no line is expired; 0: never.
    double idle_timeout = 7200;
    // How many ended calls' ids are remembered, so that a late line for one is an error;
    // the oldest is forgotten first, and a line for a forgotten id starts a new call.
    std::size_t ended_window = 100'000;
};

// A line's answer grew past line_answerer::limit(): thrown by fire_timers() while the timers fire.
class answer_too_long : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One line's answer for a call whose session the caller holds: start(), then fire_timers() and
// finish() (either may throw a session_error, which the caller answers with error()), or error().
// The session keeps whatever the line did to it, even when the line is refused.
//
// A line stays bounded however many timers fire or calls expire at once: it lists at most
// max_listed timer replies ("timers_omitted": how many more fired, between them and the line's
// own reply) and at most max_listed expired ids (the rest on the lines that follow, in order,
// "expired_pending" saying how many are still to come).
class line_answerer {
public:
    static constexpr std::size_t max_listed = 1000;
    struct outcome {
        bool refused = false;  // the line was answered with an error
        bool ended = false;    // the call is over: forget its session
    };
    // A new line: the last line's timers are forgotten (expired ids not yet listed are not).
    void start() noexcept;
    // Every timer due by the line's `at` fires; their replies go into finish()'s line.
    void fire_timers(parley::session& session, const input_line& line);
    // The line's own input, answered with exactly one line appended to `out`.
    outcome finish(const parley::script& script, parley::session& session, const input_line& line, std::size_t number, std::string& out);
    // An error line for line `number` (and its call, when it has one).
    void error(std::size_t number, const std::string_view* call, std::string_view message, std::string& out);
    // A call that ended for being idle, listed in this line's "expired" (or a later line's).
    void note_expired(std::string_view call);
    // Whether each step's trace (parley::step_trace) is added to its line, as "trace".
    void trace(bool on) noexcept { tracing_ = on; }
    // The most bytes the replies of a line's timers may take (0: no limit); past it, fire_timers()
    // throws answer_too_long. `parley serve` bounds its answers so; a script whose timers lead
    // back to their own state would otherwise answer one line with every second of a long `at`.
    void limit(std::size_t bytes) noexcept { limit_ = bytes; }

private:
    outcome answer(std::string& out, std::string_view call, const parley::reply& r, std::string_view ignored = {}, bool traced = false,
                   std::string_view note = {});
    void append_reply(std::string& out, const parley::reply& r);
    void finish_line(std::string& out);
    void append_trace(std::string& out) const;

    bool tracing_ = false;
    std::size_t limit_ = 0;
    parley::step_trace trace_;  // the last step's, while tracing_
    std::string rule_, timers_;
    std::deque<std::string> expired_;  // ids not listed yet, oldest first
    std::optional<parley::reply> last_timer_;
    std::size_t last_begins_ = 0;
    std::size_t timers_fired_ = 0;  // this line's; the first max_listed are in timers_
};

class runner {
public:
    // `hash_key`: for tests and fuzzing, a fixed key for the call-id hash; else a random one.
    runner(parley::script script, parley::session_options defaults, const run_limits& limits, const std::uint64_t* hash_key = nullptr);
    runner(runner&&) noexcept;
    ~runner();

    // Answers line `number` (without its '\n'; simdjson::SIMDJSON_PADDING readable bytes must
    // follow it), appending exactly one line to `out`.
    void answer(std::string_view line, std::size_t number, std::string& out);
    // Answers a line that was longer than the limit (and skipped) with its error line.
    void answer_too_long(std::size_t number, std::string& out);
    // Whether any line was answered with an error.
    [[nodiscard]] bool failed() const noexcept;
    // Adds each step's trace to its line (`parley run --trace`).
    void trace(bool on) noexcept;
    // Calls live now (for tests and benchmarks).
    [[nodiscard]] std::size_t live_calls() const noexcept;

private:
    class impl;
    std::unique_ptr<impl> impl_;
};

// parley run on `input`, read `chunk` bytes at a time: the output appended to `out`; returns the
// exit status (0, or 1 if a line was an error).
int run_buffer(runner& r, const run_limits& limits, std::string_view input, std::string& out, std::size_t chunk = std::size_t{1} << 16);

}  // namespace parley::cli

#endif
