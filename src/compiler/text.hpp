// Text that several phases read or write the same way: phrase templates, guards and triggers as
// a person writes them, numbers as messages show them, language tags, and "did you mean".
#ifndef PARLEY_SRC_COMPILER_TEXT_HPP_INCLUDED
#define PARLEY_SRC_COMPILER_TEXT_HPP_INCLUDED

#include "../dsl/ast.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::pipeline {

// A piece of a phrase text: literal text, a placeholder `{name}` or `{name|fallback}`, or the
// marks of a conditional part `{name?then|else}` or `{name=value?then|else}`: `when` (its head,
// `{name?` or `{name=value?`), `otherwise` (the `|` before the else part) and `end` (its `}`).
// The pieces between a `when` and its `otherwise` or `end` are said only when the value is
// non-empty (with `=value`: when it is that value); those after the `otherwise`, only when it is
// not. A conditional part holds literals and placeholders, never another conditional.
enum class piece_kind : std::uint8_t { literal, placeholder, when, otherwise, end };
struct template_piece {
    piece_kind kind = piece_kind::literal;
    std::string text;         // literal text, or the name a placeholder or `when` reads
    std::uint32_t where = 0;  // byte offset of the piece in the unescaped string
    std::uint32_t size = 0;   // a placeholder's bytes, braces included; a `when`'s, `{name?`
    std::string fallback;     // `{name|fallback}`: what an empty value renders as
    bool has_value = false;   // `{name=value?`: the part is said when the value is `value`
    std::string value;        // (trimmed)
    [[nodiscard]] bool reads_value() const noexcept { return kind == piece_kind::placeholder || kind == piece_kind::when; }
};
// Why a text is no template: a brace without its match, a conditional part in another, or one
// with nothing to say either way.
enum class template_fault : std::uint8_t { unmatched, nested, empty };
struct template_error {
    template_fault fault = template_fault::unmatched;
    std::uint32_t where = 0;  // byte offset in the unescaped string
    std::uint32_t size = 1;
};
// Splits a phrase template; false (with `error`) when it is none.
bool split_template(std::string_view s, std::vector<template_piece>& out, template_error& error);

// The guard as a person would write it, normalised: "insults >= 1 and not known(name)".
[[nodiscard]] std::string guard_text(const dsl::ast::disjunction& g);
[[nodiscard]] std::string trigger_text(const dsl::ast::trigger& t);
// Whether the guard holds only while `slot` is known: every 'or' branch has, among its 'and'
// terms, known(slot), slot == "text" (not empty) or a comparison of it with a number other than
// '!='. (known(a, b) >= N needs no one slot.)
[[nodiscard]] bool guard_needs_slot(const dsl::ast::disjunction& g, std::string_view slot);
[[nodiscard]] std::string number_text(double v);

// What a message shows of something long, so that a hostile script's diagnostics stay small:
// a list, its first max_listed items and "... and 399,990 more"; a literal, its first
// max_echoed bytes (whole characters) and "...".
inline constexpr std::size_t max_listed = 10;
inline constexpr std::size_t max_echoed = 64;
[[nodiscard]] std::string list_text(const std::vector<std::string_view>& items);  // "a, b, c"
[[nodiscard]] std::string echo(std::string_view literal);
[[nodiscard]] std::string count_text(std::size_t n);  // "399,990"

// [a-z]{2,3}(-[A-Za-z0-9]{1,8})*, as the grammar reads them.
[[nodiscard]] bool valid_language_tag(std::string_view tag);

// "; did you mean 'x'?" when one of `names` is close enough to `name`, else empty. Ties go to
// the first name. Names longer than max_suggested_name bytes are neither given nor suggested,
// and among more than max_suggestion_candidates names none is: each diagnostic's suggestion then
// costs at most their product, however large the script.
inline constexpr std::size_t max_suggested_name = 64;
inline constexpr std::size_t max_suggestion_candidates = 10000;
[[nodiscard]] std::string suggest(std::string_view name, const std::vector<std::string_view>& names);
// The names a symbol map declares, for suggest(). (No std::views: clang 14, which builds the
// fuzzers, cannot use libstdc++ 12's ranges.)
template <class Map>
[[nodiscard]] std::vector<std::string_view> keys_of(const Map& map) {
    std::vector<std::string_view> out;
    if (map.size() > max_suggestion_candidates) return out;  // too many to look through for each error
    out.reserve(map.size());
    for (const auto& [key, value] : map) out.emplace_back(key);
    return out;
}

}  // namespace parley::pipeline

#endif
