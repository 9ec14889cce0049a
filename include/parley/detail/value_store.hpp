// A session's per-call strings in one growable buffer: slot values, variable overrides and,
// while a low-confidence utterance awaits the caller's yes or no, that utterance's slots.
//
// A record is a 12-byte header (key, name size, value size), then the name, then the value;
// the name is empty except in a remembered utterance slot. There are a handful of records per
// call, so a linear walk finds one faster than any index would. The buffer grows by doubling
// and clear() keeps it: a session reused call after call (session::reset) stops allocating
// once it has seen its largest call. 16 bytes, so that a session stays small.
#ifndef PARLEY_DETAIL_VALUE_STORE_HPP_INCLUDED
#define PARLEY_DETAIL_VALUE_STORE_HPP_INCLUDED

#include <algorithm>
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

class value_store {
public:
    struct record {
        std::uint32_t key;
        std::string_view name;
        std::string_view value;
    };

    value_store() noexcept = default;
    value_store(const value_store& other)
        : data_(other.size_ ? new char[other.size_] : nullptr), size_(other.size_), capacity_(other.size_) {
        if (size_) std::memcpy(data_, other.data_, size_);
    }
    value_store(value_store&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)), capacity_(std::exchange(other.capacity_, 0)) {}
    value_store& operator=(value_store other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(capacity_, other.capacity_);
        return *this;
    }
    ~value_store() { delete[] data_; }

    // The value under `key` (its unnamed record: a variable's value in one language has the
    // language's tag as its name); nullopt when it has none (which is not the same as empty).
    [[nodiscard]] std::optional<std::string_view> find(std::uint32_t key) const noexcept {
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            if (h.key == key && h.name_size == 0) return std::string_view(data_ + at + sizeof h, h.value_size);
            at += record_size(h);
        }
        return std::nullopt;
    }

    // A variable's value in `language`: its record named so, else its unnamed one; one pass.
    [[nodiscard]] std::optional<std::string_view> find_in_language(std::uint32_t key, std::string_view language) const noexcept {
        std::optional<std::string_view> any;
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            if (h.key == key) {
                const auto name = name_at(at, h);
                const std::string_view value(data_ + at + sizeof h + h.name_size, h.value_size);
                if (name == language) return value;
                if (name.empty()) any = value;
            }
            at += record_size(h);
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
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            if (h.key == key && name_at(at, h) == name) {
                if (h.value_size == value.size()) {
                    if (!value.empty()) std::memcpy(data_ + at + sizeof h + h.name_size, value.data(), value.size());
                    return;
                }
                erase_at(at, record_size(h));
                break;
            }
            at += record_size(h);
        }
        add(key, name, value);
    }

    // Removes the records under `key`.
    void erase(std::uint32_t key) noexcept {
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            if (h.key == key)
                erase_at(at, record_size(h));
            else
                at += record_size(h);
        }
    }

    // Removes the records under `key` that have a name.
    void erase_named(std::uint32_t key) noexcept {
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            if (h.key == key && h.name_size != 0)
                erase_at(at, record_size(h));
            else
                at += record_size(h);
        }
    }

    // Appends a record, whether or not `key` already has one.
    void add(std::uint32_t key, std::string_view name, std::string_view value) {
        const header h{key, static_cast<std::uint32_t>(name.size()), static_cast<std::uint32_t>(value.size())};
        const std::size_t need = std::size_t{size_} + sizeof h + name.size() + value.size();
        if (need > capacity_) grow(need);
        char* out = data_ + size_;
        std::memcpy(out, &h, sizeof h);
        if (!name.empty()) std::memcpy(out + sizeof h, name.data(), name.size());
        if (!value.empty()) std::memcpy(out + sizeof h + name.size(), value.data(), value.size());
        size_ = static_cast<std::uint32_t>(need);
    }

    // Removes every record whose key has all of `kind`'s bits set.
    void erase_kind(std::uint32_t kind) noexcept {
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            if ((h.key & kind) == kind)
                erase_at(at, record_size(h));
            else
                at += record_size(h);
        }
    }

    // Calls f(record) for each record in the order they were added.
    template <class F>
    void for_each(F&& f) const {
        for (std::uint32_t at = 0; at < size_;) {
            const auto h = header_at(at);
            const char* name = data_ + at + sizeof h;
            std::invoke(f, record{h.key, {name, h.name_size}, {name + h.name_size, h.value_size}});
            at += record_size(h);
        }
    }

    void clear() noexcept { size_ = 0; }  // keeps the buffer for the next call
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    struct header {
        std::uint32_t key;
        std::uint32_t name_size;
        std::uint32_t value_size;
    };
    static std::uint32_t record_size(const header& h) noexcept {
        return static_cast<std::uint32_t>(sizeof(header)) + h.name_size + h.value_size;
    }
    [[nodiscard]] header header_at(std::uint32_t at) const noexcept {
        header h;
        std::memcpy(&h, data_ + at, sizeof h);  // records are not aligned
        return h;
    }
    [[nodiscard]] std::string_view name_at(std::uint32_t at, const header& h) const noexcept {
        return {data_ + at + sizeof h, h.name_size};
    }
    void erase_at(std::uint32_t at, std::uint32_t size) noexcept {
        std::memmove(data_ + at, data_ + at + size, size_ - at - size);
        size_ -= size;
    }
    [[nodiscard]] bool aliases(std::string_view s) const noexcept {
        return !s.empty() && std::less_equal<>()(data_, s.data()) && std::less<>()(s.data(), data_ + capacity_);
    }
    void grow(std::size_t need) {
        if (need > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("parley: a session's values exceed 4 GiB");
        std::size_t capacity = capacity_ ? std::size_t{capacity_} * 2 : 32;
        while (capacity < need) capacity *= 2;
        capacity = std::min<std::size_t>(capacity, std::numeric_limits<std::uint32_t>::max());
        char* bigger = new char[capacity];
        if (size_) std::memcpy(bigger, data_, size_);
        delete[] data_;
        data_ = bigger;
        capacity_ = static_cast<std::uint32_t>(capacity);
    }

    char* data_ = nullptr;
    std::uint32_t size_ = 0;
    std::uint32_t capacity_ = 0;
};
static_assert(sizeof(value_store) == 16);

}  // namespace parley::detail

#endif
