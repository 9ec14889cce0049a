// A session's counters and rotation positions: a fixed number of bytes, kept inline when
// there are at most 12 (the default script has 9), on the heap otherwise. The whole object
// is 16 bytes with 4-byte alignment, so that a session of the default script fits in 128.
#ifndef PARLEY_DETAIL_SMALL_BYTES_HPP_INCLUDED
#define PARLEY_DETAIL_SMALL_BYTES_HPP_INCLUDED

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace parley::detail {

class small_bytes {
public:
    static constexpr std::size_t inline_capacity = 12;

    small_bytes() noexcept = default;
    explicit small_bytes(std::size_t size) : size_(static_cast<std::uint32_t>(size)) {
        if (on_heap()) set_heap(new std::uint8_t[size]());
    }
    small_bytes(const small_bytes& other) : small_bytes(other.size_) { std::memcpy(data(), other.data(), size_); }
    small_bytes(small_bytes&& other) noexcept : size_(other.size_) {
        std::memcpy(storage_, other.storage_, inline_capacity);  // the bytes, or the heap pointer
        other.size_ = 0;
    }
    small_bytes& operator=(small_bytes other) noexcept {
        swap(other);
        return *this;
    }
    ~small_bytes() {
        if (on_heap()) delete[] heap();
    }

    void swap(small_bytes& other) noexcept {
        std::swap(size_, other.size_);
        std::uint8_t temp[inline_capacity];
        std::memcpy(temp, storage_, inline_capacity);
        std::memcpy(storage_, other.storage_, inline_capacity);
        std::memcpy(other.storage_, temp, inline_capacity);
    }

    void zero() noexcept {
        if (on_heap())
            std::memset(heap(), 0, size_);
        else
            std::memset(storage_, 0, inline_capacity);  // a constant size: a few stores, no call
    }

    [[nodiscard]] std::uint8_t* data() noexcept { return on_heap() ? heap() : storage_; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return on_heap() ? heap() : storage_; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    [[nodiscard]] bool on_heap() const noexcept { return size_ > inline_capacity; }
    std::uint8_t& operator[](std::size_t i) noexcept { return data()[i]; }
    std::uint8_t operator[](std::size_t i) const noexcept { return data()[i]; }

private:
    // The heap pointer is kept in the inline storage's first bytes, copied in and out so
    // that the object needs no 8-byte alignment.
    [[nodiscard]] std::uint8_t* heap() const noexcept {
        std::uint8_t* p;
        std::memcpy(&p, storage_, sizeof p);
        return p;
    }
    void set_heap(std::uint8_t* p) noexcept { std::memcpy(storage_, &p, sizeof p); }

    std::uint32_t size_ = 0;
    std::uint8_t storage_[inline_capacity] = {};
};
static_assert(sizeof(small_bytes) == 16);

}  // namespace parley::detail

#endif
