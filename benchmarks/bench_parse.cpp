// Compile time of hostile input: 1 MB lines, 1 MB of random bytes, 100,000 nested parentheses,
// a file of syntax errors. The tests check that each is diagnosed; how fast is measured here,
// outside the sanitizers the tests run under. Each should take well under a second (the bound
// the tests used to assert); the valid 10,000-state script is bench_compile's.
#include <parley/compiler.hpp>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>

namespace {

std::string repeated(std::string_view piece, std::size_t times) {
    std::string out;
    out.reserve(piece.size() * times);
    for (std::size_t i = 0; i < times; ++i) out += piece;
    return out;
}

std::string random_bytes(std::size_t size) {
    std::mt19937 rng(7);
    std::string out(size, '\0');
    for (auto& c : out) c = static_cast<char>(rng());
    return out;
}

std::string syntax_errors(std::size_t states) {
    std::string out;
    for (std::size_t i = 0; i < states; ++i) out += "state s" + std::to_string(i) + "\n  on => x\nend\n";
    return out;
}

// Compiles `text` over and over; reports the parse time apart, since the parser sees it first.
void compile_hostile(benchmark::State& state, const std::string& text) {
    parley::compile_timings timings;
    parley::compile_options options;
    options.timings = &timings;
    double parse_seconds = 0;
    for (auto _ : state) {
        auto result = parley::compile_string(text, "hostile.rules", options);
        if (result.diagnostics.empty()) {
            state.SkipWithError("hostile input compiled without a diagnostic");
            return;
        }
        parse_seconds += timings.parse;
        benchmark::DoNotOptimize(result);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(text.size()));
    state.counters["parse_ms"] = benchmark::Counter(parse_seconds * 1e3, benchmark::Counter::kAvgIterations);
}

}  // namespace

int main(int argc, char** argv) {
    constexpr std::size_t mb = std::size_t{1} << 20;
    const std::pair<const char*, std::string> inputs[] = {
        {"garbage_line_1MB", std::string(mb, 'x')},
        {"phrase_1MB", "state a initial\n  on hi -> stay\n    say \"" + std::string(mb, 'a') + "\"\nend\n"},
        {"unterminated_string_1MB", "forbid \"" + std::string(mb, 'a')},
        {"name_1MB", "state a\n  on " + std::string(mb, 'a')},
        {"random_bytes_1MB", random_bytes(mb)},
        {"parentheses_100k", "state a\n  on hi if " + std::string(100'000, '(') + "c > 1" + std::string(100'000, ')') + " -> stay\nend\n"},
        {"not_50k", "state a\n  on hi if " + repeated("not ", 50'000) + "c > 1 -> stay\nend\n"},
        {"syntax_errors_500", syntax_errors(500)},
    };
    for (const auto& [name, text] : inputs) benchmark::RegisterBenchmark(name, compile_hostile, text)->Unit(benchmark::kMillisecond);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
