// The in-process store: one map under a mutex. Calls leave it oldest write first, once their
// expiry has passed (checked on every write); a read never returns an expired call.
#include "call_store.hpp"

#include <list>
#include <mutex>
#include <unordered_map>

namespace parley::cli {

namespace {

using clock = std::chrono::steady_clock;

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};

class memory_store final : public call_store {
public:
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
            order_.emplace_back(call);
            it = calls_.emplace(order_.back(), entry{.order = std::prev(order_.end())}).first;
        } else {
            order_.splice(order_.end(), order_, it->second.order);
        }
        it->second.record = next;
        it->second.record.version = expected + 1;
        it->second.expires = now + ttl;
        return true;
    }

    bool remove(std::string_view call) override {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        const std::lock_guard lock(mutex_);
        auto it = calls_.find(call);
        if (it == calls_.end()) return false;
        const bool live = it->second.expires > clock::now();
        order_.erase(it->second.order);
        calls_.erase(it);
        return live;
    }

    std::size_t size() override {
        const std::lock_guard lock(mutex_);
        expire(clock::now());
        return calls_.size();
    }

private:
    struct entry {
        call_record record;
        clock::time_point expires;
        std::list<std::string>::iterator order;
    };
    // Least recently written first; a call whose expiry is later than the next one's may keep an
    // expired one behind it until it expires itself (at most the longest expiry).
    void expire(clock::time_point now) {
        while (!order_.empty()) {
            auto it = calls_.find(order_.front());
            if (it->second.expires > now) return;
            calls_.erase(it);
            order_.pop_front();
        }
    }

    std::mutex mutex_;
    std::list<std::string> order_;  // the keys of calls_, least recently written first
    std::unordered_map<std::string_view, entry, string_hash, std::equal_to<>> calls_;
};

}  // namespace

std::unique_ptr<call_store> make_memory_store() { return std::make_unique<memory_store>(); }

}  // namespace parley::cli
