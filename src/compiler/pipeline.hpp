// The compiler as phases that hand values to each other (compile.cpp drives them in this order):
//   load     root file -> parsed_files   sources, syntax trees, top-level items in include order
//   expand   parsed_files -> script_items  the items with each use of a flow made its own states
//   declare  script_items -> symbol_table  names, settings, languages, the initial state
//   check    parsed_files + symbol_table -> usage   semantic errors; which labels are handled
//   analyse  symbol_table + usage -> findings       the state graph; warn() says them
//   lower    parsed_files + symbol_table -> script_tables   the runtime's flat tables (or a limit's error)
// Each phase reads its inputs as const and says what is wrong only through the diagnostic_sink.
#ifndef PARLEY_SRC_COMPILER_PIPELINE_HPP_INCLUDED
#define PARLEY_SRC_COMPILER_PIPELINE_HPP_INCLUDED

#include "../dsl/ast.hpp"
#include "../dsl/source.hpp"
#include "diagnostic_sink.hpp"

#include <parley/action.hpp>
#include <parley/compiler.hpp>
#include <parley/detail/tables.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace parley::pipeline {

namespace ast = dsl::ast;
using detail::none;

[[nodiscard]] inline origin at(std::uint32_t file, const ast::tagged& node) noexcept {
    return {file, node.offset, std::max<std::uint32_t>(1, node.length)};
}

// ---- load ---------------------------------------------------------------------------------------

// A top-level statement and the file (index into `sources`) it was written in.
struct located_item {
    std::uint32_t file = 0;
    const ast::item* item = nullptr;
    std::uint32_t copy = none;  // a state of a flow's copy: which (script_items::copies)
};

struct parsed_files {
    std::vector<std::unique_ptr<dsl::source_file>> sources;  // [0] the root; the sink's file indices
    std::vector<std::unique_ptr<ast::file>> trees;           // one per source
    std::vector<located_item> items;                         // includes resolved, in include order
};

[[nodiscard]] parsed_files load(const std::filesystem::path& root, const compile_options& options, diagnostic_sink& sink);
// The root given as text; `name` is what diagnostics show and where includes are resolved from.
[[nodiscard]] parsed_files load(std::string_view text, const std::string& name, const compile_options& options, diagnostic_sink& sink);

// ---- expand -------------------------------------------------------------------------------------

// One copy of a flow: the states a use with these exits goes through.
struct flow_copy {
    std::string name;  // "FLOW(STATE, ...)", the prefix of its states' names
    std::string flow;
    bool has_exits = false;
};

// The top-level items as the later phases read them: a flow's declaration replaced by the
// copies its uses need (after the script's own items), and an item that uses a flow by a copy
// of it whose handlers go to the copies' entries.
struct script_items {
    std::vector<located_item> items;
    std::vector<flow_copy> copies;
    std::vector<std::unique_ptr<ast::item>> owned;  // the items made here
};

[[nodiscard]] script_items expand(const parsed_files& files, const compile_options& options, diagnostic_sink& sink);

// ---- declare ------------------------------------------------------------------------------------

// A declared name: its index in its kind's list and where it was declared.
struct symbol {
    std::uint32_t index = 0;
    origin where;
};

enum class value_kind { counter, slot, variable };
[[nodiscard]] constexpr const char* kind_name(value_kind kind) noexcept {
    return kind == value_kind::counter ? "counter" : kind == value_kind::slot ? "slot" : "variable";
}
struct value_symbol {
    value_kind kind = value_kind::slot;
    std::uint32_t index = 0;
    origin where;
};

// A handler with the file it came from; `owner` is its state, or none for a global one.
struct handler_ref {
    const ast::handler* node = nullptr;
    std::uint32_t file = 0;
    std::uint32_t owner = none;
    bool shared = false;  // from a group of handlers: checked once, in the group
};

// `handlers NAME ... end`.
struct handler_group {
    const ast::group_decl* node = nullptr;
    std::uint32_t file = 0;
    origin where;
    bool used = false;                  // a state or another group names it
    std::vector<handler_ref> handlers;  // its own and those of the groups it uses, in place (declare: expand_groups)
    bool expanded = false;
    bool broken = false;  // it uses itself, directly or through others
};

struct state_info {
    const ast::state_decl* node = nullptr;
    std::uint32_t file = 0;
    std::uint32_t copy = none;  // a state of a flow's copy: which (symbol_table::copies)
    parley::action action = parley::action::continue_;
    std::vector<handler_ref> handlers;  // file order, timers included
};

struct label_info {
    std::string name;
    bool is_event = false;
    const ast::intent_decl* intent = nullptr;
    origin where;
};

struct forbidden_phrase {
    const ast::forbid_decl* node = nullptr;
    std::uint32_t file = 0;
    std::u32string folded;  // what a phrase is searched for
    // Knuth-Morris-Pratt's failure function of `folded`: [i] is the length of the longest proper
    // prefix of folded[0..i] that also ends there. It makes a search linear in the text.
    std::vector<std::uint32_t> failure;
};

struct settings {
    std::string language = "en";
    std::string fallback;  // the default language when not set
    double threshold = 0.0;
    double silence_timeout = 0.0;
    double hold_timeout = 60.0;
    bool unknown_to_otherwise = false;
    std::string below_threshold;  // the intent an utterance below the threshold counts as
    origin below_threshold_at;
};

struct symbol_table {
    std::map<std::string, symbol, std::less<>> states;
    std::vector<state_info> state_list;
    std::map<std::string, symbol, std::less<>> labels;
    std::vector<label_info> label_list;
    std::map<std::string, value_symbol, std::less<>> values;
    std::vector<std::string> counters, slots, variables;
    std::vector<flow_copy> copies;
    std::vector<const ast::value_type*> slot_types;                // parallel to slots
    std::vector<const ast::value_type*> variable_types;            // parallel to variables
    std::vector<const std::vector<ast::text>*> variable_defaults;  // by variable: its default per language
    std::vector<handler_ref> globals;
    std::map<std::string, handler_group, std::less<>> groups;
    const ast::confirm_decl* confirm = nullptr;
    std::uint32_t confirm_file = 0;
    std::vector<forbidden_phrase> forbids;
    std::uint32_t initial = none;
    pipeline::settings settings;
    // Every language the script uses, each once: the default, the fallback, then the tags in
    // order of appearance. A language's index here is its index in the runtime tables.
    std::vector<std::string> languages;

    [[nodiscard]] const value_symbol* find_value(std::string_view name) const {
        const auto it = values.find(name);
        return it == values.end() ? nullptr : &it->second;
    }
    // What a slot or a variable holds; nullptr for a counter.
    [[nodiscard]] const ast::value_type* type_of(const value_symbol& v) const {
        if (v.kind == value_kind::counter) return nullptr;
        return v.kind == value_kind::slot ? slot_types[v.index] : variable_types[v.index];
    }
};

[[nodiscard]] symbol_table declare(const script_items& items, const compile_options& options, diagnostic_sink& sink);
// The settings a script may set, in alphabetical order.
[[nodiscard]] std::vector<std::string_view> setting_names();

// ---- check --------------------------------------------------------------------------------------

// What the checks learnt that later phases need.
struct usage {
    std::vector<bool> label_handled;  // by label index: some handler (or 'confirm') handles it
};

[[nodiscard]] usage check(const parsed_files& files, const symbol_table& symbols, const compile_options& options, diagnostic_sink& sink);
// That the 'complete' handlers of a form take every call that completes it (completes.cpp); for a
// script whose names all resolve.
void check_form_completes(const symbol_table& symbols, const state_info& form, diagnostic_sink& sink);

// ---- analyse ------------------------------------------------------------------------------------

// What the state graph shows; state and label indices.
struct findings {
    std::vector<std::uint32_t> unreachable;               // from the initial state
    std::vector<std::vector<std::uint32_t>> trap_cycles;  // cycles that can never be left
    std::vector<std::uint32_t> dead_ends;                 // no terminal state can be reached
    std::vector<std::uint32_t> unused_labels;             // declared, never handled
    struct field_ref {
        std::uint32_t state = 0;
        std::uint32_t field = 0;  // into the state's fields
    };
    std::vector<field_ref> unasked_fields;  // a form's fields whose slot is known whenever it is entered
};

[[nodiscard]] findings analyse(const symbol_table& symbols, const usage& used);
void warn(const findings& found, const symbol_table& symbols, diagnostic_sink& sink);

// ---- lower --------------------------------------------------------------------------------------

// Null when the tables would go past a limit that only they show (compile_limits::max_rendered_bytes).
[[nodiscard]] std::unique_ptr<const detail::script_tables> lower(const parsed_files& files, const symbol_table& symbols,
                                                                 const compile_limits& limits, diagnostic_sink& sink);
// The entries lower() gives the dispatch table (its cells and the handler lists they point to),
// counted without building it, for compile_limits::max_dispatch_entries.
[[nodiscard]] std::size_t dispatch_entries(const symbol_table& symbols);

}  // namespace parley::pipeline

#endif
