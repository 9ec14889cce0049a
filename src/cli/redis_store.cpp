// The Redis store (hiredis): a call is one hash, "parley:call:ID" -> v (version), s (snapshot),
// q (last seq), h (hash of the line it applied), r (last reply), e ("1" once ended), with an
// expiry; the sorted set "parley:ended" holds the ended calls' ids by their expiry, so that
// live and remembered calls are counted apart (the database must be parley's alone). A write is one Lua script that
// compares the version and writes the hash, so a turn costs two round trips (HMGET, then
// EVALSHA).
//
// Under maxmemory, a write must fail whole: the save script declares itself with a shebang and
// no `allow-oom`, so that Redis 7 refuses it before it runs (an OOM error: nothing is written),
// rather than letting a script that has started write past the limit. It never deletes before
// it writes, so no failure leaves a call half-written. Deleting and counting may run under OOM
// (they only free memory).
//
// Connections are pooled: each request thread takes one, and a broken one is dropped and
// reopened on the next request. Every connect and command has a timeout. After a failure, new
// connections are not tried again before a backoff (100 ms, doubling to 5 s) has passed: a
// request in between is refused at once, so that a Redis that is down or paused does not hold
// every thread for the timeout.
#include "call_store.hpp"

#include <hiredis/hiredis.h>

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cstdarg>
#include <mutex>
#include <vector>

namespace parley::cli {

namespace {

constexpr std::string_view key_prefix = "parley:call:";
constexpr std::string_view ended_key = "parley:ended";

// KEYS: the call, the ended set; ARGV: expected version, new version, snapshot, seq ("" for
// none), reply, ended ("1" or ""), seconds to live, line hash, call id, the time (Unix seconds),
// and "1" to drop the expired ids from the ended set (every 64th save of a replica; each count
// drops them too). Only a call's last turn touches the set: a sorted-set write in every turn
// took half as long again as the rest of the script.
constexpr std::string_view save_script = R"(#!lua
local v = redis.call('HGET', KEYS[1], 'v')
if (v or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3], 'q', ARGV[4], 'r', ARGV[5], 'e', ARGV[6], 'h', ARGV[8])
redis.call('EXPIRE', KEYS[1], ARGV[7])
if ARGV[6] == '1' then
  redis.call('ZADD', KEYS[2], tonumber(ARGV[10]) + tonumber(ARGV[7]), ARGV[9])
  if ARGV[11] == '1' then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[10]) end
end
return 1
)";

// KEYS: the call, the ended set; ARGV: the call id.
constexpr std::string_view remove_script = R"(#!lua flags=allow-oom
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
)";

// KEYS: the ended set. Live calls are the database's keys but the ended calls and the set
// itself (the database is parley's alone).
constexpr std::string_view count_script = R"(#!lua flags=allow-oom
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', redis.call('TIME')[1])
local ended = redis.call('ZCARD', KEYS[1])
local live = redis.call('DBSIZE') - ended - redis.call('EXISTS', KEYS[1])
if live < 0 then live = 0 end
return {live, ended}
)";

constexpr std::array<std::string_view, 3> scripts{save_script, remove_script, count_script};
enum script_index : std::size_t { save_index, remove_index, count_index };

using clock = std::chrono::steady_clock;

struct reply_deleter {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;
struct context_deleter {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using context_ptr = std::unique_ptr<redisContext, context_deleter>;

// A connection with the SHA-1s of the scripts it loaded.
struct connection {
    context_ptr context;
    std::array<std::string, scripts.size()> shas;
    explicit operator bool() const noexcept { return bool(context); }
};

std::uint64_t to_number(std::string_view s, std::string_view what) {
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size())
        throw store_error(fmt::format("redis: the stored {} '{}' is not a number", what, s));
    return n;
}

std::string describe(const redisReply* r) {
    if (r->type == REDIS_REPLY_ERROR || r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) return std::string(r->str, r->len);
    return fmt::format("reply of type {}", r->type);
}

class redis_store final : public call_store {
public:
    redis_store(std::string host, int port, int db, std::chrono::milliseconds timeout)
        : host_(std::move(host)), port_(port), db_(db), timeout_(timeout) {}

    std::optional<call_record> load(std::string_view call) override {
        auto c = acquire();
        const auto key = fmt::format("{}{}", key_prefix, call);
        auto r = command(c, "HMGET %b v s q r e h", key.data(), key.size());
        release(std::move(c));
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 6) throw store_error("redis: HMGET gave an unexpected reply");
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
        if (auto h = field(5); h && !h->empty()) out.line = to_number(*h, "line hash");
        return out;
    }

    bool save(std::string_view call, std::uint64_t expected, const call_record& next, std::chrono::seconds ttl) override {
        const auto key = fmt::format("{}{}", key_prefix, call);
        const auto from = std::to_string(expected), to = std::to_string(expected + 1),
                   seconds = std::to_string(std::max<long>(1, ttl.count())), line = std::to_string(next.line);
        const auto seq = next.seq ? std::to_string(*next.seq) : std::string();
        const std::string_view ended = next.ended ? "1" : "";
        const std::string_view purge = saves_.fetch_add(1, std::memory_order_relaxed) % 64 == 0 ? "1" : "";
        const auto now =
            std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
        auto r = run(save_index, {key, ended_key}, {from, to, next.snapshot, seq, next.reply, ended, seconds, line, call, now, purge});
        if (r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("OOM"))
            throw store_error(
                fmt::format("redis: {}:{} is out of memory (maxmemory); nothing was written: {}", host_, port_, describe(r.get())), true);
        if (r->type != REDIS_REPLY_INTEGER) throw store_error(fmt::format("redis: the save script failed: {}", describe(r.get())));
        return r->integer == 1;
    }

    bool remove(std::string_view call) override {
        const auto key = fmt::format("{}{}", key_prefix, call);
        auto r = run(remove_index, {key, ended_key}, {call});
        if (r->type != REDIS_REPLY_INTEGER) throw store_error(fmt::format("redis: the delete script failed: {}", describe(r.get())));
        return r->integer > 0;
    }

    call_counts counts() override {
        auto r = run(count_index, {ended_key}, {});
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_INTEGER ||
            r->element[1]->type != REDIS_REPLY_INTEGER)
            throw store_error(fmt::format("redis: the count script failed: {}", describe(r.get())));
        return {static_cast<std::size_t>(r->element[0]->integer), static_cast<std::size_t>(r->element[1]->integer)};
    }

    std::string ping() override {
        try {
            auto c = acquire();
            auto r = command(c, "PING");
            release(std::move(c));
            return r->type == REDIS_REPLY_STATUS ? std::string() : fmt::format("redis: PING: {}", describe(r.get()));
        } catch (const store_error& e) {
            return e.what();
        }
    }

    std::string durability_warning() override {
        std::string out;
        auto add = [&](std::string_view what) {
            if (!out.empty()) out += "; ";
            out += what;
        };
        try {
            auto c = acquire();
            auto get = [&](const char* name) -> std::optional<std::string> {
                auto r = command(c, "CONFIG GET %s", name);
                if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_STRING) return std::nullopt;
                return std::string(r->element[1]->str, r->element[1]->len);
            };
            const auto appendonly = get("appendonly"), appendfsync = get("appendfsync"), policy = get("maxmemory-policy"),
                       maxmemory = get("maxmemory");
            release(std::move(c));
            if (!appendonly || !appendfsync || !policy || !maxmemory)
                return fmt::format(
                    "redis at {}:{} does not let parley read its configuration (CONFIG GET): check that it runs with appendonly yes and "
                    "maxmemory-policy noeviction, or calls in progress can be lost (they are then refused as lost, not restarted)",
                    host_, port_);
            if (*appendonly != "yes")
                add("appendonly is no: a restart of Redis loses every call in progress (their next turns are refused as lost); set "
                    "appendonly yes");
            else if (*appendfsync == "no")
                add("appendfsync is no: a crash of the machine loses the turns the operating system had not yet written (up to about "
                    "30 s); set appendfsync everysec or always");
            if (*policy != "noeviction" && *maxmemory != "0")
                add(
                    fmt::format("maxmemory-policy is {}: at maxmemory Redis evicts calls in progress (their next turns are refused "
                                "as lost); set maxmemory-policy noeviction, and turns are refused with 503 instead",
                                *policy));
        } catch (const store_error& e) {
            add(e.what());
        }
        return out.empty() ? out : fmt::format("redis at {}:{}: {}", host_, port_, out);
    }

private:
    // One script by its SHA-1, sent in full when Redis does not know it (it restarted).
    reply_ptr run(script_index which, std::initializer_list<std::string_view> keys, std::initializer_list<std::string_view> args) {
        auto c = acquire();
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        auto push = [&](std::string_view s) {
            argv.push_back(s.data());
            lengths.push_back(s.size());
        };
        push("EVALSHA");
        push(c.shas[which]);
        const auto count = std::to_string(keys.size());
        push(count);
        for (auto k : keys) push(k);
        for (auto a : args) push(a);
        auto r = command_argv(c, argv, lengths);
        if (r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).starts_with("NOSCRIPT")) {
            argv[0] = "EVAL";
            lengths[0] = 4;
            argv[1] = scripts[which].data();
            lengths[1] = scripts[which].size();
            r = command_argv(c, argv, lengths);
        }
        release(std::move(c));
        return r;
    }

    // A new connection, with the scripts loaded (Redis may have restarted).
    connection connect() {
        const timeval timeout{static_cast<time_t>(timeout_.count() / 1000), static_cast<suseconds_t>(timeout_.count() % 1000 * 1000)};
        connection c{context_ptr(redisConnectWithTimeout(host_.c_str(), port_, timeout)), {}};
        if (!c.context) throw store_error("redis: out of memory");
        if (c.context->err) throw store_error(fmt::format("redis: cannot connect to {}:{}: {}", host_, port_, c.context->errstr));
        (void)redisSetTimeout(c.context.get(), timeout);
        if (db_ != 0) {
            auto r = command(c, "SELECT %d", db_);
            if (r->type == REDIS_REPLY_ERROR) throw store_error(fmt::format("redis: SELECT {}: {}", db_, describe(r.get())));
        }
        for (std::size_t i = 0; i < scripts.size(); ++i) {
            auto r = command(c, "SCRIPT LOAD %b", scripts[i].data(), scripts[i].size());
            if (r->type != REDIS_REPLY_STRING)
                throw store_error(fmt::format("redis: SCRIPT LOAD: {} (parley needs Redis 7 or later: its scripts declare their flags)",
                                              describe(r.get())));
            c.shas[i].assign(r->str, r->len);
        }
        return c;
    }

    reply_ptr command(connection& c, const char* format, ...) {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        va_list args;
        va_start(args, format);
        reply_ptr r(static_cast<redisReply*>(redisvCommand(c.context.get(), format, args)));
        va_end(args);
        if (!r) fail(c);
        return r;
    }
    reply_ptr command_argv(connection& c, std::vector<const char*>& argv, const std::vector<std::size_t>& lengths) {
        round_trips_.fetch_add(1, std::memory_order_relaxed);
        reply_ptr r(
            static_cast<redisReply*>(redisCommandArgv(c.context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
        if (!r) fail(c);
        return r;
    }

    // A command failed: the connection is closed, and so are the idle ones (a restarted or
    // paused Redis broke them all); new ones wait for the backoff.
    [[noreturn]] void fail(connection& c) {
        std::string why = c.context->errstr;
        if (c.context->err == REDIS_ERR_IO && why == "Resource temporarily unavailable")
            why = fmt::format("no answer within {} ms", timeout_.count());
        c.context.reset();
        auto message = fmt::format("redis: {}:{}: {}", host_, port_, why);
        const std::lock_guard lock(mutex_);
        idle_.clear();
        back_off(message);
        throw store_error(message);
    }

    void back_off(const std::string& why) {
        backoff_ = std::min<std::chrono::milliseconds>(std::max<std::chrono::milliseconds>(backoff_ * 2, std::chrono::milliseconds(100)),
                                                       std::chrono::seconds(5));
        retry_at_ = clock::now() + backoff_;
        down_because_ = why;
    }

    connection acquire() {
        {
            const std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                return c;
            }
            if (clock::now() < retry_at_) throw store_error(fmt::format("{} (not tried again for {} ms)", down_because_, backoff_.count()));
        }
        try {
            auto c = connect();
            const std::lock_guard lock(mutex_);
            backoff_ = std::chrono::milliseconds(0);
            return c;
        } catch (const store_error& e) {
            const std::lock_guard lock(mutex_);
            back_off(e.what());
            throw;
        }
    }
    void release(connection c) {
        if (!c) return;
        const std::lock_guard lock(mutex_);
        idle_.push_back(std::move(c));
    }

    std::string host_;
    int port_;
    int db_;
    std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::vector<connection> idle_;
    clock::time_point retry_at_{};
    std::chrono::milliseconds backoff_{0};
    std::string down_because_;
    std::atomic<std::uint64_t> saves_{0};
};

}  // namespace

std::unique_ptr<call_store> make_redis_store(const std::string& host, int port, int db, std::chrono::milliseconds timeout) {
    return std::make_unique<redis_store>(host, port, db, timeout);
}

std::unique_ptr<call_store> make_store(std::string_view url, const store_options& options) {
    if (url == "memory") return make_memory_store(options.max_calls);
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
    return make_redis_store(std::string(rest), port, db, options.timeout);
}

}  // namespace parley::cli
