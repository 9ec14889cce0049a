// The byte codec of session snapshots (session::snapshot and session::restore in session.hpp):
// a compact, self-describing binary form.
//
// Layout (integers are LEB128 varints, strings a varint length and the bytes):
//   "PLY1" fingerprint:u64le flags:u8 (1 ended, 2 pending, 4 in a hold, 8 state counts) state:str language:str next_timer entered_at now
//   [flags & 4, in a hold: hold_started] [flags & 8: the state's counts:str (no_match, no_input)]
//   [flags & 2, pending: label:str origin:str n (key:str value:str)*]
//   n (counter:str value)*   rotation:bytes   n (kind:u8 name:str [kind 2: language:str] value:str)*
// Names, not indices, so that a snapshot can be mapped onto a changed script by name.
#ifndef PARLEY_DETAIL_SNAPSHOT_HPP_INCLUDED
#define PARLEY_DETAIL_SNAPSHOT_HPP_INCLUDED

#include <parley/detail/throw.hpp>

#include <algorithm>
#include <cstdint>
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

inline constexpr std::string_view snapshot_magic = "PLY1";

}  // namespace parley::detail

#endif
