// parley bench: the step loop alone, on a JSON Lines stream loaded into memory first.
#include "cli.hpp"

#include <parley/session.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace parley::cli {

namespace {

struct event {
    std::uint32_t call = 0;
    enum class kind { pickup, tick, step } what = kind::step;
    parley::label_id label = 0;
    double confidence = 1.0;
    double at = -1;
    std::uint32_t first_slot = 0, slot_count = 0;
};

}  // namespace

int bench(const std::string& file, const std::string& input, int repeat) {
    auto script = load_script(file);
    if (!script) return 1;
    // Load and intern everything first: only the step loop is timed.
    simdjson::ondemand::parser parser;
    simdjson::padded_string text;
    if (simdjson::padded_string::load(input).get(text) != simdjson::SUCCESS) {
        std::fprintf(stderr, "parley: cannot read '%s'\n", input.c_str());
        return 2;
    }
    std::vector<event> events;
    std::vector<std::string> slot_text;
    std::unordered_map<std::string, std::uint32_t> calls;
    std::size_t skipped = 0;
    std::string_view all(text.data(), text.size());
    for (std::size_t start = 0; start < all.size();) {
        auto end = all.find('\n', start);
        if (end == std::string_view::npos) end = all.size();
        const auto line = all.substr(start, end - start);
        start = end + 1;
        try {
            simdjson::padded_string padded(line);
            auto doc = parser.iterate(padded);
            event e;
            std::string_view call, label;
            bool is_event = false;
            std::vector<std::string> slots;
            for (auto field : doc.get_object()) {
                const std::string_view key = field.unescaped_key();
                if (key == "call")
                    call = field.value().get_string();
                else if (key == "intent")
                    label = field.value().get_string();
                else if (key == "event")
                    label = field.value().get_string(), is_event = true;
                else if (key == "confidence")
                    e.confidence = field.value().get_double();
                else if (key == "at")
                    e.at = field.value().get_double();
                else if (key == "slots")
                    for (auto slot : field.value().get_object()) {
                        slots.emplace_back(std::string_view(slot.unescaped_key()));
                        slots.emplace_back(std::string_view(slot.value().get_string()));
                    }
            }
            if (call.empty() || label.empty()) throw std::runtime_error("incomplete");
            e.call = calls.emplace(std::string(call), static_cast<std::uint32_t>(calls.size())).first->second;
            if (is_event && label == "pickup")
                e.what = event::kind::pickup;
            else if (is_event && label == "tick")
                e.what = event::kind::tick;
            else {
                auto id = script->find_label(label);
                if (!id) throw std::runtime_error("unknown label");
                e.label = *id;
            }
            e.first_slot = static_cast<std::uint32_t>(slot_text.size() / 2);
            e.slot_count = static_cast<std::uint32_t>(slots.size() / 2);
            for (auto& s : slots) slot_text.push_back(std::move(s));
            events.push_back(e);
        } catch (const std::exception&) {
            ++skipped;
        }
    }
    std::vector<parley::slot_value> slot_views;
    for (std::size_t i = 0; i + 1 < slot_text.size(); i += 2) slot_views.push_back({slot_text[i], slot_text[i + 1]});

    using clock = std::chrono::steady_clock;
    std::vector<std::uint32_t> ns;
    ns.reserve(events.size());
    std::size_t steps = 0, live = 0, session_bytes = 0, errors = 0;
    double total = 0;
    // Repeat 0 is timed step by step for the percentiles; the others, untimed inside the loop,
    // give the throughput (two clock reads per step would otherwise be counted as work).
    for (int round = 0; round <= repeat; ++round) {
        const bool per_step = round == 0;
        std::vector<std::optional<parley::session>> sessions(calls.size());
        const auto round_start = clock::now();
        for (const auto& e : events) {
            auto& s = sessions[e.call];
            const auto t0 = per_step ? clock::now() : clock::time_point{};
            try {
                if (!s)
                    s.emplace(*script);
                else if (s->ended())
                    s->reset();  // the line's next call reuses the session and its buffers
                if (e.at >= 0) s->advance(std::max(e.at, s->now()), [](const parley::reply&) {});
                if (e.what == event::kind::pickup)
                    (void)s->start();
                else if (e.what == event::kind::step && !s->ended())
                    (void)s->step(e.label, e.confidence, std::span(slot_views).subspan(e.first_slot, e.slot_count));
            } catch (const parley::session_error&) {
                ++errors;
            }
            if (per_step)
                ns.push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count()));
        }
        if (per_step) {
            for (const auto& s : sessions)
                if (s && !s->ended()) session_bytes += sizeof(parley::session) + s->heap_bytes(), ++live;
            continue;
        }
        total += std::chrono::duration<double>(clock::now() - round_start).count();
        steps += events.size();
    }
    std::sort(ns.begin(), ns.end());
    auto percentile = [&](double p) {
        return ns.empty() ? 0u : ns[std::min(ns.size() - 1, static_cast<std::size_t>(p * double(ns.size())))];
    };
    fmt::print("{} steps over {} calls ({} lines skipped, {} step errors per pass), {} timed repeat(s)\n", steps, calls.size(), skipped,
               errors / std::size_t(repeat + 1), repeat);
    fmt::print("steps per second: {:.0f}\n", double(steps) / total);
    fmt::print("ns per step: p50 {}  p99 {}  (each step timed alone; includes one clock read)\n", percentile(0.50), percentile(0.99));
    fmt::print("bytes per live session: {:.0f} (sizeof {} + heap), over the {} calls live at the end\n",
               live ? double(session_bytes) / double(live) : 0.0, sizeof(parley::session), live);
    return 0;
}

}  // namespace parley::cli
