// Counts heap allocations and live/peak heap bytes by replacing the global allocation
// functions. Include in exactly one translation unit of a benchmark binary.
#ifndef PARLEY_BENCHMARKS_ALLOC_COUNTER_HPP_INCLUDED
#define PARLEY_BENCHMARKS_ALLOC_COUNTER_HPP_INCLUDED

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace parley::bench {
inline std::atomic<std::size_t> allocation_count{0};
inline std::atomic<std::size_t> live_bytes{0};
inline std::atomic<std::size_t> peak_bytes{0};
inline void reset_peak() { peak_bytes = live_bytes.load(); }
}  // namespace parley::bench

void* operator new(std::size_t n) {
    void* p = std::malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    using namespace parley::bench;
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    const auto live = live_bytes.fetch_add(malloc_usable_size(p), std::memory_order_relaxed) + malloc_usable_size(p);
    auto peak = peak_bytes.load(std::memory_order_relaxed);
    while (live > peak && !peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {}
    return p;
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return operator new(n);
    } catch (...) {
        return nullptr;
    }
}
void operator delete(void* p) noexcept {
    if (!p) return;
    parley::bench::live_bytes.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }

#endif
