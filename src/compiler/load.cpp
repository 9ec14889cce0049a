// Phase 1, load: takes the root file (a path, or text and a name) and gives parsed_files: every
// source read, parsed once, with its includes resolved in place, and the top-level items in
// include order. Cycles, depth, size, confinement and unreadable files are diagnosed here.
//
// A .rules file may come from someone the host does not trust, so an include is confined: it
// names a regular file inside the root file's folder or a folder the host allows
// (compile_options::include_dirs), with '..' and symlinks resolved before the check; its size is
// checked before it is read, and the read is capped; and each file is read once, by identity
// (its canonical path), however many names lead to it.
#include "pipeline.hpp"

#include "../dsl/parser.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

namespace parley::pipeline {

namespace fs = std::filesystem;

namespace {

// What reading a file from disk gave: its text, or why not (a message for a diagnostic).
struct read_result {
    std::optional<std::string> text;
    std::string problem;
};

// A regular file's text, at most `limit` bytes. Opened without blocking (a FIFO would wait for a
// writer forever) and checked through the open descriptor (no race with a rename): a device, a
// FIFO, a socket or a folder is refused, and a file larger than the limit is refused before
// anything is read; the read stops past the limit all the same, should the file grow.
read_result read_from_disk(const fs::path& path, std::size_t limit) {
    read_result out;
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return out;
    struct ::stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        out.problem = "is not a regular file";
        ::close(fd);
        return out;
    }
    if (static_cast<std::uint64_t>(st.st_size) > limit) {
        out.problem = "too large";
        ::close(fd);
        return out;
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t have = 0;
    for (;;) {
        if (have == text.size()) {
            if (text.size() > limit) break;
            text.resize(std::min(limit + 1, std::max<std::size_t>(text.size() * 2, 4096)));
        }
        const auto n = ::read(fd, text.data() + have, text.size() - have);
        if (n < 0) {
            ::close(fd);
            return out;
        }
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(have);
    if (have > limit) {
        out.problem = "too large";
        return out;
    }
    out.text = std::move(text);
    return out;
}

// Whether `p` names something inside folder `dir`, not the folder itself (both lexically normal;
// `dir` may be empty: the current folder), by whole path components.
bool inside(const fs::path& dir, const fs::path& p) {
    if (dir.is_absolute() != p.is_absolute()) return false;
    auto it = p.begin();
    for (const auto& part : dir) {
        if (part.empty() || part == ".") continue;
        if (it == p.end() || *it != part) return false;
        ++it;
    }
    if (std::any_of(it, p.end(), [](const fs::path& part) { return part == ".."; })) return false;
    return std::any_of(it, p.end(), [](const fs::path& part) { return !part.empty() && part != "."; });
}

class loader {
public:
    loader(const compile_options& options, diagnostic_sink& sink) : options_(options), sink_(sink) {}

    // The folders includes may read from, given the root's path (or name).
    void allow(const fs::path& root);
    // `from` is the include statement that names the file; none for the root.
    void load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from, std::size_t depth);
    [[nodiscard]] parsed_files take() { return std::move(files_); }

private:
    [[nodiscard]] bool logical() const { return static_cast<bool>(options_.read_file); }
    // The path a file is known by: canonical (symlinks resolved) on disk, lexically normal when
    // the host reads the files.
    [[nodiscard]] fs::path identity(const fs::path& path) const;
    [[nodiscard]] bool may_include(const fs::path& path, const std::string& key, const origin& from, std::size_t depth);
    void fail(const origin* from, const std::string& name, const std::string& message);
    void over_total(const origin* from, const std::string& name) {
        const auto message = fmt::format("the files read add up to more than the limit of {} bytes", options_.limits.max_total_bytes);
        fail(from, name, message);
    }
    void parse(const fs::path& path, const std::string& key, std::string name, std::string text);

    const compile_options& options_;
    diagnostic_sink& sink_;
    parsed_files files_;
    std::vector<fs::path> allowed_;           // identities of folders
    std::vector<std::string> include_stack_;  // identities
    std::vector<std::string> loaded_;         // identities, sorted
    std::size_t total_bytes_ = 0;
};

fs::path loader::identity(const fs::path& path) const {
    if (logical()) return path.lexically_normal();
    std::error_code ec;
    auto real = fs::weakly_canonical(path.empty() ? fs::path(".") : path, ec);
    return ec ? fs::absolute(path, ec).lexically_normal() : real;
}

void loader::allow(const fs::path& root) {
    allowed_.push_back(identity(root.parent_path()));
    for (const auto& dir : options_.include_dirs) allowed_.push_back(identity(dir));
    if (logical())  // an empty folder is the current one; the same for every path
        for (auto& dir : allowed_)
            if (dir == ".") dir.clear();
}

void loader::fail(const origin* from, const std::string& name, const std::string& message) {
    if (from)
        sink_.error(*from, message);
    else
        sink_.file_error(name, message);
}

void loader::load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from, std::size_t depth) {
    const auto id = identity(path);
    const auto key = id.string();
    if (from) {
        if (std::none_of(allowed_.begin(), allowed_.end(), [&](const fs::path& dir) { return inside(dir, id); })) {
            sink_.error(*from, fmt::format("included file '{}' is outside the folders includes may read from", name));
            return;
        }
        if (!may_include(path, key, *from, depth)) return;
    }
    const auto limit = options_.limits.max_file_bytes;
    const auto message = fmt::format("file is larger than the limit of {} bytes", limit);
    if (!text) {
        std::string problem;
        if (logical()) {
            text = options_.read_file(id);
        } else {
            auto read = read_from_disk(from ? id : path, limit);
            text = std::move(read.text);
            problem = std::move(read.problem);
        }
        if (problem == "too large") return fail(from, name, message);
        if (!problem.empty()) {
            if (from)
                sink_.error(*from, fmt::format("included file '{}' is not a regular file", name));
            else
                sink_.file_error(name, "not a regular file");
            return;
        }
    }
    if (!text) {
        if (from)
            sink_.error(*from, fmt::format("cannot open included file '{}'", name));
        else
            sink_.file_error(name, "cannot open file");
        return;
    }
    if (text->size() > limit) return fail(from, name, message);
    total_bytes_ += text->size();
    if (total_bytes_ > options_.limits.max_total_bytes) return over_total(from, name);
    loaded_.insert(std::lower_bound(loaded_.begin(), loaded_.end(), key), key);
    parse(path, key, std::move(name), std::move(*text));
}

// False, with a diagnostic if it is an error, when the include is to be skipped.
bool loader::may_include(const fs::path& path, const std::string& key, const origin& from, std::size_t depth) {
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
    // Read once already, under whatever name: its declarations are in.
    return !std::binary_search(loaded_.begin(), loaded_.end(), key);
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
            if (sink_.full()) continue;
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
    l.allow(root);
    l.load(root, root.string(), std::nullopt, nullptr, 0);
    return l.take();
}

parsed_files load(std::string_view text, const std::string& name, const compile_options& options, diagnostic_sink& sink) {
    loader l(options, sink);
    l.allow(fs::path(name));
    l.load(fs::path(name), name, std::string(text), nullptr, 0);
    return l.take();
}

}  // namespace parley::pipeline
