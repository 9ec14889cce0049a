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

// A placeholder in a phrase text: `{name}`; literal text between them.
struct template_piece {
    bool placeholder = false;
    std::string text;         // literal text, or the placeholder's name
    std::uint32_t where = 0;  // byte offset of the piece in the unescaped string
    std::uint32_t size = 0;   // a placeholder's bytes, braces included
    std::string fallback;     // `{name|fallback}`: what an empty value renders as
};
// Splits a phrase template; false (with `error_at`) on an unmatched brace.
bool split_template(std::string_view s, std::vector<template_piece>& out, std::uint32_t& error_at);

// The guard as a person would write it, normalised: "insults >= 1 and not known(name)".
[[nodiscard]] std::string guard_text(const dsl::ast::disjunction& g);
[[nodiscard]] std::string trigger_text(const dsl::ast::trigger& t);
// Whether the guard holds only while `slot` is known: every 'or' branch has, among its 'and'
// terms, known(slot), slot == "text" (not empty) or a comparison of it with a number other than
// '!='. (known(a, b) >= N needs no one slot.)
[[nodiscard]] bool guard_needs_slot(const dsl::ast::disjunction& g, std::string_view slot);
[[nodiscard]] std::string number_text(double v);

// [a-z]{2,3}(-[A-Za-z0-9]{1,8})*, as the grammar reads them.
[[nodiscard]] bool valid_language_tag(std::string_view tag);

// "; did you mean 'x'?" when one of `names` is close enough to `name`, else empty. Ties go to
// the first name.
[[nodiscard]] std::string suggest(std::string_view name, const std::vector<std::string_view>& names);
// The names a symbol map declares, for suggest(). (No std::views: clang 14, which builds the
// fuzzers, cannot use libstdc++ 12's ranges.)
template <class Map>
[[nodiscard]] std::vector<std::string_view> keys_of(const Map& map) {
    std::vector<std::string_view> out;
    out.reserve(map.size());
    for (const auto& [key, value] : map) out.emplace_back(key);
    return out;
}

}  // namespace parley::pipeline

#endif
