// The names a .rules script declares and where each is used, with positions: what editors need
// for go to definition, find references, hover, completion and an outline. It reads the script
// as the compiler does (the same parser, includes resolved through the same compile_options),
// and it works on a script with errors: whatever parsed is in it. Part of parley::compiler.
#ifndef PARLEY_OUTLINE_HPP_INCLUDED
#define PARLEY_OUTLINE_HPP_INCLUDED

#include <parley/compiler.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

enum class symbol_kind : std::uint8_t { state, flow, exit, intent, event, slot, counter, variable, group, file };

[[nodiscard]] constexpr std::string_view to_string(symbol_kind k) noexcept {
    constexpr std::string_view names[] = {"state", "flow", "exit", "intent", "event", "slot", "counter", "variable", "group of handlers",
                                          "file"};
    return names[static_cast<std::uint8_t>(k)];
}

// A span of one file's text: 1-based lines and columns in code points, as a diagnostic's; the
// end is one past the last character.
struct source_range {
    std::uint32_t file = 0;  // into outline::files
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::uint32_t end_line = 0;
    std::uint32_t end_column = 0;
};

// A wording in one language; `language` empty means the script's default language.
struct language_text {
    std::string language;
    std::string text;
};

struct symbol_declaration {
    symbol_kind kind = symbol_kind::state;
    std::string name;
    std::string scope;                 // the flow a state or an exit belongs to; empty at the top level
    source_range name_range;           // the name where it is declared (a file: its first character)
    source_range extent;               // the whole declaration: a state from 'state' to its 'end'
    std::string signature;             // the declaration's first line as written: "slot days: number"
    std::vector<language_text> texts;  // an intent's descriptions, a variable's defaults
};

// A use of a declared name (a name that resolves to nothing has none), or an include of a file.
struct symbol_reference {
    std::uint32_t declaration = 0;  // into outline::declarations
    source_range range;
};

struct outline {
    std::vector<std::string> files;                // as diagnostics name them: [0] the root, then the included ones in the order read
    std::vector<std::string> texts;                // each file's text as it was read (parallel to files): for positions in it
    std::vector<symbol_declaration> declarations;  // in the order written, files in include order
    std::vector<symbol_reference> references;      // in the order written; declarations are not among them
};

// The outline of the script `text`, named and with includes resolved as compile_string does.
[[nodiscard]] outline make_outline(std::string_view text, std::string name = "<string>", const compile_options& options = {});

// The words of the language, which cannot name anything, and the settings a script may set:
// what an editor offers to complete, straight from the grammar and the compiler.
[[nodiscard]] std::vector<std::string_view> keywords();
[[nodiscard]] std::vector<std::string_view> setting_names();

}  // namespace parley

#endif
