// parley in the peer step benchmark (../shared/peers): peer_graph.rules, the twin of the peers'
// graph.json, driven over their stream the way their C++ baselines are (cpp/common.hpp), and
// reporting the same RESULT and MEM lines so that their run.sh compares it:
//
//   ../shared/peers/run.sh --runs 3 --peer "parley|build/benchmarks/peer_graph --passes 10"
//   ../shared/peers/run.sh --runs 1 --mem 1000000 --peer "parley|build/benchmarks/peer_graph --passes 10"
//
// usage: peer_graph [STREAM.jsonl] [--passes K] [--mem N] [--rules FILE] [--trace]
// --trace: every step fills a parley::step_trace (what `parley run --trace` shows), to measure
// what tracing costs; without it the steps are the untraced overloads, which trace nothing.
// The stream's intents are interned once, at load; a step is session::step(label_id,
// confidence) with one render buffer lent to every session. The graph's low-confidence rule is
// the script's (`setting below_threshold`), not this driver's. A call whose reply ends it
// restarts at once, with its caller's name, as the graph's semantics say: the options are
// prepared once per caller name (session::prepare), so that a restart looks nothing up and a
// host keeps nothing per call but its session.
#include <parley/parley.hpp>

#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::array<std::string_view, 8> caller_names = {"Alex", "Maria", "John", "Priya", "Chen", "Fatima", "Olga", "Diego"};

struct utterance {
    std::uint32_t call = 0;
    parley::label_id label = 0;
    double confidence = 0;
};

struct stream {
    std::vector<utterance> utterances;
    std::uint32_t calls = 0;
};

// The peers' stream: {"call":"c<k>","intent":"<name>","confidence":<x>} per line.
stream load_stream(const char* path, const parley::script& script) {
    std::ifstream in(path);
    if (!in) {
        fmt::print(stderr, "cannot open {} (run ../shared/peers/gen_stream.py first)\n", path);
        std::exit(2);
    }
    stream s;
    s.utterances.reserve(1 << 20);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const char* p = line.c_str();
        const char* call = std::strstr(p, "\"call\":\"c");
        const char* intent = std::strstr(p, "\"intent\":\"");
        const char* confidence = std::strstr(p, "\"confidence\":");
        if (!call || !intent || !confidence) {
            fmt::print(stderr, "bad line: {}\n", line);
            std::exit(2);
        }
        intent += 10;
        const auto label = script.find_label(std::string_view(intent, static_cast<std::size_t>(std::strchr(intent, '"') - intent)));
        if (!label) {
            fmt::print(stderr, "an intent the script does not declare: {}\n", line);
            std::exit(2);
        }
        utterance u{static_cast<std::uint32_t>(std::strtoul(call + 9, nullptr, 10)), *label, std::strtod(confidence + 13, nullptr)};
        s.utterances.push_back(u);
        s.calls = std::max(s.calls, u.call + 1);
    }
    return s;
}

// The graph's action indices: continue, transfer, hangup, close.
constexpr std::uint32_t action_index(parley::action a) {
    switch (a) {
        case parley::action::transfer: return 1;
        case parley::action::hangup: return 2;
        case parley::action::close: return 3;
        default: return 0;
    }
}

struct pass_result {
    std::uint32_t checksum = 2166136261u;
    std::array<std::uint64_t, 4> actions{};
    std::uint64_t phrase_bytes = 0;
    bool operator==(const pass_result&) const = default;
};

struct engine {
    parley::script script;
    std::vector<parley::prepared_options> callers;  // by caller name: what a call starts and restarts with
    std::vector<parley::session> sessions;
    std::string buffer;  // lent to every session's rendering

    explicit engine(parley::script s) : script(std::move(s)) {
        const parley::session probe(script);
        for (auto name : caller_names) callers.push_back(probe.prepare({.variables = {{"caller_name", std::string(name)}}}));
    }
    [[nodiscard]] const parley::prepared_options& caller_of(std::uint32_t call) const { return callers[call % caller_names.size()]; }

    void fresh(std::uint32_t calls) {
        sessions.assign(calls, parley::session(script));
        for (std::uint32_t c = 0; c < calls; ++c) sessions[c].reset(caller_of(c));
    }

    parley::step_trace why;  // with --trace

    template <bool Traced>
    pass_result run(const stream& s) {
        pass_result r;
        std::uint32_t h = 2166136261u;
        for (const auto& u : s.utterances) {
            auto& call = sessions[u.call];
            const auto reply = Traced ? call.step(u.label, u.confidence, {}, why) : call.step(u.label, u.confidence, {}, buffer);
            const auto action = action_index(reply.action);
            h ^= reply.state * 4u + action;
            h *= 16777619u;
            ++r.actions[action];
            r.phrase_bytes += reply.phrase.size();
            if (reply.ended) call.reset(caller_of(u.call));
        }
        r.checksum = h;
        return r;
    }
};

long rss_bytes() {
    long pages = 0, resident = 0;
    if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * 4096L;
}

}  // namespace

int main(int argc, char** argv) {
    const char* path = "stream.jsonl";
    const char* rules = PARLEY_PEER_RULES;
    long sessions_for_memory = 0, passes = 1;
    bool traced = false;
    for (int a = 1; a < argc; ++a) {
        if (!std::strcmp(argv[a], "--mem") && a + 1 < argc)
            sessions_for_memory = std::atol(argv[++a]);
        else if (!std::strcmp(argv[a], "--passes") && a + 1 < argc)
            passes = std::max(1L, std::atol(argv[++a]));
        else if (!std::strcmp(argv[a], "--rules") && a + 1 < argc)
            rules = argv[++a];
        else if (!std::strcmp(argv[a], "--trace"))
            traced = true;
        else
            path = argv[a];
    }
    auto compiled = parley::compile_file(rules);
    if (!compiled.script) {
        for (const auto& d : compiled.diagnostics) fmt::print(stderr, "{}", parley::format(d));
        return 2;
    }
    engine e(*compiled.script);

    if (sessions_for_memory > 0) {
        // As the baselines measure it: N live sessions, each stepped once (insult: to warn, with a
        // warning counted) so that it holds a state other than the initial one.
        const auto insult = *e.script.find_label("insult");
        const long before = rss_bytes();
        e.fresh(static_cast<std::uint32_t>(sessions_for_memory));
        for (auto& s : e.sessions) (void)s.step(insult, 0.9, {}, e.buffer);
        const long after = rss_bytes();
        std::printf("MEM peer=parley sessions=%ld rss_delta_bytes=%ld bytes_per_session=%.1f sizeof_session=%zu\n", sessions_for_memory,
                    after - before, double(after - before) / double(sessions_for_memory), sizeof(parley::session));
        return 0;
    }

    const auto s = load_stream(path, e.script);
    e.fresh(s.calls);
    auto run = [&] { return traced ? e.run<true>(s) : e.run<false>(s); };
    const auto warm = run();
    double seconds = 0;
    pass_result r;
    for (long p = 0; p < passes; ++p) {
        e.fresh(s.calls);
        const auto t0 = std::chrono::steady_clock::now();
        r = run();
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!(r == warm)) {
            std::fprintf(stderr, "parley: warm-up and timed pass disagree\n");
            return 1;
        }
    }
    std::printf(
        "RESULT peer=%s steps=%zu passes=%ld seconds=%.6f steps_per_sec=%.0f checksum=0x%08x continue=%llu transfer=%llu "
        "hangup=%llu close=%llu phrase_bytes=%llu\n",
        traced ? "parley_traced" : "parley", s.utterances.size(), passes, seconds, double(s.utterances.size()) * double(passes) / seconds,
        r.checksum, static_cast<unsigned long long>(r.actions[0]), static_cast<unsigned long long>(r.actions[1]),
        static_cast<unsigned long long>(r.actions[2]), static_cast<unsigned long long>(r.actions[3]),
        static_cast<unsigned long long>(r.phrase_bytes));
    return 0;
}
