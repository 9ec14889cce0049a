// The hash of `parley run`'s call ids: SipHash-1-3 under a per-process random key, so that ids
// sent by an adversary cannot be chosen to collide in its table (hash flooding). libstdc++'s
// std::hash is MurmurHash64A with a fixed seed, whose blocks invert: any number of ids with one
// hash can be computed offline. SipHash-1-3 is the keyed hash Rust's HashMap shipped with for
// this reason; for the short ids of call centers it costs about 15 ns.
#ifndef PARLEY_SRC_CLI_CALL_HASH_HPP_INCLUDED
#define PARLEY_SRC_CLI_CALL_HASH_HPP_INCLUDED

#include <bit>
#include <cstdint>
#include <cstring>
#include <random>
#include <string_view>

namespace parley::cli {

class call_hash {
public:
    // A key drawn from the system's random source (getrandom on Linux).
    call_hash() {
        std::random_device random;
        k0_ = (std::uint64_t{random()} << 32) ^ random();
        k1_ = (std::uint64_t{random()} << 32) ^ random();
    }
    call_hash(std::uint64_t k0, std::uint64_t k1) noexcept : k0_(k0), k1_(k1) {}

    // SipHash-1-3 of the bytes (little-endian words, as the reference implementation reads them
    // on the machines parley runs on).
    [[nodiscard]] std::uint64_t operator()(std::string_view s) const noexcept {
        std::uint64_t v0 = k0_ ^ 0x736f6d6570736575ULL, v1 = k1_ ^ 0x646f72616e646f6dULL;
        std::uint64_t v2 = k0_ ^ 0x6c7967656e657261ULL, v3 = k1_ ^ 0x7465646279746573ULL;
        auto round = [&] {
            v0 += v1, v1 = std::rotl(v1, 13), v1 ^= v0, v0 = std::rotl(v0, 32);
            v2 += v3, v3 = std::rotl(v3, 16), v3 ^= v2;
            v0 += v3, v3 = std::rotl(v3, 21), v3 ^= v0;
            v2 += v1, v1 = std::rotl(v1, 17), v1 ^= v2, v2 = std::rotl(v2, 32);
        };
        const char* p = s.data();
        const std::size_t words = s.size() / 8;
        for (std::size_t i = 0; i < words; ++i, p += 8) {
            std::uint64_t m;
            std::memcpy(&m, p, 8);
            v3 ^= m;
            round();
            v0 ^= m;
        }
        std::uint64_t last = std::uint64_t{s.size()} << 56;
        for (std::size_t i = 0; i < s.size() % 8; ++i) last |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
        v3 ^= last;
        round();
        v0 ^= last;
        v2 ^= 0xff;
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

private:
    std::uint64_t k0_ = 0, k1_ = 0;
};

}  // namespace parley::cli

#endif
