// `parley serve`'s request handling on arbitrary bytes, as a connection delivers them: one server in
// the process (http_server.cpp and service.cpp, the binary's own code, on the memory store and
// the default script, with small limits and one-second timeouts), and each input sent as it is on
// a new loopback connection, which is then half-closed and read until the server closes it.
// Aborts when the server neither answers nor closes within ten seconds, when what it sends does
// not begin as an HTTP response, or when it has stopped.
#include "../../src/cli/call_store.hpp"
#include "../../src/cli/http_server.hpp"
#include "../../src/cli/service.hpp"

#include <parley/compiler.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

struct served {
    parley::cli::serve_options options;  // the service keeps a reference
    std::unique_ptr<parley::cli::service> endpoints;
    std::unique_ptr<parley::cli::http_server> server;
    std::thread thread;
    std::atomic<bool> stopped{false};
};

served& instance() {
    static served* s = [] {
        std::signal(SIGPIPE, SIG_IGN);
        auto* out = new served;  // never destroyed: its thread serves until the process ends
        out->options.file = PARLEY_SOURCE_DIR "/rules/callcenter.rules";
        out->options.max_lines = 64;
        out->options.max_answer = 1 << 16;
        out->options.max_conflicts = 4;
        auto script = parley::load(out->options.file);
        parley::session_options defaults{.language = "en", .variables = {{"company", "Acme"}, {"operator_name", "Anna"}}};
        parley::cli::bearer_tokens tokens;
        tokens.admin.push_back("admin-token-0123456789");  // the admin endpoints are closed; the fuzzer may find the token
        out->endpoints = std::make_unique<parley::cli::service>(out->options, parley::cli::make_memory_store(10'000), std::move(script),
                                                                std::move(defaults), std::move(tokens));
        const parley::cli::http_limits limits{.max_body = 1 << 16,
                                              .max_header = 2048,
                                              .max_connections = 64,
                                              .threads = 1,
                                              .header_timeout = std::chrono::seconds(1),
                                              .body_timeout = std::chrono::seconds(1),
                                              .send_timeout = std::chrono::seconds(1),
                                              .keepalive_timeout = std::chrono::seconds(1),
                                              .drain_timeout = std::chrono::seconds(1)};
        out->server = std::make_unique<parley::cli::http_server>(
            boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0), limits, *out->endpoints);
        out->endpoints->attach(*out->server);
        out->thread = std::thread([out] {
            out->server->run();
            out->stopped = true;
        });
        return out;
    }();
    return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& s = instance();
    if (s.stopped) std::abort();
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(s.server->port());
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0) {
        ::close(fd);
        return 0;
    }
    for (std::size_t sent = 0; sent < size;) {
        const auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server answered and closed early
        sent += static_cast<std::size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    std::string got;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
        pollfd p{fd, POLLIN, 0};
        if (std::chrono::steady_clock::now() > deadline) std::abort();  // neither answered nor closed
        if (::poll(&p, 1, 100) <= 0) continue;
        char buffer[65536];
        const auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        got.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (!got.empty() && !got.starts_with("HTTP/1.1 ") && !got.starts_with("HTTP/1.0 ")) std::abort();
    return 0;
}
