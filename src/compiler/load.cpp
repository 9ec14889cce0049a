// Phase 1, load: takes the root file (a path, or text and a name) and gives parsed_files: every
// source read, parsed once, with its includes resolved in place, and the top-level items in
// include order. Cycles, depth, size and unreadable files are diagnosed here.
#include "pipeline.hpp"

#include "../dsl/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

namespace parley::pipeline {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_from_disk(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return std::move(text).str();
}

class loader {
public:
    loader(const compile_options& options, diagnostic_sink& sink) : options_(options), sink_(sink) {}

    // `from` is the include statement that names the file; none for the root.
    void load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from, std::size_t depth);
    [[nodiscard]] parsed_files take() { return std::move(files_); }

private:
    [[nodiscard]] bool may_include(const fs::path& path, const std::string& key, const std::string& name, const origin& from,
                                   std::size_t depth);
    void parse(const fs::path& path, const std::string& key, std::string name, std::string text);

    const compile_options& options_;
    diagnostic_sink& sink_;
    parsed_files files_;
    std::vector<std::string> include_stack_;  // canonical paths
};

void loader::load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from, std::size_t depth) {
    std::error_code ec;
    const auto canonical = fs::weakly_canonical(path, ec).string();
    const auto key = ec ? path.lexically_normal().string() : canonical;
    if (from && !may_include(path, key, name, *from, depth)) return;
    if (!text) text = options_.read_file ? options_.read_file(path) : read_from_disk(path);
    if (!text) {
        if (from)
            sink_.error(*from, fmt::format("cannot open included file '{}'", name));
        else
            sink_.file_error(name, "cannot open file");
        return;
    }
    if (text->size() > options_.limits.max_file_bytes) {
        const auto message = fmt::format("file is larger than the limit of {} bytes", options_.limits.max_file_bytes);
        if (from)
            sink_.error(*from, message);
        else
            sink_.file_error(name, message);
        return;
    }
    parse(path, key, std::move(name), std::move(*text));
}

// False, with a diagnostic if it is an error, when the include is to be skipped.
bool loader::may_include(const fs::path& path, const std::string& key, const std::string& name, const origin& from, std::size_t depth) {
    if (const auto first = std::find(include_stack_.begin(), include_stack_.end(), key); first != include_stack_.end()) {
        std::string cycle;
        for (auto it = first; it != include_stack_.end(); ++it) cycle += fs::path(*it).filename().string() + " -> ";
        sink_.error(from, fmt::format("include cycle: {}{}", cycle, path.filename().string()));
        return false;
    }
    if (depth > options_.limits.max_include_depth) {
        sink_.error(from, fmt::format("includes are nested too deeply (the limit is {})", options_.limits.max_include_depth));
        return false;
    }
    // Included once already: its declarations are in.
    return std::none_of(files_.sources.begin(), files_.sources.end(), [&](const auto& f) { return f->name() == name; });
}

void loader::parse(const fs::path& path, const std::string& key, std::string name, std::string text) {
    const auto index = static_cast<std::uint32_t>(files_.sources.size());
    const auto& source = *files_.sources.emplace_back(std::make_unique<dsl::source_file>(name, std::move(text)));
    sink_.add_source(source);
    std::vector<diagnostic> syntax;
    const auto& tree = *files_.trees.emplace_back(std::make_unique<ast::file>(dsl::parse(source, options_.limits, syntax)));
    for (auto& d : syntax) sink_.add(std::move(d));
    include_stack_.push_back(key);
    for (const auto& item : tree.items) {
        if (const auto* inc = boost::get<ast::include_decl>(&item)) {
            const auto where = at(index, *inc);
            const auto target = (path.parent_path() / inc->path.value).lexically_normal();
            const auto shown = (fs::path(name).parent_path() / inc->path.value).lexically_normal().string();
            load(target, shown, std::nullopt, &where, include_stack_.size());
        } else {
            files_.items.push_back({index, &item});
        }
    }
    include_stack_.pop_back();
}

}  // namespace

parsed_files load(const fs::path& root, const compile_options& options, diagnostic_sink& sink) {
    loader l(options, sink);
    l.load(root, root.string(), std::nullopt, nullptr, 0);
    return l.take();
}

parsed_files load(std::string_view text, const std::string& name, const compile_options& options, diagnostic_sink& sink) {
    loader l(options, sink);
    l.load(fs::path(name), name, std::string(text), nullptr, 0);
    return l.take();
}

}  // namespace parley::pipeline
