// The HTTP layer alone: a POST answered with a fixed 200-byte JSON line, in the two Debian
// libraries parley serve could use, one thread per connection in both (driven by
// bench_serve_load, it measured which library serve uses: README, "parley serve"), and on parley
// serve's own HTTP side (src/cli/http_server.cpp: asynchronous Beast on one thread per core), as
// a ceiling for serve's turns.
//
//   bench_http_echo beast|httplib|serve PORT
#include "../src/cli/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <thread>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

const std::string answer_line =
    R"({"call": "c1", "state": "intake", "action": "continue", "phrase": "Hello! This is Romashka, my name is Anna. How may I address you?", "rule": "rules/callcenter.rules:223", "ended": false})"
    "\n";

void beast_session(tcp::socket socket) {
    beast::error_code ec;
    socket.set_option(tcp::no_delay(true), ec);
    beast::flat_buffer buffer;
    while (true) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        res.keep_alive(req.keep_alive());
        res.body() = answer_line;
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || !res.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_send, ec);
}

class echo final : public parley::cli::http_handler {
public:
    std::optional<parley::cli::http_answer> admit(const parley::cli::http_header&) override { return std::nullopt; }
    parley::cli::http_answer answer(const parley::cli::http_request&) override { return {.body = answer_line}; }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: bench_http_echo beast|httplib|serve PORT\n");
        return 2;
    }
    const std::string lib = argv[1];
    const auto port = static_cast<unsigned short>(std::atoi(argv[2]));
    if (lib == "serve") {
        echo handler;
        parley::cli::http_server server({boost::asio::ip::make_address("127.0.0.1"), port},
                                        {.threads = std::max(1u, std::thread::hardware_concurrency())}, handler);
        server.run();
        return 0;
    }
    if (lib == "beast") {
        boost::asio::io_context io;
        tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), port});
        while (true) std::thread(beast_session, acceptor.accept()).detach();
    }
    httplib::Server server;
    server.new_task_queue = [] { return new httplib::ThreadPool(64); };
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(std::numeric_limits<std::size_t>::max());
    server.Post("/v1/turns", [](const httplib::Request&, httplib::Response& res) { res.set_content(answer_line, "application/json"); });
    return server.listen("127.0.0.1", port) ? 0 : 1;
}
