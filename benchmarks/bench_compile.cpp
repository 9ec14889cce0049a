// Compile time and memory of generated scripts of 100 to 100,000 states (~10 handlers each).
// Prints parse, check, analysis and lowering times, peak heap, and the growth per 10x. Then the
// hostile shapes of hostile.hpp at growing sizes: time, peak heap and the growth per 4x, which
// near-linear work keeps near x4 (each once grew as the square, or worse).
#include "alloc_counter.hpp"
#include "generate.hpp"
#include "hostile.hpp"

#include <parley/compiler.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <map>

namespace {

struct figures {
    parley::compile_timings timings;
    double total = 0;
    std::size_t peak = 0;
    std::size_t handlers = 0;
    std::size_t bytes = 0;
};
std::map<std::int64_t, figures> results;

void compile_generated(benchmark::State& state) {
    const auto states = static_cast<std::size_t>(state.range(0));
    const auto text = parley::bench::generate_script(states);
    figures f;
    f.bytes = text.size();
    for (auto _ : state) {
        parley::compile_options options;
        options.timings = &f.timings;
        // 100,000 states are ~90 MB and a million handlers, past the default limits
        options.limits.max_file_bytes = options.limits.max_total_bytes = std::size_t{1} << 30;
        options.limits.max_handlers = options.limits.max_dispatch_entries = std::size_t{1} << 30;
        parley::bench::reset_peak();
        const auto base = parley::bench::live_bytes.load();
        const auto start = std::chrono::steady_clock::now();
        auto result = parley::compile_string(text, "generated.rules", options);
        f.total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        f.peak = parley::bench::peak_bytes.load() - base;
        if (!result.script) {
            state.SkipWithError("the generated script does not compile");
            return;
        }
        f.handlers = result.script->handler_count();
        benchmark::DoNotOptimize(result);
    }
    state.counters["parse_ms"] = f.timings.parse * 1e3;
    state.counters["check_ms"] = f.timings.check * 1e3;
    state.counters["analyse_ms"] = f.timings.analyse * 1e3;
    state.counters["lower_ms"] = f.timings.lower * 1e3;
    state.counters["peak_MB"] = double(f.peak) / 1e6;
    state.counters["handlers"] = double(f.handlers);
    results[state.range(0)] = f;
}
BENCHMARK(compile_generated)->Arg(100)->Arg(1'000)->Arg(10'000)->Arg(60'000)->Iterations(1)->Unit(benchmark::kMillisecond);

struct hostile_figures {
    std::size_t bytes = 0;
    double total = 0;
    std::size_t peak = 0;
    std::size_t diagnostics = 0;
    bool compiled = false;
};
std::map<std::pair<int, std::int64_t>, hostile_figures> hostile_results;

void compile_hostile(benchmark::State& state) {
    const auto shape = static_cast<parley::bench::hostile>(state.range(0));
    const auto n = static_cast<std::size_t>(state.range(1));
    const auto text = parley::bench::hostile_script(shape, n);
    hostile_figures f;
    f.bytes = text.size();
    for (auto _ : state) {
        parley::bench::reset_peak();
        const auto base = parley::bench::live_bytes.load();
        const auto start = std::chrono::steady_clock::now();
        auto result = parley::compile_string(text, "hostile.rules");
        f.total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        f.peak = parley::bench::peak_bytes.load() - base;
        f.diagnostics = result.diagnostics.size();
        f.compiled = result.script.has_value();
        benchmark::DoNotOptimize(result);
    }
    state.counters["KB"] = double(f.bytes) / 1e3;
    state.counters["peak_MB"] = double(f.peak) / 1e6;
    state.counters["diagnostics"] = double(f.diagnostics);
    hostile_results[{int(state.range(0)), state.range(1)}] = f;
}
BENCHMARK(compile_hostile)
    ->ArgsProduct({{0, 1}, {1'000, 4'000, 16'000}})
    ->ArgsProduct({{2}, {10'000, 40'000, 160'000}})
    ->ArgsProduct({{3}, {20'000, 80'000, 320'000}})
    ->ArgsProduct({{4}, {25, 100, 400}})
    ->ArgsProduct({{5}, {12, 16, 40}})
    ->ArgsProduct({{6}, {1'000, 4'000, 16'000}})
    ->ArgsProduct({{7}, {1, 3, 300}})
    ->ArgsProduct({{8}, {1, 4, 1'000}})
    ->ArgsProduct({{9}, {25'000, 100'000}})
    ->ArgsProduct({{10}, {1'000'000, 15'000'000}})
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    fmt::print("\n{:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>8}\n", "states", "handlers", "parse ms", "check ms", "graph ms",
               "lower ms", "total ms", "peak MB", "growth");
    const figures* previous = nullptr;
    for (const auto& [states, f] : results) {
        fmt::print("{:>8} {:>9} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>10.1f} {:>9.1f} {:>8}\n", states, f.handlers, f.timings.parse * 1e3,
                   f.timings.check * 1e3, f.timings.analyse * 1e3, f.timings.lower * 1e3, f.total * 1e3, double(f.peak) / 1e6,
                   previous ? fmt::format("x{:.1f}", f.total / previous->total) : "");
        previous = &f;
    }
    fmt::print("\n{:<22} {:>8} {:>10} {:>10} {:>9} {:>8} {:>12}\n", "hostile shape", "n", "KB", "total ms", "peak MB", "growth", "outcome");
    const hostile_figures* before = nullptr;
    int shape_before = -1;
    for (const auto& [key, f] : hostile_results) {
        if (key.first != shape_before) before = nullptr;
        fmt::print("{:<22} {:>8} {:>10.0f} {:>10.1f} {:>9.1f} {:>8} {:>12}\n", parley::bench::hostile_names[key.first], key.second,
                   double(f.bytes) / 1e3, f.total * 1e3, double(f.peak) / 1e6,
                   before ? fmt::format("x{:.1f}", f.total / before->total) : "",
                   f.compiled ? "compiled" : fmt::format("{} diags", f.diagnostics));
        before = &f;
        shape_before = key.first;
    }
}
