// Call ids that all have one std::hash<std::string_view>, for parley serve's test that its memory
// store does not use it (tests/serve/hostile_test.py): libstdc++'s hash of a string is
// MurmurHash64A with a fixed seed, whose steps invert, so ids that collide can be computed.
// Each id is 16 ASCII bytes: 8 chosen, then the 8 that bring the hash to one value (kept only
// when they are ASCII too).
//
//   serve_colliding_ids N   N JSON strings, one per line; exit 77 if this standard library's
//                           std::hash is not the one assumed here
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

namespace {

constexpr std::uint64_t mul = 0xc6a4a7935bd1e995ULL;
constexpr std::uint64_t seed = 0xc70f6907ULL;

constexpr std::uint64_t inverse(std::uint64_t a) {  // of an odd number, modulo 2^64 (Newton's iteration)
    std::uint64_t x = a;
    for (int i = 0; i < 6; ++i) x *= 2 - a * x;
    return x;
}
constexpr std::uint64_t shift_mix(std::uint64_t v) { return v ^ (v >> 47); }  // its own inverse
constexpr std::uint64_t mix(std::uint64_t k) { return shift_mix(k * mul) * mul; }
constexpr std::uint64_t unmix(std::uint64_t m) { return shift_mix(m * inverse(mul)) * inverse(mul); }
static_assert(unmix(mix(0x1234567890abcdefULL)) == 0x1234567890abcdefULL);

}  // namespace

int main(int argc, char** argv) {
    const long wanted = argc > 1 ? std::atol(argv[1]) : 1000;
    const std::uint64_t start = seed ^ (16 * mul);
    const std::uint64_t target = 0x0123456789abcdefULL;  // the state after both blocks, for every id
    std::size_t expected = 0;
    long made = 0;
    for (std::uint64_t n = 0; made < wanted; ++n) {
        char id[16];
        std::uint64_t k1 = 0;
        for (int i = 0, m = static_cast<int>(n); i < 8; ++i, m /= 26) id[i] = static_cast<char>('a' + m % 26);
        if (n >= 208827064576ULL) return 1;  // 26^8: cannot happen for any sensible N
        std::memcpy(&k1, id, 8);
        const std::uint64_t after_first = (start ^ mix(k1)) * mul;
        const std::uint64_t k2 = unmix(after_first ^ (target * inverse(mul)));
        std::memcpy(id + 8, &k2, 8);
        bool ascii = true;
        for (int i = 8; i < 16; ++i) ascii = ascii && static_cast<unsigned char>(id[i]) < 0x80;
        if (!ascii) continue;
        const std::string_view s(id, 16);
        const auto h = std::hash<std::string_view>()(s);
        if (made == 0) expected = h;
        if (h != expected) return 77;  // another std::hash
        std::string out = "\"";
        for (char c : s) {
            if (c == '"' || c == '\\') {
                out += '\\';
                out += c;
            } else if (static_cast<unsigned char>(c) < 0x20) {
                char escape[8];
                std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
                out += escape;
            } else {
                out += c;
            }
        }
        out += "\"\n";
        std::fputs(out.c_str(), stdout);
        ++made;
    }
    return 0;
}
