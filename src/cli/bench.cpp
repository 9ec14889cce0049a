// parley bench: the step loop alone, on a JSON Lines stream loaded into memory first.
#include "cli.hpp"
#include "input_line.hpp"

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

// A line, interned. `name` (into names) is kept for a label the script does not declare, which
// steps by name as in parley run, and for a line's language.
struct event {
    static constexpr std::uint32_t none = 0xFFFFFFFF;
    std::uint32_t call = 0;
    enum class kind { pickup, tick, step } what = kind::step;
    parley::label_id label = 0;
    std::uint32_t unknown_label = none, language = none;  // into names
    double confidence = 1.0;
    double at = -1;
    std::uint32_t first_slot = 0, slot_count = 0;
};

}  // namespace

int bench(const std::string& file, const std::string& input, int repeat) {
    auto script = load_script(file);
    if (!script) return 1;
    // Load and intern everything first: only the step loop is timed.
    simdjson::dom::parser parser;
    simdjson::padded_string text;
    if (simdjson::padded_string::load(input).get(text) != simdjson::SUCCESS) {
        std::fprintf(stderr, "parley: cannot read '%s'\n", input.c_str());
        return 2;
    }
    std::vector<event> events;
    std::vector<std::string> slot_text;
    std::unordered_map<std::string, std::uint32_t> calls;
    // Lines that parley run would answer with an error before any session sees them; the
    // stepping below counts the ones a session refuses, as parley run does.
    std::size_t bad_lines = 0;
    input_line line;
    std::vector<std::string> names;
    std::unordered_map<std::string, std::uint32_t> name_index;  // each name once, however many lines carry it
    auto intern = [&](std::string_view name) {
        const auto [it, fresh] = name_index.try_emplace(std::string(name), static_cast<std::uint32_t>(names.size()));
        if (fresh) names.emplace_back(name);
        return it->second;
    };
    std::string_view all(text.data(), text.size());
    for (std::size_t start = 0; start < all.size();) {
        auto end = all.find('\n', start);
        if (end == std::string_view::npos) end = all.size();
        auto view = all.substr(start, end - start);
        start = end + 1;
        if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
        std::optional<parley::label_id> id;
        const bool has_label = !line.is_pickup() && !line.is_tick();
        if (!read_input_line(parser, view, line).empty() || (has_label && !resolve_label(*script, line, id).empty())) {
            ++bad_lines;
            continue;
        }
        event e;
        if (has_label && !id) e.unknown_label = intern(line.label());
        if (!line.lang.empty()) e.language = intern(line.lang);
        e.call = calls.emplace(std::string(line.call), static_cast<std::uint32_t>(calls.size())).first->second;
        e.confidence = line.confidence;
        e.at = line.at.value_or(-1.0);
        e.what = line.is_pickup() ? event::kind::pickup : line.is_tick() ? event::kind::tick : event::kind::step;
        if (id) e.label = *id;
        e.first_slot = static_cast<std::uint32_t>(slot_text.size() / 2);
        e.slot_count = static_cast<std::uint32_t>(line.slots.size());
        for (const auto& slot : line.slots) {
            slot_text.emplace_back(slot.name);
            slot_text.emplace_back(slot.value);
        }
        events.push_back(e);
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
            // As parley run answers the line: a line for a call that has ended, or one its session
            // refuses, is a bad line.
            try {
                if (!s) {
                    s.emplace(*script);
                    if (e.language != event::none) {
                        try {
                            s->set_language(names[e.language]);
                        } catch (const parley::session_error&) {
                            s.reset();  // the call is not created, as in parley run
                            throw;
                        }
                    }
                } else if (e.language != event::none) {
                    s->set_language(names[e.language]);
                }
                if (s->ended()) {
                    ++errors;
                } else {
                    if (e.at >= 0) s->advance(e.at, [](const parley::reply&) {});
                    // A tick, or a line after a timer ended the call, is answered with the timers' replies.
                    const auto slots = std::span(slot_views).subspan(e.first_slot, e.slot_count);
                    const bool answered = s->ended() || e.what == event::kind::tick;
                    if (!answered && e.what == event::kind::pickup)
                        (void)s->start();
                    else if (!answered && e.unknown_label != event::none)
                        (void)s->step(std::string_view(names[e.unknown_label]), e.confidence, slots);
                    else if (!answered)
                        (void)s->step(e.label, e.confidence, slots);
                }
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
    // parley run would answer bad_lines + errors of the lines with an error, and exit 1.
    fmt::print("{} steps over {} calls, {} timed repeat(s); {} bad lines, as parley run counts them ({} unreadable, {} refused)\n", steps,
               calls.size(), repeat, bad_lines + errors / std::size_t(repeat + 1), bad_lines, errors / std::size_t(repeat + 1));
    fmt::print("steps per second: {:.0f}\n", double(steps) / total);
    fmt::print("ns per step: p50 {}  p99 {}  (each step timed alone; includes one clock read)\n", percentile(0.50), percentile(0.99));
    fmt::print("bytes per live session: {:.0f} (sizeof {} + heap), over the {} calls live at the end\n",
               live ? double(session_bytes) / double(live) : 0.0, sizeof(parley::session), live);
    return 0;
}

}  // namespace parley::cli
