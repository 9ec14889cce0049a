// Rendering diagnostics: the compiler format, and JSON for tools.
#include <parley/diagnostic.hpp>

#include "../support/json_string.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>

namespace parley {

namespace {
const char* color_of(severity s) { return s == severity::error ? "\x1b[1;31m" : s == severity::warning ? "\x1b[1;35m" : "\x1b[1;36m"; }

// Byte offset of the code-point column `column` (1-based) in `line`.
std::size_t byte_of_column(std::string_view line, std::uint32_t column) {
    std::size_t i = 0;
    for (std::uint32_t c = 1; c < column && i < line.size(); ++c) {
        ++i;
        while (i < line.size() && (static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) ++i;
    }
    return i;
}

}  // namespace

std::string format(const diagnostic& d, const format_options& options) {
    const char* bold = options.color ? "\x1b[1m" : "";
    const char* reset = options.color ? "\x1b[0m" : "";
    const char* sev = options.color ? color_of(d.severity) : "";
    std::string out = fmt::format("{}{}", bold, d.file);
    if (d.line != 0) out += fmt::format(":{}:{}", d.line, d.column);
    out += fmt::format(":{} {}{}:{} {}{}{}\n", reset, sev, to_string(d.severity), reset, bold, d.message, reset);
    if (options.source && d.line != 0) {
        const std::size_t width = std::max<std::size_t>(5, fmt::formatted_size("{}", d.line));
        const std::string gutter(width, ' ');
        std::string line = d.source_line;
        for (auto& c : line)
            if (c == '\t') c = ' ';
        out += fmt::format("{:>{}} | {}\n", d.line, width, line);
        // The caret goes under the column; tabs were widened to one space, so columns hold.
        const auto prefix = byte_of_column(line, d.column);
        std::string pad;
        for (std::size_t i = 0; i < prefix; ++i)
            if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) pad.push_back(' ');
        // Under what the line shows of it: a long line is cut (source_file::make), its marker too.
        const auto shown = std::max<std::size_t>(1, std::count_if(line.begin() + static_cast<std::ptrdiff_t>(prefix), line.end(),
                                                                  [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
        std::string marker = "^";
        if (d.length > 1) marker += std::string(std::min<std::size_t>(d.length, shown) - 1, '~');
        out += fmt::format("{} | {}{}{}{}\n", gutter, pad, sev, marker, reset);
    }
    return out;
}

void print(std::ostream& out, std::span<const diagnostic> diagnostics, const format_options& options) {
    for (const auto& d : diagnostics) out << format(d, options);
}

std::string to_json(std::span<const diagnostic> diagnostics) {
    std::string out = "[";
    bool first = true;
    for (const auto& d : diagnostics) {
        if (!first) out += ",";
        first = false;
        out += "\n  {\"file\": ";
        support::append_json_string(out, d.file);
        out += fmt::format(", \"line\": {}, \"column\": {}, \"length\": {}, \"severity\": \"{}\", \"message\": ", d.line, d.column,
                           d.length, to_string(d.severity));
        support::append_json_string(out, d.message);
        out += "}";
    }
    out += diagnostics.empty() ? "]\n" : "\n]\n";
    return out;
}

}  // namespace parley
