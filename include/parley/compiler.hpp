// Compiling .rules text into a parley::script. This is the compiled half of parley (link
// parley::compiler); the runtime (script, session) is header-only.
#ifndef PARLEY_COMPILER_HPP_INCLUDED
#define PARLEY_COMPILER_HPP_INCLUDED

#include <parley/diagnostic.hpp>
#include <parley/script.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace parley {

// Documented limits a hostile or broken input cannot exceed; past each, a diagnostic. The first
// group bounds each construct; the second, as SQLite's limits do, the whole script, so that a
// host compiling untrusted scripts bounds the total work and memory (within the defaults, any
// input compiles or is refused in well under 2 s and 512 MB).
struct compile_limits {
    std::size_t max_file_bytes = 16u << 20;  // one .rules file, checked before it is read
    std::size_t max_include_depth = 16;
    std::size_t max_phrase_bytes = 4096;  // one text of a phrase
    std::size_t max_guard_depth = 32;     // nesting of not / parentheses in a guard
    std::size_t max_variants = 64;        // rotating variants of one phrase
    std::size_t max_timers_per_state = 32;
    std::size_t max_languages = 32;
    std::size_t max_flow_states = 20000;  // the states all uses of flows add together
    // What all uses of flows copy, counted before each copy is made: each copy's flow text, and
    // its name once for each state, handler and exit binding it names (a flow that uses flows
    // puts its copy's name into the names of the copies it uses).
    std::size_t max_flow_bytes = 16u << 20;

    std::size_t max_total_bytes = 64u << 20;         // all the files read, includes too
    std::size_t max_states = 65535;                  // states, flows' copies included; a session holds a state in 16 bits
    std::size_t max_handlers = 500000;               // handlers, global ones and shared groups' uses included
    std::size_t max_total_phrase_bytes = 16u << 20;  // the texts of all phrases, defaults and 'set' values
    // The phrases the compiler says ahead, measured before they are rendered: each text whose
    // placeholders are variables (and slots) with their defaults, and each confirmation question
    // once per intent and event (texts times intents).
    std::size_t max_rendered_bytes = 16u << 20;
    // Screening every phrase for every forbidden phrase: (bytes of phrases) x (forbidden phrases).
    std::size_t max_screening_work = std::size_t{1} << 28;
    // The runtime's dispatch table: states x (intents and events + 1), plus the handler lists
    // its entries point to (a list is shared wherever it can be).
    std::size_t max_dispatch_entries = std::size_t{1} << 23;
    std::size_t max_diagnostics = 100;  // errors and warnings shown; past it a note, and the rest only counted
};

// Where compile time went, in seconds; filled when compile_options::timings is set.
struct compile_timings {
    double parse = 0;    // reading and parsing, includes too
    double check = 0;    // declarations and semantic checks
    double analyse = 0;  // the Boost.Graph analyses
    double lower = 0;    // building the runtime tables
};

struct compile_options {
    compile_limits limits;
    bool warnings_as_errors = false;
    // Folders, besides the root file's own, that includes may name files in (absolute, or
    // relative to the current directory). An include resolves against the including file's
    // folder and must stay inside one of these or the root's folder. On disk it is opened one
    // component at a time from a descriptor of that folder, never by a name the kernel resolves:
    // a symlink on the way is followed only while what it names stays inside an allowed folder
    // ('..' never above it), and the file is checked on its open descriptor (a regular file, its
    // size before it is read). A file is read once, by device and inode, whatever names lead to it.
    std::vector<std::filesystem::path> include_dirs;
    // Replaces the disk: reads an included file (and the root of compile_file) by a path made
    // lexically normal and confined to the folders above by its name alone; nullopt when it
    // cannot. For a host (or the fuzzer) that serves an in-memory tree; a file's identity is its path.
    std::function<std::optional<std::string>(const std::filesystem::path&)> read_file;
    // An editor's unsaved buffers over the disk: the text of an included file the host holds, by
    // its absolute, lexically normal path; nullopt when it holds none. Asked only for an include
    // that the disk resolves inside the allowed folders, or that names no file there at all: a
    // file that leads outside is refused whatever the host holds for it.
    std::function<std::optional<std::string>(const std::filesystem::path&)> buffers;
    compile_timings* timings = nullptr;
};

// Either a script or, when the rules have errors, none; the diagnostics (warnings too) either way.
struct compile_result {
    std::optional<parley::script> script;
    std::vector<diagnostic> diagnostics;
    [[nodiscard]] explicit operator bool() const noexcept { return script.has_value(); }
};

[[nodiscard]] compile_result compile_file(const std::filesystem::path& path, const compile_options& options = {});
// `name` is the file name diagnostics show; includes are resolved relative to its folder.
[[nodiscard]] compile_result compile_string(std::string_view text, std::string name = "<string>", const compile_options& options = {});

// The throwing convenience: the script, or compile_error carrying the diagnostics.
class compile_error : public std::runtime_error {
public:
    explicit compile_error(std::vector<diagnostic> diagnostics);
    [[nodiscard]] const std::vector<diagnostic>& diagnostics() const noexcept { return diagnostics_; }

private:
    std::vector<diagnostic> diagnostics_;
};

[[nodiscard]] parley::script load(const std::filesystem::path& path, const compile_options& options = {});

// A .rules file in its canonical layout (`parley fmt`), or the syntax errors that stop it from
// being formatted. Only whitespace changes: the tokens and comments stay, in order, so the
// script compiles to the same tables. Includes are not followed; `name` is what diagnostics show.
struct format_result {
    std::optional<std::string> text;
    std::vector<diagnostic> diagnostics;
    [[nodiscard]] explicit operator bool() const noexcept { return text.has_value(); }
};
[[nodiscard]] format_result format_source(std::string_view text, std::string name = "<string>");

// Where a script's states, rules and phrase variants are written, root file and includes, in
// file order: what a coverage report counts and an editor lists. Syntax errors leave out what
// did not parse (the diagnostics say what).
struct coverage_point {
    enum class kind : std::uint8_t { state, handler, field, confirm, variant };
    kind what = kind::handler;
    std::string file;  // as diagnostics name it
    std::uint32_t line = 0;
    // A state's name ("FLOW.STATE" in a flow); a handler's trigger ("on insult, threat",
    // "otherwise", "after 55s", "complete"); "ask SLOT"; "confirm -> STATE"; a variant's first text.
    std::string name;
    // A handler's, field's or variant's state, "global", "handlers GROUP" or "confirm"; a state's flow.
    std::string owner;
    std::vector<std::string> texts;  // a variant's wordings, one per language, placeholders as written
};
struct coverage_points {
    std::vector<coverage_point> entries;
    std::vector<diagnostic> diagnostics;
};
[[nodiscard]] coverage_points list_coverage_points(const std::filesystem::path& path, const compile_options& options = {});

}  // namespace parley

#endif
