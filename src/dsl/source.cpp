// Source files and diagnostics that point into them: lines found once, columns in code points.
#include "source.hpp"

#include <parley/detail/utf8.hpp>

#include <algorithm>
#include <cstring>
#include <utility>

namespace parley::dsl {

source_file::source_file(std::string name, std::string text) : name_(std::move(name)), text_(std::move(text)) {
    // Editors on Windows start UTF-8 files with a byte order mark: it is no part of the script.
    if (text_.starts_with("\xEF\xBB\xBF")) text_.erase(0, 3);
    // Old Mac line endings: a lone CR ends a line as LF does (the same length, so offsets hold).
    for (std::size_t i = 0; i < text_.size(); ++i)
        if (text_[i] == '\r' && (i + 1 == text_.size() || text_[i + 1] != '\n')) text_[i] = '\n';
    line_starts_.push_back(0);
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    for (const char* p = begin; (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr;)
        line_starts_.push_back(static_cast<std::uint32_t>(++p - begin));
}

std::uint32_t source_file::line_of(std::size_t offset) const noexcept {
    offset = std::min(offset, text_.size());
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    return static_cast<std::uint32_t>(it - line_starts_.begin());
}

std::uint32_t source_file::column_of(std::size_t offset) const noexcept {
    offset = std::min(offset, text_.size());
    const auto start = line_starts_[line_of(offset) - 1];
    return static_cast<std::uint32_t>(detail::code_points(std::string_view(text_).substr(start, offset - start)) + 1);
}

std::string_view source_file::line_text(std::uint32_t line) const noexcept {
    if (line == 0 || line > line_starts_.size()) return {};
    const auto start = line_starts_[line - 1];
    auto end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
    if (end > start && text_[end - 1] == '\r') --end;
    return std::string_view(text_).substr(start, end - start);
}

diagnostic source_file::make(severity level, std::size_t offset, std::size_t length, std::string message) const {
    offset = std::min(offset, text_.size());
    diagnostic d;
    d.severity = level;
    d.file = name_;
    d.line = line_of(offset);
    d.column = column_of(offset);
    d.message = std::move(message);
    const auto line = line_text(d.line);
    // A 1 MB line is cut to its first 4096 bytes for display.
    std::size_t shown = std::min<std::size_t>(line.size(), 4096);
    while (shown < line.size() && shown > 0 && (static_cast<unsigned char>(line[shown]) & 0xC0) == 0x80) --shown;
    d.source_line = std::string(line.substr(0, shown));
    const auto line_start = static_cast<std::size_t>(line.data() - text_.data());
    const auto room = line_start + line.size() > offset ? line_start + line.size() - offset : 0;
    d.length = static_cast<std::uint32_t>(
        std::max<std::size_t>(1, detail::code_points(std::string_view(text_).substr(offset, std::min(length, room)))));
    return d;
}

}  // namespace parley::dsl
