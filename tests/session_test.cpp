#include "fixtures.hpp"

#include <fmt/format.h>

#include <random>
#include <vector>

using parley::action;
using parley::session;
using parley::session_errc;
using parley::session_error;
using parley::test::advance_all;
using parley::test::small;

namespace {
session_errc error_of(auto&& f) {
    try {
        f();
    } catch (const session_error& e) {
        return e.code();
    }
    FAIL("no session_error was thrown");
    return session_errc::limit;
}
}  // namespace

TEST_CASE("start says the initial state's entry phrase with variables rendered", "[session]") {
    session call(small());
    auto r = call.start();
    CHECK(r.phrase == "Здравствуйте! Компания Ромашка, меня зовут Анна.");
    CHECK(r.state_name() == "intake");
    CHECK(r.action == action::continue_);
    CHECK(r.rule().file == "small.rules");
    CHECK(r.rule().line > 0);
}

TEST_CASE("per-call options override variables, set the language and preload slots", "[session]") {
    session call(small(), {.language = "en", .variables = {{"company", "Acme"}}, .slots = {{"name", "Olga"}}});
    CHECK(call.start().phrase == "Hello! Acme, this is Анна.");
    CHECK(call.slot("name") == "Olga");
    CHECK(error_of([&] { session(small(), {.language = "xx"}); }) == session_errc::bad_language);
    CHECK(error_of([&] { session(small(), {.variables = {{"nope", "1"}}}); }) == session_errc::bad_variable);
    CHECK(error_of([&] { session(small(), {.slots = {{"nope", "1"}}}); }) == session_errc::bad_slot);
}

TEST_CASE("a handler keeps a slot from the utterance and renders it in its phrase", "[session]") {
    session call(small());
    (void)call.start();
    const parley::slot_value slots[] = {{"name", "Ольга"}};
    auto r = call.step("give_name", 1.0, slots);
    CHECK(r.phrase == "Очень приятно, Ольга!");
    CHECK(r.state_name() == "intake");
    CHECK(call.slot("name") == "Ольга");
}

TEST_CASE("a lent buffer receives rendered phrases and the session keeps none", "[session]") {
    session call(small());
    std::string buffer;
    const parley::slot_value slots[] = {{"name", "Ольга Константиновна Иванова-Петрова"}};
    auto r = call.step(*small().find_label("give_name"), 1.0, slots, buffer);
    CHECK(r.phrase == "Очень приятно, Ольга Константиновна Иванова-Петрова!");
    CHECK(r.phrase.data() == buffer.data());
    auto greeting = call.start(buffer);
    CHECK(greeting.phrase == "Здравствуйте! Компания Ромашка, меня зовут Анна.");
    auto by_name = call.step("give_name", 1.0, slots, buffer);  // every entry point takes the buffer
    CHECK(by_name.phrase.data() == buffer.data());
    auto interned = call.step(parley::utterance{*small().find_label("give_name"), 1.0, slots}, buffer);
    CHECK(interned.phrase.data() == buffer.data());
    // Only the kept slot is on the session's heap: no rendered text.
    const std::size_t slot_bytes = call.heap_bytes();
    session same(small());
    (void)same.step(*small().find_label("give_name"), 1.0, slots);
    CHECK(same.heap_bytes() > slot_bytes);
}

TEST_CASE("a session is one cache line and, with a few counters and a short caller's name, owns no heap", "[session]") {
    STATIC_REQUIRE(sizeof(parley::session) == 64);
    session call(small());
    CHECK(call.heap_bytes() == 0);
    // The peer benchmark's graph: four counters and the caller's name, inline.
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/benchmarks/peer/peer_graph.rules");
    REQUIRE(compiled.script);
    for (const char* name : {"Alex", "Fatima"}) {
        session caller(*compiled.script, {.variables = {{"caller_name", name}}});
        CHECK(caller.heap_bytes() == 0);
        CHECK(caller.variable("caller_name") == name);
        (void)caller.step(*compiled.script->find_label("insult"), 0.9);
        CHECK(caller.counter("warnings") == 1);
        CHECK(caller.heap_bytes() == 0);
    }
}

TEST_CASE("variants rotate and never repeat twice in a row", "[session]") {
    session call(small());
    std::vector<std::string> said;
    for (int i = 0; i < 7; ++i) said.emplace_back(call.step("greeting").phrase);
    CHECK(said[0] == "Слушаю вас.");
    CHECK(said[1] == "Да, говорите.");
    CHECK(said[2] == "Я вас слушаю.");
    CHECK(said[3] == "Слушаю вас.");
    for (std::size_t i = 1; i < said.size(); ++i) CHECK(said[i] != said[i - 1]);
}

TEST_CASE("a missing language falls back to the declared fallback language", "[session]") {
    session call(small(), {.language = "en"});
    CHECK(call.step("greeting").phrase == "I am listening.");
    CHECK(call.step("greeting").phrase == "Yes, go ahead.");
    CHECK(call.step("greeting").phrase == "Я вас слушаю.");  // the third variant has only ru
}

TEST_CASE("guards see the utterance's slots and the first matching handler wins", "[session]") {
    const parley::slot_value caller[] = {{"fault", "caller"}};
    session at_fault(small());
    auto r = at_fault.step("complaint", 1.0, caller);
    CHECK(r.state_name() == "de_escalate");
    CHECK(r.phrase == "Мы всегда стараемся работать лучше.");
    CHECK(at_fault.slot("fault").empty());  // not kept

    session company(small());
    const parley::slot_value theirs[] = {{"fault", "company"}};
    auto c = company.step("complaint", 1.0, theirs);
    CHECK(c.state_name() == "de_escalate");
    CHECK(c.phrase == "Извините за неудобства.");  // no phrase on the handler: the entry phrase
}

TEST_CASE("global handlers warn once and then hang up", "[session]") {
    session call(small());
    auto first = call.step("insult");
    CHECK(first.state_name() == "intake");
    CHECK(first.phrase == "Если вы продолжите, я завершу разговор.");
    CHECK(call.counter("insults") == 1);
    auto second = call.step("insult");
    CHECK(second.state_name() == "hangup");
    CHECK(second.action == action::hangup);
    CHECK(second.ended);
    CHECK(call.ended());
}

TEST_CASE("an event fires its handler and carries the operator hint", "[session]") {
    session call(small());
    auto r = call.step("tech_failure");
    CHECK(r.action == action::close);
    CHECK(r.hint() == "Take the caller's number");
    CHECK(r.phrase == "Извините, по техническим причинам.");
}

TEST_CASE("after a terminal action every further step is a session_error", "[session]") {
    session call(small());
    (void)call.step("tech_failure");
    CHECK(error_of([&] { (void)call.step("greeting"); }) == session_errc::ended);
    const auto greeting = *call.script().find_label("greeting");  // an interned label, as the quick path takes it
    std::string buffer;
    CHECK(error_of([&] { (void)call.step(greeting, 1.0); }) == session_errc::ended);
    CHECK(error_of([&] { (void)call.step(greeting, 1.0, {}, buffer); }) == session_errc::ended);
    CHECK(error_of([&] { (void)call.start(); }) == session_errc::ended);
    CHECK(call.state_name() == "close");
}

TEST_CASE("an undeclared intent is a session_error and the session is unchanged", "[session]") {
    session call(small());
    (void)call.step("insult");
    CHECK(error_of([&] { (void)call.step("dance"); }) == session_errc::unknown_label);
    CHECK(error_of([&] { (void)call.step(parley::label_id{9999}); }) == session_errc::unknown_label);
    CHECK(error_of([&] { (void)call.step("greeting", 1.5); }) == session_errc::bad_confidence);
    CHECK(error_of([&] { (void)call.step("greeting", std::nan("")); }) == session_errc::bad_confidence);
    // The same through an interned label, which a sure utterance steps in line.
    const auto greeting = *small().find_label("greeting");
    for (double confidence : {-0.5, -0.0001, 1.0001, 2.0, std::nan(""), std::numeric_limits<double>::infinity()})
        CHECK(error_of([&] { (void)call.step(greeting, confidence); }) == session_errc::bad_confidence);
    CHECK(call.state_name() == "intake");
    CHECK(call.counter("insults") == 1);
    (void)call.step(greeting, 0.0);  // 0 and 1 are confidences: a doubtful one is asked about
    CHECK(call.pending_confirmation() == greeting);
    CHECK(call.step(greeting, 1.0).state_name() == "intake");
    CHECK_FALSE(call.pending_confirmation());
    // Scripts that take a doubtful intent as another, or have no threshold, step it in line too.
    for (const char* threshold : {"setting threshold = 0.5\nsetting below_threshold = unclear\n", ""}) {
        const auto s = parley::test::compile_or_fail(std::string(threshold) + R"(intent hello
intent unclear
state talk initial
  on hello -> stay
    say "Hello."
  on unclear -> stay
    say "Sorry?"
end
)");
        session other(s);
        const auto hello = *s.find_label("hello");
        for (double confidence : {-0.5, 1.0001, std::nan(""), -std::numeric_limits<double>::infinity()})
            CHECK(error_of([&] { (void)other.step(hello, confidence); }) == session_errc::bad_confidence);
        CHECK(other.step(hello, 0.0).phrase == (*threshold ? "Sorry?" : "Hello."));
        CHECK(other.step(hello, 1.0).phrase == "Hello.");
    }
}

TEST_CASE("unknown intents go to otherwise when the script says so", "[session]") {
    auto s = parley::test::compile_or_fail(R"(
setting unknown_intents = otherwise
intent hello
state start initial
  on hello -> stay
    say "hi"
  otherwise -> done
    say "sorry?"
end
state done action close
)");
    session call(s);

    SECTION("a bad confidence or slot is refused as for a declared intent, and changes nothing") {
        const auto code_of = [&](auto&& step) {
            try {
                (void)step();
            } catch (const parley::session_error& e) {
                return e.code();
            }
            FAIL("no session_error");
            return parley::session_errc::ended;
        };
        CHECK(code_of([&] { return call.step("something_else", 1.5); }) == parley::session_errc::bad_confidence);
        CHECK(code_of([&] { return call.step("hello", 1.5); }) == parley::session_errc::bad_confidence);
        const std::string long_value(parley::max_slot_value_bytes + 1, 'x');
        const parley::slot_value too_long[] = {{"name", long_value}};
        CHECK(code_of([&] { return call.step("something_else", 1.0, too_long); }) == parley::session_errc::limit);
        CHECK(code_of([&] { return call.step("hello", 1.0, too_long); }) == parley::session_errc::limit);
        CHECK(call.state_name() == "start");
    }

    auto r = call.step("something_else");
    CHECK(r.phrase == "sorry?");
    CHECK(r.action == action::close);
}

TEST_CASE("low confidence asks to confirm with the intent's description", "[session][confirm]") {
    session call(small());
    (void)call.start();
    auto ask = call.step("complaint", 0.3);
    CHECK(ask.state_name() == "clarify");
    CHECK(ask.phrase == "Правильно ли я понимаю, что вы хотите пожаловаться?");
    CHECK(call.pending_confirmation().has_value());

    SECTION("accept carries on exactly as if the intent had full confidence") {
        auto r = call.step("accept");
        session direct(small());
        (void)direct.start();
        auto expected = direct.step("complaint");
        CHECK(r.state_name() == expected.state_name());
        CHECK(r.phrase == expected.phrase);
        CHECK(r.rule().line == expected.rule().line);
        CHECK_FALSE(call.pending_confirmation());
    }
    SECTION("decline asks the caller to repeat and returns to the state the call was in") {
        auto r = call.step("decline");
        CHECK(r.phrase == "Повторите, пожалуйста.");
        CHECK(r.state_name() == "intake");
    }
    SECTION("another intent is handled in the state the call was in") {
        auto r = call.step("greeting");
        CHECK(r.state_name() == "intake");
        CHECK(r.phrase == "Слушаю вас.");
    }
}

TEST_CASE("a confirmed intent keeps the slots it came with", "[session][confirm]") {
    session call(small(), {.language = "en"});
    const parley::slot_value slots[] = {{"name", "Olga"}};
    auto ask = call.step("give_name", 0.2, slots);
    CHECK(ask.phrase == "Do I understand correctly that you are telling me your name?");
    CHECK(call.step("accept").phrase == "Nice to meet you, Olga!");
}

TEST_CASE("a confirmed intent keeps all its slots, however many and long", "[session][confirm]") {
    session call(small(), {.language = "en"});
    // More slots and bytes than the confirmation keeps on the stack; the one that matters is last.
    std::vector<std::string> names, values;
    for (int i = 0; i < 20; ++i) {
        names.push_back(fmt::format("extra{}", i));
        values.push_back(std::string(100, char('a' + i)));
    }
    std::vector<parley::slot_value> slots;
    for (int i = 0; i < 20; ++i) slots.push_back({names[i], values[i]});
    slots.push_back({"name", "Olga"});
    (void)call.step("give_name", 0.2, slots);
    const auto again = session::restore(small(), call.snapshot());  // the remembered slots survive a snapshot too
    CHECK(call.step("accept").phrase == "Nice to meet you, Olga!");
    CHECK(call.slot("name") == "Olga");
    auto restored = again;
    CHECK(restored.step("accept").phrase == "Nice to meet you, Olga!");
}

TEST_CASE("a slot value the session handed out can be passed back to it", "[session]") {
    session call(small());
    const parley::slot_value first[] = {{"name", "Ольга"}};
    (void)call.step("give_name", 1.0, first);
    for (int i = 0; i < 3; ++i) {  // the same value, in place
        const parley::slot_value same[] = {{"name", call.slot("name")}};
        CHECK(call.step("give_name", 1.0, same).phrase == "Очень приятно, Ольга!");
    }
    const parley::slot_value shorter[] = {{"name", call.slot("name").substr(0, 4)}};  // its own bytes, resized
    CHECK(call.step("give_name", 1.0, shorter).phrase == "Очень приятно, Ол!");
    CHECK(call.slot("name") == "Ол");
}

TEST_CASE("a slot kept again with a value of another length replaces the one it had", "[session]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot name
slot city
intent tell
state talk initial
  on tell -> stay
    keep name
    keep city
    say "{name|?} from {city|?}."
end
)");
    session call(s);
    (void)call.start();
    auto tell = [&](std::string_view slot, std::string_view value) {
        const parley::slot_value said[] = {{slot, value}};
        return std::string(call.step("tell", 1.0, said).phrase);
    };
    const std::string long_name(200, 'n');  // more than one byte says its length
    CHECK(tell("name", "Ana") == "Ana from ?.");
    CHECK(tell("name", "Bartholomew") == "Bartholomew from ?.");  // the last value kept, longer
    CHECK(tell("city", "Riga") == "Bartholomew from Riga.");
    CHECK(tell("name", "Al") == "Al from Riga.");  // not the last one kept
    CHECK(tell("name", long_name) == long_name + " from Riga.");
    CHECK(tell("name", "Bo") == "Bo from Riga.");
    CHECK(tell("city", "Tallinn") == "Bo from Tallinn.");
    CHECK(tell("city", "") == "Bo from ?.");
    CHECK(call.slot("name") == "Bo");
    auto restored = session::restore(s, call.snapshot());
    CHECK(restored.slot("name") == "Bo");
    CHECK(restored.slot("city").empty());
}

TEST_CASE("reset starts a new call on the same session, just like a new session", "[session]") {
    const auto& s = small();
    session reused(s, {.language = "en"});
    (void)reused.start();
    const parley::slot_value slots[] = {{"name", "Olga"}, {"fault", "caller"}};
    (void)reused.step("give_name", 1.0, slots);
    (void)reused.step("insult");
    (void)reused.step("complaint", 0.2, slots);  // leaves a confirmation pending
    reused.advance(30, [](const parley::reply&) {});
    REQUIRE(reused.pending_confirmation());

    SECTION("without options") {
        reused.reset();
        session fresh(s);
        CHECK(reused.snapshot() == fresh.snapshot());
        for (const char* label : {"greeting", "greeting", "insult", "give_name", "insult"}) {
            const auto a = reused.step(label, 1.0, slots);
            const auto b = fresh.step(label, 1.0, slots);
            CHECK(a.phrase == b.phrase);
            CHECK(a.state == b.state);
            CHECK(a.ended == b.ended);
        }
        CHECK(reused.snapshot() == fresh.snapshot());
    }
    SECTION("with options, which apply as in the constructor") {
        const parley::session_options options{.language = "en", .variables = {{"company", "Daisy"}}};
        reused.reset(options);
        session fresh(s, options);
        CHECK(reused.start().phrase == "Hello! Daisy, this is Анна.");
        CHECK(reused.snapshot() == fresh.snapshot());
        CHECK(reused.slot("name").empty());
        CHECK(reused.counter("insults") == 0);
        CHECK_FALSE(reused.pending_confirmation());
    }
    SECTION("a bad option is an error and leaves the session at pickup") {
        CHECK_THROWS_AS(reused.reset({.language = "xx"}), session_error);
        CHECK(reused.state() == s.initial_state());
        CHECK(reused.snapshot() == session(s).snapshot());
    }
    SECTION("with prepared options, resolved once and applied as the options would be") {
        const parley::session_options options{.language = "en", .variables = {{"company", "Daisy"}}};
        const auto prepared = reused.prepare(options);
        for (int call = 0; call < 3; ++call) {
            reused.reset(prepared);
            CHECK(reused.snapshot() == session(s, options).snapshot());
            CHECK(reused.start().phrase == "Hello! Daisy, this is Анна.");
            (void)reused.step("give_name", 1.0, slots);
        }
        // Options without a language keep the session's reset language, whatever it was when prepared.
        const auto no_language = reused.prepare({.variables = {{"company", "Daisy"}}});
        reused.reset(no_language);
        CHECK(reused.language() == session(s).language());
    }
    SECTION("prepared options are checked when prepared, and only for their script") {
        CHECK(error_of([&] { (void)reused.prepare({.variables = {{"nope", "x"}}}); }) == session_errc::bad_variable);
        CHECK(error_of([&] { (void)reused.prepare({.language = "xx"}); }) == session_errc::bad_language);
        session other(parley::test::compile_or_fail("intent hi\nstate a initial\n  on hi -> stay\nend\n"));
        const auto foreign = other.prepare({});
        CHECK(error_of([&] { reused.reset(foreign); }) == session_errc::bad_variable);
        CHECK(error_of([&] { reused.reset(parley::prepared_options{}); }) == session_errc::bad_variable);
    }
    SECTION("an ended call can be reset") {
        (void)reused.step("decline");
        while (!reused.ended()) (void)reused.step("insult");
        reused.reset();
        CHECK_FALSE(reused.ended());
        CHECK(reused.start().phrase == session(s).start().phrase);
    }
}

TEST_CASE("events are never confirmed", "[session][confirm]") {
    session call(small());
    CHECK(call.step("tech_failure", 0.1).action == action::close);
}

TEST_CASE("timers fire when the host's clock passes their deadline", "[session][timer]") {
    session call(small());
    (void)call.start();
    CHECK(call.next_deadline() == Approx(30.0));
    CHECK(advance_all(call, 29.9).empty());
    auto held = advance_all(call, 30.0);
    REQUIRE(held.size() == 1);
    CHECK(held[0].state_name == "hold");
    CHECK(held[0].action == action::hold);
    CHECK(held[0].phrase == "Одну минуту, пожалуйста.");
    CHECK(call.next_deadline() == Approx(80.0));
    auto back = advance_all(call, 80.0);
    REQUIRE(back.size() == 1);
    CHECK(back[0].state_name == "intake");
    CHECK(back[0].phrase == "Спасибо за ожидание.");
    CHECK(error_of([&] { advance_all(call, 10.0); }) == session_errc::time_backwards);
}

TEST_CASE("a time no call reaches is refused as such, not as time going backwards", "[session][timer]") {
    session call(small());
    (void)call.start();
    for (const double seconds : {1e300, std::numeric_limits<double>::infinity(), std::nan(""), 4294967.296}) {
        CAPTURE(seconds);
        try {
            advance_all(call, seconds);
            FAIL("accepted");
        } catch (const parley::session_error& e) {
            CHECK(e.code() == session_errc::limit);
            CHECK(std::string(e.what()).starts_with(
                "time must be a finite number of seconds up to 4294967.295 (49.7 days of call time), not "));
        }
    }
    CHECK(error_of([&] { advance_all(call, -1.0); }) == session_errc::time_backwards);
    CHECK(advance_all(call, 4294967.295).size() > 0);  // the longest call: its timers fire
}

TEST_CASE("a late clock fires chained timers from their own deadlines", "[session][timer]") {
    session call(small());
    // 30 s -> hold, 80 s -> intake, 110 s -> hold, 160 s -> intake, 190 s -> hold: every reply reaches the host.
    const auto fired = advance_all(call, 200.0);
    REQUIRE(fired.size() == 5);
    const char* states[] = {"hold", "intake", "hold", "intake", "hold"};
    for (std::size_t i = 0; i < fired.size(); ++i) {
        CHECK(fired[i].state_name == states[i]);
        CHECK(fired[i].phrase == (i % 2 ? "Спасибо за ожидание." : "Одну минуту, пожалуйста."));
    }
    CHECK(call.next_deadline() == Approx(240.0));
}

TEST_CASE("a stay handler does not re-arm a state's timers", "[session][timer]") {
    session call(small());
    advance_all(call, 10);
    (void)call.step("greeting");
    CHECK(call.next_deadline() == Approx(30.0));
}

TEST_CASE("snapshots restore exactly and the restored call goes on identically", "[session][snapshot]") {
    session call(small(), {.language = "en", .variables = {{"company", "Acme"}}});
    const parley::slot_value slots[] = {{"name", "Olga"}};
    (void)call.step("give_name", 1.0, slots);
    (void)call.step("greeting");
    (void)call.step("insult");
    advance_all(call, 12.5);
    (void)call.step("complaint", 0.2);  // pending confirmation
    const auto bytes = call.snapshot();
    CHECK(bytes.size() < 128);
    auto copy = session::restore(small(), bytes);
    CHECK(copy.snapshot() == bytes);
    CHECK(copy.state_name() == call.state_name());
    CHECK(copy.slot("name") == "Olga");
    CHECK(copy.counter("insults") == 1);
    CHECK(copy.pending_confirmation() == call.pending_confirmation());
    for (const char* next : {"accept", "greeting", "greeting", "insult"}) {
        auto a = call.step(next);
        auto b = copy.step(next);
        CHECK(a.phrase == b.phrase);
        CHECK(a.state == b.state);
        CHECK(a.action == b.action);
    }
}

TEST_CASE("snapshot round trips hold over random step sequences", "[session][snapshot][property]") {
    const auto& s = small();
    std::mt19937 rng(20261122);
    const char* labels[] = {"greeting", "give_name", "complaint", "insult", "silence", "accept", "decline", "tech_failure"};
    for (int round = 0; round < 300; ++round) {
        session a(s, {.language = rng() % 2 ? "ru" : "en"});
        std::uniform_int_distribution<int> pick(0, 7), length(1, 12);
        const int cut = length(rng), total = cut + length(rng);
        double clock = 0;
        std::vector<std::tuple<int, double, double>> steps;
        for (int i = 0; i < total; ++i) steps.emplace_back(pick(rng), double(rng() % 100) / 100.0, clock += double(rng() % 400) / 10.0);
        std::optional<session> b;
        auto drive = [&](session& x, int i) -> std::string {
            auto [label, confidence, at] = steps[i];
            if (x.ended()) return "ended";
            std::string out;
            for (const auto& timer : advance_all(x, at)) out += timer.phrase + "|";
            if (x.ended()) return out + "ended";
            const std::string name = fmt::format("N{}", i);  // "N" + to_string trips a false -Wrestrict in g++ 12
            const parley::slot_value slots[] = {{"name", name}, {"fault", "caller"}};
            auto r = x.step(labels[label], confidence, slots);
            return out + std::string(r.phrase) + "|" + std::string(r.state_name()) + "|" + std::string(to_string(r.action));
        };
        for (int i = 0; i < cut; ++i) (void)drive(a, i);
        b.emplace(session::restore(s, a.snapshot()));
        for (int i = cut; i < total; ++i) REQUIRE(drive(a, i) == drive(*b, i));
        CHECK(a.snapshot() == b->snapshot());
    }
}

TEST_CASE("restoring against a changed script maps by name or fails clearly", "[session][snapshot]") {
    session call(small());
    (void)call.step("insult");
    advance_all(call, 40);  // in hold
    const auto bytes = call.snapshot();

    std::string changed(parley::test::small_script);
    changed.replace(changed.find("state hangup action hangup"), 26, "state hangup action hangup\nstate extra action close");
    auto other = parley::test::compile_or_fail(changed);
    CHECK(error_of([&] { (void)session::restore(other, bytes); }) == session_errc::bad_snapshot);
    auto mapped = session::restore(other, bytes, parley::restore_mode::by_name);
    CHECK(mapped.state_name() == "hold");
    CHECK(mapped.counter("insults") == 1);

    std::string renamed(parley::test::small_script);
    for (std::string_view from : {"state hold action hold", "-> hold\n"}) {
        const std::string to = from.front() == 's' ? "state wait action hold" : "-> wait\n";
        for (auto at = renamed.find(from); at != std::string::npos; at = renamed.find(from, at)) renamed.replace(at, from.size(), to);
    }
    auto without_hold = parley::test::compile_or_fail(renamed);
    try {
        (void)session::restore(without_hold, bytes, parley::restore_mode::by_name);
        FAIL("restore succeeded");
    } catch (const session_error& e) {
        CHECK(std::string(e.what()) == "the snapshot's state 'hold' does not exist in this script");
    }
}

TEST_CASE("damaged snapshots are refused, never half-restored", "[session][snapshot]") {
    session call(small());
    (void)call.step("insult");
    const auto bytes = call.snapshot();
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        CHECK(error_of([&] { (void)session::restore(small(), bytes.substr(0, cut)); }) == session_errc::bad_snapshot);
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {  // a changed byte: the checksum, or the format, refuses it
        std::string broken = bytes;
        broken[rng() % broken.size()] = static_cast<char>(rng());
        if (broken == bytes) continue;
        CHECK(error_of([&] { (void)session::restore(small(), broken); }) == session_errc::bad_snapshot);
    }
}

TEST_CASE("screening finds forbidden phrases regardless of case, with positions", "[screen]") {
    auto hits = parley::screen(small(), "Да НЕ КРИЧИТЕ на меня, пожалуйста! не кричите на меня");
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].offset == std::string_view("Да ").size());
    CHECK(hits[0].length == std::string_view("НЕ КРИЧИТЕ на меня").size());
    CHECK(hits[0].replacement == "Я понимаю ваше беспокойство");
    CHECK(hits[0].rule.line > 0);
    CHECK(parley::screen(small(), "Я понимаю ваше беспокойство").empty());
    CHECK(parley::screen(small(), "\xff\xfe broken utf-8").empty());
}

namespace {
// Two hold states a handler chains, a confirmation during the hold, a guarded timer.
constexpr std::string_view hold_script = R"(setting language = en
setting threshold = 0.5
setting hold_timeout = 60
counter asked
intent question: en "you have a question"
intent accept
intent decline
event still_looking
confirm -> clarify
  ask "Do I understand correctly that {intent}?"
  repeat "Could you repeat that, please?"
end
state talk initial
  say "How can I help?"
  on question -> looking
  after 10s if asked >= 1 -> talk
    say "Anything else?"
  after 20s -> talk
    say "Are you still there?"
end
state looking action hold
  say "One moment, please."
  on still_looking -> looking_more
  on question -> stay
    say "I am still checking."
  after 50s -> talk
    say "Thank you for waiting."
end
state looking_more action hold
  say "A little longer, please."
  after 50s -> talk
    say "Thank you for waiting."
end
state clarify
)";
}  // namespace

TEST_CASE("a hold lasts at most hold_timeout across consecutive hold states", "[session][timer][hold]") {
    const auto s = parley::test::compile_or_fail(hold_script);
    session call(s);
    (void)call.start();
    (void)call.step("question");  // hold starts at 0
    advance_all(call, 40);
    CHECK(call.step("still_looking").state_name() == "looking_more");  // entered at 40: its 50 s would end at 90
    CHECK(call.next_deadline() == Approx(60.0));                       // but the hold started at 0
    CHECK(advance_all(call, 59.9).empty());
    const auto back = advance_all(call, 60);
    REQUIRE(back.size() == 1);
    CHECK(back[0].state_name == "talk");
    CHECK(back[0].phrase == "Thank you for waiting.");
    // A new hold starts afresh.
    (void)call.step("question");
    CHECK(call.next_deadline() == Approx(110.0));
}

TEST_CASE("a confirmation asked during a hold does not restart it", "[session][timer][hold][confirm]") {
    const auto s = parley::test::compile_or_fail(hold_script);
    session call(s);
    (void)call.step("question");  // hold from 0, back at 50
    advance_all(call, 30);
    CHECK(call.step("question", 0.2).state_name() == "clarify");
    advance_all(call, 35);
    CHECK(call.step("decline").state_name() == "looking");  // back where it was asked, at 35
    CHECK(call.next_deadline() == Approx(60.0));            // not 85: the hold began at 0
    SECTION("and a snapshot keeps the hold's start") {
        auto copy = session::restore(s, call.snapshot());
        CHECK(copy.next_deadline() == Approx(60.0));
        CHECK(copy.snapshot() == call.snapshot());
    }
}

TEST_CASE("a guarded timer is checked once, when it falls due", "[session][timer]") {
    const auto s = parley::test::compile_or_fail(hold_script);
    session call(s);
    (void)call.start();
    // At 10 s `asked >= 1` does not hold: that timer is passed over, the next one counts on.
    CHECK(advance_all(call, 15).empty());
    CHECK(call.next_deadline() == Approx(20.0));
    const auto fired = advance_all(call, 20);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].phrase == "Are you still there?");
}

TEST_CASE("advance hands every fired timer's reply to the host, in order", "[session][timer]") {
    const auto s = parley::test::compile_or_fail(hold_script);
    session call(s);
    (void)call.start();
    // 20 s: talk again (entered at 20); 40 s: again; 60 s: again.
    std::vector<std::string> phrases;
    const auto n = call.advance(65, [&](const parley::reply& r) { phrases.emplace_back(r.phrase); });
    CHECK(n == 3);
    CHECK(phrases == std::vector<std::string>(3, "Are you still there?"));
}

TEST_CASE("the confirm target's timers run while the question is pending", "[session][confirm][timer]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
setting threshold = 0.6
intent question: en "you have a question"
intent accept
intent decline
confirm -> checking
  ask "Do I understand correctly that {intent}?"
  repeat "Could you repeat that, please?"
end
state talk initial
  say "How can I help?"
  on question -> talk
    say "Ask away."
  after 100s -> done
end
state checking
  after 15s -> talk
    say "Let us start again."
end
state done action close
)");
    session call(s);
    const auto asked = call.step("question", 0.3);
    CHECK(asked.state_name() == "checking");
    CHECK(asked.phrase == "Do I understand correctly that you have a question?");
    const auto fired = advance_all(call, 15);
    REQUIRE(fired.size() == 1);
    CHECK(fired[0].state_name == "talk");
    CHECK(fired[0].phrase == "Let us start again.");
    CHECK_FALSE(call.pending_confirmation());
    CHECK(call.step("accept").phrase.empty());  // the question was dropped: a yes means nothing now
}

TEST_CASE("variables have a wording per language, the script's and the host's", "[session][variables]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = ru
setting fallback = en
variable company = ru "Ромашка" en "Daisy"
variable tier = "обычный"
intent hello
intent upgrade
state talk initial
  say ru "Компания {company}." en "{company} here." et "Siin {company}."
  on hello -> stay
    say ru "Да, {company}." en "Yes, {company}."
  on upgrade -> stay
    set company = "Acme"
    say ru "{company}: {tier}." en "{company}: {tier}."
end
)");
    SECTION("the script's default follows the language of the text, with the phrases' fallback") {
        CHECK(session(s).start().phrase == "Компания Ромашка.");
        CHECK(session(s, {.language = "en"}).start().phrase == "Daisy here.");
        session et(s, {.language = "et"});
        CHECK(et.start().phrase == "Siin Daisy.");        // no Estonian wording: the fallback's
        CHECK(et.step("hello").phrase == "Yes, Daisy.");  // an English text speaks English
        CHECK(et.variable("company") == "Daisy");
    }
    SECTION("the host sets a value for one language (NAME.LANG) or for all (NAME)") {
        const parley::session_options options{.language = "en", .variables = {{"company.en", "Acme Ltd"}, {"company", "ООО Акме"}}};
        session en(s, options);
        CHECK(en.start().phrase == "Acme Ltd here.");
        en.set_language("ru");
        CHECK(en.step("hello").phrase == "Да, ООО Акме.");
        SECTION("and a snapshot keeps both") {
            auto copy = session::restore(s, en.snapshot());
            CHECK(copy.snapshot() == en.snapshot());
            copy.set_language("en");
            CHECK(copy.step("hello").phrase == "Yes, Acme Ltd.");
        }
        SECTION("a `set` speaks for every language from then on") {
            CHECK(en.step("upgrade").phrase == "Acme: обычный.");
            en.set_language("en");
            CHECK(en.step("hello").phrase == "Yes, Acme.");
        }
    }
    SECTION("a language the script does not speak is refused") {
        CHECK(error_of([&] { session(s, {.variables = {{"company.fr", "Marguerite"}}}); }) == session_errc::bad_language);
        CHECK(error_of([&] { session(s, {.variables = {{"brand.en", "x"}}}); }) == session_errc::bad_variable);
    }
}

TEST_CASE("a reply carries the host actions of the handler, then of the state it entered", "[session][actions]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
setting threshold = 0.5
slot username
slot order_id
variable manager = "Ana"
intent start
intent escalate
intent accept
intent decline
confirm -> asking
  ask "Did you mean that {intent}?"
  repeat "Please say that again."
end
state greet initial
  say "Hello."
  do log-call(reason = "inbound")
  on start -> validating
    do pull-up-account(username)
  on escalate -> stay
    say "I will get a manager."
    do notify-team(manager, who = username)
end
state validating
  say "Let me check your purchase."
  do validate-purchase(username, order_id)
end
state asking
)");
    session call(s);
    const auto pickup = call.start();
    REQUIRE(pickup.actions.size() == 1);
    CHECK(pickup.actions[0].name == "log-call");
    CHECK(pickup.actions[0].argument("reason") == "inbound");

    SECTION("arguments come from the utterance, the call, variables and constants") {
        const parley::slot_value slots[] = {{"username", "ana"}};
        const auto r = call.step("escalate", 1.0, slots);
        REQUIRE(r.actions.size() == 1);
        CHECK(r.actions[0].name == "notify-team");
        REQUIRE(r.actions[0].arguments.size() == 2);
        CHECK(r.actions[0].arguments[0].name == "manager");
        CHECK(r.actions[0].arguments[0].value == "Ana");
        CHECK(r.actions[0].argument("who") == "ana");
        CHECK(call.step("escalate").actions[0].argument("who").empty());  // not kept: unknown now
    }
    SECTION("the handler's actions come first, then the entered state's") {
        const parley::slot_value slots[] = {{"username", "ana"}, {"order_id", "A-7"}};
        const auto r = call.step("start", 1.0, slots);
        REQUIRE(r.actions.size() == 2);
        CHECK(r.actions[0].name == "pull-up-account");
        CHECK(r.actions[1].name == "validate-purchase");
        CHECK(r.actions[1].argument("order_id") == "A-7");
    }
    SECTION("a confirmed intent passes the slots it came with, which outlive the step") {
        std::string owned_name = "ana", owned_order = "B-9";
        const parley::slot_value slots[] = {{"username", owned_name}, {"order_id", owned_order}};
        const auto asked = call.step("start", 0.2, slots);
        CHECK(asked.actions.empty());  // a question asks the host for nothing
        owned_name.assign("xxx");
        owned_order.assign("yyy");
        const auto r = call.step("accept");
        REQUIRE(r.actions.size() == 2);
        CHECK(r.actions[0].argument("username") == "ana");
        CHECK(r.actions[1].argument("order_id") == "B-9");
    }
    SECTION("a step that asks nothing has no actions") { CHECK(call.step("accept").actions.empty()); }
}

TEST_CASE("the session's own render buffer grows with its phrases and keeps the reply's actions", "[session][actions]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot username
intent greet
intent ping
state hello initial
  on greet -> stay
    say "Hi {username}, and {username} again."
    do note(who = username)
  on ping -> stay
    say "Noted."
    do note(who = username)
end
)");
    session call(s);
    REQUIRE(call.step("ping").actions.size() == 1);  // the scratch, made for the actions, with no room to render yet
    std::size_t heap = call.heap_bytes();
    // Each length at least doubles the text, so each of these steps outgrows the buffer; the
    // host actions made by the step before (in the same block) move with it.
    for (const std::size_t length : {std::size_t{1}, std::size_t{40}, std::size_t{200}, std::size_t{1500}, parley::max_slot_value_bytes}) {
        const std::string name(length, 'n');
        const parley::slot_value slots[] = {{"username", name}};
        const auto r = call.step("greet", 1.0, slots);
        CHECK(r.phrase == fmt::format("Hi {}, and {} again.", name, name));
        REQUIRE(r.actions.size() == 1);
        CHECK(r.actions[0].argument("who") == name);
        CHECK(call.heap_bytes() > heap);
        heap = call.heap_bytes();
    }
    // Shorter phrases then fit: nothing more is allocated, and each phrase is exact.
    for (const std::size_t length : {std::size_t{0}, std::size_t{3}, std::size_t{1000}}) {
        const std::string name(length, 'm');
        const parley::slot_value slots[] = {{"username", name}};
        const auto r = call.step("greet", 1.0, slots);
        CHECK(r.phrase == fmt::format("Hi {}, and {} again.", name, name));
        CHECK(r.actions[0].argument("who") == name);
        CHECK(call.heap_bytes() == heap);
    }
    // A copy starts with no buffer of its own and renders the same.
    session copy(call);
    const parley::slot_value slots[] = {{"username", "ana"}};
    CHECK(copy.step("greet", 1.0, slots).phrase == "Hi ana, and ana again.");
    CHECK(call.step("greet", 1.0, slots).phrase == "Hi ana, and ana again.");
}

TEST_CASE("text adapts: placeholder defaults, slots copied into variables, slots cleared", "[session][placeholders]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot name
slot amount
variable customer = "dear customer"
intent give_name
intent refund
intent forget
intent adopt
state talk initial
  say "Hello, {name|there}."
  on give_name -> stay
    keep name
    say "Thanks, {name|friend}."
  on refund -> stay
    say "I will refund {amount|$50}."
  on adopt -> stay
    set customer = name
    say "Noted, {customer}."
  on forget -> stay
    clear name
    say "Forgotten, {name|friend}; {customer}."
end
)");
    session call(s);
    CHECK(call.start().phrase == "Hello, there.");
    CHECK(call.step("refund").phrase == "I will refund $50.");
    const parley::slot_value amount[] = {{"amount", "$20"}};
    CHECK(call.step("refund", 1.0, amount).phrase == "I will refund $20.");
    const parley::slot_value ana[] = {{"name", "Ana"}};
    CHECK(call.step("give_name", 1.0, ana).phrase == "Thanks, Ana.");
    CHECK(call.step("adopt").phrase == "Noted, Ana.");
    CHECK(call.variable("customer") == "Ana");
    CHECK(call.step("forget").phrase == "Forgotten, friend; Ana.");
    CHECK(call.slot("name").empty());
    // Copying an unknown slot gives the variable back its default.
    CHECK(call.step("adopt").phrase == "Noted, dear customer.");
}

TEST_CASE("a set's placeholders are rendered when it runs, and the value stays as rendered", "[session][placeholders]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
setting fallback = en
slot window
slot name
variable news = ""
variable store = en "the shop" ru "магазин"
variable log = ""
intent give
intent again
intent greet
state talk initial
  say "Hello."
  on give -> stay
    keep window
    set news = "It is within {window|the usual time}{name?, {name}}, at {store}. {{not a placeholder}}"
    say "{news}"
  on again -> stay
    set log = "{log}x"
    say "{log}"
  on greet -> stay
    say ru "{news}" en "{news}"
end
)");
    session call(s, {.language = "ru"});
    const parley::slot_value window[] = {{"window", "30 days"}, {"name", "Ana"}};
    // The text is the default language's, so its variables speak it too.
    CHECK(call.step("give", 1.0, window).phrase == "It is within 30 days, Ana, at the shop. {not a placeholder}");
    CHECK(call.slot("name").empty());  // read from the utterance, not kept
    const parley::slot_value later[] = {{"window", "a week"}};
    CHECK(call.step("greet", 1.0, later).phrase == "It is within 30 days, Ana, at the shop. {not a placeholder}");  // as rendered then
    CHECK(call.variable("news") == "It is within 30 days, Ana, at the shop. {not a placeholder}");
    CHECK(call.step("give").phrase == "It is within 30 days, at the shop. {not a placeholder}");  // the call's window now
    // A value that reads itself grows, but never past the longest value a slot may have.
    std::string_view last;
    for (int i = 0; i < 5000; ++i) last = call.step("again").phrase;
    CHECK(last.size() == parley::max_slot_value_bytes);
    // It survives a snapshot, as any value a `set` gave.
    const auto restored = session::restore(s, call.snapshot());
    CHECK(restored.variable("news") == "It is within 30 days, at the shop. {not a placeholder}");
    CHECK(restored.variable("log").size() == parley::max_slot_value_bytes);
}

TEST_CASE("a text of variables only is said as compiled until the call gives a variable a value", "[session][placeholders]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot name
variable customer = "dear customer"
intent adopt
intent again
state talk initial
  say "Hello, {customer}."
  on adopt -> stay
    set customer = name
    say "Noted, {customer}."
  on again -> stay
    say "Hello again, {customer}{customer?!|?}"
end
)");
    session call(s);
    auto hello = call.start();
    CHECK(hello.phrase == "Hello, dear customer.");
    CHECK(s.owns(hello.phrase));  // the script's own text: nothing rendered
    CHECK(s.owns(call.step("again").phrase));
    const parley::slot_value ana[] = {{"name", "Ana"}};
    const auto noted = call.step("adopt", 1.0, ana);
    CHECK(noted.phrase == "Noted, Ana.");
    CHECK_FALSE(s.owns(noted.phrase));
    CHECK(call.step("again").phrase == "Hello again, Ana!");
    const auto saved = call.snapshot();
    call.reset();
    CHECK(call.start().phrase == "Hello, dear customer.");
    auto restored = session::restore(s, saved);
    CHECK(restored.step("again").phrase == "Hello again, Ana!");
    session hosted(s, {.variables = {{"customer", "Mr Smith"}}});
    CHECK(hosted.start().phrase == "Hello, Mr Smith.");
    hosted.reset();
    CHECK(hosted.start().phrase == "Hello, dear customer.");
}

TEST_CASE("a text that reads slots is said as compiled while the call knows no value", "[session][placeholders]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
setting threshold = 0.5
slot name
slot topic
variable company = "Acme"
intent greet
intent give_name
intent forget
intent accept
intent decline
confirm -> asking
  ask "Did you say that?"
  repeat "Please say that again."
end
state talk initial
  on greet -> stay
    say "{name?{name}, welcome|Welcome} to {company}{topic? about {topic}|}."
  on give_name -> stay
    keep name
    say "Noted."
  on forget -> stay
    clear name
    say "Forgotten."
end
state asking
)");
    const std::string_view anonymous = "Welcome to Acme.";
    session call(s);
    auto greeting = call.step("greet");
    CHECK(greeting.phrase == anonymous);
    CHECK(s.owns(greeting.phrase));  // the script's own text: nothing rendered
    // The step brings a slot the text reads, or one it does not: rendered either way.
    const parley::slot_value topic[] = {{"topic", "billing"}};
    CHECK(call.step("greet", 1.0, topic).phrase == "Welcome to Acme about billing.");
    const parley::slot_value other[] = {{"extra", "x"}};
    CHECK(call.step("greet", 1.0, other).phrase == anonymous);
    // Once the call knows a name, the text is rendered with it; forgotten, said as compiled again.
    const parley::slot_value ana[] = {{"name", "Ana"}};
    (void)call.step("give_name", 1.0, ana);
    const auto named = call.step("greet");
    CHECK(named.phrase == "Ana, welcome to Acme.");
    CHECK_FALSE(s.owns(named.phrase));
    (void)call.step("forget");
    CHECK(call.step("greet").phrase == anonymous);
    // A doubtful utterance's slots wait in the call while it asks: the text is rendered then,
    // and the yes brings them back.
    const parley::slot_value bob[] = {{"name", "Bob"}};
    CHECK(call.step("give_name", 0.2, bob).state_name() == "asking");
    CHECK(call.step("accept").phrase == "Noted.");
    CHECK(call.step("greet").phrase == "Bob, welcome to Acme.");
    // A call whose host sets a variable, or gives a slot, renders; a reset call does not.
    session hosted(s, {.variables = {{"company", "Globex"}}});
    CHECK(hosted.step("greet").phrase == "Welcome to Globex.");
    session known(s, {.slots = {{"topic", "fees"}}});
    CHECK(known.step("greet").phrase == "Welcome to Acme about fees.");
    known.reset();
    CHECK(s.owns(known.step("greet").phrase));
}

TEST_CASE("a confirmation question is said as compiled for each intent until the call sets a variable", "[session][placeholders]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
setting threshold = 0.5
slot name
variable company = "Acme"
intent billing: en "you have a question about a bill"
intent refund
intent accept
intent decline
confirm -> clarify
  ask "{company} heard that {intent}. Right?"
  repeat "Could you repeat that, please?"
end
state talk initial
  say "Hello."
  on billing -> stay
    say "About your bill."
  on refund -> stay
    say "About your refund."
    set company = name
end
state clarify
end
)");
    session call(s);
    (void)call.start();
    const auto billing = call.step("billing", 0.3);
    CHECK(billing.phrase == "Acme heard that you have a question about a bill. Right?");
    CHECK(s.owns(billing.phrase));  // said as compiled: nothing rendered
    CHECK(call.step("decline").phrase == "Could you repeat that, please?");
    const auto refund = call.step("refund", 0.3);
    CHECK(refund.phrase == "Acme heard that refund. Right?");  // an intent without a description reads as its name
    CHECK(s.owns(refund.phrase));
    const parley::slot_value ana[] = {{"name", "Ana"}};
    // The question's slots, not the yes's, are replayed: no name came with the refund, and an
    // unknown slot leaves the variable its default.
    CHECK(call.step("accept", 1.0, ana).phrase == "About your refund.");
    CHECK(s.owns(call.step("billing", 0.3).phrase));
    (void)call.step("decline");
    const parley::slot_value bea[] = {{"name", "Bea"}};
    (void)call.step("refund", 1.0, bea);  // the call gives the variable a value: its questions are rendered
    const auto rendered = call.step("billing", 0.3);
    CHECK(rendered.phrase == "Bea heard that you have a question about a bill. Right?");
    CHECK_FALSE(s.owns(rendered.phrase));
    call.reset();
    (void)call.start();
    CHECK(s.owns(call.step("billing", 0.3).phrase));
}

TEST_CASE("a script with too many intents to say its questions ahead renders them", "[session][placeholders][limits]") {
    // 40 variants of the question times 1,700 intents is more than the compiler says ahead.
    std::string text = "setting language = en\nsetting threshold = 0.5\nintent accept\nintent decline\n";
    for (int i = 0; i < 1700; ++i) text += fmt::format("intent i{}\n", i);
    text += "confirm -> clarify\n  ask \"q0 {intent}?\"";
    for (int v = 1; v < 40; ++v) text += fmt::format(" | \"q{} {{intent}}?\"", v);
    text += "\n  repeat \"Again?\"\nend\nstate talk initial\n  say \"Hello.\"\nend\nstate clarify\nend\n";
    const auto s = parley::test::compile_or_fail(text);
    session call(s);
    (void)call.start();
    for (int v = 0; v < 3; ++v) {
        const auto asked = call.step("i1234", 0.1);
        CHECK(asked.phrase == fmt::format("q{} i1234?", v));
        CHECK_FALSE(s.owns(asked.phrase));
        (void)call.step("decline");
    }
}

TEST_CASE("typed slots: numbers compare as numbers, choices are checked, confidence is readable", "[session][types]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
slot days: number
slot level: guest | bronze | silver | gold
intent dispute
intent give_level
intent maybe
state talk initial
  say "Hello."
  on dispute if days < 7 -> stay
    say "That is within the week."
  on dispute if days >= 7 -> stay
    say "That was {days} days ago."
  on dispute -> stay
    say "When was it?"
  on give_level if level == "gold" -> stay
    say "Unlimited returns."
  on give_level -> stay
    say "Returns within the window."
  on maybe if confidence >= 0.8 -> stay
    say "Sure."
  on maybe -> stay
    say "Not sure."
end
)");
    session call(s);
    const parley::slot_value three[] = {{"days", "3"}}, ten[] = {{"days", "10.5"}}, word[] = {{"days", "ten"}};
    CHECK(call.step("dispute", 1.0, three).phrase == "That is within the week.");
    CHECK(call.step("dispute", 1.0, ten).phrase == "That was 10.5 days ago.");
    CHECK(call.step("dispute").phrase == "When was it?");  // unknown: no comparison holds
    CHECK(error_of([&] { (void)call.step("dispute", 1.0, word); }) == session_errc::bad_slot);
    const parley::slot_value gold[] = {{"level", "gold"}}, platinum[] = {{"level", "platinum"}};
    CHECK(call.step("give_level", 1.0, gold).phrase == "Unlimited returns.");
    CHECK(error_of([&] { (void)call.step("give_level", 1.0, platinum); }) == session_errc::bad_slot);
    try {
        (void)call.step("give_level", 1.0, platinum);
    } catch (const session_error& e) {
        CHECK(std::string(e.what()) == "slot 'level' takes one of guest, bronze, silver, gold, not 'platinum'");
    }
    CHECK(error_of([&] { session(s, {.slots = {{"days", "soon"}}}); }) == session_errc::bad_slot);
    CHECK(call.step("maybe", 0.9).phrase == "Sure.");
    CHECK(call.step("maybe", 0.5).phrase == "Not sure.");
}

TEST_CASE("no_match and no_input count in the current state, and start afresh in the next", "[session][counts]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
setting threshold = 0.5
intent question
intent silence
intent accept
intent decline
confirm -> asking
  ask "Did you mean that {intent}?"
  repeat "Please say that again."
end
state talk initial
  say "How can I help?"
  on question -> answer
  on silence if no_input >= 2 -> done
    say "I cannot hear you; goodbye."
  on silence -> stay
    say "Are you there?"
  otherwise if no_match >= 3 -> done
    say "Let me transfer you."
  otherwise -> stay
    say "Sorry, I did not understand."
end
state answer
  say "Here is the answer."
  otherwise if no_match >= 2 -> done
  otherwise -> stay
    say "Sorry?"
end
state asking
state done action transfer
)");
    session call(s);
    CHECK(call.step("accept").phrase == "Sorry, I did not understand.");   // no_match 1
    CHECK(call.step("silence").phrase == "Are you there?");                // no_input 1
    CHECK(call.step("decline").phrase == "Sorry, I did not understand.");  // no_match 2
    SECTION("the third miss in the state transfers") { CHECK(call.step("accept").phrase == "Let me transfer you."); }
    SECTION("the second silence ends the call") { CHECK(call.step("silence").phrase == "I cannot hear you; goodbye."); }
    SECTION("a confirmation question does not start the counts afresh") {
        CHECK(call.step("question", 0.2).state_name() == "asking");
        CHECK(call.step("decline").state_name() == "talk");
        CHECK(call.step("accept").phrase == "Let me transfer you.");
    }
    SECTION("a new state starts from zero, and snapshots keep the counts") {
        CHECK(call.step("question").state_name() == "answer");
        CHECK(call.step("accept").phrase == "Sorry?");
        auto copy = session::restore(s, call.snapshot());
        CHECK(copy.step("accept").state_name() == "done");
        CHECK(call.step("accept").state_name() == "done");
    }
}

TEST_CASE("a traced step lists the handlers tried, in order, with what a guard that did not hold read", "[session][trace]") {
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/benchmarks/peer/peer_graph.rules");
    REQUIRE(compiled.script);
    const auto& s = *compiled.script;
    session traced(s, {.variables = {{"caller_name", "Olga"}}}), plain = traced;
    parley::step_trace why;
    const auto insult = *s.find_label("insult");

    const auto r = traced.step(insult, 0.9, {}, why);
    CHECK(r.phrase == plain.step(insult, 0.9).phrase);  // tracing changes nothing of the step
    REQUIRE(why.handlers.size() == 2);
    CHECK(why.note.empty());
    CHECK(why.handlers[0].trigger == "insult");
    CHECK(why.handlers[0].guard == "warnings >= 1");
    CHECK_FALSE(why.handlers[0].fired);
    CHECK(why.handlers[0].read == "warnings = 0");
    CHECK(why.handlers[1].fired);
    CHECK(why.handlers[1].read.empty());
    CHECK(why.handlers[1].rule.line == r.rule().line);

    // A second step: the trace is the new step's only, and the guard now holds.
    (void)traced.step("insult", 0.9, {}, why);
    REQUIRE(why.handlers.size() == 1);
    CHECK(why.handlers[0].fired);
    CHECK(traced.ended());

    // Below the threshold the script's rule decides first, and the trace says so.
    session doubtful(s);
    (void)doubtful.step("demand_supervisor", 0.3, {}, why);
    CHECK(why.note == "confidence 0.3 is below the threshold 0.6: handled as 'unclear'");
    REQUIRE_FALSE(why.handlers.empty());
    CHECK(why.handlers[0].trigger == "unclear");
    CHECK(why.handlers[0].read == "clarifications = 0");
}

TEST_CASE("a traced step names no_match and no_input in what a guard read", "[session][trace]") {
    const auto s = parley::test::compile_or_fail(R"(setting language = en
counter asked
intent question
intent silence
state talk initial
  say "How can I help?"
  on silence if no_input >= 2 and asked < 3 -> stay
    say "Are you there?"
  on silence -> stay
  otherwise if no_match >= 2 -> stay
    say "Let me put it another way."
  otherwise -> stay
    say "Sorry?"
end
)");
    session call(s);
    parley::step_trace why;
    (void)call.step("question", 1.0, {}, why);
    REQUIRE(why.handlers.size() == 2);
    CHECK(why.handlers[0].read == "no_match = 1");
    (void)call.step("silence", 1.0, {}, why);
    REQUIRE(why.handlers.size() == 2);
    CHECK(why.handlers[0].read == "no_input = 1, asked = 0");
}

TEST_CASE("a traced step notes a confirmation question and the yes that settles it", "[session][trace]") {
    auto compiled = parley::compile_file(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    REQUIRE(compiled.script);
    session call(*compiled.script);
    parley::step_trace why;
    (void)call.step("complaint", 0.3, {}, why);
    CHECK(why.note.find("is below the threshold 0.6: the caller is asked to confirm") != std::string::npos);
    CHECK(why.handlers.empty());
    (void)call.step("accept", 1.0, {}, why);
    CHECK(why.note == "yes: 'complaint' as if heard with full confidence");
    CHECK_FALSE(why.handlers.empty());
    CHECK(why.handlers.back().fired);
}
