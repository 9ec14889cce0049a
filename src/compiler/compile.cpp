// The compiler's driver: the phases of pipeline.hpp in order, each timed, each run only while
// the script has no error. Also the public entry points of <parley/compiler.hpp>.
#include "pipeline.hpp"

#include <chrono>

namespace parley {

compile_error::compile_error(std::vector<diagnostic> diagnostics)
    : std::runtime_error([&] {
          std::string what;
          for (const auto& d : diagnostics) what += format(d);
          return what;
      }()),
      diagnostics_(std::move(diagnostics)) {}

namespace {

// `load` is the first phase, given the root as a path or as text.
template <class Load>
compile_result compile(const compile_options& options, Load load) {
    using clock = std::chrono::steady_clock;
    auto lap = [&, last = clock::now()](double compile_timings::*phase) mutable {
        const auto now = clock::now();
        if (options.timings) options.timings->*phase = std::chrono::duration<double>(now - last).count();
        last = now;
    };
    pipeline::diagnostic_sink sink(options.warnings_as_errors, options.limits.max_diagnostics);
    compile_result result;
    const auto files = load(sink);
    lap(&compile_timings::parse);
    if (!sink.failed() && !files.sources.empty()) {
        const auto items = pipeline::expand(files, options, sink);
        const auto symbols = pipeline::declare(items, options, sink);
        const auto used = pipeline::check(files, symbols, options, sink);
        lap(&compile_timings::check);
        if (!sink.failed()) pipeline::warn(pipeline::analyse(symbols, used), symbols, sink);
        lap(&compile_timings::analyse);
        if (!sink.failed())
            if (auto tables = pipeline::lower(files, symbols, options.limits, sink))
                result.script.emplace(detail::make_script(std::move(tables)));
        lap(&compile_timings::lower);
    }
    result.diagnostics = sink.take();
    return result;
}

}  // namespace

compile_result compile_file(const std::filesystem::path& path, const compile_options& options) {
    return compile(options, [&](pipeline::diagnostic_sink& sink) { return pipeline::load(path, options, sink); });
}

compile_result compile_string(std::string_view text, std::string name, const compile_options& options) {
    return compile(options, [&](pipeline::diagnostic_sink& sink) { return pipeline::load(text, name, options, sink); });
}

script load(const std::filesystem::path& path, const compile_options& options) {
    auto result = compile_file(path, options);
    if (!result.script) throw compile_error(std::move(result.diagnostics));
    return std::move(*result.script);
}

}  // namespace parley
