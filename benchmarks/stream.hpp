// A deterministic stream of classified utterances over interleaved calls of the default
// script, held in memory with everything interned: what bench_step feeds every engine.
#ifndef PARLEY_BENCHMARKS_STREAM_HPP_INCLUDED
#define PARLEY_BENCHMARKS_STREAM_HPP_INCLUDED

#include "baseline.hpp"

#include <parley/script.hpp>
#include <parley/session.hpp>

#include <array>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace parley::bench {

struct stream {
    struct event {
        std::uint32_t call;        // which of the live calls; it restarts when it has ended
        parley::label_id label;    // interned for parley
        std::uint32_t first_slot;  // into slots
        std::uint32_t slot_count;
        hand::input input;  // the same utterance as a hand-written host sees it
    };
    std::vector<event> events;
    std::vector<parley::slot_value> slots;
    std::vector<std::string> names;  // storage for the callers' names
    std::size_t calls = 0;

    [[nodiscard]] std::span<const parley::slot_value> slots_of(const event& e) const noexcept {
        return {slots.data() + e.first_slot, e.slot_count};
    }
};

// `size` utterances over `calls` interleaved calls, weighted towards what callers mostly do;
// one in twenty comes with low confidence and is confirmed first.
inline stream make_stream(const parley::script& script, std::size_t size, std::size_t calls, std::uint64_t seed = 7) {
    using hand::intent;
    static constexpr std::array<std::pair<intent, int>, hand::intent_count> weights = {{{intent::greeting, 6},
                                                                                        {intent::state_purpose, 12},
                                                                                        {intent::give_name, 7},
                                                                                        {intent::complaint, 5},
                                                                                        {intent::anger, 4},
                                                                                        {intent::venting, 5},
                                                                                        {intent::interrupting, 2},
                                                                                        {intent::insult, 1},
                                                                                        {intent::threat, 1},
                                                                                        {intent::demand_manager_contact, 1},
                                                                                        {intent::demand_supervisor, 1},
                                                                                        {intent::unclear, 3},
                                                                                        {intent::rambling, 3},
                                                                                        {intent::off_topic, 2},
                                                                                        {intent::personal_question, 1},
                                                                                        {intent::child, 1},
                                                                                        {intent::out_of_script, 3},
                                                                                        {intent::emergency, 1},
                                                                                        {intent::spam, 1},
                                                                                        {intent::where_are_you, 1},
                                                                                        {intent::no_time, 3},
                                                                                        {intent::reject_terms, 3},
                                                                                        {intent::reject_all, 2},
                                                                                        {intent::accept, 8},
                                                                                        {intent::decline, 5},
                                                                                        {intent::call_later, 2},
                                                                                        {intent::rapid_questions, 2},
                                                                                        {intent::didnt_catch, 3},
                                                                                        {intent::thanks, 2},
                                                                                        {intent::goodbye, 1},
                                                                                        {intent::silence, 2},
                                                                                        {intent::tech_failure, 1},
                                                                                        {intent::operator_unwell, 1},
                                                                                        {intent::answer_found, 3}}};
    static constexpr std::array<std::string_view, 4> topics = {"address", "оплата", "доставка", "подключение"};

    std::array<parley::label_id, hand::intent_count> labels{};
    for (std::size_t i = 0; i < hand::intent_count; ++i) {
        auto id = script.find_label(hand::intent_names[i]);
        if (!id) throw std::runtime_error("the script lacks the intent " + std::string(hand::intent_names[i]));
        labels[i] = *id;
    }
    std::vector<intent> bag;
    for (const auto& [what, weight] : weights) bag.insert(bag.end(), static_cast<std::size_t>(weight), what);

    stream s;
    s.calls = calls;
    s.names.reserve(97);
    for (int i = 0; i < 97; ++i) s.names.push_back("Имя" + std::to_string(i));
    s.events.reserve(size);
    std::mt19937_64 rng(seed);
    for (std::size_t n = 0; n < size; ++n) {
        stream::event e{};
        e.call = static_cast<std::uint32_t>(rng() % calls);
        e.input.what = bag[rng() % bag.size()];
        e.label = labels[static_cast<std::size_t>(e.input.what)];
        e.input.confidence = rng() % 20 == 0 ? 0.45 : 0.9;
        e.first_slot = static_cast<std::uint32_t>(s.slots.size());
        switch (e.input.what) {
            case intent::give_name:
                e.input.name = s.names[e.call % s.names.size()];
                s.slots.push_back({"name", e.input.name});
                break;
            case intent::complaint:
                e.input.fault = rng() % 2 ? "company" : "caller";
                s.slots.push_back({"fault", e.input.fault});
                break;
            case intent::state_purpose:
                if (rng() % 2) {
                    e.input.topic = topics[rng() % topics.size()];
                    s.slots.push_back({"topic", e.input.topic});
                }
                break;
            default: break;
        }
        e.slot_count = static_cast<std::uint32_t>(s.slots.size() - e.first_slot);
        s.events.push_back(e);
    }
    return s;
}

}  // namespace parley::bench

#endif
