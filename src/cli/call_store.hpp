// Where `parley serve` keeps its calls between turns: a call is its session's snapshot, a version
// that every write bumps, and the last turn's `seq` and reply line (so that a retried turn is
// answered again without being applied twice). Writes are compare-and-set on the version: two
// replicas that answer turns of one call at once cannot both win, and the loser answers again
// from the winner's state. Both stores keep these semantics: `memory` in the process, `redis`
// shared by any number of replicas.
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
    std::string reply;  // the last turn's line, without its '\n'
    bool ended = false;
};

// The store cannot be reached, or answered something it should not have.
class store_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class call_store {
public:
    virtual ~call_store() = default;
    // The call, or nullopt when it is unknown (never seen, deleted, or expired).
    [[nodiscard]] virtual std::optional<call_record> load(std::string_view call) = 0;
    // Writes `next` with version `expected + 1` if the stored version is still `expected` (0: the
    // call must not exist); false when another turn wrote first. The call expires `ttl` after.
    [[nodiscard]] virtual bool save(std::string_view call, std::uint64_t expected, const call_record& next, std::chrono::seconds ttl) = 0;
    // Forgets the call; false if it was unknown.
    virtual bool remove(std::string_view call) = 0;
    // Calls stored now (live and recently ended).
    [[nodiscard]] virtual std::size_t size() = 0;
    // Requests sent to the store so far.
    [[nodiscard]] std::uint64_t round_trips() const noexcept { return round_trips_.load(std::memory_order_relaxed); }

protected:
    std::atomic<std::uint64_t> round_trips_{0};
};

// "memory", or "redis://HOST:PORT[/DB]"; a store_error (naming what is wrong) otherwise or when
// Redis cannot be reached.
[[nodiscard]] std::unique_ptr<call_store> make_store(std::string_view url);
[[nodiscard]] std::unique_ptr<call_store> make_memory_store();
[[nodiscard]] std::unique_ptr<call_store> make_redis_store(const std::string& host, int port, int db);

}  // namespace parley::cli

#endif
