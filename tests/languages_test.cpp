// The default script speaks the caller's language: every phrase an English, Estonian or
// Romanian call can hear, host variables included, is free of Cyrillic.
#include "catch.hpp"

#include <parley/parley.hpp>

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

bool has_cyrillic(std::string_view text) {
    // U+0400..U+04FF is encoded as 0xD0 0x80 .. 0xD3 0xBF.
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead >= 0xD0 && lead <= 0xD3) return true;
    }
    return false;
}

const parley::script& callcenter() {
    static const parley::script s = [] {
        auto result = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
        if (!result.script) throw parley::compile_error(result.diagnostics);
        return *result.script;
    }();
    return s;
}

}  // namespace

TEST_CASE("every phrase an en, et or ro call of the default script can hear is in Latin script", "[languages]") {
    const auto& s = callcenter();
    const parley::slot_value slots[] = {{"name", "Ana"}, {"topic", "billing"}};
    for (const char* language : {"en", "et", "ro"}) {
        // Breadth first over the calls the script allows: every label, sure and doubtful, and
        // the next timer, from every distinct call seen (by snapshot), a few thousand of them.
        std::deque<std::string> todo;
        std::set<std::string> seen;
        parley::session first(s, {.language = language});
        std::size_t checked = 0;
        auto check = [&](const parley::reply& r, std::string_view what) {  // the message is made only for a failure
            ++checked;
            if (has_cyrillic(r.phrase))
                FAIL_CHECK(language << ": " << what << " in state " << r.state_name() << " (rule line " << r.rule().line
                                    << ") says: " << r.phrase);
        };
        check(first.start(), "the pickup");
        todo.push_back(first.snapshot());
        seen.insert(todo.back());
        std::size_t explored = 0;
        while (!todo.empty() && explored < 4000) {
            const auto bytes = todo.front();
            todo.pop_front();
            ++explored;
            auto follow = [&](parley::session& next) {
                if (next.ended()) return;
                auto snap = next.snapshot();
                if (seen.insert(snap).second) todo.push_back(std::move(snap));
            };
            const auto here = parley::session::restore(s, bytes);
            for (parley::label_id l = 0; l < s.label_count(); ++l)
                for (double confidence : {1.0, 0.3}) {
                    auto next = here;
                    check(next.step(l, confidence, slots), s.label_name(l));
                    follow(next);
                }
            auto waiting = here;
            if (auto due = waiting.next_deadline()) {
                waiting.advance(*due, [&](const parley::reply& r) { check(r, "a timer"); });
                follow(waiting);
            }
        }
        CHECK(explored > 100);
        CHECK(checked > explored * s.label_count());
    }
}

TEST_CASE("parley run --lang en, et or ro on the default script speaks no Cyrillic", "[languages][cli]") {
    if (std::string_view(PARLEY_CLI).empty()) {
        WARN("the CLI is not built (PARLEY_BUILD_CLI=OFF)");
        return;
    }
    const auto& s = callcenter();
    std::mt19937 rng(7);
    // A name of this process's own: two test runs (two build trees) may run at once.
    const auto input = std::filesystem::temp_directory_path() / fmt::format("parley-languages-{}.jsonl", getpid());
    {
        std::ofstream out(input);
        std::vector<double> clock(50, 0.0);
        for (int i = 0; i < 20'000; ++i) {
            const auto call = rng() % clock.size();
            const auto label = static_cast<parley::label_id>(rng() % s.label_count());
            clock[call] += double(rng() % 40);
            out << fmt::format(R"({{"call": "c{}-{}", "{}": "{}", "confidence": {}, "at": {}, "slots": {{"name": "Ana"}}}})", call,
                               i / 2000, s.is_event(label) ? "event" : "intent", s.label_name(label), rng() % 5 == 0 ? 0.3 : 1.0,
                               clock[call])
                << '\n';
            if (i % 2000 == 1999) std::fill(clock.begin(), clock.end(), 0.0);  // new call ids from here on
        }
    }
    for (const char* language : {"en", "et", "ro"}) {
        const auto command = fmt::format("'{}' run '{}/rules/callcenter.rules' --lang {} --input '{}'", PARLEY_CLI, PARLEY_SOURCE_DIR,
                                         language, input.string());
        std::FILE* pipe = popen(command.c_str(), "r");
        REQUIRE(pipe);
        std::size_t lines = 0, cyrillic = 0;
        std::string first_bad;
        char buffer[1 << 16];
        while (std::fgets(buffer, sizeof buffer, pipe)) {
            ++lines;
            // Hints are for the operator and may stay in the script's language; phrases may not.
            std::string_view line(buffer);
            for (auto at = line.find("\"phrase\": \""); at != std::string_view::npos; at = line.find("\"phrase\": \"", at + 1)) {
                const auto begin = at + 11;
                const auto end = line.find('"', begin);
                if (has_cyrillic(line.substr(begin, end - begin))) {
                    if (cyrillic++ == 0) first_bad = std::string(line);
                }
            }
        }
        pclose(pipe);
        INFO(language << ": " << first_bad);
        CHECK(lines == 20'000);
        CHECK(cyrillic == 0);
    }
    std::filesystem::remove(input);
}
