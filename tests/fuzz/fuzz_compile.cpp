// Any bytes as a .rules file, and a tree of files it may include: the compiler returns a script
// or diagnostics, never crashes or hangs, and reads no file outside the tree's allowed folders.
//
// The input is the root file, then any number of files, each after a line `#file PATH`:
//   include "common.rules"
//   #file app/common.rules
//   intent hi
// The root is app/main.rules; includes may read app/ and lib/ (compile_options::include_dirs);
// the reader serves the tree from memory and counts a read outside those folders as a bug. The
// outline editors get (make_outline) is made of the same input, and its positions must be sane.
#include <parley/compiler.hpp>
#include <parley/graph.hpp>
#include <parley/outline.hpp>
#include <parley/session.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

namespace {

std::map<std::string, std::string, std::less<>> split_tree(std::string_view input, std::string& root) {
    std::map<std::string, std::string, std::less<>> files;
    constexpr std::string_view mark = "\n#file ";
    auto next = input.find(mark);
    root = std::string(input.substr(0, next));
    while (next != std::string_view::npos) {
        const auto name_at = next + mark.size();
        const auto eol = input.find('\n', name_at);
        const auto name = input.substr(name_at, eol == std::string_view::npos ? std::string_view::npos : eol - name_at);
        next = eol == std::string_view::npos ? eol : input.find(mark, eol);
        const auto body = eol == std::string_view::npos ? std::string_view()
                                                        : input.substr(eol + 1, next == std::string_view::npos ? next : next - eol - 1);
        files.emplace(std::filesystem::path(std::string(name)).lexically_normal().string(), std::string(body));
    }
    return files;
}

bool inside(std::string_view path, std::string_view dir) { return path.substr(0, dir.size()) == dir; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string root;
    const auto files = split_tree(std::string_view(reinterpret_cast<const char*>(data), size), root);
    parley::compile_options options;
    options.include_dirs = {"lib"};
    options.read_file = [&](const std::filesystem::path& p) -> std::optional<std::string> {
        const auto path = p.string();
        if (p.is_absolute() || path.find("..") == 0 || !(inside(path, "app/") || inside(path, "lib/"))) std::abort();  // confinement broken
        const auto it = files.find(path);
        if (it == files.end()) return std::nullopt;
        return it->second;
    };
    const auto names = parley::make_outline(root, "app/main.rules", options);
    auto sane = [&](const parley::source_range& r) {
        if (r.file >= names.files.size() || r.line == 0 || r.column == 0 || r.end_line < r.line ||
            (r.end_line == r.line && r.end_column < r.column))
            std::abort();
    };
    for (const auto& d : names.declarations) {
        sane(d.name_range);
        sane(d.extent);
    }
    for (const auto& r : names.references) {
        if (r.declaration >= names.declarations.size()) std::abort();
        sane(r.range);
    }
    auto result = parley::compile_string(root, "app/main.rules", options);
    for (const auto& d : result.diagnostics) (void)parley::format(d);
    if (result.script) {
        (void)parley::to_dot(*result.script);
        try {
            parley::session call(*result.script);
            (void)call.start();
            for (parley::label_id l = 0; l < result.script->label_count() && !call.ended(); ++l) (void)call.step(l, 0.9);
        } catch (const parley::session_error&) {}
    }
    return 0;
}
