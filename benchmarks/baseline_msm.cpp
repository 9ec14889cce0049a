// rules/callcenter.rules written by hand with Boost.MSM (functor front-end), the way UML
// puts "global" handlers: the call is a composite state `conversation` holding every state
// of the script; the outer machine's transitions on `conversation` are the global handlers,
// tried only when the active inner state does not handle the event (UML priority). A
// state's `otherwise` is an `otherwise_event` sent when nothing handled the utterance.
// Guards of rows with the same source and event are exclusive, so MSM's order of trial
// (last row first) cannot change the outcome. Compiled as C++17 (see baseline_msm.hpp).

// The inner machine has 38 transitions; MPL's default sequences stop at 20.
#define BOOST_MPL_CFG_NO_PREPROCESSED_HEADERS
#define BOOST_MPL_LIMIT_VECTOR_SIZE 50
#define BOOST_MPL_LIMIT_MAP_SIZE 50

#include "baseline_msm.hpp"

#include <boost/msm/back/state_machine.hpp>
#include <boost/msm/front/functor_row.hpp>
#include <boost/msm/front/state_machine_def.hpp>

#include <new>
#include <utility>

namespace parley::bench::hand {
namespace {

namespace msm = boost::msm;
namespace mpl = boost::mpl;
using msm::front::Internal;
using msm::front::none;
using msm::front::Row;

// One event type per intent, carrying the utterance; and the fallback.
template <intent I>
struct ev {
    const input* in;
};
struct otherwise_event {
    const input* in;
};

// Rows name actions and guards as types: F::run(data, utterance), F::test(data, utterance).
template <class F>
struct act {
    template <class E, class M, class S, class T>
    void operator()(const E& e, M& m, S&, T&) const {
        F::run(*m.data, *e.in);
    }
};
template <const std::string_view& Phrase>
struct say {
    template <class E, class M, class S, class T>
    void operator()(const E&, M& m, S&, T&) const {
        m.data->phrase = Phrase;
    }
};
template <class F>
struct when {
    template <class E, class M, class S, class T>
    bool operator()(const E& e, M& m, S&, T&) const {
        return F::test(*m.data, *e.in);
    }
};

// Entering a state: its entry phrase, unless the transition said something.
template <state S>
struct base_state : msm::front::state<> {
    template <class E, class M>
    void on_entry(const E&, M& m) {
        m.data->go(S, m.data->phrase);
    }
};
// The targets of global handlers are entered from outside `conversation`.
template <state S>
struct entry_state : base_state<S>, msm::front::explicit_entry<0> {};

// ---- actions -------------------------------------------------------------------------------
struct greet_by_name {
    static void run(call_data& c, const input& in) {
        c.keep_name(in);
        c.phrase = c.format(FMT_COMPILE(ru::give_name), c.name_of(in));
    }
};
struct take_purpose {
    static void run(call_data& c, const input& in) {
        c.keep_topic(in);
        if (call_data::slot(in.topic, c.topic) == "address")
            c.phrase = ru::address;
        else if (c.knows_name(in))
            c.phrase = c.format(FMT_COMPILE(ru::purpose_named), c.name_of(in));
        else
            c.phrase = ru::purpose;
    }
};
struct take_complaint {
    static void run(call_data& c, const input& in) {
        const bool at_fault = call_data::slot(in.fault, c.fault) == "caller";
        c.keep_fault(in);
        if (at_fault)
            c.phrase = ru::caller_at_fault;
        else if (c.knows_name(in))
            c.phrase = c.format(FMT_COMPILE(ru::complaint_named), c.name_of(in));
        else
            c.phrase = ru::complaint;
    }
};
struct ask_purpose {
    static void run(call_data& c, const input&) {
        call_data::count(c.rambling);
        c.phrase = ru::rambling;
    }
};
struct clarified {
    static void run(call_data& c, const input& in) {
        c.keep_topic(in);
        c.phrase = ru::clarify_purpose;
    }
};
struct interrupt_softly {
    static void run(call_data& c, const input& in) {
        if (const auto topic = call_data::slot(in.topic, c.topic); !topic.empty())
            c.phrase = c.format(FMT_COMPILE(ru::rambling_topic), topic);
        else
            c.phrase = ru::rambling_advice;
    }
};
struct assure {
    static void run(call_data& c, const input& in) {
        c.keep_name(in);
        c.phrase = c.format(FMT_COMPILE(ru::assure_named), c.name_of(in));
    }
};
struct join_complaint {
    static void run(call_data& c, const input& in) {
        if (call_data::slot(in.fault, c.fault) == "caller") {
            c.phrase = ru::caller_at_fault;
            return;
        }
        c.keep_topic(in);
        c.phrase = c.format(FMT_COMPILE(ru::join), vars::extension, vars::operator_name);
    }
};
struct join_purpose {
    static void run(call_data& c, const input& in) {
        c.keep_topic(in);
        c.phrase = c.format(FMT_COMPILE(ru::join), vars::extension, vars::operator_name);
    }
};
struct calm_anger {
    static void run(call_data& c, const input&) { c.phrase = call_data::rotate(ru::anger, c.anger_turn); }
};
struct offer_option {
    static void run(call_data& c, const input&) {
        call_data::count(c.offers);
        c.phrase = ru::option;
    }
};
struct back_to_question {
    static void run(call_data& c, const input& in) {
        c.keep_name(in);
        c.keep_topic(in);
        c.phrase = ru::back_thanks;
    }
};
struct hold_again {
    static void run(call_data& c, const input&) { call_data::count(c.holds); }
};
struct warn_abuse {
    static void run(call_data& c, const input&) {
        call_data::count(c.abuse);
        c.phrase = ru::abuse_warn;
    }
};
struct warn_off_topic {
    static void run(call_data& c, const input&) {
        call_data::count(c.off_topic);
        c.phrase = c.format(FMT_COMPILE(ru::off_topic_warn), vars::service);
    }
};
struct back_on_topic {
    static void run(call_data& c, const input& in) {
        call_data::count(c.off_topic);
        c.phrase = c.knows_name(in) ? c.format(FMT_COMPILE(ru::off_topic_named), c.name_of(in), vars::company)
                                    : c.format(FMT_COMPILE(ru::off_topic), vars::company);
    }
};
struct not_about_me {
    static void run(call_data& c, const input& in) {
        call_data::count(c.off_topic);
        c.phrase = c.knows_name(in) ? c.format(FMT_COMPILE(ru::personal_named), vars::operator_name, c.name_of(in))
                                    : c.format(FMT_COMPILE(ru::personal), vars::operator_name);
    }
};
struct ask_to_speak {
    static void run(call_data& c, const input&) {
        call_data::count(c.silences);
        c.phrase = ru::silence;
    }
};
struct backchannel {
    static void run(call_data& c, const input&) { c.phrase = call_data::rotate(ru::venting, c.venting_turn); }
};
struct rephrase {
    static void run(call_data& c, const input&) { c.phrase = call_data::rotate(ru::didnt_catch, c.didnt_catch_turn); }
};
struct ask_for_respect {
    static void run(call_data& c, const input& in) {
        c.phrase = c.knows_name(in) ? c.format(FMT_COMPILE(ru::interrupting_named), c.name_of(in)) : ru::interrupting;
    }
};
struct refer_to_specialist {
    static void run(call_data& c, const input& in) {
        c.phrase = c.knows_name(in) ? c.format(FMT_COMPILE(ru::where_named), c.name_of(in)) : ru::where;
    }
};
struct decline_spam {
    static void run(call_data& c, const input&) { c.phrase = c.format(FMT_COMPILE(ru::spam), vars::offers_email); }
};
struct thank_by_name {
    static void run(call_data& c, const input& in) {
        if (c.knows_name(in)) c.phrase = c.format(FMT_COMPILE(ru::thanks_named), c.name_of(in));
    }
};

// ---- guards --------------------------------------------------------------------------------
struct no_offer_yet {
    static bool test(const call_data& c, const input&) { return c.offers == 0; }
};
struct offered {
    static bool test(const call_data& c, const input&) { return c.offers >= 1; }
};
struct held_before {
    static bool test(const call_data& c, const input&) { return c.holds >= 1; }
};
struct first_hold {
    static bool test(const call_data& c, const input&) { return c.holds == 0; }
};
struct abusive_before {
    static bool test(const call_data& c, const input&) { return c.abuse >= 1; }
};
struct no_abuse_yet {
    static bool test(const call_data& c, const input&) { return c.abuse == 0; }
};
struct off_topic_twice {
    static bool test(const call_data& c, const input&) { return c.off_topic >= 2; }
};
struct off_topic_once {
    static bool test(const call_data& c, const input&) { return c.off_topic == 1; }
};
struct on_topic_so_far {
    static bool test(const call_data& c, const input&) { return c.off_topic == 0; }
};
struct silent_before {
    static bool test(const call_data& c, const input&) { return c.silences >= 1; }
};
struct first_silence {
    static bool test(const call_data& c, const input&) { return c.silences == 0; }
};

// ---- states --------------------------------------------------------------------------------
struct intake : base_state<state::intake> {
    struct internal_transition_table
        : mpl::vector<Internal<ev<intent::greeting>, say<ru::greeting>, none>, Internal<ev<intent::give_name>, act<greet_by_name>, none>,
                      Internal<ev<intent::state_purpose>, act<take_purpose>, none>, Internal<ev<intent::accept>, say<ru::accept>, none>,
                      Internal<ev<intent::decline>, say<ru::decline>, none>> {};
};
using clarify = base_state<state::clarify>;
struct de_escalate : entry_state<state::de_escalate> {
    struct internal_transition_table
        : mpl::vector<Internal<ev<intent::give_name>, act<assure>, none>, Internal<ev<intent::complaint>, act<join_complaint>, none>,
                      Internal<ev<intent::state_purpose>, act<join_purpose>, none>, Internal<ev<intent::anger>, act<calm_anger>, none>,
                      Internal<ev<intent::decline>, say<ru::which_solution>, none>> {};
};
struct offer_alternative : base_state<state::offer_alternative> {
    struct internal_transition_table
        : mpl::vector<
              Internal<ev<intent::accept>, act<offer_option>, when<no_offer_yet>>, Internal<ev<intent::no_time>, say<ru::no_time>, none>,
              Internal<ev<intent::reject_terms>, say<ru::reject_terms>, none>, Internal<ev<intent::reject_all>, say<ru::offer_entry>, none>,
              Internal<ev<intent::decline>, say<ru::offer_entry>, none>, Internal<otherwise_event, none, none>> {};
};
using callback = base_state<state::callback>;
using warn = entry_state<state::warn>;
using hold = base_state<state::hold>;
using hold_expired = base_state<state::hold_expired>;
using child_check = entry_state<state::child_check>;
using transfer = entry_state<state::transfer>;
using hangup = entry_state<state::hangup>;
using close = entry_state<state::close>;

struct conversation_ : msm::front::state_machine_def<conversation_> {
    call_data* data = nullptr;
    using no_message_queue = int;
    using no_exception_thrown = int;
    using initial_state = intake;
    using explicit_creation = mpl::vector<hangup, transfer>;

    struct transition_table
        : mpl::vector<Row<intake, ev<intent::complaint>, de_escalate, act<take_complaint>, none>,
                      Row<intake, ev<intent::anger>, de_escalate, none, none>, Row<intake, ev<intent::unclear>, clarify, none, none>,
                      Row<intake, ev<intent::rambling>, clarify, act<ask_purpose>, none>,
                      Row<intake, ev<intent::no_time>, offer_alternative, say<ru::no_time>, none>,
                      Row<intake, ev<intent::reject_terms>, offer_alternative, say<ru::reject_terms>, none>,
                      Row<intake, ev<intent::reject_all>, offer_alternative, none, none>,
                      Row<intake, ev<intent::call_later>, callback, none, none>, Row<intake, ev<intent::out_of_script>, hold, none, none>,

                      Row<clarify, ev<intent::state_purpose>, intake, act<clarified>, none>,
                      Row<clarify, ev<intent::rambling>, none, act<interrupt_softly>, none>,
                      Row<clarify, ev<intent::unclear>, none, say<ru::unclear>, none>,
                      Row<clarify, ev<intent::accept>, intake, say<ru::clarify_accept>, none>,
                      Row<clarify, ev<intent::decline>, none, say<ru::clarify_decline>, none>,
                      Row<clarify, otherwise_event, intake, none, none>,

                      Row<de_escalate, ev<intent::accept>, close, say<ru::understanding>, none>,
                      Row<de_escalate, ev<intent::no_time>, offer_alternative, none, none>,
                      Row<de_escalate, ev<intent::reject_terms>, offer_alternative, none, none>,
                      Row<de_escalate, ev<intent::reject_all>, offer_alternative, none, none>,

                      Row<offer_alternative, ev<intent::accept>, close, say<ru::deal>, when<offered>>,
                      Row<offer_alternative, ev<intent::call_later>, callback, none, none>,

                      Row<callback, otherwise_event, close, say<ru::call_back>, none>,

                      Row<warn, ev<intent::state_purpose>, intake, act<back_to_question>, none>,
                      Row<warn, ev<intent::complaint>, intake, act<back_to_question>, none>,
                      Row<warn, ev<intent::accept>, intake, act<back_to_question>, none>,
                      Row<warn, ev<intent::give_name>, intake, act<back_to_question>, none>,
                      Row<warn, otherwise_event, intake, say<ru::back>, none>,

                      Row<hold, ev<intent::answer_found>, intake, say<ru::answer_found>, none>,
                      Row<hold, ev<intent::silence>, none, none, none>, Row<hold, otherwise_event, none, say<ru::still_checking>, none>,

                      Row<hold_expired, ev<intent::accept>, transfer, say<ru::specialist>, when<held_before>>,
                      Row<hold_expired, ev<intent::accept>, hold, act<hold_again>, when<first_hold>>,
                      Row<hold_expired, ev<intent::call_later>, close, say<ru::call_back_later>, none>,
                      Row<hold_expired, ev<intent::decline>, close, say<ru::call_back_later>, none>,
                      Row<hold_expired, ev<intent::answer_found>, intake, say<ru::answer_found>, none>,
                      Row<hold_expired, otherwise_event, none, none, none>,

                      Row<child_check, ev<intent::accept>, intake, say<ru::adult>, none>,
                      Row<child_check, otherwise_event, close, say<ru::adults_only>, none>> {};

    template <class M, class E>
    void no_transition(const E&, M&, int) {}
};
using conversation = msm::back::state_machine<conversation_>;
template <class S>
using to = conversation::direct<S>;

// The global handlers, on the composite state.
struct call_ : msm::front::state_machine_def<call_> {
    call_data* data = nullptr;
    using no_message_queue = int;
    using no_exception_thrown = int;
    using initial_state = conversation;

    struct transition_table
        : mpl::vector<Row<conversation, ev<intent::insult>, to<hangup>, say<ru::abuse_hangup>, when<abusive_before>>,
                      Row<conversation, ev<intent::insult>, to<warn>, act<warn_abuse>, when<no_abuse_yet>>,
                      Row<conversation, ev<intent::threat>, to<hangup>, say<ru::abuse_hangup>, when<abusive_before>>,
                      Row<conversation, ev<intent::threat>, to<warn>, act<warn_abuse>, when<no_abuse_yet>>,
                      Row<conversation, ev<intent::off_topic>, to<hangup>, say<ru::off_topic_hangup>, when<off_topic_twice>>,
                      Row<conversation, ev<intent::off_topic>, to<warn>, act<warn_off_topic>, when<off_topic_once>>,
                      Row<conversation, ev<intent::off_topic>, none, act<back_on_topic>, when<on_topic_so_far>>,
                      Row<conversation, ev<intent::personal_question>, to<hangup>, say<ru::off_topic_hangup>, when<off_topic_twice>>,
                      Row<conversation, ev<intent::personal_question>, to<warn>, act<warn_off_topic>, when<off_topic_once>>,
                      Row<conversation, ev<intent::personal_question>, none, act<not_about_me>, when<on_topic_so_far>>,
                      Row<conversation, ev<intent::silence>, to<hangup>, say<ru::silence_hangup>, when<silent_before>>,
                      Row<conversation, ev<intent::silence>, none, act<ask_to_speak>, when<first_silence>>,
                      Row<conversation, ev<intent::venting>, none, act<backchannel>, none>,
                      Row<conversation, ev<intent::interrupting>, to<de_escalate>, act<ask_for_respect>, none>,
                      Row<conversation, ev<intent::rapid_questions>, none, say<ru::rapid_questions>, none>,
                      Row<conversation, ev<intent::didnt_catch>, none, act<rephrase>, none>,
                      Row<conversation, ev<intent::demand_manager_contact>, to<de_escalate>, say<ru::manager_contact>, none>,
                      Row<conversation, ev<intent::demand_supervisor>, to<transfer>, say<ru::supervisor>, none>,
                      Row<conversation, ev<intent::where_are_you>, to<transfer>, act<refer_to_specialist>, none>,
                      Row<conversation, ev<intent::emergency>, to<transfer>, say<ru::emergency>, none>,
                      Row<conversation, ev<intent::child>, to<child_check>, none, none>,
                      Row<conversation, ev<intent::spam>, to<close>, act<decline_spam>, none>,
                      Row<conversation, ev<intent::operator_unwell>, to<transfer>, say<ru::unwell>, none>,
                      Row<conversation, ev<intent::tech_failure>, to<close>, say<ru::tech_failure>, none>,
                      Row<conversation, ev<intent::thanks>, to<close>, act<thank_by_name>, none>,
                      Row<conversation, ev<intent::goodbye>, to<close>, act<thank_by_name>, none>> {};

    template <class M, class E>
    void no_transition(const E&, M&, int) {}
};

// A classified utterance becomes its event type through one jump table.
using outer = msm::back::state_machine<call_>;
using fire_fn = msm::back::HandledEnum (*)(outer&, const input&);
template <std::size_t I>
msm::back::HandledEnum fire(outer& m, const input& in) {
    return m.process_event(ev<static_cast<intent>(I)>{&in});
}
template <std::size_t... I>
constexpr std::array<fire_fn, intent_count> make_table(std::index_sequence<I...>) {
    return {&fire<I>...};
}
constexpr auto fire_table = make_table(std::make_index_sequence<intent_count>());

}  // namespace

struct msm_call::machine : outer {};
static_assert(sizeof(outer) <= msm_call::machine_size, "raise msm_call::machine_size");
static_assert(alignof(outer) <= 8);

msm_call::machine& msm_call::get() noexcept { return *std::launder(reinterpret_cast<machine*>(storage_)); }

void msm_call::bind() noexcept {
    get().data = &data_;
    get().get_state<conversation&>().data = &data_;
}

msm_call::msm_call() {
    new (storage_) machine();
    bind();
    get().start();
}
msm_call::msm_call(msm_call&& other) noexcept : data_(std::move(other.data_)) {
    new (storage_) machine(std::move(other.get()));
    bind();
}
msm_call& msm_call::operator=(msm_call&& other) noexcept {
    data_ = std::move(other.data_);
    get() = std::move(other.get());
    bind();
    return *this;
}
msm_call::~msm_call() { get().~machine(); }

// The machine entered intake when it was constructed; this only says so.
output msm_call::start() {
    data_.go(data_.where);
    return data_.reply();
}

output msm_call::step(const input& in) {
    return confirming_step(data_, in, [this](call_data&, const input& u) {
        if (fire_table[static_cast<std::size_t>(u.what)](get(), u) != msm::back::HANDLED_TRUE) get().process_event(otherwise_event{&u});
    });
}

}  // namespace parley::bench::hand
