// `parley run` as a live process, driven through pipes by the real binary:
//   live_run reply    PARLEY RULES                 a line's reply arrives while the pipe stays open
//   live_run sigpipe  PARLEY RULES                 a closed output pipe ends the run with status 2
//   live_run long     PARLEY RULES MAX_RSS_MB      over-long lines are error lines, never buffered
//   live_run memory   PARLEY RULES CALLS LIVE MAX_RSS_MB   RSS over many calls, LIVE at a time
//   live_run per_call PARLEY RULES LIVE MAX_BYTES  RSS per live call (LIVE against 1,000)
//   live_run flood    PARLEY RULES IDS MAX_RATIO   ids crafted to collide under std::hash run
//                                                  within MAX_RATIO of random ids
// A limit of 0 measures without asserting (sanitizer builds, whose RSS is not parley's).
// Prints what it measured; exits 0 when the check holds.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "live_run: %s\n", why.c_str());
    std::exit(1);
}

struct child {
    pid_t pid = -1;
    int in = -1;   // its stdin, for us to write
    int out = -1;  // its stdout, for us to read (-1: /dev/null)
};

child spawn(const std::vector<std::string>& args, bool read_output) {
    int in[2], out[2] = {-1, -1};
    if (pipe(in) != 0 || (read_output && pipe(out) != 0)) fail("pipe");
    const pid_t pid = fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);  // as a shell would start it
        dup2(in[0], 0);
        if (read_output) {
            dup2(out[1], 1);
        } else {
            freopen("/dev/null", "w", stdout);
        }
        close(in[0]);
        close(in[1]);
        if (read_output) close(out[0]), close(out[1]);
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(in[0]);
    if (read_output) close(out[1]);
    return {pid, in[1], out[0]};
}

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const auto n = write(fd, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

struct finished {
    int status = 0;
    long max_rss_kb = 0;
};
finished wait_for(pid_t pid) {
    finished f;
    rusage usage{};
    if (wait4(pid, &f.status, 0, &usage) != pid) fail("wait4");
    f.max_rss_kb = usage.ru_maxrss;
    return f;
}

// Everything the child writes, read on a thread while we write its input.
class collector {
public:
    explicit collector(int fd, bool keep = true)
        : keep_(keep), thread_([this, fd] {
              char buf[1 << 16];
              while (true) {
                  const auto n = read(fd, buf, sizeof buf);
                  if (n <= 0) break;
                  lines_ += static_cast<std::size_t>(std::count(buf, buf + n, '\n'));
                  if (keep_) text_.append(buf, static_cast<std::size_t>(n));
              }
              close(fd);
          }) {}
    std::size_t join() {
        thread_.join();
        return lines_;
    }
    const std::string& text() const { return text_; }

private:
    bool keep_ = true;
    std::size_t lines_ = 0;
    std::string text_;
    std::thread thread_;
};

int reply(const std::string& parley, const std::string& rules) {
    auto c = spawn({parley, "run", rules}, true);
    if (!write_all(c.in, "{\"call\": \"a\", \"event\": \"pickup\"}\n")) fail("write");
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (got.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        pollfd p{c.out, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) {
            kill(c.pid, SIGKILL);
            fail("no reply within 10 s to a line written into an open pipe");
        }
        char buf[4096];
        const auto n = read(c.out, buf, sizeof buf);
        if (n <= 0) fail("the output ended before the reply");
        got.append(buf, static_cast<std::size_t>(n));
    }
    close(c.in);
    const auto f = wait_for(c.pid);
    if (got.rfind("{\"call\": \"a\", \"state\": ", 0) != 0) fail("unexpected reply: " + got);
    std::printf("reply while the pipe was open: %s", got.c_str());
    return WIFEXITED(f.status) && WEXITSTATUS(f.status) == 0 ? 0 : 1;
}

int sigpipe(const std::string& parley, const std::string& rules) {
    auto c = spawn({parley, "run", rules}, true);
    close(c.out);  // nobody reads the replies
    const std::string line = "{\"call\": \"a\", \"event\": \"tick\"}\n";
    std::string block;
    for (int i = 0; i < 1000; ++i) block += line;
    for (int i = 0; i < 1000 && write_all(c.in, block); ++i) {}
    close(c.in);
    const auto f = wait_for(c.pid);
    if (WIFSIGNALED(f.status)) fail("killed by signal " + std::to_string(WTERMSIG(f.status)) + " instead of a status");
    if (!WIFEXITED(f.status) || WEXITSTATUS(f.status) != 2) fail("exit status " + std::to_string(WEXITSTATUS(f.status)) + ", expected 2");
    std::printf("a closed output pipe: exit status 2\n");
    return 0;
}

int long_lines(const std::string& parley, const std::string& rules, long max_rss_mb) {
    auto c = spawn({parley, "run", rules}, true);
    collector out(c.out);
    std::string chunk(1 << 20, 'x');
    bool ok = write_all(c.in, "{\"call\": \"a\", \"event\": \"pickup\"}\n");
    for (int i = 0; i < 64 && ok; ++i) ok = write_all(c.in, chunk);  // a 64 MiB line
    ok = ok && write_all(c.in, "\n{\"call\": \"a\", \"event\": \"tick\"}\n");
    for (int i = 0; i < 3 && ok; ++i) ok = write_all(c.in, chunk);  // 3 MiB and no newline at the end
    close(c.in);
    out.join();
    const auto f = wait_for(c.pid);
    const std::string want2 = "{\"line\": 2, \"error\": \"line longer than 1048576 bytes: skipped\"}\n";
    const std::string want4 = "{\"line\": 4, \"error\": \"line longer than 1048576 bytes: skipped\"}\n";
    std::vector<std::string> lines;
    for (std::size_t b = 0, e; (e = out.text().find('\n', b)) != std::string::npos; b = e + 1)
        lines.push_back(out.text().substr(b, e - b + 1));
    if (lines.size() != 4 || lines[1] != want2 || lines[3] != want4 || lines[2].rfind("{\"call\": \"a\"", 0) != 0)
        fail("unexpected output:\n" + out.text().substr(0, 2000));
    std::printf("64 MiB and 3 MiB lines answered with errors; peak RSS %ld MB\n", f.max_rss_kb / 1024);
    if (max_rss_mb && f.max_rss_kb / 1024 > max_rss_mb) fail("peak RSS over " + std::to_string(max_rss_mb) + " MB: the line was buffered");
    return WIFEXITED(f.status) && WEXITSTATUS(f.status) == 1 ? 0 : 1;
}

// `calls` calls of the default script, `live` of them at once, each a pickup, one to three
// utterances a few seconds apart and a caller_hangup; one in a hundred is abandoned instead
// (no more lines) and must be expired. Returns the peak RSS in KB.
long calls_rss(const std::string& parley, const std::string& rules, std::size_t calls, std::size_t live, std::size_t* lines_out = nullptr) {
    auto c = spawn({parley, "run", rules, "--idle-timeout", "600"}, true);
    collector out(c.out, false);
    struct slot {
        std::size_t id = 0;
        int left = -1;  // -1: no call
        double at = 0;
    };
    std::vector<slot> slots(live);
    std::mt19937_64 rng(5);
    static const char* const utterances[] = {"\"intent\": \"greeting\"",
                                             "\"intent\": \"state_purpose\", \"slots\": {\"topic\": \"оплата\"}",
                                             "\"intent\": \"give_name\", \"slots\": {\"name\": \"Olga\"}", "\"intent\": \"venting\""};
    std::size_t started = 0, lines = 0;
    std::string block;
    while (started < calls || std::any_of(slots.begin(), slots.end(), [](const slot& s) { return s.left >= 0; })) {
        auto& s = slots[rng() % live];
        if (s.left < 0) {
            if (started == calls) continue;
            s = {started++, static_cast<int>(1 + rng() % 3), 0};
            block += "{\"call\": \"call-" + std::to_string(s.id) + "\", \"event\": \"pickup\", \"at\": 0}\n";
        } else if (s.left > 0) {
            --s.left;
            s.at += double(1 + rng() % 15);
            block +=
                "{\"call\": \"call-" + std::to_string(s.id) + "\", " + utterances[rng() % 4] + ", \"at\": " + std::to_string(s.at) + "}\n";
        } else {
            s.left = -1;
            if (s.id % 100 == 99) continue;  // abandoned
            block += "{\"call\": \"call-" + std::to_string(s.id) + "\", \"event\": \"caller_hangup\", \"at\": " + std::to_string(s.at + 1) +
                     "}\n";
        }
        ++lines;
        if (block.size() > (1 << 16)) {
            if (!write_all(c.in, block)) fail("parley stopped reading");
            block.clear();
        }
    }
    if (!write_all(c.in, block)) fail("parley stopped reading");
    close(c.in);
    const auto answered = out.join();
    const auto f = wait_for(c.pid);
    if (!WIFEXITED(f.status) || WEXITSTATUS(f.status) > 1) fail("parley failed");
    if (answered != lines) fail(std::to_string(lines) + " lines in, " + std::to_string(answered) + " out");
    if (lines_out) *lines_out = lines;
    return f.max_rss_kb;
}

int memory(const std::string& parley, const std::string& rules, std::size_t calls, std::size_t live, long max_rss_mb) {
    std::size_t lines = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const long kb = calls_rss(parley, rules, calls, live, &lines);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%zu calls, %zu live at a time, %zu lines in %.1f s: peak RSS %.1f MB\n", calls, live, lines, s,
                static_cast<double>(kb) / 1024.0);
    if (max_rss_mb && kb > max_rss_mb * 1024) fail("peak RSS over " + std::to_string(max_rss_mb) + " MB");
    return 0;
}

int per_call(const std::string& parley, const std::string& rules, std::size_t live, long max_bytes) {
    const long base = calls_rss(parley, rules, 3 * live, 1000);
    const long many = calls_rss(parley, rules, 3 * live, live);
    const double per = static_cast<double>(many - base) * 1024.0 / double(live - 1000);
    std::printf("peak RSS %.1f MB with 1,000 live calls, %.1f MB with %zu: %.0f bytes per live call\n", static_cast<double>(base) / 1024.0,
                static_cast<double>(many) / 1024.0, live, per);
    if (max_bytes && per > double(max_bytes)) fail("over " + std::to_string(max_bytes) + " bytes per live call");
    return 0;
}

// libstdc++'s std::hash<std::string_view> on 64-bit machines (MurmurHash64A's blocks, seed
// 0xc70f6907): each 8-byte block passes through an invertible function, so for any first
// blocks a last block can be solved that lands on a chosen state.
constexpr std::uint64_t mul = 0xc6a4a7935bd1e995ULL;
std::uint64_t shift_mix(std::uint64_t v) { return v ^ (v >> 47); }
std::uint64_t inverse(std::uint64_t a) {
    std::uint64_t x = a;
    for (int i = 0; i < 6; ++i) x *= 2 - a * x;
    return x;
}
std::uint64_t load(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

std::string json_line(std::string_view id) {
    std::string s = "{\"call\": \"";
    for (unsigned char ch : id) {
        if (ch < 0x20 || ch == '"' || ch == '\\') {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04x", ch);
            s += esc;
        } else {
            s += static_cast<char>(ch);
        }
    }
    return s + "\", \"event\": \"pickup\"}\n";
}

double seconds_to_run(const std::string& parley, const std::string& rules, const std::string& input) {
    double best = 1e9;
    for (int i = 0; i < 3; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto c = spawn({parley, "run", rules}, false);
        if (!write_all(c.in, input)) fail("parley stopped reading");
        close(c.in);
        const auto f = wait_for(c.pid);
        if (!WIFEXITED(f.status) || WEXITSTATUS(f.status) != 0) fail("parley failed");
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

int flood(const std::string& parley, const std::string& rules, std::size_t count, double max_ratio) {
    const std::uint64_t inv = inverse(mul);
    const std::string prefix = "flood-00";
    const std::uint64_t h0 = 0xc70f6907ULL ^ (24 * mul);
    const std::uint64_t s1 = (h0 ^ shift_mix(load(prefix.data()) * mul) * mul) * mul;
    const std::uint64_t target = 0x243f6a8885a308d3ULL;
    std::mt19937_64 rng(11);
    std::string crafted, random;
    std::uint64_t first_hash = 0;
    for (std::size_t n = 0; n < count;) {
        char k1[8], k2[8], r[16];
        for (auto& ch : k1) ch = static_cast<char>(rng() % 0x80);
        const std::uint64_t s2 = (s1 ^ shift_mix(load(k1) * mul) * mul) * mul;
        const std::uint64_t solved = shift_mix((target ^ s2) * inv) * inv;
        std::memcpy(k2, &solved, 8);
        if (std::any_of(k2, k2 + 8, [](char ch) { return static_cast<unsigned char>(ch) >= 0x80; })) continue;
        const std::string id = prefix + std::string(k1, 8) + std::string(k2, 8);
        const auto h = std::hash<std::string_view>{}(id);
        if (n == 0) first_hash = h;
        if (h != first_hash) {
            std::printf("std::hash is not libstdc++'s MurmurHash64A here: nothing to craft; skipped\n");
            return 0;
        }
        crafted += json_line(id);
        for (auto& ch : r) ch = static_cast<char>(rng() % 0x80);
        random += json_line(prefix + std::string(r, 16));
        ++n;
    }
    const double t_random = seconds_to_run(parley, rules, random);
    const double t_crafted = seconds_to_run(parley, rules, crafted);
    const double ratio = t_crafted / t_random;
    std::printf("%zu ids with one std::hash: %.3f s; %zu random ids: %.3f s; ratio %.2f\n", count, t_crafted, count, t_random, ratio);
    if (max_ratio > 0 && ratio > max_ratio) fail("crafted ids are over " + std::to_string(max_ratio) + " times slower");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    signal(SIGPIPE, SIG_IGN);
    const std::vector<std::string> a(argv + 1, argv + argc);
    auto need = [&](std::size_t n) {
        if (a.size() < n) fail("usage: see the comment at the top of tests/cli/live_run.cpp");
    };
    need(3);
    const std::string& mode = a[0];
    if (mode == "reply") return reply(a[1], a[2]);
    if (mode == "sigpipe") return sigpipe(a[1], a[2]);
    if (mode == "long") return need(4), long_lines(a[1], a[2], std::stol(a[3]));
    if (mode == "memory") return need(6), memory(a[1], a[2], std::stoul(a[3]), std::stoul(a[4]), std::stol(a[5]));
    if (mode == "per_call") return need(5), per_call(a[1], a[2], std::stoul(a[3]), std::stol(a[4]));
    if (mode == "flood") return need(5), flood(a[1], a[2], std::stoul(a[3]), std::stod(a[4]));
    fail("unknown mode '" + mode + "'");
}
