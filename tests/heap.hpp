// What the calling thread holds on the heap, counted by the operator new that
// allocation_test.cpp replaces: for tests that bound a compile's memory by counting, not timing.
#ifndef PARLEY_TESTS_HEAP_HPP_INCLUDED
#define PARLEY_TESTS_HEAP_HPP_INCLUDED

#include <cstdint>

namespace parley::test {

struct heap_use {
    std::int64_t in_use = 0;  // bytes allocated less bytes freed
    std::int64_t peak = 0;    // the most in use since reset_heap_peak()
    std::uint64_t total = 0;  // bytes ever allocated
};
[[nodiscard]] heap_use heap_now() noexcept;
void reset_heap_peak() noexcept;

}  // namespace parley::test

#endif
