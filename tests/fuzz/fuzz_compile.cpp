// Any bytes as a .rules file: the compiler returns a script or diagnostics, never crashes or hangs.
#include <parley/compiler.hpp>
#include <parley/graph.hpp>
#include <parley/session.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    parley::compile_options options;
    options.read_file = [](const std::filesystem::path&) -> std::optional<std::string> { return std::nullopt; };
    auto result = parley::compile_string(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.rules", options);
    for (const auto& d : result.diagnostics) (void)parley::format(d);
    if (result.script) {
        (void)parley::to_dot(*result.script);
        try {
            parley::session call(*result.script);
            (void)call.start();
            for (parley::label_id l = 0; l < result.script->label_count() && !call.ended(); ++l) (void)call.step(l, 0.9);
        } catch (const parley::session_error&) {}
    }
    return 0;
}
