// Every ```rules block in the language reference is a complete file that compiles cleanly.
#include "catch.hpp"

#include <parley/compiler.hpp>

#include <fstream>
#include <sstream>

namespace {
int check_rules_blocks(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::string line, block;
    bool inside = false;
    int blocks = 0, first_line = 0, number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!inside && line == "```rules") {
            inside = true;
            block.clear();
            first_line = number + 1;
        } else if (inside && line == "```") {
            inside = false;
            ++blocks;
            auto result = parley::compile_string(block, path + ":" + std::to_string(first_line));
            for (const auto& d : result.diagnostics) UNSCOPED_INFO(parley::format(d));
            CHECK(result.script);
            CHECK(result.diagnostics.empty());
        } else if (inside) {
            block += line + "\n";
        }
    }
    return blocks;
}
}  // namespace

TEST_CASE("every example in rules/README.md and README.md compiles without diagnostics", "[docs]") {
    CHECK(check_rules_blocks(PARLEY_SOURCE_DIR "/rules/README.md") >= 2);
    CHECK(check_rules_blocks(PARLEY_SOURCE_DIR "/README.md") >= 1);
}

TEST_CASE("the shipped scripts compile without diagnostics", "[docs]") {
    for (const char* name : {"callcenter.rules", "outbound.rules"}) {
        auto result = parley::compile_file(std::string(PARLEY_SOURCE_DIR "/rules/") + name);
        for (const auto& d : result.diagnostics) UNSCOPED_INFO(parley::format(d));
        CHECK(result.script);
        CHECK(result.diagnostics.empty());
    }
}
