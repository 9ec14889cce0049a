// What the language server needs to speak of text as LSP does: positions in UTF-16 code units
// (the compiler counts code points), and files as URIs.
#ifndef PARLEY_SRC_CLI_LSP_TEXT_HPP_INCLUDED
#define PARLEY_SRC_CLI_LSP_TEXT_HPP_INCLUDED

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::cli::lsp {

// The text of 1-based line `line` (without its end of line); empty past the end.
[[nodiscard]] std::string_view line_of(std::string_view text, std::uint32_t line) noexcept;
// The UTF-16 offset of the 1-based code-point column `column` in `line`; columns past the text
// (a cut source line) count one unit each.
[[nodiscard]] std::uint32_t utf16_column(std::string_view line, std::uint32_t column) noexcept;
// The 1-based code-point column of UTF-16 offset `units` in `line` (clamped to the line's end).
[[nodiscard]] std::uint32_t code_point_column(std::string_view line, std::uint32_t units) noexcept;
// The byte offset in `text` of the LSP position (0-based line, UTF-16 character), clamped.
[[nodiscard]] std::size_t byte_offset(std::string_view text, std::uint32_t line, std::uint32_t units) noexcept;

// "file:///a/b%20c.rules" <-> "/a/b c.rules". A URI of another scheme ("untitled:x") is kept as
// the name, and a name that is no absolute path is its own URI.
[[nodiscard]] std::string path_of(std::string_view uri);
[[nodiscard]] std::string uri_of(std::string_view path);

}  // namespace parley::cli::lsp

#endif
