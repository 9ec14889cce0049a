// session::step has two paths: the quick one, which an untraced step with an interned label takes
// when the compiler found its cell simple enough (lower_plans), and the full one, which every
// traced step takes. They must answer alike, step for step, and leave the call alike: on every
// shipped script, random streams go through one session stepped untraced and a twin stepped
// traced, and each reply and each snapshot must be the same.
#include "catch.hpp"
#include "fixtures.hpp"

#include <parley/compiler.hpp>
#include <parley/session.hpp>

#include <random>
#include <string>
#include <vector>

namespace {

struct outcome {
    std::string phrase, state, hint, rule, actions, error;
    parley::action action = parley::action::continue_;
    bool ended = false;
    bool operator==(const outcome&) const = default;
};

outcome outcome_of(const parley::reply& r) {
    outcome o{std::string(r.phrase), std::string(r.state_name()), std::string(r.hint()), {}, {}, {}, r.action, r.ended};
    const auto rule = r.rule();
    o.rule = std::string(rule.file) + ":" + std::to_string(rule.line);
    for (const auto& a : r.actions) {
        o.actions += std::string(a.name) + "(";
        for (const auto& arg : a.arguments) o.actions += std::string(arg.name) + "=" + std::string(arg.value) + ",";
        o.actions += ")";
    }
    return o;
}

template <class Step>
outcome attempt(Step&& step) {
    try {
        return outcome_of(step());
    } catch (const parley::session_error& e) {
        outcome o;
        o.error = std::to_string(static_cast<int>(e.code()));
        return o;
    }
}

void check_paths_agree(const parley::script& script, std::uint64_t seed, int steps, const parley::session_options& options = {}) {
    std::mt19937_64 rng(seed);
    parley::session quick(script, options), full(script, options);
    parley::step_trace trace;
    (void)quick.start();
    (void)full.start();
    static const std::vector<std::string> values = {"", "7", "42", "gold", "Ana", "Ольга", "доставка", "company", "caller", "yes"};
    static const double confidences[] = {1.0, 0.95, 0.9, 0.8, 0.7, 0.6, 0.55, 0.45, 0.2, 0.0};
    double now = 0;
    for (int n = 0; n < steps; ++n) {
        if (quick.ended()) {
            REQUIRE(full.ended());
            quick.reset(options);
            full.reset(options);
            now = 0;
            (void)quick.start();
            (void)full.start();
        }
        if (rng() % 10 == 0) {  // time passes, and timers fire alike
            now += double(rng() % 30);
            std::vector<outcome> fired_quick, fired_full;
            quick.advance(now, [&](const parley::reply& r) { fired_quick.push_back(outcome_of(r)); });
            full.advance(now, [&](const parley::reply& r) { fired_full.push_back(outcome_of(r)); });
            REQUIRE(fired_quick == fired_full);
            continue;
        }
        const auto label = static_cast<parley::label_id>(rng() % script.label_count());
        const double confidence = confidences[rng() % std::size(confidences)];
        std::vector<std::string> names;
        std::vector<parley::slot_value> slots;
        if (script.slot_count() > 0)
            for (auto k = rng() % 3; k > 0; --k) names.emplace_back(script.slot_name(rng() % script.slot_count()));
        for (const auto& name : names) slots.push_back({name, values[rng() % values.size()]});
        INFO("step " << n << ": " << script.label_name(label) << " at " << confidence << " with " << slots.size() << " slots in "
                     << quick.state_name());
        const auto a = attempt([&] { return quick.step(label, confidence, slots); });
        const auto b = attempt([&] { return full.step(label, confidence, slots, trace); });
        CHECK(a == b);
        REQUIRE(a.phrase == b.phrase);
        REQUIRE(a.state == b.state);
        REQUIRE(quick.snapshot() == full.snapshot());
    }
}

parley::script compiled(const std::string& path) {
    auto c = parley::compile_file(path);
    REQUIRE(c.script);
    return *c.script;
}

}  // namespace

TEST_CASE("the quick and the full step agree on every shipped script", "[session][paths]") {
    const std::string root = PARLEY_SOURCE_DIR;
    const char* files[] = {"rules/callcenter.rules",           "rules/outbound.rules",   "examples/retail/retail.rules",
                           "benchmarks/peer/peer_graph.rules", "tests/cli/timers.rules", "tests/cli/values.rules",
                           "tests/cli/actions.rules"};
    std::uint64_t seed = 1;
    for (const char* file : files) {
        SECTION(file) {
            const auto script = compiled(root + "/" + file);
            for (int stream = 0; stream < 4; ++stream) check_paths_agree(script, seed++, 5000);
        }
    }
}

TEST_CASE("the quick and the full step agree on the runtime fixture", "[session][paths]") {
    auto c = parley::compile_string(std::string(parley::test::small_script), "small.rules");
    REQUIRE(c.script);
    for (std::uint64_t seed = 100; seed < 104; ++seed) check_paths_agree(*c.script, seed, 5000);
}

// What the quick path reads from the compiler's plans: a phrase said as written in every language
// (plan_said: one text, or a translation missing, so that the fallback's is the same), the state
// where questions are asked, which handlers may also enter with no question waiting, and direct
// cells (a plain handler that says such a phrase) that stay, hold, end the call or leave a hold.
TEST_CASE("the quick and the full step agree in every language, in and out of the confirmation state", "[session][paths]") {
    const auto script = parley::test::compile_or_fail(R"(setting language = en
setting fallback = en
setting threshold = 0.5
setting hold_timeout = 40
intent query: en "you have a question" ru "у вас вопрос"
intent thanks
intent again
intent accept
intent decline
intent wait
intent back
intent bye
confirm -> confirming
  ask en "So {intent}?" ru "Итак, {intent}?"
  repeat en "Once more?"
end
state intake initial
  on query -> confirming
    say en "Go on." ru "Продолжайте."
  on thanks -> stay
    say en "You are welcome."
  on wait -> holding
    say "Please hold."
  on bye -> done
    say "Bye."
  otherwise -> stay
end
state confirming
  on again -> intake
    say "Again." ru "Снова."
  on thanks -> confirming
end
state holding action hold
  on wait -> holding
  on back -> intake
    say "Thank you for waiting."
  after 30s -> intake
    say "Sorry for the wait."
end
state done action close
)");
    for (const char* language : {"en", "ru"}) {
        SECTION(language) {
            parley::session_options options;
            options.language = language;
            for (std::uint64_t seed = 200; seed < 204; ++seed) check_paths_agree(script, seed, 3000, options);
            parley::session call(script, options);
            (void)call.start();
            const auto thanks = *script.find_label("thanks");
            CHECK(call.step(thanks, 0.9).phrase == "You are welcome.");  // a translation missing: the fallback's
            CHECK(call.step(*script.find_label("query"), 0.9).phrase == (language == std::string("ru") ? "Продолжайте." : "Go on."));
            CHECK(call.step(*script.find_label("again"), 0.9).phrase == (language == std::string("ru") ? "Снова." : "Again."));
            CHECK(call.step(*script.find_label("query"), 0.3).phrase ==
                  (language == std::string("ru") ? "Итак, у вас вопрос?" : "So you have a question?"));
            const auto settled = call.step(*script.find_label("again"), 0.9);  // not a yes: back where it was asked, and `otherwise`
            CHECK(settled.state_name() == "intake");
            CHECK(settled.phrase.empty());
        }
    }
}
