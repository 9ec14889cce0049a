// parley lsp: a language server over stdin/stdout (LSP 3.17, JSON-RPC framed by Content-Length).
// Three threads: one reads and parses frames (a header line and a body each have a limit); one
// answers requests in order and, once it has caught up, hands the documents that changed to the
// third, which compiles them and publishes their diagnostics. So a slow compile never stalls a
// hover, a burst of keystrokes costs one compile, and a compile that a newer text superseded
// publishes nothing. Everything it knows of a script comes from the compiler: its diagnostics
// (compile_string) and its names (make_outline), both reading includes through the compiler's
// own confined resolver, with the editor's open buffers laid over the disk
// (compile_options::buffers). An exception in a request is that request's error, never the
// server's end.
#include "cli.hpp"
#include "lsp_text.hpp"

#include <parley/outline.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace parley::cli {

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// JSON-RPC and LSP error codes.
constexpr int parse_error = -32700, invalid_request = -32600, method_not_found = -32601, invalid_params = -32602, internal_error = -32603,
              server_not_initialized = -32002;
constexpr std::size_t max_frame_bytes = 64u << 20;
constexpr std::size_t max_header_bytes = 8u << 10;  // one header line

// ---- Transport ----------------------------------------------------------------------------------

// What the reader hands the worker: a message, a frame that was no JSON-RPC message, or the end.
struct incoming {
    json message;
    std::string problem;  // not empty: the frame could not be read as JSON
    bool end = false;
};

class inbox {
public:
    void push(incoming m) {
        {
            const std::lock_guard lock(mutex_);
            queue_.push_back(std::move(m));
        }
        ready_.notify_one();
    }
    [[nodiscard]] incoming pop() {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty(); });
        auto m = std::move(queue_.front());
        queue_.pop_front();
        return m;
    }
    [[nodiscard]] bool empty() {
        const std::lock_guard lock(mutex_);
        return queue_.empty();
    }

private:
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<incoming> queue_;
};

// One header line, without its end of line; a line longer than max_header_bytes is read to its
// end but not kept (`too_long`). False at the end of the input.
bool read_header_line(std::streambuf& in, std::string& line, bool& too_long) {
    line.clear();
    too_long = false;
    for (;;) {
        const auto c = in.sbumpc();
        if (c == std::char_traits<char>::eof()) return false;
        if (c == '\n') break;
        if (line.size() < max_header_bytes)
            line.push_back(static_cast<char>(c));
        else
            too_long = true;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

// Reads frames until the input ends or an 'exit' arrives (after it nothing is read, so the
// thread can be joined without waiting for the client to close the pipe).
void read_frames(std::istream& in, inbox& box) {
    std::string line, body;
    for (;;) {
        std::size_t length = 0;
        bool has_length = false, too_long = false, any_too_long = false;
        for (;;) {
            if (!read_header_line(*in.rdbuf(), line, too_long)) return box.push({{}, {}, true});
            any_too_long = any_too_long || too_long;
            if (line.empty() && !too_long) break;
            constexpr std::string_view key = "content-length:";
            if (line.size() > key.size() && std::equal(key.begin(), key.end(), line.begin(),
                                                       [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
                auto value = std::string_view(line).substr(key.size());
                while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
                const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
                has_length = ec == std::errc() && end == value.data() + value.size();
            }
        }
        if (any_too_long || !has_length || length > max_frame_bytes) {
            box.push({{},
                      any_too_long ? "a header line longer than 8 KiB"
                      : has_length ? "a frame larger than 64 MiB"
                                   : "a frame without a valid Content-Length header",
                      false});
            if (has_length)
                for (auto left = length; left > 0;) {  // skipped, not kept
                    const auto step = std::min<std::size_t>(left, std::size_t{1} << 30);
                    in.ignore(static_cast<std::streamsize>(step));
                    if (!in) return box.push({{}, {}, true});
                    left -= step;
                }
            continue;
        }
        incoming m;
        try {
            body.resize(length);
            if (!in.read(body.data(), static_cast<std::streamsize>(length))) return box.push({{}, {}, true});
            m.message = json::parse(body);
        } catch (const json::exception& e) {
            m.problem = std::string("the frame is not JSON: ") + e.what();
        } catch (const std::bad_alloc&) {
            m.problem = "no memory for the frame";
        }
        if (body.capacity() > (1u << 20)) std::string().swap(body);  // a large frame's memory is not kept
        const bool exit = m.message.is_object() && m.message.value("method", json()) == "exit";
        box.push(std::move(m));
        if (exit) return;
    }
}

// Where frames go out, whole, from the thread that answers requests and the one that publishes
// diagnostics.
class outbox {
public:
    void write(const json& message) {
        // A script's bytes that are not UTF-8 reach messages through names and source lines: replaced, not thrown.
        const auto body = message.dump(-1, ' ', false, json::error_handler_t::replace);
        const std::lock_guard lock(mutex_);
        std::cout << "Content-Length: " << body.size() << "\r\n\r\n" << body << std::flush;
    }
    void notify(const char* method, json params) { write({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}}); }

private:
    std::mutex mutex_;
};

// ---- Positions ----------------------------------------------------------------------------------

json position(std::string_view line_text, std::uint32_t line, std::uint32_t column) {
    if (line == 0) return {{"line", 0}, {"character", 0}};
    return {{"line", line - 1}, {"character", lsp::utf16_column(line_text, column)}};
}

struct document {
    std::string uri;
    std::string text;
    bool dirty = true;                     // its diagnostics are not published yet
    std::optional<parley::outline> names;  // made on demand, dropped on change
    std::optional<std::int64_t> version;   // the editor's, sent back with the diagnostics of this text
};

// The open buffers, laid over the disk for includes (the compiler's resolver confines them).
using buffer_map = std::map<std::string, std::string, std::less<>>;  // by path
compile_options with_buffers(compile_options options, std::function<const std::string*(const std::string&)> find) {
    options.buffers = [find = std::move(find)](const fs::path& path) -> std::optional<std::string> {
        if (const auto* text = find(path.string())) return *text;
        return std::nullopt;
    };
    return options;
}

json lsp_range(const parley::outline& names, const source_range& r) {
    const auto& text = names.texts[r.file];
    return {{"start", position(lsp::line_of(text, r.line), r.line, r.column)},
            {"end", position(lsp::line_of(text, r.end_line), r.end_line, r.end_column)}};
}

json range_of(const diagnostic& d) {
    return {{"start", position(d.source_line, d.line, d.column)}, {"end", position(d.source_line, d.line, d.column + d.length)}};
}

// The include in the root (file 0) through which `file` was read (files are declared first, in
// order, so a file's index is its declaration's).
json include_site(const parley::outline& names, const std::string& file) {
    const auto found = std::find(names.files.begin(), names.files.end(), file);
    auto target = static_cast<std::uint32_t>(found - names.files.begin());
    for (std::size_t hops = 0; found != names.files.end() && hops < names.files.size(); ++hops) {
        const auto use = std::find_if(names.references.begin(), names.references.end(),
                                      [&](const symbol_reference& r) { return r.declaration == target; });
        if (use == names.references.end()) break;
        if (use->range.file == 0) return lsp_range(names, use->range);
        target = use->range.file;
    }
    return {{"start", position({}, 0, 0)}, {"end", position({}, 0, 0)}};
}

// The compiler's diagnostics of `text` as LSP's: each note becomes related information of the
// error or warning before it; one in an included file is shown on the include that leads to it.
json diagnostics_of(const std::string& path, const std::string& text, const compile_options& options) {
    const auto result = parley::compile_string(text, path, options);
    std::optional<parley::outline> names;  // made only when an included file has something to say
    json out = json::array();
    for (const auto& d : result.diagnostics) {
        const auto here = range_of(d);
        if (d.severity == severity::note && !out.empty()) {
            out.back()["relatedInformation"].push_back(
                {{"location", {{"uri", lsp::uri_of(d.file)}, {"range", here}}}, {"message", d.message}});
            continue;
        }
        json item = {{"severity", d.severity == severity::error     ? 1
                                  : d.severity == severity::warning ? 2
                                                                    : 3},
                     {"source", "parley"},
                     {"message", d.message},
                     {"range", here},
                     {"relatedInformation", json::array()}};
        if (d.file != path) {
            if (!names) names = parley::make_outline(text, path, options);
            item["range"] = include_site(*names, d.file);
            item["message"] = "in included file '" + d.file + "': " + d.message;
            item.at("relatedInformation")
                .push_back({{"location", {{"uri", lsp::uri_of(d.file)}, {"range", here}}}, {"message", d.message}});
        }
        out.push_back(std::move(item));
    }
    for (auto& item : out)
        if (item.at("relatedInformation").empty()) item.erase("relatedInformation");
    return out;
}

// Compiles documents off the thread that answers requests and publishes their diagnostics. A
// document's newer text replaces its older one still waiting, and the diagnostics of a text that
// a newer one superseded (or a close) while it compiled are not published.
class compiler_thread {
public:
    struct job {
        std::string path, uri;
        std::optional<std::int64_t> version;
        std::shared_ptr<const buffer_map> buffers;  // every open document's text, this one's too
        compile_options options;
    };

    explicit compiler_thread(outbox& out) : out_(out), thread_([this] { run(); }) {}
    compiler_thread(const compiler_thread&) = delete;
    compiler_thread& operator=(const compiler_thread&) = delete;
    ~compiler_thread() {
        {
            const std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_one();
        thread_.join();
    }

    void post(job j) {
        {
            const std::lock_guard lock(mutex_);
            auto path = j.path;
            latest_[path] = ++generation_;
            pending_[path] = {std::move(j), generation_};
        }
        ready_.notify_one();
    }
    // The document closed: nothing more is published for it. (Its empty diagnostics are sent
    // under the same lock, so no compile in flight can follow them with stale ones.)
    void close(const std::string& path, const std::string& uri) {
        const std::lock_guard lock(mutex_);
        pending_.erase(path);
        latest_.erase(path);
        out_.notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
    }

private:
    void run() {
        for (;;) {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (stopping_) return;
            auto [j, generation] = std::move(pending_.begin()->second);
            pending_.erase(pending_.begin());
            lock.unlock();
            json params = {{"uri", j.uri}};
            try {
                const auto& text = j.buffers->at(j.path);
                params["diagnostics"] =
                    diagnostics_of(j.path, text, with_buffers(j.options, [&](const std::string& p) -> const std::string* {
                                       const auto it = j.buffers->find(p);
                                       return it == j.buffers->end() ? nullptr : &it->second;
                                   }));
            } catch (const std::exception& e) {  // no memory, say: one diagnostic that says so
                params["diagnostics"] = json::array({{{"severity", 1},
                                                      {"source", "parley"},
                                                      {"message", std::string("parley could not compile this script: ") + e.what()},
                                                      {"range", {{"start", position({}, 0, 0)}, {"end", position({}, 0, 0)}}}}});
            }
            if (j.version) params["version"] = *j.version;  // so that an editor can drop diagnostics of an older text
            lock.lock();
            try {
                if (const auto it = latest_.find(j.path); it != latest_.end() && it->second == generation)
                    out_.notify("textDocument/publishDiagnostics", std::move(params));
            } catch (const std::exception& e) {  // not even that: the editor's log says so, the server goes on
                std::cerr << "parley lsp: diagnostics of " << j.path << " dropped: " << e.what() << '\n';
            }
        }
    }

    outbox& out_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::map<std::string, std::pair<job, std::uint64_t>, std::less<>> pending_;  // by path, with its generation
    std::map<std::string, std::uint64_t, std::less<>> latest_;                   // by path: the newest generation posted
    std::uint64_t generation_ = 0;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the rest is made
};

// ---- The server ---------------------------------------------------------------------------------

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name(std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) { return is_name_char(c) || c == '-'; });
}

// The words and marks of a line up to the cursor, for completion: names ('-' inside, as in host
// actions), "->", a string as '"', single characters; a comment ends it.
std::vector<std::string> words_of(std::string_view s) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < s.size();) {
        if (std::isspace(static_cast<unsigned char>(s[i]))) {
            ++i;
        } else if (s[i] == '#') {
            break;
        } else if (s[i] == '"') {
            const auto end = s.find('"', i + 1);
            out.emplace_back("\"");
            i = end == std::string_view::npos ? s.size() : end + 1;
        } else if (s.substr(i, 2) == "->") {
            out.emplace_back("->");
            i += 2;
        } else {
            auto j = i;
            while (j < s.size() && (is_name_char(s[j]) || (s[j] == '-' && j > i && s.substr(j, 2) != "->"))) ++j;
            out.emplace_back(s.substr(i, std::max(j, i + 1) - i));
            i = std::max(j, i + 1);
        }
    }
    return out;
}

// LSP's SymbolKind and CompletionItemKind for each symbol_kind.
int symbol_kind_code(symbol_kind k) {
    constexpr int codes[] = {5 /*class*/, 2 /*module*/,  22 /*enum member*/, 24 /*event*/,     24,
                             8 /*field*/, 16 /*number*/, 13 /*variable*/,    11 /*interface*/, 1 /*file*/};
    return codes[static_cast<int>(k)];
}
int completion_kind_code(symbol_kind k) {
    constexpr int codes[] = {
        7 /*class*/, 9 /*module*/, 20 /*enum member*/, 23 /*event*/, 23, 5 /*field*/, 6 /*variable*/, 6, 8 /*interface*/, 17 /*file*/};
    return codes[static_cast<int>(k)];
}

class server {
public:
    server(inbox& box, outbox& out) : box_(box), out_(out), compiler_(out) {}

    // The exit status: 0 after 'shutdown' then 'exit' (or the end of input after 'shutdown').
    int run() {
        for (;;) {
            auto m = box_.pop();
            if (m.end) return shut_down_ ? 0 : 1;
            if (m.message.is_object() && m.message.value("method", json()) == "exit") return shut_down_ ? 0 : 1;
            try {  // dispatch() answers a failed request with its error; this is for what fails around it
                if (!m.problem.empty())
                    respond_error(nullptr, parse_error, m.problem);
                else
                    dispatch(m.message);
                if (box_.empty()) publish_changed();
            } catch (const std::exception& e) {
                std::cerr << "parley lsp: a message was dropped: " << e.what() << '\n';
            }
        }
    }

private:
    void dispatch(const json& m) {
        const bool request = m.is_object() && m.contains("id");
        const json id = request ? m.at("id") : json();
        if (!m.is_object() || !m.contains("method") || !m.at("method").is_string()) {
            if (request) respond_error(id, invalid_request, "a request needs a string 'method'");
            return;  // a response to us (we send no requests) or garbage: nothing to answer
        }
        const auto method = m.at("method").get<std::string>();
        const auto given = m.find("params");
        const json params = given == m.end() || given->is_null() ? json::object() : *given;
        try {
            if (method == "initialize") return respond(id, initialize(params));
            if (!initialized_) {
                if (request) respond_error(id, server_not_initialized, "the server is not initialized yet");
                return;
            }
            if (shut_down_ && request) return respond_error(id, invalid_request, "the server is shut down");
            if (method == "shutdown") {
                shut_down_ = true;
                return respond(id, nullptr);
            }
            if (method == "textDocument/didOpen") return open(params.at("textDocument"));
            if (method == "textDocument/didChange") return change(params);
            if (method == "textDocument/didClose") return close(params.at("textDocument").at("uri").get<std::string>());
            if (!request) return;  // initialized, $/cancelRequest, didSave, ...: nothing to do
            if (method == "textDocument/hover") return respond(id, hover(params));
            if (method == "textDocument/definition") return respond(id, definition(params));
            if (method == "textDocument/references") return respond(id, references(params));
            if (method == "textDocument/completion") return respond(id, completion(params));
            if (method == "textDocument/documentSymbol") return respond(id, document_symbols(params));
            if (method == "textDocument/formatting") return respond(id, formatting(params));
            respond_error(id, method_not_found, "unknown method '" + method + "'");
        } catch (const std::exception& e) {  // contained: the request fails, the server goes on
            const bool memory = dynamic_cast<const std::bad_alloc*>(&e) != nullptr;
            const auto why = std::string(memory ? "no memory: " : "bad parameters: ") + e.what();
            if (request)
                respond_error(id, memory ? internal_error : invalid_params, why);
            else  // a notification has no answer: the editor's log (our stderr) says why it was dropped
                std::cerr << "parley lsp: " << method << " ignored: " << why << '\n';
        } catch (...) {
            if (request) respond_error(id, internal_error, "the request failed");
        }
    }

    void respond(const json& id, json result) { out_.write({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}); }
    void respond_error(const json& id, int code, const std::string& message) {
        out_.write({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
    }

    json initialize(const json& params) {
        initialized_ = true;
        if (const auto options = params.find("initializationOptions"); options != params.end() && options->is_object())
            for (const auto& dir : options->value("includeDirs", json::array())) options_.include_dirs.emplace_back(dir.get<std::string>());
        outline_options_ = with_buffers(options_, [this](const std::string& path) -> const std::string* {
            const auto it = documents_.find(path);
            return it == documents_.end() ? nullptr : &it->second.text;
        });
        return {{"capabilities",
                 {{"positionEncoding", "utf-16"},
                  {"textDocumentSync", {{"openClose", true}, {"change", 2 /*incremental*/}}},
                  {"hoverProvider", true},
                  {"definitionProvider", true},
                  {"referencesProvider", true},
                  {"completionProvider", {{"triggerCharacters", {" ", ">", "{", ","}}}},
                  {"documentSymbolProvider", true},
                  {"documentFormattingProvider", true}}},
                {"serverInfo", {{"name", "parley"}, {"version", "0.1.0"}}}};
    }

    // ---- Documents ----

    void open(const json& item) {
        auto uri = item.at("uri").get<std::string>();
        auto text = item.at("text").get<std::string>();
        const auto path = lsp::path_of(uri);
        std::optional<std::int64_t> version;
        if (item.contains("version") && item.at("version").is_number_integer()) version = item.at("version").get<std::int64_t>();
        documents_[path] = {std::move(uri), std::move(text), true, std::nullopt, version};
        touch_all();
    }
    void change(const json& params) {
        const auto it = documents_.find(lsp::path_of(params.at("textDocument").at("uri").get<std::string>()));
        if (it == documents_.end()) return;
        auto text = it->second.text;  // all the changes or none, should one be malformed
        for (const auto& c : params.at("contentChanges")) {
            if (!c.contains("range")) {
                text = c.at("text").get<std::string>();
                continue;
            }
            const auto& r = c.at("range");
            const auto from =
                lsp::byte_offset(text, r.at("start").at("line").get<std::uint32_t>(), r.at("start").at("character").get<std::uint32_t>());
            const auto to =
                lsp::byte_offset(text, r.at("end").at("line").get<std::uint32_t>(), r.at("end").at("character").get<std::uint32_t>());
            text.replace(from, std::max(from, to) - from, c.at("text").get<std::string>());
        }
        it->second.text = std::move(text);
        if (const auto& id = params.at("textDocument"); id.contains("version") && id.at("version").is_number_integer())
            it->second.version = id.at("version").get<std::int64_t>();
        touch_all();
    }
    void close(const std::string& uri) {
        const auto it = documents_.find(lsp::path_of(uri));
        if (it == documents_.end()) return;
        compiler_.close(it->first, it->second.uri);
        documents_.erase(it);
        touch_all();
    }
    // A change to one buffer may change what every other open script includes.
    void touch_all() {
        for (auto& [path, doc] : documents_) {
            doc.dirty = true;
            doc.names.reset();
        }
    }

    document& document_of(const json& params) {
        const auto it = documents_.find(lsp::path_of(params.at("textDocument").at("uri").get<std::string>()));
        if (it == documents_.end()) throw std::invalid_argument("the document is not open");
        return it->second;
    }
    const parley::outline& names_of(const std::string& path, document& doc) {
        if (!doc.names) doc.names = parley::make_outline(doc.text, path, outline_options_);
        return *doc.names;
    }

    // ---- Diagnostics ----

    // The documents that changed go to the compiler thread, each with every open buffer as it is now.
    void publish_changed() {
        std::shared_ptr<const buffer_map> buffers;
        for (auto& [path, doc] : documents_) {
            if (!doc.dirty) continue;
            doc.dirty = false;
            if (!buffers) {
                auto all = std::make_shared<buffer_map>();
                for (const auto& [p, d] : documents_) all->emplace(p, d.text);
                buffers = std::move(all);
            }
            compiler_.post({path, doc.uri, doc.version, buffers, options_});
        }
    }

    json location(const parley::outline& names, const source_range& r) {
        return {{"uri", lsp::uri_of(names.files[r.file])}, {"range", lsp_range(names, r)}};
    }

    // ---- Names ----

    // The declaration named at the cursor (where it is used or declared), if any.
    std::optional<std::uint32_t> symbol_at(const json& params, const parley::outline& names, const document& doc) {
        const auto line = params.at("position").at("line").get<std::uint32_t>() + 1;
        const auto column =
            lsp::code_point_column(lsp::line_of(doc.text, line), params.at("position").at("character").get<std::uint32_t>());
        auto covers = [&](const source_range& r) { return r.file == 0 && r.line == line && r.column <= column && column <= r.end_column; };
        for (const auto& r : names.references)
            if (covers(r.range)) return r.declaration;
        for (std::uint32_t i = 0; i < names.declarations.size(); ++i)
            if (names.declarations[i].kind != symbol_kind::file && covers(names.declarations[i].name_range)) return i;
        return std::nullopt;
    }

    json hover(const json& params) {
        const auto path = lsp::path_of(params.at("textDocument").at("uri").get<std::string>());
        auto& doc = document_of(params);
        const auto& names = names_of(path, doc);
        const auto found = symbol_at(params, names, doc);
        if (!found) return nullptr;
        const auto& d = names.declarations[*found];
        std::string text = "**" + std::string(to_string(d.kind)) + "** `" + d.name + "`";
        if (!d.scope.empty()) text += " of flow `" + d.scope + "`";
        if (!d.signature.empty()) text += "\n\n```parley\n" + d.signature + "\n```";
        if (!d.texts.empty()) {
            text += d.kind == symbol_kind::intent ? "\n\nDescription:" : "\n\nDefault:";
            for (const auto& t : d.texts) text += "\n- " + (t.language.empty() ? std::string() : "`" + t.language + "` ") + t.text;
        }
        if (d.kind != symbol_kind::file)
            text +=
                "\n\nDeclared at " + fs::path(names.files[d.name_range.file]).filename().string() + ":" + std::to_string(d.name_range.line);
        return {{"contents", {{"kind", "markdown"}, {"value", text}}}};
    }

    json definition(const json& params) {
        const auto path = lsp::path_of(params.at("textDocument").at("uri").get<std::string>());
        auto& doc = document_of(params);
        const auto& names = names_of(path, doc);
        const auto found = symbol_at(params, names, doc);
        if (!found) return nullptr;
        return location(names, names.declarations[*found].name_range);
    }

    json references(const json& params) {
        const auto path = lsp::path_of(params.at("textDocument").at("uri").get<std::string>());
        auto& doc = document_of(params);
        const auto& names = names_of(path, doc);
        const auto found = symbol_at(params, names, doc);
        json out = json::array();
        if (!found) return out;
        const auto& d = names.declarations[*found];
        const bool with_declaration = params.value("context", json::object()).value("includeDeclaration", false);
        if (with_declaration && d.kind != symbol_kind::file) out.push_back(location(names, d.name_range));
        for (const auto& r : names.references)
            if (r.declaration == *found) out.push_back(location(names, r.range));
        return out;
    }

    // Keywords at the start of a line; else the names that fit where the cursor is, read from
    // what the line says before it.
    json completion(const json& params) {
        const auto path = lsp::path_of(params.at("textDocument").at("uri").get<std::string>());
        auto& doc = document_of(params);
        const auto line = params.at("position").at("line").get<std::uint32_t>();
        const auto at = lsp::byte_offset(doc.text, line, params.at("position").at("character").get<std::uint32_t>());
        const auto start = lsp::byte_offset(doc.text, line, 0);
        std::string before = doc.text.substr(start, at - start);
        while (!before.empty() && is_name_char(before.back())) before.pop_back();

        json items = json::array();
        auto word = [&](std::string_view w, int kind) { items.push_back({{"label", w}, {"kind", kind}}); };
        // Top-level names, and inside a flow its own states and exits (first: they win, as in the compiler).
        auto declared = [&](std::initializer_list<symbol_kind> kinds) {
            const auto& names = names_of(path, doc);
            std::string flow;
            for (const auto& d : names.declarations)
                if (d.kind == symbol_kind::flow && d.extent.file == 0 && d.extent.line <= line + 1 && line + 1 <= d.extent.end_line)
                    flow = d.name;
            const std::string top;
            std::set<std::string> seen;
            for (const std::string* scope : {&std::as_const(flow), &top})
                for (const auto& d : names.declarations)
                    if (std::find(kinds.begin(), kinds.end(), d.kind) != kinds.end() && d.scope == *scope && seen.insert(d.name).second)
                        items.push_back({{"label", d.name}, {"kind", completion_kind_code(d.kind)}, {"detail", d.signature}});
        };
        const auto w = words_of(before);
        auto last = [&](std::size_t back) { return w.size() > back ? std::string_view(w[w.size() - 1 - back]) : std::string_view(); };
        auto last_of = [&](std::string_view x) { return std::find(w.rbegin(), w.rend(), x); };  // w.rend(): none
        // Whether the line ends in one of `heads` and a list being written: `keep a, b, `.
        auto listing = [&](std::initializer_list<std::string_view> heads) {
            auto is_head = [&](std::string_view t) { return std::find(heads.begin(), heads.end(), t) != heads.end(); };
            for (auto i = w.size(); i > 0; i -= 2) {
                if (is_head(w[i - 1])) return true;
                if (w[i - 1] != "," || i < 2 || !is_name(w[i - 2])) return false;
            }
            return false;
        };
        const auto guard = last_of("if");
        const auto arguments = last_of("(");
        using k = symbol_kind;
        if (std::count(before.begin(), before.end(), '"') % 2 == 1) {
            const auto open = before.rfind('{'), close = before.rfind('}');
            if (open != std::string::npos && (close == std::string::npos || close < open) && open > before.rfind('"'))
                declared({k::slot, k::variable});
        } else if (last(0) == "->") {
            word("stay", 14);
            declared({k::state, k::flow, k::exit});
        } else if ((!w.empty() && w[0] == "on" && listing({"on"})) || w == std::vector<std::string>{"setting", "below_threshold", "="}) {
            declared({k::intent, k::event});
        } else if (last(0) == "increment" || last(0) == "reset") {
            declared({k::counter});
        } else if (listing({"keep", "clear"}) || w == std::vector<std::string>{"ask"} || (last(0) == "=" && last(2) == "set")) {
            declared({k::slot});
        } else if (last(0) == "set") {
            declared({k::variable});
        } else if ((guard != w.rend() && std::find(w.rbegin(), guard, "->") == guard) ||
                   (arguments != w.rend() && std::distance(arguments, w.rend()) >= 3 && *(arguments + 2) == "do" &&
                    std::find(w.rbegin(), arguments, ")") == arguments)) {
            for (const auto word_ : {"and", "or", "not", "known"}) word(word_, 14);
            declared({k::counter, k::slot, k::variable});
        } else if (w == std::vector<std::string>{"handlers"}) {
            declared({k::group});
        } else if (!w.empty() && w[0] == "state" && last(0) == "action") {
            for (const auto a : {action::continue_, action::hold, action::transfer, action::hangup, action::close}) word(to_string(a), 20);
        } else if (w == std::vector<std::string>{"setting"}) {
            for (const auto name : parley::setting_names()) word(name, 10);
        } else if (w.empty()) {
            for (const auto keyword : parley::keywords()) word(keyword, 14);
        }
        return {{"isIncomplete", false}, {"items", std::move(items)}};
    }

    // The states (a flow's inside it), flows, groups and declared names of the document itself.
    json document_symbols(const json& params) {
        const auto path = lsp::path_of(params.at("textDocument").at("uri").get<std::string>());
        auto& doc = document_of(params);
        const auto& names = names_of(path, doc);
        json out = json::array();
        std::map<std::string, std::size_t> flows;  // index in `out`
        for (const auto& d : names.declarations) {
            if (d.kind == symbol_kind::file || d.name_range.file != 0) continue;
            json symbol = {{"name", d.name},
                           {"detail", d.signature},
                           {"kind", symbol_kind_code(d.kind)},
                           {"range", lsp_range(names, d.extent)},
                           {"selectionRange", lsp_range(names, d.name_range)}};
            if (const auto flow = flows.find(d.scope); !d.scope.empty() && flow != flows.end()) {
                out[flow->second]["children"].push_back(std::move(symbol));
                continue;
            }
            if (d.kind == symbol_kind::flow) {
                flows[d.name] = out.size();
                symbol["children"] = json::array();
            }
            out.push_back(std::move(symbol));
        }
        return out;
    }

    // `parley fmt`'s layout: one edit that replaces the whole text, or none when it is already in
    // it or does not parse (the diagnostics already say why).
    json formatting(const json& params) {
        const auto& doc = document_of(params);
        const auto formatted = parley::format_source(doc.text);
        if (!formatted || *formatted.text == doc.text) return json::array();
        const auto lines = std::count(doc.text.begin(), doc.text.end(), '\n');
        const json range = {{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", lines + 1}, {"character", 0}}}};
        return json::array({{{"range", range}, {"newText", *formatted.text}}});
    }

    inbox& box_;
    outbox& out_;
    std::map<std::string, document, std::less<>> documents_;  // by path (or URI, when not a file)
    compile_options options_;                                 // the editor's include folders
    compile_options outline_options_;                         // and its buffers, read on this thread
    compiler_thread compiler_;                                // last: stopped (joined) first
    bool initialized_ = false;
    bool shut_down_ = false;
};

}  // namespace

int lsp_server() {
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);  // else reading flushes std::cout from the reader thread, racing the writer
    inbox box;
    outbox out;
    std::thread reader([&] { read_frames(std::cin, box); });
    int status = 1;
    {
        server s(box, out);
        status = s.run();
    }
    reader.join();
    return status;
}

}  // namespace parley::cli
