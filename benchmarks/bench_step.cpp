// Step throughput, latency, allocations and memory of parley on the default script, against
// the same script written by hand as a switch and with Boost.MSM, on one in-memory stream.
//
//   bench_step [--steps N] [--calls N] [--sessions N] [google benchmark flags]
//
// Before anything is timed, the three engines run the stream side by side and must agree on
// every step: state, action, end of call and the exact phrase. Figures are printed, not asserted.
#include "alloc_counter.hpp"
#include "baseline_msm.hpp"
#include "baseline_switch.hpp"
#include "stream.hpp"

#include <parley/compiler.hpp>
#include <parley/session.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using parley::bench::stream;
namespace hand = parley::bench::hand;

// The engines behind one interface: restart a call, step it, ask whether it ended.
// Lend: render into one buffer the host owns instead of each session's own.
template <bool Lend>
struct basic_parley_engine {
    static constexpr const char* name = "parley";
    const parley::script* script;
    std::vector<parley::session> calls;
    std::string lent;
    basic_parley_engine(const parley::script& s, std::size_t n) : script(&s), calls(n, parley::session(s)) {
        for (auto& c : calls) (void)(Lend ? c.start(lent) : c.start());
    }
    void restart(std::size_t i) {  // the line's next call reuses its session and its buffers
        calls[i].reset();
        (void)(Lend ? calls[i].start(lent) : calls[i].start());
    }
    [[nodiscard]] bool ended(std::size_t i) const { return calls[i].ended(); }
    parley::reply step(const stream& s, const stream::event& e) {
        if constexpr (Lend)
            return calls[e.call].step(e.label, e.input.confidence, s.slots_of(e), lent);
        else
            return calls[e.call].step(e.label, e.input.confidence, s.slots_of(e));
    }
};
using parley_engine = basic_parley_engine<false>;

template <class Call, const char* Name>
struct hand_engine {
    static constexpr const char* name = Name;
    std::vector<Call> calls;
    hand_engine(const parley::script&, std::size_t n) : calls(n) {
        for (auto& c : calls) (void)c.start();
    }
    void restart(std::size_t i) {
        calls[i] = Call();
        (void)calls[i].start();
    }
    [[nodiscard]] bool ended(std::size_t i) const { return calls[i].ended(); }
    hand::output step(const stream&, const stream::event& e) { return calls[e.call].step(e.input); }
};
constexpr char switch_name[] = "switch";
constexpr char msm_name[] = "Boost.MSM";
using switch_engine = hand_engine<hand::switch_call, switch_name>;
using msm_engine = hand_engine<hand::msm_call, msm_name>;

std::string_view phrase_of(const parley::reply& r) { return r.phrase; }

// A phrase that is not a view of the script's text was rendered for this step.
bool is_rendered(const parley::script& script, std::string_view phrase) { return !phrase.empty() && !script.owns(phrase); }
std::string_view phrase_of(const hand::output& o) { return o.phrase; }

// One pass over the stream; returns a checksum so that nothing is optimised away.
template <class Engine>
std::size_t run(const stream& s, Engine& engine) {
    std::size_t sum = 0;
    for (const auto& e : s.events) {
        if (engine.ended(e.call)) engine.restart(e.call);
        sum += phrase_of(engine.step(s, e)).size();
    }
    return sum;
}

// What a step asks of an engine, which is what sets its cost: the rows of the allocation and
// latency tables by kind of step.
enum class step_kind : std::uint8_t { plain, rendered, with_slots };
constexpr std::size_t step_kinds = 3;
constexpr const char* step_kind_names[step_kinds] = {"phrase without placeholders, no slots", "rendered phrase, no slots",
                                                     "utterance with slots, or confirming one that had them"};

// The three engines in lockstep; the first disagreement is fatal. Returns the kind of each step.
std::vector<step_kind> verify(const parley::script& script, const stream& s) {
    parley_engine p(script, s.calls);
    switch_engine w(script, s.calls);
    msm_engine m(script, s.calls);
    std::size_t restarts = 0, rendered = 0, confirmations = 0;
    std::vector<step_kind> kinds;
    kinds.reserve(s.events.size());
    std::vector<bool> pending_slots(s.calls);  // the call awaits yes or no to an utterance with slots
    for (std::size_t n = 0; n < s.events.size(); ++n) {
        const auto& e = s.events[n];
        if (p.ended(e.call) || w.ended(e.call) || m.ended(e.call)) {
            if (!(p.ended(e.call) && w.ended(e.call) && m.ended(e.call))) {
                fmt::print(stderr, "step {}: the engines disagree on whether call {} has ended\n", n, e.call);
                std::exit(1);
            }
            p.restart(e.call);
            w.restart(e.call);
            m.restart(e.call);
            ++restarts;
        }
        const bool replays_slots = p.calls[e.call].pending_confirmation() && pending_slots[e.call] && e.input.what == hand::intent::accept;
        const auto a = p.step(s, e);
        const auto b = w.step(s, e);
        const auto c = m.step(s, e);
        for (const hand::output* o : {&b, &c}) {
            if (a.state_name() != hand::state_names[static_cast<std::size_t>(o->where)] ||
                parley::to_string(a.action) != hand::action_names[static_cast<std::size_t>(o->action)] || a.ended != o->ended ||
                a.phrase != o->phrase) {
                fmt::print(stderr, "step {} (call {}, intent {}, confidence {}): parley says [{} {} '{}'], {} says [{} {} '{}']\n", n,
                           e.call, hand::intent_names[static_cast<std::size_t>(e.input.what)], e.input.confidence, a.state_name(),
                           parley::to_string(a.action), a.phrase, o == &b ? "switch" : "Boost.MSM",
                           hand::state_names[static_cast<std::size_t>(o->where)], hand::action_names[static_cast<std::size_t>(o->action)],
                           o->phrase);
                std::exit(1);
            }
        }
        const bool renders = is_rendered(script, a.phrase);
        pending_slots[e.call] = p.calls[e.call].pending_confirmation() && e.slot_count > 0;
        kinds.push_back(e.slot_count > 0 || replays_slots ? step_kind::with_slots : renders ? step_kind::rendered : step_kind::plain);
        rendered += renders;
        confirmations += a.state_name() == "clarify" && p.calls[e.call].pending_confirmation().has_value();
    }
    fmt::print(
        "verified: parley, switch and Boost.MSM agree on all {} steps (state, action, end, phrase); "
        "{} calls restarted, {} phrases rendered, {} confirmations asked\n",
        s.events.size(), restarts, rendered, confirmations);
    return kinds;
}

// The fastest pass: on a shared machine the noise only ever adds time.
struct throughput {
    std::size_t steps = 0;
    double seconds = 0;
    void add(std::size_t n, double s) {
        if (seconds == 0 || s < seconds) {
            steps = n;
            seconds = s;
        }
    }
    [[nodiscard]] double per_second() const { return seconds > 0 ? double(steps) / seconds : 0; }
};
std::map<std::string, throughput> measured;

// One pass of a fresh engine over the stream, timed (the engine is made untimed).
template <class Engine>
void timed_pass(benchmark::State& state, const parley::script& script, const stream& s) {
    state.PauseTiming();
    Engine engine(script, s.calls);
    state.ResumeTiming();
    const auto start = clock_type::now();
    benchmark::DoNotOptimize(run(s, engine));
    measured[Engine::name].add(s.events.size(), std::chrono::duration<double>(clock_type::now() - start).count());
}

// Each iteration is a round: one pass of each engine, the three taking turns to go first, so
// that a change in the load from other tenants falls on all three alike. An engine's figure is
// its fastest pass.
void register_rounds(const parley::script& script, const stream& s) {
    benchmark::RegisterBenchmark("step/round of parley, switch, Boost.MSM",
                                 [&script, &s](benchmark::State& state) {
                                     std::size_t round = 0;
                                     for (auto _ : state) {
                                         for (std::size_t turn = 0; turn < 3; ++turn) {
                                             switch ((round + turn) % 3) {
                                                 case 0: timed_pass<parley_engine>(state, script, s); break;
                                                 case 1: timed_pass<switch_engine>(state, script, s); break;
                                                 default: timed_pass<msm_engine>(state, script, s); break;
                                             }
                                         }
                                         ++round;
                                     }
                                     state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 3 * s.events.size()));
                                 })
        ->Unit(benchmark::kMillisecond)
        ->MinTime(6.0);
}

// Each step timed alone over one pass; the clock's own cost is printed alongside.
struct percentiles {
    double p50 = 0, p90 = 0, p99 = 0, p999 = 0;
};
percentiles percentiles_of(std::vector<std::uint32_t>& ns) {
    if (ns.empty()) return {};
    auto at = [&](double q) {
        auto k = static_cast<std::size_t>(q * double(ns.size() - 1));
        std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
        return double(ns[k]);
    };
    return {at(0.50), at(0.90), at(0.99), at(0.999)};
}
struct latencies {
    percentiles all;
    std::array<percentiles, step_kinds> by_kind;
};
template <class Engine>
latencies latency(const parley::script& script, const stream& s, const std::vector<step_kind>& kinds) {
    Engine engine(script, s.calls);
    std::vector<std::uint32_t> ns;
    ns.reserve(s.events.size());
    std::size_t sum = 0;
    for (const auto& e : s.events) {
        if (engine.ended(e.call)) engine.restart(e.call);
        const auto t0 = clock_type::now();
        sum += phrase_of(engine.step(s, e)).size();
        const auto t1 = clock_type::now();
        ns.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    }
    benchmark::DoNotOptimize(sum);
    latencies out;
    std::array<std::vector<std::uint32_t>, step_kinds> by_kind;
    for (std::size_t n = 0; n < ns.size(); ++n) by_kind[static_cast<std::size_t>(kinds[n])].push_back(ns[n]);
    for (std::size_t k = 0; k < step_kinds; ++k) out.by_kind[k] = percentiles_of(by_kind[k]);
    out.all = percentiles_of(ns);
    return out;
}

double clock_cost() {
    std::vector<std::uint32_t> ns(100000);
    for (auto& n : ns) {
        const auto t0 = clock_type::now();
        const auto t1 = clock_type::now();
        n = static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
    }
    std::nth_element(ns.begin(), ns.begin() + 50000, ns.end());
    return ns[50000];
}

// Allocations per step by kind of step, counted by the replaced operator new.
void allocations(const parley::script& script, const stream& s, const std::vector<step_kind>& kinds) {
    struct tally {
        std::size_t steps = 0, allocations = 0, most = 0;
        void add(std::size_t n) {
            ++steps;
            allocations += n;
            most = std::max(most, n);
        }
    };
    std::array<tally, step_kinds> by_kind;
    tally restarts;
    parley_engine engine(script, s.calls);
    for (std::size_t n = 0; n < s.events.size(); ++n) {
        const auto& e = s.events[n];
        if (engine.ended(e.call)) {
            const auto before = parley::bench::allocation_count.load();
            engine.restart(e.call);
            restarts.add(parley::bench::allocation_count.load() - before);
        }
        const auto before = parley::bench::allocation_count.load();
        benchmark::DoNotOptimize(engine.step(s, e));
        by_kind[static_cast<std::size_t>(kinds[n])].add(parley::bench::allocation_count.load() - before);
    }
    auto row = [](const char* what, const tally& t) {
        fmt::print("  {:<52} {:>9} steps {:>8} allocations  {:.4f} per step, at most {}\n", what, t.steps, t.allocations,
                   t.steps ? double(t.allocations) / double(t.steps) : 0.0, t.most);
    };
    fmt::print("\nallocations in parley::session::step over one pass (fresh sessions, reset when their call ends; own render buffer):\n");
    for (std::size_t k = 0; k < step_kinds; ++k) row(step_kind_names[k], by_kind[k]);
    row("call restart (session::reset + start)", restarts);

    for (int engine_index = 0; engine_index < 2; ++engine_index) {
        const auto before = parley::bench::allocation_count.load();
        std::size_t sum = 0;
        if (engine_index == 0) {
            switch_engine w(script, s.calls);
            sum = run(s, w);
        } else {
            msm_engine m(script, s.calls);
            sum = run(s, m);
        }
        benchmark::DoNotOptimize(sum);
        fmt::print("  {:<52} {:.4f} allocations per step (whole pass, restarts included)\n",
                   engine_index == 0 ? "for comparison, the switch:" : "for comparison, Boost.MSM:",
                   double(parley::bench::allocation_count.load() - before) / double(s.events.size()));
    }
}

// Bytes a live call holds once the stream has run: the object and its heap.
void session_bytes(const parley::script& script, const stream& s) {
    parley_engine own(script, s.calls);
    basic_parley_engine<true> lent(script, s.calls);
    benchmark::DoNotOptimize(run(s, own));
    benchmark::DoNotOptimize(run(s, lent));
    std::size_t own_heap = 0, lent_heap = 0;
    for (const auto& c : own.calls) own_heap += c.heap_bytes();
    for (const auto& c : lent.calls) lent_heap += c.heap_bytes();
    fmt::print("\nmemory per live call of the default script after the stream ({} calls):\n", s.calls);
    fmt::print("  sizeof(parley::session) {} B (target: <= 128 B plus slot values)\n", sizeof(parley::session));
    fmt::print(
        "  plus on average {:.1f} B of heap with a lent render buffer: the value store, as large as the largest call on its line has needed\n",
        double(lent_heap) / double(s.calls));
    fmt::print("  or {:.1f} B when each session renders into its own buffer\n", double(own_heap) / double(s.calls));
    fmt::print("  for comparison: sizeof(switch call) {} B, sizeof(Boost.MSM call) {} B, each plus its strings\n",
               sizeof(hand::switch_call), sizeof(hand::msm_call));
}

// Peak RSS of a fresh process holding `count` live sessions, each with two slot values; the
// rendered text goes to one lent buffer. Measured in a child so that nothing else counts.
long peak_rss_kb(const parley::script& script, std::size_t count) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::vector<parley::session> calls;
        calls.reserve(count);
        std::string buffer;
        const auto give_name = *script.find_label("give_name");
        const auto state_purpose = *script.find_label("state_purpose");
        const auto venting = *script.find_label("venting");
        for (std::size_t i = 0; i < count; ++i) {
            auto& c = calls.emplace_back(script);
            const std::string name = "Имя" + std::to_string(i % 1000);
            const parley::slot_value said_name[] = {{"name", name}};
            const parley::slot_value said_topic[] = {{"topic", "доставка"}};
            (void)c.start(buffer);
            (void)c.step(give_name, 1.0, said_name, buffer);
            (void)c.step(state_purpose, 1.0, said_topic, buffer);
            (void)c.step(venting, 1.0, {}, buffer);
        }
        rusage usage{};
        getrusage(RUSAGE_SELF, &usage);
        const long kb = usage.ru_maxrss;
        [[maybe_unused]] auto written = write(fds[1], &kb, sizeof kb);
        _exit(0);
    }
    close(fds[1]);
    long kb = -1;
    if (read(fds[0], &kb, sizeof kb) != sizeof kb) kb = -1;
    close(fds[0]);
    waitpid(pid, nullptr, 0);
    return kb;
}

std::size_t option(int& argc, char** argv, const char* name, std::size_t fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) {
            const auto value = std::strtoull(argv[i + 1], nullptr, 10);
            std::memmove(argv + i, argv + i + 2, sizeof(char*) * static_cast<std::size_t>(argc - i - 1));
            argc -= 2;
            return value;
        }
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    const auto steps = option(argc, argv, "--steps", 1'000'000);
    const auto calls = option(argc, argv, "--calls", 1'000);
    const auto sessions = option(argc, argv, "--sessions", 1'000'000);
    benchmark::Initialize(&argc, argv);

    auto compiled = parley::compile_file(PARLEY_DEFAULT_RULES);
    if (!compiled.script) {
        fmt::print(stderr, "{} does not compile\n", PARLEY_DEFAULT_RULES);
        return 1;
    }
    const parley::script& script = *compiled.script;

    const long empty_kb = peak_rss_kb(script, 0);
    const long full_kb = peak_rss_kb(script, sessions);

    const auto s = parley::bench::make_stream(script, steps, calls);
    const auto kinds = verify(script, s);

    register_rounds(script, s);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();

    const auto p = measured["parley"], w = measured["switch"], m = measured["Boost.MSM"];
    fmt::print(
        "\nstep throughput on rules/callcenter.rules, {} utterances over {} interleaved calls (fastest pass, the engines taking turns):\n",
        s.events.size(), calls);
    fmt::print("  parley     {:>6.1f} M steps/s\n", p.per_second() / 1e6);
    fmt::print("  switch     {:>6.1f} M steps/s\n", w.per_second() / 1e6);
    fmt::print("  Boost.MSM  {:>6.1f} M steps/s\n", m.per_second() / 1e6);
    if (w.per_second() > 0)
        fmt::print("  parley / switch = {:.2f}   parley / Boost.MSM = {:.2f}   (target: parley / switch >= 1.0)\n",
                   p.per_second() / w.per_second(), m.per_second() > 0 ? p.per_second() / m.per_second() : 0.0);

    // Five rounds, the engines taking turns as above; each percentile is its median over them.
    // parley twice: rendering into each session's own buffer, and into one the host lends.
    constexpr int rounds = 5;
    constexpr std::size_t engines = 4;
    constexpr const char* engine_names[engines] = {"parley", "parley, lent buffer", "switch", "Boost.MSM"};
    std::vector<latencies> runs[engines];
    for (std::size_t round = 0; round < rounds; ++round)
        for (std::size_t turn = 0; turn < engines; ++turn) switch (const auto engine = (round + turn) % engines; engine) {
                case 0: runs[engine].push_back(latency<parley_engine>(script, s, kinds)); break;
                case 1: runs[engine].push_back(latency<basic_parley_engine<true>>(script, s, kinds)); break;
                case 2: runs[engine].push_back(latency<switch_engine>(script, s, kinds)); break;
                default: runs[engine].push_back(latency<msm_engine>(script, s, kinds)); break;
            }
    // The median over the rounds of each percentile of what `of` picks from a round.
    auto median = [](const std::vector<latencies>& v, auto of) {
        auto at = [&](double percentiles::*field) {
            std::vector<double> x;
            for (const auto& run : v) x.push_back(of(run).*field);
            std::nth_element(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(x.size() / 2), x.end());
            return x[x.size() / 2];
        };
        return percentiles{at(&percentiles::p50), at(&percentiles::p90), at(&percentiles::p99), at(&percentiles::p999)};
    };
    fmt::print(
        "\nlatency per step, each step timed alone, the median of {} passes a percentile (a clock read pair costs {:.0f} ns and is included):\n",
        rounds, clock_cost());
    for (std::size_t engine = 0; engine < engines; ++engine) {
        const auto at = median(runs[engine], [](const latencies& l) { return l.all; });
        fmt::print("  {:<20} p50 {:>5.0f} ns   p90 {:>5.0f} ns   p99 {:>5.0f} ns   p99.9 {:>6.0f} ns{}\n", engine_names[engine], at.p50,
                   at.p90, at.p99, at.p999, engine == 0 ? "   (target: p99 <= 100 ns)" : "");
    }
    fmt::print("  by kind of step, p50 / p99 in ns:{:>37}", "");
    for (const char* name : engine_names) fmt::print("   {:>19}", name);
    fmt::print("\n");
    for (std::size_t k = 0; k < step_kinds; ++k) {
        fmt::print("    {:<54} {:>7} steps", step_kind_names[k], std::count(kinds.begin(), kinds.end(), static_cast<step_kind>(k)));
        for (std::size_t engine = 0; engine < engines; ++engine) {
            const auto at = median(runs[engine], [k](const latencies& l) { return l.by_kind[k]; });
            fmt::print("   {:>12.0f} / {:>4.0f}", at.p50, at.p99);
        }
        fmt::print("\n");
    }

    allocations(script, s, kinds);
    session_bytes(script, s);
    fmt::print(
        "  peak RSS with {} live sessions (two slots each, one lent render buffer): {:.1f} MB; "
        "the same process with none: {:.1f} MB (target: <= 256 MB)\n",
        sessions, double(full_kb) / 1024.0, double(empty_kb) / 1024.0);
}
