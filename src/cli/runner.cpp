// The answers of `parley run`, line by line.
//
// Memory is bounded by what is live, not by how many calls the stream has had:
// - a live call holds its session, its id and 32 bytes of bookkeeping;
// - when a call ends (its script ends it, the caller hangs up, or it is expired for being idle)
//   its session goes back to a pool for the next new call (the pool never exceeds the peak of
//   live calls), and only a 64-bit hash of its id is kept, for the last `ended_window` ended
//   calls, so that a late line for one is answered "call has ended"; the oldest is forgotten
//   first, and a line for a forgotten id starts a new call;
// - a call with no line for `idle_timeout` seconds of stream time is expired.
//
// Stream time: a call's `at` counts from its own pickup, so each call's clock is placed on one
// stream clock where its first line arrived (its offset is the stream time then, minus its first
// `at`), and the stream time is the latest placed `at` so far. Absolute timestamps in `at` work
// the same way. A stream without `at` never expires a call.
#include "runner.hpp"

#include "call_hash.hpp"
#include "input_line.hpp"
#include "line_reader.hpp"

#include "../support/json_string.hpp"

#include <parley/detail/throw.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <utility>
#include <vector>

namespace parley::cli {

namespace {

// Every call the run knows, in one flat open-addressing table of (hash of the id, slot): a slot
// is a live call, `ended` or `expired`. One probe answers both "is this call live" and "has it
// ended". Live ids are compared in full; ended ones by hash (a false match needs two ids with
// one 64-bit keyed hash among the window's). Ended entries are erased oldest first, by
// backward-shift deletion, so the table never holds more than the live calls and the window.
class call_table {
public:
    static constexpr std::uint32_t ended = 0xFFFFFFFF;
    static constexpr std::uint32_t expired = 0xFFFFFFFE;
    static constexpr std::uint32_t none = 0xFFFFFFFF;
    static constexpr std::uint32_t unknown = 0xFFFFFFFD;

    struct live_call {
        std::uint64_t hash = 0;
        double offset = 0;                       // this call's `at` + offset = stream time
        double seen = 0;                         // stream time of its last line
        std::uint32_t prev = none, next = none;  // least recently seen first
    };

    call_table(std::size_t ended_window, call_hash hash) : window_(ended_window), hash_(hash) {}

    [[nodiscard]] std::uint64_t hash(std::string_view call) const noexcept { return hash_(call) | 1; }  // 0 marks an empty slot

    // The entry's slot for `call`: a live index, `ended`, `expired`, or none when it is new.
    [[nodiscard]] std::uint32_t find(std::string_view call, std::uint64_t h) const noexcept {
        if (entries_.empty()) return unknown;
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            const auto& e = entries_[i];
            if (e.hash == 0) return unknown;
            if (e.hash == h && (e.slot >= expired || ids_[e.slot] == call)) return e.slot;
        }
    }

    // A new call's slot; a session_error from the options leaves the table as it was.
    std::uint32_t add(std::string_view call, std::uint64_t h, const parley::script& script, const parley::session_options& options) {
        if ((count_ + 1) * 2 > entries_.size()) grow();
        std::uint32_t slot;
        if (!free_.empty()) {
            slot = free_.back();
            sessions_[slot].reset(options);
            free_.pop_back();
        } else {
            if (sessions_.size() >= unknown) parley::detail::throw_session_error(parley::session_errc::limit, "too many live calls");
            slot = static_cast<std::uint32_t>(sessions_.size());
            sessions_.emplace_back(script, options);
            ids_.emplace_back();
            live_.emplace_back();
        }
        ids_[slot].assign(call);
        live_[slot] = live_call{.hash = h};
        place(h, slot);
        link_last(slot);
        ++live_count_;
        return slot;
    }
    parley::session& at(std::uint32_t slot) noexcept { return sessions_[slot]; }
    live_call& info(std::uint32_t slot) noexcept { return live_[slot]; }
    std::string_view id(std::uint32_t slot) const noexcept { return ids_[slot]; }
    std::size_t live() const noexcept { return live_count_; }

    // The call had a line at stream time `now`: it becomes the most recently seen.
    void touch(std::uint32_t slot, double now) noexcept {
        unlink(slot);
        link_last(slot);
        live_[slot].seen = now;
    }
    // The least recently seen call, or none.
    std::uint32_t oldest() const noexcept { return head_; }

    // The call has ended (`how`: ended or expired): its session waits for the next new call,
    // its id's hash joins the window of ended calls.
    void end(std::uint32_t slot, std::uint32_t how) {
        const auto h = live_[slot].hash;
        std::size_t i = h & mask_;
        while (!(entries_[i].hash == h && entries_[i].slot == slot)) i = (i + 1) & mask_;
        unlink(slot);
        --live_count_;
        free_.push_back(slot);
        std::string().swap(ids_[slot]);  // a long id's buffer goes now
        if (window_ == 0) return erase_at(i);
        entries_[i].slot = how;
        if (ring_.size() < window_) {
            ring_.push_back(h);
            return;
        }
        // The window is full: forget the oldest ended call.
        const auto oldest = std::exchange(ring_[ring_next_], h);
        ring_next_ = (ring_next_ + 1) % window_;
        for (std::size_t j = oldest & mask_;; j = (j + 1) & mask_) {
            if (entries_[j].hash == oldest && entries_[j].slot >= expired) return erase_at(j);
            if (entries_[j].hash == 0) return;  // cannot happen: every ended hash has its entry
        }
    }

private:
    struct entry {
        std::uint64_t hash = 0;
        std::uint32_t slot = 0;
    };
    void place(std::uint64_t h, std::uint32_t slot) {
        std::size_t i = h & mask_;
        while (entries_[i].hash != 0) i = (i + 1) & mask_;
        entries_[i] = {h, slot};
        ++count_;
    }
    // Linear probing's deletion: later entries of the run move back so that no probe stops early.
    void erase_at(std::size_t i) {
        for (std::size_t j = (i + 1) & mask_; entries_[j].hash != 0; j = (j + 1) & mask_) {
            const std::size_t home = entries_[j].hash & mask_;
            const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (stays) continue;
            entries_[i] = entries_[j];
            i = j;
        }
        entries_[i] = entry{};
        --count_;
    }
    void grow() {
        std::vector<entry> old = std::move(entries_);
        entries_.assign(std::max<std::size_t>(1024, old.size() * 2), entry{});
        mask_ = entries_.size() - 1;
        count_ = 0;
        for (const auto& e : old)
            if (e.hash) place(e.hash, e.slot);
    }
    void unlink(std::uint32_t slot) noexcept {
        auto& c = live_[slot];
        (c.prev == none ? head_ : live_[c.prev].next) = c.next;
        (c.next == none ? tail_ : live_[c.next].prev) = c.prev;
        c.prev = c.next = none;
    }
    void link_last(std::uint32_t slot) noexcept {
        auto& c = live_[slot];
        c.prev = tail_;
        c.next = none;
        (tail_ == none ? head_ : live_[tail_].next) = slot;
        tail_ = slot;
    }

    std::size_t window_;
    call_hash hash_;
    std::vector<entry> entries_;
    std::size_t mask_ = 0;
    std::size_t count_ = 0;
    std::vector<parley::session> sessions_;  // apart from the ids: a session is cache-line aligned
    std::vector<std::string> ids_;
    std::vector<live_call> live_;
    std::vector<std::uint32_t> free_;
    std::uint32_t head_ = none, tail_ = none;
    std::size_t live_count_ = 0;
    std::vector<std::uint64_t> ring_;  // the ended calls' hashes, oldest at ring_next_ once full
    std::size_t ring_next_ = 0;
};

call_hash make_hash(const std::uint64_t* key) { return key ? call_hash(key[0], key[1]) : call_hash(); }

}  // namespace

// ---- One line of one call ----------------------------------------------------------------------

void line_answerer::start() noexcept {
    timers_.clear();
    last_timer_.reset();
    last_begins_ = 0;
    timers_fired_ = 0;
}

// Every timer that fell due before this line's input fires now, and each reply reaches the host
// once: in the line's "timers", or, when the line has no input of its own to answer (a tick, a
// call a timer ended), the last one as the line's reply (its phrase stays valid until the next step).
void line_answerer::fire_timers(parley::session& session, const input_line& f) {
    if (!f.at) return;
    session.advance(*f.at, [&](const parley::reply& r) {
        if (++timers_fired_ <= max_listed) {
            last_begins_ = timers_.size();
            timers_ += timers_.empty() ? "{" : ", {";
            append_reply(timers_, r);
            timers_ += '}';
            if (limit_ != 0 && timers_.size() > limit_)
                throw answer_too_long(fmt::format("the replies of this line's timers are longer than {} bytes", limit_));
        }
        last_timer_ = r;
    });
}

line_answerer::outcome line_answerer::finish(const parley::script& script, parley::session& session, const input_line& f,
                                             std::size_t number, std::string& out) {
    const std::string_view call = f.call;
    if (f.is_hangup() && !session.ended()) {  // the caller put the phone down: the call ends now
        auto r = session.idle();
        r.ended = true;
        return answer(out, call, r);
    }
    if (f.is_tick() || f.is_hangup() || session.ended()) {
        if (!last_timer_) {
            if (f.is_tick()) return answer(out, call, session.idle());
            error(number, &call, "call has ended", out);
            return {.refused = true, .ended = true};
        }
        if (timers_fired_-- <= max_listed) timers_.resize(last_begins_);  // the last is the line's reply, not in "timers"
        const bool moot = !f.is_tick();                                   // a timer ended the call before this line's input
        return answer(out, call, *last_timer_, moot ? "the call ended on a timer before this input" : "");
    }
    if (f.is_pickup()) return answer(out, call, session.start());
    std::optional<parley::label_id> id;
    if (auto wrong = resolve_label(script, f, id); !wrong.empty()) {
        error(number, &call, wrong, out);
        return {.refused = true};
    }
    const auto r = !tracing_
                       ? (id ? session.step(*id, f.confidence, f.slots) : session.step(f.label(), f.confidence, f.slots))
                       : (id ? session.step(*id, f.confidence, f.slots, trace_) : session.step(f.label(), f.confidence, f.slots, trace_));
    // A reply with neither words nor a rule says why: no handler of the call's state took the input.
    if (r.phrase.empty() && !r.rule()) [[unlikely]]
        return answer(out, call, r, {}, tracing_, fmt::format("nothing in state '{}' handles '{}'", r.state_name(), f.label()));
    return answer(out, call, r, {}, tracing_);
}

void line_answerer::note_expired(std::string_view call) { expired_.emplace_back(call); }

// The line's answer: its reply, the replies of the timers that fired before it, and, when a
// timer ended the call first, why the line's own input was not handled.
line_answerer::outcome line_answerer::answer(std::string& out, std::string_view call, const parley::reply& r, std::string_view ignored,
                                             bool traced, std::string_view note) {
    out += "{\"call\": ";
    support::append_json_string(out, call);
    out += ", ";
    append_reply(out, r);
    if (!timers_.empty()) {
        out += ", \"timers\": [";
        out += timers_;
        out += ']';
    }
    if (timers_fired_ > max_listed) fmt::format_to(std::back_inserter(out), ", \"timers_omitted\": {}", timers_fired_ - max_listed);
    if (!ignored.empty()) {
        out += ", \"ignored\": ";
        support::append_json_string(out, ignored);
    }
    if (!note.empty()) {
        out += ", \"note\": ";
        support::append_json_string(out, note);
    }
    if (traced) append_trace(out);
    finish_line(out);
    return {.ended = r.ended};
}

// The step's trace: {"note": ..., "handlers": [{"rule", "on", "guard", "fired", "read"}, ...]},
// the handlers in the order tried.
void line_answerer::append_trace(std::string& out) const {
    out += ", \"trace\": {";
    if (!trace_.note.empty()) {
        out += "\"note\": ";
        support::append_json_string(out, trace_.note);
        out += ", ";
    }
    out += "\"handlers\": [";
    for (std::size_t i = 0; i < trace_.handlers.size(); ++i) {
        const auto& h = trace_.handlers[i];
        out += i == 0 ? "{\"rule\": " : ", {\"rule\": ";
        support::append_json_string(out, h.rule ? fmt::format("{}:{}", h.rule.file, h.rule.line) : std::string());
        out += ", \"on\": ";
        support::append_json_string(out, h.trigger);
        if (!h.guard.empty()) {
            out += ", \"guard\": ";
            support::append_json_string(out, h.guard);
        }
        out += h.fired ? ", \"fired\": true" : ", \"fired\": false";
        if (!h.read.empty()) {
            out += ", \"read\": ";
            support::append_json_string(out, h.read);
        }
        out += '}';
    }
    out += "]}";
}

void line_answerer::error(std::size_t number, const std::string_view* call, std::string_view message, std::string& out) {
    fmt::format_to(std::back_inserter(out), "{{\"line\": {}", number);
    if (call) {
        out += ", \"call\": ";
        support::append_json_string(out, *call);
    }
    out += ", \"error\": ";
    support::append_json_string(out, message);
    finish_line(out);
}

void line_answerer::finish_line(std::string& out) {
    if (!expired_.empty()) {
        out += ", \"expired\": [";
        for (std::size_t i = 0; i < max_listed && !expired_.empty(); ++i) {
            if (i) out += ", ";
            support::append_json_string(out, expired_.front());
            expired_.pop_front();
        }
        out += ']';
        if (!expired_.empty()) fmt::format_to(std::back_inserter(out), ", \"expired_pending\": {}", expired_.size());
    }
    out += "}\n";
}

// A reply's fields, without braces.
void line_answerer::append_reply(std::string& out, const parley::reply& r) {
    out += "\"state\": ";
    support::append_json_string(out, r.state_name());
    out += ", \"action\": \"";
    out += to_string(r.action);
    out += "\", \"phrase\": ";
    support::append_json_string(out, r.phrase);
    if (!r.hint().empty()) {
        out += ", \"hint\": ";
        support::append_json_string(out, r.hint());
    }
    out += ", \"rule\": ";
    rule_.clear();
    if (r.rule()) fmt::format_to(std::back_inserter(rule_), "{}:{}", r.rule().file, r.rule().line);
    support::append_json_string(out, rule_);
    out += r.ended ? ", \"ended\": true" : ", \"ended\": false";
    if (r.actions.empty()) return;
    out += ", \"actions\": [";
    for (std::size_t i = 0; i < r.actions.size(); ++i) {
        out += i == 0 ? "{\"name\": " : ", {\"name\": ";
        support::append_json_string(out, r.actions[i].name);
        out += ", \"args\": {";
        for (std::size_t j = 0; j < r.actions[i].arguments.size(); ++j) {
            if (j != 0) out += ", ";
            support::append_json_string(out, r.actions[i].arguments[j].name);
            out += ": ";
            support::append_json_string(out, r.actions[i].arguments[j].value);
        }
        out += "}}";
    }
    out += ']';
}

// ---- The run: a table of calls ------------------------------------------------------------------

class runner::impl {
public:
    impl(parley::script s, parley::session_options defaults, const run_limits& limits, const std::uint64_t* key)
        : script_(std::move(s)), defaults_(std::move(defaults)), limits_(limits), calls_(limits.ended_window, make_hash(key)) {}

    void answer(std::string_view line, std::size_t number, std::string& out) {
        lines_.start();
        auto& f = line_;
        std::string problem = read_input_line(parser_, line, f);
        if (!problem.empty()) return refuse(number, f.has_call ? &f.call : nullptr, problem, out);
        const std::string_view call = f.call;
        const auto h = calls_.hash(call);
        std::uint32_t slot = calls_.find(call, h);
        if (slot == call_table::ended) return refuse(number, &call, "call has ended", out);
        if (slot == call_table::expired) return refuse(number, &call, "call has ended: it was expired after being idle", out);
        if (slot != call_table::unknown && f.has_vars) return refuse(number, &call, vars_too_late, out);
        try {
            if (slot == call_table::unknown) {
                const bool own = !f.lang.empty() || f.has_vars;                                    // else the run's options, not copied
                slot = calls_.add(call, h, script_, own ? options_for(defaults_, f) : defaults_);  // may throw: nothing is added then
                calls_.info(slot).offset = now_ - f.at.value_or(0.0);
            } else if (!f.lang.empty()) {
                calls_.at(slot).set_language(f.lang);
            }
            auto& session = calls_.at(slot);
            if (f.at) {
                lines_.fire_timers(session, f);
                now_ = std::max(now_, calls_.info(slot).offset + *f.at);
            }
            calls_.touch(slot, now_);
            expire_idle(slot);
            const auto done = lines_.finish(script_, session, f, number, out);
            failed_ = failed_ || done.refused;
            if (done.ended) calls_.end(slot, call_table::ended);
        } catch (const parley::session_error& e) {
            refuse(number, &call, e.what(), out);
        }
    }

    void answer_too_long(std::size_t number, std::string& out) {
        lines_.start();
        refuse(number, nullptr, fmt::format("line longer than {} bytes: skipped", limits_.max_line), out);
    }

    bool failed() const noexcept { return failed_; }
    void trace(bool on) noexcept { lines_.trace(on); }
    std::size_t live() const noexcept { return calls_.live(); }

private:
    void refuse(std::size_t number, const std::string_view* call, std::string_view message, std::string& out) {
        failed_ = true;
        lines_.error(number, call, message, out);
    }

    // Calls idle for longer than the timeout, other than this line's, end; their ids ride on this
    // line's answer in "expired".
    void expire_idle(std::uint32_t current) {
        if (limits_.idle_timeout <= 0) return;
        for (auto c = calls_.oldest(); c != call_table::none && c != current; c = calls_.oldest()) {
            if (!(calls_.info(c).seen + limits_.idle_timeout < now_)) break;
            lines_.note_expired(calls_.id(c));
            calls_.end(c, call_table::expired);
        }
    }

    parley::script script_;
    parley::session_options defaults_;
    run_limits limits_;
    simdjson::dom::parser parser_;
    call_table calls_;
    double now_ = 0;   // stream time
    input_line line_;  // reused: its slots keep their capacity
    line_answerer lines_;
    bool failed_ = false;
};

runner::runner(parley::script script, parley::session_options defaults, const run_limits& limits, const std::uint64_t* hash_key)
    : impl_(std::make_unique<impl>(std::move(script), std::move(defaults), limits, hash_key)) {}
runner::runner(runner&&) noexcept = default;
runner::~runner() = default;
void runner::answer(std::string_view line, std::size_t number, std::string& out) { impl_->answer(line, number, out); }
void runner::answer_too_long(std::size_t number, std::string& out) { impl_->answer_too_long(number, out); }
bool runner::failed() const noexcept { return impl_->failed(); }
void runner::trace(bool on) noexcept { impl_->trace(on); }
std::size_t runner::live_calls() const noexcept { return impl_->live(); }

int run_buffer(runner& r, const run_limits& limits, std::string_view input, std::string& out, std::size_t chunk) {
    line_reader reader(limits.max_line, std::max<std::size_t>(chunk, 1));
    std::size_t number = 0;
    std::string_view line;
    while (true) {
        switch (reader.next(line)) {
            case line_reader::got::line: r.answer(line, ++number, out); break;
            case line_reader::got::too_long: r.answer_too_long(++number, out); break;
            case line_reader::got::more:
                (void)reader.fill([&](char* to, std::size_t most) {
                    const auto n = std::min(most, input.size());
                    std::memcpy(to, input.data(), n);
                    input.remove_prefix(n);
                    return static_cast<long>(n);
                });
                break;
            case line_reader::got::end: return r.failed() ? 1 : 0;
        }
    }
}

}  // namespace parley::cli
