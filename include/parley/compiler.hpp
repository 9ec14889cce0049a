// Compiling .rules text into a parley::script. This is the compiled half of parley (link
// parley::compiler); the runtime (script, session) is header-only.
#ifndef PARLEY_COMPILER_HPP_INCLUDED
#define PARLEY_COMPILER_HPP_INCLUDED

#include <parley/diagnostic.hpp>
#include <parley/script.hpp>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

// Documented limits a hostile or broken input cannot exceed; past each, a diagnostic.
struct compile_limits {
    std::size_t max_file_bytes = 16u << 20;  // one .rules file
    std::size_t max_include_depth = 16;
    std::size_t max_phrase_bytes = 4096;  // one text of a phrase
    std::size_t max_guard_depth = 32;     // nesting of not / parentheses in a guard
    std::size_t max_variants = 64;        // rotating variants of one phrase
    std::size_t max_timers_per_state = 32;
    std::size_t max_languages = 32;
    std::size_t max_flow_states = 20000;  // the states all uses of flows add together
};

// Where compile time went, in seconds; filled when compile_options::timings is set.
struct compile_timings {
    double parse = 0;    // reading and parsing, includes too
    double check = 0;    // declarations and semantic checks
    double analyse = 0;  // the Boost.Graph analyses
    double lower = 0;    // building the runtime tables
};

struct compile_options {
    compile_limits limits;
    bool warnings_as_errors = false;
    // Reads an included file; the default reads from disk. Tests and hosts may supply their own.
    std::function<std::optional<std::string>(const std::filesystem::path&)> read_file;
    compile_timings* timings = nullptr;
};

// Either a script or, when the rules have errors, none; the diagnostics (warnings too) either way.
struct compile_result {
    std::optional<parley::script> script;
    std::vector<diagnostic> diagnostics;
    [[nodiscard]] explicit operator bool() const noexcept { return script.has_value(); }
};

[[nodiscard]] compile_result compile_file(const std::filesystem::path& path, const compile_options& options = {});
// `name` is the file name diagnostics show; includes are resolved relative to its folder.
[[nodiscard]] compile_result compile_string(std::string_view text, std::string name = "<string>", const compile_options& options = {});

// The throwing convenience: the script, or compile_error carrying the diagnostics.
class compile_error : public std::runtime_error {
public:
    explicit compile_error(std::vector<diagnostic> diagnostics);
    [[nodiscard]] const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<diagnostic> diagnostics_;
};

[[nodiscard]] parley::script load(const std::filesystem::path& path, const compile_options& options = {});

}  // namespace parley

#endif
