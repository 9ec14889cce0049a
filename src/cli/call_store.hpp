// Where `parley serve` keeps its calls between turns: a call is its session's snapshot, a version
// that every write bumps, and the last turn's `seq`, reply line and a hash of the line it answered
// (so that a retried turn is answered again without being applied twice, and a different line
// sent with an applied `seq` is told apart from a retry). Writes are compare-and-set on the
// version: two replicas that answer turns of one call at once cannot both win, and the loser
// answers again from the winner's state. Both stores keep these semantics: `memory` in the
// process, `redis` shared by any number of replicas.
//
// Every call is synchronous: `parley serve` calls the store from its HTTP threads. A store that
// cannot answer throws store_error at once or after its timeout, never later.
#ifndef PARLEY_SRC_CLI_CALL_STORE_HPP_INCLUDED
#define PARLEY_SRC_CLI_CALL_STORE_HPP_INCLUDED

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::cli {

struct call_record {
    std::uint64_t version = 0;  // 0: no such call
    std::string snapshot;       // empty once the call has ended
    std::optional<std::uint64_t> seq;
    std::uint64_t line = 0;  // the hash of the line `seq` applied (line_hash in serve.cpp); 0: unknown
    std::string reply;       // the last turn's line, without its '\n'
    bool ended = false;
};

// The store cannot be reached, is full (`full`: the memory store's --max-calls, Redis's
// maxmemory), or answered something it should not have. Nothing was written.
class store_error : public std::runtime_error {
public:
    explicit store_error(const std::string& what, bool full = false) : std::runtime_error(what), full_(full) {}
    [[nodiscard]] bool full() const noexcept { return full_; }

private:
    bool full_;
};

// Calls stored now: live ones, and ended ones still remembered (--remember-ended).
struct call_counts {
    std::size_t live = 0, ended = 0;
};

class call_store {
public:
    virtual ~call_store() = default;
    // The call, or nullopt when it is unknown (never seen, deleted, expired, or lost).
    [[nodiscard]] virtual std::optional<call_record> load(std::string_view call) = 0;
    // Writes `next` with version `expected + 1` if the stored version is still `expected` (0: the
    // call must not exist); false when another turn wrote first. The call expires `ttl` after.
    [[nodiscard]] virtual bool save(std::string_view call, std::uint64_t expected, const call_record& next, std::chrono::seconds ttl) = 0;
    // Forgets the call; false if it was unknown.
    virtual bool remove(std::string_view call) = 0;
    [[nodiscard]] virtual call_counts counts() = 0;
    // An empty string when the store answers, else why not; never throws.
    [[nodiscard]] virtual std::string ping() = 0;
    // What the store, as it is configured, cannot promise about the calls it holds (a restart that
    // loses them, an eviction policy), or an empty string; asked once the store answers.
    [[nodiscard]] virtual std::string durability_warning() { return {}; }
    // Requests sent to the store so far.
    [[nodiscard]] std::uint64_t round_trips() const noexcept { return round_trips_.load(std::memory_order_relaxed); }

protected:
    std::atomic<std::uint64_t> round_trips_{0};
};

struct store_options {
    std::size_t max_calls = 1'000'000;        // memory store: calls held at most (live and ended)
    std::chrono::milliseconds timeout{2000};  // redis: to connect, and for each command
};

// "memory", or "redis://HOST:PORT[/DB]"; a store_error naming what is wrong in the URL. Redis is
// not contacted here: the first request (or ping) connects, so that `parley serve` can start
// before its Redis and wait for it.
[[nodiscard]] std::unique_ptr<call_store> make_store(std::string_view url, const store_options& options);
[[nodiscard]] std::unique_ptr<call_store> make_memory_store(std::size_t max_calls);
[[nodiscard]] std::unique_ptr<call_store> make_redis_store(const std::string& host, int port, int db, std::chrono::milliseconds timeout);

}  // namespace parley::cli

#endif
