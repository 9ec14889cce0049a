// parley lsp: a language server over stdin/stdout (LSP 3.17, JSON-RPC framed by Content-Length).
// One thread reads and parses frames, so a slow compile never stalls the pipe; the other answers
// them in order and, once it has caught up, publishes the diagnostics of the documents that
// changed: a burst of keystrokes costs one compile. Everything it knows of a script comes from
// the compiler: its diagnostics (compile_string) and its names (make_outline), both reading
// open documents from the editor's buffers rather than from disk.
#include "cli.hpp"
#include "lsp_text.hpp"

#include <parley/outline.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
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
constexpr int parse_error = -32700, invalid_request = -32600, method_not_found = -32601, invalid_params = -32602,
              server_not_initialized = -32002;
constexpr std::size_t max_frame_bytes = 64u << 20;

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

// Reads frames until the input ends or an 'exit' arrives (after it nothing is read, so the
// thread can be joined without waiting for the client to close the pipe).
void read_frames(std::istream& in, inbox& box) {
    std::string line, body;
    for (;;) {
        std::size_t length = 0;
        bool has_length = false;
        for (;;) {
            if (!std::getline(in, line)) return box.push({{}, {}, true});
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) break;
            constexpr std::string_view key = "content-length:";
            if (line.size() > key.size() && std::equal(key.begin(), key.end(), line.begin(),
                                                       [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
                auto value = std::string_view(line).substr(key.size());
                while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
                const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
                has_length = ec == std::errc() && end == value.data() + value.size();
            }
        }
        if (!has_length || length > max_frame_bytes) {
            box.push({{}, has_length ? "a frame larger than 64 MiB" : "a frame without a valid Content-Length header", false});
            if (has_length) in.ignore(static_cast<std::streamsize>(length));
            continue;
        }
        body.resize(length);
        if (!in.read(body.data(), static_cast<std::streamsize>(length))) return box.push({{}, {}, true});
        incoming m;
        try {
            m.message = json::parse(body);
        } catch (const json::exception& e) {
            m.problem = std::string("the frame is not JSON: ") + e.what();
        }
        const bool exit = m.message.is_object() && m.message.value("method", json()) == "exit";
        box.push(std::move(m));
        if (exit) return;
    }
}

void write_frame(const json& message) {
    // A script's bytes that are not UTF-8 reach messages through names and source lines: replaced, not thrown.
    const auto body = message.dump(-1, ' ', false, json::error_handler_t::replace);
    std::cout << "Content-Length: " << body.size() << "\r\n\r\n" << body << std::flush;
}

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

// A file's text as the editor sees it: its buffer when open, else the file on disk.
struct text_source {
    const std::map<std::string, document, std::less<>>* documents = nullptr;
    std::map<std::string, std::string, std::less<>> read;  // disk files, read once per request
    const std::string& text(const std::string& path);
};

const std::string& text_source::text(const std::string& path) {
    if (const auto it = documents->find(path); it != documents->end()) return it->second.text;
    if (const auto it = read.find(path); it != read.end()) return it->second;
    std::ifstream in(path, std::ios::binary);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return read.emplace(path, std::move(content)).first->second;
}

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
    explicit server(inbox& box) : box_(box) {}

    // The exit status: 0 after 'shutdown' then 'exit' (or the end of input after 'shutdown').
    int run() {
        for (;;) {
            auto m = box_.pop();
            if (m.end) return shut_down_ ? 0 : 1;
            if (!m.problem.empty()) {
                respond_error(nullptr, parse_error, m.problem);
            } else if (m.message.is_object() && m.message.value("method", json()) == "exit") {
                return shut_down_ ? 0 : 1;
            } else {
                dispatch(m.message);
            }
            if (box_.empty()) publish_changed();
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
        } catch (const std::exception& e) {
            if (request)
                respond_error(id, invalid_params, std::string("bad parameters: ") + e.what());
            else  // a notification has no answer: the editor's log (our stderr) says why it was dropped
                std::cerr << "parley lsp: " << method << " ignored: bad parameters: " << e.what() << '\n';
        }
    }

    void respond(const json& id, json result) { write_frame({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}}); }
    void respond_error(const json& id, int code, const std::string& message) {
        write_frame({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
    }
    void notify(const char* method, json params) { write_frame({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}}); }

    json initialize(const json& params) {
        initialized_ = true;
        if (const auto options = params.find("initializationOptions"); options != params.end() && options->is_object())
            for (const auto& dir : options->value("includeDirs", json::array())) options_.include_dirs.emplace_back(dir.get<std::string>());
        options_.read_file = [this](const fs::path& path) -> std::optional<std::string> {
            if (const auto it = documents_.find(path.string()); it != documents_.end()) return it->second.text;
            std::error_code ec;
            if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > options_.limits.max_file_bytes) return std::nullopt;
            std::ifstream in(path, std::ios::binary);
            if (!in) return std::nullopt;
            return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        };
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
        notify("textDocument/publishDiagnostics", {{"uri", it->second.uri}, {"diagnostics", json::array()}});
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
        if (!doc.names) doc.names = parley::make_outline(doc.text, path, options_);
        return *doc.names;
    }

    // ---- Diagnostics ----

    void publish_changed() {
        for (auto& [path, doc] : documents_)
            if (doc.dirty) {
                doc.dirty = false;
                publish(path, doc);
            }
    }

    // The compiler's diagnostics as LSP's: each note becomes related information of the error or
    // warning before it; one in an included file is shown on the include that leads to it.
    void publish(const std::string& path, document& doc) {
        const auto result = parley::compile_string(doc.text, path, options_);
        text_source texts{&documents_, {}};
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
                item["range"] = include_site(path, doc, d.file, texts);
                item["message"] = "in included file '" + d.file + "': " + d.message;
                item.at("relatedInformation")
                    .push_back({{"location", {{"uri", lsp::uri_of(d.file)}, {"range", here}}}, {"message", d.message}});
            }
            out.push_back(std::move(item));
        }
        for (auto& item : out)
            if (item.at("relatedInformation").empty()) item.erase("relatedInformation");
        json params = {{"uri", doc.uri}, {"diagnostics", std::move(out)}};
        if (doc.version) params["version"] = *doc.version;  // so that an editor can drop diagnostics of an older text
        notify("textDocument/publishDiagnostics", std::move(params));
    }
    static json range_of(const diagnostic& d) {
        return {{"start", position(d.source_line, d.line, d.column)}, {"end", position(d.source_line, d.line, d.column + d.length)}};
    }
    // The include in `path` through which `file` was read (files are declared first, in order, so
    // a file's index is its declaration's).
    json include_site(const std::string& path, document& doc, const std::string& file, text_source& texts) {
        const auto& names = names_of(path, doc);
        const auto found = std::find(names.files.begin(), names.files.end(), file);
        auto target = static_cast<std::uint32_t>(found - names.files.begin());
        for (std::size_t hops = 0; found != names.files.end() && hops < names.files.size(); ++hops) {
            const auto use = std::find_if(names.references.begin(), names.references.end(),
                                          [&](const symbol_reference& r) { return r.declaration == target; });
            if (use == names.references.end()) break;
            if (use->range.file == 0) return lsp_range(names, use->range, texts);
            target = use->range.file;
        }
        return {{"start", position({}, 0, 0)}, {"end", position({}, 0, 0)}};
    }

    json lsp_range(const parley::outline& names, const source_range& r, text_source& texts) {
        const auto& text = texts.text(names.files[r.file]);
        return {{"start", position(lsp::line_of(text, r.line), r.line, r.column)},
                {"end", position(lsp::line_of(text, r.end_line), r.end_line, r.end_column)}};
    }
    json location(const parley::outline& names, const source_range& r, text_source& texts) {
        return {{"uri", lsp::uri_of(names.files[r.file])}, {"range", lsp_range(names, r, texts)}};
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
        text_source texts{&documents_, {}};
        return location(names, names.declarations[*found].name_range, texts);
    }

    json references(const json& params) {
        const auto path = lsp::path_of(params.at("textDocument").at("uri").get<std::string>());
        auto& doc = document_of(params);
        const auto& names = names_of(path, doc);
        const auto found = symbol_at(params, names, doc);
        json out = json::array();
        if (!found) return out;
        text_source texts{&documents_, {}};
        const auto& d = names.declarations[*found];
        const bool with_declaration = params.value("context", json::object()).value("includeDeclaration", false);
        if (with_declaration && d.kind != symbol_kind::file) out.push_back(location(names, d.name_range, texts));
        for (const auto& r : names.references)
            if (r.declaration == *found) out.push_back(location(names, r.range, texts));
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
        text_source texts{&documents_, {}};
        json out = json::array();
        std::map<std::string, std::size_t> flows;  // index in `out`
        for (const auto& d : names.declarations) {
            if (d.kind == symbol_kind::file || d.name_range.file != 0) continue;
            json symbol = {{"name", d.name},
                           {"detail", d.signature},
                           {"kind", symbol_kind_code(d.kind)},
                           {"range", lsp_range(names, d.extent, texts)},
                           {"selectionRange", lsp_range(names, d.name_range, texts)}};
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
    std::map<std::string, document, std::less<>> documents_;  // by path (or URI, when not a file)
    compile_options options_;
    bool initialized_ = false;
    bool shut_down_ = false;
};

}  // namespace

int lsp_server() {
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);  // else reading flushes std::cout from the reader thread, racing the writer
    inbox box;
    std::thread reader([&] { read_frames(std::cin, box); });
    const int status = server(box).run();
    reader.join();
    return status;
}

}  // namespace parley::cli
