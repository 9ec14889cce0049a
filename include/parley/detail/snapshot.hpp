// The byte codec of session snapshots (session::snapshot and session::restore in session.hpp):
// a compact, self-describing binary form.
//
// Layout, format 2 (integers are LEB128 varints, strings a varint length and the bytes):
//   "PLY2" fingerprint:u64le flags:u8 (1 ended, 2 pending, 4 in a hold, 8 state counts) state:str language:str next_timer entered_at now
//   [flags & 4, in a hold: hold_started] [flags & 8: the state's counts:str (no_match, no_input)]
//   [flags & 2, pending: label:str origin:str n (key:str value:str)*]
//   n (counter:str value:u8)*   rotation:bytes   n (kind:u8 name:str [kind 2: language:str] value:str)*
//   crc32c:u32le
// Names, not indices, so that a snapshot can be mapped onto a changed script by name.
//
// The last four bytes are the CRC-32C (Castagnoli) of every byte before them, magic included. It
// catches accidental damage (a flipped bit, a truncated or spliced record: every error of up to 5
// bits in a snapshot of up to 655 bytes, any burst of up to 32 bits, and the rest with probability
// 1 - 2^-32); it is not a MAC and does not stop anyone who means to forge a snapshot. That is why
// restore() range-checks every field after the checksum too. Format 1 ("PLY1", no checksum) is
// refused with "snapshot format 1, expected 2".
#ifndef PARLEY_DETAIL_SNAPSHOT_HPP_INCLUDED
#define PARLEY_DETAIL_SNAPSHOT_HPP_INCLUDED

#include <parley/detail/throw.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace parley::detail {

class snapshot_writer {
public:
    void bytes(std::string_view s) { out_.append(s); }
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void varint(std::uint64_t v) {
        do {
            std::uint8_t b = v & 0x7F;
            v >>= 7;
            u8(static_cast<std::uint8_t>(b | (v ? 0x80 : 0)));
        } while (v);
    }
    void svarint(std::int64_t v) { varint((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
    void str(std::string_view s) {
        varint(s.size());
        bytes(s);
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

class snapshot_reader {
public:
    explicit snapshot_reader(std::string_view in) : in_(in) {}
    std::string_view bytes(std::size_t n) {
        if (n > in_.size() - pos_) fail("it ends early");
        auto s = in_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    std::uint8_t u8() { return static_cast<std::uint8_t>(bytes(1)[0]); }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            const std::uint8_t b = u8();
            v |= std::uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80)) return v;
        }
        fail("a number is too long");
    }
    std::int64_t svarint() {
        const auto v = varint();
        return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
    }
    std::string_view str() { return bytes(static_cast<std::size_t>(std::min<std::uint64_t>(varint(), in_.size()))); }
    std::size_t count(std::size_t limit) {
        const auto n = varint();
        if (n > limit) fail("a count is out of range");
        return static_cast<std::size_t>(n);
    }
    bool done() const noexcept { return pos_ == in_.size(); }
    [[noreturn]] static void fail(const std::string& why) {
        throw_session_error(session_errc::bad_snapshot, "the snapshot is damaged: " + why);
    }

private:
    std::string_view in_;
    std::size_t pos_ = 0;
};

inline constexpr std::string_view snapshot_magic = "PLY2";  // "PLY" and the format's digit
inline constexpr int snapshot_format = 2;
inline constexpr std::size_t snapshot_checksum_bytes = 4;

// The latest time a session's clock may show, in milliseconds since pickup (2^32 - 1 ms, 49.7
// days, as advance() takes): a session keeps its times in 32 bits, and restore() refuses later
// timestamps.
inline constexpr std::int64_t max_clock_ms = 0xFFFF'FFFF;

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as iSCSI, ext4 and SCTP use it; a table
// of 256 entries, a byte per step. crc32c("123456789") == 0xE3069283.
inline constexpr std::array<std::uint32_t, 256> crc32c_table = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
    return table;
}();
[[nodiscard]] constexpr std::uint32_t crc32c(std::string_view bytes) noexcept {
    std::uint32_t c = 0xFFFFFFFFu;
    for (const char ch : bytes) c = crc32c_table[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

// Appends the checksum of `body` (a snapshot up to its checksum) to it.
inline void seal_snapshot(std::string& body) {
    const auto c = crc32c(body);
    for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(static_cast<std::uint8_t>(c >> (8 * i))));
}
// Recomputes the checksum of a sealed snapshot whose body was changed: for tests and fuzzers that
// build snapshots with crafted fields, to see that restore() checks more than the checksum.
inline void reseal_snapshot(std::string& snapshot) {
    if (snapshot.size() < snapshot_checksum_bytes) return;
    snapshot.resize(snapshot.size() - snapshot_checksum_bytes);
    seal_snapshot(snapshot);
}
// The body of a sealed snapshot after checking its magic, format and checksum; a session_error
// (bad_snapshot) when any is wrong.
[[nodiscard]] inline std::string_view unseal_snapshot(std::string_view snapshot) {
    const auto prefix = snapshot_magic.substr(0, 3);
    if (snapshot.size() < snapshot_magic.size()) snapshot_reader::fail("it ends early");
    if (snapshot.substr(0, 3) != prefix) snapshot_reader::fail("it does not start with 'PLY2'");
    if (snapshot[3] != snapshot_magic[3]) {
        const char v = snapshot[3];
        const std::string format = v >= '0' && v <= '9' ? std::string(1, v) : "'" + std::string(1, v) + "'";
        throw_session_error(session_errc::bad_snapshot, "snapshot format " + format + ", expected " + std::to_string(snapshot_format) +
                                                            (v == '1' ? " (format 1 has no checksum and is no longer read)" : ""));
    }
    if (snapshot.size() < snapshot_magic.size() + snapshot_checksum_bytes) snapshot_reader::fail("it ends early");
    const auto body = snapshot.substr(0, snapshot.size() - snapshot_checksum_bytes);
    std::uint32_t stored = 0;
    for (std::size_t i = 0; i < snapshot_checksum_bytes; ++i)
        stored |= std::uint32_t(static_cast<std::uint8_t>(snapshot[body.size() + i])) << (8 * i);
    if (stored != crc32c(body)) snapshot_reader::fail("its checksum does not match");
    return body;
}

// a + b for b >= 0, at most the largest int64: deadlines that cannot overflow whatever a session holds.
[[nodiscard]] constexpr std::int64_t add_saturated(std::int64_t a, std::int64_t b) noexcept {
    constexpr auto most = std::numeric_limits<std::int64_t>::max();
    return b > 0 && a > most - b ? most : a + b;
}

}  // namespace parley::detail

#endif
