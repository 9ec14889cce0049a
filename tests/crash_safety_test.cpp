// A host that snapshots every session after every step can be killed at any moment and resume
// all its calls from the snapshots, with replies identical to an uninterrupted run.
#include "fixtures.hpp"

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

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
    if (auto timer = call->advance(std::max(it.at, call->now()))) out = std::string(timer->phrase) + " | ";
    if (call->ended()) return out + "ended by timer";
    std::vector<parley::slot_value> slots;
    for (const auto& [k, v] : it.slots) slots.push_back({k, v});
    const auto r = call->step(std::string_view(it.label), it.confidence, slots);
    return out + std::string(r.state_name) + " " + std::string(to_string(r.action)) + " " + std::string(r.phrase);
}

void save(const std::filesystem::path& dir, std::uint32_t call, std::size_t index, const std::string& snapshot) {
    const auto final_path = dir / ("call-" + std::to_string(call));
    const auto temp = dir / ("call-" + std::to_string(call) + ".tmp");
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        out << index << '\n' << snapshot;
    }
    std::filesystem::rename(temp, final_path);  // atomic: a reader sees the old or the new snapshot
}

}  // namespace

TEST_CASE("calls resume from per-step snapshots after the host is killed", "[session][snapshot][crash]") {
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    REQUIRE(compiled.script);
    const auto& s = *compiled.script;
    constexpr std::size_t calls = 50, count = 4000;
    const auto stream = make_stream(s, calls, count);

    std::vector<std::string> expected;
    {
        std::vector<std::optional<parley::session>> sessions(calls);
        for (const auto& it : stream) expected.push_back(host_step(s, sessions[it.call], it));
    }

    for (int kill_after_ms : {1, 5, 20}) {
        char pattern[] = "/tmp/parley-crash-XXXXXX";
        REQUIRE(mkdtemp(pattern));
        const std::filesystem::path dir(pattern);
        const pid_t child = fork();
        REQUIRE(child >= 0);
        if (child == 0) {  // the host: step, snapshot, step, snapshot ... slowly enough to be killed
            std::vector<std::optional<parley::session>> sessions(calls);
            for (std::size_t i = 0; i < stream.size(); ++i) {
                (void)host_step(s, sessions[stream[i].call], stream[i]);
                save(dir, stream[i].call, i, sessions[stream[i].call]->snapshot());
            }
            _exit(0);
        }
        usleep(static_cast<useconds_t>(kill_after_ms * 1000));
        kill(child, SIGKILL);
        int status = 0;
        waitpid(child, &status, 0);

        // Resume: each call from its last snapshot, then replay the rest of the stream.
        std::vector<std::optional<parley::session>> sessions(calls);
        std::vector<std::optional<std::size_t>> done(calls);
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const auto name = entry.path().filename().string();
            if (name.ends_with(".tmp")) continue;  // a write the kill interrupted: never renamed
            const auto call = static_cast<std::uint32_t>(std::stoul(name.substr(5)));
            std::ifstream in(entry.path(), std::ios::binary);
            std::size_t index = 0;
            in >> index;
            in.get();
            std::ostringstream bytes;
            bytes << in.rdbuf();
            sessions[call].emplace(parley::session::restore(s, bytes.str()));
            done[call] = index;
        }
        std::size_t resumed = 0, replayed = 0;
        for (std::size_t i = 0; i < stream.size(); ++i) {
            const auto call = stream[i].call;
            if (done[call] && i <= *done[call]) continue;
            if (done[call]) ++resumed;
            ++replayed;
            REQUIRE(host_step(s, sessions[call], stream[i]) == expected[i]);
        }
        INFO("killed after " << kill_after_ms << " ms; replayed " << replayed << " steps, " << resumed << " of resumed calls");
        CHECK(replayed > 0);
        std::filesystem::remove_all(dir);
    }
}
