// parley fmt: rewrites scripts in the canonical layout (parley::format_source), or with --check
// says which ones differ from it.
#include "cli.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
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

// Through a new file beside it (mkstemp: a name no one else has), written whole, flushed to the
// disk and renamed over it: an interrupted or failed write never leaves half a script, and a
// failure leaves the script as it was and no file of ours behind. Empty when done, else why not.
std::string replace(const std::string& file, const std::string& text) {
    const std::filesystem::path path(file);
    std::string name = ".";  // (appended, not "." + ...: GCC 12's false -Wrestrict)
    name += path.filename().string();
    name += ".parley-fmt-XXXXXX";
    auto pattern = (path.parent_path() / name).string();
    const int fd = ::mkstemp(pattern.data());
    if (fd < 0) return std::strerror(errno);
    struct ::stat st {};
    bool ok = ::stat(file.c_str(), &st) == 0 && ::fchmod(fd, st.st_mode & 07777) == 0;
    for (std::string_view rest = text; ok && !rest.empty();) {
        const auto n = ::write(fd, rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) rest.remove_prefix(static_cast<std::size_t>(n));
    }
    ok = ok && ::fsync(fd) == 0;
    const int error = errno;
    ok = ::close(fd) == 0 && ok;
    if (ok && ::rename(pattern.c_str(), file.c_str()) == 0) return {};
    const int why = ok ? errno : error;
    ::unlink(pattern.c_str());
    return why ? std::strerror(why) : "a write failed";
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
            } else if (const auto problem = replace(file, *result.text); !problem.empty()) {
                std::cerr << "parley: cannot write '" << file << "': " << problem << " (the file is as it was)\n";
                status = std::max(status, 2);
            }
        }
    }
    return status;
}

}  // namespace parley::cli
