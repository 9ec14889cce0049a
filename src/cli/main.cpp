// parley: check, graph, run, serve, chat, test, fmt, screen and bench .rules scripts, and serve editors (lsp).
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace {

// A number of seconds from `low` to `high`: not infinite, not NaN, with the range in the message.
CLI::Validator seconds(double low, double high, std::string_view range_note = {}) {
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            double value = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
            if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(value) && value >= low && value <= high) return {};
            return fmt::format("must be a finite number of seconds from {} to {}{}, not '{}'", low, high, range_note, text);
        },
        fmt::format("SECONDS in [{}, {}]", low, high));
}

// Every subcommand's output reaches its reader, or the command fails: what std::cout and stdout
// still hold is flushed, and a write that failed on the way (a full disk, a reader that closed
// the pipe while SIGPIPE is ignored) is said on stderr with status 2, as parley run does.
int finish(int status) {
    errno = 0;
    std::cout.flush();
    const bool failed = std::cout.fail() || std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
    if (!failed) return status;
    const int error = errno;
    std::cerr << "parley: cannot write the output" << (error ? std::string(": ") + std::strerror(error) : std::string()) << '\n';
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"parley: a rule-based dialogue engine for call centers"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "parley 0.1.0");
    int status = 0;

    std::vector<std::string> check_files;
    bool check_json = false;
    auto* check = app.add_subcommand("check", "Compile scripts and print their diagnostics; exit 1 on errors");
    // No ExistingFile check: a missing file is a diagnostic like any other, in --json too.
    check->add_option("FILE", check_files, "The .rules files")->required();
    check->add_flag("--json", check_json, "Print the diagnostics as JSON on stdout");
    check->callback([&] { status = parley::cli::check(check_files, check_json); });

    std::string graph_file, graph_format = "dot", graph_output, graph_coverage;
    auto* graph = app.add_subcommand("graph", "Print the state graph as Graphviz DOT or SVG");
    graph->add_option("FILE", graph_file, "The .rules file")->required()->check(CLI::ExistingFile);
    graph->add_option("--format", graph_format, "dot or svg (svg needs Graphviz's 'dot')")->check(CLI::IsMember({"dot", "svg"}));
    graph->add_option("-o,--output", graph_output, "Write here instead of stdout");
    graph
        ->add_option("--coverage", graph_coverage,
                     "Draw the transitions never taken in red: an lcov tracefile of 'parley test --coverage', or a .tests file to run")
        ->check(CLI::ExistingFile);
    graph->callback([&] { status = parley::cli::graph(graph_file, graph_format, graph_output, graph_coverage); });

    // A duration a call can last: NaN, infinity and what no call reaches are refused, not read as
    // "never" (a session counts up to 2^32 - 1 ms, 49.7 days).
    const auto seconds_of_call_time = seconds(0, 4294967.295, " (49.7 days)");
    parley::cli::run_options run_options;
    auto* run = app.add_subcommand("run", "Replay JSON Lines of classified utterances of interleaved calls");
    run->add_option("FILE", run_options.file, "The .rules file")->required()->check(CLI::ExistingFile);
    run->add_option("--input", run_options.input, "JSON Lines to read, '-' for stdin (the default)");
    run->add_option("--lang", run_options.language, "The language of new calls (default: the script's)");
    run->add_option("--set", run_options.set, "A variable for every call, NAME=VALUE, or NAME.LANG=VALUE for one language (repeatable)");
    run->add_option("--idle-timeout", run_options.idle_timeout,
                    "Expire a call with no line for this many seconds of stream time (default 7200; 0: never)")
        ->check(seconds_of_call_time);
    run->add_flag("--trace", run_options.trace,
                  "Add to each step's line the handlers considered, in order, with the values a guard that did not hold read");
    run->add_option("--remember-ended", run_options.ended_window,
                    "How many ended calls to remember, so that a late line for one is an error (default 100000)");
    run->footer(R"(Input, one JSON object per line:
  {"call": "c1", "event": "pickup"}
  {"call": "c1", "intent": "give_name", "confidence": 0.9, "slots": {"name": "Olga"}, "at": 4.5}
  {"call": "c1", "event": "tick", "at": 60}
'call' is required; then 'intent', or 'event' (pickup, tick, caller_hangup, or a declared
event); optional 'confidence' (0..1, default 1), 'slots' (strings), 'lang', 'at' (seconds since
pickup), 'seq' (parley serve's); on the pickup that starts a call, 'vars': its variables, as
--set gives them to every call ({"company": "Acme", "company.ru": "..."}; they win over
--set). Any other field is an error that names it. Limits: 1 MiB per line, 1 to 256 bytes
per call id; a longer line, or a line that gives a key twice, is an error line.
Output, exactly one line per input line, in order:
  {"call": "c1", "state": "intake", "action": "continue", "phrase": "...", "hint": "...",
   "rule": "rules/x.rules:12", "ended": false}
'hint' only when the rule has one; 'rule' is "" when no rule fired, and a step's line then
says why: "note": "nothing in state 'intake' handles 'dance'"; 'actions' only when the
rule asks the host for some: [{"name": "notify-team", "args": {"manager": "Ana"}}].
A bad line gives
  {"line": 7, "call": "c1", "error": "..."}
and the run goes on (a blank line too: every input line gets its output line); the exit
status is 1 if any line was an error. 'parley bench' counts bad lines the same way.
Timers: 'at' first fires every timer that fell due by then, in order, and no reply is lost.
A line that has its own input to answer lists the earlier timers' replies in "timers":
  {"call": "c1", "state": ..., "timers": [{"state": ..., "phrase": ..., "ended": false}]}
A tick is answered with the last timer's reply ("timers" holding those before it), or with
the current state and no phrase when none fired. When a timer ended the call, an intent's
line is answered with that ending reply and "ignored": "the call ended on a timer ...".
Ending: {"call": "c1", "event": "caller_hangup"} ends the call at once (answered with its
state and "ended": true). A line for one of the last --remember-ended ended calls is an error
("call has ended"); after that, the id starts a new call. A call with no line for
--idle-timeout seconds of stream time (each call's 'at' placed on one clock where its first
line arrived) is expired: its id is listed in "expired": ["c7"] on the line that noticed.
A line lists at most 1000 expired ids (the rest on the lines that follow, in order, with
"expired_pending": N still to come) and at most 1000 timer replies ("timers_omitted": N more).
Replies to a pipe or a terminal are written as soon as each line is read; a write error
ends the run with status 2.
With --trace, a step's line also says why it answered so: the handlers for its input in the
call's state, in the order tried, and what a guard that did not hold read:
  "trace": {"handlers": [{"rule": "x.rules:12", "on": "insult", "guard": "insults >= 1",
            "fired": false, "read": "insults = 0"}, {"rule": "x.rules:14", ..., "fired": true}]}
and a "note" when the confidence or a pending confirmation decided first.)");
    run->callback([&] { status = parley::cli::run(run_options); });

    parley::cli::serve_options serve_options;
    auto* serve = app.add_subcommand("serve", "Answer parley run's JSON Lines over HTTP, calls kept in memory or in Redis");
    serve->add_option("FILE", serve_options.file, "The .rules file")->required()->check(CLI::ExistingFile);
    serve->add_option("--listen", serve_options.listen,
                      "IP:PORT to listen on (default 127.0.0.1:8080: loopback only; port 0: any free port). Beyond loopback, "
                      "--auth-token-file or --allow-unauthenticated is required");
    serve->add_option("--store", serve_options.store, "Where calls live between turns: memory (the default) or redis://HOST:PORT[/DB]");
    serve->add_option("--lang", serve_options.language, "The language of new calls (default: the script's)");
    serve->add_option("--set", serve_options.set,
                      "A variable for every call, NAME=VALUE, or NAME.LANG=VALUE for one language (repeatable)");
    serve->add_option("--idle-timeout", serve_options.idle_timeout, "Forget a call with no turn for this many seconds (default 7200)")
        ->check(CLI::PositiveNumber);
    serve
        ->add_option("--remember-ended", serve_options.remember_ended,
                     "Seconds an ended call is remembered, so that a late turn is an error and a retry gets its reply (default 3600)")
        ->check(CLI::PositiveNumber);
    serve
        ->add_option("--max-calls", serve_options.max_calls,
                     "Calls the memory store holds at most, live and remembered; a new call past it is answered 503 (default 1000000)")
        ->check(CLI::PositiveNumber);
    serve->add_option("--store-timeout", serve_options.store_timeout, "Seconds for Redis to connect or to answer a command (default 2)")
        ->check(seconds(0.001, 60));
    serve
        ->add_option("--threads", serve_options.threads,
                     "Threads that serve the connections, each an event loop (default: one per core, two with Redis)")
        ->check(CLI::Range(1, 1024));
    serve
        ->add_option("--max-connections", serve_options.max_connections,
                     "Connections open at once; one more is answered 503 (default 10000, fewer if the file descriptor limit is lower)")
        ->check(CLI::Range(1, 1'000'000));
    serve->add_option("--max-header", serve_options.max_header, "Longest request line and header fields in bytes (default 8192)")
        ->check(CLI::Range(1024, 1 << 20));
    serve->add_option("--max-body", serve_options.max_body, "Longest request body in bytes (default 1048576)")->check(CLI::PositiveNumber);
    serve->add_option("--max-lines", serve_options.max_lines, "Most lines in one POST /v1/turns (default 1000)")
        ->check(CLI::PositiveNumber);
    serve
        ->add_option("--max-answer", serve_options.max_answer,
                     "Most bytes of answer to one POST /v1/turns; a line past it is not applied (default 1048576)")
        ->check(CLI::Range(1024, 1 << 30));
    serve->add_option("--header-timeout", serve_options.header_timeout, "Seconds to receive a request's whole header (default 10)")
        ->check(seconds(0.001, 3600));
    serve->add_option("--body-timeout", serve_options.body_timeout, "Seconds to receive a request's whole body (default 30)")
        ->check(seconds(0.001, 3600));
    serve->add_option("--send-timeout", serve_options.send_timeout, "Seconds for the client to take a whole answer (default 30)")
        ->check(seconds(0.001, 3600));
    serve
        ->add_option("--keepalive-timeout", serve_options.keepalive_timeout,
                     "Seconds an idle connection waits for its next request (default 75; 0: one request per connection)")
        ->check(seconds(0, 3600));
    serve
        ->add_option("--drain-timeout", serve_options.drain_timeout,
                     "Seconds SIGTERM waits for requests in flight before closing the connections left (default 10)")
        ->check(seconds(0, 3600));
    serve->add_option("--auth-token-file", serve_options.auth_token_file,
                      "Bearer tokens, one per line: every endpoint but /healthz and /readyz then needs 'Authorization: Bearer TOKEN'");
    serve->add_option("--admin-token-file", serve_options.admin_token_file,
                      "Bearer tokens for /v1/reload and /metrics, which then take only these");
    serve->add_flag("--allow-unauthenticated", serve_options.allow_unauthenticated,
                    "Listen beyond loopback without --auth-token-file (when a proxy or firewall in front decides who may connect)");
    serve->footer(R"(POST /v1/turns   one or more 'parley run' input lines; answered with the lines 'parley run' prints
                 (a refused line: its error object, HTTP 4xx). A line may carry "seq": N (per call,
                 increasing): a turn retried with an applied seq gets the stored reply, applied once;
                 another line with an applied seq is refused (422). A call starts with a pickup or
                 seq 1: a line for a call the store does not hold is refused otherwise (410, lost).
GET /v1/calls/ID     state, language, counters, slots, ended, version, seq
DELETE /v1/calls/ID  forget the call (the caller hung up)
POST /v1/reload      recompile FILE; live calls continue by state name (422 and diagnostics if it fails)
GET /healthz (the process is up), GET /readyz (the store answers), GET /metrics (Prometheus text).
SIGTERM: stop accepting, answer the requests in flight, close the rest after --drain-timeout, exit 0.)");
    serve->callback([&] { status = parley::cli::serve(serve_options); });

    std::string chat_file, chat_language, chat_record;
    auto* chat = app.add_subcommand("chat", "An interactive call in the terminal");
    chat->add_option("FILE", chat_file, "The .rules file")->required()->check(CLI::ExistingFile);
    chat->add_option("--lang", chat_language, "The caller's language");
    chat->add_option("--record", chat_record, "Write each call as a test of its replies to this .tests file, for 'parley test'");
    chat->callback([&] { status = parley::cli::chat(chat_file, chat_language, chat_record); });

    parley::cli::test_options test_options;
    auto* test = app.add_subcommand("test", "Run conversation tests (FILE.tests next to FILE by default)");
    test->add_option("FILE", test_options.file, "The .rules file")->required()->check(CLI::ExistingFile);
    test->add_option("TESTS", test_options.tests, "Conversation test files")->check(CLI::ExistingFile);
    test->add_option("--filter", test_options.filter, "Run only the tests whose name contains this text");
    test->add_option("--junit", test_options.junit, "Write the results as JUnit XML to this file");
    test->add_flag("--coverage", test_options.coverage,
                   "Report the states entered, handlers fired, transitions taken and phrase variants said");
    test->add_option("--coverage-format", test_options.coverage_format, "text (the default) or lcov (a tracefile for genhtml; needs -o)")
        ->check(CLI::IsMember({"text", "lcov"}));
    test->add_option("-o,--output", test_options.coverage_output, "Write the coverage report here");
    test->callback([&] {
        if (test_options.coverage_format != "text" || !test_options.coverage_output.empty()) test_options.coverage = true;
        status = parley::cli::run_tests(test_options);
    });

    std::string screen_file, screen_input;
    std::vector<std::string> screen_texts;
    auto* screen = app.add_subcommand("screen", "Check what operators said against the forbidden phrases; exit 1 on a hit");
    screen->add_option("FILE", screen_file, "The .rules file")->required()->check(CLI::ExistingFile);
    screen->add_option("TEXT", screen_texts, "Text to screen");
    screen->add_option("--input", screen_input, "Screen each line of this file ('-' for stdin)");
    screen->callback([&] { status = parley::cli::screen(screen_file, screen_texts, screen_input); });

    std::string bench_file, bench_input;
    int bench_repeat = 1;
    auto* bench = app.add_subcommand("bench", "Time the step loop on a JSON Lines stream loaded into memory");
    bench->add_option("FILE", bench_file, "The .rules file")->required()->check(CLI::ExistingFile);
    bench->add_option("--input", bench_input, "JSON Lines, as for 'run'")->required()->check(CLI::ExistingFile);
    bench->add_option("--repeat", bench_repeat, "Replay the stream K times")->check(CLI::PositiveNumber);
    bench->callback([&] { status = parley::cli::bench(bench_file, bench_input, bench_repeat); });

    std::vector<std::string> fmt_files;
    bool fmt_check = false;
    auto* fmt = app.add_subcommand("fmt", "Rewrite scripts in the canonical layout (comments kept); '-' formats stdin to stdout");
    fmt->add_option("FILE", fmt_files, "The .rules files")->required();
    fmt->add_flag("--check", fmt_check, "Write nothing; list the files that are not formatted and exit 1 if any");
    fmt->callback([&] { status = parley::cli::fmt(fmt_files, fmt_check); });
    auto* lsp = app.add_subcommand("lsp", "A language server for editors, on stdin and stdout (LSP 3.17)");
    lsp->callback([&] { status = parley::cli::lsp_server(); });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return finish(app.exit(e));  // --help and --version are written to stdout too
    } catch (const std::exception& e) {
        std::cerr << "parley: " << e.what() << '\n';
        return finish(2);
    }
    return finish(status);
}
