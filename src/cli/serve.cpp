// parley serve: `parley run`'s answers over HTTP, one turn at a time, with every call kept in a
// store between turns (call_store.hpp), so that any replica can answer any call. This file is the
// process: options, who may connect, the store's readiness, signals and the log. The endpoints
// are service.cpp's, the connections http_server.cpp's.
//
// HTTP is Boost.Beast's (the README says why: it was measured against cpp-httplib).
#include "call_store.hpp"
#include "cli.hpp"
#include "http_server.hpp"
#include "serve_log.hpp"
#include "service.hpp"

#include <boost/asio/ip/address.hpp>

#include <fmt/format.h>

#include <pthread.h>
#include <sys/resource.h>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <system_error>
#include <thread>

namespace parley::cli {

namespace {

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

bool is_loopback(const boost::asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) return a.to_v6().to_v4().is_loopback();
    return a.is_loopback();
}

std::chrono::milliseconds milliseconds(double seconds) { return std::chrono::milliseconds(std::llround(seconds * 1000)); }

// Every connection needs a descriptor: raise the soft limit as far as the hard one allows, and
// serve no more connections than fit (a few descriptors stay for the store, the log, the listener).
std::size_t fit_connections(std::size_t wanted) {
    constexpr rlim_t spare = 64;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
    const rlim_t needed = static_cast<rlim_t>(wanted) + spare;
    if (limit.rlim_cur < needed) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
        (void)setrlimit(RLIMIT_NOFILE, &limit);
        (void)getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur >= needed) return wanted;
    const auto fits = static_cast<std::size_t>(limit.rlim_cur > spare * 2 ? limit.rlim_cur - spare : limit.rlim_cur / 2);
    log_line("max_connections_lowered")
        .add("wanted", wanted)
        .add("max_connections", fits)
        .add("why", fmt::format("the process may open {} file descriptors (RLIMIT_NOFILE)", limit.rlim_cur))
        .write();
    return fits;
}

// Until the store first answers: asks it with a backoff (100 ms doubling to 5 s), one log line per
// try; then says what it cannot promise, if anything. Stops early when `stop` is set.
class store_waiter {
public:
    explicit store_waiter(call_store& store) : thread_([this, &store] { wait(store); }) {}
    ~store_waiter() {
        {
            const std::lock_guard lock(mutex_);
            stop_ = true;
        }
        woken_.notify_all();
        thread_.join();
    }
    store_waiter(const store_waiter&) = delete;
    store_waiter& operator=(const store_waiter&) = delete;

private:
    void wait(call_store& store) {
        std::chrono::milliseconds backoff(100);
        for (int attempt = 1;; ++attempt) {
            auto why = store.ping();
            if (why.empty()) break;
            log_line("store_unavailable").add("error", why).add("attempt", attempt).add("retry_in_ms", backoff.count()).write();
            std::unique_lock lock(mutex_);
            if (woken_.wait_for(lock, backoff, [&] { return stop_; })) return;
            backoff = std::min<std::chrono::milliseconds>(backoff * 2, std::chrono::seconds(5));
        }
        log_line("store_ready").write();
        if (auto warning = store.durability_warning(); !warning.empty()) log_line("store_warning").add("warning", warning).write();
    }

    std::mutex mutex_;
    std::condition_variable woken_;
    bool stop_ = false;
    std::thread thread_;  // last: started once the rest is there
};

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
    bearer_tokens tokens;
    for (auto [path, into] : {std::pair{&options.auth_token_file, &tokens.client}, std::pair{&options.admin_token_file, &tokens.admin}}) {
        if (path->empty()) continue;
        std::string error;
        auto read = read_tokens(*path, error);
        if (!read) {
            std::fprintf(stderr, "parley: %s\n", error.c_str());
            return 2;
        }
        *into = std::move(*read);
    }
    if (!is_loopback(address) && tokens.client.empty() && !options.allow_unauthenticated) {
        std::fprintf(stderr,
                     "parley: --listen %s can be reached from other machines, and without --auth-token-file anyone who reaches it can "
                     "read and end calls and reload the script; give --auth-token-file, or --allow-unauthenticated when something in "
                     "front of parley (a proxy, a firewall) decides who may connect\n",
                     options.listen.c_str());
        return 2;
    }
    int status = 0;
    auto setup = load_for_calls(options.file, options.language, options.set, status);
    if (!setup) return status;
    std::unique_ptr<call_store> store;
    try {
        store = make_store(options.store, {.max_calls = options.max_calls, .timeout = milliseconds(options.store_timeout)});
    } catch (const store_error& e) {
        std::fprintf(stderr, "parley: %s\n", e.what());
        return 2;
    }

    // SIGTERM and SIGINT go to one thread, which drains the server; blocked before any other
    // thread starts, so that every thread inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    // A loop waits on each Redis round trip: two per core keep the cores busy (measured on the
    // load benchmark: 17.4 k turns/s against 14.8 k with one per core).
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned threads = options.threads != 0 ? options.threads : options.store == "memory" ? cores : 2 * cores;
    const http_limits limits{.max_body = options.max_body,
                             .max_header = options.max_header,
                             .max_connections = fit_connections(options.max_connections),
                             .threads = threads,
                             .header_timeout = milliseconds(options.header_timeout),
                             .body_timeout = milliseconds(options.body_timeout),
                             .send_timeout = milliseconds(options.send_timeout),
                             .keepalive_timeout = milliseconds(options.keepalive_timeout),
                             .drain_timeout = milliseconds(options.drain_timeout)};
    service endpoints(options, std::move(store), std::move(setup->script), std::move(setup->defaults), std::move(tokens));
    std::optional<http_server> server;
    try {
        server.emplace(boost::asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port)), limits, endpoints);
    } catch (const boost::system::system_error& e) {
        std::fprintf(stderr, "parley: cannot listen on %s: %s\n", options.listen.c_str(), e.code().message().c_str());
        return 2;
    }
    endpoints.attach(*server);
    std::thread stopper;
    try {  // the first thread after this one: without it SIGTERM could not stop the server
        stopper = std::thread([&server, &options, stop_signals] {
            int signal = 0;
            sigwait(&stop_signals, &signal);
            log_line("draining")
                .add("signal", signal == SIGTERM ? "SIGTERM" : "SIGINT")
                .add("connections", server->counters().open.load())
                .add("drain_timeout_s", options.drain_timeout)
                .write();
            server->drain();
        });
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "parley: cannot start a thread: %s\n", e.what());
        return 2;
    }
    log_line("listening")
        .add("host", host)
        .add("port", server->port())
        .add("store", options.store.starts_with("redis") ? "redis" : "memory")
        .add("threads", threads)
        .add("max_connections", limits.max_connections)
        .add("auth", options.auth_token_file.empty() ? "none" : "bearer")
        .write();
    {
        std::optional<store_waiter> waiter;
        try {
            if (options.store != "memory") waiter.emplace(endpoints.store());
        } catch (const std::system_error& e) {  // /readyz still says when the store answers
            log_line("threads_limited").add("wanted", "a thread to wait for the store").add("error", e.what()).write();
        }
        server->run();
    }
    stopper.join();
    log_line("stopped").write();
    return 0;
}

}  // namespace parley::cli
