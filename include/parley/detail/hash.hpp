// FNV-1a, the one hash parley writes itself: script fingerprints and call-id tables.
#ifndef PARLEY_DETAIL_HASH_HPP_INCLUDED
#define PARLEY_DETAIL_HASH_HPP_INCLUDED

#include <cstdint>
#include <string_view>

namespace parley::detail {

class fnv1a {
public:
    constexpr fnv1a() noexcept = default;
    constexpr explicit fnv1a(std::uint64_t seed) noexcept { add(seed); }

    constexpr void add_byte(unsigned char c) noexcept { h_ = (h_ ^ c) * 0x100000001b3ULL; }
    constexpr void add_bytes(std::string_view s) noexcept {
        for (unsigned char c : s) add_byte(c);
    }
    // A string followed by a separator, so that ("ab", "c") and ("a", "bc") differ.
    constexpr void add(std::string_view s) noexcept {
        add_bytes(s);
        add_byte(0xFF);
    }
    constexpr void add(std::uint64_t v) noexcept {
        for (int i = 0; i < 8; ++i) add_byte(static_cast<unsigned char>(v >> (8 * i)));
    }
    [[nodiscard]] constexpr std::uint64_t value() const noexcept { return h_; }

private:
    std::uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace parley::detail

#endif
