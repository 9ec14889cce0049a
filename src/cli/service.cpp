// A turn: read the line (input_line.cpp), load the call, restore its session (by state name: the
// script may have been reloaded since), answer the line with run's own line_answerer, and write
// the session back if the call's version has not moved meanwhile; if it has, another replica
// answered a turn of this call first, and this one is answered again from that state.
//
// What a turn never does silently:
// - apply a line twice: a line with a `seq` the call has already applied is answered with the
//   stored reply if it is the same line (the same input, whatever its JSON's spacing or key
//   order), and refused (422) if it is another one;
// - start a call over: a line for a call the store does not hold starts it only if it says it
//   starts one (a pickup, or seq 1); else the call's state was lost (a store that restarted
//   without persistence or evicted it, or the call expired), and the line is refused (410);
// - answer without bound: at most --max-lines lines a request, and --max-answer bytes of
//   answer; a line whose answer does not fit is refused whole (nothing applied), and the lines
//   after it are not answered (413).
#include "service.hpp"

#include "call_hash.hpp"
#include "input_line.hpp"
#include "runner.hpp"
#include "serve_log.hpp"

#include "../support/json_string.hpp"

#include <parley/compiler.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>

namespace parley::cli {

namespace {

using clock = std::chrono::steady_clock;
namespace http = boost::beast::http;

std::string_view view(boost::beast::string_view s) { return {s.data(), s.size()}; }

// A path segment with its %XX escapes decoded; nullopt if an escape is malformed.
std::optional<std::string> percent_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out += in[i];
            continue;
        }
        unsigned value = 0;
        if (i + 2 >= in.size() || std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16).ptr != in.data() + i + 3)
            return std::nullopt;
        out += static_cast<char>(value);
        i += 2;
    }
    return out;
}

// The input a line carries, whatever its JSON's spacing and key order: what a retry must repeat.
// The same key on every replica, so that any of them can tell a retry from another line.
std::uint64_t line_hash(const input_line& f, std::string& scratch, std::vector<parley::slot_value>& slots) {
    static const call_hash hash(0x7061726c65792073, 0x6571206c696e6573);
    scratch.clear();
    auto field = [&](char tag, std::string_view text) {
        scratch += tag;
        fmt::format_to(std::back_inserter(scratch), "{}:", text.size());
        scratch += text;
    };
    auto number = [&](char tag, double value) {  // its bits: formatting it would cost more than the rest
        scratch += tag;
        scratch.append(reinterpret_cast<const char*>(&value), sizeof value);
    };
    field(f.is_event() ? 'e' : 'i', f.label());
    field('l', f.lang);
    number('c', f.confidence);
    if (f.at) number('a', *f.at);
    slots.assign(f.slots.begin(), f.slots.end());
    std::sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& s : slots) {
        field('n', s.name);
        field('v', s.value);
    }
    slots.clear();  // the call's variables, in name order too
    for (const auto& [name, value] : f.vars) slots.push_back({name, value});
    std::sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& s : slots) {
        field('N', s.name);
        field('V', s.value);
    }
    return hash(scratch) | 1;  // 0: unknown
}

}  // namespace

// ---- Tokens --------------------------------------------------------------------------------------

bool same_secret(std::string_view given, std::string_view secret) noexcept {
    unsigned char differ = given.size() != secret.size() ? 1 : 0;
    for (std::size_t i = 0; i < secret.size(); ++i) {
        const auto g = static_cast<unsigned char>(i < given.size() ? given[i] : 0);
        differ = static_cast<unsigned char>(differ | (g ^ static_cast<unsigned char>(secret[i])));
    }
    return differ == 0;
}

std::optional<std::vector<std::string>> read_tokens(const std::string& path, std::string& error) {
    std::ifstream in(path);
    if (!in) {
        error = fmt::format("{}: cannot read the token file", path);
        return std::nullopt;
    }
    std::vector<std::string> tokens;
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        const auto last = line.find_last_not_of(" \t\r");
        const auto token = line.substr(first, last - first + 1);
        const bool visible = std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
        if (!visible || token.size() < 16 || token.size() > 4096) {
            error = fmt::format("{}:{}: a token has 16 to 4096 visible ASCII characters and no spaces", path, number);
            return std::nullopt;
        }
        tokens.push_back(token);
    }
    if (tokens.empty()) {
        error = fmt::format("{}: no token in the file", path);
        return std::nullopt;
    }
    return tokens;
}

// ---- Metrics -------------------------------------------------------------------------------------

// Prometheus text: counters and one latency histogram, all lock-free.
class service::metrics {
public:
    static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    std::atomic<std::uint64_t> turns{0}, errors{0}, conflicts{0}, replays{0}, seq_conflicts{0}, lost{0}, store_full{0}, store_errors{0},
        too_long{0}, auth_failures{0}, reloads{0}, reload_failures{0};

    void observe(double seconds) noexcept {
        std::size_t i = 0;
        while (i < bounds.size() && seconds > bounds[i]) ++i;
        buckets_[i].fetch_add(1, std::memory_order_relaxed);
        micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    }

    void text(std::string& out) const {
        std::uint64_t count = 0;
        out += "# HELP parley_request_seconds Time to answer a POST /v1/turns request\n# TYPE parley_request_seconds histogram\n";
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            count += buckets_[i].load();
            fmt::format_to(std::back_inserter(out), "parley_request_seconds_bucket{{le=\"{}\"}} {}\n", bounds[i], count);
        }
        count += buckets_[bounds.size()].load();
        fmt::format_to(
            std::back_inserter(out),
            "parley_request_seconds_bucket{{le=\"+Inf\"}} {0}\nparley_request_seconds_sum {1}\nparley_request_seconds_count {0}\n", count,
            double(micros_.load()) / 1e6);
    }

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> micros_{0};
};

// ---- The service ---------------------------------------------------------------------------------

// The script and the options of new calls, replaced together by a reload.
struct service::program {
    parley::script script;
    parley::session_options defaults;
};

// A request thread's own parser and buffers, reused from turn to turn.
struct service::worker {
    simdjson::dom::parser parser;
    input_line line;
    line_answerer answerer;
    std::string padded, answer, scratch;
    std::vector<parley::slot_value> slots;
};

service::service(const serve_options& options, std::unique_ptr<call_store> store, parley::script script, parley::session_options defaults,
                 bearer_tokens tokens)
    : options_(options),
      store_(std::move(store)),
      tokens_(std::move(tokens)),
      program_(std::make_shared<const program>(program{std::move(script), std::move(defaults)})),
      metrics_(std::make_unique<metrics>()) {}

service::~service() = default;

std::shared_ptr<const service::program> service::current() {
    const std::lock_guard lock(program_mutex_);
    return program_;
}

// Who may ask: the header's bearer token against the tokens this endpoint takes.
std::optional<http_answer> service::admit(const http_header& header) {
    auto target = view(header.target());
    target = target.substr(0, target.find('?'));
    if (target == "/healthz" || target == "/readyz") return std::nullopt;
    const bool for_admin = (target == "/metrics" || target == "/v1/reload") && !tokens_.admin.empty();
    if (!for_admin && tokens_.client.empty()) return std::nullopt;
    auto given = view(header[http::field::authorization]);
    const bool bearer = given.size() > 7 && boost::beast::iequals(boost::beast::string_view(given.data(), 7), "Bearer ");
    given = bearer ? given.substr(7) : std::string_view();
    bool admin = false, client = false;  // every token compared, whichever matches
    for (const auto& t : tokens_.admin) admin = same_secret(given, t) || admin;
    for (const auto& t : tokens_.client) client = same_secret(given, t) || client;
    if (admin || (client && !for_admin)) return std::nullopt;
    metrics_->auth_failures.fetch_add(1, std::memory_order_relaxed);
    if (client) return http_answer{.status = 403, .body = error_body(fmt::format("{} takes a token of --admin-token-file", target))};
    return http_answer{.status = 401,
                       .body = error_body(fmt::format("{} needs 'Authorization: Bearer TOKEN' with a token of {}", target,
                                                      for_admin ? "--admin-token-file" : "--auth-token-file")),
                       .authenticate = "Bearer realm=\"parley\""};
}

// The endpoints, by method and path.
http_answer service::answer(const http_request& req) {
    auto target = view(req.target());
    target = target.substr(0, target.find('?'));
    const auto method = req.method();
    auto only = [&](http::verb v) {
        return method == v ? std::optional<http_answer>() : http_answer{.status = 405, .body = error_body("method not allowed")};
    };
    http_answer a;
    if (target == "/v1/turns") {
        if (auto wrong = only(http::verb::post)) return *wrong;
        const auto start = clock::now();
        a.status = turns(view(req.body()), a.body);
        metrics_->observe(std::chrono::duration<double>(clock::now() - start).count());
        return a;
    }
    if (target.starts_with("/v1/calls/")) {
        const auto id = percent_decode(target.substr(10));
        if (!id) return {.status = 400, .body = error_body("a malformed %-escape in the call id")};
        if (auto wrong = call_id_problem(*id); !wrong.empty()) return {.status = 400, .body = error_body(wrong)};
        if (!simdjson::validate_utf8(id->data(), id->size())) return {.status = 400, .body = error_body("a call id is UTF-8")};
        try {
            if (method == http::verb::get)
                a.status = show(*id, a.body);
            else if (method == http::verb::delete_)
                a.status = forget(*id, a.body);
            else
                return {.status = 405, .body = error_body("method not allowed")};
        } catch (const store_error& e) {
            return {.status = 503, .body = error_body(e.what())};
        }
        return a;
    }
    if (target == "/v1/reload") {
        if (auto wrong = only(http::verb::post)) return *wrong;
        a.status = reload(a.body);
        return a;
    }
    if (target == "/healthz") {
        if (auto wrong = only(http::verb::get)) return *wrong;
        return {.status = 200, .body = "ok\n", .type = "text/plain"};
    }
    if (target == "/readyz") {
        if (auto wrong = only(http::verb::get)) return *wrong;
        return ready();
    }
    if (target == "/metrics") {
        if (auto wrong = only(http::verb::get)) return *wrong;
        try {
            return {.status = 200, .body = metrics_text(), .type = "text/plain; version=0.0.4"};
        } catch (const store_error& e) {
            return {.status = 503, .body = error_body(e.what())};
        }
    }
    return {.status = 404, .body = error_body("no such endpoint")};
}

// Ready: not draining, and the store answers now.
http_answer service::ready() {
    if (http_ && http_->draining()) return {.status = 503, .body = error_body("draining: the server is stopping")};
    if (auto why = store_->ping(); !why.empty()) return {.status = 503, .body = error_body(why)};
    return {.status = 200, .body = "ready\n", .type = "text/plain"};
}

// Answers every line of `body`, in order; the HTTP status: that of the first refused line, else 200.
int service::turns(std::string_view body, std::string& out) {
    thread_local worker w;
    if (!body.empty() && body.back() == '\n') body.remove_suffix(1);  // a final newline ends the last line
    const auto lines = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n')) + 1;
    if (lines > options_.max_lines) {
        metrics_->too_long.fetch_add(1, std::memory_order_relaxed);
        out = error_body(fmt::format("{} lines in one request; at most {} (--max-lines)", lines, options_.max_lines));
        return 413;
    }
    const auto p = current();
    w.answerer.limit(options_.max_answer);
    w.padded.assign(body);
    w.padded.append(simdjson::SIMDJSON_PADDING, ' ');
    const std::string_view text(w.padded.data(), body.size());
    int status = 200;
    std::size_t at = 0;
    bool full = false;                                         // a line's answer did not fit: the lines after it are not answered
    for (std::size_t number = 1; number <= lines; ++number) {  // as many lines as newlines, and the last
        const auto eol = std::min(text.find('\n', at), text.size());
        int s = 413;
        if (!full && out.size() < options_.max_answer) {
            s = turn(w, *p, text.substr(at, eol - at), number, out, options_.max_answer - out.size());
            full = s == 413;
        } else {  // a short line each, so that the client knows which lines to send again
            metrics_->too_long.fetch_add(1, std::memory_order_relaxed);
            fmt::format_to(std::back_inserter(out),
                           "{{\"line\": {}, \"error\": \"not answered: the answer reached {} bytes (--max-answer); send this line "
                           "again\"}}\n",
                           number, options_.max_answer);
        }
        if (status == 200) status = s;
        at = eol + 1;
    }
    return status;
}

// One line: its reply or error line appended to `out` (the reply only if it takes at most `room`
// bytes); returns its HTTP status.
int service::turn(worker& w, const program& p, std::string_view text, std::size_t number, std::string& out, std::size_t room) {
    metrics_->turns.fetch_add(1, std::memory_order_relaxed);
    auto& f = w.line;
    auto refuse = [&](int status, std::string_view message) {
        metrics_->errors.fetch_add(1, std::memory_order_relaxed);
        w.answerer.error(number, f.has_call ? &f.call : nullptr, message, out);
        return status;
    };
    w.answerer.start();
    if (auto problem = read_input_line(w.parser, text, f); !problem.empty()) return refuse(400, problem);
    std::optional<std::uint64_t> seq;
    if (f.seq) {
        std::uint64_t n = 0;
        if (f.seq->get(n) != simdjson::SUCCESS) return refuse(400, "'seq' must be a whole number from 0");
        seq = n;
    }
    const std::uint64_t line = seq ? line_hash(f, w.scratch, w.slots) : 0;
    const std::string_view call = f.call;
    try {
        for (int attempt = 0; attempt < options_.max_conflicts; ++attempt) {
            const auto record = store_->load(call);
            if (record && seq && record->seq && *seq <= *record->seq) {
                if (*seq < *record->seq)
                    return refuse(409, fmt::format("seq {} is older than the last turn the call applied ({})", *seq, *record->seq));
                if (record->line != 0 && record->line != line) {
                    metrics_->seq_conflicts.fetch_add(1, std::memory_order_relaxed);
                    return refuse(422, fmt::format("seq {} of call '{}' was applied to another line: a retry repeats its line, a new "
                                                   "turn takes seq {}",
                                                   *seq, call, *seq + 1));
                }
                metrics_->replays.fetch_add(1, std::memory_order_relaxed);
                out += record->reply;
                out += '\n';
                return record->reply.starts_with("{\"line\"") ? 400 : 200;
            }
            if (record && record->ended) return refuse(400, "call has ended");
            if (record && f.has_vars) return refuse(400, vars_too_late);
            if (!record && !f.is_pickup() && seq != 1) {
                metrics_->lost.fetch_add(1, std::memory_order_relaxed);
                if (seq)
                    return refuse(410, fmt::format("the state of call '{}' was lost: seq {} continues a call that the store does not hold "
                                                   "(lost in a restart or evicted, or expired); a call starts with a pickup or seq 1",
                                                   call, *seq));
                return refuse(410, fmt::format("the state of call '{}' was lost, or the call never started: the store does not hold it "
                                               "(lost in a restart or evicted, or expired); a call starts with a pickup or seq 1",
                                               call));
            }
            w.answer.clear();
            w.answerer.start();
            std::optional<parley::session> session;
            line_answerer::outcome done;
            try {
                if (!record) {
                    if (f.lang.empty() && !f.has_vars)
                        session.emplace(p.script, p.defaults);
                    else
                        session.emplace(p.script, options_for(p.defaults, f));
                } else {
                    try {
                        session.emplace(parley::session::restore(p.script, record->snapshot, parley::restore_mode::by_name));
                    } catch (const parley::session_error& e) {
                        return refuse(409, fmt::format("the stored state of call '{}' cannot be restored: {}; DELETE /v1/calls/{} to "
                                                       "start it afresh",
                                                       call, e.what(), call));
                    }
                    if (!f.lang.empty()) session->set_language(f.lang);
                }
                w.answerer.fire_timers(*session, f);
                done = w.answerer.finish(p.script, *session, f, number, w.answer);
            } catch (const parley::session_error& e) {
                w.answerer.error(number, &call, e.what(), w.answer);
                done.refused = true;
            } catch (const answer_too_long& e) {
                metrics_->too_long.fetch_add(1, std::memory_order_relaxed);
                return refuse(413, fmt::format("{} (--max-answer); nothing was applied", e.what()));
            }
            if (w.answer.size() > room) {
                metrics_->too_long.fetch_add(1, std::memory_order_relaxed);
                return refuse(413, fmt::format("the answer to this line would make the request's answer longer than {} bytes "
                                               "(--max-answer); nothing was applied",
                                               options_.max_answer));
            }
            if (!session) {  // a new call that could not start: nothing to store
                metrics_->errors.fetch_add(1, std::memory_order_relaxed);
                out += w.answer;
                return 400;
            }
            call_record next{.seq = seq ? seq : (record ? record->seq : std::nullopt), .line = seq ? line : 0, .ended = done.ended};
            if (!seq && record) next.line = record->line;
            if (!done.ended) next.snapshot = session->snapshot();
            next.reply.assign(w.answer, 0, w.answer.size() - 1);
            const auto ttl = done.ended ? options_.remember_ended : options_.idle_timeout;
            if (store_->save(call, record ? record->version : 0, next, std::chrono::seconds(ttl))) {
                if (done.refused) metrics_->errors.fetch_add(1, std::memory_order_relaxed);
                out += w.answer;
                return done.refused ? 400 : 200;
            }
            metrics_->conflicts.fetch_add(1, std::memory_order_relaxed);
        }
        return refuse(503, fmt::format("call '{}' had {} turns written by others while this one was answered; retry it", call,
                                       options_.max_conflicts));
    } catch (const store_error& e) {
        (e.full() ? metrics_->store_full : metrics_->store_errors).fetch_add(1, std::memory_order_relaxed);
        return refuse(503, e.what());
    }
}

// GET /v1/calls/ID
int service::show(const std::string& call, std::string& out) {
    auto not_found = [&] {
        out = "{\"call\": ";
        support::append_json_string(out, call);
        out += ", \"error\": \"no such call\"}\n";
        return 404;
    };
    auto record = store_->load(call);
    if (!record) return not_found();
    out = "{\"call\": ";
    support::append_json_string(out, call);
    fmt::format_to(std::back_inserter(out), ", \"version\": {}, \"seq\": {}", record->version,
                   record->seq ? std::to_string(*record->seq) : "null");
    if (record->ended) {
        out += ", \"ended\": true}\n";
        return 200;
    }
    const auto p = current();
    try {
        const auto s = parley::session::restore(p->script, record->snapshot, parley::restore_mode::by_name);
        out += ", \"state\": ";
        support::append_json_string(out, s.state_name());
        out += ", \"language\": ";
        support::append_json_string(out, p->script.language_name(s.language()));
        out += s.ended() ? ", \"ended\": true" : ", \"ended\": false";
        out += ", \"counters\": {";
        for (std::size_t i = 0; i < p->script.counter_count(); ++i) {
            if (i) out += ", ";
            support::append_json_string(out, p->script.counter_name(i));
            fmt::format_to(std::back_inserter(out), ": {}", s.counter(p->script.counter_name(i)));
        }
        out += "}, \"slots\": {";
        bool first = true;
        for (std::size_t i = 0; i < p->script.slot_count(); ++i) {
            const auto name = p->script.slot_name(i);
            const auto value = s.slot(name);
            if (value.empty()) continue;
            if (!std::exchange(first, false)) out += ", ";
            support::append_json_string(out, name);
            out += ": ";
            support::append_json_string(out, value);
        }
        out += "}}\n";
        return 200;
    } catch (const parley::session_error& e) {
        out = error_body(fmt::format("the stored state of call '{}' cannot be restored: {}; DELETE /v1/calls/{} to start it afresh", call,
                                     e.what(), call));
        return 409;
    }
}

// DELETE /v1/calls/ID
int service::forget(const std::string& call, std::string& out) {
    if (!store_->remove(call)) {
        out = "{\"call\": ";
        support::append_json_string(out, call);
        out += ", \"error\": \"no such call\"}\n";
        return 404;
    }
    out = "{\"call\": ";
    support::append_json_string(out, call);
    out += ", \"deleted\": true}\n";
    return 200;
}

// POST /v1/reload: the new script, or its diagnostics and the old one stays.
int service::reload(std::string& out) {
    auto result = parley::compile_file(options_.file);
    std::string problem;
    if (!result.script) {
        problem = "the script does not compile; the old one stays";
    } else {
        try {  // the options of new calls must still fit the script
            parley::session probe(*result.script, current()->defaults);
        } catch (const parley::session_error& e) {
            problem = fmt::format("{}; the old script stays", e.what());
        }
    }
    if (!problem.empty()) {
        metrics_->reload_failures.fetch_add(1, std::memory_order_relaxed);
        log_line("reload_refused").add("error", problem).write();
        out = "{\"error\": ";
        support::append_json_string(out, problem);
        out += ", \"diagnostics\": ";
        out += parley::to_json(result.diagnostics);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        out += "}\n";
        return 422;
    }
    auto next = std::make_shared<const program>(program{std::move(*result.script), current()->defaults});
    const auto fingerprint = fmt::format("{:016x}", next->script.fingerprint());
    {
        const std::lock_guard lock(program_mutex_);
        program_ = std::move(next);
    }
    metrics_->reloads.fetch_add(1, std::memory_order_relaxed);
    log_line("reloaded").add("fingerprint", fingerprint).write();
    out = fmt::format("{{\"reloaded\": true, \"fingerprint\": \"{}\"}}\n", fingerprint);
    return 200;
}

std::string service::metrics_text() {
    const auto calls = store_->counts();
    std::string out;
    auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
        fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
    };
    auto gauge = [&](std::string_view name, std::string_view help, std::uint64_t value) {
        fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} gauge\n{0} {2}\n", name, help, value);
    };
    const auto& m = *metrics_;
    counter("parley_turns_total", "Lines answered (turns), errors included", m.turns.load());
    counter("parley_turn_errors_total", "Lines answered with an error object", m.errors.load());
    counter("parley_turn_replays_total", "Retried turns answered with the stored reply", m.replays.load());
    counter("parley_seq_conflicts_total", "Lines refused (422) for a seq the call applied to another line", m.seq_conflicts.load());
    counter("parley_lost_calls_total", "Lines refused (410) for a call whose state the store does not hold", m.lost.load());
    counter("parley_answer_limited_total", "Requests or lines refused (413) by --max-lines or --max-answer", m.too_long.load());
    counter("parley_store_conflicts_total", "Turns answered again because another turn of the call was written first", m.conflicts.load());
    counter("parley_store_round_trips_total", "Requests sent to the call store", store_->round_trips());
    counter("parley_store_full_total", "Turns refused (503) because the store was full (--max-calls, Redis maxmemory)",
            m.store_full.load());
    counter("parley_store_errors_total", "Turns refused (503) because the store could not be reached", m.store_errors.load());
    counter("parley_auth_failures_total", "Requests refused (401, 403) for a missing or wrong bearer token", m.auth_failures.load());
    counter("parley_reloads_total", "Successful script reloads", m.reloads.load());
    counter("parley_reload_failures_total", "Reloads refused because the script did not compile", m.reload_failures.load());
    gauge("parley_live_calls", "Calls in progress in the store", calls.live);
    gauge("parley_ended_calls", "Ended calls the store still remembers (--remember-ended)", calls.ended);
    if (http_) {
        const auto& h = http_->counters();
        gauge("parley_open_connections", "HTTP connections open now", h.open.load());
        counter("parley_connections_total", "HTTP connections accepted", h.accepted.load());
        counter("parley_connections_refused_total", "Connections answered 503 for want of --max-connections or a descriptor",
                h.refused.load());
        counter("parley_connection_timeouts_total", "Connections closed by a header, body, send or keep-alive timeout", h.timeouts.load());
        counter("parley_malformed_requests_total", "Requests answered 4xx before they reached an endpoint (framing, limits)",
                h.malformed.load());
        counter("parley_internal_errors_total", "Exceptions contained to their request", h.internal_errors.load());
    }
    m.text(out);
    return out;
}

}  // namespace parley::cli
