// Writes a deterministic JSON Lines stream of interleaved calls for `parley run` and
// `parley bench` on the default script: make_stream LINES CALLS [BAD_PERCENT] [SEED]
// CALLS calls are live at once; each lasts 5 to 20 lines, then a new call takes its place.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: make_stream LINES CALLS [BAD_PERCENT] [SEED]\n");
        return 2;
    }
    const auto lines = std::strtoull(argv[1], nullptr, 10);
    const auto calls = std::strtoull(argv[2], nullptr, 10);
    const double bad = argc > 3 ? std::strtod(argv[3], nullptr) : 0.0;
    std::mt19937_64 rng(argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 1);
    // Weighted towards what callers mostly do; terminal intents are rare.
    static const std::pair<const char*, int> intents[] = {
        {"greeting", 8},      {"state_purpose", 14},    {"give_name", 8},    {"complaint", 6},
        {"anger", 5},         {"venting", 6},           {"unclear", 4},      {"rambling", 4},
        {"accept", 8},        {"decline", 5},           {"didnt_catch", 4},  {"rapid_questions", 3},
        {"no_time", 3},       {"reject_terms", 3},      {"reject_all", 2},   {"call_later", 1},
        {"off_topic", 1},     {"personal_question", 1}, {"interrupting", 2}, {"demand_manager_contact", 1},
        {"out_of_script", 2}, {"silence", 1},           {"thanks", 1},       {"insult", 1}};
    std::vector<const char*> bag;
    for (const auto& [name, weight] : intents) bag.insert(bag.end(), static_cast<std::size_t>(weight), name);
    std::vector<double> clock(calls, 0.0);
    std::vector<unsigned> left(calls, 0), generation(calls, 0);
    std::string out;
    out.reserve(1 << 22);
    auto o = std::back_inserter(out);
    for (unsigned long long i = 0; i < lines; ++i) {
        const auto slot = rng() % calls;
        const auto call = fmt::format("{}-{}", slot, generation[slot]);
        if (bad > 0 && double(rng() % 10000) < bad * 100) {
            switch (rng() % 3) {
                case 0: fmt::format_to(o, "{{\"call\": \"call-{}\", \"intent\": \n", call); break;
                case 1: fmt::format_to(o, "{{\"intent\": \"greeting\"}}\n"); break;
                default: fmt::format_to(o, "{{\"call\": \"call-{}\", \"intent\": \"no_such_intent\"}}\n", call);
            }
        } else if (left[slot] == 0) {
            left[slot] = static_cast<unsigned>(5 + rng() % 16);
            clock[slot] = 0.0;
            fmt::format_to(o, "{{\"call\": \"call-{}\", \"event\": \"pickup\", \"at\": 0}}\n", call);
        } else {
            if (--left[slot] == 0) ++generation[slot];
            const char* intent = bag[rng() % bag.size()];
            clock[slot] += double(rng() % 15 + 1);
            const double confidence = rng() % 20 == 0 ? 0.45 : 0.9 + double(rng() % 10) / 100.0;
            std::string slots;
            if (std::string_view(intent) == "give_name") slots = fmt::format(", \"slots\": {{\"name\": \"Имя{}\"}}", slot % 97);
            if (std::string_view(intent) == "complaint")
                slots = rng() % 2 ? ", \"slots\": {\"fault\": \"company\"}" : ", \"slots\": {\"fault\": \"caller\"}";
            fmt::format_to(o, "{{\"call\": \"call-{}\", \"intent\": \"{}\", \"confidence\": {:.2f}, \"at\": {}{}}}\n", call, intent,
                           confidence, clock[slot], slots);
        }
        if (out.size() > (1 << 22) - 512) {
            std::fwrite(out.data(), 1, out.size(), stdout);
            out.clear();
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
}
