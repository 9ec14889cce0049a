// Diagnostics: what the compiler says about a rules file, as data. Collecting them and
// rendering them are apart: a tool may read the fields, a person reads format().
#ifndef PARLEY_DIAGNOSTIC_HPP_INCLUDED
#define PARLEY_DIAGNOSTIC_HPP_INCLUDED

#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

enum class severity : std::uint8_t { note, warning, error };

[[nodiscard]] constexpr std::string_view to_string(severity s) noexcept {
    return s == severity::error ? "error" : s == severity::warning ? "warning" : "note";
}

struct diagnostic {
    parley::severity severity = parley::severity::error;
    std::string file;
    std::uint32_t line = 0;    // 1-based; 0 when the diagnostic is about the whole file
    std::uint32_t column = 0;  // 1-based, in code points
    std::uint32_t length = 1;  // code points to underline
    std::string message;       // lowercase, no final period, tokens in single quotes
    std::string source_line;   // the line's text, for the caret display
};

struct format_options {
    bool color = false;
    bool source = true;  // show the source line and the caret
};

// "file:line:column: error: message", then the source line and a caret, as compilers print.
[[nodiscard]] std::string format(const diagnostic& d, const format_options& options = {});
void print(std::ostream& out, std::span<const diagnostic> diagnostics, const format_options& options = {});
// The same as a JSON array, for editors and tools.
[[nodiscard]] std::string to_json(std::span<const diagnostic> diagnostics);

[[nodiscard]] inline bool has_errors(std::span<const diagnostic> diagnostics) noexcept {
    for (const auto& d : diagnostics)
        if (d.severity == severity::error) return true;
    return false;
}

}  // namespace parley

#endif
