// parley serve: `parley run`'s answers over HTTP, one turn at a time, with every call kept in a
// store between turns (call_store.hpp), so that any replica can answer any call.
//
// A turn: read the line (input_line.cpp), load the call, restore its session (by state name: the
// script may have been reloaded since), answer the line with run's own line_answerer, and write
// the session back if the call's version has not moved meanwhile; if it has, another replica
// answered a turn of this call first, and this one is answered again from that state. A line
// with a `seq` the call has already applied is answered with the stored reply and changes nothing.
//
// HTTP is Boost.Beast's (the README says why: it was measured against cpp-httplib), one thread per
// connection (listener, below).
#include "call_store.hpp"
#include "cli.hpp"
#include "input_line.hpp"
#include "runner.hpp"

#include "../support/json_string.hpp"

#include <parley/compiler.hpp>

#include <simdjson.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <pthread.h>
#include <sys/socket.h>
#include <array>
#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace parley::cli {

namespace {

using clock = std::chrono::steady_clock;

// Prometheus text: counters and one latency histogram, all lock-free.
class metrics {
public:
    static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
    std::atomic<std::uint64_t> turns{0}, errors{0}, conflicts{0}, replays{0}, reloads{0}, reload_failures{0};

    void observe(double seconds) noexcept {
        std::size_t i = 0;
        while (i < bounds.size() && seconds > bounds[i]) ++i;
        buckets_[i].fetch_add(1, std::memory_order_relaxed);
        micros_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    }

    [[nodiscard]] std::string text(std::size_t stored_calls, std::uint64_t round_trips) const {
        std::string out;
        auto counter = [&](std::string_view name, std::string_view help, std::uint64_t value) {
            fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} counter\n{0} {2}\n", name, help, value);
        };
        counter("parley_turns_total", "Lines answered (turns), errors included", turns.load());
        counter("parley_turn_errors_total", "Lines answered with an error object", errors.load());
        counter("parley_turn_replays_total", "Retried turns answered with the stored reply", replays.load());
        counter("parley_store_conflicts_total", "Turns answered again because another turn of the call was written first",
                conflicts.load());
        counter("parley_store_round_trips_total", "Requests sent to the call store", round_trips);
        counter("parley_reloads_total", "Successful script reloads", reloads.load());
        counter("parley_reload_failures_total", "Reloads refused because the script did not compile", reload_failures.load());
        fmt::format_to(std::back_inserter(out),
                       "# HELP parley_live_calls Calls in the store (live, and ended ones still remembered)\n"
                       "# TYPE parley_live_calls gauge\nparley_live_calls {}\n",
                       stored_calls);
        out += "# HELP parley_request_seconds Time to answer a POST /v1/turns request\n# TYPE parley_request_seconds histogram\n";
        std::uint64_t count = 0;
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            count += buckets_[i].load();
            fmt::format_to(std::back_inserter(out), "parley_request_seconds_bucket{{le=\"{}\"}} {}\n", bounds[i], count);
        }
        count += buckets_[bounds.size()].load();
        fmt::format_to(
            std::back_inserter(out),
            "parley_request_seconds_bucket{{le=\"+Inf\"}} {0}\nparley_request_seconds_sum {1}\nparley_request_seconds_count {0}\n", count,
            double(micros_.load()) / 1e6);
        return out;
    }

private:
    std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
    std::atomic<std::uint64_t> micros_{0};
};

// One JSON log line per event on stderr.
void log_event(std::string_view event, std::string_view detail_key = {}, std::string_view detail = {}) {
    std::string line = "{\"event\": ";
    support::append_json_string(line, event);
    if (!detail_key.empty()) {
        line += ", ";
        support::append_json_string(line, detail_key);
        line += ": ";
        support::append_json_string(line, detail);
    }
    line += "}\n";
    std::fputs(line.c_str(), stderr);
}

std::string error_body(std::string_view message) {
    std::string out = "{\"error\": ";
    support::append_json_string(out, message);
    out += "}\n";
    return out;
}

// The script and the options of new calls, replaced together by a reload.
struct program {
    parley::script script;
    parley::session_options defaults;
};

// A request thread's own parser and buffers, reused from turn to turn.
struct worker {
    simdjson::dom::parser parser;
    input_line line;
    line_answerer answerer;
    std::string padded, answer;
};

class server {
public:
    server(const serve_options& options, std::unique_ptr<call_store> store, std::shared_ptr<const program> p)
        : options_(options), store_(std::move(store)), program_(std::move(p)) {}

    // Answers every line of `body`, in order; the HTTP status: that of the first refused line, else 200.
    int turns(std::string_view body, std::string& out) {
        thread_local worker w;
        const auto p = current();
        w.padded.assign(body);
        w.padded.append(simdjson::SIMDJSON_PADDING, ' ');
        std::string_view rest(w.padded.data(), body.size());
        if (!rest.empty() && rest.back() == '\n') rest.remove_suffix(1);  // a final newline ends the last line
        int status = 200;
        std::size_t number = 0;
        do {
            const auto eol = std::min(rest.find('\n'), rest.size());
            const int s = turn(w, *p, rest.substr(0, eol), ++number, out);
            if (status == 200) status = s;
            rest.remove_prefix(std::min(eol + 1, rest.size()));
        } while (!rest.empty());
        return status;
    }

    // GET /v1/calls/ID
    int show(const std::string& call, std::string& out) {
        auto record = store_->load(call);
        if (!record) return not_found(call, out);
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
            out = error_body(unusable(call, e.what()));
            return 409;
        }
    }

    // DELETE /v1/calls/ID
    int forget(const std::string& call, std::string& out) {
        if (!store_->remove(call)) return not_found(call, out);
        out = "{\"call\": ";
        support::append_json_string(out, call);
        out += ", \"deleted\": true}\n";
        return 200;
    }

    // POST /v1/reload: the new script, or its diagnostics and the old one stays.
    int reload(std::string& out) {
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
            metrics_.reload_failures.fetch_add(1, std::memory_order_relaxed);
            log_event("reload_refused", "error", problem);
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
        metrics_.reloads.fetch_add(1, std::memory_order_relaxed);
        log_event("reloaded", "fingerprint", fingerprint);
        out = fmt::format("{{\"reloaded\": true, \"fingerprint\": \"{}\"}}\n", fingerprint);
        return 200;
    }

    [[nodiscard]] std::string metrics_text() { return metrics_.text(store_->size(), store_->round_trips()); }
    metrics& stats() noexcept { return metrics_; }

private:
    std::shared_ptr<const program> current() {
        const std::lock_guard lock(program_mutex_);
        return program_;
    }

    static int not_found(const std::string& call, std::string& out) {
        out = "{\"call\": ";
        support::append_json_string(out, call);
        out += ", \"error\": \"no such call\"}\n";
        return 404;
    }
    static std::string unusable(std::string_view call, std::string_view why) {
        return fmt::format("the stored state of call '{}' cannot be restored: {}; DELETE /v1/calls/{} to start it afresh", call, why, call);
    }

    // One line: its reply or error line appended to `out`; returns its HTTP status.
    int turn(worker& w, const program& p, std::string_view text, std::size_t number, std::string& out) {
        metrics_.turns.fetch_add(1, std::memory_order_relaxed);
        auto& f = w.line;
        auto refuse = [&](int status, std::string_view message) {
            metrics_.errors.fetch_add(1, std::memory_order_relaxed);
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
        const std::string_view call = f.call;
        try {
            for (int attempt = 0; attempt < options_.max_conflicts; ++attempt) {
                const auto record = store_->load(call);
                if (record && seq && record->seq && *seq <= *record->seq) {
                    if (*seq < *record->seq)
                        return refuse(409, fmt::format("seq {} is older than the last turn the call applied ({})", *seq, *record->seq));
                    metrics_.replays.fetch_add(1, std::memory_order_relaxed);
                    out += record->reply;
                    out += '\n';
                    return record->reply.starts_with("{\"line\"") ? 400 : 200;
                }
                if (record && record->ended) return refuse(400, "call has ended");
                if (record && f.has_vars) return refuse(400, vars_too_late);
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
                            return refuse(409, unusable(call, e.what()));
                        }
                        if (!f.lang.empty()) session->set_language(f.lang);
                    }
                    w.answerer.fire_timers(*session, f);
                    done = w.answerer.finish(p.script, *session, f, number, w.answer);
                } catch (const parley::session_error& e) {
                    w.answerer.error(number, &call, e.what(), w.answer);
                    done.refused = true;
                }
                if (!session) {  // a new call that could not start: nothing to store
                    metrics_.errors.fetch_add(1, std::memory_order_relaxed);
                    out += w.answer;
                    return 400;
                }
                call_record next{.seq = seq ? seq : (record ? record->seq : std::nullopt), .ended = done.ended};
                if (!done.ended) next.snapshot = session->snapshot();
                next.reply.assign(w.answer, 0, w.answer.size() - 1);
                const auto ttl = done.ended ? options_.remember_ended : options_.idle_timeout;
                if (store_->save(call, record ? record->version : 0, next, std::chrono::seconds(ttl))) {
                    if (done.refused) metrics_.errors.fetch_add(1, std::memory_order_relaxed);
                    out += w.answer;
                    return done.refused ? 400 : 200;
                }
                metrics_.conflicts.fetch_add(1, std::memory_order_relaxed);
            }
            return refuse(503, fmt::format("call '{}' had {} turns written by others while this one was answered; retry it", call,
                                           options_.max_conflicts));
        } catch (const store_error& e) {
            return refuse(503, e.what());
        }
    }

    const serve_options& options_;
    std::unique_ptr<call_store> store_;
    std::mutex program_mutex_;
    std::shared_ptr<const program> program_;
    metrics metrics_;
};

// "HOST:PORT" (the host may be a bracketed IPv6 address).
bool parse_listen(const std::string& listen, std::string& host, int& port) {
    const auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    const auto p = listen.substr(colon + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    return ec == std::errc() && end == p.data() + p.size() && port >= 0 && port <= 65535;
}

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

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using request = http::request<http::string_body>;

struct answer {
    int status = 200;
    std::string body;
    const char* type = "application/json";
};

// The HTTP side (Boost.Beast, blocking): one thread per connection, at most `max_connections` at
// once (one more is answered 503 and closed). A turn's work is small and its store calls block,
// so a thread per connection is the simplest model that keeps every core busy. stop() closes the
// listener and the idle connections; a connection in the middle of a request finishes it first.
class listener {
public:
    using router = std::function<answer(const request&)>;

    listener(const tcp::endpoint& at, std::size_t max_connections, std::size_t max_body, router route)
        : acceptor_(io_, at), max_connections_(max_connections), max_body_(max_body), route_(std::move(route)) {}

    [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }

    // Accepts until stop(); returns once every connection has closed.
    void run() {
        while (true) {
            boost::system::error_code ec;
            tcp::socket socket(io_);
            acceptor_.accept(socket, ec);
            std::unique_lock lock(mutex_);
            if (stopping_) break;
            if (ec) {  // out of descriptors, say: wait for connections to close rather than spin
                lock.unlock();
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            socket.set_option(tcp::no_delay(true), ec);
            if (running_ >= max_connections_) {
                lock.unlock();
                respond(socket, 11, false, {503, error_body(fmt::format("more than {} connections; retry", max_connections_))}, ec);
                continue;
            }
            auto c = std::make_unique<connection>(std::move(socket));
            live_.insert(c.get());
            ++running_;
            lock.unlock();
            std::thread([this, c = std::move(c)]() mutable {
                serve_connection(*c);
                c.reset();  // its socket goes while the io_context is still there
                const std::lock_guard done(mutex_);
                --running_;
                closed_.notify_all();
            }).detach();
        }
        std::unique_lock lock(mutex_);
        closed_.wait(lock, [&] { return running_ == 0; });
    }

    void stop() {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes accept()
        for (auto* c : live_)
            if (!c->busy) ::shutdown(c->socket.native_handle(), SHUT_RD);  // wakes its read
    }

private:
    struct connection {
        explicit connection(tcp::socket s) : socket(std::move(s)) {}
        tcp::socket socket;
        bool busy = false;  // between a request's last byte and its answer's
    };

    static void respond(tcp::socket& socket, unsigned version, bool keep_alive, answer a, boost::system::error_code& ec) {
        http::response<http::string_body> res{static_cast<http::status>(a.status), version};
        res.set(http::field::content_type, a.type);
        res.keep_alive(keep_alive);
        res.body() = std::move(a.body);
        res.prepare_payload();
        http::write(socket, res, ec);
    }

    void serve_connection(connection& c) {
        boost::beast::flat_buffer buffer;
        while (true) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(max_body_);
            boost::system::error_code ec;
            http::read(c.socket, buffer, parser, ec);
            answer a;
            bool keep = false;
            if (ec == http::error::body_limit) {
                a = {413, error_body(fmt::format("body longer than {} bytes", max_body_))};
            } else if (ec) {
                break;
            } else {
                {
                    const std::lock_guard lock(mutex_);
                    c.busy = true;
                }
                try {
                    a = route_(parser.get());
                } catch (const std::exception& e) {  // out of memory, say: this request fails, the server goes on
                    log_event("internal_error", "error", e.what());
                    a = {500, error_body(e.what())};
                }
                keep = parser.get().keep_alive();
            }
            {
                const std::lock_guard lock(mutex_);
                c.busy = false;
                keep = keep && !stopping_;
            }
            respond(c.socket, parser.get().version(), keep, std::move(a), ec);
            if (ec || !keep) break;
        }
        boost::system::error_code ignored;
        c.socket.shutdown(tcp::socket::shutdown_send, ignored);
        c.socket.close(ignored);
        const std::lock_guard lock(mutex_);
        live_.erase(&c);
    }

    boost::asio::io_context io_;
    tcp::acceptor acceptor_;
    std::size_t max_connections_, max_body_;
    router route_;
    std::mutex mutex_;
    std::condition_variable closed_;
    std::unordered_set<connection*> live_;
    std::size_t running_ = 0;  // connection threads not yet finished
    bool stopping_ = false;
};

// The endpoints, by method and path.
answer route(server& s, const request& req) {
    auto target = std::string_view(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    const auto method = req.method();
    auto only = [&](http::verb v) { return method == v ? std::optional<answer>() : answer{405, error_body("method not allowed")}; };
    answer a;
    if (target == "/v1/turns") {
        if (auto wrong = only(http::verb::post)) return *wrong;
        const auto start = clock::now();
        a.status = s.turns(req.body(), a.body);
        s.stats().observe(std::chrono::duration<double>(clock::now() - start).count());
        return a;
    }
    if (target.starts_with("/v1/calls/")) {
        const auto id = percent_decode(target.substr(10));
        if (!id || id->empty() || id->size() > max_call_id)
            return {400, error_body(fmt::format("a call id has 1 to {} bytes", max_call_id))};
        try {
            if (method == http::verb::get)
                a.status = s.show(*id, a.body);
            else if (method == http::verb::delete_)
                a.status = s.forget(*id, a.body);
            else
                return {405, error_body("method not allowed")};
        } catch (const store_error& e) {
            return {503, error_body(e.what())};
        }
        return a;
    }
    if (target == "/v1/reload") {
        if (auto wrong = only(http::verb::post)) return *wrong;
        a.status = s.reload(a.body);
        return a;
    }
    if (target == "/healthz") {
        if (auto wrong = only(http::verb::get)) return *wrong;
        return {200, "ok\n", "text/plain"};
    }
    if (target == "/metrics") {
        if (auto wrong = only(http::verb::get)) return *wrong;
        try {
            return {200, s.metrics_text(), "text/plain; version=0.0.4"};
        } catch (const store_error& e) {
            return {503, error_body(e.what())};
        }
    }
    return {404, error_body("no such endpoint")};
}

}  // namespace

int serve(const serve_options& options) {
    std::string host;
    int port = 0;
    boost::system::error_code ec;
    const auto address = parse_listen(options.listen, host, port) ? boost::asio::ip::make_address(host, ec) : boost::asio::ip::address();
    if (host.empty() || ec) {
        std::fprintf(stderr, "parley: --listen takes IP:PORT, not '%s'\n", options.listen.c_str());
        return 2;
    }
    int status = 0;
    auto setup = load_for_calls(options.file, options.language, options.set, status);
    if (!setup) return status;
    std::unique_ptr<call_store> store;
    try {
        store = make_store(options.store);
    } catch (const store_error& e) {
        std::fprintf(stderr, "parley: %s\n", e.what());
        return 2;
    }

    // SIGTERM and SIGINT go to one thread, which stops the listener; blocked before any other
    // thread starts, so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    server s(options, std::move(store), std::make_shared<const program>(program{std::move(setup->script), std::move(setup->defaults)}));
    std::optional<listener> http_listener;
    try {
        http_listener.emplace(tcp::endpoint(address, static_cast<unsigned short>(port)), options.max_connections, options.max_body,
                              [&s](const request& req) { return route(s, req); });
    } catch (const boost::system::system_error& e) {
        std::fprintf(stderr, "parley: cannot listen on %s: %s\n", options.listen.c_str(), e.code().message().c_str());
        return 2;
    }
    std::thread stopper([&http_listener, stop_signals] {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        log_event("draining", "signal", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        http_listener->stop();
    });
    std::fprintf(stderr, "{\"event\": \"listening\", \"host\": \"%s\", \"port\": %u, \"store\": \"%s\"}\n", host.c_str(),
                 http_listener->port(), options.store.starts_with("redis") ? "redis" : "memory");
    http_listener->run();
    stopper.join();
    log_event("stopped");
    return 0;
}

}  // namespace parley::cli
