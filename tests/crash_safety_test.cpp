// A host that snapshots every session after every step can stop after any step and resume all
// its calls from the snapshot bytes alone, with replies identical to an uninterrupted run.
// Checked at every step k of a stream, deterministically: snapshot all sessions after step k,
// restore them in a new host (with its own compile of the script, as after a restart), replay
// the stream from step k + 1 and compare every reply.
#include "fixtures.hpp"

#include <random>

namespace {

struct item {
    std::uint32_t call;
    std::string label;
    double confidence;
    double at;
    std::vector<std::pair<std::string, std::string>> slots;
};

std::vector<item> make_stream(const parley::script& s, std::size_t calls, std::size_t count) {
    std::mt19937 rng(1234);
    std::vector<double> clock(calls, 0.0);
    std::vector<item> out;
    for (std::size_t i = 0; i < count; ++i) {
        item it;
        it.call = static_cast<std::uint32_t>(rng() % calls);
        it.label = std::string(s.label_name(static_cast<parley::label_id>(rng() % s.label_count())));
        it.confidence = rng() % 10 == 0 ? 0.3 : 1.0;
        clock[it.call] += double(rng() % 30);
        it.at = clock[it.call];
        if (it.label == "give_name") it.slots = {{"name", "Caller " + std::to_string(it.call)}};
        if (it.label == "complaint") it.slots = {{"fault", rng() % 2 ? "company" : "caller"}};
        out.push_back(std::move(it));
    }
    return out;
}

// One step of the host: a new call when the previous one ended; the reply as text.
std::string host_step(const parley::script& s, std::optional<parley::session>& call, const item& it) {
    if (!call || call->ended()) call.emplace(s);
    std::string out;
    call->advance(std::max(it.at, call->now()), [&](const parley::reply& timer) { out += std::string(timer.phrase) + " | "; });
    if (call->ended()) return out + "ended by timer";
    std::vector<parley::slot_value> slots;
    for (const auto& [k, v] : it.slots) slots.push_back({k, v});
    const auto r = call->step(std::string_view(it.label), it.confidence, slots);
    return out + std::string(r.state_name()) + " " + std::string(to_string(r.action)) + " " + std::string(r.phrase);
}

// A host's calls, and what it persists of them: the bytes of each call's snapshot, if it started.
using calls_in_progress = std::vector<std::optional<parley::session>>;
using saved_calls = std::vector<std::optional<std::string>>;

saved_calls save(const calls_in_progress& calls) {
    saved_calls out;
    for (const auto& call : calls) out.push_back(call ? std::optional(call->snapshot()) : std::nullopt);
    return out;
}

calls_in_progress resume(const parley::script& s, const saved_calls& saved) {
    calls_in_progress out;
    for (const auto& bytes : saved) out.push_back(bytes ? std::optional(parley::session::restore(s, *bytes)) : std::nullopt);
    return out;
}

}  // namespace

TEST_CASE("calls resume from the snapshots taken after any step with the same replies", "[session][snapshot][crash]") {
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    REQUIRE(compiled.script);
    const auto& s = *compiled.script;
    auto recompiled = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    REQUIRE(recompiled.script);
    // Every k replays the rest of the stream: quadratic, so a stream short enough for the
    // sanitizer build, with calls long enough to end and start again.
    constexpr std::size_t calls = 20, count = 1000;
    const auto stream = make_stream(s, calls, count);

    std::vector<std::string> expected;
    std::vector<saved_calls> saved_after;
    {
        calls_in_progress host(calls);
        for (const auto& it : stream) {
            expected.push_back(host_step(s, host[it.call], it));
            saved_after.push_back(save(host));
        }
    }

    const auto initial = parley::session(s).state();
    std::size_t resumed_mid_call = 0;
    for (std::size_t k = 0; k < stream.size(); ++k) {
        auto host = resume(*recompiled.script, saved_after[k]);
        for (const auto& call : host) resumed_mid_call += call && !call->ended() && call->state() != initial;
        for (std::size_t i = k + 1; i < stream.size(); ++i) {
            const auto reply = host_step(*recompiled.script, host[stream[i].call], stream[i]);
            if (reply != expected[i]) {
                INFO("resumed after step " << k << ", step " << i << " of call " << stream[i].call);
                REQUIRE(reply == expected[i]);
            }
        }
    }
    CHECK(resumed_mid_call > count);  // the snapshots caught calls in the middle, not only at their start
}
