// step() allocates nothing when the phrase has no placeholders, and at most once otherwise.
#include "fixtures.hpp"

#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t allocations = 0;
}

void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    ++allocations;
    return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

TEST_CASE("a step whose phrase has no placeholders allocates nothing", "[session][allocation]") {
    const auto& s = parley::test::small();
    const auto greeting = *s.find_label("greeting");
    const auto insult = *s.find_label("insult");
    parley::session call(s);
    (void)call.step(greeting);  // warm up
    const auto before = allocations;
    for (int i = 0; i < 100; ++i) (void)call.step(greeting);
    (void)call.step(insult);
    CHECK(allocations - before == 0);
}

TEST_CASE("rendering a phrase allocates at most once, and not at all once the buffer has grown", "[session][allocation]") {
    const auto& s = parley::test::small();
    parley::session call(s, {.variables = {{"company", "Общество с ограниченной ответственностью Ромашка"}}});
    const auto before = allocations;
    (void)call.start();  // renders {company} and {operator_name}: the render buffer grows once
    CHECK(allocations - before <= 1);

    const auto give_name = *s.find_label("give_name");
    const parley::slot_value slots[] = {{"name", "Константин Константинович"}};
    const auto first = allocations;
    (void)call.step(give_name, 1.0, slots);  // stores a new slot value (its entry and its text) and renders
    CHECK(allocations - first <= 3);
    const auto again = allocations;
    for (int i = 0; i < 100; ++i) (void)call.step(give_name, 1.0, slots);
    CHECK(allocations - again == 0);  // the slot's storage and the render buffer are reused
}
