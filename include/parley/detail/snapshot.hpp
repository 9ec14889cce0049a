// session::snapshot and session::restore: a compact, self-describing binary form.
//
// Layout (integers are LEB128 varints, strings a varint length and the bytes):
//   "PLY1" fingerprint:u64le flags:u8 state:str language:str next_timer entered_at now
//   [pending: label:str origin:str n (key:str value:str)*]
//   n (counter:str value)*   rotation:bytes   n (kind:u8 name:str value:str)*
// Names, not indices, so that a snapshot can be mapped onto a changed script by name.
#ifndef PARLEY_DETAIL_SNAPSHOT_HPP_INCLUDED
#define PARLEY_DETAIL_SNAPSHOT_HPP_INCLUDED

#include <parley/session.hpp>

namespace parley {
namespace detail {

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

}  // namespace detail

inline std::string session::snapshot() const {
    const auto& t = tables();
    detail::snapshot_writer w;
    w.bytes(detail::snapshot_magic);
    for (int i = 0; i < 8; ++i) w.u8(static_cast<std::uint8_t>(t.fingerprint >> (8 * i)));
    const bool pending = pending_label_ != detail::none;
    w.u8(static_cast<std::uint8_t>((ended_ ? 1 : 0) | (pending ? 2 : 0)));
    w.str(t.str(t.states[state_].name));
    w.str(t.str(t.languages[language_]));
    w.varint(next_timer_);
    w.svarint(entered_at_ms_);
    w.svarint(now_ms_);
    if (pending) {
        w.str(t.str(t.labels[pending_label_].name));
        w.str(t.str(t.states[pending_origin_].name));
        std::size_t n = 0;
        values_.for_each([&](const detail::value_store::record& r) { n += r.key == pending_kind; });
        w.varint(n);
        values_.for_each([&](const detail::value_store::record& r) {
            if (r.key != pending_kind) return;
            w.str(r.name);
            w.str(r.value);
        });
    }
    std::size_t nonzero = 0;
    for (std::size_t i = 0; i < t.counters.size(); ++i) nonzero += bytes_[i] != 0;
    w.varint(nonzero);
    for (std::size_t i = 0; i < t.counters.size(); ++i)
        if (bytes_[i] != 0) {
            w.str(t.str(t.counters[i]));
            w.u8(bytes_[i]);
        }
    w.str({reinterpret_cast<const char*>(rotations()), t.rotation_count});
    std::size_t values = 0;
    values_.for_each([&](const detail::value_store::record& r) { values += r.key != pending_kind; });
    w.varint(values);
    values_.for_each([&](const detail::value_store::record& r) {
        if (r.key == pending_kind) return;
        const bool is_variable = (r.key & variable_kind) != 0;
        const auto index = r.key & ~variable_kind;
        w.u8(is_variable ? 1 : 0);
        w.str(t.str(is_variable ? t.variables[index] : t.slots[index]));
        w.str(r.value);
    });
    return w.take();
}

inline session session::restore(parley::script s, std::string_view bytes, restore_mode mode) {
    using detail::snapshot_reader;
    session out(std::move(s));
    const auto& t = out.tables();
    snapshot_reader r(bytes);
    if (r.bytes(4) != detail::snapshot_magic) snapshot_reader::fail("it does not start with 'PLY1'");
    std::uint64_t fingerprint = 0;
    for (int i = 0; i < 8; ++i) fingerprint |= std::uint64_t(r.u8()) << (8 * i);
    const bool same_script = fingerprint == t.fingerprint;
    if (mode == restore_mode::exact && !same_script)
        detail::throw_session_error(
            session_errc::bad_snapshot,
            fmt::format("the snapshot was taken with another script (fingerprint {:016x}, this script {:016x}); "
                        "restore with restore_mode::by_name to map it by state name",
                        fingerprint, t.fingerprint));
    auto lookup = [](const detail::name_index& index, std::string_view name, std::string_view what) {
        auto it = index.find(name);
        if (it == index.end())
            detail::throw_session_error(session_errc::bad_snapshot,
                                        fmt::format("the snapshot's {} '{}' does not exist in this script", what, name));
        return it->second;
    };
    const auto flags = r.u8();
    if (flags > 3) snapshot_reader::fail("unknown flags");
    out.ended_ = flags & 1;
    out.state_ = lookup(t.state_index, r.str(), "state");
    out.language_ = static_cast<std::uint8_t>(lookup(t.language_index, r.str(), "language"));
    const auto next_timer = r.varint();
    if (next_timer > t.states[out.state_].timer_count) snapshot_reader::fail("the timer position is out of range");
    out.next_timer_ = static_cast<std::uint8_t>(next_timer);
    out.entered_at_ms_ = r.svarint();
    out.now_ms_ = r.svarint();
    if (flags & 2) {
        out.pending_label_ = lookup(t.label_index, r.str(), "intent");
        out.pending_origin_ = lookup(t.state_index, r.str(), "state");
        const auto n = r.count(max_slots_per_utterance);
        for (std::size_t i = 0; i < n; ++i) {
            const auto name = r.str();
            out.values_.add(pending_kind, name, r.str());
        }
    }
    const auto counters = r.count(t.counters.size());
    for (std::size_t i = 0; i < counters; ++i) {
        const auto index = lookup(t.counter_index, r.str(), "counter");
        out.bytes_[index] = r.u8();
    }
    const auto rotation = r.str();
    if (same_script) {
        if (rotation.size() != t.rotation_count) snapshot_reader::fail("the rotation table has the wrong size");
        for (std::size_t i = 0; i < rotation.size(); ++i) {
            const auto value = static_cast<std::uint8_t>(rotation[i]);
            out.rotations()[i] = value;
        }
    }
    const auto values = r.count(t.slots.size() + t.variables.size());
    for (std::size_t i = 0; i < values; ++i) {
        const auto kind = r.u8();
        if (kind > 1) snapshot_reader::fail("unknown value kind");
        const auto name = r.str();
        const auto index = kind ? lookup(t.variable_index, name, "variable") : lookup(t.slot_index, name, "slot");
        out.set_value(value_key(kind ? variable_kind : slot_kind, index), r.str());
    }
    if (!r.done()) snapshot_reader::fail("there are bytes after its end");
    if (out.ended_ != is_terminal(t.states[out.state_].action))
        snapshot_reader::fail("its ended flag contradicts its state");
    return out;
}

}  // namespace parley

#endif
