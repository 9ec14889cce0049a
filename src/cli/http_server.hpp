// `parley serve`'s HTTP side (Boost.Beast): asynchronous connections on a small pool of threads,
// so that a connection costs memory, not a thread. It knows nothing of turns: an http_handler
// answers each request.
//
// What it promises, whatever a client does:
// - timeouts: the whole request header (from the connection's start, or from the first byte of
//   a later request) within `header_timeout`, the whole body within `body_timeout`, the whole
//   answer written within `send_timeout`, and at most `keepalive_timeout` idle between requests;
//   a connection past one is closed;
// - limits: `max_header` bytes of request line and fields (414 for a request line that does
//   not fit, 431 for fields or a chunked body's trailer), `max_body` bytes of body (413), at most
//   `max_connections` open (one more is answered 503 and closed, as is a connection the process
//   has no file descriptor for);
// - framing as RFC 9112 says: a malformed request, a Transfer-Encoding that is not exactly
//   `chunked` or that comes with Content-Length, Transfer-Encoding in HTTP/1.0, an HTTP/1.1
//   request without one Host: 400 with a JSON error, then the connection is closed;
// - an exception from the handler (or from Beast) ends its request, not the process: 500, or
//   503 for std::bad_alloc, and one JSON log line;
// - drain(): stops accepting, closes idle connections, lets the requests in flight be answered
//   (with Connection: close), and after `drain_timeout` closes whatever is left.
#ifndef PARLEY_SRC_CLI_HTTP_SERVER_HPP_INCLUDED
#define PARLEY_SRC_CLI_HTTP_SERVER_HPP_INCLUDED

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace parley::cli {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_header = boost::beast::http::request_header<>;

struct http_limits {
    std::size_t max_body = std::size_t{1} << 20;
    std::size_t max_header = 8192;
    std::size_t max_connections = 10'000;
    unsigned threads = 1;
    std::chrono::milliseconds header_timeout{10'000}, body_timeout{30'000}, send_timeout{30'000}, keepalive_timeout{75'000},
        drain_timeout{10'000};
};

struct http_answer {
    int status = 200;
    std::string body;
    std::string_view type = "application/json";
    bool close = false;             // close the connection after this answer
    std::string_view authenticate;  // a WWW-Authenticate value, for 401
};

// For /metrics.
struct http_counters {
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> refused{0};          // answered 503 for want of a connection or a descriptor
    std::atomic<std::uint64_t> timeouts{0};         // connections closed by a timeout
    std::atomic<std::uint64_t> malformed{0};        // requests answered 4xx before the handler saw them
    std::atomic<std::uint64_t> internal_errors{0};  // exceptions contained
    std::atomic<std::size_t> open{0};
};

class http_handler {
public:
    virtual ~http_handler() = default;
    // Once the header is in, before the body is read: an answer refuses the request (a body not
    // yet read is not read; the connection closes after the answer).
    [[nodiscard]] virtual std::optional<http_answer> admit(const http_header& header) = 0;
    [[nodiscard]] virtual http_answer answer(const http_request& request) = 0;
};

class http_server {
public:
    // Listens on `at` (a boost::system::system_error when it cannot).
    http_server(const boost::asio::ip::tcp::endpoint& at, const http_limits& limits, http_handler& handler);
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    [[nodiscard]] unsigned short port() const;
    // Serves on `limits.threads` threads, the caller's among them, until drained; the threads that
    // could be started (at least the caller's), logged when fewer.
    void run();
    // From any thread, any number of times: see above.
    void drain();
    [[nodiscard]] bool draining() const noexcept;
    [[nodiscard]] const http_counters& counters() const noexcept;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace parley::cli

#endif
