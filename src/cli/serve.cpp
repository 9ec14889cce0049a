// parley serve: `parley run`'s answers over HTTP, one turn at a time, with every call kept in a
// store between turns (call_store.hpp), so that any replica can answer any call.
//
// A turn: read the line (input_line.cpp), load the call, restore its session (by state name: the
// script may have been reloaded since), answer the line with run's own line_answerer, and write
// the session back if the call's version has not moved meanwhile; if it has, another replica
// answered a turn of this call first, and this one is answered again from that state. A line
// with a `seq` the call has already applied is answered with the stored reply and changes nothing.
//
// HTTP is cpp-httplib's (see the README for why): a pool of threads, each serving one connection
// at a time; a request's work is small and its store calls block.
#include "call_store.hpp"
#include "cli.hpp"
#include "input_line.hpp"
#include "runner.hpp"

#include "../support/json_string.hpp"

#include <parley/compiler.hpp>

#include <httplib.h>
#include <simdjson.h>

#include <fmt/format.h>

#include <pthread.h>
#include <array>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>

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
                w.answer.clear();
                w.answerer.start();
                std::optional<parley::session> session;
                line_answerer::outcome done;
                try {
                    if (!record) {
                        if (f.lang.empty()) {
                            session.emplace(p.script, p.defaults);
                        } else {
                            auto with_language = p.defaults;
                            with_language.language = std::string(f.lang);
                            session.emplace(p.script, with_language);
                        }
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

bool valid_call_id(const std::string& id) { return !id.empty() && id.size() <= max_call_id; }

}  // namespace

int serve(const serve_options& options) {
    std::string host;
    int port = 0;
    if (!parse_listen(options.listen, host, port)) {
        std::fprintf(stderr, "parley: --listen takes HOST:PORT, not '%s'\n", options.listen.c_str());
        return 2;
    }
    auto script = load_script(options.file);
    if (!script) return 1;
    std::string problem;
    auto variables = parse_assignments(options.set, problem);
    if (!variables) {
        std::fprintf(stderr, "parley: %s\n", problem.c_str());
        return 2;
    }
    parley::session_options defaults{.language = options.language, .variables = std::move(*variables)};
    try {
        parley::session probe(*script, defaults);
    } catch (const parley::session_error& e) {
        std::fprintf(stderr, "parley: %s\n", e.what());
        return 2;
    }
    std::unique_ptr<call_store> store;
    try {
        store = make_store(options.store);
    } catch (const store_error& e) {
        std::fprintf(stderr, "parley: %s\n", e.what());
        return 2;
    }

    // SIGTERM and SIGINT are taken by one thread, which stops the listener; the request threads
    // finish the requests they have (httplib closes each connection after its current request).
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    server s(options, std::move(store), std::make_shared<const program>(program{std::move(*script), std::move(defaults)}));
    httplib::Server http;
    const auto threads = options.threads;
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(options.max_body);
    http.set_tcp_nodelay(true);  // headers and body are two writes: no Nagle delay between them
    http.set_keep_alive_timeout(5);
    http.set_keep_alive_max_count(std::numeric_limits<std::size_t>::max());  // httplib closes after 5 requests by default
    http.set_error_handler([&](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty()) return;
        const auto message = res.status == 413   ? fmt::format("body longer than {} bytes", options.max_body)
                             : res.status == 404 ? std::string("no such endpoint")
                                                 : fmt::format("HTTP status {}", res.status);
        if (res.status == 413) s.stats().errors.fetch_add(1, std::memory_order_relaxed);
        res.set_content(error_body(message), "application/json");
    });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {}
        log_event("internal_error", "error", what);
        res.status = 500;
        res.set_content(error_body(what), "application/json");
    });

    auto reply = [](httplib::Response& res, int status, std::string body) {
        res.status = status;
        res.set_content(std::move(body), "application/json");
    };
    http.Post("/v1/turns", [&](const httplib::Request& req, httplib::Response& res) {
        const auto start = clock::now();
        std::string out;
        const int status = s.turns(req.body, out);
        reply(res, status, std::move(out));
        s.stats().observe(std::chrono::duration<double>(clock::now() - start).count());
    });
    auto call_route = [&](auto handle) {
        return [&, handle](const httplib::Request& req, httplib::Response& res) {
            const std::string id = req.matches[1];
            if (!valid_call_id(id)) return reply(res, 400, error_body(fmt::format("a call id has 1 to {} bytes", max_call_id)));
            std::string out;
            try {
                const int status = handle(id, out);
                reply(res, status, std::move(out));
            } catch (const store_error& e) {
                reply(res, 503, error_body(e.what()));
            }
        };
    };
    http.Get(R"(/v1/calls/(.*))", call_route([&](const std::string& id, std::string& out) { return s.show(id, out); }));
    http.Delete(R"(/v1/calls/(.*))", call_route([&](const std::string& id, std::string& out) { return s.forget(id, out); }));
    http.Post("/v1/reload", [&](const httplib::Request&, httplib::Response& res) {
        std::string out;
        const int status = s.reload(out);
        reply(res, status, std::move(out));
    });
    http.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
    http.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
        try {
            res.set_content(s.metrics_text(), "text/plain; version=0.0.4");
        } catch (const store_error& e) {
            reply(res, 503, error_body(e.what()));
        }
    });

    const int bound = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
    if (bound < 0) {
        std::fprintf(stderr, "parley: cannot listen on %s\n", options.listen.c_str());
        return 2;
    }
    std::atomic<bool> listening{true};
    std::thread stopper([&http, &listening, stop_signals] {
        int signal = 0;
        sigwait(&stop_signals, &signal);
        if (listening) log_event("draining", "signal", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        http.stop();
    });
    std::fprintf(stderr, "{\"event\": \"listening\", \"host\": \"%s\", \"port\": %d, \"store\": \"%s\"}\n", host.c_str(), bound,
                 options.store.starts_with("redis") ? "redis" : "memory");
    const bool clean = http.listen_after_bind();
    if (listening.exchange(false)) pthread_kill(stopper.native_handle(), SIGTERM);  // the listener failed: wake the stopper
    stopper.join();
    log_event("stopped");
    return clean ? 0 : 2;
}

}  // namespace parley::cli
