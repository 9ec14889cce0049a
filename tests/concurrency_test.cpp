// One script, many threads: results must equal a single-threaded run (and pass under TSan).
#include "fixtures.hpp"

#include <cstdint>
#include <thread>
#include <vector>

namespace {

// A deterministic call: its steps follow from the call's number alone.
std::uint64_t run_calls(const parley::script& s, std::uint32_t first, std::uint32_t count) {
    static constexpr const char* labels[] = {"greeting", "give_name", "complaint", "insult",
                                             "silence",  "accept",    "decline",   "tech_failure"};
    std::vector<parley::label_id> ids;
    for (const char* l : labels) ids.push_back(*s.find_label(l));
    std::uint64_t digest = 1469598103934665603ULL;
    auto mix = [&](std::string_view text) {
        for (unsigned char c : text) digest = (digest ^ c) * 1099511628211ULL;
    };
    for (std::uint32_t call = first; call < first + count; ++call) {
        parley::session session(s, {.language = call % 3 ? "ru" : "en"});
        mix(session.start().phrase);
        std::uint32_t x = call * 2654435761u + 1;
        const parley::slot_value slots[] = {{"name", "Ольга"}, {"fault", "caller"}};
        for (int step = 0; step < 12 && !session.ended(); ++step) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            if (x % 7 == 0) {
                session.advance(session.now() + 35.0, [&](const parley::reply& timer) { mix(timer.phrase); });
                if (session.ended()) break;
            }
            auto r = session.step(ids[x % ids.size()], (x >> 8) % 10 / 10.0, slots);
            mix(r.phrase);
            mix(r.state_name());
        }
    }
    return digest;
}

}  // namespace

TEST_CASE("8 threads x 10,000 sessions on one script give the single-threaded results", "[session][concurrency]") {
    const auto& s = parley::test::small();
    constexpr std::uint32_t threads = 8, per_thread = 10'000;
    std::vector<std::uint64_t> expected(threads), actual(threads);
    for (std::uint32_t i = 0; i < threads; ++i) expected[i] = run_calls(s, i * per_thread, per_thread);
    std::vector<std::thread> pool;
    for (std::uint32_t i = 0; i < threads; ++i) pool.emplace_back([&, i] { actual[i] = run_calls(s, i * per_thread, per_thread); });
    for (auto& t : pool) t.join();
    CHECK(actual == expected);
}
