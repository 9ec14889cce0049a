// parley::format_source (`parley fmt`): canonical, idempotent, and the same script afterwards,
// on every .rules file of the repository and every seed of the compiler's fuzzer.
#include "catch.hpp"

#include <parley/compiler.hpp>
#include <parley/graph.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> files_in(const std::vector<std::string>& folders, const std::string& extension) {
    std::vector<fs::path> out;
    for (const auto& folder : folders)
        for (const auto& e : fs::recursive_directory_iterator(fs::path(PARLEY_SOURCE_DIR) / folder))
            if (e.is_regular_file() && (extension.empty() || e.path().extension() == extension)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> messages(const std::vector<parley::diagnostic>& diagnostics) {
    std::vector<std::string> out;
    for (const auto& d : diagnostics) out.push_back(std::string(to_string(d.severity)) + ": " + d.message);
    return out;
}

// Formats `path`'s text; a refused file must be one the compiler refuses too. A formatted one
// formats to itself and compiles to the same script: the same fingerprint (which does not
// depend on lines), the same graph (states, transitions, triggers, guards, actions, hints), the
// same handler count and the same diagnostics but for their positions.
void check_format(const fs::path& path) {
    INFO(path.string());
    const auto text = read(path);
    const auto formatted = parley::format_source(text, path.string());
    const auto original = parley::compile_string(text, path.string());
    if (!formatted) {
        CHECK(parley::has_errors(formatted.diagnostics));
        CHECK_FALSE(original.script);
        return;
    }
    CHECK(formatted.diagnostics.empty());
    const auto again = parley::format_source(*formatted.text, path.string());
    REQUIRE(again);
    CHECK(*again.text == *formatted.text);
    const auto compiled = parley::compile_string(*formatted.text, path.string());
    CHECK(messages(compiled.diagnostics) == messages(original.diagnostics));
    REQUIRE(compiled.script.has_value() == original.script.has_value());
    if (!original.script) return;
    CHECK(compiled.script->fingerprint() == original.script->fingerprint());
    CHECK(parley::to_dot(*compiled.script) == parley::to_dot(*original.script));
    CHECK(compiled.script->handler_count() == original.script->handler_count());
}

}  // namespace

TEST_CASE("every .rules file of the repository formats to itself and to the same script", "[format]") {
    const auto files = files_in({"rules", "examples", "tests/cli", "tests/diagnostics", "benchmarks/peer"}, ".rules");
    CHECK(files.size() > 200);
    for (const auto& f : files) check_format(f);
}

TEST_CASE("the compiler fuzzer's seeds format to themselves and to the same script, or are refused", "[format]") {
    // .ci/run seeds fuzz_compile with every file of rules/ and tests/cli/, .rules or not.
    for (const auto& f : files_in({"rules", "tests/cli"}, "")) check_format(f);
}

TEST_CASE("the canonical layout", "[format]") {
    const auto formatted = parley::format_source(
        "# greeting\nintent hi : \"says hello\"   # a comment\nslot name\n\n\n\nstate start initial say \"Hello\" en \"Hi\"\n"
        "  on hi,bye if known( name ) and(x == 1)->stay keep name say \"a\"\n      en \"b\"|\"c\" # trailing\n"
        "    do notify  ( name , reason = \"x\" )\n# before the end\nend\nstate done action close\n");
    REQUIRE(formatted);
    CHECK(*formatted.text ==
          "# greeting\nintent hi: \"says hello\"  # a comment\nslot name\n\nstate start initial\n  say \"Hello\" en \"Hi\"\n"
          "  on hi, bye if known(name) and (x == 1) -> stay\n    keep name\n    say \"a\"\n        en \"b\" | \"c\"  # trailing\n"
          "    do notify(name, reason = \"x\")\n  # before the end\nend\nstate done action close\n");
}

TEST_CASE("a script with syntax errors is refused, with the parser's diagnostics", "[format]") {
    const auto formatted = parley::format_source("state a initial\n  on hi => b\nend\n", "x.rules");
    CHECK_FALSE(formatted);
    REQUIRE(formatted.diagnostics.size() == 1);
    CHECK(parley::format(formatted.diagnostics[0], {.color = false, .source = false}) ==
          "x.rules:2:9: error: expected '->' after the intent name\n");
}
