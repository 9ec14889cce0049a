// parley fmt: rewrites scripts in the canonical layout (parley::format_source), or with --check
// says which ones differ from it.
#include "cli.hpp"

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace parley::cli {

namespace {

std::optional<std::string> read_all(const std::string& file) {
    if (file == "-") {
        std::ostringstream text;
        text << std::cin.rdbuf();
        return text.str();
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Through a file beside it, renamed over it: an interrupted write never leaves half a script.
bool replace(const std::string& file, const std::string& text) {
    const auto temporary = file + ".parley-fmt";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) return false;
    }
    std::error_code ec;
    std::filesystem::permissions(temporary, std::filesystem::status(file, ec).permissions(), ec);
    std::filesystem::rename(temporary, file, ec);
    if (ec) std::filesystem::remove(temporary, ec);
    return !ec;
}

}  // namespace

int fmt(const std::vector<std::string>& files, bool check) {
    int status = 0;
    for (const auto& file : files) {
        const auto text = read_all(file);
        if (!text) {
            std::cerr << "parley: cannot read '" << file << "'\n";
            status = std::max(status, 2);
            continue;
        }
        auto result = parley::format_source(*text, file == "-" ? "<stdin>" : file);
        parley::print(std::cerr, result.diagnostics, {.color = isatty(STDERR_FILENO) != 0});
        if (!result) {
            status = std::max(status, 1);
            continue;
        }
        if (file == "-") {
            if (!check) {
                std::cout << *result.text;
            } else if (*result.text != *text) {
                std::cout << "<stdin>\n";
                status = std::max(status, 1);
            }
        } else if (*result.text != *text) {
            if (check) {
                std::cout << file << '\n';
                status = std::max(status, 1);
            } else if (!replace(file, *result.text)) {
                std::cerr << "parley: cannot write '" << file << "'\n";
                status = std::max(status, 2);
            }
        }
    }
    return status;
}

}  // namespace parley::cli
