// One run of the compiler: the files read, the symbols declared, the diagnostics said.
// compiler.cpp loads and checks, analysis in analyse(), lower.cpp builds the runtime tables.
#ifndef PARLEY_SRC_COMPILER_COMPILATION_HPP_INCLUDED
#define PARLEY_SRC_COMPILER_COMPILATION_HPP_INCLUDED

#include "../dsl/ast.hpp"
#include "../dsl/source.hpp"

#include <parley/compiler.hpp>
#include <parley/detail/tables.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::detail {

// Where a node was written: a file of the compilation and the node's byte range.
struct origin {
    std::uint32_t file = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 1;
};

// A declared name: its index in its kind's table and where it was declared.
struct symbol {
    std::uint32_t index = 0;
    origin where;
};

enum class value_kind { counter, slot, variable };
struct value_symbol {
    value_kind kind = value_kind::slot;
    std::uint32_t index = 0;
    origin where;
};

// A handler with the file it came from; `owner` is its state, or none for a global one.
struct handler_ref {
    const dsl::ast::handler* node = nullptr;
    std::uint32_t file = 0;
    std::uint32_t owner = none;
};

struct state_info {
    const dsl::ast::state_decl* node = nullptr;
    std::uint32_t file = 0;
    state_action action = state_action::continue_;
    std::vector<handler_ref> handlers;  // file order, timers included
};

struct label_info {
    std::string name;
    bool is_event = false;
    const dsl::ast::intent_decl* intent = nullptr;
    origin where;
    bool used = false;
};

class compilation {
public:
    explicit compilation(const compile_options& options) : options_(options) {}

    void load_root(const std::filesystem::path& path);
    void load_root_text(std::string_view text, std::string name);
    [[nodiscard]] compile_result finish();

private:
    // Loading.
    void load(const std::filesystem::path& path, std::string name, std::optional<std::string> text, const origin* from,
              std::size_t depth);
    // Checks (compiler.cpp).
    void declare();
    void check_settings();
    void check_states();
    void check_handler(const handler_ref& h, bool global);
    void check_phrase(const dsl::ast::phrase& p, std::uint32_t file, bool allow_intent, bool is_hint);
    void check_guard(const dsl::ast::disjunction& g, std::uint32_t file);
    void check_shadowing(const std::vector<handler_ref>& handlers);
    void analyse();  // Boost.Graph: reachability, reverse reachability, traps
    void warn_unused();
    // Lowering (lower.cpp).
    std::shared_ptr<script_tables> lower();

    // Diagnostics.
    origin at(std::uint32_t file, const dsl::ast::tagged& node) const {
        return {file, node.offset, std::max<std::uint32_t>(1, node.length)};
    }
    void report(severity level, const origin& where, std::string message);
    void note(const origin& where, std::string message) { report(severity::note, where, std::move(message)); }
    void error(const origin& where, std::string message) { report(severity::error, where, std::move(message)); }
    void warning(const origin& where, std::string message) { report(severity::warning, where, std::move(message)); }
    void file_error(std::string file, std::string message);
    [[nodiscard]] bool failed() const noexcept { return errors_ > 0; }
    // ", did you mean 'x'?" when a known name is close enough.
    template <class Map>
    [[nodiscard]] std::string suggest(std::string_view name, const Map& candidates) const;

    [[nodiscard]] const value_symbol* find_value(std::string_view name) const;

    const compile_options& options_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::vector<std::unique_ptr<dsl::source_file>> files_;
    std::vector<std::unique_ptr<dsl::ast::file>> asts_;
    std::vector<std::pair<std::uint32_t, const dsl::ast::item*>> items_;  // in include order
    std::vector<std::string> include_stack_;                              // canonical paths
    std::vector<diagnostic> diagnostics_;
    std::size_t errors_ = 0;
    std::size_t warnings_ = 0;

    // Symbols.
    std::map<std::string, symbol, std::less<>> states_;
    std::vector<state_info> state_list_;
    std::map<std::string, symbol, std::less<>> labels_;
    std::vector<label_info> label_list_;
    std::map<std::string, value_symbol, std::less<>> values_;
    std::vector<std::string> counters_, slots_, variables_;
    std::vector<std::string> variable_defaults_;
    std::vector<handler_ref> globals_;
    const dsl::ast::confirm_decl* confirm_ = nullptr;
    std::uint32_t confirm_file_ = 0;
    std::vector<std::pair<const dsl::ast::forbid_decl*, std::uint32_t>> forbids_;
    std::vector<std::u32string> forbid_folded_;
    std::uint32_t initial_ = none;

    // Settings.
    std::string language_ = "en";
    std::string fallback_;
    double threshold_ = 0.0;
    double silence_timeout_ = 0.0;
    double hold_timeout_ = 60.0;
    bool unknown_to_otherwise_ = false;
    std::vector<std::string> languages_;  // [0] default
};

// A placeholder in a phrase text: `{name}`; literal text between them.
struct template_piece {
    bool placeholder = false;
    std::string text;         // literal text, or the placeholder's name
    std::uint32_t where = 0;  // byte offset of the piece in the unescaped string
};
// Splits a phrase template; false (with `error_at`) on an unmatched brace.
bool split_template(std::string_view s, std::vector<template_piece>& out, std::uint32_t& error_at);

// The guard as a person would write it, normalised: "insults >= 1 and not known(name)".
std::string guard_text(const dsl::ast::disjunction& g);
std::string trigger_text(const dsl::ast::trigger& t);

}  // namespace parley::detail

#endif
