// Compliance screening: what an operator actually said, against the script's forbidden phrases.
#ifndef PARLEY_SCREEN_HPP_INCLUDED
#define PARLEY_SCREEN_HPP_INCLUDED

#include <parley/detail/utf8.hpp>
#include <parley/script.hpp>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

struct screen_hit {
    std::size_t offset = 0;        // bytes into the screened text
    std::size_t length = 0;        // bytes
    std::size_t column = 0;        // 1-based, in code points, as diagnostics count columns
    std::string_view phrase;       // the forbidden phrase as the script writes it
    std::string_view replacement;  // what to say instead
    rule_location rule;            // the `forbid` line
};

// Every occurrence of every forbidden phrase as whole words, ignoring case (Latin, Cyrillic,
// Greek; ё = е) and how the words are spaced, ordered by position. Malformed UTF-8 in `said` is
// tolerated.
[[nodiscard]] inline std::vector<screen_hit> screen(const script& s, std::string_view said) {
    const auto& t = detail::tables_of(s);
    std::vector<screen_hit> hits;
    if (t.forbidden_phrases.empty()) return hits;
    std::u32string folded;
    std::basic_string<std::uint32_t> offsets;
    detail::fold_for_matching(said, folded, &offsets);
    for (const auto& f : t.forbidden_phrases) {
        for (auto first = detail::find_words(folded, f.folded); first != std::u32string::npos;
             first = detail::find_words(folded, f.folded, first + 1)) {
            const auto last = first + f.folded.size();
            std::size_t column = 1;  // code points before the match, spaces as written
            for (std::size_t i = 0; i < offsets[first];) (void)detail::decode_utf8(said, i), ++column;
            hits.push_back({offsets[first],
                            offsets[last] - offsets[first],
                            column,
                            t.str(f.phrase),
                            t.str(f.replacement),
                            {t.files[f.where.file], f.where.line}});
        }
    }
    std::sort(hits.begin(), hits.end(),
              [](const screen_hit& a, const screen_hit& b) { return a.offset != b.offset ? a.offset < b.offset : a.length > b.length; });
    return hits;
}

// Whether `text` contains `words`, ignoring case as screen() does.
[[nodiscard]] inline bool contains_folded(std::string_view text, std::string_view words) {
    std::u32string folded_text, folded_words;
    detail::fold_utf8(text, folded_text);
    detail::fold_utf8(words, folded_words);
    return folded_words.empty() ||
           std::search(folded_text.begin(), folded_text.end(), folded_words.begin(), folded_words.end()) != folded_text.end();
}

}  // namespace parley

#endif
