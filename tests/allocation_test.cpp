// step() allocates nothing when the phrase has no placeholders, and at most once otherwise.
#include "fixtures.hpp"
#include "heap.hpp"

#include <parley/compiler.hpp>

#include <algorithm>
#include <vector>

#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t allocations = 0;
// The heap this thread holds (what it allocated less what it freed), its peak and its total:
// heap.hpp, for the hostile input tests. Signed: a block made on another thread may be freed here.
thread_local std::int64_t heap_in_use = 0;
thread_local std::int64_t heap_peak = 0;
thread_local std::uint64_t heap_total = 0;

void* count_allocation(void* p) noexcept {
    if (!p) return p;
    ++allocations;
    const auto size = static_cast<std::int64_t>(malloc_usable_size(p));
    heap_in_use += size;
    heap_total += static_cast<std::uint64_t>(size);
    heap_peak = std::max(heap_peak, heap_in_use);
    return p;
}
}  // namespace

namespace parley::test {
heap_use heap_now() noexcept { return {heap_in_use, heap_peak, heap_total}; }
void reset_heap_peak() noexcept { heap_peak = heap_in_use; }
}  // namespace parley::test

void* operator new(std::size_t n) {
    if (void* p = count_allocation(std::malloc(n ? n : 1))) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return count_allocation(std::malloc(n ? n : 1)); }
// The replaced operator new above allocates with malloc, so free is the matching release;
// GCC cannot see that through the replacement and warns.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
    if (p) heap_in_use -= static_cast<std::int64_t>(malloc_usable_size(p));
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
#pragma GCC diagnostic pop

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
    (void)call.step(give_name, 1.0, slots);  // the session's first value grows its store, and renders
    CHECK(allocations - first <= 2);
    const auto again = allocations;
    for (int i = 0; i < 100; ++i) (void)call.step(give_name, 1.0, slots);
    CHECK(allocations - again == 0);  // the slot's storage and the render buffer are reused
}

TEST_CASE("on the default script, steps without slots allocate only to render, and at most once", "[session][allocation]") {
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    REQUIRE(compiled.script);
    const auto& script = *compiled.script;
    std::vector<parley::label_id> labels;
    for (parley::label_id l = 0; l < script.label_count(); ++l) labels.push_back(l);

    // Half the lines know the caller's name from the start, so that a phrase that reads it is
    // rendered; on the others such a phrase is said as compiled, with no name.
    const parley::session_options named{.slots = {{"name", "Ольга"}}};
    auto fresh = [&](std::size_t line) { return line % 2 ? parley::session(script, named) : parley::session(script); };
    std::vector<parley::session> calls;
    for (std::size_t line = 0; line < 50; ++line) calls.push_back(fresh(line));
    std::uint64_t seed = 12345;
    std::size_t plain = 0, rendered = 0, most_when_rendered = 0, when_plain = 0;
    for (int n = 0; n < 20000; ++n) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const auto line = (seed >> 33) % calls.size();
        auto& call = calls[line];
        if (call.ended()) call = fresh(line);
        const auto label = labels[(seed >> 17) % labels.size()];
        const double confidence = (seed >> 7) % 16 == 0 ? 0.3 : 0.95;  // some go through confirmation
        const auto before = allocations;
        const auto r = call.step(label, confidence);
        const auto made = allocations - before;
        const bool from_script = r.phrase.empty() || script.owns(r.phrase);
        if (from_script) {
            ++plain;
            when_plain += made;
        } else {
            ++rendered;
            most_when_rendered = std::max(most_when_rendered, made);
        }
    }
    CHECK(plain > 10000);
    CHECK(rendered > 1000);
    CHECK(when_plain == 0);
    CHECK(most_when_rendered <= 1);
}

TEST_CASE("a session reused with reset allocates nothing once warm, slots and confirmations included", "[session][allocation]") {
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    REQUIRE(compiled.script);
    const auto& script = *compiled.script;
    const parley::slot_value slots[] = {{"name", "Константин"}, {"topic", "доставка"}, {"fault", "caller"}};
    std::string scratch;
    parley::session call(script);
    auto run_calls = [&](int calls) {
        std::uint64_t seed = 99;
        for (int n = 0; n < calls; ++n) {
            call.reset();
            (void)call.start(scratch);
            for (int turn = 0; turn < 30 && !call.ended(); ++turn) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                const auto label = static_cast<parley::label_id>((seed >> 17) % script.label_count());
                const double confidence = (seed >> 7) % 8 == 0 ? 0.3 : 0.95;
                (void)call.step(label, confidence, std::span(slots, (seed >> 40) % 4), scratch);
            }
        }
    };
    run_calls(200);  // warm: the store and the scratch buffer reach their largest size
    const auto before = allocations;
    run_calls(200);  // the same calls again
    CHECK(allocations - before == 0);
}

TEST_CASE("host actions allocate nothing once a session has seen its largest ones", "[session][allocation][actions]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot email
variable manager = "Ana"
intent ping
state s initial
  on ping -> stay
    do notify-team(manager, email, reason = "escalation")
end
)");
    const auto ping = *s.find_label("ping");
    const parley::slot_value slots[] = {{"email", "ana@example.com"}};
    parley::session call(s);
    (void)call.step(ping, 1.0, slots);  // the scratch for actions, arguments and their values grows
    const auto before = allocations;
    for (int i = 0; i < 100; ++i) CHECK(call.step(ping, 1.0, slots).actions.size() == 1);
    CHECK(allocations - before == 0);
}

TEST_CASE("a phrase with conditional parts allocates nothing once the buffer has grown, said or not", "[session][allocation]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot name
intent thanks
state s initial
  on thanks -> stay
    say "{name?Thank you, {name}.|Thank you.} {name?Goodbye, {name}.}"
end
)");
    const auto thanks = *s.find_label("thanks");
    const parley::slot_value slots[] = {{"name", "Константин Константинович"}};
    parley::session call(s);
    (void)call.step(thanks, 1.0, slots);  // the render buffer grows to the longest wording
    const auto before = allocations;
    for (int i = 0; i < 100; ++i) {
        CHECK(call.step(thanks).phrase == "Thank you. ");
        CHECK(call.step(thanks, 1.0, slots).phrase == "Thank you, Константин Константинович. Goodbye, Константин Константинович.");
    }
    CHECK(allocations - before == 0);
}
