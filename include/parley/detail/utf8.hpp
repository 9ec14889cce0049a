// UTF-8 decoding and the simple case folding used for screening and compliance checks.
#ifndef PARLEY_DETAIL_UTF8_HPP_INCLUDED
#define PARLEY_DETAIL_UTF8_HPP_INCLUDED

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace parley::detail {

inline constexpr char32_t replacement_character = 0xFFFD;

// Decodes the code point at s[i] and advances i; malformed sequences yield U+FFFD and
// advance by one byte, so every input terminates.
[[nodiscard]] inline char32_t decode_utf8(std::string_view s, std::size_t& i) noexcept {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    int extra = 0;
    char32_t cp = 0;
    if ((b0 & 0xE0) == 0xC0) {
        extra = 1;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        extra = 2;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        extra = 3;
        cp = b0 & 0x07;
    } else {
        ++i;
        return replacement_character;
    }
    if (i + static_cast<std::size_t>(extra) >= s.size()) {
        ++i;
        return replacement_character;
    }
    for (int k = 1; k <= extra; ++k) {
        const unsigned char b = byte(i + k);
        if ((b & 0xC0) != 0x80) {
            ++i;
            return replacement_character;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return replacement_character;
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

// Whether s is well-formed UTF-8; on failure `bad` is the offset of the first bad byte.
[[nodiscard]] inline bool valid_utf8(std::string_view s, std::size_t& bad) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t at = i;
        if (decode_utf8(s, i) == replacement_character && !(s.substr(at, 3) == "\xEF\xBF\xBD")) {
            bad = at;
            return false;
        }
    }
    return true;
}

// Simple (one-to-one) lower-case folding for Latin, Latin-1, Latin Extended-A (Romanian,
// Estonian), Romanian comma-below letters, Greek and Cyrillic; ё folds to е as Russian
// speakers write either.
[[nodiscard]] constexpr char32_t fold_case(char32_t c) noexcept {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    if (c >= 0x100 && c <= 0x137) return c | 1;
    if (c >= 0x139 && c <= 0x148) return (c & 1) ? c + 1 : c;
    if (c >= 0x14A && c <= 0x177) return c | 1;
    if (c == 0x178) return 0xFF;
    if (c >= 0x179 && c <= 0x17E) return (c & 1) ? c + 1 : c;
    if (c >= 0x218 && c <= 0x21B) return c | 1;
    if (c >= 0x15E && c <= 0x163) return c | 1;
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
    if (c == 0x401 || c == 0x451) return 0x435;  // Ё ё -> е
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;
    if (c >= 0x460 && c <= 0x4FF && c != 0x482 && !(c >= 0x483 && c <= 0x489)) return c | 1;
    return c;
}

// Folded code points of s, and for each the byte offset where it starts (offsets.back() = s.size()).
inline void fold_utf8(std::string_view s, std::u32string& folded, std::basic_string<std::uint32_t>* offsets = nullptr) {
    folded.clear();
    if (offsets) offsets->clear();
    for (std::size_t i = 0; i < s.size();) {
        if (offsets) offsets->push_back(static_cast<std::uint32_t>(i));
        folded.push_back(fold_case(decode_utf8(s, i)));
    }
    if (offsets) offsets->push_back(static_cast<std::uint32_t>(s.size()));
}

// Whitespace as a speaker's text has it: ASCII blanks, no-break and the typographic spaces.
[[nodiscard]] constexpr bool is_space(char32_t c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0xA0 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}
// A character that continues a word: a letter or digit in the scripts fold_case knows, or any
// other character outside ASCII, Latin-1 punctuation and the general punctuation block.
[[nodiscard]] constexpr bool is_word_char(char32_t c) noexcept {
    if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (c < 0xC0) return false;
    if (c == 0xD7 || c == 0xF7) return false;
    if (c >= 0x2000 && c <= 0x206F) return false;
    if (c >= 0x3000 && c <= 0x303F) return false;
    return !is_space(c) && c != replacement_character;
}

// Text as forbidden phrases are matched in it: folded (fold_utf8), every run of whitespace one
// space; `offsets` gives where each code point starts in `s` (offsets.back() = s.size()).
inline void fold_for_matching(std::string_view s, std::u32string& folded, std::basic_string<std::uint32_t>* offsets = nullptr) {
    folded.clear();
    if (offsets) offsets->clear();
    for (std::size_t i = 0; i < s.size();) {
        const auto at = static_cast<std::uint32_t>(i);
        const char32_t c = fold_case(decode_utf8(s, i));
        if (is_space(c) && !folded.empty() && folded.back() == ' ') continue;
        if (offsets) offsets->push_back(at);
        folded.push_back(is_space(c) ? U' ' : c);
    }
    if (offsets) offsets->push_back(static_cast<std::uint32_t>(s.size()));
}
// A forbidden phrase as it is matched: fold_for_matching, without spaces at either end.
inline std::u32string forbidden_words(std::string_view phrase) {
    std::u32string out;
    fold_for_matching(phrase, out);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (!out.empty() && out.front() == ' ') out.erase(0, 1);
    return out;
}
// Where `words` (forbidden_words) next occurs in `text` (fold_for_matching) from `from`, as whole
// words: a match that starts or ends inside a word does not count. npos when none does.
[[nodiscard]] inline std::size_t find_words(const std::u32string& text, const std::u32string& words, std::size_t from = 0) {
    if (words.empty()) return std::u32string::npos;
    for (auto at = text.find(words, from); at != std::u32string::npos; at = text.find(words, at + 1)) {
        const auto end = at + words.size();
        const bool starts_word = at == 0 || !is_word_char(words.front()) || !is_word_char(text[at - 1]);
        const bool ends_word = end == text.size() || !is_word_char(words.back()) || !is_word_char(text[end]);
        if (starts_word && ends_word) return at;
    }
    return std::u32string::npos;
}

// Number of code points in s (a malformed byte counts as one).
[[nodiscard]] inline std::size_t code_points(std::string_view s) noexcept {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++n) (void)decode_utf8(s, i);
    return n;
}

}  // namespace parley::detail

#endif
