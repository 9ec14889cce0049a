// Everything a call accumulates that is not a field of the session, in one small buffer: a
// fixed number of bytes first (the counters, the current state's counts, the phrases' rotation
// positions), then the per-call strings (slot values, variable overrides and, while a
// low-confidence utterance awaits the caller's yes or no, that utterance's slots).
//
// A record is three varints (key, name size, value size), then the name, then the value; the
// name is empty except in a remembered utterance slot or a variable's value for one language.
// There are a handful of records per call, so a linear walk finds one faster than any index
// would. The buffer lives inline while it fits in 16 bytes (a few counters and a caller's
// name), on the heap otherwise, where it grows by doubling; reset() keeps it, so a session
// reused call after call stops allocating once it has seen its largest call. 24 bytes, so that
// a session fits in one cache line.
#ifndef PARLEY_DETAIL_SESSION_STORE_HPP_INCLUDED
#define PARLEY_DETAIL_SESSION_STORE_HPP_INCLUDED

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace parley::detail {

class session_store {
public:
    static constexpr std::size_t inline_capacity = 16;

    struct record {
        std::uint32_t key;
        std::string_view name;
        std::string_view value;
    };

    session_store() noexcept = default;
    explicit session_store(std::size_t fixed) {
        reserve(fixed);
        std::memset(data(), 0, fixed);
        size_ = static_cast<std::uint32_t>(fixed);
        layout_ |= size_;
    }
    session_store(const session_store& other) : session_store() {
        reserve(other.size_);
        if (other.size_) std::memcpy(data(), other.data(), other.size_);
        size_ = other.size_;
        layout_ = (layout_ & heap_bit) | (other.layout_ & ~heap_bit);
    }
    session_store(session_store&& other) noexcept : size_(std::exchange(other.size_, 0)), layout_(std::exchange(other.layout_, 0)) {
        std::memcpy(storage_, other.storage_, inline_capacity);  // the bytes, or the heap pointer and capacity
    }
    session_store& operator=(session_store other) noexcept {
        swap(other);
        return *this;
    }
    ~session_store() {
        if (on_heap()) delete[] heap();
    }
    void swap(session_store& other) noexcept {
        std::swap(size_, other.size_);
        std::swap(layout_, other.layout_);
        std::uint8_t temp[inline_capacity];
        std::memcpy(temp, storage_, inline_capacity);
        std::memcpy(storage_, other.storage_, inline_capacity);
        std::memcpy(other.storage_, temp, inline_capacity);
    }

    // The fixed bytes, zeroed when the store is made and by reset().
    [[nodiscard]] std::uint8_t* fixed() noexcept { return data(); }
    [[nodiscard]] const std::uint8_t* fixed() const noexcept { return data(); }
    std::uint8_t& operator[](std::size_t i) noexcept { return data()[i]; }
    std::uint8_t operator[](std::size_t i) const noexcept { return data()[i]; }

    // A new call: the fixed bytes zeroed, no records; the buffer is kept.
    void reset() noexcept {
        std::memset(data(), 0, fixed_size());
        size_ = fixed_size();
    }

    // The value under `key` (its unnamed record: a variable's value in one language has the
    // language's tag as its name); nullopt when it has none (which is not the same as empty).
    [[nodiscard]] std::optional<std::string_view> find(std::uint32_t key) const noexcept {
        for (std::uint32_t at = fixed_size(); at < size_;) {
            const auto h = header_at(at);
            if (h.key == key && h.name_size == 0) return value_of(at, h);
            at = next(at, h);
        }
        return std::nullopt;
    }

    // A variable's value in `language`: its record named so, else its unnamed one; one pass.
    [[nodiscard]] std::optional<std::string_view> find_in_language(std::uint32_t key, std::string_view language) const noexcept {
        std::optional<std::string_view> any;
        for (std::uint32_t at = fixed_size(); at < size_;) {
            const auto h = header_at(at);
            if (h.key == key) {
                const auto name = name_of(at, h);
                if (name == language) return value_of(at, h);
                if (name.empty()) any = value_of(at, h);
            }
            at = next(at, h);
        }
        return any;
    }

    // Gives `key` (and `name`) the value `value`, replacing the one it had.
    void set(std::uint32_t key, std::string_view value, std::string_view name = {}) {
        if (aliases(value) || aliases(name)) {  // say a host passed back a view the session handed out
            const std::string value_copy(value), name_copy(name);
            set(key, value_copy, name_copy);
            return;
        }
        for (std::uint32_t at = fixed_size(); at < size_;) {
            const auto h = header_at(at);
            if (h.key == key && name_of(at, h) == name) {
                if (h.value_size == value.size()) {
                    if (!value.empty()) std::memcpy(data() + at + h.header_size + h.name_size, value.data(), value.size());
                    return;
                }
                if (next(at, h) == size_ && h.header_size == 3 && value.size() < 0x80) {  // the last record, rewritten where it is
                    const std::size_t need = std::size_t{at} + 3 + h.name_size + value.size();
                    reserve(need);
                    std::uint8_t* p = data() + at;
                    p[2] = static_cast<std::uint8_t>(value.size());
                    if (!value.empty()) std::memcpy(p + 3 + h.name_size, value.data(), value.size());
                    size_ = static_cast<std::uint32_t>(need);
                    return;
                }
                erase_at(at, next(at, h) - at);
                break;
            }
            at = next(at, h);
        }
        add(key, name, value);
    }

    // Removes the records under `key`.
    void erase(std::uint32_t key) noexcept {
        erase_if([&](const header& h, std::string_view) { return h.key == key; });
    }
    // Removes the records under `key` that have a name.
    void erase_named(std::uint32_t key) noexcept {
        erase_if([&](const header& h, std::string_view) { return h.key == key && h.name_size != 0; });
    }
    // Removes every record whose key `which` selects.
    template <class Which>
    void erase_keys(Which&& which) noexcept {
        erase_if([&](const header& h, std::string_view) { return which(h.key); });
    }

    // Appends a record, whether or not `key` already has one.
    void add(std::uint32_t key, std::string_view name, std::string_view value) {
        std::uint8_t head[3 * max_varint];
        std::size_t head_size = 3;
        if ((key | name.size() | value.size()) < 0x80) [[likely]] {  // one byte each, as header_at reads them first
            head[0] = static_cast<std::uint8_t>(key);
            head[1] = static_cast<std::uint8_t>(name.size());
            head[2] = static_cast<std::uint8_t>(value.size());
        } else {
            head_size = static_cast<std::size_t>(put_varint(put_varint(put_varint(head, key), name.size()), value.size()) - head);
        }
        const std::size_t need = std::size_t{size_} + head_size + name.size() + value.size();
        reserve(need);
        std::uint8_t* out = data() + size_;
        std::memcpy(out, head, head_size);
        if (!name.empty()) std::memcpy(out + head_size, name.data(), name.size());
        if (!value.empty()) std::memcpy(out + head_size + name.size(), value.data(), value.size());
        size_ = static_cast<std::uint32_t>(need);
    }

    // Appends `other`'s records, as they are, after this store's.
    void append_records(const session_store& other) {
        const std::uint32_t n = other.size_ - other.fixed_size();
        if (n == 0) return;
        reserve(std::size_t{size_} + n);
        std::memcpy(data() + size_, other.data() + other.fixed_size(), n);
        size_ += n;
    }

    // Calls f(record) for each record in the order they were added.
    template <class F>
    void for_each(F&& f) const {
        for (std::uint32_t at = fixed_size(); at < size_;) {
            const auto h = header_at(at);
            std::invoke(f, record{h.key, name_of(at, h), value_of(at, h)});
            at = next(at, h);
        }
    }

    [[nodiscard]] bool empty() const noexcept { return size_ == fixed_size(); }  // no records
    // Bytes on the heap; 0 while the store is inline.
    [[nodiscard]] std::size_t heap_bytes() const noexcept { return on_heap() ? capacity() : 0; }

private:
    static constexpr std::size_t max_varint = 5;
    struct header {
        std::uint32_t key;
        std::uint32_t name_size;
        std::uint32_t value_size;
        std::uint32_t header_size;  // bytes of the three varints
    };

    static std::uint8_t* put_varint(std::uint8_t* out, std::size_t v) noexcept {
        for (; v >= 0x80; v >>= 7) *out++ = static_cast<std::uint8_t>(v | 0x80);
        *out++ = static_cast<std::uint8_t>(v);
        return out;
    }
    [[nodiscard]] header header_at(std::uint32_t at) const noexcept {
        const std::uint8_t* p = data() + at;
        if ((p[0] | p[1] | p[2]) < 0x80) [[likely]]  // a key and sizes below 128, one byte each (a record has three)
            return {p[0], p[1], p[2], 3};
        const std::uint8_t* start = p;
        auto varint = [&p] {
            std::uint32_t v = 0;
            for (int shift = 0;; shift += 7) {
                const std::uint8_t b = *p++;
                v |= std::uint32_t(b & 0x7f) << shift;
                if (b < 0x80) return v;
            }
        };
        header h{};
        h.key = varint();
        h.name_size = varint();
        h.value_size = varint();
        h.header_size = static_cast<std::uint32_t>(p - start);
        return h;
    }
    [[nodiscard]] static std::uint32_t next(std::uint32_t at, const header& h) noexcept {
        return at + h.header_size + h.name_size + h.value_size;
    }
    [[nodiscard]] std::string_view name_of(std::uint32_t at, const header& h) const noexcept {
        return {reinterpret_cast<const char*>(data()) + at + h.header_size, h.name_size};
    }
    [[nodiscard]] std::string_view value_of(std::uint32_t at, const header& h) const noexcept {
        return {reinterpret_cast<const char*>(data()) + at + h.header_size + h.name_size, h.value_size};
    }
    template <class Which>
    void erase_if(Which&& which) noexcept {
        for (std::uint32_t at = fixed_size(); at < size_;) {
            const auto h = header_at(at);
            if (which(h, name_of(at, h)))
                erase_at(at, next(at, h) - at);
            else
                at = next(at, h);
        }
    }
    void erase_at(std::uint32_t at, std::uint32_t size) noexcept {
        std::memmove(data() + at, data() + at + size, size_ - at - size);
        size_ -= size;
    }
    [[nodiscard]] bool aliases(std::string_view s) const noexcept {
        const char* begin = reinterpret_cast<const char*>(data());
        return !s.empty() && std::less_equal<>()(begin, s.data()) && std::less<>()(s.data(), begin + capacity());
    }

    // The heap pointer and capacity are kept in the inline storage's bytes, copied in and out so
    // that the object needs no 8-byte alignment.
    [[nodiscard]] std::uint8_t* heap() const noexcept {
        std::uint8_t* p;
        std::memcpy(&p, storage_, sizeof p);
        return p;
    }
    [[nodiscard]] std::size_t capacity() const noexcept {
        if (!on_heap()) return inline_capacity;
        std::uint32_t c;
        std::memcpy(&c, storage_ + sizeof(std::uint8_t*), sizeof c);
        return c;
    }
    [[nodiscard]] std::uint8_t* data() noexcept { return on_heap() ? heap() : storage_; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return on_heap() ? heap() : storage_; }
    void reserve(std::size_t need) {
        if (need > capacity()) [[unlikely]]
            grow(need);
    }
    [[gnu::noinline]] void grow(std::size_t need) {
        if (need > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("parley: a session's values exceed 4 GiB");
        std::size_t bigger = std::max<std::size_t>(capacity() * 2, 32);
        while (bigger < need) bigger *= 2;
        bigger = std::min<std::size_t>(bigger, std::numeric_limits<std::uint32_t>::max());
        auto* block = new std::uint8_t[bigger];
        if (size_) std::memcpy(block, data(), size_);
        if (on_heap()) delete[] heap();
        const auto c = static_cast<std::uint32_t>(bigger);
        std::memcpy(storage_, &block, sizeof block);
        std::memcpy(storage_ + sizeof block, &c, sizeof c);
        layout_ |= heap_bit;
    }

    static constexpr std::uint32_t heap_bit = 1u << 31;
    [[nodiscard]] std::uint32_t fixed_size() const noexcept { return layout_ & ~heap_bit; }
    [[nodiscard]] bool on_heap() const noexcept { return (layout_ & heap_bit) != 0; }

    std::uint32_t size_ = 0;    // bytes in use, the fixed ones included
    std::uint32_t layout_ = 0;  // the fixed bytes' count, and heap_bit when storage_ holds the heap pointer and capacity
    std::uint8_t storage_[inline_capacity] = {};
};
static_assert(sizeof(session_store) == 24);

}  // namespace parley::detail

#endif
