// What `parley serve` answers over HTTP (http_server.hpp carries the requests): turns against the
// call store, the calls themselves, reload, health, readiness and metrics, and who may ask.
#ifndef PARLEY_SRC_CLI_SERVICE_HPP_INCLUDED
#define PARLEY_SRC_CLI_SERVICE_HPP_INCLUDED

#include "call_store.hpp"
#include "cli.hpp"
#include "http_server.hpp"

#include <parley/script.hpp>
#include <parley/session.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace parley::cli {

// Bearer tokens: `client` for the calls and turns, `admin` (when any) for /v1/reload and /metrics.
// With no client token, those endpoints are open (as on loopback); an admin token opens every
// endpoint.
struct bearer_tokens {
    std::vector<std::string> client, admin;
};

// A token file: one token per line, blank lines and lines starting with '#' skipped; a token has
// 16 to 4096 visible ASCII characters. nullopt and `error` (with the file and line) otherwise.
[[nodiscard]] std::optional<std::vector<std::string>> read_tokens(const std::string& path, std::string& error);

// The same answer for equal strings whatever their bytes, in a time that depends only on the
// lengths: a token is not found byte by byte.
[[nodiscard]] bool same_secret(std::string_view given, std::string_view secret) noexcept;

class service final : public http_handler {
public:
    service(const serve_options& options, std::unique_ptr<call_store> store, parley::script script, parley::session_options defaults,
            bearer_tokens tokens);
    ~service() override;

    // The server it answers for: /readyz and /metrics read its state.
    void attach(const http_server& server) noexcept { http_ = &server; }
    [[nodiscard]] call_store& store() noexcept { return *store_; }

    std::optional<http_answer> admit(const http_header& header) override;
    http_answer answer(const http_request& request) override;

private:
    struct program;
    struct worker;
    class metrics;

    [[nodiscard]] std::shared_ptr<const program> current();
    int turns(std::string_view body, std::string& out);
    int turn(worker& w, const program& p, std::string_view text, std::size_t number, std::string& out, std::size_t room);
    int show(const std::string& call, std::string& out);
    int forget(const std::string& call, std::string& out);
    int reload(std::string& out);
    http_answer ready();
    std::string metrics_text();

    const serve_options& options_;
    std::unique_ptr<call_store> store_;
    bearer_tokens tokens_;
    std::mutex program_mutex_;
    std::shared_ptr<const program> program_;
    std::unique_ptr<metrics> metrics_;
    const http_server* http_ = nullptr;
};

}  // namespace parley::cli

#endif
