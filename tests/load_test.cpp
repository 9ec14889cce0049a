// parley run under load: interleaved calls with 1% malformed lines mixed in. Every good line is
// answered in order exactly as without the bad lines, every bad line is reported with its number,
// and no call's output is affected by another call's bad line.
#include "catch.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<std::string> run_parley(const std::string& input, int& status) {
    const auto command = fmt::format("'{}' run '{}/rules/callcenter.rules' --input '{}'", PARLEY_CLI, PARLEY_SOURCE_DIR, input);
    std::FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::vector<std::string> lines;
    std::string line;
    char buffer[1 << 16];
    while (std::fgets(buffer, sizeof buffer, pipe)) {
        line += buffer;
        if (!line.empty() && line.back() == '\n') {
            line.pop_back();
            lines.push_back(std::move(line));
            line.clear();
        }
    }
    status = WEXITSTATUS(pclose(pipe));
    return lines;
}

}  // namespace

TEST_CASE("parley run answers every good line of a stream with 1% bad lines exactly as without them", "[cli][load]") {
    if (std::string_view(PARLEY_CLI).empty()) {
        WARN("the CLI is not built (PARLEY_BUILD_CLI=OFF): nothing to load");
        return;
    }
    constexpr std::size_t calls = 2'000, lines = 100'000;
    static const char* intents[] = {"greeting", "give_name",    "state_purpose", "complaint",     "anger",        "venting",
                                    "unclear",  "rambling",     "accept",        "decline",       "didnt_catch",  "rapid_questions",
                                    "no_time",  "reject_terms", "off_topic",     "out_of_script", "answer_found", "thanks"};
    std::mt19937 rng(99);
    std::vector<std::string> clean;
    std::vector<double> clock(calls, 0.0);
    for (std::size_t i = 0; i < lines; ++i) {
        const auto call = rng() % calls;
        const char* label = intents[rng() % std::size(intents)];
        clock[call] += double(rng() % 20);
        const bool event = std::string_view(label) == "answer_found";
        std::string slots;
        if (std::string_view(label) == "give_name") slots = fmt::format(", \"slots\": {{\"name\": \"Имя {}\"}}", call);
        clean.push_back(fmt::format("{{\"call\": \"c{}\", \"{}\": \"{}\", \"confidence\": {}, \"at\": {}{}}}", call,
                                    event ? "event" : "intent", label, rng() % 20 == 0 ? 0.4 : 0.95, clock[call], slots));
    }
    // The same stream with bad lines inserted: broken JSON, no call, unknown intents and bad
    // confidences for live calls (which must leave those calls untouched).
    std::vector<std::string> dirty;
    std::vector<bool> bad;
    for (const auto& line : clean) {
        if (rng() % 100 == 0) {
            const auto call = rng() % calls;
            switch (rng() % 4) {
                case 0: dirty.push_back(line.substr(0, line.size() / 2)); break;
                case 1: dirty.push_back("{\"intent\": \"greeting\"}"); break;
                case 2: dirty.push_back(fmt::format("{{\"call\": \"c{}\", \"intent\": \"no_such_intent\"}}", call)); break;
                case 3: dirty.push_back(fmt::format("{{\"call\": \"c{}\", \"intent\": \"greeting\", \"confidence\": 7}}", call)); break;
            }
            bad.push_back(true);
        }
        dirty.push_back(line);
        bad.push_back(false);
    }
    const auto dir = std::filesystem::temp_directory_path();
    // Names of this process's own: two test runs (two build trees) may run at once.
    const auto clean_path = (dir / fmt::format("parley-load-clean-{}.jsonl", getpid())).string();
    const auto dirty_path = (dir / fmt::format("parley-load-dirty-{}.jsonl", getpid())).string();
    for (auto [path, content] : {std::pair{&clean_path, &clean}, {&dirty_path, &dirty}}) {
        std::ofstream out(*path, std::ios::binary);
        for (const auto& l : *content) out << l << '\n';
    }

    int clean_status = 0, dirty_status = 0;
    const auto clean_out = run_parley(clean_path, clean_status);
    const auto dirty_out = run_parley(dirty_path, dirty_status);
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    INFO("peak RSS of parley run: " << usage.ru_maxrss / 1024 << " MB");
    REQUIRE(clean_out.size() == clean.size());
    REQUIRE(dirty_out.size() == dirty.size());
    CHECK(dirty_status == 1);
    std::size_t good = 0, reported = 0;
    for (std::size_t i = 0; i < dirty.size(); ++i) {
        if (bad[i]) {
            REQUIRE(dirty_out[i].rfind(fmt::format("{{\"line\": {}, ", i + 1), 0) == 0);
            REQUIRE(dirty_out[i].find("\"error\": ") != std::string::npos);
            ++reported;
        } else {
            // An error for a good line (a call that ended) names its own line number, which
            // differs between the two streams: compare the rest.
            auto without_number = [](const std::string& l) { return l.rfind("{\"line\": ", 0) == 0 ? l.substr(l.find(',')) : l; };
            REQUIRE(without_number(dirty_out[i]) == without_number(clean_out[good++]));
        }
    }
    CHECK(good == clean.size());
    CHECK(reported > 500);
    CHECK(usage.ru_maxrss < 1024 * 1024);  // KiB: far below 1 GiB for 2,000 live calls
    std::filesystem::remove(clean_path);
    std::filesystem::remove(dirty_path);
}
