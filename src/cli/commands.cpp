// parley check, graph and screen.
#include "cli.hpp"
#include "coverage.hpp"

#include <parley/graph.hpp>
#include <parley/screen.hpp>

#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace parley::cli {

std::optional<parley::script> load_script(const std::string& file) {
    auto result = parley::compile_file(file);
    parley::print(std::cerr, result.diagnostics, {.color = isatty(STDERR_FILENO) != 0});
    return std::move(result.script);
}

std::optional<call_setup> load_for_calls(const std::string& file, const std::string& language, const std::vector<std::string>& set,
                                         int& status) {
    auto script = load_script(file);
    if (!script) {
        status = 1;
        return std::nullopt;
    }
    std::string problem;
    auto variables = parse_assignments(set, problem);
    try {
        if (!variables) throw std::invalid_argument(problem);
        call_setup setup{std::move(*script), {.language = language, .variables = std::move(*variables)}};
        parley::session probe(setup.script, setup.defaults);
        return setup;
    } catch (const std::exception& e) {  // a bad --set, or a --lang or variable the script refuses
        std::cerr << "parley: " << e.what() << '\n';
        status = 2;
        return std::nullopt;
    }
}

int check(const std::vector<std::string>& files, bool json) {
    std::vector<parley::diagnostic> all;
    bool errors = false;
    for (const auto& file : files) {
        auto result = parley::compile_file(file);
        errors = errors || !result.script;
        if (json)
            all.insert(all.end(), result.diagnostics.begin(), result.diagnostics.end());
        else
            parley::print(std::cerr, result.diagnostics, {.color = isatty(STDERR_FILENO) != 0});
    }
    if (json) std::cout << parley::to_json(all);
    return errors ? 1 : 0;
}

int graph(const std::string& file, const std::string& format, const std::string& output, const std::string& coverage) {
    auto script = load_script(file);
    if (!script) return 1;
    std::string dot;
    if (coverage.empty()) {
        dot = parley::to_dot(*script);
    } else {
        std::string error;
        const auto hits =
            coverage.ends_with(".tests") ? tested_edge_hits(*script, file, coverage) : edge_hits_from_lcov(*script, coverage, error);
        if (!hits) {
            if (!error.empty()) std::cerr << "parley: " << error << '\n';
            return 1;
        }
        dot = dot_with_coverage(*script, *hits);
    }
    if (format == "dot") {
        if (output.empty()) {
            std::cout << dot;
            return 0;
        }
        std::ofstream out(output, std::ios::binary);
        out << dot;
        out.close();  // a write error may show only when the last block goes out
        if (!out) {
            std::cerr << "parley: cannot write '" << output << "'\n";
            return 1;
        }
        return 0;
    }
    if (std::system("command -v dot >/dev/null 2>&1") != 0) {
        std::cerr << "parley: Graphviz 'dot' not found; install it with: apt-get install graphviz\n";
        return 1;
    }
    // The output path goes to dot through the environment, never through the shell's parser.
    if (!output.empty()) setenv("PARLEY_GRAPH_OUTPUT", output.c_str(), 1);
    std::FILE* pipe = popen(output.empty() ? "dot -Tsvg" : "dot -Tsvg -o \"$PARLEY_GRAPH_OUTPUT\"", "w");
    if (!pipe) {
        std::cerr << "parley: cannot start Graphviz 'dot'\n";
        return 1;
    }
    std::fwrite(dot.data(), 1, dot.size(), pipe);
    const int status = pclose(pipe);
    if (status != 0) {
        std::cerr << "parley: Graphviz 'dot' failed\n";
        return 1;
    }
    return 0;
}

int screen(const std::string& file, const std::vector<std::string>& texts, const std::string& input) {
    auto script = load_script(file);
    if (!script) return 2;
    std::size_t hits = 0;
    auto check = [&](std::string_view text, std::size_t line) {
        for (const auto& hit : parley::screen(*script, text)) {
            ++hits;
            const auto column = hit.column;
            std::cout << line << ':' << column << ": forbidden '" << text.substr(hit.offset, hit.length) << "' (" << hit.rule.file << ':'
                      << hit.rule.line << "); say instead: " << hit.replacement << '\n';
        }
    };
    std::size_t line = 0;
    for (const auto& t : texts) check(t, ++line);
    if (!input.empty()) {
        std::ifstream file_in;
        if (input != "-") {
            file_in.open(input, std::ios::binary);
            if (!file_in) {
                std::cerr << "parley: cannot open '" << input << "'\n";
                return 2;
            }
        }
        std::istream& in = input == "-" ? std::cin : file_in;
        std::string text;
        while (std::getline(in, text)) check(text, ++line);
    }
    std::cerr << (hits ? std::to_string(hits) + " forbidden phrase(s) found\n" : std::string("no forbidden phrases\n"));
    return hits ? 1 : 0;
}

}  // namespace parley::cli
