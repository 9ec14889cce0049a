// A source file held in memory, and the diagnostics that point into it.
#ifndef PARLEY_SRC_DSL_SOURCE_HPP_INCLUDED
#define PARLEY_SRC_DSL_SOURCE_HPP_INCLUDED

#include <parley/diagnostic.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::dsl {

class source_file {
public:
    source_file(std::string name, std::string text);

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    // 1-based line and code-point column of a byte offset.
    [[nodiscard]] std::uint32_t line_of(std::size_t offset) const noexcept;
    [[nodiscard]] std::uint32_t column_of(std::size_t offset) const noexcept;
    [[nodiscard]] std::string_view line_text(std::uint32_t line) const noexcept;

    // A diagnostic spanning [offset, offset + length) bytes.
    [[nodiscard]] diagnostic make(severity level, std::size_t offset, std::size_t length, std::string message) const;

private:
    std::string name_;
    std::string text_;
    std::vector<std::uint32_t> line_starts_;
};

}  // namespace parley::dsl

#endif
