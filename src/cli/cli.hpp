// The parley command line: one function per subcommand, wired up with CLI11 in main.cpp.
#ifndef PARLEY_SRC_CLI_CLI_HPP_INCLUDED
#define PARLEY_SRC_CLI_CLI_HPP_INCLUDED

#include <parley/compiler.hpp>
#include <parley/session.hpp>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley::cli {

struct run_options {
    std::string file;
    std::string input = "-";
    std::string language;
    std::vector<std::string> set;  // NAME=VALUE
    double idle_timeout = 7200;    // seconds of stream time; 0: calls never expire
    std::size_t ended_window = 100'000;
    bool trace = false;  // add each step's trace to its line
};

struct serve_options {
    std::string file;
    std::string listen = "127.0.0.1:8080";
    std::string store = "memory";
    std::string language;
    std::vector<std::string> set;       // NAME=VALUE
    long idle_timeout = 7200;           // seconds without a turn after which a call is forgotten
    long remember_ended = 3600;         // seconds an ended call is remembered (late lines, retries)
    int max_conflicts = 100;            // times a turn is answered again after losing its call to another
    std::size_t max_calls = 1'000'000;  // the memory store's calls, live and remembered
    double store_timeout = 2;           // seconds for Redis to connect or answer a command
    // HTTP (http_server.hpp); durations in seconds, checked in main.cpp.
    unsigned threads = 0;  // 0: one per core, two with Redis
    std::size_t max_connections = 10'000;
    std::size_t max_header = 8192;     // bytes of request line and fields
    std::size_t max_body = 1 << 20;    // bytes
    std::size_t max_lines = 1000;      // lines in one POST /v1/turns
    std::size_t max_answer = 1 << 20;  // bytes of the lines answering one request
    double header_timeout = 10, body_timeout = 30, send_timeout = 30, keepalive_timeout = 75, drain_timeout = 10;
    // Who may talk to it: bearer tokens, one per line.
    std::string auth_token_file;         // every endpoint but /healthz and /readyz
    std::string admin_token_file;        // /v1/reload and /metrics, when given
    bool allow_unauthenticated = false;  // listen beyond loopback without --auth-token-file
};

int check(const std::vector<std::string>& files, bool json);
int run(const run_options& options);
int screen(const std::string& file, const std::vector<std::string>& texts, const std::string& input);
struct test_options {
    std::string file;
    std::vector<std::string> tests;  // default: FILE.tests
    std::string filter;              // only the tests whose name contains it
    std::string junit;               // write JUnit XML here
    bool coverage = false;
    std::string coverage_format = "text";  // or "lcov"
    std::string coverage_output;           // the report's file; stdout for text when empty
};
// Runs conversation tests; a file with syntax errors or no test fails.
int run_tests(const test_options& options);
// Runs the tests in `tests` without a word and returns the hits per edge of make_graph(script);
// nullopt (the reason on stderr) when the file cannot be read or has syntax errors.
std::optional<std::vector<std::uint64_t>> tested_edge_hits(const parley::script& script, const std::string& file, const std::string& tests);
// `record`: write each call as a test of what it answered, for `parley test`.
int chat(const std::string& file, const std::string& language, const std::string& record);
// The state graph; with `coverage` (a tracefile of `parley test --coverage-format lcov`, or a
// .tests file to run), the transitions never taken in red.
int graph(const std::string& file, const std::string& format, const std::string& output, const std::string& coverage);
int serve(const serve_options& options);
int bench(const std::string& file, const std::string& input, int repeat);
// Rewrites the files in the canonical layout ('-': stdin to stdout); with `check`, only lists
// those that differ. 1 when one differs (with `check`) or has syntax errors, 2 when one cannot be
// read or written.
int fmt(const std::vector<std::string>& files, bool check);
// A language server on stdin/stdout; the exit status LSP asks for (0 after shutdown and exit).
int lsp_server();

// Compiles a script for a subcommand; prints its diagnostics to stderr; nullopt on errors.
std::optional<parley::script> load_script(const std::string& file);
// A script and every new call's options (--lang, --set), checked against it once so that a bad
// one fails at start rather than on every line. On a problem: its report on stderr, `status` set
// (1: the script does not compile, 2: a bad option), nullopt.
struct call_setup {
    parley::script script;
    parley::session_options defaults;
};
std::optional<call_setup> load_for_calls(const std::string& file, const std::string& language, const std::vector<std::string>& set,
                                         int& status);
// "NAME=VALUE" pairs, or an error message.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_assignments(const std::vector<std::string>& set, std::string& error);

}  // namespace parley::cli

#endif
