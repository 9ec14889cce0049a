// One event loop (io_context) per thread, each run by that thread alone: a connection lives on one
// loop (spread round robin as they are accepted), so that its reads and writes never run at once
// without a strand or a lock, and no handler moves between threads. The first loop also holds
// the listener.
//
// A connection's life:
//
//   header (header_timeout) -> [100 Continue] -> body (body_timeout) -> the handler -> answer
//   (send_timeout) -> wait for the next request's first byte (keepalive_timeout) -> header ...
//
// Beast's parser runs eagerly, so that a request that arrives whole is read in one operation:
// then a turn costs one read and one write through the loop, as a thread per connection would.
// Timeouts are deadlines, not timers: each connection keeps the time by which its current phase
// must end, and each loop looks over its connections a few times a second and closes those past
// it (a timer per operation, as beast::tcp_stream arms, doubled the loop's work per request).
//
// An error answer (malformed request, limit, refused by admit) ends the connection with a
// lingering close, as nginx does: shutdown for sending, then read and discard what the client
// still sends for a moment, so that closing with unread bytes does not reset the connection
// before the client has read the answer.
#include "http_server.hpp"

#include "serve_log.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <list>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

namespace parley::cli {

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using clock = std::chrono::steady_clock;

// Chunk lines and a chunked body's trailer wait in the read buffer until complete: beyond this
// they are refused (431) rather than growing without bound (Beast throws std::length_error for
// a field of 64 KiB or more).
constexpr std::size_t buffer_slack = 8192;
// How long, and how much, a lingering close reads before closing.
constexpr std::chrono::milliseconds linger_time{2000};
constexpr std::size_t linger_bytes = 1 << 16;
// Connections past max_connections that are still answered 503 (the rest are closed at once).
constexpr std::size_t refusals_answered = 256;

// What RFC 9112 requires of a request's framing beyond what Beast checks: why it is refused, or
// nullopt. Beast refuses conflicting Content-Lengths, and Transfer-Encoding after
// Content-Length, but frames by Content-Length a request whose Transfer-Encoding does not end in
// `chunked`.
std::optional<std::pair<int, std::string>> framing_problem(const http_header& h) {
    if (h.version() == 11 && h.count(http::field::host) != 1)
        return std::pair{400, std::string("an HTTP/1.1 request has exactly one Host field")};
    if (h.count(http::field::transfer_encoding) == 0) return std::nullopt;
    if (h.version() < 11) return std::pair{400, std::string("Transfer-Encoding in an HTTP/1.0 request")};
    if (h.count(http::field::content_length) != 0)
        return std::pair{400, std::string("a request has Content-Length or Transfer-Encoding, not both")};
    std::string codings;
    for (auto [it, end] = h.equal_range(http::field::transfer_encoding); it != end; ++it) {
        if (!codings.empty()) codings += ',';
        codings.append(it->value().data(), it->value().size());
    }
    std::vector<beast::string_view> list;
    for (const auto& c : http::token_list(codings)) list.push_back(c);
    if (list.empty() || !beast::iequals(list.back(), "chunked"))
        return std::pair{400, fmt::format("Transfer-Encoding '{}' does not end in 'chunked': the body's length is unknown", codings)};
    if (list.size() > 1) return std::pair{501, fmt::format("Transfer-Encoding '{}': only 'chunked' is supported", codings)};
    return std::nullopt;
}

}  // namespace

class http_server::impl {
public:
    class connection;

    // A thread's event loop and the connections on it, which only that thread touches.
    struct loop {
        std::list<connection*> connections;  // first: outlives the handlers the io_context destroys
        net::io_context io{1};               // 1: one thread runs it
        net::steady_timer sweep{io};
    };

    impl(const tcp::endpoint& at, const http_limits& limits, http_handler& handler)
        : limits_(limits), handler_(handler), loops_(make_loops(std::max(1u, limits.threads))), acceptor_(loops_[0]->io) {
        acceptor_.open(at.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(at);
        acceptor_.listen(net::socket_base::max_listen_connections);
        reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        const auto shortest = std::min({limits.header_timeout, limits.body_timeout, limits.send_timeout, limits.drain_timeout,
                                        limits.keepalive_timeout.count() > 0 ? limits.keepalive_timeout : limits.header_timeout});
        sweep_every_ = std::clamp<std::chrono::milliseconds>(shortest / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
    }
    ~impl() {
        ending_ = true;  // connections that go with their loops tell no other loop
        if (reserve_fd_ >= 0) ::close(reserve_fd_);
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    void run() {
        {
            const std::lock_guard lock(mutex_);
            for (auto& l : loops_) work_.push_back(net::make_work_guard(l->io));
        }
        std::vector<std::thread> pool;
        for (std::size_t i = 1; i < loops_.size(); ++i) {
            try {
                pool.emplace_back([this, i] { run_loop(*loops_[i]); });
            } catch (const std::system_error& e) {  // a pids or nproc limit: serve on fewer threads
                log_line("threads_limited").add("wanted", loops_.size()).add("running", pool.size() + 1).add("error", e.what()).write();
                break;
            }
        }
        running_ = pool.size() + 1;  // new connections go to the loops that have a thread
        for (std::size_t i = 0; i < running_; ++i) net::post(loops_[i]->io, [this, l = loops_[i].get()] { sweep(*l); });
        net::post(acceptor_.get_executor(), [this] { accept(); });
        run_loop(*loops_[0]);
        for (auto& t : pool) t.join();
    }

    void drain() {
        if (draining_.load()) return;
        drain_deadline_.store((clock::now() + limits_.drain_timeout).time_since_epoch().count());
        draining_.store(true);
        {
            const std::lock_guard lock(mutex_);
            work_.clear();
        }
        net::post(acceptor_.get_executor(), [this] {
            error_code ignored;
            acceptor_.close(ignored);
            accept_timer_.reset();
        });
        for (std::size_t i = 0; i < running_; ++i) net::post(loops_[i]->io, [this, l = loops_[i].get()] { sweep(*l); });
    }

    bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }
    const http_counters& counters() const noexcept { return counters_; }

private:
    friend class connection;

    static std::vector<std::unique_ptr<loop>> make_loops(unsigned count) {
        std::vector<std::unique_ptr<loop>> out;
        for (unsigned i = 0; i < count; ++i) out.push_back(std::make_unique<loop>());
        return out;
    }

    void run_loop(loop& l) {
        while (true) {
            try {
                l.io.run();
                return;
            } catch (const std::exception& e) {  // from a handler: its connection is gone, the others go on
                counters_.internal_errors.fetch_add(1, std::memory_order_relaxed);
                log_line("internal_error").add("error", e.what()).write();
            } catch (...) {
                counters_.internal_errors.fetch_add(1, std::memory_order_relaxed);
                log_line("internal_error").add("error", "an exception of unknown type").write();
            }
        }
    }

    // On the loop's thread, a few times a second and at once when the drain starts: closes the
    // connections past their deadline (idle ones too, while draining; all of them past the
    // drain's deadline), and comes again while the loop serves.
    void sweep(loop& l);
    void accept();
    void refuse_without_descriptor();

    http_limits limits_;
    http_handler& handler_;
    http_counters counters_;
    std::chrono::milliseconds sweep_every_{250};
    std::atomic<bool> draining_{false}, ending_{false};
    std::atomic<clock::rep> drain_deadline_{0};  // set before draining_
    std::mutex mutex_;
    std::vector<net::executor_work_guard<net::io_context::executor_type>> work_;
    int reserve_fd_ = -1;  // closed to accept (and refuse) a connection when descriptors run out
    bool accept_failing_ = false;
    std::size_t running_ = 1, next_ = 0;  // loops with a thread; the loop of the next connection
    // Last: destroyed first, with the handlers that still hold connections.
    std::vector<std::unique_ptr<loop>> loops_;
    tcp::acceptor acceptor_;
    std::optional<net::steady_timer> accept_timer_;
};

class http_server::impl::connection : public std::enable_shared_from_this<connection> {
public:
    connection(impl& server, loop& home, tcp::socket socket)
        : server_(server), home_(home), socket_(std::move(socket)), buffer_(server.limits_.max_header + buffer_slack) {}
    ~connection() {
        if (registered_) home_.connections.erase(place_);
        if (server_.counters_.open.fetch_sub(1) == 1 && server_.draining() && !server_.ending_) {  // the last: the loops may end
            for (std::size_t i = 0; i < server_.running_; ++i)
                net::post(server_.loops_[i]->io, [s = &server_, l = server_.loops_[i].get()] { s->sweep(*l); });
        }
    }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    // On the connection's loop, from here on.
    void start() {
        net::dispatch(home_.io, [self = shared_from_this()] {
            self->enlist();
            self->read_request(clock::now() + self->limits().header_timeout);
        });
    }
    // Past max_connections: 503 before reading anything.
    void refuse(std::string message) {
        net::dispatch(home_.io, [self = shared_from_this(), m = std::move(message)]() mutable {
            self->enlist();
            self->respond({.status = 503, .body = error_body(m), .close = true});
        });
    }
    void drop() {
        net::dispatch(home_.io, [self = shared_from_this()] { self->close(); });
    }

    // From the loop's sweep: closes the connection past its deadline (and an idle one while
    // draining, any one past the drain's deadline).
    void look(clock::time_point now, bool draining, bool drain_over) {
        if (phase_ == phase::closed) return;
        const bool idle = phase_ == phase::waiting || (phase_ == phase::header && buffer_.size() == 0);
        if (drain_over || (draining && idle)) return close();
        if (now <= deadline_) return;
        if (phase_ != phase::lingering) server_.counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
        close();
    }

    void close() {
        if (phase_ == phase::closed) return;
        phase_ = phase::closed;
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);  // the pending operations end with operation_aborted
    }

private:
    enum class phase : unsigned char { header, body, busy, writing, waiting, lingering, closed };

    const http_limits& limits() const { return server_.limits_; }

    void enlist() {
        home_.connections.push_front(this);
        place_ = home_.connections.begin();
        registered_ = true;
    }

    // Bound to the connection: its handlers keep it alive.
    template <class Member>
    auto bind(Member member) {
        return beast::bind_front_handler(member, shared_from_this());
    }

    // A new request, whose header must be in by `deadline`.
    void read_request(clock::time_point deadline) {
        if (phase_ == phase::closed) return;
        phase_ = buffer_.size() == 0 && !first_ ? phase::waiting : phase::header;
        first_ = false;
        deadline_ = phase_ == phase::waiting ? clock::now() + limits().keepalive_timeout : deadline;
        parser_.emplace();
        parser_->eager(true);  // the body too, as far as it has come
        parser_->header_limit(static_cast<std::uint32_t>(limits().max_header));
        parser_->body_limit(limits().max_body);
        read_more();
    }

    void read_more() { http::async_read_some(socket_, buffer_, *parser_, bind(&connection::on_read)); }

    void on_read(error_code ec, std::size_t) {
        if (ec) return failed(ec);
        if (phase_ == phase::waiting) {  // the first bytes of a request: its header's time starts
            phase_ = phase::header;
            deadline_ = clock::now() + limits().header_timeout;
        }
        if (!parser_->is_header_done()) return read_more();
        if (phase_ == phase::header && !on_header()) return;
        if (!parser_->is_done()) return read_more();
        handle();
    }

    // The header is in: false when the request was answered (refused) here.
    bool on_header() {
        const auto& req = parser_->get();
        if (auto wrong = framing_problem(req)) {
            server_.counters_.malformed.fetch_add(1, std::memory_order_relaxed);
            respond({.status = wrong->first, .body = error_body(wrong->second), .close = true});
            return false;
        }
        if (auto refused = guarded([&] { return server_.handler_.admit(req); })) {
            refused->close = refused->close || !parser_->is_done();
            respond(std::move(*refused));
            return false;
        }
        phase_ = phase::body;
        deadline_ = clock::now() + limits().body_timeout;
        if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
            static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
            net::async_write(socket_, net::buffer(go_on.data(), go_on.size()), bind(&connection::on_continue));
            return false;
        }
        return true;
    }

    void on_continue(error_code ec, std::size_t) {
        if (ec) return failed(ec);
        read_more();
    }

    void handle() {
        phase_ = phase::busy;
        deadline_ = clock::time_point::max();
        respond(guarded([&] { return server_.handler_.answer(parser_->get()); }).value());
    }

    // The handler's result, or the answer to its exception.
    template <class Call>
    auto guarded(Call call) -> std::optional<http_answer> {
        try {
            return call();
        } catch (const std::bad_alloc&) {
            server_.counters_.internal_errors.fetch_add(1, std::memory_order_relaxed);
            log_line("internal_error").add("error", "out of memory").write();
            return http_answer{.status = 503, .body = error_body("out of memory; retry"), .close = true};
        } catch (const std::exception& e) {
            server_.counters_.internal_errors.fetch_add(1, std::memory_order_relaxed);
            log_line("internal_error").add("error", e.what()).write();
            return http_answer{.status = 500, .body = error_body(fmt::format("internal error: {}", e.what())), .close = true};
        }
    }

    // A read failed: a client that went away, or a connection closed here, closes quietly; a
    // request that breaks a rule gets its 4xx.
    void failed(error_code ec) {
        if (ec == http::error::end_of_stream || ec.category() != http::make_error_code(http::error::end_of_stream).category())
            return close();
        server_.counters_.malformed.fetch_add(1, std::memory_order_relaxed);
        int status = 400;
        std::string message;
        if (ec == http::error::header_limit) {
            if (parser_->get().target().empty()) {  // Beast keeps the request line once it has read it
                status = 414;
                message = fmt::format("request line longer than {} bytes", limits().max_header);
            } else {
                status = 431;
                message = fmt::format("request header longer than {} bytes", limits().max_header);
            }
        } else if (ec == http::error::buffer_overflow) {
            status = 431;
            message = fmt::format("a chunk line or the trailer is longer than {} bytes", limits().max_header);
        } else if (ec == http::error::body_limit) {
            status = 413;
            message = fmt::format("body longer than {} bytes", limits().max_body);
        } else if (ec == http::error::partial_message) {
            message = "the request ended before its end";
        } else {
            message = fmt::format("malformed request: {}", ec.message());
        }
        respond({.status = status, .body = error_body(message), .close = true});
    }

    void respond(http_answer a) {
        if (phase_ == phase::closed) return;
        const bool parsed = parser_ && parser_->is_header_done();
        const unsigned version = parsed && parser_->get().version() == 10 ? 10 : 11;
        const bool keep =
            !a.close && parsed && parser_->get().keep_alive() && !server_.draining() && limits().keepalive_timeout.count() > 0;
        linger_ = a.close;  // the client may still be sending: see lingering_close()
        parser_.reset();    // the request's memory goes before a slow client reads the answer
        response_ = {};
        response_.result(static_cast<unsigned>(a.status));
        response_.version(version);
        response_.set(http::field::content_type, beast::string_view(a.type.data(), a.type.size()));
        if (!a.authenticate.empty())
            response_.set(http::field::www_authenticate, beast::string_view(a.authenticate.data(), a.authenticate.size()));
        response_.keep_alive(keep);
        if (!keep) response_.set(http::field::connection, "close");  // said in HTTP/1.0 too
        response_.body() = std::move(a.body);
        response_.prepare_payload();
        phase_ = phase::writing;
        deadline_ = clock::now() + limits().send_timeout;
        http::async_write(socket_, response_, beast::bind_front_handler(&connection::on_write, shared_from_this(), keep));
    }

    void on_write(bool keep, error_code ec, std::size_t) {
        response_ = {};
        if (ec) return close();
        if (!keep || server_.draining()) {
            if (linger_) return lingering_close();
            return close();
        }
        if (buffer_.capacity() > 4096 && buffer_.size() == 0) buffer_.shrink_to_fit();  // a large request's buffer goes
        read_request(clock::now() + limits().header_timeout);
    }

    void lingering_close() {
        phase_ = phase::lingering;
        error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        deadline_ = clock::now() + std::min(linger_time, limits().header_timeout);
        buffer_.clear();
        socket_.async_read_some(buffer_.prepare(4096), bind(&connection::on_linger));
    }

    void on_linger(error_code ec, std::size_t n) {
        lingered_ += n;
        if (ec || lingered_ > linger_bytes || phase_ == phase::closed) return close();
        socket_.async_read_some(buffer_.prepare(4096), bind(&connection::on_linger));
    }

    impl& server_;
    loop& home_;
    tcp::socket socket_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    clock::time_point deadline_ = clock::time_point::max();
    phase phase_ = phase::header;
    bool first_ = true, linger_ = false, registered_ = false;
    std::size_t lingered_ = 0;
    std::list<connection*>::iterator place_;
};

void http_server::impl::sweep(loop& l) {
    const auto now = clock::now();
    const bool draining = this->draining();
    const bool drain_over = draining && now.time_since_epoch().count() > drain_deadline_.load();
    for (auto it = l.connections.begin(); it != l.connections.end();) {
        auto* c = *it++;  // closing it may end it (and its place in the list) only later, in its handlers
        c->look(now, draining, drain_over);
    }
    if (draining && counters_.open.load() == 0) {  // nothing left: the loop ends
        l.sweep.cancel();
        return;
    }
    l.sweep.expires_after(sweep_every_);
    l.sweep.async_wait([this, &l](error_code ec) {
        if (!ec) sweep(l);
    });
}

void http_server::impl::accept() {
    auto& home = *loops_[next_++ % running_];
    acceptor_.async_accept(home.io, [this, &home](error_code ec, tcp::socket socket) {
        if (draining()) return;
        if (ec) {
            if (!std::exchange(accept_failing_, true)) log_line("accept_failed").add("error", ec.message()).write();
            if (ec == net::error::no_descriptors || ec.value() == ENFILE) refuse_without_descriptor();
            accept_timer_.emplace(acceptor_.get_executor(), std::chrono::milliseconds(10));  // rather than spin while it lasts
            accept_timer_->async_wait([this](error_code e) {
                if (!e && !draining()) accept();
            });
            return;
        }
        accept_failing_ = false;
        counters_.accepted.fetch_add(1, std::memory_order_relaxed);
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        const auto open = counters_.open.fetch_add(1) + 1;
        try {
            auto c = std::make_shared<connection>(*this, home, std::move(socket));
            if (open <= limits_.max_connections) {
                c->start();
            } else {
                counters_.refused.fetch_add(1, std::memory_order_relaxed);
                if (open <= limits_.max_connections + refusals_answered)
                    c->refuse(fmt::format("more than {} connections (--max-connections); retry", limits_.max_connections));
                else
                    c->drop();
            }
        } catch (const std::bad_alloc&) {
            counters_.open.fetch_sub(1);  // the socket closes as it goes
        }
        accept();
    });
}

// Out of file descriptors: the one held in reserve makes room to accept the waiting connection,
// answer it 503 and close it, rather than leave it waiting without an answer.
void http_server::impl::refuse_without_descriptor() {
    static const std::string busy = [] {
        const auto body = error_body("out of file descriptors; retry in a moment");
        return fmt::format(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: "
            "close\r\n\r\n{}",
            body.size(), body);
    }();
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
    const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
        counters_.refused.fetch_add(1, std::memory_order_relaxed);
        (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
        ::shutdown(fd, SHUT_WR);
        ::close(fd);
    }
    reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

http_server::http_server(const tcp::endpoint& at, const http_limits& limits, http_handler& handler)
    : impl_(std::make_unique<impl>(at, limits, handler)) {}
http_server::~http_server() = default;
unsigned short http_server::port() const { return impl_->port(); }
void http_server::run() { impl_->run(); }
void http_server::drain() { impl_->drain(); }
bool http_server::draining() const noexcept { return impl_->draining(); }
const http_counters& http_server::counters() const noexcept { return impl_->counters(); }

}  // namespace parley::cli
