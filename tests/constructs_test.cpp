// One test per language construct: it compiles, and it behaves as rules/README.md says.
// (Phrases, variants, languages, confirm, timers, snapshots: session_test.cpp.)
#include "fixtures.hpp"

using parley::test::compile_or_fail;

namespace {
std::string say(parley::session& s, std::string_view label, std::vector<std::pair<std::string, std::string>> slots = {}) {
    std::vector<parley::slot_value> views;
    for (const auto& [k, v] : slots) views.push_back({k, v});
    auto r = s.step(label, 1.0, views);
    return std::string(r.state_name()) + ": " + std::string(r.phrase);
}
}  // namespace

TEST_CASE("construct: settings are read and exposed", "[constructs]") {
    auto s = compile_or_fail(R"(setting language = ro
setting fallback = en
setting threshold = 0.25
setting silence_timeout = 8
setting hold_timeout = 45
intent hi
state a initial
  on hi -> stay
end
)");
    CHECK(s.language_name(0) == "ro");
    CHECK(s.language_name(1) == "en");
    CHECK(s.confidence_threshold() == Approx(0.25));
    CHECK(s.silence_timeout() == Approx(8.0));
    CHECK(s.hold_timeout() == Approx(45.0));
}

TEST_CASE("construct: a variable's default, a host override and 'set'", "[constructs]") {
    auto s = compile_or_fail(R"(variable company = "Acme"
intent hi
intent rename
state a initial
  on hi -> stay
    say "This is {company}."
  on rename -> stay
    set company = "Globex"
    say "Now {company}."
end
)");
    parley::session plain(s), hosted(s, {.variables = {{"company", "Initech"}}});
    CHECK(say(plain, "hi") == "a: This is Acme.");
    CHECK(say(hosted, "hi") == "a: This is Initech.");
    CHECK(say(hosted, "rename") == "a: Now Globex.");
    CHECK(say(hosted, "hi") == "a: This is Globex.");
}

TEST_CASE("construct: counters increment, saturate and reset, and guards compare them", "[constructs]") {
    auto s = compile_or_fail(R"(counter n
intent up
intent wipe
intent query
state a initial
  on up -> stay
    increment n
  on wipe -> stay
    reset n
  on query if n == 0 -> stay
    say "zero"
  on query if n < 2 -> stay
    say "one"
  on query if n >= 255 -> stay
    say "max"
  on query if n != 3 and n > 1 and n <= 254 -> stay
    say "some"
  on query -> stay
    say "three"
end
)");
    parley::session c(s);
    CHECK(say(c, "query") == "a: zero");
    (void)c.step("up");
    CHECK(say(c, "query") == "a: one");
    (void)c.step("up");
    CHECK(say(c, "query") == "a: some");
    (void)c.step("up");
    CHECK(say(c, "query") == "a: three");
    for (int i = 0; i < 300; ++i) (void)c.step("up");
    CHECK(c.counter("n") == 255);
    CHECK(say(c, "query") == "a: max");
    (void)c.step("wipe");
    CHECK(say(c, "query") == "a: zero");
}

TEST_CASE("construct: guards with known(), not, or and parentheses", "[constructs]") {
    auto s = compile_or_fail(R"(slot name
slot fault
variable tier = "basic"
intent q
state a initial
  on q if not known(name) and (fault == "caller" or tier == "gold") -> stay
    say "anonymous, special"
  on q if known(name) and not (fault != "company") -> stay
    say "{name}, our fault"
  on q -> stay
    say "other"
end
)");
    parley::session c(s);
    CHECK(say(c, "q", {{"fault", "caller"}}) == "a: anonymous, special");
    CHECK(say(c, "q", {{"fault", "company"}}) == "a: other");
    CHECK(say(c, "q", {{"name", "Ann"}, {"fault", "company"}}) == "a: Ann, our fault");
    parley::session gold(s, {.variables = {{"tier", "gold"}}});
    CHECK(say(gold, "q") == "a: anonymous, special");
}

TEST_CASE("construct: keep copies several slots, and a slot not kept is forgotten", "[constructs]") {
    auto s = compile_or_fail(R"(slot name
slot topic
intent tell
intent hint_only
intent recall
state a initial
  on tell -> stay
    keep name, topic
  on hint_only -> stay
    say "{name}/{topic}"
  on recall -> stay
    say "{name}/{topic}"
end
)");
    parley::session c(s);
    (void)c.step("tell", 1.0, std::vector<parley::slot_value>{{"name", "Ann"}, {"topic", "bills"}, {"extra", "x"}});
    CHECK(say(c, "recall") == "a: Ann/bills");
    CHECK(say(c, "hint_only", {{"topic", "now"}}) == "a: Ann/now");  // shadows while its handler runs
    CHECK(say(c, "recall") == "a: Ann/bills");
}

TEST_CASE("construct: handler priority is state, global, state otherwise, global otherwise", "[constructs]") {
    auto s = compile_or_fail(R"(counter c
intent a1
intent a2
intent other
intent go
event ping
global
  on a2 -> stay
    say "global a2"
  on ping -> stay
    say "global ping"
  otherwise -> stay
    say "global otherwise"
end
state s initial
  on a1, a2 -> stay
    say "state a1/a2"
  on ping if c > 0 -> stay
    say "state ping"
  on go -> t
end
state t
  say "in t"
  on a1 -> stay
    say "t a1"
  otherwise -> stay
    say "state otherwise"
end
)");
    parley::session c(s);
    CHECK(say(c, "a1") == "s: state a1/a2");
    CHECK(say(c, "a2") == "s: state a1/a2");
    CHECK(say(c, "ping") == "s: global ping");  // the state's guard fails: the global handler
    CHECK(say(c, "other") == "s: global otherwise");
    CHECK(say(c, "go") == "t: in t");  // no phrase: the target's entry phrase
    CHECK(say(c, "a2") == "t: global a2");
    CHECK(say(c, "other") == "t: state otherwise");
}

TEST_CASE("construct: a declared label with no handler anywhere changes nothing", "[constructs]") {
    auto s = compile_or_fail("intent a\nintent b\nstate s initial\n  on a -> done\nend\nstate done action close\n", "quiet.rules");
    parley::session c(s);
    auto r = c.step("b");
    CHECK(r.phrase.empty());
    CHECK(r.state_name() == "s");
    CHECK_FALSE(r.rule());
}

TEST_CASE("construct: terminal actions and hold", "[constructs]") {
    auto s = compile_or_fail(R"(intent h
intent t
intent x
intent c
state s initial
  on h -> waiting
  on t -> passed
  on x -> cut
  on c -> done
end
state waiting action hold
  on h -> s
end
state passed action transfer
state cut action hangup
state done action close
)");
    for (auto [label, state, action] : {std::tuple{"h", "waiting", parley::action::hold},
                                        {"t", "passed", parley::action::transfer},
                                        {"x", "cut", parley::action::hangup},
                                        {"c", "done", parley::action::close}}) {
        parley::session call(s);
        auto r = call.step(label);
        CHECK(r.state_name() == state);
        CHECK(r.action == action);
        CHECK(r.ended == parley::is_terminal(action));
    }
}

TEST_CASE("construct: include brings in another file's declarations", "[constructs]") {
    parley::compile_options options;
    options.read_file = [](const std::filesystem::path& p) -> std::optional<std::string> {
        if (p.filename() == "intents.rules") return "intent hello: en \"you are saying hello\"\nslot name\n";
        return std::nullopt;
    };
    auto r = parley::compile_string("include \"intents.rules\"\nstate s initial\n  on hello -> stay\n    say \"hi {name}\"\nend\n",
                                    "site/main.rules", options);
    REQUIRE(r.script);
    parley::session c(*r.script);
    CHECK(say(c, "hello", {{"name", "Ann"}}) == "s: hi Ann");
    CHECK(r.script->file_name(1) == "site/intents.rules");
}

TEST_CASE("construct: forbid declares screened phrases", "[constructs]") {
    auto s = compile_or_fail("forbid \"calm down\" use \"I understand\"\nintent hi\nstate s initial\n  on hi -> stay\nend\n");
    auto hits = parley::screen(s, "Please CALM DOWN, sir");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].replacement == "I understand");
}

TEST_CASE("construct: a group of handlers is shared by the states that name it, in place", "[constructs][groups]") {
    auto s = compile_or_fail(R"(setting language = en
intent returns
intent hello
intent bye
handlers openers
  on returns -> returns_flow
  on hello -> stay
    say "Hello from the group."
end
state greeting initial
  on hello -> stay
    say "Hello from the state."
  handlers openers
  on bye -> done
end
state anything_else
  handlers openers
  on hello -> stay
    say "Never: the group's comes first here."
  on bye -> done
end
state returns_flow
  on bye -> anything_else
end
state done action close
)");
    parley::session call(s);
    CHECK(say(call, "hello") == "greeting: Hello from the state.");  // the state's own, written first
    CHECK(say(call, "returns") == "returns_flow: ");
    CHECK(say(call, "bye") == "anything_else: ");
    CHECK(say(call, "hello") == "anything_else: Hello from the group.");
    CHECK(say(call, "returns") == "returns_flow: ");
}

TEST_CASE("construct: a group may use another group, whose handlers take its place", "[constructs][groups]") {
    auto s = compile_or_fail(R"(setting language = en
intent returns
intent refund
intent bye
handlers closing
  on bye -> done
    say "Goodbye."
end
handlers openers
  on returns -> stay
    say "Returns."
  handlers closing
  on bye -> stay
    say "Never: the closing group's comes first."
  on refund -> stay
    say "Refunds."
end
state greeting initial
  say "How can I help?"
  on refund -> stay
    say "The state's own, before the group."
  handlers openers
end
state done action close
)");
    parley::session call(s);
    CHECK(say(call, "refund") == "greeting: The state's own, before the group.");
    CHECK(say(call, "returns") == "greeting: Returns.");
    CHECK(say(call, "bye") == "done: Goodbye.");
}

TEST_CASE("construct: a mistake in a group is reported once, whichever states use it", "[constructs][groups]") {
    auto result = parley::compile_string(R"(intent hi
handlers openers
  on hi -> nowhere
end
state a initial
  handlers openers
end
state b
  handlers openers
end
)");
    std::size_t undefined = 0;
    for (const auto& d : result.diagnostics) undefined += d.message.find("undefined state 'nowhere'") != std::string::npos;
    CHECK(undefined == 1);
}

TEST_CASE("construct: a form asks for what it lacks, in any order, and completes", "[constructs][forms]") {
    auto s = compile_or_fail(R"(setting language = en
slot username
slot email
slot order_id
intent refund
intent give_details
intent cancel
state greet initial
  say "How can I help?"
  on refund -> validate
end
state validate
  ask username "What is your username?" reprompt "Sorry, I still need your username."
  ask email "And your e-mail address?"
  ask order_id "What is the order number?"
  on cancel -> greet
    say "No problem."
  complete -> refund_method
    do validate-purchase(username, email, order_id)
end
state refund_method
  say "Thank you, {username}. How would you like your refund?"
end
)");
    parley::session call(s);
    CHECK(say(call, "refund", {{"email", "ana@example.com"}}) == "validate: What is your username?");  // email kept on entry
    CHECK(say(call, "give_details") == "validate: Sorry, I still need your username.");                // nothing new: reprompt
    CHECK(say(call, "give_details", {{"username", "ana"}}) == "validate: What is the order number?");
    CHECK(say(call, "cancel") == "greet: No problem.");  // the form's own handlers come first
    const auto r = call.step("refund", 1.0, std::vector<parley::slot_value>{{"order_id", "A-7"}});
    CHECK(r.state_name() == "refund_method");  // everything known on entry: complete at once
    REQUIRE(r.actions.size() == 1);
    CHECK(r.actions[0].argument("order_id") == "A-7");
    CHECK(r.actions[0].argument("email") == "ana@example.com");
}

TEST_CASE("construct: a handler's words before a form come first, then the form's question, in one phrase", "[constructs][forms]") {
    auto s = compile_or_fail(R"(setting language = en
slot address
slot name
intent yes
intent no
intent later
flow collect(done)
  state asking
    ask address "And the address, {name|friend}?"
    complete -> done
  end
end
state offer initial
  say "Shall I send it?"
  on yes -> get_address
    say "Good news, {name|friend}: it ships today."
  on no -> anything_else
    say "All right. Anything else?"
  on later -> collect(done -> anything_else)
    say "Let us note it down."
  after 30s -> get_address
    say "Still there?  "
end
state get_address
  ask address "What is your address?"
  complete -> anything_else
    say "Thank you, it is on its way."
end
state anything_else
  say "Is there anything else I can help with?"
  on no -> done
end
state done action close
)");
    const auto* line_of_yes = "test.rules:15";
    parley::session call(s);
    (void)call.start();
    auto r = call.step("yes");
    CHECK(r.phrase == "Good news, friend: it ships today. What is your address?");  // both render: one phrase
    CHECK(r.state_name() == "get_address");
    CHECK(fmt::format("{}:{}", r.rule().file, r.rule().line) == line_of_yes);  // the handler fired, not the `ask`
    r = call.step("yes");                                                      // the form's own turn: the `ask` line speaks, alone
    CHECK(r.phrase == "What is your address?");
    CHECK(r.rule().line == 25);

    call.reset();  // the form has everything: the handler's words, then its 'complete' handler's
    r = call.step("yes", 1.0, std::vector<parley::slot_value>{{"address", "1 Main St"}});
    CHECK(r.phrase == "Good news, friend: it ships today. Thank you, it is on its way.");
    CHECK(r.rule().line == 26);

    call.reset();  // an ordinary state: the handler's words replace its entry phrase
    CHECK(call.step("no").phrase == "All right. Anything else?");

    call.reset();  // a flow whose first state asks, its question rendered too
    r = call.step("later", 1.0, std::vector<parley::slot_value>{{"name", "Ana"}});
    CHECK(r.phrase == "Let us note it down. And the address, Ana?");
    CHECK(r.state_name() == "collect(anything_else).asking");

    call.reset();  // a timer into a form: one space between, however the words end
    std::string joined;
    call.advance(30, [&](const parley::reply& timer) { joined = timer.phrase; });
    CHECK(joined == "Still there?  What is your address?");

    std::string lent;  // into a buffer the host lends, as into the session's own
    call.reset();
    r = call.step(*s.find_label("yes"), 1.0, {}, lent);
    CHECK(r.phrase == "Good news, friend: it ships today. What is your address?");
    CHECK(r.phrase.data() == lent.data());
}

TEST_CASE("construct: known(a, b, ...) counts the known slots", "[constructs][guards]") {
    auto s = compile_or_fail(R"(setting language = en
slot phone
slot zip
slot birthday
slot mother
intent verify
state a initial
  on verify if known(phone, zip, birthday, mother) >= 3 -> stay
    keep phone, zip, birthday, mother
    say "Verified."
  on verify -> stay
    keep phone, zip, birthday, mother
    say "I need one more detail."
end
)");
    parley::session call(s);
    CHECK(say(call, "verify", {{"phone", "555"}, {"zip", "1000"}}) == "a: I need one more detail.");
    CHECK(say(call, "verify", {{"mother", "Ana"}}) == "a: Verified.");  // two kept, one carried
    CHECK(say(call, "verify") == "a: Verified.");
}

TEST_CASE("construct: a chain of forms that complete at once keeps every action, in order", "[constructs][forms]") {
    auto s = compile_or_fail(R"(setting language = en
slot a
intent go
state start initial
  on go -> f1
    do begin
end
state f1
  ask a "A?"
  complete -> f2
    do one
end
state f2
  ask a "A?"
  complete -> f3
    do two
end
state f3
  ask a "A?"
  complete -> f4
    do three
end
state f4
  ask a "A?"
  complete -> f5
    do four
end
state f5
  ask a "A?"
  complete -> last
    do five
end
state last
  say "Done."
  do arrived
end
)");
    parley::session call(s);
    for (int round = 0; round < 2; ++round) {  // the second time, the scratch is reused
        call.reset();
        const auto r = call.step("go", 1.0, std::vector<parley::slot_value>{{"a", "x"}});
        CHECK(r.phrase == "Done.");
        std::string names;
        for (const auto& action : r.actions) names += std::string(action.name) + " ";
        CHECK(names == "begin one two three four five arrived ");
    }
}

namespace {
// A flow used from two states: each use has its own copy and returns where its use says.
constexpr const char* recover_flow = R"(intent forgot
intent returns
intent give
intent no
event sent
slot email

flow recover(found, not_found)
  state asking
    ask email "What e-mail address is on the account?"
    complete -> sending
      do send-username(email)
  end
  state sending
    say "I am sending your username."
    on sent -> found
    on no -> not_found
  end
end

state help initial
  say "How can I help?"
  on forgot -> recover(found -> help, not_found -> goodbye)
  on returns -> return_item
end

state return_item
  say "What is your username?"
  on forgot -> recover(found -> return_item, not_found -> goodbye)
  on give -> goodbye
end

state goodbye action close
  say "Goodbye."
end
)";
}  // namespace

TEST_CASE("construct: a flow returns to the state its use names, through its own copy", "[constructs][flows]") {
    auto s = compile_or_fail(recover_flow);
    CHECK(s.find_state("recover(help,goodbye).asking"));
    CHECK(s.find_state("recover(return_item,goodbye).sending"));
    CHECK_FALSE(s.find_state("asking"));

    parley::session from_help(s);
    CHECK(say(from_help, "forgot") == "recover(help,goodbye).asking: What e-mail address is on the account?");
    const auto r = from_help.step("give", 1.0, std::vector<parley::slot_value>{{"email", "ann@example.com"}});
    CHECK(r.state_name() == "recover(help,goodbye).sending");
    REQUIRE(r.actions.size() == 1);
    CHECK(r.actions[0].name == "send-username");
    CHECK(from_help.step("sent").state_name() == "help");

    parley::session from_returns(s);
    CHECK(say(from_returns, "returns") == "return_item: What is your username?");
    CHECK(say(from_returns, "forgot") == "recover(return_item,goodbye).asking: What e-mail address is on the account?");
    say(from_returns, "give", {{"email", "bo@example.com"}});
    CHECK(from_returns.step("sent").state_name() == "return_item");

    // Inside a copy, a snapshot restores by name into the same copy.
    parley::session inside(s);
    say(inside, "returns");
    say(inside, "forgot");
    auto restored = parley::session::restore(s, inside.snapshot(), parley::restore_mode::by_name);
    say(restored, "give", {{"email", "cy@example.com"}});
    CHECK(say(restored, "no") == "goodbye: Goodbye.");
}

TEST_CASE("construct: a flow's copies are flat states in the graph", "[constructs][flows]") {
    auto s = compile_or_fail(recover_flow);
    const auto g = parley::make_graph(s);
    auto has_edge = [&](std::string_view from, std::string_view to) {
        return std::any_of(g.edges.begin(), g.edges.end(), [&](const parley::graph_edge& e) {
            return e.from != parley::any_state && g.states[e.from] == from && g.states[e.to] == to;
        });
    };
    CHECK(has_edge("help", "recover(help,goodbye).asking"));
    CHECK(has_edge("recover(help,goodbye).sending", "help"));
    CHECK(has_edge("recover(return_item,goodbye).sending", "return_item"));
    CHECK(has_edge("recover(return_item,goodbye).sending", "goodbye"));
}

TEST_CASE("construct: a mistake in a flow is reported once, however many copies", "[constructs][flows]") {
    std::string text = recover_flow;
    text.replace(text.find("(email)"), 7, "(emial)");
    const auto result = parley::compile_string(text, "flows.rules");
    REQUIRE_FALSE(result.script);
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(result.diagnostics[0].message.find("emial") != std::string::npos);
}

TEST_CASE("construct: a state's entry changes the call whenever the state is entered, in order", "[constructs][entry]") {
    auto s = compile_or_fail(R"(setting language = en
slot email
slot order_id
counter visits
counter tries
variable stage = "start"
intent give
intent refund
intent back
intent again
state greet initial
  say "How can I help?"
  increment visits
  set stage = "greeting"
  on give -> stay
    keep email, order_id
    increment tries
  on refund -> details
  on again -> greet
  after 30s -> details
end
state details
  say "Let me look."
  reset tries
  clear order_id
  set stage = email
  increment visits
  do log-visit(stage, email)
  on back -> greet
end
)");
    parley::session call(s);
    (void)call.start();  // the initial state at pickup
    CHECK(call.counter("visits") == 1);
    CHECK(call.variable("stage") == "greeting");
    CHECK(say(call, "give", {{"email", "ana@example.com"}, {"order_id", "A-7"}}) == "greet: ");
    CHECK(call.counter("tries") == 1);
    CHECK(call.counter("visits") == 1);  // 'stay' does not enter the state again
    const auto r = call.step("refund");
    CHECK(r.state_name() == "details");
    CHECK(call.counter("tries") == 0);
    CHECK(call.counter("visits") == 2);
    CHECK(call.slot("order_id").empty());
    CHECK(call.slot("email") == "ana@example.com");
    CHECK(call.variable("stage") == "ana@example.com");
    REQUIRE(r.actions.size() == 1);  // the host actions after the changes: they see them
    CHECK(r.actions[0].argument("stage") == "ana@example.com");
    CHECK(say(call, "back") == "greet: How can I help?");
    CHECK(call.counter("visits") == 3);
    CHECK(call.variable("stage") == "greeting");
    CHECK(say(call, "again") == "greet: How can I help?");  // a handler back into the same state enters it
    CHECK(call.counter("visits") == 4);
    std::size_t fired = call.advance(30, [](const parley::reply& timer) { CHECK(timer.state_name() == "details"); });
    CHECK(fired == 1);  // a timer's move enters the state too
    CHECK(call.counter("visits") == 5);
}

TEST_CASE("construct: the reply's hint is the handler's, else the state's the call is in", "[constructs][entry]") {
    auto s = compile_or_fail(R"(setting language = ru
setting fallback = en
slot email
intent give
intent refund
intent chat
intent noise
state greet initial
  say "Здравствуйте"
  hint ru "Дайте клиенту объяснить" en "Let the caller explain"
  on give -> stay
    hint "Поблагодарите"
  on chat -> stay
  on refund -> details
  on noise -> details
    hint "Извинитесь за ожидание"
end
state details
  hint "Спросите номер заказа"
  ask email "Ваш e-mail?"
  complete -> done
  after 20s -> plain
end
state plain
  say "Чем ещё помочь?"
  on chat -> stay
end
state done action close
)");
    parley::session call(s, {.language = "en"});
    CHECK(call.start().hint() == "Let the caller explain");  // pickup: the initial state's, in the caller's language
    CHECK(call.step("give").hint() == "Поблагодарите");      // the handler's own comes first
    CHECK(call.step("chat").hint() == "Let the caller explain");
    CHECK(call.idle().hint() == "Let the caller explain");
    CHECK(call.step("refund").hint() == "Спросите номер заказа");  // the state the call is in after the step
    std::string hint;
    CHECK(call.advance(20, [&](const parley::reply& r) { hint = r.hint(); }) == 1);
    CHECK(hint.empty());  // a state without a hint: none
    CHECK(call.step("chat").hint().empty());
    call.reset();
    (void)call.start();
    CHECK(call.step("noise").hint() == "Извинитесь за ожидание");
    CHECK(call.step("noise", 1.0, std::vector<parley::slot_value>{{"email", "a@b"}}).state_name() == "done");
}

TEST_CASE("construct: a state's hint follows a handler's rules", "[constructs][entry]") {
    for (const char* bad : {"state s initial\n  hint \"Ask for {email}\"\n  on a -> stay\nend\n",
                            "state s initial\n  hint \"One\" | \"Two\"\n  on a -> stay\nend\n"}) {
        auto result = parley::compile_string(std::string("slot email\nintent a\n") + bad, "t.rules");
        CHECK_FALSE(result.script);
    }
}

TEST_CASE("construct: the graph shows a state's fields, entry changes and hint", "[constructs][entry][graph]") {
    auto s = compile_or_fail(R"(setting language = en
slot email
counter visits
variable stage = "start"
intent give
state greet initial
  say "Hello"
  hint "Be \"warm\""
  increment visits
  set stage = email
  clear email
  do log(stage)
  on give -> details
end
state details
  ask email "Your e-mail?"
  complete -> done
end
state done action close
)");
    const auto dot = parley::to_dot(s);
    CHECK(dot.find("\"greet\" [peripheries=2, label=\"greet\\nincrement visits\\nset stage = email\\nclear email\\ndo log\\nhint: Be "
                   "\\\"warm\\\"\"];") != std::string::npos);
    CHECK(dot.find("\"details\" [label=\"details\\nask email\"];") != std::string::npos);
    CHECK(dot.find("\"details\" -> \"done\" [label=\"complete\"];") != std::string::npos);
    const auto g = parley::make_graph(s);
    CHECK(g.hints[g.initial] == "Be \"warm\"");
    REQUIRE(g.fields.size() == 3);
    CHECK(g.fields[1] == std::vector<std::string_view>{"email"});
}

TEST_CASE("construct: a conditional part is said only when its slot or variable has a value", "[constructs][phrases]") {
    auto s = compile_or_fail(R"(setting language = en
setting fallback = en
slot full_name
variable vip = ""
intent thanks
intent plain
intent only
state a initial
  on thanks -> stay
    say "{full_name?Thank you, {full_name}. }Goodbye."
  on plain -> stay
    say en "{full_name?Thank you, {full_name}.|Thank you.} {vip?({vip}) }{{ok}}"
        ru "{full_name?Спасибо, {full_name}.|Спасибо.}"
  on only -> stay
    say "{full_name?Hi {full_name|there}!}"
end
)");
    parley::session call(s);
    CHECK(say(call, "thanks") == "a: Goodbye.");
    CHECK(say(call, "thanks", {{"full_name", "Ana Lee"}}) == "a: Thank you, Ana Lee. Goodbye.");
    CHECK(say(call, "plain") == "a: Thank you. {ok}");
    CHECK(say(call, "plain", {{"full_name", "Ana"}}) == "a: Thank you, Ana. {ok}");
    CHECK(say(call, "only") == "a: ");
    CHECK(say(call, "only", {{"full_name", "Bo"}}) == "a: Hi Bo!");

    parley::session vip(s, {.language = "ru", .variables = {{"vip", "gold"}}});
    CHECK(say(vip, "plain") == "a: Спасибо.");
    CHECK(say(vip, "plain", {{"full_name", "Аня"}}) == "a: Спасибо, Аня.");
    vip.set_language("en");
    CHECK(say(vip, "plain") == "a: Thank you. (gold) {ok}");
}

TEST_CASE("construct: a conditional part follows the language of its text, and fifteen of them render", "[constructs][phrases]") {
    auto s = compile_or_fail(R"(setting language = ru
setting fallback = en
variable company = ru "" en "Daisy"
intent hi
intent many
state a initial
  on hi -> stay
    say ru "Здравствуйте{company?, {company}}!" en "Hello{company?, {company}|, there}!"
  on many -> stay
    say ru "{company?a|b}{company?c|d}{company?e|f}{company?g|h}{company?i|j}{company?k|l}{company?m|n}{company?o|p}{company?q|r}"
end
)");
    parley::session ru(s), et(s, {.language = "en"});
    CHECK(say(ru, "hi") == "a: Здравствуйте!");
    CHECK(say(et, "hi") == "a: Hello, Daisy!");
    CHECK(say(ru, "many") == "a: bdfhjlnpr");  // more segments than render() resolves on its stack
    parley::session hosted(s, {.variables = {{"company", "Ромашка"}}});
    CHECK(say(hosted, "hi") == "a: Здравствуйте, Ромашка!");
    CHECK(say(hosted, "many") == "a: acegikmoq");
}

TEST_CASE("construct: conditional parts are checked when the script compiles", "[constructs][phrases]") {
    auto [phrase, expected] = GENERATE(table<std::string, std::string>({
        {"{nam?Hi}", "t.rules:6:10: error: placeholder '{nam}' names no variable or slot; did you mean 'name'?"},
        {"{n?Hi}", "t.rules:6:10: error: 'n' is a counter; phrases show slots and variables"},
        {"{name?a {name?b}}", "t.rules:6:18: error: a conditional part cannot contain another; write them one after the other"},
        {"{name?}", "t.rules:6:10: error: this conditional part says nothing"},
        {"{name?|}", "t.rules:6:10: error: this conditional part says nothing"},
        {"{name?Hi", "t.rules:6:10: error: unmatched '{' in a phrase; write '{{' for a literal brace"},
        {"{name?a|{name}}", "t.rules:6:18: warning: '{name}' says nothing while slot 'name' is unknown"},
    }));
    const auto source = "slot name\ncounter n\nintent hi\nstate a initial\n  on hi -> stay\n    say \"" + phrase + "\"\nend\n";
    auto result = parley::compile_string(source, "t.rules");
    std::string all;
    for (const auto& d : result.diagnostics) all += parley::format(d) + "\n";
    CAPTURE(phrase, all);
    CHECK(all.find(expected) != std::string::npos);
}

TEST_CASE("construct: a placeholder inside its own conditional part is guarded", "[constructs][phrases]") {
    auto result = parley::compile_string(R"(slot name
intent hi
state a initial
  on hi -> done
    say "{name?Thank you, {name}.|Thank you.}"
end
state done action close
)",
                                         "t.rules");
    CHECK(result.script);
    CHECK(result.diagnostics.empty());
}

TEST_CASE("construct: any text of braces, '?' and '|' compiles or is refused, never crashes", "[constructs][phrases]") {
    const std::string_view alphabet = "{}?|xa ";
    std::uint64_t seed = 7;
    for (int n = 0; n < 3000; ++n) {
        std::string phrase;
        for (int k = 0; k < 12; ++k) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            phrase += alphabet[(seed >> 33) % alphabet.size()];
        }
        const auto source = "slot x\nslot a\nintent hi\nstate s initial\n  on hi -> stay\n    keep x, a\n    say \"" + phrase + "\"\nend\n";
        auto result = parley::compile_string(source, "fuzz.rules");
        if (!result.script) continue;
        parley::session call(*result.script);
        (void)call.step("hi");
        (void)call.step("hi", 1.0, std::vector<parley::slot_value>{{"x", "X"}});
    }
}

TEST_CASE("construct: typed variables compare, take defaults and reject values of another type", "[constructs][types]") {
    auto s = compile_or_fail(R"(setting language = en
slot amount: number
slot plan: basic | premium
variable limit: number = "50"
variable tier: basic | premium | gold = "basic"
intent refund
intent upgrade
intent choose
state a initial
  on refund if amount <= 0 -> stay
    say "Nothing to refund."
  on refund if limit >= 100 -> stay
    say "A large refund is fine."
  on refund if limit > 20 and tier == "premium" -> stay
    say "A premium refund up to {limit}."
  on refund -> stay
    say "Up to {limit}, {tier}."
  on upgrade -> stay
    set tier = "premium"
    say "Now {tier}."
  on choose -> stay
    set tier = plan
    say "Chose {tier|nothing}."
end
)");
    using parley::session_errc;
    parley::session call(s);
    CHECK(say(call, "refund") == "a: Up to 50, basic.");
    CHECK(say(call, "upgrade") == "a: Now premium.");
    CHECK(say(call, "refund") == "a: A premium refund up to 50.");
    CHECK(say(call, "choose", {{"plan", "basic"}}) == "a: Chose basic.");
    CHECK(say(call, "choose") == "a: Chose basic.");  // an unknown slot gives the variable back its default

    parley::session big(s, {.variables = {{"limit", "250.5"}, {"tier", "gold"}}});
    CHECK(say(big, "refund") == "a: A large refund is fine.");
    parley::session none(s, {.variables = {{"limit", ""}}});  // no value: no comparison holds
    CHECK(say(none, "refund") == "a: Up to , basic.");

    auto error = [&](std::vector<std::pair<std::string, std::string>> variables) -> std::string {
        try {
            parley::session bad(s, {.variables = std::move(variables)});
        } catch (const parley::session_error& e) {
            CHECK(e.code() == session_errc::bad_variable);
            return e.what();
        }
        return "no error";
    };
    CHECK(error({{"limit", "lots"}}) == "variable 'limit' takes a number, not 'lots'");
    CHECK(error({{"tier", "platinum"}}) == "variable 'tier' takes one of basic, premium, gold, not 'platinum'");
    CHECK(error({{"tier.en", "gold"}}) == "variable 'tier' has a type: it has one value for every language, not 'tier.en'");
}

TEST_CASE("construct: typed variables are checked when the script compiles", "[constructs][types]") {
    auto [lines, expected] = GENERATE(table<std::string, std::string>({
        {"variable v: number = \"many\"", "t.rules:1:22: error: variable 'v' takes a number, not 'many'"},
        {"variable v: basic | premium = \"premum\"",
         "t.rules:1:31: error: variable 'v' takes one of basic, premium, not 'premum'; did you mean 'premium'?"},
        {"variable v: number = en \"1\" ru \"2\"",
         "t.rules:1:22: error: variable 'v' has a type: its default is one value for every language, without a language tag"},
        {"variable v: basic | basic", "t.rules:1:21: error: value 'basic' appears twice in variable 'v'"},
        {"variable v: number\nintent go\nstate b\n  on go if v == \"1\" -> a\nend",
         "t.rules:4:12: error: variable 'v' is a number and compares with a number"},
        {"variable v: x | y\nintent go\nstate b\n  on go if v == \"z\" -> a\nend",
         "t.rules:4:12: error: 'z' is not a value of variable 'v' (x, y)"},
        {"variable v: x | y\nintent go\nstate b\n  on go if v < \"x\" -> a\nend",
         "t.rules:4:12: error: variable 'v' compares only with '==' or '!='; a variable declared ': number' compares as a number"},
        {"variable v: number\nintent go\nstate b\n  on go -> a\n    set v = \"ten\"\nend",
         "t.rules:5:13: error: variable 'v' takes a number, not 'ten'"},
        {"variable v: number\nslot s\nintent go\nstate b\n  on go -> a\n    set v = s\nend",
         "t.rules:6:13: error: variable 'v' takes a number, but slot 's' may hold any text"},
        {"variable v: x | y\nslot s: x | z\nintent go\nstate b\n  on go -> a\n    set v = s\nend",
         "t.rules:6:13: error: variable 'v' takes one of x, y, but slot 's' may hold one of x, z"},
    }));
    auto result = parley::compile_string(lines + "\nintent hi\nstate a initial\n  on hi -> stay\nend\n", "t.rules");
    std::string all;
    for (const auto& d : result.diagnostics) all += parley::format(d) + "\n";
    CAPTURE(lines, all);
    CHECK(all.find(expected) != std::string::npos);
}

TEST_CASE("construct: a typed variable takes a slot of a compatible type", "[constructs][types]") {
    auto s = compile_or_fail(R"(slot days: number
slot level: x | y
variable d: number = "1"
variable l: x | y | z
intent go
state a initial
  on go -> stay
    set d = days
    set l = level
    say "{d} {l}"
end
)");
    parley::session call(s);
    CHECK(say(call, "go", {{"days", "3"}, {"level", "y"}}) == "a: 3 y");
}

TEST_CASE("construct: below the threshold an intent counts as below_threshold's; guards read the real confidence", "[constructs][guards]") {
    auto s = compile_or_fail(R"(setting threshold = 0.6
setting below_threshold = unclear
intent confirm
intent supervisor
intent unclear
state a initial
  on confirm -> stay
    say "confirmed"
  on unclear -> stay
    say "sorry?"
  on supervisor if confidence >= 0.8 -> stay
    say "transferring"
  on supervisor -> stay
    say "a supervisor?"
end
)");
    parley::session call(s);
    CHECK(std::string(call.step("confirm", 0.9).phrase) == "confirmed");  // a statement keyword names an intent
    CHECK(std::string(call.step("confirm", 0.59).phrase) == "sorry?");
    CHECK(std::string(call.step("supervisor", 0.85).phrase) == "transferring");
    CHECK(std::string(call.step("supervisor", 0.7).phrase) == "a supervisor?");
    CHECK(std::string(call.step("supervisor", 0.3).phrase) == "sorry?");
}

TEST_CASE("construct: a flow used inside a flow; DOT draws each copy once, around its own states", "[constructs][flows]") {
    auto s = compile_or_fail(R"(intent go
intent back
flow outer(done)
  state one
    on go -> two
  end
  state two
    on go -> inner(done -> one)
    on back -> done
  end
end
flow inner(done)
  state only
    on back -> done
  end
end
state start initial
  on go -> outer(done -> bye)
end
state bye action close
)");
    parley::session call(s);
    CHECK(call.step("go").state_name() == "outer(bye).one");
    CHECK(call.step("go").state_name() == "outer(bye).two");
    CHECK(call.step("go").state_name() == "inner(outer(bye).one).only");
    CHECK(call.step("back").state_name() == "outer(bye).one");
    CHECK(call.step("go").state_name() == "outer(bye).two");
    CHECK(call.step("back").state_name() == "bye");

    const auto dot = parley::to_dot(s);
    auto count = [&](std::string_view what) {
        std::size_t n = 0;
        for (auto at = dot.find(what); at != std::string::npos; at = dot.find(what, at + 1)) ++n;
        return n;
    };
    CHECK(count("subgraph") == 2);
    CHECK(count("label=\"outer(bye)\"") == 1);
    CHECK(count("label=\"inner(outer(bye).one)\"") == 1);
    // The outer copy's box holds both its states.
    const auto box = dot.substr(dot.find("label=\"outer(bye)\""));
    CHECK(box.substr(0, box.find('}')).find("\"outer(bye).two\" [label=\"two\"]") != std::string::npos);
}

TEST_CASE("construct: an exit may lead into another flow's use, chained where it is written", "[constructs][flows]") {
    auto s = compile_or_fail(R"(setting language = en
intent go
intent ok
intent help
flow pull_up(done)
  state pulling
    say "Pulling up the account."
    on ok -> done
  end
end
flow validate(done, failed)
  state validating
    say "Validating the purchase."
    on ok -> done
    on help -> failed
  end
end
flow refund(finished)
  state start
    say "A refund, then."
    on go -> pull_up(done -> validate(done -> finished, failed -> start))
  end
end
flow music
  state playing
    say "Please hold."
    on ok -> start
  end
end
state start initial
  say "How can I help?"
  on go -> pull_up(done -> validate(done -> start, failed -> music))
  on help -> refund(finished -> start)
end
)");
    parley::session call(s);
    CHECK(call.step("go").state_name() == "pull_up(validate(start,music.playing).validating).pulling");
    auto r = call.step("ok");
    CHECK(r.state_name() == "validate(start,music.playing).validating");
    CHECK(r.phrase == "Validating the purchase.");
    CHECK(call.step("help").state_name() == "music.playing");  // an exit into a flow without exits
    CHECK(call.step("ok").state_name() == "start");
    // Inside a flow, a chained use's exits go to the flow's own states and exits.
    CHECK(call.step("help").state_name() == "refund(start).start");
    CHECK(call.step("go").state_name() == "pull_up(validate(start,refund(start).start).validating).pulling");
    CHECK(call.step("ok").state_name() == "validate(start,refund(start).start).validating");
    CHECK(call.step("ok").state_name() == "start");
}

TEST_CASE("construct: quoted choices, two values compared, and a part said for one value", "[constructs][types][phrases]") {
    auto s = compile_or_fail(R"(setting language = en
slot method: "by mail" | "in store"
slot days: number
slot email
slot backup
slot level: gold | silver
variable window: number = "30"
variable tier: gold | silver | basic = "basic"
counter tries
intent returns
intent check
intent again
state talk initial
  say "How can I help?"
  on returns if days <= window -> stay
    keep method
    say "Within the window.{method=by mail? We will mail a label.}{method=in store? Bring it to a store.}"
  on returns -> stay
    say "{days=31?One day late.|Outside the window.}"
  on check if email == backup and known(email) -> stay
    say "The same address."
  on check if level == tier -> stay
    say "{tier=gold?Gold|Silver} member."
  on check -> stay
    say "Different."
  on again if tries < days -> stay
    increment tries
    say "Once more."
  on again -> stay
    say "No more tries."
end
)");
    parley::session call(s);
    using slots = std::vector<parley::slot_value>;
    CHECK(call.step("returns", 1.0, slots{{"days", "12"}, {"method", "by mail"}}).phrase == "Within the window. We will mail a label.");
    CHECK(call.step("returns", 1.0, slots{{"days", "30.0"}, {"method", "in store"}}).phrase == "Within the window. Bring it to a store.");
    CHECK(call.step("returns", 1.0, slots{{"days", "31"}}).phrase == "One day late.");
    CHECK(call.step("returns", 1.0, slots{{"days", "45"}}).phrase == "Outside the window.");
    CHECK(call.step("returns").phrase == "Outside the window.");                                      // no number: no comparison holds
    CHECK_THROWS_AS(call.step("returns", 1.0, slots{{"method", "by post"}}), parley::session_error);  // not one of its values

    CHECK(call.step("check", 1.0, slots{{"email", "a@x"}, {"backup", "a@x"}}).phrase == "The same address.");
    CHECK(call.step("check", 1.0, slots{{"email", "a@x"}, {"backup", "b@x"}}).phrase == "Different.");
    parley::step_trace why;  // what a guard of two values read: both
    (void)call.step("check", 1.0, slots{{"email", "a@x"}}, why);
    REQUIRE_FALSE(why.handlers.empty());
    CHECK(why.handlers[0].read == "email = \"a@x\", backup = unknown, email = \"a@x\"");
    CHECK(call.step("check", 1.0, slots{{"level", "silver"}}).phrase == "Different.");  // the tier is basic
    parley::session gold(s, {.variables = {{"tier", "gold"}}});
    CHECK(gold.step("check", 1.0, slots{{"level", "gold"}}).phrase == "Gold member.");

    const slots two_days{{"days", "2"}};
    CHECK(call.step("again", 1.0, two_days).phrase == "Once more.");  // a counter against a number slot
    CHECK(call.step("again", 1.0, two_days).phrase == "Once more.");
    CHECK(call.step("again", 1.0, two_days).phrase == "No more tries.");
}
