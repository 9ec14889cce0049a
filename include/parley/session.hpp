// parley::session: one live call over a shared, immutable script.
//
// A host keeps one session per call and feeds it the caller's classified utterances with
// step(); each step returns the reply the operator should give. Sessions are values: they
// can be moved, snapshotted to bytes and restored elsewhere. One session is used by one
// thread at a time; any number of sessions may share one script across threads.
//
// No clock is read here: the host reports time with advance() (seconds since pickup) and
// asks next_deadline() when to wake the session up for a timer.
//
// A reply's string views point into the script, the session's render buffer or the buffer the
// host lent to step(): they stay valid until the next non-const call on the same session (and,
// for a lent buffer, until the host lends or changes it again). A render buffer is scratch:
// it may hold more bytes than the phrase, so read the phrase from the reply.
#ifndef PARLEY_SESSION_HPP_INCLUDED
#define PARLEY_SESSION_HPP_INCLUDED

#include <parley/detail/guard.hpp>
#include <parley/detail/render.hpp>
#include <parley/detail/session_store.hpp>
#include <parley/detail/snapshot.hpp>
#include <parley/detail/tables.hpp>
#include <parley/detail/throw.hpp>
#include <parley/error.hpp>
#include <parley/script.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace parley {

// A slot the classifier filled from the utterance, such as {"name", "Ольга"}.
struct slot_value {
    std::string_view name;
    std::string_view value;
};

// One classified caller utterance (or operator event).
struct utterance {
    label_id label = 0;
    double confidence = 1.0;
    std::span<const slot_value> slots = {};
};

// A named argument of a host action, its value as the call has it now.
struct host_argument {
    std::string_view name;
    std::string_view value;
};

// Something the script asks the host to do, as an operator's button would: `do
// validate-purchase(username, email, order_id)` in a handler, or in a state when it is entered.
struct host_action {
    std::string_view name;
    std::span<const host_argument> arguments;

    // The argument's value; empty when the action has no such argument.
    [[nodiscard]] std::string_view argument(std::string_view argument_name) const noexcept {
        for (const auto& a : arguments)
            if (a.name == argument_name) return a.value;
        return {};
    }
};

// What the operator should do now: the fields every host reads on every step, and the rest
// (the state's name, the hint, the rule that fired) on demand, looked up in the script only
// when asked for. Those views live as long as the script; the phrase and actions as said above.
class reply {
public:
    std::string_view phrase;  // what to say; empty when the rule says nothing
    parley::action action = parley::action::continue_;
    state_id state = 0;
    bool ended = false;  // the call reached a terminal state
    // What the host should do, in order: the handler's actions, then those of the state it
    // entered. Empty when the rule asks for none.
    std::span<const host_action> actions;

    reply() = default;

    [[nodiscard]] std::string_view state_name() const noexcept {
        return tables_ ? tables_->str(tables_->states[state].name) : std::string_view();
    }
    // Advice for the operator: the handler's, else the state's; empty when neither has one.
    [[nodiscard]] std::string_view hint() const noexcept {
        if (!tables_) return {};
        const auto which = hint_ != detail::none ? hint_ : tables_->states[state].hint;
        if (which == detail::none) return {};
        return tables_->str(tables_->texts[tables_->phrases[which].first_text + language_].whole);
    }
    // The rule that fired; line 0 when none did.
    [[nodiscard]] rule_location rule() const noexcept {
        if (!tables_ || rule_.line == 0) return {};
        return {tables_->files[rule_.file], rule_.line};
    }

private:
    friend class session;

    const detail::script_tables* tables_ = nullptr;
    std::uint32_t hint_ = detail::none;  // the handler's hint (a phrase); none: the state's
    detail::source_ref rule_;
    std::uint8_t language_ = 0;
};

// Why a step answered as it did, for a rule author (`parley run --trace`, `parley chat`'s :why):
// the handlers for the utterance in the current state, in the order they were tried, each with
// whether it fired and, for one whose guard did not hold, the values the guard read. Filled by the
// step overloads that take one; the others trace nothing and cost nothing for it.
struct traced_handler {
    rule_location rule;        // where the handler is written
    std::string_view trigger;  // as written: "insult, threat", "otherwise", "after 55s"
    std::string_view guard;    // as written, normalised; empty when it has none
    bool fired = false;
    std::string read;  // what a guard that did not hold read: "insults = 0, confidence = 0.55"
};
struct step_trace {
    // In the order tried. The one that fired comes last, unless it led into a form: then the
    // form's 'complete' handlers follow (and so on, through forms that complete at once), or the
    // form's `ask` line that spoke (trigger "ask", fired).
    std::vector<traced_handler> handlers;
    std::string note;  // what happened before any handler: a confirmation, a low confidence
    void clear() noexcept {
        handlers.clear();
        note.clear();
    }
};

// Per-call options: the caller's language, the host's variables, what the CRM already knows.
struct session_options {
    std::string language;  // empty: the script's default language
    // NAME (its value in every language) or NAME.LANG (its value in that language only, as
    // "company.en"). A placeholder speaks the language of the text it is in: the host's value
    // for that language, else the host's for every language, else the script's default for it.
    std::vector<std::pair<std::string, std::string>> variables;
    std::vector<std::pair<std::string, std::string>> slots;
};

// Per-call options checked and resolved against a script once (session::prepare): a host that
// restarts calls at a high rate, the same caller's values each time, resets with them without
// looking a name up or checking a value again.
class prepared_options {
public:
    prepared_options() = default;

private:
    friend class session;
    std::optional<parley::script> script_;  // what it was prepared for
    std::optional<std::uint8_t> language_;
    detail::session_store values_;  // the values as a session's store keeps them, copied in whole by reset()
    bool variables_ = false;        // some of them are variables
};

// How restore() treats a snapshot taken with another version of the script.
enum class restore_mode {
    exact,   // the script must be the one the snapshot was taken with, else session_error
    by_name  // map state, language, counters, slots and variables by name; any name the script
             // lacks is a session_error; phrase rotation starts afresh
};

// Documented limits; past them a session_error (session_errc::limit) is thrown.
inline constexpr std::size_t max_slots_per_utterance = 64;
inline constexpr std::size_t max_slot_value_bytes = 4096;  // a slot's value, and a host's for a variable

class alignas(64) session {  // see the layout note by the data members
public:
    explicit session(parley::script s)
        : script_(std::move(s)), store_(byte_count()), state_(small_state(tables().initial_state)), holding_(starts_in_hold()) {}
    session(parley::script s, const session_options& options) : session(std::move(s)) { apply(options); }

    session(session&&) noexcept = default;
    session& operator=(session&&) noexcept = default;
    session(const session& other) : session(other.script_, other) {}
    session& operator=(const session& other) {
        if (this != &other) *this = session(other);
        return *this;
    }

    // A new call on this session, as if it had just been constructed over the same script, but
    // keeping its buffers: a host that reuses its sessions from call to call (a pool, a table
    // of lines) stops allocating once each session has seen its largest call. A bad option is a
    // session_error that leaves the session at pickup with the options before it applied.
    void reset() noexcept {
        state_ = small_state(tables().initial_state);
        pending_label_ = detail::none;
        pending_origin_ = 0;
        language_ = 0;
        next_timer_ = 0;
        ended_ = false;
        entered_at_ms_ = 0;
        now_ms_ = 0;
        holding_ = starts_in_hold();
        hold_started_ms_ = 0;
        variables_set_ = false;
        store_.reset();
    }
    void reset(const session_options& options) {
        reset();
        apply(options);
    }
    // The same with options prepared for this session's script; no name is looked up again.
    void reset(const prepared_options& options) {
        if (!options.script_ || &detail::tables_of(*options.script_) != &tables()) [[unlikely]]
            detail::throw_session_error(session_errc::bad_variable, "these options were prepared for another script");
        reset();
        apply(options);
    }

    // Checks and resolves per-call options against this session's script, for reset().
    [[nodiscard]] prepared_options prepare(const session_options& options) const {
        const auto& t = tables();
        prepared_options p;
        p.script_ = script_;
        if (!options.language.empty()) {
            auto id = script_.find_language(options.language);
            if (!id) detail::throw_session_error(session_errc::bad_language, "the script has no language '" + options.language + "'");
            p.language_ = static_cast<std::uint8_t>(*id);
        }
        for (const auto& [key, value] : options.variables) {
            const auto dot = std::min(key.find('.'), key.size());
            const std::string_view name(key.data(), dot);
            auto it = t.variable_index.find(name);
            if (it == t.variable_index.end())
                detail::throw_session_error(session_errc::bad_variable, "the script declares no variable '" + std::string(name) + "'");
            std::string_view language;
            const auto& type = t.variable_types[it->second];
            if (dot < key.size()) {
                auto id = script_.find_language(std::string_view(key).substr(dot + 1));
                if (!id)
                    detail::throw_session_error(session_errc::bad_language,
                                                "variable '" + key + "': the script has no language '" + key.substr(dot + 1) + "'");
                if (!type.any_text())
                    detail::throw_session_error(
                        session_errc::bad_variable,
                        "variable '" + std::string(name) + "' has a type: it has one value for every language, not '" + key + "'");
                language = t.str(t.languages[*id]);
            }
            if (value.size() > max_slot_value_bytes) throw_value_too_long("variable", name);
            if (!fits(type, value)) throw_bad_value("variable", t.variables[it->second], type, value);
            p.values_.set(value_key(variable_kind, it->second), value, language);
            p.variables_ = true;
        }
        for (const auto& [name, value] : options.slots) {
            auto it = t.slot_index.find(name);
            if (it == t.slot_index.end()) detail::throw_session_error(session_errc::bad_slot, "the script declares no slot '" + name + "'");
            if (value.size() > max_slot_value_bytes) throw_value_too_long("slot", name);
            check_type(it->second, value);
            p.values_.set(value_key(slot_kind, it->second), value);
        }
        return p;
    }

    [[nodiscard]] const parley::script& script() const noexcept { return script_; }
    [[nodiscard]] state_id state() const noexcept { return state_; }
    [[nodiscard]] std::string_view state_name() const { return tables().str(tables().states[state_].name); }
    [[nodiscard]] bool ended() const noexcept { return ended_; }
    [[nodiscard]] language_id language() const noexcept { return language_; }
    [[nodiscard]] double now() const noexcept { return double(now_ms_) / 1000.0; }
    // The intent waiting for the caller's yes or no after a low-confidence utterance.
    [[nodiscard]] std::optional<label_id> pending_confirmation() const noexcept {
        if (pending_label_ == detail::none) return std::nullopt;
        return pending_label_;
    }

    void set_language(std::string_view tag) {
        auto id = script_.find_language(tag);
        if (!id) detail::throw_session_error(session_errc::bad_language, "the script has no language '" + std::string(tag) + "'");
        language_ = static_cast<std::uint8_t>(*id);
    }

    [[nodiscard]] int counter(std::string_view name) const {
        auto it = tables().counter_index.find(name);
        return it == tables().counter_index.end() ? 0 : store_[it->second];
    }
    [[nodiscard]] std::string_view slot(std::string_view name) const {
        auto it = tables().slot_index.find(name);
        return it == tables().slot_index.end() ? std::string_view{} : value(value_key(slot_kind, it->second));
    }
    [[nodiscard]] std::string_view variable(std::string_view name) const {
        auto it = tables().variable_index.find(name);
        return it == tables().variable_index.end() ? std::string_view{} : variable_value(it->second, language_);
    }

    // Where the call stands when nothing fires (say a tick with no timer due): the current state,
    // its action and its hint; no phrase, no rule.
    [[nodiscard]] reply idle() const noexcept {
        const auto& st = tables().states[state_];
        return make_reply({}, st.action, detail::none, {});
    }

    // The pickup: the initial state's entry phrase.
    [[nodiscard]] reply start() { return start_into(nullptr); }
    [[nodiscard]] reply start(std::string& buffer) { return start_into(&buffer); }

    [[nodiscard]] reply step(const utterance& u) { return step(u.label, u.confidence, u.slots); }
    [[nodiscard]] reply step(const utterance& u, std::string& buffer) { return step(u.label, u.confidence, u.slots, buffer); }

    // The hot path: an interned label; no lookup by string, no allocation unless the phrase
    // has placeholders (or a low-confidence utterance has to be remembered).
    [[nodiscard, gnu::always_inline]] reply step(label_id label, double confidence = 1.0, std::span<const slot_value> slots = {}) {
        return step_into(label, confidence, slots, nullptr);
    }

    // The same, rendering placeholders into a buffer the host lends (say one per worker thread)
    // instead of the session's own: the reply's phrase then lives in `buffer`, and a session
    // that is waiting for the caller holds no rendered text. See "Memory" in the README.
    //
    // Every step reads the same way: the input is checked, then the session decides what
    // fires, where the call goes and what to say, then the reply is rendered, once.
    [[nodiscard, gnu::always_inline]] reply step(label_id label, double confidence, std::span<const slot_value> slots,
                                                 std::string& buffer) {
        return step_into(label, confidence, slots, &buffer);
    }

    // By name, for hosts that do not intern labels. An undeclared label is a session_error
    // (session_errc::unknown_label), or goes to `otherwise` when the script says so.
    [[nodiscard]] reply step(std::string_view label, double confidence = 1.0, std::span<const slot_value> slots = {}) {
        return step_into(label, confidence, slots, nullptr);
    }
    [[nodiscard]] reply step(std::string_view label, double confidence, std::span<const slot_value> slots, std::string& buffer) {
        return step_into(label, confidence, slots, &buffer);
    }

    // The same, tracing the step into `trace` (cleared first): see step_trace.
    [[nodiscard]] reply step(label_id label, double confidence, std::span<const slot_value> slots, step_trace& trace) {
        trace.clear();
        return step_into(label, confidence, slots, nullptr, tracer{*this, trace});
    }
    [[nodiscard]] reply step(std::string_view label, double confidence, std::span<const slot_value> slots, step_trace& trace) {
        trace.clear();
        return step_into(label, confidence, slots, nullptr, tracer{*this, trace});
    }

    // Moves the session's clock to `seconds` since pickup and fires the timers that fell due, in
    // order, handing each one's reply to `on_reply(const reply&)` as it fires: when several fall
    // due between two inputs, the host gets every reply, not only the last. A reply's phrase is
    // valid during that call only, since the next timer renders into the same buffer (the last
    // one's, until the next non-const call as usual). Returns how many timers fired.
    //
    // A timer falls due `after` seconds from the entry into its state; in a `hold` state, at the
    // latest when the hold (a run of consecutive hold states, a confirmation question asked
    // during it included) has lasted the script's hold_timeout. A guarded timer is checked once,
    // when it falls due: if its guard does not hold then, it is passed over.
    template <class OnReply>
    requires std::invocable<OnReply&, const reply&> std::size_t advance(double seconds, OnReply&& on_reply) {
        return advance_into(seconds, nullptr, on_reply);
    }
    template <class OnReply>
    requires std::invocable<OnReply&, const reply&> std::size_t advance(double seconds, std::string& buffer, OnReply&& on_reply) {
        return advance_into(seconds, &buffer, on_reply);
    }

    // When the next timer falls due, in seconds since pickup; nullopt when none is armed.
    [[nodiscard]] std::optional<double> next_deadline() const noexcept {
        if (ended_) return std::nullopt;
        const auto& st = tables().states[state_];
        if (next_timer_ >= st.timer_count) return std::nullopt;
        return double(due_at(tables().timers[st.first_timer + next_timer_])) / 1000.0;
    }

    // A compact, self-describing binary form of everything the call has accumulated, with a
    // checksum (CRC-32C: against accidental damage, not forgery). restore() refuses, with a
    // session_error (bad_snapshot), a snapshot whose checksum does not match, of another format,
    // of another script (in exact mode), or with any field a call could not have reached: see
    // "Snapshots" in the README.
    [[nodiscard]] std::string snapshot() const;
    [[nodiscard]] static session restore(parley::script s, std::string_view bytes, restore_mode mode = restore_mode::exact);

    // Heap bytes this session owns beyond sizeof(session), for capacity planning.
    [[nodiscard]] std::size_t heap_bytes() const noexcept {
        std::size_t n = store_.heap_bytes();
        if (actions_) {
            n += sizeof(action_scratch) + own_room_bytes() + actions_->actions.capacity() * sizeof(host_action);
            n += actions_->arguments.capacity() * sizeof(host_argument);
            n += actions_->text.capacity() > 15 ? actions_->text.capacity() + 1 : 0;
        }
        return n;
    }

private:
    // The public overloads' work; `buffer` is the host's, or null for the session's own. An
    // interned label takes the quick path (direct_step or quick_step, inline where the host steps)
    // when its cell allows; anything else, the full path out of line (which also refuses an ended
    // call).
    [[nodiscard, gnu::always_inline]] reply step_into(label_id label, double confidence, std::span<const slot_value> slots,
                                                      std::string* buffer) {
        const auto& t = tables();
        if (label < t.label_count) [[likely]] {  // an ended call is in a terminal state, which has no quick cell
            auto column = label;                 // a sure utterance (the threshold is from 0 to 1): two comparisons
            if (!(confidence >= t.confidence_threshold && confidence <= 1.0)) [[unlikely]]  // a doubtful one, or no confidence at all
                column = confidence >= 0.0 && confidence <= 1.0 ? t.low_confidence_column[label] : detail::none;
            if (column != detail::none) [[likely]] {
                const auto& range = t.dispatch[std::size_t{state_} * t.label_columns() + column];
                if (range.direct()) [[likely]] {
                    if (!slots.empty()) check_slots(slots);
                    return direct_step(range);
                }
                // A question waits only in the confirmation state: its cells ask whether one does.
                if (range.quick == detail::quick_cell::yes ||
                    (range.quick == detail::quick_cell::unless_asking && pending_label_ == detail::none)) {
                    if (!slots.empty()) check_slots(slots);
                    return quick_step(range, slots, confidence, buffer);
                }
            }
        }
        return full_step(label, confidence, slots, buffer);
    }
    [[nodiscard, gnu::noinline]] reply full_step(label_id label, double confidence, std::span<const slot_value> slots,
                                                 std::string* buffer) {
        return step_into(label, confidence, slots, buffer, no_trace{});
    }
    [[nodiscard]] reply step_into(std::string_view label, double confidence, std::span<const slot_value> slots, std::string* buffer) {
        if (auto id = script_.find_label(label)) return step_into(*id, confidence, slots, buffer);
        return step_into(label, confidence, slots, buffer, no_trace{});
    }
    template <class Trace>
    [[nodiscard]] reply step_into(label_id label, double confidence, std::span<const slot_value> slots, std::string* buffer, Trace trace) {
        check_live();
        if (label >= tables().label_count) [[unlikely]]
            throw_label_out_of_range(label);
        check_utterance(confidence, slots);
        if (pending_label_ != detail::none && label == tables().accept_label) [[unlikely]]
            return with_pending_slots([&](std::span<const slot_value> pending) { return respond(buffer, accept(pending, trace)); });
        return respond(buffer, decide(label, confidence, slots, trace));
    }
    template <class Trace>
    [[nodiscard]] reply step_into(std::string_view label, double confidence, std::span<const slot_value> slots, std::string* buffer,
                                  Trace trace) {
        if (auto id = script_.find_label(label)) return step_into(*id, confidence, slots, buffer, trace);
        check_live();
        if (!tables().unknown_to_otherwise)
            detail::throw_session_error(session_errc::unknown_label, "the script declares no intent or event '" + std::string(label) + "'");
        check_utterance(confidence, slots);  // as for a declared label: `otherwise` gets no bad input
        return respond(buffer, decide(otherwise_label(), confidence, slots, trace));
    }
    template <class OnReply>
    std::size_t advance_into(double seconds, std::string* buffer, OnReply& on_reply) {
        if (!(seconds >= 0.0) || seconds > double(detail::max_clock_ms) / 1000.0) throw_bad_time(seconds);
        const auto at = static_cast<std::int64_t>(std::llround(seconds * 1000.0));
        if (at < now_ms_)
            detail::throw_session_error(session_errc::time_backwards,
                                        fmt::format("time went backwards: {:.3f} s after {:.3f} s", seconds, now()));
        now_ms_ = clock(at);
        const auto& t = tables();
        std::size_t fired = 0;
        while (!ended_) {
            const auto& st = t.states[state_];
            if (next_timer_ >= st.timer_count) break;
            const auto& tm = t.timers[st.first_timer + next_timer_];
            const std::int64_t due = due_at(tm);
            if (due > now_ms_) break;
            ++next_timer_;
            const auto& h = t.handlers[tm.handler];
            if (h.guard != detail::none && !detail::holds(t, h.guard, scope{*this})) continue;
            if (pending_label_ != detail::none) clear_pending();
            ++fired;
            const reply r = respond(buffer, fire(h, {}, due, decision{}, no_trace{}));
            on_reply(r);
        }
        return fired;
    }
    [[nodiscard]] reply start_into(std::string* buffer) {
        check_live();
        const auto& st = tables().states[state_];
        decision d{.text = choose(st.entry), .rule = st.where};
        add_actions(d, apply({st.first_entry_effect, st.entry_effect_count}, {}));
        if (st.form != detail::none) [[unlikely]]
            return respond(buffer, form_turn(st.form, d, {}, now_ms_, true, no_trace{}));
        return respond(buffer, d);
    }

    // Keys in store_: a slot's index, a variable's index (named with a language tag when the
    // value is for that language only), or pending_kind for a slot (name
    // and value) of the utterance awaiting confirmation.
    // The kind is in the key's low two bits, so that a key is one varint byte in most scripts.
    static constexpr std::uint32_t slot_kind = 0;
    static constexpr std::uint32_t variable_kind = 1;
    static constexpr std::uint32_t pending_kind = 2;

    session(const parley::script& s, const session& other)
        : script_(s),
          store_(other.store_),
          entered_at_ms_(other.entered_at_ms_),
          now_ms_(other.now_ms_),
          hold_started_ms_(other.hold_started_ms_),
          pending_label_(other.pending_label_),
          state_(other.state_),
          pending_origin_(other.pending_origin_),
          language_(other.language_),
          next_timer_(other.next_timer_),
          ended_(other.ended_),
          holding_(other.holding_),
          variables_set_(other.variables_set_) {}

    // Options are checked whole before any applies: a bad one leaves the session as it was.
    void apply(const session_options& options) { apply(prepare(options)); }
    void apply(const prepared_options& p) {
        if (p.language_) language_ = *p.language_;
        store_.append_records(p.values_);  // onto a store with none
        variables_set_ = p.variables_;
    }

    [[nodiscard]] const detail::script_tables& tables() const noexcept { return detail::tables_of(script_); }
    [[nodiscard]] bool starts_in_hold() const noexcept { return tables().states[tables().initial_state].action == action::hold; }
    // bytes_: the counters, the current state's counts (no_match, no_input) when the script reads
    // them, then the phrases' rotation positions.
    [[nodiscard]] std::size_t byte_count() const noexcept {
        return tables().counters.size() + tables().state_count_bytes + tables().rotation_count;
    }
    [[nodiscard]] std::size_t rotations_at() const noexcept { return tables().counters.size() + tables().state_count_bytes; }
    [[nodiscard]] std::uint8_t* rotations() noexcept { return store_.fixed() + rotations_at(); }
    [[nodiscard]] const std::uint8_t* rotations() const noexcept { return store_.fixed() + rotations_at(); }
    [[nodiscard]] std::uint8_t* state_counts() noexcept { return store_.fixed() + tables().counters.size(); }
    void count_in_state(std::size_t which) noexcept {  // 0 no_match, 1 no_input
        auto& n = state_counts()[which];
        if (n < 255) ++n;
    }
    // A state as a session keeps it (the compiler allows no more than 16 bits hold), and a time
    // (advance() and restore() take none later than max_clock_ms).
    static std::uint16_t small_state(state_id s) noexcept { return static_cast<std::uint16_t>(s); }
    static std::uint32_t clock(std::int64_t ms) noexcept { return static_cast<std::uint32_t>(ms); }
    static std::uint32_t value_key(std::uint32_t kind, std::uint32_t index) noexcept { return index << 2 | kind; }
    static std::uint32_t key_kind(std::uint32_t key) noexcept { return key & 3; }
    static std::uint32_t key_index(std::uint32_t key) noexcept { return key >> 2; }

    void check_live() const {
        if (ended_) [[unlikely]]
            throw_ended();
    }
    // What step() checks of every utterance, whichever overload it came through.
    void check_utterance(double confidence, std::span<const slot_value> slots) const {
        if (!(confidence >= 0.0 && confidence <= 1.0)) [[unlikely]]
            throw_bad_confidence();
        check_slots(slots);
    }
    void check_slots(std::span<const slot_value> slots) const {
        if (slots.size() > max_slots_per_utterance) [[unlikely]]
            throw_too_many_slots();
        for (const auto& s : slots)
            if (s.value.size() > max_slot_value_bytes) [[unlikely]]
                throw_slot_too_long(s.name);
        if (tables().has_typed_slots) [[unlikely]]
            for (const auto& s : slots)
                if (auto it = tables().slot_index.find(s.name); it != tables().slot_index.end()) check_type(it->second, s.value);
    }
    // A typed slot's value is a number, or one of its choices. (An empty value: the slot is unknown.)
    void check_type(std::uint32_t slot, std::string_view value) const {
        const auto& type = tables().slot_types[slot];
        if (!fits(type, value)) throw_bad_value("slot", tables().slots[slot], type, value);
    }
    // Whether a slot's or a variable's type takes `value`; an empty value (no value) always fits.
    [[nodiscard]] bool fits(const detail::value_type& type, std::string_view value) const noexcept {
        const auto& t = tables();
        double number = 0;
        if (value.empty() || type.any_text()) return true;
        if (type.number) return detail::number_in(value, number);
        for (std::uint32_t i = type.first_choice; i < type.first_choice + type.choice_count; ++i)
            if (t.str(t.choices[i]) == value) return true;
        return false;
    }
    // "slot 'level' takes one of guest, gold, not 'platinum'": bad_slot, or bad_variable.
    [[noreturn, gnu::cold, gnu::noinline]] void throw_bad_value(std::string_view what, detail::string_ref name,
                                                                const detail::value_type& type, std::string_view value) const {
        const auto& t = tables();
        std::string takes = "a number";
        if (!type.number) {  // at most ten of them, so that a type of many values gives a short message
            takes = "one of";
            const auto shown = std::min<std::uint32_t>(type.choice_count, 10);
            for (std::uint32_t i = type.first_choice; i < type.first_choice + shown; ++i)
                takes += (i == type.first_choice ? " " : ", ") + std::string(t.str(t.choices[i]));
            if (shown < type.choice_count) takes += fmt::format(", ... and {} more", type.choice_count - shown);
        }
        detail::throw_session_error(what == "slot" ? session_errc::bad_slot : session_errc::bad_variable,
                                    fmt::format("{} '{}' takes {}, not '{}'", what, t.str(name), takes, value));
    }
    // Not a time a call can reach: before its start (time_backwards), or not finite or past the
    // longest call a session counts, 2^32 - 1 ms (limit).
    [[noreturn, gnu::cold, gnu::noinline]] static void throw_bad_time(double seconds) {
        if (seconds < 0.0)
            detail::throw_session_error(session_errc::time_backwards,
                                        fmt::format("time must be a number of seconds from 0, not {}", seconds));
        detail::throw_session_error(session_errc::limit,
                                    fmt::format("time must be a finite number of seconds up to {:.3f} (49.7 days of call time), not {}",
                                                double(detail::max_clock_ms) / 1000.0, seconds));
    }
    // The error paths, kept out of step()'s code.
    [[noreturn, gnu::cold, gnu::noinline]] void throw_ended() const {
        detail::throw_session_error(
            session_errc::ended, "the call has ended in state '" + std::string(state_name()) + "'; reset() the session or start a new one");
    }
    [[noreturn, gnu::cold, gnu::noinline]] static void throw_label_out_of_range(label_id label) {
        detail::throw_session_error(session_errc::unknown_label, "label id " + std::to_string(label) + " is out of range");
    }
    [[noreturn, gnu::cold, gnu::noinline]] static void throw_bad_confidence() {
        detail::throw_session_error(session_errc::bad_confidence, "confidence must be a number from 0 to 1");
    }
    [[noreturn, gnu::cold, gnu::noinline]] static void throw_too_many_slots() {
        detail::throw_session_error(session_errc::limit, fmt::format("an utterance may carry at most {} slots", max_slots_per_utterance));
    }
    [[noreturn, gnu::cold, gnu::noinline]] static void throw_slot_too_long(std::string_view name) { throw_value_too_long("slot", name); }
    [[noreturn, gnu::cold, gnu::noinline]] static void throw_value_too_long(std::string_view what, std::string_view name) {
        detail::throw_session_error(session_errc::limit, fmt::format("{} '{}' is longer than {} bytes", what, name, max_slot_value_bytes));
    }
    // The longest value a variable can have: a host's (max_slot_value_bytes), or a `set`'s.
    [[nodiscard]] std::size_t longest_variable_value(std::uint32_t index) const noexcept {
        std::size_t longest = max_slot_value_bytes;
        for (const auto& e : tables().effects)
            if (e.kind == detail::effect_kind::set_variable && e.index == index) longest = std::max<std::size_t>(longest, e.value.size);
        // (a rendered `set` is cut at max_slot_value_bytes: see apply)
        return longest;
    }

    [[nodiscard]] std::string_view value(std::uint32_t key) const noexcept { return store_.find(key).value_or(std::string_view()); }
    // A variable's wording in `language`: the host's for that language, else the host's (or a
    // `set`'s) for every language, else the script's default for that language.
    [[nodiscard]] std::string_view variable_value(std::uint32_t index, std::uint8_t language) const noexcept {
        const auto& t = tables();
        if (variables_set_) {
            const auto key = value_key(variable_kind, index);
            if (auto v = store_.find_in_language(key, t.str(t.languages[language]))) return *v;
        }
        return t.str(t.variable_defaults[index * t.languages.size() + language]);
    }
    void set_value(std::uint32_t key, std::string_view text) { store_.set(key, text); }

    // A hold starts when the call enters a hold state from elsewhere and lasts while it goes from
    // hold state to hold state, or asks to confirm an utterance heard during the hold.
    [[gnu::always_inline]] void enter(state_id s, std::int64_t at) noexcept {
        // A state's counts start afresh, but not for a confirmation question and the way back.
        if (tables().state_count_bytes != 0 && pending_label_ == detail::none) [[unlikely]]
            std::memset(state_counts(), 0, tables().state_count_bytes);
        move_to(s, clock(at), tables().states[s].action == action::hold);
    }
    // The state, its clock and the hold, on entering `s` at `at` (`holds`: `s` is a hold state);
    // the quick path knows `holds` from the handler's plan.
    [[gnu::always_inline]] void move_to(state_id s, std::uint32_t at, bool holds) noexcept {
        state_ = small_state(s);
        entered_at_ms_ = at;
        next_timer_ = 0;
        if (holds) {
            if (!holding_) hold_started_ms_ = at;
            holding_ = true;
        } else if (pending_label_ == detail::none) {
            holding_ = false;
        }
    }
    // When a timer of the current state falls due (see advance).
    // Saturating: no timestamp a session can hold makes it overflow.
    [[nodiscard]] std::int64_t due_at(const detail::timer& tm) const noexcept {
        const std::int64_t due = detail::add_saturated(entered_at_ms_, tm.after_ms);
        if (!holding_ || tables().states[state_].action != action::hold) return due;
        return std::min(due, detail::add_saturated(hold_started_ms_, tables().hold_timeout_ms));
    }
    void clear_pending() noexcept {
        pending_label_ = detail::none;
        pending_origin_ = 0;
        store_.erase_keys([](std::uint32_t key) { return key_kind(key) == pending_kind; });
    }

    // ---- Deciding: what fires, where the call goes, what to say. Nothing is rendered here.

    struct action_scratch;
    struct effect_range {  // into effects
        std::uint32_t first = 0;
        std::uint32_t count = 0;
    };
    // What a step decided. The state it went to is the session's own; the text is already
    // picked (language and variant: rotating a phrase is part of deciding what to say).
    struct decision {
        std::uint32_t text = detail::none;  // into texts; none: say nothing
        std::uint32_t hint = detail::none;  // a phrase
        detail::source_ref rule;            // line 0: no rule fired
        label_id subject = detail::none;    // the intent a confirmation question is about
        std::span<const slot_value> slots;  // the utterance's, for the text's placeholders
        // The host actions: the handler's, those of the state it entered, and when that state
        // is a form that completes at once, its 'complete' handler's, and so on. The first two
        // ranges are kept here; a chain of forms spills the rest into the session's scratch.
        std::array<effect_range, 2> actions{};
        std::uint8_t action_ranges = 0;
        bool spilled = false;
        bool fired = false;  // a handler fired: the rule is its line, also when a form it led to asks
        // What is said before `text`, in order: the phrase of a handler that led into a form, whose
        // question (or 'complete' handler's words) follows. The first is kept here; a chain of
        // forms spills the rest into the session's scratch.
        bool leads_spilled = false;
        std::uint32_t lead = detail::none;  // into texts
    };
    void add_lead(decision& d, std::uint32_t text) {
        if (text == detail::none) return;
        if (d.lead == detail::none) {
            d.lead = text;
            return;
        }
        auto& spill = scratch().leads;
        if (!d.leads_spilled) spill.clear();
        spill.push_back(text);
        d.leads_spilled = true;
    }
    [[gnu::always_inline]] void add_actions(decision& d, effect_range r) {
        if (r.count == 0) return;
        if (d.action_ranges < d.actions.size()) [[likely]] {
            d.actions[d.action_ranges++] = r;
            return;
        }
        spill_actions(d, r);
    }
    [[gnu::noinline]] void spill_actions(decision& d, effect_range r) {
        auto& spill = scratch().spill;
        if (!d.spilled) spill.clear();
        spill.push_back(r);
        d.spilled = true;
    }

    // What a guard and a phrase read while a handler runs: the utterance's own slots before the
    // call's, the call's counters and variables, and the intent a question is about.
    // Variables and the intent's description speak `language`: the caller's in a guard, the
    // one a text is written in while it renders (a text the caller's language lacks falls back
    // to another language, and its placeholders follow it).
    struct scope {
        const session& call;
        std::span<const slot_value> slots = {};
        label_id subject = detail::none;
        std::uint8_t language = call.language_;
        double confidence = 1.0;  // the utterance's; a timer's, and a confirmed intent's, is 1

        [[nodiscard, gnu::always_inline]] std::int64_t counter(std::uint32_t i) const noexcept { return call.store_[i]; }
        [[nodiscard]] std::string_view variable(std::uint32_t i) const noexcept { return call.variable_value(i, language); }
        [[nodiscard, gnu::always_inline]] std::string_view slot(std::uint32_t i) const noexcept {
            if (!slots.empty()) {
                const auto name = call.tables().str(call.tables().slots[i]);
                for (const auto& s : slots)
                    if (s.name == name) return s.value;
            }
            return call.value(value_key(slot_kind, i));
        }
        [[nodiscard]] std::string_view description() const noexcept {
            if (subject == detail::none) return {};
            const auto& t = call.tables();
            return t.str(t.texts[t.labels[subject].first_description + language].whole);
        }
    };

    // What the untraced steps pass down: nothing, and no code.
    struct no_trace {
        static constexpr bool on = false;
        void tried(std::uint32_t, bool, std::optional<scope>) const noexcept {}
        void asked(const detail::form_field&) const noexcept {}
        template <class Note>
        void note(Note&&) const noexcept {}
    };
    // What a traced step passes down: each handler tried, and a note.
    struct tracer {
        static constexpr bool on = true;
        const session& call;
        step_trace& out;
        void tried(std::uint32_t handler, bool fired, std::optional<scope> values) const {  // the guard's values, when it did not hold
            const auto& t = call.tables();
            const auto& h = t.handlers[handler];
            const auto& text = t.handler_texts[handler];
            traced_handler e;
            if (h.rule.line != 0) e.rule = {t.files[h.rule.file], h.rule.line};
            e.trigger = t.str(text.trigger);
            e.guard = t.str(text.guard);
            e.fired = fired;
            if (values && h.guard != detail::none) call.describe_reads(h.guard, *values, e.read);
            out.handlers.push_back(std::move(e));
        }
        void asked(const detail::form_field& field) const {  // a form asked for a slot: its `ask` line speaks
            traced_handler e;
            e.rule = {call.tables().files[field.where.file], field.where.line};
            e.trigger = "ask";
            e.fired = true;
            out.handlers.push_back(std::move(e));
        }
        template <class Note>
        void note(Note&& make) const {
            out.note = make();
        }
    };
    // The values guard `node` reads, "insults = 0, name = \"Ana\"", appended to `out`.
    void describe_reads(std::uint32_t node, const scope& values, std::string& out) const {
        const auto& t = tables();
        const auto& g = t.guards[node];
        auto read = [&](std::string_view name, const auto& value) {
            fmt::format_to(std::back_inserter(out), "{}{} = {}", out.empty() ? "" : ", ", name, value);
        };
        auto text = [](std::string_view value) { return value.empty() ? std::string("unknown") : fmt::format("\"{}\"", value); };
        switch (g.op) {
            case detail::guard_op::always: break;
            case detail::guard_op::all_of:
            case detail::guard_op::any_of:
                for (std::uint32_t i = g.a; i < g.a + g.b; ++i) describe_reads(t.guard_children[i], values, out);
                break;
            case detail::guard_op::negate: describe_reads(g.a, values, out); break;
            case detail::guard_op::known_slot:
            case detail::guard_op::slot_cmp:
            case detail::guard_op::slot_number_cmp: read(t.str(t.slots[g.a]), text(values.slot(g.a))); break;
            case detail::guard_op::counter_cmp:  // the state's counts follow the counters: no_match, then no_input
                read(g.a < t.counters.size()    ? t.str(t.counters[g.a])
                     : g.a == t.counters.size() ? "no_match"
                                                : "no_input",
                     values.counter(g.a));
                break;
            case detail::guard_op::variable_cmp:
            case detail::guard_op::variable_number_cmp: read(t.str(t.variables[g.a]), text(values.variable(g.a))); break;
            case detail::guard_op::known_count_cmp:
                for (std::uint32_t i = g.a; i < g.a + g.b; ++i)
                    read(t.str(t.slots[t.guard_children[i]]), text(values.slot(t.guard_children[i])));
                break;
            case detail::guard_op::confidence_cmp: read("confidence", values.confidence); break;
            case detail::guard_op::values_cmp:
            case detail::guard_op::values_number_cmp:
                for (const auto& [source, index] : {std::pair{g.number & 3, g.a}, std::pair{g.number >> 2 & 3, g.b}}) {
                    if (source == detail::counter_value)
                        read(t.str(t.counters[index]), values.counter(index));
                    else
                        read(t.str(source == detail::slot_value ? t.slots[index] : t.variables[index]),
                             text(detail::text_of(static_cast<std::uint32_t>(source), index, values)));
                }
                break;
        }
    }

    // The dispatch column of labels the script does not declare: their `otherwise` handlers.
    [[nodiscard]] label_id otherwise_label() const noexcept { return tables().label_count; }

    // A declared label (or otherwise_label()), checked. A pending confirmation is settled first:
    // anything but yes (see step) goes back to where the question was asked, and no repeats it.
    // A doubtful intent is asked about instead of acted on; events never are.
    template <class Trace>
    [[gnu::always_inline]] decision decide(label_id label, double confidence, std::span<const slot_value> slots, Trace trace) {
        const auto& t = tables();
        if (pending_label_ != detail::none) {
            if constexpr (Trace::on)
                trace.note(
                    [&] { return fmt::format("the question about '{}' is settled: not a yes", t.str(t.labels[pending_label_].name)); });
            enter(pending_origin_, now_ms_);
            clear_pending();
            if (label == t.decline_label) return {.text = choose(t.confirm_repeat), .rule = t.confirm_where};
        }
        if (confidence < t.confidence_threshold && label != otherwise_label() && !t.labels[label].is_event) [[unlikely]] {
            if (t.confirm_state != detail::none) {
                if constexpr (Trace::on)
                    trace.note([&] {
                        return fmt::format("confidence {} is below the threshold {}: the caller is asked to confirm", confidence,
                                           t.confidence_threshold);
                    });
                return ask_to_confirm(label, slots);
            }
            if (t.below_threshold_label != detail::none) {
                if constexpr (Trace::on)
                    trace.note([&] {
                        return fmt::format("confidence {} is below the threshold {}: handled as '{}'", confidence, t.confidence_threshold,
                                           t.str(t.labels[t.below_threshold_label].name));
                    });
                label = t.below_threshold_label;
            }
        }
        return dispatch(label, slots, confidence, trace);
    }

    // ---- The quick path: a step whose every candidate handler asks the host for nothing and
    // enters no form, in a state that counts nothing (lower.cpp, lower_plans marks such cells),
    // with nothing pending. It does what decide, dispatch, fire and respond do, reading what the
    // compiler worked out of each handler from the handler's own cache line.
    [[gnu::always_inline]] reply quick_step(const detail::handler_range& range, std::span<const slot_value> slots, double confidence,
                                            std::string* buffer) {
        const auto& t = tables();
        const auto candidates = range.candidates();
        if (candidates.count == 0) [[unlikely]]  // and first_handler is none
            return make_reply({}, range.action, detail::none, {});
        const detail::handler* h = t.handlers.data() + range.first_handler;
        if (!(h->plan & detail::plan_plain)) [[unlikely]] {
            if (!quick_holds(*h, slots, confidence)) {  // the first candidate is usually the one
                std::uint32_t i = 1;
                for (; i < candidates.count; ++i) {
                    h = t.handlers.data() + t.candidates[candidates.first + i];
                    if (quick_holds(*h, slots, confidence)) break;
                }
                if (i == candidates.count) return make_reply({}, range.action, detail::none, {});
            }
            if (h->plan & detail::plan_changes) {
                if (h->plan & detail::plan_counts)
                    count(*h);
                else
                    quick_changes(*h, slots);
            }
        }
        auto action = range.action;
        if (h->plan & detail::plan_enters) {
            move_to(h->target, now_ms_, (h->plan & detail::plan_holds) != 0);
            ended_ = (h->plan & detail::plan_ends) != 0;
            action = h->action;
        }
        std::string_view phrase;
        if (h->plan & detail::plan_said) [[likely]] {
            phrase = t.str(h->said);
        } else {
            const auto& text = t.texts[h->says_text != detail::none ? h->says_text + language_ : choose(h->says)];
            phrase = say(buffer, text, slots, detail::none);
        }
        return make_reply(phrase, action, h->hint, h->rule);
    }
    // A direct cell (lower_plans): its first handler fires, changes nothing and says a text as
    // written; the cell has the rest. The handler's own line is read only for the reply's hint
    // and rule.
    [[gnu::always_inline]] reply direct_step(const detail::handler_range& range) noexcept {
        const auto& t = tables();
        if (range.target != detail::handler_range::stays) {
            move_to(range.target, now_ms_, range.action == action::hold);
            ended_ = is_terminal(range.action);
        }
        const auto& h = t.handlers[range.first_handler];
        return make_reply(t.str(range.said()), range.action, h.hint, h.rule);
    }
    [[nodiscard, gnu::always_inline]] bool quick_holds(const detail::handler& h, std::span<const slot_value> slots,
                                                       double confidence) const noexcept {
        if (h.test == detail::quick_test::always) [[likely]]
            return true;
        switch (h.test) {
            case detail::quick_test::always: return true;
            case detail::quick_test::counter: return detail::compares(double(store_[h.operand]), h.cmp, h.value);
            case detail::quick_test::confidence: return detail::compares(confidence, h.cmp, h.value);
            case detail::quick_test::guard:
                return detail::holds(tables(), h.operand, scope{*this, slots, detail::none, language_, confidence});
        }
        return false;
    }
    // The changes of a handler that only counts (plan_counts).
    [[gnu::always_inline]] void count(const detail::handler& h) noexcept {
        const auto* e = tables().effects.data() + h.first_effect;
        for (const auto* end = e + h.effect_count; e != end; ++e) {
            auto& n = store_[e->index];
            n = e->kind == detail::effect_kind::reset ? 0 : n == 255 ? n : n + 1;
        }
    }
    // The changes a quick handler makes, and those of the state it enters (no host actions: the
    // order of the two sets against the state change does not matter).
    [[gnu::noinline]] void quick_changes(const detail::handler& h, std::span<const slot_value> slots) {
        (void)apply({h.first_effect, h.effect_count}, slots);
        if (h.target != detail::none) {
            const auto& st = tables().states[h.target];
            (void)apply({st.first_entry_effect, st.entry_effect_count}, slots);
        }
    }

    // The first of the label's handlers in this state whose guard holds fires; none may.
    template <class Trace>
    [[gnu::always_inline]] decision dispatch(label_id label, std::span<const slot_value> slots, double confidence, Trace trace) {
        const auto& t = tables();
        const auto range = t.dispatch[std::size_t{state_} * t.label_columns() + label];
        if (!t.has_forms && t.state_count_bytes == 0) [[likely]] {  // the plain case: the first handler that holds
            for (std::uint32_t i = 0, count = range.candidate_count(); i < count; ++i) {
                const auto index = i == 0 ? range.first_handler : t.candidates[range.candidates().first + i];
                const auto& h = t.handlers[index];
                if (h.guard == detail::none || detail::holds(t, h.guard, scope{*this, slots, detail::none, language_, confidence})) {
                    if constexpr (Trace::on) trace.tried(index, true, {});
                    return fire(h, slots, now_ms_, decision{}, trace);
                }
                if constexpr (Trace::on) trace.tried(index, false, scope{*this, slots, detail::none, language_, confidence});
            }
            return {};
        }
        return dispatch_counting(range, label, slots, confidence, trace);
    }
    // The same, in a script with forms or per-state counts: they watch for `otherwise`.
    template <class Trace>
    [[gnu::noinline]] decision dispatch_counting(detail::handler_range range, label_id label, std::span<const slot_value> slots,
                                                 double confidence, Trace trace) {
        const auto& t = tables();
        const bool counts = t.state_count_bytes != 0;
        bool missed = false;  // counted in no_match: an `otherwise` handler was tried, or none fired
        if (counts && label == t.silence_label) [[unlikely]]
            count_in_state(1);
        const auto form = t.states[state_].form;
        for (std::uint32_t i = 0, count = range.candidate_count(); i < count; ++i) {
            const auto index = i == 0 ? range.first_handler : t.candidates[range.candidates().first + i];
            if (form != detail::none && t.otherwise_handler[index]) [[unlikely]]
                break;  // a form takes what its `on` handlers and the global ones do not
            if (counts && !missed && t.otherwise_handler[index]) [[unlikely]]
                count_in_state(0), missed = true;
            const auto& h = t.handlers[index];
            if (h.guard == detail::none || detail::holds(t, h.guard, scope{*this, slots, detail::none, language_, confidence})) {
                if constexpr (Trace::on) trace.tried(index, true, {});
                return fire(h, slots, now_ms_, decision{}, trace);
            }
            if constexpr (Trace::on) trace.tried(index, false, scope{*this, slots, detail::none, language_, confidence});
        }
        if (counts && !missed) count_in_state(0);
        if (form != detail::none) [[unlikely]]
            return form_turn(form, decision{.slots = slots}, slots, now_ms_, false, trace);
        return {};
    }

    // A handler's effects, then its target (entered at `at`), then its phrase: its own, which
    // replaces the entry phrase of an ordinary state it goes to, or that entry phrase. A form
    // says what it asks, or what its 'complete' handler says: the handler's own phrase then
    // comes first, in the same reply (the lead).
    // `d` holds what led here (a form that completed): its actions and its lead come first.
    template <class Trace>
    [[gnu::always_inline]] decision fire(const detail::handler& h, std::span<const slot_value> slots, std::int64_t at, decision d,
                                         Trace trace) {
        const auto& t = tables();
        d.hint = h.hint;
        d.rule = h.rule;
        d.fired = true;
        d.slots = slots;
        add_actions(d, apply({h.first_effect, h.effect_count}, slots));
        std::uint32_t phrase = h.phrase;
        if (h.target != detail::none) {
            enter(h.target, at);
            const auto& st = t.states[h.target];
            add_actions(d, apply({st.first_entry_effect, st.entry_effect_count}, slots));
            if (st.form != detail::none) [[unlikely]] {
                if (phrase != detail::none) add_lead(d, choose(phrase));
                return form_turn(st.form, std::move(d), slots, at, true, trace);
            }
            if (phrase == detail::none) phrase = st.entry;
        }
        d.text = choose(phrase);
        return d;
    }

    // A form's turn, on entering it or on an utterance its own handlers did not take: it keeps
    // the slots of its fields the utterance carries; when it has them all, its first 'complete'
    // handler whose guard holds fires; else it asks for the first slot it lacks (again, with the
    // reprompt, when the utterance filled nothing). `d` is what led here: its actions and its lead
    // stay, and so does its rule when a handler led here (else the rule is the field's `ask`).
    template <class Trace>
    [[gnu::noinline]] decision form_turn(std::uint32_t form_index, decision d, std::span<const slot_value> slots, std::int64_t at,
                                         bool entered, Trace trace) {
        const auto& t = tables();
        const auto& f = t.forms[form_index];
        bool filled = false;
        for (std::uint32_t i = f.first_field; i < f.first_field + f.field_count; ++i) {
            const auto slot = t.form_fields[i].slot;
            const auto name = t.str(t.slots[slot]);
            for (const auto& s : slots)
                if (s.name == name && !s.value.empty()) {
                    filled = filled || value(value_key(slot_kind, slot)).empty();
                    set_value(value_key(slot_kind, slot), s.value);
                }
        }
        for (std::uint32_t i = f.first_field; i < f.first_field + f.field_count; ++i) {
            const auto& field = t.form_fields[i];
            if (!value(value_key(slot_kind, field.slot)).empty()) continue;
            const auto phrase = entered || filled || field.reprompt == detail::none ? field.prompt : field.reprompt;
            d.text = choose(phrase);
            if (!d.fired) d.rule = field.where;
            if constexpr (Trace::on) trace.asked(field);
            return d;
        }
        for (std::uint32_t i = f.first_complete; i < f.first_complete + f.complete_count; ++i) {
            const auto index = t.form_completes[i];
            const auto& h = t.handlers[index];
            if (h.guard != detail::none && !detail::holds(t, h.guard, scope{*this, slots})) {
                if constexpr (Trace::on) trace.tried(index, false, scope{*this, slots});
                continue;
            }
            if constexpr (Trace::on) trace.tried(index, true, {});
            d.subject = detail::none;
            return fire(h, slots, at, std::move(d), trace);
        }
        // Complete, and no 'complete' handler's guard holds: the compiler refuses a form whose
        // 'complete' handlers may all fail (check_form_completes), so this says nothing only
        // for a script compiled past that check.
        d.text = detail::none;
        return d;
    }

    // Applies the changes to the call among `effects`; returns the host actions that follow them.
    [[gnu::always_inline]] effect_range apply(effect_range effects, std::span<const slot_value> slots) {
        const auto& t = tables();
        const std::uint32_t end = effects.first + effects.count;
        for (std::uint32_t i = effects.first; i < end; ++i) {
            const auto& e = t.effects[i];
            switch (e.kind) {
                case detail::effect_kind::increment:
                    if (store_[e.index] < 255) ++store_[e.index];
                    break;
                case detail::effect_kind::reset: store_[e.index] = 0; break;
                case detail::effect_kind::keep_slot:
                    for (const auto& s : slots)
                        if (s.name == t.str(e.slot_name)) set_value(value_key(slot_kind, e.index), s.value);
                    break;
                case detail::effect_kind::set_variable:  // the script's word wins over the host's, in every language
                    store_.erase_named(value_key(variable_kind, e.index));
                    set_value(value_key(variable_kind, e.index), t.str(e.value));
                    variables_set_ = true;
                    break;
                case detail::effect_kind::copy_slot: {  // an unknown slot gives the variable back its default
                    const auto value = scope{*this, slots}.slot(e.slot);
                    store_.erase_named(value_key(variable_kind, e.index));
                    if (value.empty())
                        store_.erase(value_key(variable_kind, e.index));
                    else
                        set_value(value_key(variable_kind, e.index), value);
                    variables_set_ = variables_set_ || !value.empty();
                    break;
                }
                case detail::effect_kind::clear_slot: store_.erase(value_key(slot_kind, e.index)); break;
                case detail::effect_kind::render_variable: set_rendered(e, slots); break;
                case detail::effect_kind::host_action: return {i, end - i};  // they come last
            }
        }
        return {end, 0};
    }

    // `set VARIABLE = "... {slot} ..."`: the text rendered with the call's values as they are now
    // (the utterance's slots first), in the script's default language, into the session's own
    // room, and kept for every language; at most max_slot_value_bytes, cut at a character.
    [[gnu::noinline]] void set_rendered(const detail::effect& e, std::span<const slot_value> slots) {
        const auto& t = tables();
        const auto& text = t.texts[e.slot];
        auto value =
            detail::render([&](std::size_t size) { return own_room(size); }, t, text, scope{*this, slots, detail::none, text.language});
        if (value.size() > max_slot_value_bytes) {
            std::size_t cut = max_slot_value_bytes;
            while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
            value = value.substr(0, cut);
        }
        const auto key = value_key(variable_kind, e.index);
        store_.erase_named(key);
        set_value(key, value);
        variables_set_ = true;
    }

    // Remembers the doubtful intent and its slots, and asks the caller about it.
    decision ask_to_confirm(label_id label, std::span<const slot_value> slots) {
        const auto& t = tables();
        pending_label_ = label;
        pending_origin_ = state_;
        for (const auto& s : slots) store_.add(pending_kind, s.name, s.value);
        enter(t.confirm_state, now_ms_);
        return {.text = choose(t.confirm_ask), .rule = t.confirm_where, .subject = label};
    }

    // The caller said yes: carry on exactly as if the pending intent had come with full
    // confidence, with the slots it came with (`pending`, a copy: see with_pending_slots).
    template <class Trace>
    decision accept(std::span<const slot_value> pending, Trace trace) {
        const label_id label = pending_label_;
        if constexpr (Trace::on)
            trace.note(
                [&] { return fmt::format("yes: '{}' as if heard with full confidence", tables().str(tables().labels[label].name)); });
        enter(pending_origin_, now_ms_);
        clear_pending();
        return dispatch(label, pending, 1.0, trace);
    }

    // The reply f makes of a copy of the slots awaiting confirmation, valid while f runs: the
    // handler that fires may change values_, where they are kept. On the stack for the usual
    // few short ones, else on the heap.
    template <class F>
    reply with_pending_slots(F&& f) {
        std::size_t count = 0, bytes = 0;
        store_.for_each([&](const detail::session_store::record& r) {
            if (r.key != pending_kind) return;
            ++count;
            bytes += r.name.size() + r.value.size();
        });
        std::array<slot_value, 8> few_views;
        char few_bytes[512];
        std::vector<slot_value> many_views;
        std::unique_ptr<char[]> many_bytes;
        std::span<slot_value> views(few_views.data(), std::min(count, few_views.size()));
        if (count > few_views.size()) {
            many_views.resize(count);
            views = many_views;
        }
        char* text = few_bytes;
        if (bytes > sizeof few_bytes) {
            many_bytes = std::make_unique_for_overwrite<char[]>(bytes);
            text = many_bytes.get();
        }
        std::size_t i = 0;
        store_.for_each([&](const detail::session_store::record& r) {
            if (r.key != pending_kind) return;
            std::memcpy(text, r.name.data(), r.name.size());  // a record's views are never null
            std::memcpy(text + r.name.size(), r.value.data(), r.value.size());
            views[i++] = {{text, r.name.size()}, {text + r.name.size(), r.value.size()}};
            text += r.name.size() + r.value.size();
        });
        return f(std::span<const slot_value>(views));
    }

    // The text of a phrase in the caller's language. A phrase with variants rotates through
    // them, never saying the same twice in a row.
    [[nodiscard, gnu::always_inline]] std::uint32_t choose(std::uint32_t phrase) noexcept {
        if (phrase == detail::none) return detail::none;
        const auto& t = tables();
        const auto& p = t.phrases[phrase];
        std::uint32_t variant = 0;
        if (p.rotation != detail::none) {
            auto& r = rotations()[p.rotation];  // always below variant_count; no division on the hot path
            variant = r < p.variant_count ? r : 0;
            r = static_cast<std::uint8_t>(variant + 1 == p.variant_count ? 0 : variant + 1);
        }
        return p.first_text + variant * static_cast<std::uint32_t>(t.languages.size()) + language_;
    }

    // ---- Replying: the one place a phrase is rendered, and where the call is found to end.

    // A text without placeholders, the common case, is handed out as it is, a view of the
    // script; the rest is rendered into `buffer`.
    // `buffer`: the host's, or null for the session's own.
    [[gnu::always_inline]] reply respond(std::string* buffer, const decision& d) {
        const auto& t = tables();
        const auto& st = t.states[state_];
        ended_ = is_terminal(st.action);
        std::string_view phrase;
        if (d.lead != detail::none) [[unlikely]] {
            phrase = say_joined(buffer, d);
        } else if (d.text != detail::none) {
            const auto& text = t.texts[d.text];
            phrase = say(buffer, text, d.slots, d.subject);
        }
        return make_reply(phrase, st.action, d.hint, d.rule, d.action_ranges != 0 ? resolve_actions(d) : std::span<const host_action>());
    }

    // The decision's leads, then its text, as one phrase: each rendered where the one before it
    // ends, a space between two that do not end or start with one. Into `buffer`, or the own.
    [[gnu::noinline]] std::string_view say_joined(std::string* buffer, const decision& d) {
        const auto& t = tables();
        std::size_t used = 0;
        auto room = [&](std::size_t size) { return (buffer ? detail::room_in(*buffer, used + size) : own_room(used + size, used)) + used; };
        auto base = [&] { return buffer ? buffer->data() : actions_->render(); };
        auto add = [&](std::uint32_t which) {
            if (which == detail::none) return;
            const auto& text = t.texts[which];
            const auto before = used;
            if (before != 0) *room(1) = ' ', ++used;  // taken back below when either side has its own space
            std::size_t size = 0;
            if (text.has_placeholders) {
                size = detail::render(room, t, text, scope{*this, d.slots, d.subject, text.language}).size();
            } else {
                const auto whole = t.str(text.whole);
                if (!whole.empty()) std::memcpy(room(whole.size()), whole.data(), whole.size());
                size = whole.size();
            }
            char* const at = base();
            if (size == 0) {
                used = before;
                return;
            }
            if (before != 0 &&
                (std::isspace(static_cast<unsigned char>(at[before - 1])) || std::isspace(static_cast<unsigned char>(at[used])))) {
                std::memmove(at + before, at + used, size);  // one space between is enough
                used = before;
            }
            used += size;
        };
        add(d.lead);
        if (d.leads_spilled)
            for (const auto lead : actions_->leads) add(lead);
        add(d.text);
        return used == 0 ? std::string_view() : std::string_view(base(), used);
    }

    // A text as said: as written, or as the compiler rendered it (with the script's values, and
    // for a question each label's description) for a call that has set no variable, or with no
    // slot known for a call that has no value at all and a step that brings no slot; else
    // rendered now.
    [[nodiscard, gnu::always_inline]] std::string_view say(std::string* buffer, const detail::text& text, std::span<const slot_value> slots,
                                                           label_id subject) {
        const auto& t = tables();
        if (!text.has_placeholders) [[likely]]
            return t.str(text.whole);
        if (!variables_set_) {
            if (text.variables_only) return t.str(text.by_default);
            if (text.by_subject != detail::none && subject < t.label_count) return t.str(t.subject_texts[text.by_subject + subject]);
            if (text.reads_slots && slots.empty() && store_.empty()) return t.str(text.by_default);
        }
        return render(buffer, text, slots, subject);
    }
    // A text with placeholders, rendered into `buffer` (the host's, or null for the session's own).
    [[nodiscard, gnu::noinline]] std::string_view render(std::string* buffer, const detail::text& text, std::span<const slot_value> slots,
                                                         label_id subject) {
        return detail::render([&](std::size_t size) { return buffer ? detail::room_in(*buffer, size) : own_room(size); }, tables(), text,
                              scope{*this, slots, subject, text.language});
    }

    // The reply in the call's state as it now stands; `hint` (a phrase, none: the state's) and
    // `rule` are the handler's, or what else spoke.
    [[nodiscard, gnu::always_inline]] reply make_reply(std::string_view phrase, parley::action action, std::uint32_t hint,
                                                       detail::source_ref rule, std::span<const host_action> actions = {}) const noexcept {
        reply r;
        r.phrase = phrase;
        r.action = action;
        r.state = state_;
        r.ended = ended_;
        r.actions = actions;
        r.tables_ = &tables();
        r.hint_ = hint;
        r.rule_ = rule;
        r.language_ = language_;
        return r;
    }

    action_scratch& scratch() {  // made the first time a reply has actions or renders into it
        if (!actions_) actions_ = action_scratch::make(0);
        return *actions_;
    }
    // The session's own render buffer, at least `size` bytes: the scratch's tail, which grows
    // with it, in one allocation. Its size is known from the session's own line (render_room_),
    // so that a render reads nothing of the scratch: with many live calls, it is rarely in cache.
    // `keep`: how many of its first bytes must survive its growth (a phrase joined piece by piece).
    [[nodiscard]] char* own_room(std::size_t size, std::size_t keep = 0) {
        if (!actions_ || own_room_bytes() < size) [[unlikely]]  // (a moved-from session keeps its render_room_)
            grow_own_room(size, keep);
        return actions_->render();
    }
    [[nodiscard]] std::size_t own_room_bytes() const noexcept { return render_room_ == 0 ? 0 : std::size_t{32} << render_room_; }
    // At least double, in powers of two from 64 bytes.
    [[gnu::noinline]] void grow_own_room(std::size_t size, std::size_t keep = 0) {
        auto room = static_cast<unsigned>(render_room_) + 1;
        while ((std::size_t{32} << room) < size) ++room;
        auto bigger = action_scratch::make(std::size_t{32} << room);
        if (actions_ && keep != 0) std::memcpy(bigger->render(), actions_->render(), std::min(keep, own_room_bytes()));
        if (actions_) bigger->take(std::move(*actions_));
        actions_ = std::move(bigger);
        render_room_ = room & 63u;  // under 64: no phrase comes near 2^63 bytes
    }

    // The decision's host actions, with their arguments' values as the call has them now,
    // copied into the session's scratch (an utterance's slots may be gone when step returns).
    // The scratch only grows: a session stops allocating once it has seen its largest actions.
    [[gnu::noinline]] std::span<const host_action> resolve_actions(const decision& d) {
        const auto& t = tables();
        const scope values{*this, d.slots};
        auto value_of = [&](const detail::host_argument_spec& a) -> std::string_view {
            switch (a.source) {
                case detail::argument_source::constant: return t.str(a.constant);
                case detail::argument_source::slot: return values.slot(a.index);
                case detail::argument_source::variable: return values.variable(a.index);
            }
            return {};
        };
        auto each_range = [&](auto&& f) {
            for (std::uint8_t r = 0; r < d.action_ranges; ++r) f(d.actions[r]);
            if (d.spilled)
                for (const auto& r : actions_->spill) f(r);
        };
        auto each_action = [&](auto&& f) {
            each_range([&](effect_range r) {
                for (std::uint32_t i = r.first; i < r.first + r.count; ++i) f(t.host_actions[t.effects[i].index]);
            });
        };
        std::size_t arguments = 0, bytes = 0;
        each_action([&](const detail::host_action_spec& a) {
            arguments += a.argument_count;
            for (std::uint32_t j = a.first_argument; j < a.first_argument + a.argument_count; ++j)
                if (t.host_arguments[j].source != detail::argument_source::constant) bytes += value_of(t.host_arguments[j]).size();
        });
        std::size_t count = 0;
        each_range([&](effect_range r) { count += r.count; });
        auto& scratch = this->scratch();
        if (scratch.actions.size() < count) scratch.actions.resize(count);
        if (scratch.arguments.size() < arguments) scratch.arguments.resize(arguments);
        if (scratch.text.size() < bytes) scratch.text.resize(bytes);
        std::size_t action = 0, argument = 0;
        char* text = scratch.text.data();
        each_action([&](const detail::host_action_spec& a) {
            const std::span<host_argument> own(scratch.arguments.data() + argument, a.argument_count);
            for (std::uint32_t j = 0; j < a.argument_count; ++j) {
                const auto& spec = t.host_arguments[a.first_argument + j];
                std::string_view value = value_of(spec);
                if (spec.source != detail::argument_source::constant && !value.empty()) {
                    std::memcpy(text, value.data(), value.size());
                    value = {text, value.size()};
                    text += value.size();
                }
                own[j] = {t.str(spec.name), value};
            }
            scratch.actions[action++] = {t.str(a.name), own};
            argument += a.argument_count;
        });
        return {scratch.actions.data(), action};
    }

    // Layout: the whole session is one cache line (64 bytes, aligned to 64), so that a step, which
    // reads its script pointer, state, clock and counters, fetches one line. With thousands of
    // live calls a session is rarely in cache when its step comes. What is not needed on most
    // steps lives elsewhere: the render buffer and action scratch on the heap, made when first
    // needed; the caller's values inline in store_ while they are small. Anything that wraps a
    // session rounds up to 64 bytes; keep sessions in their own array, as parley run does.
    parley::script script_;
    detail::session_store store_;  // counters, state counts, rotation positions, then the call's values
    // Times in milliseconds since pickup, at most max_clock_ms.
    std::uint32_t entered_at_ms_ = 0;
    std::uint32_t now_ms_ = 0;
    std::uint32_t hold_started_ms_ = 0;  // when the current hold started, while holding_
    label_id pending_label_ = detail::none;
    std::uint16_t state_ = 0;           // at most 65535 states (compile_limits::max_states)
    std::uint16_t pending_origin_ = 0;  // where a confirmation question was asked, while pending_label_
    std::uint8_t language_ = 0;
    std::uint8_t next_timer_ = 0;
    bool ended_ = false;
    bool holding_ : 1 = false;  // in a hold, which started at hold_started_ms_
    // Some variable may have a value of the call's (the host's, or a `set`'s) in store_; while
    // none has, a variable speaks the script's value and a text of variables only is said as
    // the compiler rendered it (text::by_default).
    bool variables_set_ : 1 = false;
    // The own render buffer in actions_ holds 32 << render_room_ bytes (0: none yet).
    std::uint8_t render_room_ : 6 = 0;
    // Scratch for a reply's host actions, their arguments and the arguments' values; made the
    // first time a reply has actions, then reused.
    //
    // And the session's render buffer (unless the host lends one), in the same allocation: its
    // bytes (own_room_bytes()) follow the struct.
    struct action_scratch {
        std::vector<host_action> actions;
        std::vector<host_argument> arguments;
        std::string text;
        std::vector<effect_range> spill;   // a decision's action ranges past its own few
        std::vector<std::uint32_t> leads;  // a decision's leads past its first (texts)

        struct free_block {
            void operator()(action_scratch* s) const noexcept {
                s->~action_scratch();
                ::operator delete(static_cast<void*>(s));
            }
        };
        using pointer = std::unique_ptr<action_scratch, free_block>;
        [[nodiscard]] static pointer make(std::size_t render_bytes) {
            void* block = ::operator new(sizeof(action_scratch) + render_bytes);
            return pointer(new (block) action_scratch{});
        }
        void take(action_scratch&& other) noexcept {
            actions = std::move(other.actions);
            arguments = std::move(other.arguments);
            text = std::move(other.text);
            spill = std::move(other.spill);
            leads = std::move(other.leads);
        }
        [[nodiscard]] char* render() noexcept { return reinterpret_cast<char*>(this + 1); }
    };
    action_scratch::pointer actions_;
};

// ---- Snapshots (the byte layout is in detail/snapshot.hpp) ----------------------------------

inline std::string session::snapshot() const {
    const auto& t = tables();
    detail::snapshot_writer w;
    w.bytes(detail::snapshot_magic);
    for (int i = 0; i < 8; ++i) w.u8(static_cast<std::uint8_t>(t.fingerprint >> (8 * i)));
    const bool pending = pending_label_ != detail::none;
    const bool holding = holding_;
    const bool counting = t.state_count_bytes != 0;
    w.u8(static_cast<std::uint8_t>((ended_ ? 1 : 0) | (pending ? 2 : 0) | (holding ? 4 : 0) | (counting ? 8 : 0)));
    w.str(t.str(t.states[state_].name));
    w.str(t.str(t.languages[language_]));
    w.varint(next_timer_);
    w.svarint(entered_at_ms_);
    w.svarint(now_ms_);
    if (holding) w.svarint(hold_started_ms_);
    if (counting) w.str({reinterpret_cast<const char*>(store_.fixed() + t.counters.size()), t.state_count_bytes});
    if (pending) {
        w.str(t.str(t.labels[pending_label_].name));
        w.str(t.str(t.states[pending_origin_].name));
        std::size_t n = 0;
        store_.for_each([&](const detail::session_store::record& r) { n += r.key == pending_kind; });
        w.varint(n);
        store_.for_each([&](const detail::session_store::record& r) {
            if (r.key != pending_kind) return;
            w.str(r.name);
            w.str(r.value);
        });
    }
    std::size_t nonzero = 0;
    for (std::size_t i = 0; i < t.counters.size(); ++i) nonzero += store_[i] != 0;
    w.varint(nonzero);
    for (std::size_t i = 0; i < t.counters.size(); ++i)
        if (store_[i] != 0) {
            w.str(t.str(t.counters[i]));
            w.u8(store_[i]);
        }
    w.str({reinterpret_cast<const char*>(rotations()), t.rotation_count});
    std::size_t values = 0;
    store_.for_each([&](const detail::session_store::record& r) { values += r.key != pending_kind; });
    w.varint(values);
    store_.for_each([&](const detail::session_store::record& r) {
        if (r.key == pending_kind) return;
        const bool is_variable = key_kind(r.key) == variable_kind;
        const auto index = key_index(r.key);
        w.u8(!is_variable ? 0 : r.name.empty() ? 1 : 2);
        w.str(t.str(is_variable ? t.variables[index] : t.slots[index]));
        if (is_variable && !r.name.empty()) w.str(r.name);  // the language
        w.str(r.value);
    });
    auto out = w.take();
    detail::seal_snapshot(out);
    return out;
}

// A snapshot becomes a session only when all of it checks out: its checksum first (see
// detail/snapshot.hpp), then every field, against the script and against the others, so that
// bytes with a good checksum but made up fields are refused as clearly as damaged ones.
inline session session::restore(parley::script s, std::string_view bytes, restore_mode mode) {
    using detail::snapshot_reader;
    session out(std::move(s));
    const auto& t = out.tables();
    snapshot_reader r(detail::unseal_snapshot(bytes));
    (void)r.bytes(detail::snapshot_magic.size());
    std::uint64_t fingerprint = 0;
    for (int i = 0; i < 8; ++i) fingerprint |= std::uint64_t(r.u8()) << (8 * i);
    const bool same_script = fingerprint == t.fingerprint;
    if (mode == restore_mode::exact && !same_script)
        detail::throw_session_error(session_errc::bad_snapshot,
                                    fmt::format("the snapshot was taken with another script (fingerprint {:016x}, this script {:016x}); "
                                                "restore with restore_mode::by_name to map it by state name",
                                                fingerprint, t.fingerprint));
    auto lookup = [](const detail::name_index& index, std::string_view name, std::string_view what) {
        auto it = index.find(name);
        if (it == index.end())
            detail::throw_session_error(session_errc::bad_snapshot,
                                        fmt::format("the snapshot's {} '{}' does not exist in this script", what, name));
        return it->second;
    };
    // A value as a step could have left it: at most max_slot_value_bytes (a variable: or as long
    // as a `set` of the script), and of the slot's or variable's type.
    auto check_value = [&](std::string_view what, detail::string_ref name, const detail::value_type& type, std::string_view value,
                           std::size_t longest) {
        if (value.size() > longest) snapshot_reader::fail(fmt::format("{} '{}' is longer than {} bytes", what, t.str(name), longest));
        if (!out.fits(type, value)) snapshot_reader::fail(fmt::format("{} '{}' has a value its type does not take", what, t.str(name)));
    };
    const auto flags = r.u8();
    if (flags > 15) snapshot_reader::fail("unknown flags");
    out.ended_ = flags & 1;
    out.state_ = small_state(lookup(t.state_index, r.str(), "state"));
    out.language_ = static_cast<std::uint8_t>(lookup(t.language_index, r.str(), "language"));
    const auto& state = t.states[out.state_];
    const auto next_timer = r.varint();
    if (next_timer > state.timer_count) snapshot_reader::fail("the timer position is out of range");
    out.next_timer_ = static_cast<std::uint8_t>(next_timer);
    // Times in order and at most max_clock_ms, as steps and advance() leave them: then no deadline
    // (a time plus at most a day) can overflow.
    const auto entered_at = r.svarint(), now = r.svarint();
    if (!(entered_at >= 0 && entered_at <= now && now <= detail::max_clock_ms))
        snapshot_reader::fail(fmt::format("its times are out of range (state entered at {} ms, now {} ms)", entered_at, now));
    out.entered_at_ms_ = clock(entered_at);
    out.now_ms_ = clock(now);
    // A hold runs while the call is in hold states (and through a confirmation question asked
    // during it); it started when the call entered the first of them.
    out.holding_ = flags & 4;
    if (out.holding_) {
        const auto hold_started = r.svarint();
        if (!(hold_started >= 0 && hold_started <= entered_at)) snapshot_reader::fail("the hold's start is out of range");
        out.hold_started_ms_ = clock(hold_started);
    } else if (state.action == action::hold) {  // a state that became a hold in a changed script: its hold starts at its entry
        if (same_script) snapshot_reader::fail("its state is a hold, but it records no hold");
        out.holding_ = true;
        out.hold_started_ms_ = clock(entered_at);
    }
    if (same_script && ((flags & 8) != 0) != (t.state_count_bytes != 0)) snapshot_reader::fail("its state counts contradict the script");
    if (flags & 8) {  // the state's counts, any from 0 to 255 (they stop there); a script that reads none drops them
        const auto counts = r.str();
        if (counts.size() != 2) snapshot_reader::fail("the state's counts have the wrong size");
        if (t.state_count_bytes != 0) std::memcpy(out.state_counts(), counts.data(), counts.size());
    }
    if (flags & 2) {  // a confirmation question is asked in the confirm state, about an intent
        if (t.confirm_state == detail::none || out.state_ != t.confirm_state)
            snapshot_reader::fail("it waits for a confirmation outside the confirmation state");
        out.pending_label_ = lookup(t.label_index, r.str(), "intent");
        if (t.labels[out.pending_label_].is_event) snapshot_reader::fail("it waits for the confirmation of an event");
        out.pending_origin_ = small_state(lookup(t.state_index, r.str(), "state"));
        const auto n = r.count(max_slots_per_utterance);
        for (std::size_t i = 0; i < n; ++i) {
            const auto name = r.str();
            const auto value = r.str();
            if (auto it = t.slot_index.find(name); it != t.slot_index.end())
                check_value("slot", t.slots[it->second], t.slot_types[it->second], value, max_slot_value_bytes);
            else if (value.size() > max_slot_value_bytes)
                snapshot_reader::fail(fmt::format("slot '{}' is longer than {} bytes", name, max_slot_value_bytes));
            out.store_.add(pending_kind, name, value);
        }
    }
    const auto counters = r.count(t.counters.size());
    for (std::size_t i = 0; i < counters; ++i) {  // any from 0 to 255: counters stop there
        const auto index = lookup(t.counter_index, r.str(), "counter");
        out.store_[index] = r.u8();
    }
    const auto rotation = r.str();
    if (same_script) {
        if (rotation.size() != t.rotation_count) snapshot_reader::fail("the rotation table has the wrong size");
        for (const auto& p : t.phrases) {
            if (p.rotation == detail::none) continue;
            const auto position = static_cast<std::uint8_t>(rotation[p.rotation]);
            if (position >= p.variant_count) snapshot_reader::fail("a phrase's rotation position is out of range");
            out.rotations()[p.rotation] = position;
        }
    }
    const auto values = r.count(t.slots.size() + t.variables.size() * (1 + t.languages.size()));
    for (std::size_t i = 0; i < values; ++i) {
        const auto kind = r.u8();  // 0 a slot, 1 a variable, 2 a variable in one language
        if (kind > 2) snapshot_reader::fail("unknown value kind");
        const auto name = r.str();
        const auto index = kind ? lookup(t.variable_index, name, "variable") : lookup(t.slot_index, name, "slot");
        const auto language = kind == 2 ? t.str(t.languages[lookup(t.language_index, r.str(), "language")]) : std::string_view();
        const auto value = r.str();
        if (kind == 0) {
            check_value("slot", t.slots[index], t.slot_types[index], value, max_slot_value_bytes);
        } else {
            const auto& type = t.variable_types[index];
            if (kind == 2 && !type.any_text())
                snapshot_reader::fail(fmt::format("variable '{}' has a type, but a value for one language", name));
            check_value("variable", t.variables[index], type, value, out.longest_variable_value(index));
        }
        out.store_.set(value_key(kind ? variable_kind : slot_kind, index), value, language);
        out.variables_set_ = out.variables_set_ || kind != 0;
    }
    if (!r.done()) snapshot_reader::fail("there are bytes after its end");
    if (out.ended_ != is_terminal(state.action)) snapshot_reader::fail("its ended flag contradicts its state");
    return out;
}

}  // namespace parley

#endif
