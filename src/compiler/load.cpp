// Phase 1, load: takes the root file (a path, or text and a name) and gives parsed_files: every
// source read, parsed once, with its includes resolved in place, and the top-level items in
// include order. Cycles, depth, size, confinement and unreadable files are diagnosed here.
//
// A .rules file may come from someone the host does not trust, so an include is confined: it
// names a regular file inside the root file's folder or a folder the host allows
// (compile_options::include_dirs). Every entry point (parley check, run, test, serve's reload,
// the language server, the C ABI, Python) compiles through here, so this is the one place that
// decides what an include may read. On disk (include_resolver below) an include is opened one
// component at a time from a descriptor of its allowed folder, never through a name the kernel
// resolves; the file is checked on the descriptor it was opened as (a regular file, its size)
// and read from it, and each file is read once, by identity (device and inode), however many
// names lead to it.
#include "pipeline.hpp"

#include "../dsl/parser.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>

namespace parley::pipeline {

namespace fs = std::filesystem;

namespace {

// A file descriptor, closed when it goes.
class descriptor {
public:
    descriptor() = default;
    explicit descriptor(int fd) noexcept : fd_(fd) {}
    descriptor(descriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    descriptor& operator=(descriptor&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    descriptor(const descriptor&) = delete;
    descriptor& operator=(const descriptor&) = delete;
    ~descriptor() { reset(); }
    [[nodiscard]] int get() const noexcept { return fd_; }
    [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    int fd_ = -1;
};

// What reading a file gave: its text, or why not.
enum class problem { none, missing, outside, not_regular, too_large };
struct read_result {
    std::optional<std::string> text;
    problem why = problem::missing;
    std::string identity;  // "device:inode", once the file is open
};

// The text behind a descriptor of a regular file, at most `limit` bytes. The size is checked
// (fstat) before anything is read, and the read stops past the limit all the same, should the
// file grow (or be one of /proc's, which say they are empty).
read_result read_descriptor(const descriptor& fd, std::size_t limit) {
    read_result out;
    struct ::stat st {};
    if (::fstat(fd.get(), &st) != 0) return out;
    out.identity = fmt::format("{}:{}", st.st_dev, st.st_ino);
    if (!S_ISREG(st.st_mode)) {
        out.why = problem::not_regular;
        return out;
    }
    if (static_cast<std::uint64_t>(st.st_size) > limit) {
        out.why = problem::too_large;
        return out;
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t have = 0;
    // Past the limit by a whole block: some of /proc's files refuse reads of odd sizes.
    const auto most = (limit / 4096 + 1) * 4096;
    for (;;) {
        if (have == text.size()) {
            if (text.size() > limit) break;
            text.resize(std::min(most, std::max<std::size_t>(text.size() * 2, 4096)));
        }
        const auto n = ::read(fd.get(), text.data() + have, text.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return out;
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    text.resize(have);
    if (have > limit) {
        out.why = problem::too_large;
        return out;
    }
    out.text = std::move(text);
    out.why = problem::none;
    return out;
}

// Opened without blocking (a FIFO would wait for a writer forever) and without a terminal
// becoming the process's.
constexpr int read_flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;

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

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    auto out = fs::absolute(p.empty() ? fs::path(".") : p, ec).lexically_normal();
    if (!out.has_filename() && out.has_parent_path() && out != out.root_path()) out = out.parent_path();  // "/a/b/" -> "/a/b"
    return out;
}

// Includes on disk. An include's path (absolute, lexically normal) is walked from a descriptor
// of the allowed folder that holds it: each folder on the way is opened with O_NOFOLLOW relative
// to the one before, and the file itself the same way, then checked on its descriptor (fstat).
// A symlink met on the way is read and followed by the walk itself, from the top, only while
// what it names (a relative link from where it is, an absolute one as it is written) is inside an
// allowed folder; '..' is resolved in the path, never above the folder the walk starts from. So a
// symlink inside an allowed folder to another place inside it works, one that leads out (an
// absolute link to /etc/passwd, /proc's magic links, a relative one up and out) is outside, and
// a folder renamed or swapped while the walk goes on cannot lead it out: no name the walk has
// checked is opened again by path. After 40 symlinks (or renames under it) it gives up, as the
// kernel does (ELOOP).
class include_resolver {
public:
    explicit include_resolver(const std::vector<fs::path>& folders) {
        for (const auto& folder : folders) {
            // The host named it: a symlink is followed. (A folder that cannot be opened has no
            // files to read, but what it would hold is no less inside: "cannot open", not "outside".)
            descriptor fd(::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            std::error_code ec;
            const auto real = fs::canonical(folder, ec);
            const auto index = descriptors_.size();
            descriptors_.push_back(std::move(fd));
            roots_.push_back({folder, index});
            if (!ec && real != folder) roots_.push_back({real, index});  // by its real path too: the same folder
        }
    }

    // Whether `path` (absolute, lexically normal) is inside an allowed folder by its name alone.
    [[nodiscard]] bool names_inside(const fs::path& path) const { return root_of(path) != nullptr; }

    // Opens the file `path` names; `limit` caps what is read of it.
    [[nodiscard]] read_result read(fs::path path, std::size_t limit) const {
        for (int hops = 0; hops < 40; ++hops) {
            const auto* root = root_of(path);
            if (!root) return {std::nullopt, problem::outside, {}};
            auto walked = walk(*root, path, limit);
            if (!walked) continue;  // a symlink, or a name that changed under the walk: from the top
            return std::move(*walked);
        }
        return {};
    }

private:
    struct allowed_folder {
        fs::path path;
        std::size_t descriptor = 0;
    };

    [[nodiscard]] const allowed_folder* root_of(const fs::path& path) const {
        for (const auto& r : roots_)
            if (inside(r.path, path)) return &r;
        return nullptr;
    }

    // The file, or nullopt when `path` is to be walked again (rewritten past a symlink).
    std::optional<read_result> walk(const allowed_folder& from, fs::path& path, std::size_t limit) const {
        std::vector<fs::path> parts;
        auto it = path.begin();
        for (auto dir = from.path.begin(); dir != from.path.end(); ++dir) ++it;
        for (; it != path.end(); ++it)
            if (!it->empty()) parts.push_back(*it);
        descriptor dir;
        int at = descriptors_[from.descriptor].get();
        if (at < 0) return read_result{};
        fs::path here = from.path;
        for (std::size_t i = 0; i < parts.size(); ++i) {
            const auto& name = parts[i];
            const bool last = i + 1 == parts.size();
            struct ::stat st {};
            if (::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return read_result{};
            if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                const auto n = ::readlinkat(at, name.c_str(), target, sizeof target);
                if (n < 0 || static_cast<std::size_t>(n) == sizeof target)
                    return n < 0 && errno == EINVAL ? std::nullopt : std::optional(read_result{});
                fs::path next = fs::path(std::string(target, static_cast<std::size_t>(n)));
                next = next.is_absolute() ? next : here / next;
                for (auto rest = i + 1; rest < parts.size(); ++rest) next /= parts[rest];
                path = next.lexically_normal();
                return std::nullopt;
            }
            if (!last) {
                if (!S_ISDIR(st.st_mode)) return read_result{};
                descriptor next(::openat(at, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
                if (!next) return errno == ELOOP || errno == ENOTDIR ? std::nullopt : std::optional(read_result{});
                dir = std::move(next);
                at = dir.get();
                here /= name;
                continue;
            }
            // A device is not opened at all when the name shows it; should the name change before
            // the open, the descriptor's own fstat refuses it (read_descriptor).
            if (!S_ISREG(st.st_mode)) return read_result{std::nullopt, problem::not_regular, {}};
            descriptor file(::openat(at, name.c_str(), read_flags | O_NOFOLLOW));
            if (!file) return errno == ELOOP ? std::nullopt : std::optional(read_result{});
            return read_descriptor(file, limit);
        }
        return read_result{};  // the folder itself
    }

    std::vector<descriptor> descriptors_;  // of the allowed folders
    std::vector<allowed_folder> roots_;    // each allowed folder by the name it was given, and by its real path
};

class loader {
public:
    loader(const compile_options& options, diagnostic_sink& sink) : options_(options), sink_(sink) {}

    // The folders includes may read from, given the root's path (or name).
    void allow(const fs::path& root);
    // `from` is the include statement that names the file; none for the root. `path` is absolute
    // and lexically normal on disk, lexically normal when the host reads the files.
    void load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from, std::size_t depth);
    [[nodiscard]] parsed_files take() { return std::move(files_); }

private:
    [[nodiscard]] bool logical() const { return static_cast<bool>(options_.read_file); }
    [[nodiscard]] read_result read_root(const fs::path& path) const;
    [[nodiscard]] read_result read_include(const fs::path& path) const;
    [[nodiscard]] bool may_include(const fs::path& path, const std::string& key, const origin& from, std::size_t depth);
    void fail(const origin* from, const std::string& name, const std::string& message);
    void parse(const fs::path& path, const std::string& key, std::string name, std::string text);

    const compile_options& options_;
    diagnostic_sink& sink_;
    parsed_files files_;
    std::vector<fs::path> allowed_;  // logical: lexically normal folders
    std::optional<include_resolver> disk_;
    std::vector<std::pair<std::string, std::string>> include_stack_;  // identities, and the files' names for a cycle
    std::vector<std::string> loaded_;                                 // identities, sorted
    std::size_t total_bytes_ = 0;
};

void loader::allow(const fs::path& root) {
    if (logical()) {
        allowed_.push_back(root.parent_path().lexically_normal());
        for (const auto& dir : options_.include_dirs) allowed_.push_back(dir.lexically_normal());
        for (auto& dir : allowed_)  // an empty folder is the current one; the same for every path
            if (dir == ".") dir.clear();
        return;
    }
    std::vector<fs::path> folders{absolute_normal(root).parent_path()};
    for (const auto& dir : options_.include_dirs) folders.push_back(absolute_normal(dir));
    disk_.emplace(folders);
}

void loader::fail(const origin* from, const std::string& name, const std::string& message) {
    if (from)
        sink_.error(*from, message);
    else
        sink_.file_error(name, message);
}

// The root, as the host named it (a symlink followed: the host chose the file).
read_result loader::read_root(const fs::path& path) const {
    if (logical()) {
        read_result out;
        out.text = options_.read_file(path);
        out.identity = path.string();
        out.why = out.text ? problem::none : problem::missing;
        return out;
    }
    const descriptor fd(::open(path.c_str(), read_flags));
    if (!fd) return {};
    return read_descriptor(fd, options_.limits.max_file_bytes);
}

// An include: confined, then read; an editor's buffer (compile_options::buffers) for a file that
// is inside or nowhere on disk.
read_result loader::read_include(const fs::path& path) const {
    if (logical()) {
        if (std::none_of(allowed_.begin(), allowed_.end(), [&](const fs::path& dir) { return inside(dir, path); }))
            return {std::nullopt, problem::outside, {}};
        return read_root(path);
    }
    auto out = disk_->read(path, options_.limits.max_file_bytes);
    if (options_.buffers && (out.why == problem::none || (out.why == problem::missing && disk_->names_inside(path))))
        if (auto text = options_.buffers(path)) {
            if (out.identity.empty()) out.identity = "buffer:" + path.string();
            out.text = std::move(text);
            out.why = problem::none;
        }
    return out;
}

void loader::load(const fs::path& path, std::string name, std::optional<std::string> text, const origin* from, std::size_t depth) {
    const auto limit = options_.limits.max_file_bytes;
    read_result read;
    if (text) {  // the root given as text: known by its name's file when there is one
        read.text = std::move(text);
        read.why = problem::none;
        struct ::stat st {};
        if (logical())
            read.identity = path.string();
        else
            read.identity = ::stat(path.c_str(), &st) == 0 ? fmt::format("{}:{}", st.st_dev, st.st_ino) : "root:" + path.string();
    } else {
        read = from ? read_include(path) : read_root(path);
    }
    switch (read.why) {
        case problem::none: break;
        case problem::outside:
            return sink_.error(*from, fmt::format("included file '{}' is outside the folders includes may read from", name));
        case problem::not_regular:
            if (from) return sink_.error(*from, fmt::format("included file '{}' is not a regular file", name));
            return sink_.file_error(name, "not a regular file");
        case problem::too_large: {
            const auto message = fmt::format("file is larger than the limit of {} bytes", limit);
            return fail(from, name, message);
        }
        case problem::missing:
            if (from) return sink_.error(*from, fmt::format("cannot open included file '{}'", name));
            return sink_.file_error(name, "cannot open file");
    }
    if (from && !may_include(path, read.identity, *from, depth)) return;
    if (read.text->size() > limit) {  // (a host's own reader, or the root given as text)
        const auto message = fmt::format("file is larger than the limit of {} bytes", limit);
        return fail(from, name, message);
    }
    total_bytes_ += read.text->size();
    if (total_bytes_ > options_.limits.max_total_bytes) {
        const auto message = fmt::format("the files read add up to more than the limit of {} bytes", options_.limits.max_total_bytes);
        return fail(from, name, message);
    }
    loaded_.insert(std::lower_bound(loaded_.begin(), loaded_.end(), read.identity), read.identity);
    parse(path, read.identity, std::move(name), std::move(*read.text));
}

// False, with a diagnostic if it is an error, when the include is to be skipped.
bool loader::may_include(const fs::path& path, const std::string& key, const origin& from, std::size_t depth) {
    const auto first = std::find_if(include_stack_.begin(), include_stack_.end(), [&](const auto& entry) { return entry.first == key; });
    if (first != include_stack_.end()) {
        std::string cycle;
        for (auto it = first; it != include_stack_.end(); ++it) cycle += it->second + " -> ";
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
    include_stack_.emplace_back(key, path.filename().string());
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
    l.load(options.read_file ? root.lexically_normal() : absolute_normal(root), root.string(), std::nullopt, nullptr, 0);
    return l.take();
}

parsed_files load(std::string_view text, const std::string& name, const compile_options& options, diagnostic_sink& sink) {
    loader l(options, sink);
    l.allow(fs::path(name));
    l.load(options.read_file ? fs::path(name).lexically_normal() : absolute_normal(name), name, std::string(text), nullptr, 0);
    return l.take();
}

}  // namespace parley::pipeline
