// The in-process store: one map under a mutex, keyed by `parley run`'s keyed call-id hash (an
// adversary cannot choose ids that collide in it), holding at most `max_calls` calls: a new
// call past that is refused (store_error, full) until calls end, expire or are deleted. Calls
// leave it oldest write first, once their expiry has passed (checked on every write); a read
// never returns an expired call.
#include "call_hash.hpp"
#include "call_store.hpp"

#include <fmt/format.h>

#include <list>
#include <mutex>
#include <unordered_map>

namespace parley::cli {

namespace {

using clock = std::chrono::steady_clock;

struct keyed_hash {
    using is_transparent = void;
    call_hash hash;  // a random key per process
    std::size_t operator()(std::string_view s) const noexcept { return hash(s); }
};

class memory_store final : public call_store {
public:
    explicit memory_store(std::size_t max_calls) : max_calls_(max_calls) {}

    std::optional<call_record> load(std::string_view call) override {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(mutex_);
        auto it = calls_.find(call);
        if (it == calls_.end() || it->second.expires <= clock::now()) return std::nullopt;
        return it->second.record;
    }

    bool save(std::string_view call, std::uint64_t expected, const call_record& next, std::chrono::seconds ttl) override {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        const auto now = clock::now();
        const std::lock_guard lock(mutex_);
        expire(now);
        auto it = calls_.find(call);
        const bool live = it != calls_.end() && it->second.expires > now;
        if ((live ? it->second.record.version : 0) != expected) return false;
        if (it == calls_.end()) {
            if (calls_.size() >= max_calls_)
                throw store_error(
                    fmt::format("the memory store is full: it holds {} calls (--max-calls); retry when calls have ended", max_calls_),
                    true);
            order_.emplace_back(call);
            it = calls_.emplace(order_.back(), entry{.order = std::prev(order_.end())}).first;
        } else {
            order_.splice(order_.end(), order_, it->second.order);
            --(it->second.record.ended ? counts_.ended : counts_.live);
        }
        it->second.record = next;
        it->second.record.version = expected + 1;
        it->second.expires = now + ttl;
        ++(next.ended ? counts_.ended : counts_.live);
        return true;
    }

    bool remove(std::string_view call) override {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(mutex_);
        auto it = calls_.find(call);
        if (it == calls_.end()) return false;
        const bool live = it->second.expires > clock::now();
        erase(it);
        return live;
    }

    call_counts counts() override {
        const std::lock_guard lock(mutex_);
        expire(clock::now());
        return counts_;
    }

    std::string ping() override { return {}; }

private:
    struct entry {
        call_record record;
        clock::time_point expires;
        std::list<std::string>::iterator order;
    };
    using map = std::unordered_map<std::string_view, entry, keyed_hash, std::equal_to<>>;

    // The map first: erasing hashes the key, a view of the string in order_.
    void erase(map::iterator it) {
        --(it->second.record.ended ? counts_.ended : counts_.live);
        const auto order = it->second.order;
        calls_.erase(it);
        order_.erase(order);
    }
    // Least recently written first; a call whose expiry is later than the next one's may keep an
    // expired one behind it until it expires itself (at most the longest expiry).
    void expire(clock::time_point now) {
        while (!order_.empty()) {
            auto it = calls_.find(order_.front());
            if (it->second.expires > now) return;
            erase(it);
        }
    }

    std::size_t max_calls_;
    std::mutex mutex_;
    std::list<std::string> order_;  // the keys of calls_, least recently written first
    map calls_;
    call_counts counts_;
};

}  // namespace

std::unique_ptr<call_store> make_memory_store(std::size_t max_calls) { return std::make_unique<memory_store>(max_calls); }

}  // namespace parley::cli
