// parley::make_outline: declarations and uses with positions, resolved as the compiler resolves
// names (a flow's own states and exits first), across includes read through compile_options.
#include "catch.hpp"

#include <parley/outline.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

// "kind name@line:column-end_column" of each use of the declaration named `name` (in `scope`).
std::vector<std::string> uses_of(const parley::outline& o, const std::string& name, const std::string& scope = "") {
    std::vector<std::string> out;
    for (std::uint32_t i = 0; i < o.declarations.size(); ++i) {
        const auto& d = o.declarations[i];
        if (d.name != name || d.scope != scope) continue;
        for (const auto& r : o.references)
            if (r.declaration == i)
                out.push_back(std::string(to_string(d.kind)) + " " + o.files[r.range.file] + "@" + std::to_string(r.range.line) + ":" +
                              std::to_string(r.range.column) + "-" + std::to_string(r.range.end_column));
    }
    return out;
}

const parley::symbol_declaration* find(const parley::outline& o, const std::string& name, const std::string& scope = "") {
    const auto it = std::find_if(o.declarations.begin(), o.declarations.end(),
                                 [&](const parley::symbol_declaration& d) { return d.name == name && d.scope == scope; });
    return it == o.declarations.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("an outline resolves a flow's own states and exits before the script's", "[outline]") {
    const auto o = parley::make_outline(R"(intent hi: en "you greet" ru "привет"
intent bye
counter n
slot name
flow again(done)
  state intake
    say "Once more, {name|friend}?"
    on hi -> done
    on bye -> intake
  end
end
state intake initial
  say "Hi"
  on hi if n >= 1 and known(name) -> again(done -> intake)
    increment n
end
)",
                                        "main.rules");
    REQUIRE(o.files == std::vector<std::string>{"main.rules"});
    CHECK(uses_of(o, "intake", "again") == std::vector<std::string>{"state main.rules@9:15-21"});
    CHECK(uses_of(o, "intake") == std::vector<std::string>{"state main.rules@14:52-58"});
    CHECK(uses_of(o, "done", "again") == std::vector<std::string>{"exit main.rules@8:14-18", "exit main.rules@14:44-48"});
    CHECK(uses_of(o, "again") == std::vector<std::string>{"flow main.rules@14:38-43"});
    CHECK(uses_of(o, "n") == std::vector<std::string>{"counter main.rules@14:12-13", "counter main.rules@15:15-16"});
    CHECK(uses_of(o, "name") == std::vector<std::string>{"slot main.rules@7:22-26", "slot main.rules@14:29-33"});
    const auto* hi = find(o, "hi");
    REQUIRE(hi);
    CHECK(hi->kind == parley::symbol_kind::intent);
    CHECK(hi->signature == R"(intent hi: en "you greet" ru "привет")");
    REQUIRE(hi->texts.size() == 2);
    CHECK(hi->texts[1].language == "ru");
    CHECK(hi->texts[1].text == "привет");
    const auto* flow = find(o, "again");
    REQUIRE(flow);
    CHECK(flow->extent.line == 5);
    CHECK(flow->extent.end_line == 11);
    CHECK(flow->name_range.column == 6);
}

TEST_CASE("an outline follows includes through the host's read_file and keeps what parsed of a broken script", "[outline]") {
    const std::map<std::string, std::string> files = {{"lib/common.rules", "intent hi\nstate done action close\n"}};
    parley::compile_options options;
    options.read_file = [&](const std::filesystem::path& p) -> std::optional<std::string> {
        const auto it = files.find(p.string());
        if (it == files.end()) return std::nullopt;
        return it->second;
    };
    const auto o = parley::make_outline("include \"common.rules\"\nstate a initial\n  on hi -> done\nend\nstate b\n  on -> \n",
                                        "lib/main.rules", options);
    REQUIRE(o.files == std::vector<std::string>{"lib/main.rules", "lib/common.rules"});
    CHECK(uses_of(o, "lib/common.rules") == std::vector<std::string>{"file lib/main.rules@1:9-23"});
    CHECK(uses_of(o, "hi") == std::vector<std::string>{"intent lib/main.rules@3:6-8"});
    CHECK(uses_of(o, "done") == std::vector<std::string>{"state lib/main.rules@3:12-16"});
    const auto* done = find(o, "done");
    REQUIRE(done);
    CHECK(done->name_range.file == 1);
    CHECK(done->signature == "state done action close");
}

TEST_CASE("the keywords and settings an editor completes are the grammar's and the compiler's", "[outline]") {
    const auto words = parley::keywords();
    for (const auto* w : {"state", "flow", "on", "otherwise", "known", "reprompt", "include"})
        CHECK(std::find(words.begin(), words.end(), w) != words.end());
    const auto settings = parley::setting_names();
    CHECK(std::find(settings.begin(), settings.end(), "threshold") != settings.end());
    CHECK(std::is_sorted(settings.begin(), settings.end()));
}

namespace {
std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

// The reserved words live in the grammar (src/dsl/parser.cpp); the editor's completion reads them
// from there (parley::keywords), and the language reference and the TextMate grammar must say
// the same words: a keyword added to the parser fails here until both know it.
TEST_CASE("the reserved words of the reference and of the editor grammar are the parser's", "[outline][docs]") {
    const auto words = parley::keywords();
    const std::set<std::string> reserved(words.begin(), words.end());

    const auto reference = read_text(PARLEY_SOURCE_DIR "/rules/README.md");
    const std::string intro = "These words are reserved and cannot name anything: `";
    const auto start = reference.find(intro);
    REQUIRE(start != std::string::npos);
    const auto end = reference.find('`', start + intro.size());
    std::istringstream listed(reference.substr(start + intro.size(), end - start - intro.size()));
    std::set<std::string> documented;
    for (std::string w; listed >> w;) documented.insert(w);
    CHECK(documented == reserved);

    // Each keyword is one alternative of a pattern: "(word)", "(word|", "|word|" or "|word)".
    const auto grammar = read_text(PARLEY_SOURCE_DIR "/editors/vscode/syntaxes/parley.tmLanguage.json");
    for (const auto& w : reserved) {
        CAPTURE(w);
        const bool highlighted = grammar.find("(" + w + ")") != std::string::npos || grammar.find("(" + w + "|") != std::string::npos ||
                                 grammar.find("|" + w + "|") != std::string::npos || grammar.find("|" + w + ")") != std::string::npos;
        CHECK(highlighted);
    }
}
