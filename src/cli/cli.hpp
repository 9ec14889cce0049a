// The parley command line: one function per subcommand, wired up with CLI11 in main.cpp.
#ifndef PARLEY_SRC_CLI_CLI_HPP_INCLUDED
#define PARLEY_SRC_CLI_CLI_HPP_INCLUDED

#include <parley/compiler.hpp>

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
};

int check(const std::vector<std::string>& files, bool json);
int graph(const std::string& file, const std::string& format, const std::string& output);
int run(const run_options& options);
int screen(const std::string& file, const std::vector<std::string>& texts, const std::string& input);
// Runs the conversation tests in `tests` (default: FILE.tests); a file with syntax errors fails.
int run_tests(const std::string& file, std::vector<std::string> tests);
int chat(const std::string& file, const std::string& language);
int bench(const std::string& file, const std::string& input, int repeat);
// A language server on stdin/stdout; the exit status LSP asks for (0 after shutdown and exit).
int lsp_server();

// Compiles a script for a subcommand; prints its diagnostics to stderr; nullopt on errors.
std::optional<parley::script> load_script(const std::string& file);
// "NAME=VALUE" pairs, or an error message.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_assignments(const std::vector<std::string>& set, std::string& error);

}  // namespace parley::cli

#endif
