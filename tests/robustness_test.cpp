// Malformed input and documented limits: every case yields a diagnostic or a clear error,
// never a crash, a hang or unbounded work.
#include "fixtures.hpp"

#include <fstream>
#include <random>
#include <sstream>

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

const std::string& default_script() {
    static const std::string text = read(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    return text;
}

bool has_message(const parley::compile_result& r, std::string_view part) {
    for (const auto& d : r.diagnostics)
        if (d.message.find(part) != std::string::npos) return true;
    for (const auto& d : r.diagnostics) UNSCOPED_INFO(parley::format(d));
    return false;
}

// Compiles text that may be anything: every diagnostic still renders. How fast is bench_parse's
// business; a test under sanitizers cannot say.
parley::compile_result compile_anything(std::string_view text) {
    auto r = parley::compile_string(text, "m.rules");
    for (const auto& d : r.diagnostics) (void)parley::format(d);
    return r;
}

}  // namespace

TEST_CASE("the default script cut at any point yields diagnostics, never a crash", "[robustness][parser]") {
    const auto& text = default_script();
    REQUIRE(text.size() > 1000);
    std::size_t with_errors = 0;
    for (std::size_t cut = 0; cut < text.size(); cut += 97) {
        auto r = parley::compile_string(text.substr(0, cut), "cut.rules");
        with_errors += !r.script;
        for (const auto& d : r.diagnostics) {
            CHECK(d.line >= 1);
            (void)parley::format(d);
        }
    }
    CHECK(with_errors > 0);
}

TEST_CASE("stray bytes, invalid UTF-8 and control characters are diagnosed", "[robustness][parser]") {
    parley::compile_result r;
    r = compile_anything("intent hi\nstate a initial\n  on hi -> stay\n    say \"caf\xC3\"\nend\n");
    CHECK_FALSE(r.script);
    CHECK(has_message(r, "invalid UTF-8"));

    r = compile_anything(std::string("intent hi\n\x01\x02 state a initial\nend\n"));
    CHECK_FALSE(r.script);
    CHECK(has_message(r, "expected a statement"));

    r = compile_anything(std::string("intent hi\0\0\0", 12));
    CHECK_FALSE(r.script);

    std::mt19937 rng(42);
    for (int round = 0; round < 200; ++round) {
        std::string noise = default_script().substr(rng() % 5000, 2000);
        for (int k = 0; k < 20; ++k) noise[rng() % noise.size()] = static_cast<char>(rng());
        r = compile_anything(noise);  // any outcome but a crash
    }
}

TEST_CASE("deeply nested guards are refused at the documented limit without exhausting the stack", "[robustness][limits]") {
    parley::compile_result r;
    const std::string deep = "counter c\nintent hi\nstate a initial\n  on hi if " + std::string(100'000, '(') + "c > 1" +
                             std::string(100'000, ')') + " -> stay\nend\n";
    r = compile_anything(deep);
    CHECK(has_message(r, "guard is nested too deeply (the limit is 32)"));

    std::string nots = "counter c\nintent hi\nstate a initial\n  on hi if ";
    for (int i = 0; i < 50'000; ++i) nots += "not ";
    nots += "c > 1 -> stay\nend\n";
    r = compile_anything(nots);
    CHECK(has_message(r, "guard is nested too deeply"));

    std::string fine =
        "counter c\nintent hi\nstate a initial\n  on hi if " + std::string(30, '(') + "c > 1" + std::string(30, ')') + " -> stay\nend\n";
    r = compile_anything(fine);
    CHECK(r.script);
}

TEST_CASE("a 1 MB line is diagnosed", "[robustness][parser]") {
    parley::compile_result r;
    const std::string garbage(1 << 20, 'x');
    r = compile_anything(garbage);
    CHECK_FALSE(r.script);
    const std::string long_phrase = "intent hi\nstate a initial\n  on hi -> stay\n    say \"" + std::string(1 << 20, 'a') + "\"\nend\n";
    r = compile_anything(long_phrase);
    CHECK(has_message(r, "phrase is longer than 4096 bytes"));
}

TEST_CASE("many errors in one file are all reported, up to a cap", "[robustness][parser]") {
    std::string text;
    for (int i = 0; i < 500; ++i) text += "state s" + std::to_string(i) + "\n  on => x\nend\n";
    const auto r = compile_anything(text);
    CHECK(r.diagnostics.size() >= 100);
    CHECK(has_message(r, "too many errors"));
}

TEST_CASE("include depth and file size limits are diagnostics", "[robustness][limits]") {
    parley::compile_options options;
    options.read_file = [](const std::filesystem::path& p) -> std::optional<std::string> {
        const auto name = p.filename().string();  // f0.rules includes f1.rules includes ...
        const int n = std::stoi(name.substr(1));
        return "include \"f" + std::to_string(n + 1) + ".rules\"\n";
    };
    auto deep = parley::compile_string("include \"f1.rules\"\n", "f0.rules", options);
    CHECK(has_message(deep, "includes are nested too deeply (the limit is 16)"));

    parley::compile_options small;
    small.limits.max_file_bytes = 100;
    auto big = parley::compile_string(default_script(), "big.rules", small);
    CHECK_FALSE(big.script);
    CHECK(has_message(big, "file is larger than the limit of 100 bytes"));
}

TEST_CASE("phrase variants and languages have documented limits", "[robustness][limits]") {
    std::string many = "intent hi\nstate a initial\n  on hi -> stay\n    say \"v\"";
    for (int i = 0; i < 70; ++i) many += " | \"v" + std::to_string(i) + "\"";
    many += "\nend\n";
    const auto r = compile_anything(many);
    CHECK(has_message(r, "a phrase may have at most 64 variants"));
}

TEST_CASE("slots per utterance and slot value size are limited with a clear error", "[robustness][limits][session]") {
    parley::session call(parley::test::small());
    std::vector<parley::slot_value> slots(parley::max_slots_per_utterance + 1, parley::slot_value{"name", "x"});
    try {
        (void)call.step("give_name", 1.0, slots);
        FAIL("no error");
    } catch (const parley::session_error& e) {
        CHECK(e.code() == parley::session_errc::limit);
        CHECK(std::string(e.what()) == "an utterance may carry at most 64 slots");
    }
    const std::string huge(parley::max_slot_value_bytes + 1, 'x');
    const parley::slot_value one[] = {{"name", huge}};
    try {
        (void)call.step("give_name", 1.0, one);
        FAIL("no error");
    } catch (const parley::session_error& e) {
        CHECK(e.code() == parley::session_errc::limit);
        CHECK(std::string(e.what()) == "slot 'name' is longer than 4096 bytes");
    }
    CHECK(call.slot("name").empty());  // nothing half-applied
    CHECK(call.step("give_name", 1.0, std::span(slots).first(parley::max_slots_per_utterance)).state_name == "intake");
}

TEST_CASE("forbidden phrases match whole words, in any case and spacing", "[screen]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
forbid "hold on" use "one moment, please"
forbid "алло" use "спасибо за ожидание"
intent hi
state a initial
  on hi -> stay
end
)");
    CHECK(parley::screen(s, "Please HOLD\t  on.").size() == 1);
    CHECK(parley::screen(s, "АЛЛО, вы меня слышите?").size() == 1);
    CHECK(parley::screen(s, "threshold online").empty());  // 'hold on' inside other words
    CHECK(parley::screen(s, "Аллогично").empty());
    const auto hits = parley::screen(s, "Да,  алло");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].column == 6);  // code points as written, both spaces counted
    CHECK(hits[0].offset == std::string_view("Да,  ").size());
}
