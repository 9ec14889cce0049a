// The semantic checks, the graph analyses, includes and the DOT export.
#include "fixtures.hpp"

#include <map>

namespace {

// The diagnostics of `text` rendered without the source lines: "file:line:col: severity: message".
std::vector<std::string> diagnose(std::string_view text, parley::compile_options options = {}) {
    auto result = parley::compile_string(text, "t.rules", options);
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics) {
        auto s = parley::format(d, {.color = false, .source = false});
        s.pop_back();
        out.push_back(s);
    }
    return out;
}

bool contains(const std::vector<std::string>& all, std::string_view wanted) {
    for (const auto& s : all)
        if (s == wanted) return true;
    UNSCOPED_INFO("wanted: " << wanted);
    for (const auto& s : all) UNSCOPED_INFO("  got: " << s);
    return false;
}

}  // namespace

TEST_CASE("the small script compiles without diagnostics", "[compiler]") {
    auto result = parley::compile_string(parley::test::small_script, "small.rules");
    for (const auto& d : result.diagnostics) INFO(parley::format(d));
    CHECK(result.diagnostics.empty());
    REQUIRE(result.script);
    CHECK(result.script->state_count() == 6);
    CHECK(result.script->language_count() == 2);
}

TEST_CASE("each semantic error has its exact location and message", "[compiler][diagnostics]") {
    auto [source, expected] = GENERATE(table<std::string, std::string>({
        {"intent hi\nstate a initial\n  on hi -> b\nend\n", "t.rules:3:12: error: undefined state 'b'"},
        {"intent hi\nstate a initial\n  on ho -> stay\nend\n", "t.rules:3:6: error: undefined intent or event 'ho'; did you mean 'hi'?"},
        {"intent hi\nintent hi\nstate a initial\n  on hi -> stay\nend\n", "t.rules:2:8: error: duplicate intent or event 'hi'"},
        {"intent hi\nstate a initial\n  on hi -> stay\nend\nstate a\nend\n", "t.rules:5:7: error: duplicate state 'a'"},
        {"slot x\ncounter x\nintent hi\nstate a initial\n  on hi -> stay\nend\n", "t.rules:2:9: error: 'x' is already declared as a slot"},
        {"intent hi\nstate a initial\n  on hi -> stay\n    say \"hello {who}\"\nend\n",
         "t.rules:4:16: error: placeholder '{who}' names no variable or slot"},
        {"setting language = ru\nintent hi\nstate a initial\n  on hi -> stay\n    say en \"hello\"\nend\n",
         "t.rules:5:9: error: phrase has no text in the default language 'ru'"},
        {"forbid \"алло\" use \"Спасибо за ожидание\"\nintent hi\nstate a initial\n  on hi -> stay\n    say \"Алло, вы тут?\"\nend\n",
         "t.rules:5:10: error: phrase contains the forbidden phrase 'алло'; say 'Спасибо за ожидание' instead"},
        {"intent hi\nstate a initial\n  on hi if n > 1 -> stay\nend\n", "t.rules:3:12: error: undefined counter, slot or variable 'n'"},
        {"slot s\nintent hi\nstate a initial\n  on hi if s > 1 -> stay\nend\n",
         "t.rules:4:12: error: slot 's' holds text and compares with a string; to compare it with numbers, declare it 'slot s: number'"},
        {"counter c\nintent hi\nstate a initial\n  on hi -> stay\n    increment d\nend\n", "t.rules:5:15: error: undefined counter 'd'"},
        {"intent hi\nstate a\n  on hi -> stay\nend\n",
         "t.rules:2:7: error: no state is marked 'initial'; mark the state where a call starts"},
        {"intent hi\nstate a initial\n  on hi -> stay\nend\nstate b initial\n  on hi -> a\nend\n",
         "t.rules:5:7: error: state 'b' is marked 'initial', but so is 'a'"},
        {"setting speed = 3\nintent hi\nstate a initial\n  on hi -> stay\nend\n", "t.rules:1:9: error: unknown setting 'speed'"},
        {"setting threshold = 2\nintent hi\nstate a initial\n  on hi -> stay\nend\n",
         "t.rules:1:9: error: setting 'threshold' takes a number from 0 to 1"},
        {"intent hi\nstate a initial action wait\n  on hi -> stay\nend\n",
         "t.rules:2:24: error: unknown action 'wait'; a state's action is continue, hold, transfer, hangup or close"},
        {"intent hi\nstate a initial\n  on hi -> b\nend\nstate b action close\n  on hi -> a\nend\n",
         "t.rules:6:3: error: terminal state 'b' cannot have handlers: the call has ended there"},
        {"intent hi\nstate a initial action hold\n  after 90s -> b\nend\nstate b action close\n",
         "t.rules:3:9: error: a hold must not last longer than hold_timeout (60 s)"},
        {"intent hi\nconfirm -> a\n  ask \"{intent}?\"\n  repeat \"again\"\nend\nstate a initial\n  on hi -> stay\nend\n",
         "t.rules:2:1: error: 'confirm' needs the intent 'accept'"},
        {"intent hi\nstate a initial\n  on hi -> stay\n    say \"{intent}\"\nend\n",
         "t.rules:4:10: error: '{intent}' can only be used in the 'ask' phrase of 'confirm'"},
        {"intent hi\nstate a initial\n  on hi -> stay\n    say \"a { b\"\nend\n",
         "t.rules:4:12: error: unmatched '{' in a phrase; write '{{' for a literal brace"},
    }));
    CAPTURE(source);
    CHECK(contains(diagnose(source), expected));
}

TEST_CASE("notes point at the first declaration of a duplicate", "[compiler][diagnostics]") {
    auto all = diagnose("intent hi\nintent hi\nstate a initial\n  on hi -> stay\nend\n");
    CHECK(contains(all, "t.rules:1:8: note: first declared here"));
}

TEST_CASE("a byte order mark and any line ending are accepted, and lines count right", "[compiler][diagnostics]") {
    const std::string lines[] = {"intent hello", "state start initial", "  on hello -> nowhere", "end"};
    for (const std::string_view ending : {"\n", "\r\n", "\r"}) {
        for (const std::string_view bom : {"", "\xEF\xBB\xBF"}) {
            std::string text(bom);
            for (const auto& line : lines) text += line + std::string(ending);
            INFO("line ending " << (ending == "\r" ? "CR" : ending == "\n" ? "LF" : "CRLF") << (bom.empty() ? "" : " after a BOM"));
            const auto d = diagnose(text);
            REQUIRE(d.size() == 1);
            CHECK(d[0] == "t.rules:3:15: error: undefined state 'nowhere'");
        }
    }
}

TEST_CASE("diagnostics render with the source line and a caret", "[compiler][diagnostics]") {
    auto result = parley::compile_string("intent hi\nstate a initial\n  on hi -> nowhere\nend\n", "x.rules");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(parley::format(result.diagnostics[0]) ==
          "x.rules:3:12: error: undefined state 'nowhere'\n"
          "    3 |   on hi -> nowhere\n"
          "      |            ^~~~~~~\n");
    CHECK(parley::to_json(result.diagnostics) ==
          "[\n  {\"file\": \"x.rules\", \"line\": 3, \"column\": 12, \"length\": 7, \"severity\": \"error\", "
          "\"message\": \"undefined state 'nowhere'\"}\n]\n");
}

TEST_CASE("graph analyses warn about unreachable states, dead ends and trap cycles", "[compiler][graph]") {
    auto all = diagnose(R"(intent hi
intent bye
state a initial
  on hi -> b
  on bye -> done
end
state b
  on hi -> c
end
state c
  on hi -> b
end
state lost
  on hi -> done
end
state stuck
end
state done action close
)");
    CHECK(contains(all, "t.rules:7:7: warning: states 'b' and 'c' form a cycle that can never be left: no handler leads out of it"));
    CHECK(contains(all, "t.rules:13:7: warning: state 'lost' is unreachable from the initial state 'a'"));
    CHECK(contains(all, "t.rules:16:7: warning: state 'stuck' is unreachable from the initial state 'a'"));
    auto dead_end =
        diagnose("intent hi\nintent bye\nstate a initial\n  on hi -> b\n  on bye -> done\nend\nstate b\nend\nstate done action close\n");
    CHECK(contains(dead_end, "t.rules:7:7: warning: no terminal state can be reached from state 'b'"));
}

TEST_CASE("global handlers count as ways out of every state", "[compiler][graph]") {
    auto all = diagnose(
        "intent hi\nintent bye\nglobal\n  on bye -> done\nend\nstate a initial\n  on hi -> b\nend\nstate b\nend\nstate done action close\n");
    CHECK(all.empty());
}

TEST_CASE("shadowed handlers and unused intents are warnings", "[compiler][diagnostics]") {
    auto all = diagnose("intent hi\nintent unused\nstate a initial\n  on hi -> stay\n  on hi -> done\nend\nstate done action close\n");
    CHECK(contains(all, "t.rules:5:3: warning: this handler for 'hi' can never fire: the handler on line 4 always matches first"));
    CHECK(contains(all, "t.rules:2:8: warning: intent 'unused' is declared but never handled"));
    auto result = parley::compile_string("intent hi\nintent unused\nstate a initial\n  on hi -> stay\nend\n", "t.rules",
                                         {.warnings_as_errors = true});
    CHECK_FALSE(result.script);
}

TEST_CASE("includes are read relative to the including file, once, and cycles are reported", "[compiler][include]") {
    std::map<std::string, std::string> files = {
        {"dir/main.rules", "include \"common.rules\"\ninclude \"common.rules\"\nstate a initial\n  on hi -> done\nend\n"},
        {"dir/common.rules", "intent hi\nstate done action close\n"},
        {"dir/loop.rules", "include \"loop2.rules\"\nintent hi\nstate a initial\n  on hi -> stay\nend\n"},
        {"dir/loop2.rules", "include \"loop.rules\"\n"},
        {"dir/missing.rules", "include \"nope.rules\"\nintent hi\nstate a initial\n  on hi -> stay\nend\n"},
    };
    parley::compile_options options;
    options.read_file = [&](const std::filesystem::path& p) -> std::optional<std::string> {
        auto it = files.find(p.lexically_normal().string());
        if (it == files.end()) return std::nullopt;
        return it->second;
    };
    auto ok = parley::compile_string(files["dir/main.rules"], "dir/main.rules", options);
    for (const auto& d : ok.diagnostics) INFO(parley::format(d));
    REQUIRE(ok.script);
    CHECK(ok.script->find_state("done"));

    auto loop = parley::compile_string(files["dir/loop.rules"], "dir/loop.rules", options);
    REQUIRE_FALSE(loop.diagnostics.empty());
    CHECK(parley::format(loop.diagnostics[0], {.source = false}) ==
          "dir/loop2.rules:1:1: error: include cycle: loop.rules -> loop2.rules -> loop.rules\n");

    auto missing = parley::compile_string(files["dir/missing.rules"], "dir/missing.rules", options);
    REQUIRE_FALSE(missing.diagnostics.empty());
    CHECK(parley::format(missing.diagnostics[0], {.source = false}) ==
          "dir/missing.rules:1:1: error: cannot open included file 'dir/nope.rules'\n");
}

TEST_CASE("a file that cannot be opened is a diagnostic, not an exception", "[compiler]") {
    auto result = parley::compile_file("/nonexistent/x.rules");
    REQUIRE(result.diagnostics.size() == 1);
    CHECK(parley::format(result.diagnostics[0]) == "/nonexistent/x.rules: error: cannot open file\n");
    CHECK_THROWS_AS(parley::load("/nonexistent/x.rules"), parley::compile_error);
}

TEST_CASE("the DOT export has every state, the initial one, terminal styles and labelled edges", "[compiler][graph]") {
    const auto dot = parley::to_dot(parley::test::small());
    CHECK(dot.rfind("digraph parley {", 0) == 0);
    CHECK(dot.find("\"intake\" [peripheries=2, label=\"intake\"];") != std::string::npos);
    CHECK(dot.find("\"hangup\" [shape=box, style=\"rounded,filled\", fillcolor=\"#f8d7da\", label=\"hangup\\n(hangup)\"];") !=
          std::string::npos);
    CHECK(dot.find("\"hold\" [style=\"rounded,dashed\", label=\"hold\\n(hold)\"];") != std::string::npos);
    CHECK(dot.find("\"intake\" -> \"de_escalate\" [label=\"complaint [fault == \\\"caller\\\"]\"];") != std::string::npos);
    CHECK(dot.find("\"intake\" -> \"hold\" [label=\"after 30s\"];") != std::string::npos);
    CHECK(dot.find("\"*\" -> \"hangup\" [label=\"insult [insults >= 1]\", color=gray50, fontcolor=gray40];") != std::string::npos);
    CHECK(dot.back() == '\n');
    const auto graph = parley::make_graph(parley::test::small());
    CHECK(graph.states.size() == 6);
    CHECK(graph.states[graph.initial] == "intake");
}

TEST_CASE("a say after a state's handlers is an error, not the last handler's phrase", "[compiler][diagnostics]") {
    const auto source = "intent a\nstate s initial\n  on a -> t\n  say \"x\"\nend\nstate t action close\n";
    auto result = parley::compile_string(source, "t.rules");
    CHECK_FALSE(result.script);
    CHECK(contains(diagnose(source),
                   "t.rules:4:3: error: this 'say' is indented like the state's statements, after its handlers; a state's own 'say' "
                   "goes before its first 'on', and a handler's 'say' is indented under it"));
    // Indented under the handler, or on the handler's own line, it is the handler's phrase.
    for (const char* fine : {"intent a\nstate s initial\n  on a -> t\n    say \"x\"\nend\nstate t action close\n",
                             "intent a\nstate s initial\n  on a -> t say \"x\"\nend\nstate t action close\n"}) {
        auto ok = parley::compile_string(fine, "t.rules");
        REQUIRE(ok.script);
        parley::session call(*ok.script);
        (void)call.start();
        CHECK(call.step("a").phrase == "x");
    }
}

// A form `f` asks for `email`; the script before it says how the call gets there.
TEST_CASE("a form's field is never asked when every way into the form knows its slot", "[compiler][analysis][forms]") {
    const auto [ways_in, never_asked] = GENERATE(table<std::string, bool>({
        // Another form's 'complete' guarantees its fields.
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> f\nend\n", true},
        // Slots stay from state to state: through a state in between.
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> m\nend\n"
         "state m\n  say \"Next.\"\n  on go -> f\nend\n",
         true},
        // ... unless the handler on the way clears it,
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> f\n    clear email\nend\n", false},
        // or the form's entry does,
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> m\nend\n"
         "state m\n  say \"Next.\"\n  on go -> f\nend\n@clear email\n",
         false},
        // or a handler staying in a state on the way may,
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> m\nend\n"
         "state m\n  say \"Next.\"\n  on go -> f\n  on other -> stay\n    clear email\nend\n",
         false},
        // or one staying in the form itself (which then asks again),
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> f\nend\n@on other -> stay\n    clear email\n",
         false},
        // or a keep of an utterance that may carry it empty.
        {"state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> m\nend\n"
         "state m\n  say \"Next.\"\n  on go -> f\n  on other -> stay\n    keep email\nend\n",
         false},
        // Another way in that does not know it.
        {"state a initial\n  on go -> c\n  on other -> f\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> f\nend\n", false},
        // The initial state knows nothing.
        {"state a initial\n  on go -> f\nend\n", false},
        // A guard's known() reads the utterance's value before the call's: kept, it is the call's.
        {"state a initial\n  on go if known(email) -> f\nend\n", false},
        {"state a initial\n  on go if known(email) -> f\n    keep email\nend\n", true},
        {"state a initial\n  on go if email == \"x\" and known(order) -> f\n    keep email\nend\n", true},
        {"state a initial\n  on go if known(email, order) >= 1 -> f\n    keep email\nend\n", false},
        {"state a initial\n  on go if known(email) or known(order) -> f\n    keep email\nend\n", false},
        // A timer has no utterance: its guard reads the call's value.
        {"state a initial\n  on go -> stay\n    keep email\n  after 5s if known(email) -> f\nend\n", true},
        // A confirmation question and the way back keep what the call knows.
        {"setting threshold = 0.5\nconfirm -> q\n  ask \"Sure?\"\n  repeat \"Again?\"\nend\nstate q\n  after 5s -> a\nend\n"
         "state a initial\n  on go -> c\nend\nstate c\n  ask email \"E-mail?\"\n  complete -> m\nend\n"
         "state m\n  say \"Next.\"\n  on go -> f\nend\n",
         true},
    }));
    // '@' puts the rest in the form, before its 'complete'.
    std::string extra;
    std::string before = ways_in;
    if (const auto at = before.find('@'); at != std::string::npos) extra = before.substr(at + 1), before.resize(at);
    const std::string text = "slot email\nslot order\nintent go\nintent other\nintent accept\nintent decline\n" + before + "state f\n" +
                             (extra.rfind("clear", 0) == 0 ? "  " + extra : "") + "  ask email \"E-mail?\"\n  ask order \"Order?\"\n" +
                             (extra.rfind("on", 0) == 0 ? "  " + extra : "") + "  complete -> done\nend\nstate done action close\n";
    INFO(text);
    const auto all = diagnose(text);
    bool warned = false;
    for (const auto& d : all) {
        UNSCOPED_INFO(d);
        CHECK(d.find("error") == std::string::npos);
        warned = warned || d.find("form 'f' never asks for 'email'") != std::string::npos;
    }
    CHECK(warned == never_asked);
    for (const auto& d : all) CHECK(d.find("never asks for 'order'") == std::string::npos);
}
