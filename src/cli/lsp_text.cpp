// Positions and URIs for the language server. Text from an editor is UTF-8 (JSON is), so a code
// point starts at every byte that is not a continuation byte, and one of four bytes is two
// UTF-16 units (a surrogate pair).
#include "lsp_text.hpp"

#include <algorithm>

namespace parley::cli::lsp {

namespace {

bool continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
std::uint32_t units_of(char lead) noexcept { return static_cast<unsigned char>(lead) >= 0xF0 ? 2 : 1; }

// The code points of `line` one by one: `step(byte offset, UTF-16 units)`; false stops.
template <class Step>
void each_code_point(std::string_view line, Step step) {
    for (std::size_t i = 0; i < line.size();) {
        if (!step(i, units_of(line[i]))) return;
        ++i;
        while (i < line.size() && continuation(line[i])) ++i;
    }
}

}  // namespace

std::string_view line_of(std::string_view text, std::uint32_t line) noexcept {
    std::size_t start = 0;
    for (std::uint32_t l = 1; l < line; ++l) {
        const auto end = text.find('\n', start);
        if (end == std::string_view::npos) return {};
        start = end + 1;
    }
    auto end = std::min(text.find('\n', start), text.size());
    if (end > start && text[end - 1] == '\r') --end;
    return text.substr(start, end - start);
}

std::uint32_t utf16_column(std::string_view line, std::uint32_t column) noexcept {
    std::uint32_t units = 0, seen = 1;
    each_code_point(line, [&](std::size_t, std::uint32_t n) {
        if (seen >= column) return false;
        ++seen;
        units += n;
        return true;
    });
    return units + (column > seen ? column - seen : 0);
}

std::uint32_t code_point_column(std::string_view line, std::uint32_t units) noexcept {
    std::uint32_t column = 1, counted = 0;
    each_code_point(line, [&](std::size_t, std::uint32_t n) {
        if (counted + n > units) return false;
        counted += n;
        ++column;
        return true;
    });
    return column;
}

std::size_t byte_offset(std::string_view text, std::uint32_t line, std::uint32_t units) noexcept {
    std::size_t start = 0;
    for (std::uint32_t l = 0; l < line; ++l) {
        const auto end = text.find('\n', start);
        if (end == std::string_view::npos) return text.size();
        start = end + 1;
    }
    const auto l = line_of(text.substr(start), 1);
    std::size_t at = l.size();
    std::uint32_t counted = 0;
    each_code_point(l, [&](std::size_t i, std::uint32_t n) {
        if (counted >= units) {
            at = i;
            return false;
        }
        counted += n;
        return true;
    });
    return start + at;
}

std::string path_of(std::string_view uri) {
    constexpr std::string_view scheme = "file://";
    if (!uri.starts_with(scheme)) return std::string(uri);
    uri.remove_prefix(scheme.size());
    std::string out;
    for (std::size_t i = 0; i < uri.size(); ++i) {
        const auto hex = [](char c) {
            return c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
        };
        if (uri[i] == '%' && i + 2 < uri.size() && hex(uri[i + 1]) >= 0 && hex(uri[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(uri[i + 1]) * 16 + hex(uri[i + 2])));
            i += 2;
        } else {
            out.push_back(uri[i]);
        }
    }
    return out;
}

std::string uri_of(std::string_view path) {
    if (!path.starts_with('/')) return std::string(path);
    std::string out = "file://";
    constexpr char digits[] = "0123456789ABCDEF";
    for (const char c : path) {
        const auto b = static_cast<unsigned char>(c);
        const bool plain = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || c == '/' || c == '-' || c == '.' ||
                           c == '_' || c == '~';
        if (plain) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(digits[b >> 4]);
            out.push_back(digits[b & 15]);
        }
    }
    return out;
}

}  // namespace parley::cli::lsp
