// The .rules grammar: every construct, its syntax errors, recovery, and malformed input.
#include "catch.hpp"

#include "../src/dsl/parser.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ast = parley::dsl::ast;
namespace x3 = boost::spirit::x3;

struct parsed {
    std::string text;
    ast::file file;
    std::vector<parley::diagnostic> diagnostics;
};

parsed parse(std::string text, const parley::compile_limits& limits = {}) {
    parsed p;
    p.text = text;
    const parley::dsl::source_file source("t.rules", std::move(text));
    p.file = parley::dsl::parse(source, limits, p.diagnostics);
    return p;
}

// The one item of a file that parsed cleanly.
template <class Node>
Node only(const parsed& p) {
    for (const auto& d : p.diagnostics) UNSCOPED_INFO(d.line << ':' << d.column << ": " << d.message);
    REQUIRE(p.diagnostics.empty());
    REQUIRE(p.file.items.size() == 1);
    const Node* node = boost::get<Node>(&p.file.items[0].get());
    REQUIRE(node != nullptr);
    return *node;
}

// The source text a tagged node was parsed from.
std::string_view span(const parsed& p, const ast::tagged& node) { return std::string_view(p.text).substr(node.offset, node.length); }

// "line:column: message" of each diagnostic.
std::vector<std::string> messages(const parsed& p) {
    std::vector<std::string> out;
    for (const auto& d : p.diagnostics) out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.message);
    return out;
}

bool has_message(const parsed& p, std::string_view part) {
    for (const auto& d : p.diagnostics)
        if (d.message.find(part) != std::string::npos) return true;
    for (const auto& m : messages(p)) UNSCOPED_INFO(m);
    return false;
}

// Parses text that may be anything: every diagnostic still points into the file. How fast is
// bench_parse's business; a test under sanitizers cannot say.
parsed parse_anything(std::string text) {
    auto p = parse(std::move(text));
    for (const auto& d : p.diagnostics) CHECK(d.line >= 1);
    return p;
}

std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

constexpr std::string_view valid_script = R"(# every construct once
include "common.rules"
setting language = ru
setting fallback = en
setting threshold = 0.6
variable company = "Ромашка"
slot name
counter insults
intent greeting: ru "вы здороваетесь" en "you are saying hello"
intent accept
intent decline
event tech_failure
forbid "алло" use "Спасибо за ожидание"
confirm -> clarify
  ask ru "Правильно ли я понимаю, что {intent}?" en "Do I understand that {intent}?"
  repeat "Повторите, пожалуйста."
end
global
  on greeting if insults >= 1 and not known(name) -> hangup
    say ru "До свидания." en "Goodbye."
end
state intake initial
  say "Здравствуйте!" | ru "Алло?" pt-BR "Olá?"
  on greeting, accept -> stay
    increment insults
    keep name
    set company = "x"
    hint "Слушайте"
  otherwise -> clarify
  after 30s -> hangup
end
state clarify
  on decline -> intake
    reset insults
end
state hangup action hangup
)";

}  // namespace

// ---- source_file --------------------------------------------------------------------------------

TEST_CASE("a source file maps byte offsets to lines and code-point columns", "[parser][source]") {
    const parley::dsl::source_file f("f.rules", "ab\r\nдом x\n\nlast");
    CHECK(f.line_of(0) == 1);
    CHECK(f.line_of(3) == 1);  // the '\n' belongs to its line
    CHECK(f.line_of(4) == 2);
    CHECK(f.column_of(4) == 1);
    CHECK(f.column_of(10) == 4);    // after three two-byte letters and... 'д','о','м' then ' '
    CHECK(f.column_of(11) == 5);    // 'x'
    CHECK(f.line_text(1) == "ab");  // without '\r'
    CHECK(f.line_text(2) == "дом x");
    CHECK(f.line_text(3).empty());
    CHECK(f.line_text(4) == "last");
    CHECK(f.line_text(5).empty());
    CHECK(f.line_text(0).empty());
}

TEST_CASE("a diagnostic's length is in code points, at least 1 and clipped to its line", "[parser][source]") {
    const parley::dsl::source_file f("f.rules", "say \"дом\"\nnext");
    auto d = f.make(parley::severity::error, 4, 8, "m");
    CHECK(d.file == "f.rules");
    CHECK(d.line == 1);
    CHECK(d.column == 5);
    CHECK(d.length == 5);  // "дом" with its quotes
    CHECK(d.source_line == "say \"дом\"");
    CHECK(f.make(parley::severity::error, 4, 100, "m").length == 5);  // clipped at the line's end
    CHECK(f.make(parley::severity::error, 0, 0, "m").length == 1);
}

TEST_CASE("a diagnostic past the end of the file points after the last character", "[parser][source]") {
    const parley::dsl::source_file f("f.rules", "slot");
    auto d = f.make(parley::severity::error, 1000, 1, "m");
    CHECK(d.line == 1);
    CHECK(d.column == 5);
    CHECK(d.length == 1);
    const parley::dsl::source_file g("g.rules", "slot\n");
    d = g.make(parley::severity::error, 5, 1, "m");
    CHECK(d.line == 2);
    CHECK(d.column == 1);
    CHECK(d.source_line.empty());
    const parley::dsl::source_file empty("e.rules", "");
    d = empty.make(parley::severity::error, 0, 1, "m");
    CHECK(d.line == 1);
    CHECK(d.column == 1);
}

// ---- Constructs ---------------------------------------------------------------------------------

TEST_CASE("a file with every construct parses without diagnostics", "[parser]") {
    auto p = parse(std::string(valid_script));
    CHECK(messages(p).empty());
    CHECK(p.file.items.size() == 17);
}

TEST_CASE("include names a file", "[parser]") {
    auto p = parse("include \"common.rules\"");
    auto d = only<ast::include_decl>(p);
    CHECK(d.path.value == "common.rules");
    CHECK(span(p, d) == "include \"common.rules\"");
    CHECK(span(p, d.path) == "\"common.rules\"");
}

TEST_CASE("a setting takes a number, a string or a name", "[parser]") {
    auto number = only<ast::setting_decl>(parse("setting threshold = 0.6"));
    CHECK(number.name.text == "threshold");
    CHECK(boost::get<ast::number_literal>(number.value.get()).value == 0.6);

    auto text = only<ast::setting_decl>(parse("setting language = \"ru\""));
    CHECK(boost::get<ast::string_literal>(text.value.get()).value == "ru");

    auto p = parse("  setting unknown_intents = otherwise_x # a comment");
    auto name = only<ast::setting_decl>(p);
    CHECK(boost::get<ast::identifier>(name.value.get()).text == "otherwise_x");
    CHECK(name.offset == 2);
    CHECK(span(p, name) == "setting unknown_intents = otherwise_x");
    CHECK(span(p, name.name) == "unknown_intents");

    // 'inf' and 'nan' are not numbers: words that start with them stay words.
    auto word = only<ast::setting_decl>(parse("setting fallback = infer"));
    CHECK(boost::get<ast::identifier>(word.value.get()).text == "infer");
}

TEST_CASE("a variable may have a default value", "[parser]") {
    auto with = only<ast::variable_decl>(parse("variable company = \"Ромашка\""));
    CHECK(with.name.text == "company");
    REQUIRE(with.value.size() == 1);
    CHECK(with.value[0].language.empty());
    CHECK(with.value[0].value.value == "Ромашка");
    auto without = only<ast::variable_decl>(parse("variable company"));
    CHECK(without.value.empty());
    // One wording per language, as an intent's description.
    auto worded = only<ast::variable_decl>(parse("variable company = ru \"Ромашка\" en \"Daisy\""));
    REQUIRE(worded.value.size() == 2);
    CHECK(worded.value[1].language == "en");
    CHECK(worded.value[1].value.value == "Daisy");
}

TEST_CASE("slot, counter and event declare a name", "[parser]") {
    auto p = parse("slot name\ncounter insults\nevent tech_failure\n");
    REQUIRE(p.diagnostics.empty());
    REQUIRE(p.file.items.size() == 3);
    CHECK(boost::get<ast::slot_decl>(p.file.items[0].get()).name.text == "name");
    CHECK(boost::get<ast::counter_decl>(p.file.items[1].get()).name.text == "insults");
    const auto& e = boost::get<ast::event_decl>(p.file.items[2].get());
    CHECK(e.name.text == "tech_failure");
    CHECK(span(p, e) == "event tech_failure");
    CHECK(span(p, e.name) == "tech_failure");
}

TEST_CASE("an intent may have a description in several languages", "[parser]") {
    auto p = parse("intent greeting: ru \"вы здороваетесь\" pt-BR \"olá\" \"hello\"");
    auto i = only<ast::intent_decl>(p);
    CHECK(i.name.text == "greeting");
    REQUIRE(i.description.size() == 3);
    CHECK(i.description[0].language == "ru");
    CHECK(i.description[0].value.value == "вы здороваетесь");
    CHECK(span(p, i.description[0]) == "ru \"вы здороваетесь\"");
    CHECK(i.description[1].language == "pt-BR");
    CHECK(i.description[2].language.empty());
    CHECK(i.description[2].value.value == "hello");
    CHECK(only<ast::intent_decl>(parse("intent accept")).description.empty());
}

TEST_CASE("strings unescape quotes, backslashes and newlines", "[parser]") {
    auto f = only<ast::forbid_decl>(parse(R"(forbid "a \"b\" \\ c\n" use "d")"));
    CHECK(f.phrase.value == "a \"b\" \\ c\n");
    CHECK(f.replacement.value == "d");
}

TEST_CASE("confirm has a target, an ask phrase and a repeat phrase", "[parser]") {
    auto p = parse("confirm -> clarify\n  ask ru \"{intent}?\" en \"{intent}?\"\n  repeat \"again\" | \"once more\"\nend");
    auto c = only<ast::confirm_decl>(p);
    CHECK(c.target.text == "clarify");
    REQUIRE(c.ask.variants.size() == 1);
    CHECK(c.ask.variants[0].texts.size() == 2);
    CHECK(c.repeat.variants.size() == 2);
    CHECK(span(p, c.repeat) == "\"again\" | \"once more\"");
    CHECK(span(p, c).substr(0, 7) == "confirm");
    CHECK(span(p, c).substr(span(p, c).size() - 3) == "end");
}

TEST_CASE("global holds handlers", "[parser]") {
    auto g = only<ast::global_decl>(parse("global\n  on bye -> done\n  otherwise -> stay\nend"));
    REQUIRE(g.handlers.size() == 2);
    CHECK(g.handlers[0].when.labels[0].text == "bye");
    CHECK(g.handlers[1].when.kind == ast::trigger_kind::otherwise);
    CHECK(g.handlers[1].target.text == "stay");
    CHECK(only<ast::global_decl>(parse("global end")).handlers.empty());
}

TEST_CASE("a state has a name, initial, an action, an entry phrase and handlers", "[parser]") {
    auto p = parse("state intake initial action hold\n  say \"hi\"\n  on a -> b\nend");
    auto s = only<ast::state_decl>(p);
    CHECK(s.name.text == "intake");
    CHECK(s.initial);
    REQUIRE(s.action);
    CHECK(s.action->text == "hold");
    REQUIRE(s.entry);
    CHECK(s.entry->variants[0].texts[0].value.value == "hi");
    REQUIRE(s.handlers.size() == 1);
    CHECK(span(p, s) == p.text);
    CHECK(span(p, s.handlers[0]) == "on a -> b");
}

TEST_CASE("a state without entry phrase and handlers may omit 'end'", "[parser]") {
    auto p = parse("state hangup action hangup\nstate close action close\nstate empty\nend\nstate last");
    CHECK(messages(p).empty());
    REQUIRE(p.file.items.size() == 4);
    CHECK(boost::get<ast::state_decl>(p.file.items[1].get()).action->text == "close");
    CHECK(span(p, boost::get<ast::state_decl>(p.file.items[2].get())) == "state empty\nend");
}

TEST_CASE("handlers are triggered by labels, otherwise or a timer", "[parser]") {
    auto p = parse("state a\n  on x, y -> b\n  otherwise -> stay\n  after 30s -> c\n  after 2.5 -> d\nend");
    auto s = only<ast::state_decl>(p);
    REQUIRE(s.handlers.size() == 4);
    const auto& on = s.handlers[0];
    CHECK(on.when.kind == ast::trigger_kind::on);
    REQUIRE(on.when.labels.size() == 2);
    CHECK(on.when.labels[1].text == "y");
    CHECK(span(p, on.when.labels[1]) == "y");
    CHECK(on.target.text == "b");
    CHECK_FALSE(on.guard);
    CHECK(s.handlers[1].when.kind == ast::trigger_kind::otherwise);
    CHECK(s.handlers[1].target.text == "stay");
    CHECK(s.handlers[2].when.kind == ast::trigger_kind::after);
    CHECK(s.handlers[2].when.seconds.value == 30);
    CHECK(span(p, s.handlers[2].when.seconds) == "30s");
    CHECK(s.handlers[3].when.seconds.value == 2.5);
}

TEST_CASE("a handler's clauses come in any order", "[parser]") {
    auto p = parse(
        "state a\n  on x -> b\n    keep name, fault\n    say \"one\" | \"two\"\n    increment c\n    reset d\n    set v = \"w\"\n"
        "    hint ru \"совет\" en \"advice\"\nend");
    auto s = only<ast::state_decl>(p);
    const auto& clauses = s.handlers.at(0).clauses;
    REQUIRE(clauses.size() == 6);
    const auto& keep = boost::get<ast::keep_clause>(clauses[0]);
    REQUIRE(keep.slots.size() == 2);
    CHECK(keep.slots[1].text == "fault");
    CHECK(span(p, keep) == "keep name, fault");
    CHECK(boost::get<ast::say_clause>(clauses[1]).what.variants.size() == 2);
    const auto& inc = boost::get<ast::counter_clause>(clauses[2]);
    CHECK(inc.verb == ast::counter_verb::increment);
    CHECK(inc.counter.text == "c");
    CHECK(boost::get<ast::counter_clause>(clauses[3]).verb == ast::counter_verb::reset);
    const auto& set = boost::get<ast::set_clause>(clauses[4]);
    CHECK(set.variable.text == "v");
    CHECK(set.value.value == "w");
    const auto& hint = boost::get<ast::hint_clause>(clauses[5]);
    REQUIRE(hint.what.variants.size() == 1);
    CHECK(hint.what.variants[0].texts.size() == 2);
}

TEST_CASE("guards bind 'or' loosest, then 'and', then 'not'", "[parser]") {
    auto p = parse("state a\n  on x if a == \"b\" or not c > 1 and known(n) -> b\nend");
    auto s = only<ast::state_decl>(p);
    REQUIRE(s.handlers[0].guard);
    const auto& g = *s.handlers[0].guard;
    CHECK(span(p, g) == "a == \"b\" or not c > 1 and known(n)");
    REQUIRE(g.terms.size() == 2);
    REQUIRE(g.terms[0].terms.size() == 1);
    const auto& cmp = boost::get<ast::comparison>(g.terms[0].terms[0].get());
    CHECK(cmp.subject.text == "a");
    CHECK(cmp.op == ast::compare_op::eq);
    CHECK(boost::get<ast::string_literal>(cmp.value.get()).value == "b");
    REQUIRE(g.terms[1].terms.size() == 2);
    const auto& neg = boost::get<x3::forward_ast<ast::negation>>(g.terms[1].terms[0].get()).get();
    CHECK(span(p, neg) == "not c > 1");
    const auto& inner = boost::get<ast::comparison>(neg.subject.get());
    CHECK(inner.op == ast::compare_op::gt);
    CHECK(boost::get<ast::number_literal>(inner.value.get()).value == 1);
    const auto& known = boost::get<ast::known_check>(g.terms[1].terms[1].get());
    CHECK(known.name.text == "n");
    CHECK(span(p, known) == "known(n)");
}

TEST_CASE("parentheses group a guard", "[parser]") {
    auto p = parse("state a\n  on x if (a != \"b\" or c <= 2) and d >= 3 and e < 4 -> b\nend");
    auto s = only<ast::state_decl>(p);
    const auto& g = *s.handlers[0].guard;
    REQUIRE(g.terms.size() == 1);
    REQUIRE(g.terms[0].terms.size() == 3);
    const auto& group = boost::get<x3::forward_ast<ast::disjunction>>(g.terms[0].terms[0].get()).get();
    REQUIRE(group.terms.size() == 2);
    CHECK(boost::get<ast::comparison>(group.terms[1].terms[0].get()).op == ast::compare_op::le);
    CHECK(boost::get<ast::comparison>(g.terms[0].terms[1].get()).op == ast::compare_op::ge);
    CHECK(boost::get<ast::comparison>(g.terms[0].terms[2].get()).op == ast::compare_op::lt);
}

TEST_CASE("keywords are whole words: 'state' does not start 'statement'", "[parser]") {
    auto p = parse("slot statement\nslot onion\nstate stayed\n  on ending -> staying\nend");
    CHECK(messages(p).empty());
    REQUIRE(p.file.items.size() == 3);
    CHECK(boost::get<ast::slot_decl>(p.file.items[0].get()).name.text == "statement");
    const auto& s = boost::get<ast::state_decl>(p.file.items[2].get());
    CHECK(s.name.text == "stayed");
    CHECK(s.handlers[0].when.labels[0].text == "ending");
    CHECK(s.handlers[0].target.text == "staying");
}

TEST_CASE("an action's name is any word of letters, digits, '_' and '-', even one that starts like a keyword", "[parser]") {
    const auto s = only<ast::state_decl>(
        parse("state a initial\n  on x -> b\n    do ask-the-oracle\n    do set-x\n    do on-hold\n    do end-call\n    do "
              "known_1\nend"));
    REQUIRE(s.handlers.size() == 1);
    std::vector<std::string> names;
    for (const auto& c : s.handlers[0].clauses) names.push_back(boost::get<ast::do_clause>(c).name.text);
    CHECK(names == std::vector<std::string>{"ask-the-oracle", "set-x", "on-hold", "end-call", "known_1"});
    CHECK(has_message(parse("state a initial\n  on x -> b\n    do end\nend"), "'end' is a reserved word"));
}

TEST_CASE("comments and blank lines are skipped anywhere", "[parser]") {
    auto p = parse(
        "# head\n\nstate a # name\n  # inside\n  on x # label\n    -> b # target\n\n    say \"# not a comment\" # said\nend # done\n");
    auto s = only<ast::state_decl>(p);
    CHECK(boost::get<ast::say_clause>(s.handlers[0].clauses[0]).what.variants[0].texts[0].value.value == "# not a comment");
}

// ---- Syntax errors ------------------------------------------------------------------------------

TEST_CASE("syntax errors name what was expected, where", "[parser][diagnostics]") {
    auto [source, expected] = GENERATE(table<std::string, std::string>({
        {"intent hi\nstate a\n  on hi warn\nend", "3:9: expected '->' after the intent name"},
        {"state a\n  on hi if c > 1 b\nend", "2:18: expected '->' after the guard"},
        {"state a\n  otherwise b\nend", "2:13: expected '->' after 'otherwise'"},
        {"state a\n  after 3 b\nend", "2:11: expected '->' after the timer's seconds"},
        {"state\n", "2:1: expected a state name after 'state'"},
        {"state 1a", "1:7: expected a state name after 'state'"},
        {"state statement\n  say \"x\"\n", "3:1: expected 'end' to close state 'statement'"},
        {"state intake\n  on hi -> b\n  sya \"x\"\nend", "3:3: expected 'end' to close state 'intake'; did you mean 'say'?"},
        {"state intake\n  on hi -> b\n  thing \"x\"\nend", "3:3: expected 'end' to close state 'intake'"},
        {"global\n  on a -> b\n", "3:1: expected 'end' to close 'global'"},
        {"intent hi: ru 3", "1:15: expected a string after the language tag"},
        {"intent hi: 3", "1:12: expected a description after ':': a string, or language tags and strings"},
        {"intent hi\nstate a\n  on -> b\nend", "3:6: expected an intent or event name after 'on'"},
        {"state a\n  on x, -> b\nend", "2:9: expected an intent or event name after ','"},
        {"state a\n  on x if -> b\nend", "2:11: expected a guard after 'if'"},
        {"state a\n  on x if not -> b\nend", "2:15: expected a condition: a comparison, 'known(...)', 'not' or '('"},
        {"state a\n  on x if ( -> b\nend", "2:13: expected a condition after '('"},
        {"state a\n  on x if c > 1 or -> b\nend", "2:20: expected a condition after 'or'"},
        {"state a\n  on x if c > 1 and -> b\nend", "2:21: expected a condition after 'and'"},
        {"state a\n  on x if c = 1 -> b\nend", "2:13: expected a comparison operator: '==', '!=', '<', '<=', '>' or '>='"},
        {"state a\n  on x if c > -> b\nend", "2:15: expected a number, a string, or a counter, slot or variable to compare with"},
        {"state a\n  on x if (c > 1 -> b\nend", "2:18: expected ')'"},
        {"state a\n  on x if known name -> b\nend", "2:17: expected '('"},
        {"state a\n  on x -> b\n    say \"a\" |\nend", "4:1: expected a variant after '|': a string, or language tags and strings"},
        {"state a\n  on x -> b\n    keep\nend", "4:1: expected a slot name after 'keep'"},
        {"state a\n  on x -> b\n    set v \"w\"\nend", "3:11: expected '='"},
        {"state a\n  on x ->\nend", "3:1: expected a target state or 'stay' after '->'"},
        {"state a\n  after x -> b\nend", "2:9: expected a number of seconds after 'after'"},
        {"state a action\n", "2:1: expected an action after 'action': continue, hold, transfer, hangup or close"},
        {"setting x 1", "1:11: expected '='"},
        {"setting x =", "1:12: expected a setting value: a number, a name or a string"},
        {"slot", "1:5: expected a name to declare"},
        {"slot\nstate a", "2:1: expected a name to declare"},
        {"slot say",
         "1:6: 'say' is a reserved word; a name to declare cannot be 'say': rename it (as 'say_name') where it is declared and where it is used"},
        {"forbid \"a\" \"b\"", "1:12: expected 'use' and the replacement phrase"},
        {"confirm clarify", "1:9: expected '->' after 'confirm'"},
        {"confirm -> c\n  repeat \"x\"\nend", "2:3: expected 'ask' and the phrase that confirms the intent"},
        {"confirm -> c\n  ask \"x\"\nend", "3:1: expected 'repeat' and the phrase that asks the caller to repeat"},
        {"confirm -> c ask \"x\" repeat \"y\"", "1:32: expected 'end' to close 'confirm'"},
        {"include common.rules", "1:9: expected a string in double quotes"},
        {"forbid \"a\\q\" use \"b\"", "1:11: expected an escape: '\\\"', '\\\\' or '\\n'"},
        {"slot a\nintent b\nhello world",
         "3:1: expected a statement (state, intent, event, slot, counter, variable, setting, "
         "forbid, confirm, global, handlers, flow or include), found 'hello'"},
        {"state a\n  on x -> b\n    say \"abc\nend", "3:13: unterminated string: a string ends with '\"' on the line where it starts"},
        {"forbid \"abc", "1:12: unterminated string: a string ends with '\"' on the line where it starts"},
    }));
    CAPTURE(source);
    auto p = parse(source);
    REQUIRE(p.diagnostics.size() >= 1);
    CHECK(messages(p)[0] == expected);
    CHECK(p.diagnostics[0].file == "t.rules");
    CHECK(p.diagnostics[0].severity == parley::severity::error);
}

TEST_CASE("a diagnostic underlines the offending token", "[parser][diagnostics]") {
    auto p = parse("intent hi\nstate a\n  on hi => warn\nend");
    REQUIRE(p.diagnostics.size() == 1);
    const auto& d = p.diagnostics[0];
    CHECK(d.line == 3);
    CHECK(d.column == 9);
    CHECK(d.length == 2);
    CHECK(d.source_line == "  on hi => warn");
    CHECK(d.message == "expected '->' after the intent name");

    auto q = parse("state a\n  on x if c > 1 -> b\n    say ru \"да\" ру \"нет\"\nend");
    REQUIRE(q.diagnostics.size() == 1);
    CHECK(q.diagnostics[0].column == 17);  // 'ру' is not a language tag: code points, not bytes
    CHECK(q.diagnostics[0].length == 2);
}

TEST_CASE("a missing 'end' does not swallow the next state", "[parser][diagnostics]") {
    auto p = parse("state a\n  on x -> b\nstate b\n  on y -> a\nend\n");
    CHECK(messages(p) == std::vector<std::string>{"3:1: expected 'end' to close state 'a'"});
    REQUIRE(p.file.items.size() == 1);
    CHECK(boost::get<ast::state_decl>(p.file.items[0].get()).name.text == "b");
}

TEST_CASE("three broken statements give three errors and the rest parses", "[parser][recovery]") {
    auto p = parse(read(std::filesystem::path(PARLEY_SOURCE_DIR) / "tests/data/malformed/three_errors.rules"));
    CHECK(messages(p) == std::vector<std::string>{
                             "5:9: expected '->' after the intent name",
                             "9:13: unterminated string: a string ends with '\"' on the line where it starts",
                             "12:1: expected a name to declare",
                         });
    // intent hi, intent bye, state done
    REQUIRE(p.file.items.size() == 3);
    CHECK(boost::get<ast::state_decl>(p.file.items[2].get()).name.text == "done");
}

TEST_CASE("recovery never resumes inside a string", "[parser][recovery]") {
    auto p = parse("state a\n  on x => b\n    say \"state inside a string\"\n  on y -> c\nend\nslot s\n");
    CHECK(messages(p) == std::vector<std::string>{"2:8: expected '->' after the intent name"});
    REQUIRE(p.file.items.size() == 1);
    CHECK(boost::get<ast::slot_decl>(p.file.items[0].get()).name.text == "s");
}

TEST_CASE("errors are capped at 100 and parsing stops there", "[parser][recovery]") {
    std::string text;
    for (int i = 0; i < 500; ++i) text += "state s" + std::to_string(i) + "\n  on => x\nend\n";
    const auto p = parse_anything(text);
    CHECK(p.diagnostics.size() == 101);
    CHECK(p.diagnostics.back().message == "too many errors; stopping here");
}

// ---- Malformed input ----------------------------------------------------------------------------

TEST_CASE("a valid file cut at every byte gives diagnostics, never a crash", "[parser][robustness]") {
    const std::string text(valid_script);
    std::size_t with_errors = 0;
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
        auto p = parse(text.substr(0, cut));
        with_errors += !p.diagnostics.empty();
        for (const auto& d : p.diagnostics) {
            CHECK(d.line >= 1);
            CHECK(d.column >= 1);
            CHECK(d.length >= 1);
        }
    }
    CHECK(with_errors > text.size() / 4);
}

TEST_CASE("invalid UTF-8 is an error at its byte, and the file is still parsed", "[parser][robustness]") {
    auto p = parse("intent hi: en \"caf\xC3\"\nslot");
    CHECK(messages(p) == std::vector<std::string>{"1:19: invalid UTF-8", "2:5: expected a name to declare"});
    auto q = parse("slot a\n\xFF\xFE\nslot b");
    CHECK(has_message(q, "invalid UTF-8"));
    CHECK(q.file.items.size() == 2);
}

TEST_CASE("control characters outside strings are unexpected", "[parser][robustness]") {
    auto p = parse(std::string("intent hi\n\x01\x02 state a initial\nend\n"));
    REQUIRE(p.diagnostics.size() >= 1);
    CHECK(messages(p)[0] == "2:1: unexpected character");
    CHECK(p.diagnostics[0].length == 2);
    CHECK(has_message(p, "expected a statement"));

    auto nul = parse(std::string("intent hi\0\0\0", 12));
    CHECK(messages(nul)[0] == "1:10: unexpected character");

    // Inside strings and comments they are text.
    auto fine = parse(std::string("intent hi: \"a\x01\" # \x02\n"));
    CHECK(messages(fine).empty());
}

TEST_CASE("deep guard nesting is refused at the limit without exhausting the stack", "[parser][robustness]") {
    parsed p;
    const std::string deep = "state a\n  on hi if " + std::string(100'000, '(') + "c > 1" + std::string(100'000, ')') + " -> stay\nend\n";
    p = parse_anything(deep);
    CHECK(messages(p) == std::vector<std::string>{"2:44: guard is nested too deeply (the limit is 32)"});

    std::string nots = "state a\n  on hi if ";
    for (int i = 0; i < 50'000; ++i) nots += "not ";
    nots += "c > 1 -> stay\nend\n";
    p = parse_anything(nots);
    CHECK(has_message(p, "guard is nested too deeply (the limit is 32)"));

    const std::string fine = "state a\n  on hi if " + std::string(32, '(') + "c > 1" + std::string(32, ')') + " -> stay\nend\n";
    CHECK(messages(parse(fine)).empty());
    const std::string over = "state a\n  on hi if " + std::string(33, '(') + "c > 1" + std::string(33, ')') + " -> stay\nend\n";
    CHECK(has_message(parse(over), "guard is nested too deeply"));
}

TEST_CASE("a 1 MB line and 1 MB of random bytes are diagnosed", "[parser][robustness]") {
    parsed p;
    p = parse_anything(std::string(1 << 20, 'x'));
    CHECK_FALSE(p.diagnostics.empty());

    p = parse_anything("state a\n  on hi -> stay\n    say \"" + std::string(1 << 20, 'a') + "\"\nend\n");
    CHECK(p.diagnostics.empty());
    p = parse_anything("forbid \"" + std::string(1 << 20, 'a'));
    CHECK(has_message(p, "unterminated string"));
    p = parse_anything("state a\n  on " + std::string(1 << 20, 'a'));
    CHECK_FALSE(p.diagnostics.empty());

    std::mt19937 rng(7);
    std::string noise(1 << 20, '\0');
    for (auto& c : noise) c = static_cast<char>(rng());
    p = parse_anything(noise);
    CHECK_FALSE(p.diagnostics.empty());

    // Random keywords and punctuation reach deeper into the grammar than random bytes.
    const char* pieces[] = {"state ", "on ", "-> ", "end\n", "say ", "\"x\" ",   "if ",     "(",  ")",  "not ",   "and ", "a ",
                            "> ",     "1 ",  "| ",  "ru ",   ", ",   "global\n", "intent ", ": ", "\n", "after ", "30s "};
    for (int round = 0; round < 200; ++round) {
        std::string soup;
        for (int k = 0; k < 200; ++k) soup += pieces[rng() % std::size(pieces)];
        (void)parse(soup);
    }
}

TEST_CASE("the sample malformed files give diagnostics", "[parser][robustness]") {
    const auto dir = std::filesystem::path(PARLEY_SOURCE_DIR) / "tests/data/malformed";
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".rules") continue;
        CAPTURE(entry.path().filename().string());
        auto p = parse(read(entry.path()));
        CHECK_FALSE(p.diagnostics.empty());
        ++files;
    }
    CHECK(files >= 5);
}

TEST_CASE("a 10,000-state file parses cleanly", "[parser]") {
    std::string text = "counter c\nslot name\n";
    for (int s = 0; s < 10'000; ++s) {
        text += "state s" + std::to_string(s) + "\n  say \"Hello from state " + std::to_string(s) + "\"\n";
        for (int h = 0; h < 10; ++h)
            text += "  on i" + std::to_string(h) + " if c >= " + std::to_string(h) + " and not known(name) -> s" +
                    std::to_string((s + h + 1) % 10'000) + "\n    say \"Reply number " + std::to_string(h) + "\"\n    increment c\n";
        text += "end\n";
    }
    const auto p = parse(text);
    CHECK(p.diagnostics.empty());
    CHECK(p.file.items.size() == 10'002);
}
