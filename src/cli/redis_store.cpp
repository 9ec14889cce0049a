// The Redis store (hiredis): a call is one hash, "parley:call:ID" -> v (version), s (snapshot),
// q (last seq), r (last reply), e ("1" once ended), with an expiry. A write is one Lua script
// that compares the version and replaces the hash, so a turn costs two round trips (HMGET, then
// EVALSHA). Connections are pooled: each request thread takes one, and a broken one is dropped
// and reopened on the next request.
#include "call_store.hpp"

#include <hiredis/hiredis.h>

#include <fmt/format.h>

#include <charconv>
#include <cstdarg>
#include <mutex>
#include <vector>

namespace parley::cli {

namespace {

constexpr std::string_view key_prefix = "parley:call:";

// KEYS[1] the call; ARGV: expected version, new version, snapshot, seq ("" for none), reply,
// ended ("1" or ""), seconds to live.
constexpr const char* save_script = R"(
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3], 'q', ARGV[4], 'r', ARGV[5], 'e', ARGV[6])
redis.call('EXPIRE', KEYS[1], ARGV[7])
return 1
)";

struct reply_deleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;
struct context_deleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

std::uint64_t to_number(std::string_view s, std::string_view what) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
        throw store_error(fmt::format("redis: the stored {} '{}' is not a number", what, s));
    return n;
}

class redis_store final : public call_store {
public:
    redis_store(std::string host, int port, int db) : host_(std::move(host)), port_(port), db_(db) {
        auto c = connect(&sha_);  // fail at start, not on the first turn
        release(std::move(c));
    }

    std::optional<call_record> load(std::string_view call) override {
        auto c = acquire();
        const auto key = fmt::format("{}{}", key_prefix, call);
        auto r = command(c, "HMGET %b v s q r e", key.data(), key.size());
        release(std::move(c));
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) throw store_error("redis: HMGET gave an unexpected reply");
        auto field = [&](std::size_t i) -> std::optional<std::string_view> {
            const auto* e = r->element[i];
            if (e->type != REDIS_REPLY_STRING) return std::nullopt;
            return std::string_view(e->str, e->len);
        };
        const auto version = field(0);
        if (!version) return std::nullopt;
        call_record out;
        out.version = to_number(*version, "version");
        out.snapshot = field(1).value_or("");
        if (auto q = field(2); q && !q->empty()) out.seq = to_number(*q, "seq");
        out.reply = field(3).value_or("");
        out.ended = field(4).value_or("") == "1";
        return out;
    }

    bool save(std::string_view call, std::uint64_t expected, const call_record& next, std::chrono::seconds ttl) override {
        auto c = acquire();
        const auto key = fmt::format("{}{}", key_prefix, call);
        const auto from = std::to_string(expected), to = std::to_string(expected + 1),
                   seconds = std::to_string(std::max<long>(1, ttl.count()));
        const auto seq = next.seq ? std::to_string(*next.seq) : std::string();
        const std::string_view ended = next.ended ? "1" : "";
        auto run = [&](const char* verb, std::string_view script) {
            return command(c, "%s %b 1 %b %b %b %b %b %b %b %b", verb, script.data(), script.size(), key.data(), key.size(), from.data(),
                           from.size(), to.data(), to.size(), next.snapshot.data(), next.snapshot.size(), seq.data(), seq.size(),
                           next.reply.data(), next.reply.size(), ended.data(), ended.size(), seconds.data(), seconds.size());
        };
        auto r = run("EVALSHA", sha_);
        if (r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT"))
            r = run("EVAL", save_script);  // a restarted Redis
        release(std::move(c));
        if (r->type != REDIS_REPLY_INTEGER) throw store_error(fmt::format("redis: the save script failed: {}", describe(r.get())));
        return r->integer == 1;
    }

    bool remove(std::string_view call) override {
        auto c = acquire();
        const auto key = fmt::format("{}{}", key_prefix, call);
        auto r = command(c, "DEL %b", key.data(), key.size());
        release(std::move(c));
        return r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    }

    std::size_t size() override {
        auto c = acquire();
        auto r = command(c, "DBSIZE");
        release(std::move(c));
        return r->type == REDIS_REPLY_INTEGER ? static_cast<std::size_t>(r->integer) : 0;
    }

private:
    static std::string describe(const redisReply* r) {
        if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
            return std::string(r->str, r->len);
        return fmt::format("reply of type {}", r->type);
    }

    // A new connection, the save script loaded (Redis may have restarted); its SHA-1 is the
    // same every time, so only the first connection stores it.
    context_ptr connect(std::string* sha = nullptr) {
        const timeval timeout{2, 0};
        context_ptr c(redisConnectWithTimeout(host_.c_str(), port_, timeout));
        if (!c) throw store_error("redis: out of memory");
        if (c->err) throw store_error(fmt::format("redis: cannot connect to {}:{}: {}", host_, port_, c->errstr));
        (void)redisSetTimeout(c.get(), timeout);
        if (db_ != 0) {
            auto r = command(c, "SELECT %d", db_);
            if (r->type == REDIS_REPLY_ERROR) throw store_error(fmt::format("redis: SELECT {}: {}", db_, describe(r.get())));
        }
        auto r = command(c, "SCRIPT LOAD %s", save_script);
        if (r->type != REDIS_REPLY_STRING) throw store_error(fmt::format("redis: SCRIPT LOAD: {}", describe(r.get())));
        if (sha) sha->assign(r->str, r->len);
        return c;
    }

    // One command; a connection that fails is closed (the next request opens a new one).
    reply_ptr command(context_ptr& c, const char* format, ...) {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        va_list args;
        va_start(args, format);
        reply_ptr r(static_cast<redisReply*>(redisvCommand(c.get(), format, args)));
        va_end(args);
        if (!r) {
            const std::string why = c->errstr;
            c.reset();
            throw store_error(fmt::format("redis: {}:{}: {}", host_, port_, why));
        }
        return r;
    }

    context_ptr acquire() {
        {
            const std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                return c;
            }
        }
        return connect();
    }
    void release(context_ptr c) {
        if (!c) return;
        const std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }

    std::string host_;
    int port_;
    int db_;
    std::string sha_;  // written once, before any request
    std::mutex mutex_;
    std::vector<context_ptr> idle_;
};

}  // namespace

std::unique_ptr<call_store> make_redis_store(const std::string& host, int port, int db) {
    return std::make_unique<redis_store>(host, port, db);
}

std::unique_ptr<call_store> make_store(std::string_view url) {
    if (url == "memory") return make_memory_store();
    constexpr std::string_view scheme = "redis://";
    if (!url.starts_with(scheme)) throw store_error(fmt::format("--store takes 'memory' or 'redis://HOST:PORT[/DB]', not '{}'", url));
    auto rest = url.substr(scheme.size());
    int db = 0;
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        const auto d = rest.substr(slash + 1);
        const auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), db);
        if (ec != std::errc() || end != d.data() + d.size() || db < 0)
            throw store_error(fmt::format("--store: '{}' is not a database number", d));
        rest = rest.substr(0, slash);
    }
    const auto colon = rest.rfind(':');
    int port = 6379;
    if (colon != std::string_view::npos) {
        const auto p = rest.substr(colon + 1);
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
        if (ec != std::errc() || end != p.data() + p.size() || port <= 0 || port > 65535)
            throw store_error(fmt::format("--store: '{}' is not a port", p));
        rest = rest.substr(0, colon);
    }
    if (rest.empty()) throw store_error("--store: redis:// needs a host");
    return make_redis_store(std::string(rest), port, db);
}

}  // namespace parley::cli
