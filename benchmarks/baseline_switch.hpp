// rules/callcenter.rules written by hand as a switch: the state's own handlers, then the
// global ones, then the state's `otherwise`, in the order the script gives them.
#ifndef PARLEY_BENCHMARKS_BASELINE_SWITCH_HPP_INCLUDED
#define PARLEY_BENCHMARKS_BASELINE_SWITCH_HPP_INCLUDED

#include "baseline.hpp"

namespace parley::bench::hand {

class switch_call {
public:
    output start() {
        data_.go(state::intake);
        return data_.reply();
    }
    output step(const input& in) {
        return confirming_step(data_, in, [](call_data& c, const input& u) {
            if (!own(c, u) && !global(c, u)) otherwise(c);
        });
    }
    [[nodiscard]] bool ended() const noexcept { return data_.ended; }

private:
    using i = intent;

    static bool own(call_data& c, const input& in) {
        switch (c.where) {
            case state::intake:
                switch (in.what) {
                    case i::greeting: c.stay(ru::greeting); return true;
                    case i::give_name:
                        c.keep_name(in);
                        c.stay(c.format(FMT_COMPILE(ru::give_name), c.name_of(in)));
                        return true;
                    case i::state_purpose:
                        c.keep_topic(in);
                        if (call_data::slot(in.topic, c.topic) == "address")
                            c.stay(ru::address);
                        else if (c.knows_name(in))
                            c.stay(c.format(FMT_COMPILE(ru::purpose_named), c.name_of(in)));
                        else
                            c.stay(ru::purpose);
                        return true;
                    case i::complaint: {
                        const bool at_fault = call_data::slot(in.fault, c.fault) == "caller";
                        c.keep_fault(in);
                        if (at_fault)
                            c.go(state::de_escalate, ru::caller_at_fault);
                        else if (c.knows_name(in))
                            c.go(state::de_escalate, c.format(FMT_COMPILE(ru::complaint_named), c.name_of(in)));
                        else
                            c.go(state::de_escalate, ru::complaint);
                        return true;
                    }
                    case i::anger: c.go(state::de_escalate); return true;
                    case i::unclear: c.go(state::clarify); return true;
                    case i::rambling:
                        call_data::count(c.rambling);
                        c.go(state::clarify, ru::rambling);
                        return true;
                    case i::no_time: c.go(state::offer_alternative, ru::no_time); return true;
                    case i::reject_terms: c.go(state::offer_alternative, ru::reject_terms); return true;
                    case i::reject_all: c.go(state::offer_alternative); return true;
                    case i::call_later: c.go(state::callback); return true;
                    case i::out_of_script: c.go(state::hold); return true;
                    case i::accept: c.stay(ru::accept); return true;
                    case i::decline: c.stay(ru::decline); return true;
                    default: return false;
                }
            case state::clarify:
                switch (in.what) {
                    case i::state_purpose:
                        c.keep_topic(in);
                        c.go(state::intake, ru::clarify_purpose);
                        return true;
                    case i::rambling:
                        if (const auto topic = call_data::slot(in.topic, c.topic); !topic.empty())
                            c.stay(c.format(FMT_COMPILE(ru::rambling_topic), topic));
                        else
                            c.stay(ru::rambling_advice);
                        return true;
                    case i::unclear: c.stay(ru::unclear); return true;
                    case i::accept: c.go(state::intake, ru::clarify_accept); return true;
                    case i::decline: c.stay(ru::clarify_decline); return true;
                    default: return false;
                }
            case state::de_escalate:
                switch (in.what) {
                    case i::give_name:
                        c.keep_name(in);
                        c.stay(c.format(FMT_COMPILE(ru::assure_named), c.name_of(in)));
                        return true;
                    case i::complaint:
                        if (call_data::slot(in.fault, c.fault) == "caller") {
                            c.stay(ru::caller_at_fault);
                            return true;
                        }
                        [[fallthrough]];
                    case i::state_purpose:
                        c.keep_topic(in);
                        c.stay(c.format(FMT_COMPILE(ru::join), vars::extension, vars::operator_name));
                        return true;
                    case i::anger: c.stay(call_data::rotate(ru::anger, c.anger_turn)); return true;
                    case i::decline: c.stay(ru::which_solution); return true;
                    case i::accept: c.go(state::close, ru::understanding); return true;
                    case i::no_time:
                    case i::reject_terms:
                    case i::reject_all: c.go(state::offer_alternative); return true;
                    default: return false;
                }
            case state::offer_alternative:
                switch (in.what) {
                    case i::accept:
                        if (c.offers >= 1) {
                            c.go(state::close, ru::deal);
                        } else {
                            call_data::count(c.offers);
                            c.stay(ru::option);
                        }
                        return true;
                    case i::no_time: c.stay(ru::no_time); return true;
                    case i::reject_terms: c.stay(ru::reject_terms); return true;
                    case i::reject_all:
                    case i::decline: c.stay(ru::offer_entry); return true;
                    case i::call_later: c.go(state::callback); return true;
                    default: return false;
                }
            case state::warn:
                switch (in.what) {
                    case i::state_purpose:
                    case i::complaint:
                    case i::accept:
                    case i::give_name:
                        c.keep_name(in);
                        c.keep_topic(in);
                        c.go(state::intake, ru::back_thanks);
                        return true;
                    default: return false;
                }
            case state::hold:
                switch (in.what) {
                    case i::answer_found: c.go(state::intake, ru::answer_found); return true;
                    case i::silence: c.stay(); return true;
                    default: return false;
                }
            case state::hold_expired:
                switch (in.what) {
                    case i::accept:
                        if (c.holds >= 1) {
                            c.go(state::transfer, ru::specialist);
                        } else {
                            call_data::count(c.holds);
                            c.go(state::hold);
                        }
                        return true;
                    case i::call_later:
                    case i::decline: c.go(state::close, ru::call_back_later); return true;
                    case i::answer_found: c.go(state::intake, ru::answer_found); return true;
                    default: return false;
                }
            case state::child_check:
                if (in.what == i::accept) {
                    c.go(state::intake, ru::adult);
                    return true;
                }
                return false;
            default: return false;
        }
    }

    static bool global(call_data& c, const input& in) {
        switch (in.what) {
            case i::insult:
            case i::threat:
                if (c.abuse >= 1) {
                    c.go(state::hangup, ru::abuse_hangup);
                } else {
                    call_data::count(c.abuse);
                    c.go(state::warn, ru::abuse_warn);
                }
                return true;
            case i::off_topic:
            case i::personal_question:
                if (c.off_topic >= 2) {
                    c.go(state::hangup, ru::off_topic_hangup);
                    return true;
                }
                if (c.off_topic == 1) {
                    call_data::count(c.off_topic);
                    c.go(state::warn, c.format(FMT_COMPILE(ru::off_topic_warn), vars::service));
                    return true;
                }
                call_data::count(c.off_topic);
                if (in.what == i::personal_question)
                    c.stay(c.knows_name(in) ? c.format(FMT_COMPILE(ru::personal_named), vars::operator_name, c.name_of(in))
                                            : c.format(FMT_COMPILE(ru::personal), vars::operator_name));
                else
                    c.stay(c.knows_name(in) ? c.format(FMT_COMPILE(ru::off_topic_named), c.name_of(in), vars::company)
                                            : c.format(FMT_COMPILE(ru::off_topic), vars::company));
                return true;
            case i::silence:
                if (c.silences >= 1) {
                    c.go(state::hangup, ru::silence_hangup);
                } else {
                    call_data::count(c.silences);
                    c.stay(ru::silence);
                }
                return true;
            case i::venting: c.stay(call_data::rotate(ru::venting, c.venting_turn)); return true;
            case i::interrupting:
                c.go(state::de_escalate,
                     c.knows_name(in) ? c.format(FMT_COMPILE(ru::interrupting_named), c.name_of(in)) : ru::interrupting);
                return true;
            case i::rapid_questions: c.stay(ru::rapid_questions); return true;
            case i::didnt_catch: c.stay(call_data::rotate(ru::didnt_catch, c.didnt_catch_turn)); return true;
            case i::demand_manager_contact: c.go(state::de_escalate, ru::manager_contact); return true;
            case i::demand_supervisor: c.go(state::transfer, ru::supervisor); return true;
            case i::where_are_you:
                c.go(state::transfer, c.knows_name(in) ? c.format(FMT_COMPILE(ru::where_named), c.name_of(in)) : ru::where);
                return true;
            case i::emergency: c.go(state::transfer, ru::emergency); return true;
            case i::child: c.go(state::child_check); return true;
            case i::spam: c.go(state::close, c.format(FMT_COMPILE(ru::spam), vars::offers_email)); return true;
            case i::operator_unwell: c.go(state::transfer, ru::unwell); return true;
            case i::tech_failure: c.go(state::close, ru::tech_failure); return true;
            case i::thanks:
            case i::goodbye:
                if (c.knows_name(in))
                    c.go(state::close, c.format(FMT_COMPILE(ru::thanks_named), c.name_of(in)));
                else
                    c.go(state::close);
                return true;
            default: return false;
        }
    }

    static void otherwise(call_data& c) {
        switch (c.where) {
            case state::clarify: c.go(state::intake); break;
            case state::callback: c.go(state::close, ru::call_back); break;
            case state::warn: c.go(state::intake, ru::back); break;
            case state::hold: c.stay(ru::still_checking); break;
            case state::child_check: c.go(state::close, ru::adults_only); break;
            default: c.stay(); break;  // offer_alternative and hold_expired stay silently; the rest have none
        }
    }

    call_data data_;
};

}  // namespace parley::bench::hand

#endif
