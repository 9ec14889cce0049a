// parley run: JSON Lines of interleaved calls in, one JSON reply per line out, in order.
//
// The answers are runner.cpp's; here is the process around them. Input is read with read(2):
// from a file in 1 MiB blocks, from a pipe or a terminal whatever has arrived, and before the
// run waits for more input on a pipe or a terminal every answer so far is written, so a host
// that feeds a live call gets each reply as soon as its line is complete. Output goes through
// one buffer written with write(2); any write error (a full disk, a closed pipe: SIGPIPE is
// ignored so that it is an error like any other) ends the run with a message and status 2.
#include "cli.hpp"
#include "line_reader.hpp"
#include "runner.hpp"

#include <parley/session.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <new>

namespace parley::cli {

std::optional<std::vector<std::pair<std::string, std::string>>> parse_assignments(const std::vector<std::string>& set, std::string& error) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& s : set) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0) {
            error = "--set takes NAME=VALUE, not '" + s + "'";
            return std::nullopt;
        }
        out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
    return out;
}

namespace {

constexpr std::size_t block = std::size_t{1} << 20;

// Writes all of `out`; false on an error (errno says which).
bool write_all(int fd, std::string_view out) {
    while (!out.empty()) {
        const auto n = ::write(fd, out.data(), out.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        out.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

long read_some(int fd, char* to, std::size_t most) {
    while (true) {
        const auto n = ::read(fd, to, most);
        if (n >= 0 || errno != EINTR) return static_cast<long>(n);
    }
}

}  // namespace

int run(const run_options& options) {
    int status = 0;
    auto setup = load_for_calls(options.file, options.language, options.set, status);
    if (!setup) return status;
    int in = STDIN_FILENO;
    const bool named = options.input != "-";
    if (named) {
        in = ::open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
        if (in < 0) {
            std::fprintf(stderr, "parley: cannot open '%s': %s\n", options.input.c_str(), std::strerror(errno));
            return 2;
        }
    }
    struct stat st {};
    if (::fstat(in, &st) == 0 && S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "parley: cannot read '%s': it is a directory\n", options.input.c_str());
        if (named) ::close(in);
        return 2;
    }
    // A regular file never makes the run wait: answers are written in large blocks. Anything
    // else (a pipe, a terminal, a socket) may: answers are written before every read.
    const bool live = !S_ISREG(st.st_mode);
    const bool tty = isatty(STDOUT_FILENO) != 0;
    std::signal(SIGPIPE, SIG_IGN);

    run_limits limits;
    limits.idle_timeout = options.idle_timeout;
    limits.ended_window = options.ended_window;
    std::string out;
    std::size_t number = 0;
    auto flush = [&] {
        if (!write_all(STDOUT_FILENO, out)) {
            std::fprintf(stderr, "parley: cannot write the replies: %s\n", std::strerror(errno));
            return false;
        }
        out.clear();
        return true;
    };
    try {
        out.reserve(block + 4096);
        runner r(std::move(setup->script), std::move(setup->defaults), limits);
        r.trace(options.trace);
        line_reader reader(limits.max_line, block);
        std::string_view line;
        bool more = true;
        while (more) {
            switch (reader.next(line)) {
                case line_reader::got::line: r.answer(line, ++number, out); break;
                case line_reader::got::too_long: r.answer_too_long(++number, out); break;
                case line_reader::got::more:
                    if (live && !flush()) return 2;
                    if (!reader.fill([&](char* to, std::size_t most) { return read_some(in, to, most); })) {
                        const int e = errno;
                        if (!flush()) return 2;
                        std::fprintf(stderr, "parley: cannot read '%s' after line %zu: %s\n", options.input.c_str(), number,
                                     std::strerror(e));
                        return 2;
                    }
                    continue;
                case line_reader::got::end: more = false; continue;
            }
            if ((out.size() > block || tty) && !flush()) return 2;
        }
        status = r.failed() ? 1 : 0;
    } catch (const std::bad_alloc&) {
        // Every reply made so far reaches the host before the run fails.
        if (!flush()) return 2;
        std::fprintf(stderr, "parley: out of memory after line %zu\n", number);
        return 2;
    }
    if (named) ::close(in);
    return flush() ? status : 2;
}

}  // namespace parley::cli
