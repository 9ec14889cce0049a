// `parley run`'s line handling on arbitrary bytes, without a process: the first bytes choose
// the limits (a short line limit, an idle timeout, a small window of ended calls) and how the
// input is split into reads; the rest is the stream, read against the default script. Every
// input line must get exactly one output line, whatever it holds.
#include "../../src/cli/runner.hpp"

#include <parley/compiler.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
const parley::script& script() {
    static const parley::script s = parley::load(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    parley::cli::run_limits limits;
    limits.max_line = 32 + data[0] * 4u;
    limits.idle_timeout = data[0] % 3 == 0 ? 0.0 : double(data[0] % 7) * 10.0;
    limits.ended_window = data[1] % 4;
    const std::size_t chunk = 1 + data[1] / 4u;
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    static const std::uint64_t key[2] = {1, 2};
    parley::cli::runner r(script(), {.language = "en"}, limits, key);
    std::string out;
    (void)parley::cli::run_buffer(r, limits, input, out, chunk);
    const auto lines_in = static_cast<std::size_t>(std::count(input.begin(), input.end(), '\n')) + (!input.empty() && input.back() != '\n');
    if (static_cast<std::size_t>(std::count(out.begin(), out.end(), '\n')) != lines_in) std::abort();
    return 0;
}
