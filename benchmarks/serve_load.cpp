// parley serve's load generator (the README's "parley serve" figures): replays a JSON Lines
// stream over HTTP, each call's turns in order and one at a time, on C keep-alive connections
// per replica, turn t of call k to replica (k + t) mod R; prints turns per second and the p50
// and p99 latency of a turn (send to answer).
//
//   bench_serve_load STREAM CONNECTIONS HOST:PORT...
#include <simdjson.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

struct call {
    std::vector<std::string> turns;
    std::size_t next = 0;
};

struct replica {
    std::string host;
    int port = 0;
};

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// One keep-alive connection to one replica; reconnects when the replica closes it.
class connection {
public:
    connection(boost::asio::io_context& io, const replica& r)
        : socket_(io), at_(boost::asio::ip::make_address(r.host), static_cast<unsigned short>(r.port)) {}

    // The answer's status, or 0 if the replica could not be reached.
    int post(const std::string& body) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            boost::system::error_code ec;
            if (!socket_.is_open()) {
                socket_.connect(at_, ec);
                if (ec) return 0;
                socket_.set_option(tcp::no_delay(true), ec);
            }
            http::request<http::string_body> req{http::verb::post, "/v1/turns", 11};
            req.set(http::field::host, "parley");
            req.set(http::field::content_type, "application/json");
            req.body() = body;
            req.prepare_payload();
            http::write(socket_, req, ec);
            http::response<http::string_body> res;
            if (!ec) http::read(socket_, buffer_, res, ec);
            if (!ec) {
                if (!res.keep_alive()) socket_.close(ec);
                return static_cast<int>(res.result_int());
            }
            socket_.close(ec);
            buffer_.clear();
        }
        return 0;
    }

private:
    tcp::socket socket_;
    tcp::endpoint at_;
    boost::beast::flat_buffer buffer_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_serve_load STREAM CONNECTIONS HOST:PORT...\n");
        return 2;
    }
    std::ifstream in(argv[1]);
    if (!in) {
        std::fprintf(stderr, "bench_serve_load: cannot read %s\n", argv[1]);
        return 2;
    }
    const auto connections = static_cast<std::size_t>(std::max(1, std::atoi(argv[2])));
    std::vector<replica> replicas;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        const auto colon = a.rfind(':');
        replicas.push_back({a.substr(0, colon), std::atoi(a.c_str() + colon + 1)});
    }

    std::vector<call> calls;
    std::unordered_map<std::string, std::size_t> index;
    simdjson::dom::parser parser;
    std::size_t total = 0;
    for (std::string line; std::getline(in, line);) {
        std::string_view id;
        if (parser.parse(line)["call"].get(id) != simdjson::SUCCESS) continue;
        auto [it, added] = index.try_emplace(std::string(id), calls.size());
        if (added) calls.emplace_back();
        calls[it->second].turns.push_back(line);
        ++total;
    }

    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::size_t> ready;
    for (std::size_t i = 0; i < calls.size(); ++i) ready.push_back(i);
    std::size_t answered = 0, failed = 0;
    std::vector<double> latencies;
    latencies.reserve(total);

    auto worker = [&] {
        boost::asio::io_context io;
        std::vector<connection> clients;
        for (const auto& r : replicas) clients.emplace_back(io, r);
        std::vector<double> mine;
        std::size_t my_failed = 0;
        while (true) {
            std::size_t k = 0;
            {
                std::unique_lock lock(mutex);
                wake.wait(lock, [&] { return !ready.empty() || answered == total; });
                if (ready.empty()) break;
                k = ready.front();
                ready.pop_front();
            }
            auto& c = calls[k];
            const auto start = std::chrono::steady_clock::now();
            const int status = clients[(k + c.next) % clients.size()].post(c.turns[c.next]);
            mine.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            my_failed += status == 0 || status >= 500;
            {
                const std::lock_guard lock(mutex);
                ++answered;
                if (++c.next < c.turns.size()) ready.push_back(k);
            }
            wake.notify_all();
        }
        const std::lock_guard lock(mutex);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
        failed += my_failed;
    };

    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < connections; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::sort(latencies.begin(), latencies.end());
    auto at = [&](double p) {
        return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * double(latencies.size())))] * 1e3;
    };
    fmt::print(
        "{} turns of {} calls in {:.2f} s on {} connections to {} replica(s): {:.0f} turns/s, p50 {:.2f} ms, p99 {:.2f} ms, {} failed\n",
        total, calls.size(), seconds, connections, replicas.size(), double(total) / seconds, at(0.50), at(0.99), failed);
    return failed ? 1 : 0;
}
