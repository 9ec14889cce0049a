// Random utterance sequences against the default script and a small one with every snapshot field
// (typed slots and variables, a form, timers, a hold, a confirmation, per-state counts): labels,
// confidences, slots, time, languages, snapshot/restore and reset in between; an ended call goes
// on as a new call on the same session. Snapshots restored are of three kinds, by the first byte:
// the session's own (which must restore to the same bytes), the fuzzer's raw bytes, and the
// session's own with bytes changed and the checksum recomputed, which gets past the checksum to
// the field checks. Every session_error is a clean refusal; anything else (a crash, a sanitizer
// report, a restored session that answers differently or does not snapshot to itself, a reply
// that says nothing without a reason) is a bug.
#include <parley/compiler.hpp>
#include <parley/session.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
const parley::script& callcenter() {
    static const parley::script s = parley::load(PARLEY_SOURCE_DIR "/rules/callcenter.rules");
    return s;
}
const parley::script& every_field() {
    static const parley::script s = [] {
        auto result = parley::compile_string(R"(setting language = en
setting threshold = 0.5
setting hold_timeout = 60
slot name
slot days: number
slot level: guest | gold
variable limit: number = "50"
variable tier: basic | premium = "basic"
variable company = en "Acme" ru "Акме"
counter asked
intent give_name: en "you give your name" ru "вы называете имя"
intent refund: en "you want a refund" ru "вы хотите вернуть деньги"
intent wait
intent found
intent accept
intent decline
event outage
confirm -> asking
  ask en "Did you mean that {intent}?" ru "Вы имели в виду, что {intent}?"
  repeat "Please say that again."
end
global
  on outage -> done
end
state talk initial
  say en "Hello, {company}." ru "Здравствуйте, {company}."
  on refund -> form
  on wait -> hold
    increment asked
    set tier = "premium"
  on give_name -> stay
    keep name, level
    say "Sure, {name}." | "Of course." | "Certainly."
  otherwise if no_match >= 3 -> done
  otherwise -> stay
    say "Sorry?"
  after 30s -> stay
    say "Still there?"
end
state asking
end
state form
  ask name "Your name?"
  ask days "How many days ago?"
  on decline -> talk
  complete if days <= 30 -> done
  complete if days > 30 -> talk
    say "That is too long ago."
end
state hold action hold
  say "One moment."
  on found -> talk
  after 20s -> stay
    say "Still looking."
end
state done action close
end
)",
                                             "every_field.rules");
        if (!result.script) std::abort();
        return *result.script;
    }();
    return s;
}

class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::string text() {
        const std::size_t n = byte() % 24;
        std::string s;
        for (std::size_t i = 0; i < n && !empty(); ++i) s.push_back(static_cast<char>(byte()));
        return s;
    }
    std::string_view rest() {
        const auto* p = reinterpret_cast<const char*>(data_ + pos_);
        const std::size_t n = size_ - std::min(pos_, size_);
        pos_ = size_;
        return {p, n};
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// A restored session is a valid one: its snapshot restores to itself, and every label steps it.
void check_restored(const parley::script& s, const parley::session& call) {
    const auto again = call.snapshot();
    if (parley::session::restore(s, again).snapshot() != again) std::abort();
    if (auto due = call.next_deadline(); due && !(*due >= 0)) std::abort();
    for (parley::label_id label = 0; label < s.label_count(); ++label) {
        parley::session copy = call;
        try {
            if (auto due = copy.next_deadline()) copy.advance(*due, [](const parley::reply& r) { (void)r.phrase.size(); });
            (void)copy.step(label, 0.4);
            (void)copy.snapshot();
        } catch (const parley::session_error&) {}
    }
}

// No reply says nothing without a reason. A reply with neither a phrase nor a rule is one that no
// handler made: none fired (the step's trace shows none), and it is not a form's that completed
// with no 'complete' handler taken (the compiler refuses a form whose 'complete' handlers may
// all fail). Every other reply names the rule that made it, be it silent.
void check_said(const parley::reply& r, const parley::step_trace& why) {
    if (!r.phrase.empty() || r.rule()) return;
    for (const auto& h : why.handlers)
        if (h.fired || h.trigger == "complete") std::abort();
}
// A pickup and a timer always have a rule: the initial state's (or its form's `ask`), the timer's.
void check_ruled(const parley::reply& r) {
    if (!r.rule()) std::abort();
}

// One operation on the call, from the next bytes of the input.
void operate(const parley::script& s, input& in, parley::session& call, double& clock) {
    if (call.ended()) call.reset();
    const auto op = in.byte();
    parley::step_trace why;
    switch (op % 11) {
        case 0: check_ruled(call.start()); break;
        case 1: {
            clock = std::max(clock, call.now()) + in.byte() / 4.0;
            call.advance(clock, [](const parley::reply& r) { check_ruled(r); });
            break;
        }
        case 2: {
            const auto bytes = call.snapshot();
            auto copy = parley::session::restore(s, bytes, in.byte() % 2 ? parley::restore_mode::exact : parley::restore_mode::by_name);
            if (copy.snapshot() != bytes) std::abort();
            call = std::move(copy);
            break;
        }
        case 3: call.set_language(in.byte() % 2 ? "en" : in.text()); break;
        case 4: {
            auto name = in.text();
            check_said(call.step(name, in.byte() / 255.0, {}, why), why);
            break;
        }
        case 5: call.reset(); break;
        case 6: {  // a value the session handed out, passed back to it
            const parley::slot_value slots[] = {{"name", call.slot(in.byte() % 2 ? "name" : "topic")}};
            check_said(call.step(static_cast<parley::label_id>(in.byte() % s.label_count()), 1.0, slots, why), why);
            break;
        }
        case 7: {  // typed slots, with values they take and values they do not
            static constexpr const char* values[] = {"3", "12.5", "gold", "guest", "ten", "", "1e400"};
            const parley::slot_value slots[] = {{"days", values[in.byte() % 7]}, {"level", values[in.byte() % 7]}};
            check_said(call.step(static_cast<parley::label_id>(in.byte() % s.label_count()), in.byte() / 200.0, slots, why), why);
            break;
        }
        default: {
            const auto label = static_cast<parley::label_id>(in.byte() % (s.label_count() + 1));
            const std::string name = in.text(), value = in.text();
            const parley::slot_value slots[] = {{"name", value}, {name, value}};
            if (label < s.label_count())  // (a traced step takes declared labels only: the last is any other)
                check_said(call.step(label, in.byte() / 250.0, slots, why), why);
            else
                (void)call.step(label, in.byte() / 250.0, slots);
        }
    }
}

void run(const parley::script& s, input& in, parley::session& call, double& clock) {
    while (!in.empty()) {
        try {
            operate(s, in, call, clock);
        } catch (const parley::session_error&) {}
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input in(data, size);
    const auto how = in.byte();
    const auto& s = how & 4 ? every_field() : callcenter();
    const auto mode = how & 8 ? parley::restore_mode::by_name : parley::restore_mode::exact;
    parley::session call(s);
    double clock = 0;
    switch (how % 4) {
        case 0: {  // the fuzzer's bytes as a snapshot
            try {
                call = parley::session::restore(s, in.rest(), mode);
            } catch (const parley::session_error&) {
                return 0;
            }
            check_restored(s, call);
            return 0;
        }
        case 1: {  // a call's snapshot with bytes changed and the checksum recomputed, then more steps
            const std::size_t steps = in.byte() % 16;
            for (std::size_t i = 0; i < steps && !in.empty(); ++i) try {
                    operate(s, in, call, clock);
                } catch (const parley::session_error&) {}
            std::string bytes = call.snapshot();
            for (std::size_t edits = in.byte() % 8 + 1; edits > 0 && !in.empty(); --edits) {
                const std::size_t at = (std::size_t(in.byte()) << 8 | in.byte()) % bytes.size();
                const auto value = static_cast<char>(in.byte());
                switch (in.byte() % 3) {
                    case 0: bytes[at] = value; break;
                    case 1: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), value); break;
                    default: bytes.erase(at, 1);
                }
            }
            parley::detail::reseal_snapshot(bytes);
            try {
                call = parley::session::restore(s, bytes, mode);
            } catch (const parley::session_error&) {
                return 0;
            }
            check_restored(s, call);
            clock = call.now();
            run(s, in, call, clock);
            return 0;
        }
        default: run(s, in, call, clock); return 0;
    }
}
