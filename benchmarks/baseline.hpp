// What the hand-written baselines share: the default script's intents, states and Russian
// phrases, the per-call data, and the low-confidence confirmation that wraps every step.
//
// baseline_switch.hpp and baseline_msm.hpp implement rules/callcenter.rules by hand, one
// with a switch, one with Boost.MSM; bench_step checks that both agree with parley on every
// step of the stream (state, action, end of call and the exact phrase) before timing them.
// They cover what the stream exercises: Russian, the default variables, no timers.
#ifndef PARLEY_BENCHMARKS_BASELINE_HPP_INCLUDED
#define PARLEY_BENCHMARKS_BASELINE_HPP_INCLUDED

#include <fmt/compile.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>

namespace parley::bench::hand {

// In the order rules/callcenter.rules declares them; the last three are operator events.
enum class intent : std::uint8_t {
    greeting,
    state_purpose,
    give_name,
    complaint,
    anger,
    venting,
    interrupting,
    insult,
    threat,
    demand_manager_contact,
    demand_supervisor,
    unclear,
    rambling,
    off_topic,
    personal_question,
    child,
    out_of_script,
    emergency,
    spam,
    where_are_you,
    no_time,
    reject_terms,
    reject_all,
    accept,
    decline,
    call_later,
    rapid_questions,
    didnt_catch,
    thanks,
    goodbye,
    silence,
    tech_failure,
    operator_unwell,
    answer_found
};
inline constexpr std::size_t intent_count = 34;
inline constexpr std::array<std::string_view, intent_count> intent_names = {"greeting",
                                                                            "state_purpose",
                                                                            "give_name",
                                                                            "complaint",
                                                                            "anger",
                                                                            "venting",
                                                                            "interrupting",
                                                                            "insult",
                                                                            "threat",
                                                                            "demand_manager_contact",
                                                                            "demand_supervisor",
                                                                            "unclear",
                                                                            "rambling",
                                                                            "off_topic",
                                                                            "personal_question",
                                                                            "child",
                                                                            "out_of_script",
                                                                            "emergency",
                                                                            "spam",
                                                                            "where_are_you",
                                                                            "no_time",
                                                                            "reject_terms",
                                                                            "reject_all",
                                                                            "accept",
                                                                            "decline",
                                                                            "call_later",
                                                                            "rapid_questions",
                                                                            "didnt_catch",
                                                                            "thanks",
                                                                            "goodbye",
                                                                            "silence",
                                                                            "tech_failure",
                                                                            "operator_unwell",
                                                                            "answer_found"};
// What the operator paraphrases when confirming a low-confidence intent (S05).
inline constexpr std::array<std::string_view, intent_count> descriptions = {"вы здороваетесь",
                                                                            "вы звоните с вопросом по нашим услугам",
                                                                            "вы называете своё имя",
                                                                            "вы хотите оставить жалобу",
                                                                            "вы недовольны нашим обслуживанием",
                                                                            "вы хотите рассказать, что произошло",
                                                                            "вы хотите что-то добавить",
                                                                            "вы недовольны разговором",
                                                                            "вы очень недовольны разговором",
                                                                            "вам нужны контакты руководства",
                                                                            "вы хотите поговорить с руководителем",
                                                                            "вам сложно сформулировать вопрос",
                                                                            "вы рассказываете о своей ситуации",
                                                                            "вопрос не касается наших услуг",
                                                                            "вы хотите узнать что-то обо мне",
                                                                            "со мной говорит ребёнок",
                                                                            "у вас вопрос, на который мне нужно уточнить ответ",
                                                                            "вам срочно нужна помощь",
                                                                            "вы хотите предложить нам товары или услуги",
                                                                            "вы хотите узнать местные подробности",
                                                                            "вам не подходит предложенное время",
                                                                            "вам не подходят условия услуги",
                                                                            "вам не подходит ни один вариант",
                                                                            "вы согласны",
                                                                            "вы не согласны",
                                                                            "вам сейчас неудобно говорить",
                                                                            "у вас несколько вопросов",
                                                                            "вы не расслышали меня",
                                                                            "вы благодарите",
                                                                            "вы прощаетесь",
                                                                            "вас не слышно",
                                                                            "",
                                                                            "",
                                                                            ""};
[[nodiscard]] constexpr bool is_event(intent i) noexcept { return i >= intent::tech_failure; }

enum class state : std::uint8_t {
    intake,
    clarify,
    de_escalate,
    offer_alternative,
    callback,
    warn,
    hold,
    hold_expired,
    child_check,
    transfer,
    hangup,
    close
};
inline constexpr std::size_t state_count = 12;
inline constexpr std::array<std::string_view, state_count> state_names = {"intake",      "clarify",  "de_escalate", "offer_alternative",
                                                                          "callback",    "warn",     "hold",        "hold_expired",
                                                                          "child_check", "transfer", "hangup",      "close"};
// The same actions as parley::action (this header is also compiled as C++17, for Boost.MSM).
enum class action : std::uint8_t { continue_, hold, transfer, hangup, close };
inline constexpr std::array<std::string_view, 5> action_names = {"continue", "hold", "transfer", "hangup", "close"};
[[nodiscard]] constexpr action action_of(state s) noexcept {
    switch (s) {
        case state::hold: return action::hold;
        case state::transfer: return action::transfer;
        case state::hangup: return action::hangup;
        case state::close: return action::close;
        default: return action::continue_;
    }
}

// One classified utterance as a hand-written host would receive it: fixed slot fields.
struct input {
    intent what = intent::greeting;
    double confidence = 1.0;
    std::string_view name, topic, fault;  // empty when the classifier found none
};

struct output {
    std::string_view phrase;
    hand::action action = hand::action::continue_;
    state where = state::intake;
    bool ended = false;
};

inline constexpr double threshold = 0.6;

// The Russian phrases; "{}" marks where a value goes, in the order the comment names.
namespace ru {
inline constexpr std::string_view intake_entry =
    "Здравствуйте! Компания {}, меня зовут {}. Как я могу к вам обращаться?";  // company, operator
inline constexpr std::string_view clarify_entry = "Если вам трудно сформулировать вопрос, подскажите тему, которая вас интересует.";
inline constexpr std::string_view de_escalate_entry =
    "Я понимаю ваше беспокойство. Пожалуйста, опишите ситуацию, дату и время произошедшего.";
inline constexpr std::string_view offer_entry =
    "Как вы видите выход из этой ситуации? Я расскажу, что мы можем сделать, а что, к сожалению, невозможно.";
inline constexpr std::string_view callback_entry = "Если сейчас вам неудобно, скажите, когда вам удобно, и мы перезвоним.";
inline constexpr std::string_view hold_entry = "Одну минуту, пожалуйста, я уточню ответ на ваш вопрос.";
inline constexpr std::string_view hold_expired_entry =
    "Спасибо за ожидание. Мне нужно ещё немного времени. Вам удобнее, чтобы мы перезвонили, или вы подождёте ещё?";
inline constexpr std::string_view child_check_entry = "У вас есть рядом взрослый, с которым я могу продолжить разговор?";
inline constexpr std::string_view transfer_entry = "Для решения вашего вопроса я переведу вас на специалиста. Оставайтесь на линии.";
inline constexpr std::string_view hangup_entry = "До свидания.";
inline constexpr std::string_view close_entry = "Спасибо за звонок! Вы для нас очень важный клиент. Всего доброго!";

inline constexpr std::string_view confirm_ask = "Правильно ли я понимаю, что {}?";  // description
inline constexpr std::string_view confirm_repeat = "Простите, повторите, пожалуйста, ваш вопрос.";

// global
inline constexpr std::string_view abuse_hangup = "Я вынуждена завершить разговор. До свидания.";
inline constexpr std::string_view abuse_warn = "Если вы будете продолжать разговор в том же духе, я буду вынуждена завершить разговор.";
inline constexpr std::string_view off_topic_hangup = "К сожалению, я вынуждена завершить разговор. До свидания.";
inline constexpr std::string_view off_topic_warn =
    "Прошу прощения, но данный вопрос не относится к тематике {}. Если вы продолжите разговор не по теме, я буду вынуждена положить трубку.";  // service
inline constexpr std::string_view personal_named =
    "К сожалению, нет. Меня зовут {}. {}, давайте вернёмся к вашему вопросу.";                                       // operator, name
inline constexpr std::string_view personal = "К сожалению, нет. Меня зовут {}. Давайте вернёмся к вашему вопросу.";  // operator
inline constexpr std::string_view off_topic_named =
    "{}, давайте вернёмся к вашему вопросу. Чем компания {} может вам помочь?";                                        // name, company
inline constexpr std::string_view off_topic = "Давайте вернёмся к вашему вопросу. Чем компания {} может вам помочь?";  // company
inline constexpr std::string_view silence_hangup = "К сожалению, вас не слышно. Перезвоните, пожалуйста.";
inline constexpr std::string_view silence = "Говорите, пожалуйста, я вас слушаю.";
inline constexpr std::array<std::string_view, 3> venting = {"Да…", "Так…", "Поняла вас."};
inline constexpr std::string_view interrupting_named =
    "{}, будьте добры, разговаривайте со мной во взаимоуважительном тоне. Пожалуйста, выслушайте меня, не перебивая. И мы обязательно найдём выход из ситуации.";  // name
inline constexpr std::string_view interrupting =
    "Будьте добры, разговаривайте со мной во взаимоуважительном тоне. Пожалуйста, выслушайте меня, не перебивая. И мы обязательно найдём выход из ситуации.";
inline constexpr std::string_view rapid_questions = "Чтобы ответить на ваши вопросы, мне потребуется время. Могу я начать прямо сейчас?";
inline constexpr std::array<std::string_view, 2> didnt_catch = {"Простите, скажу иначе: …", "Позвольте, я объясню по-другому: …"};
inline constexpr std::string_view manager_contact =
    "К сожалению, предоставить такую информацию не представляется возможным. Если вы хотите подать жалобу, я могу записать ваши претензии прямо сейчас.";
inline constexpr std::string_view supervisor = "Конечно. Я переведу вас на руководителя. Оставайтесь, пожалуйста, на линии.";
inline constexpr std::string_view where_named =
    "{}, для решения этого вопроса я сейчас переведу вас на специалиста, который подскажет данную информацию.";  // name
inline constexpr std::string_view where =
    "Для решения этого вопроса я сейчас переведу вас на специалиста, который подскажет данную информацию.";
inline constexpr std::string_view emergency = "Я вас слышу. Пожалуйста, оставайтесь на линии, я сейчас же соединю вас с нужной службой.";
inline constexpr std::string_view spam =
    "Спасибо за предложение. Пожалуйста, направьте его на электронную почту {}. Всего доброго!";  // offers e-mail
inline constexpr std::string_view unwell = "Минуту, пожалуйста.";
inline constexpr std::string_view tech_failure =
    "Извините, в данный момент по техническим причинам нет возможности вас проконсультировать. Давайте я запишу вашу заявку, и мы перезвоним вам в ближайшее время.";
inline constexpr std::string_view thanks_named =
    "{}, спасибо вам за звонок и за понимание! Вы для нас очень важный клиент. Всего доброго!";  // name

// intake
inline constexpr std::string_view greeting = "Здравствуйте! Как я могу к вам обращаться?";
inline constexpr std::string_view give_name = "Очень приятно, {}! Чем я могу вам помочь?";  // name
inline constexpr std::string_view address = "Продиктуйте, пожалуйста, адрес, я запишу.";
inline constexpr std::string_view purpose_named = "{}, сейчас во всём разберёмся. Расскажите, пожалуйста, подробнее.";  // name
inline constexpr std::string_view purpose = "Сейчас во всём разберёмся. Скажите, пожалуйста, как я могу к вам обращаться?";
inline constexpr std::string_view caller_at_fault =
    "Мы всегда стараемся работать как можно лучше. Давайте всё-таки поможем вам решить этот вопрос.";
inline constexpr std::string_view complaint_named =
    "{}, спасибо, что сообщили нам. Извините за эту ситуацию. Сейчас во всём разберёмся.";  // name
inline constexpr std::string_view complaint =
    "Спасибо, что сообщили нам. Извините за эту ситуацию. Скажите, пожалуйста, как я могу к вам обращаться?";
inline constexpr std::string_view rambling = "Какова цель вашего звонка?";
inline constexpr std::string_view no_time =
    "Правильно ли я понимаю, вам необходимо назначить другое время, например, в среду с 13 до 16 или в четверг с 10 до 13?";
inline constexpr std::string_view reject_terms =
    "Правильно ли я понимаю, вам необходимо рассмотреть другие варианты получения этой услуги?";
inline constexpr std::string_view accept = "Хорошо. Чем ещё я могу помочь?";
inline constexpr std::string_view decline = "Поняла вас. Чем я могу помочь?";

// clarify
inline constexpr std::string_view clarify_purpose = "Понятно. Сейчас во всём разберёмся.";
inline constexpr std::string_view rambling_topic =
    "Простите, что перебиваю, правильно ли я понимаю, что вы звоните по поводу {}?";  // topic
inline constexpr std::string_view rambling_advice = "Простите, что перебиваю, правильно ли я понимаю, что вы хотите получить консультацию?";
inline constexpr std::string_view unclear = "Например, оплата, доставка, подключение услуги. Какая тема ближе?";
inline constexpr std::string_view clarify_accept = "Хорошо, слушаю вас.";
inline constexpr std::string_view clarify_decline = "Подскажите, пожалуйста, тему, которая вас интересует.";

// de_escalate
inline constexpr std::string_view assure_named = "{}, сейчас во всём разберёмся.";  // name
inline constexpr std::string_view join =
    "Да, я понимаю вас, ситуация очень неприятная. Извините за неудобства. Я сейчас же передам всю информацию специалистам. Мой добавочный номер — {}. Меня зовут {}.";  // extension, operator
inline constexpr std::array<std::string_view, 2> anger = {"Я понимаю ваше беспокойство, мы решим ситуацию и перезвоним.",
                                                          "Какое решение этой проблемы вы бы хотели?"};
inline constexpr std::string_view which_solution = "Какое решение этой проблемы вы бы хотели?";
inline constexpr std::string_view understanding =
    "Спасибо вам за понимание! Вы для нас очень важный клиент. Мы сделаем всё, чтобы это не повторилось.";

// offer_alternative, callback
inline constexpr std::string_view deal = "Отлично, договорились! Спасибо за звонок, всего доброго!";
inline constexpr std::string_view option = "Предлагаю тогда вариант: …";
inline constexpr std::string_view call_back = "Договорились, мы перезвоним вам в удобное время. Спасибо за звонок!";

// warn, hold, hold_expired, child_check
inline constexpr std::string_view back_thanks = "Спасибо. Давайте вернёмся к вашему вопросу.";
inline constexpr std::string_view back = "Давайте вернёмся к вашему вопросу.";
inline constexpr std::string_view answer_found = "Спасибо за ожидание! Я уточнила ответ на ваш вопрос.";
inline constexpr std::string_view still_checking = "Я ещё уточняю, одну минуту, пожалуйста.";
inline constexpr std::string_view specialist = "Для решения вашего вопроса я переведу вас на специалиста. Оставайтесь на линии.";
inline constexpr std::string_view call_back_later = "Мы перезвоним вам, как только уточним ответ. Спасибо за звонок!";
inline constexpr std::string_view adult = "Спасибо! Здравствуйте, чем я могу вам помочь?";
inline constexpr std::string_view adults_only = "Простите, но разговор на этой линии возможен только с лицами старше 18 лет. До свидания.";
}  // namespace ru

// The host's variables (the script's defaults).
namespace vars {
inline constexpr std::string_view company = "Ромашка";
inline constexpr std::string_view operator_name = "Анна";
inline constexpr std::string_view extension = "100";
inline constexpr std::string_view offers_email = "partners@example.com";
inline constexpr std::string_view service = "нашей компании";
}  // namespace vars

// Everything one call accumulates, and the helpers the handlers use.
struct call_data {
    state where = state::intake;
    std::uint8_t abuse = 0, off_topic = 0, silences = 0, rambling = 0, offers = 0, holds = 0;
    std::uint8_t venting_turn = 0, didnt_catch_turn = 0, anger_turn = 0;
    bool confirming = false;  // a low-confidence intent awaits yes or no
    bool ended = false;
    intent pending = intent::greeting;
    std::string pending_name, pending_topic, pending_fault;
    std::string name, topic, fault;
    std::string render;
    std::string_view phrase;  // the reply being built

    // A slot while a handler runs: the utterance's, else the call's.
    static std::string_view slot(std::string_view said, const std::string& kept) noexcept {
        return said.empty() ? std::string_view(kept) : said;
    }
    [[nodiscard]] std::string_view name_of(const input& in) const noexcept { return slot(in.name, name); }
    [[nodiscard]] bool knows_name(const input& in) const noexcept { return !name_of(in).empty(); }
    void keep_name(const input& in) {
        if (!in.name.empty()) name.assign(in.name);
    }
    void keep_topic(const input& in) {
        if (!in.topic.empty()) topic.assign(in.topic);
    }
    void keep_fault(const input& in) {
        if (!in.fault.empty()) fault.assign(in.fault);
    }
    static void count(std::uint8_t& c) noexcept {
        if (c < 255) ++c;
    }
    // Renders into the call's buffer with a format compiled ahead (FMT_COMPILE), as parley does.
    template <class Format, class... Args>
    std::string_view format(const Format& f, Args&&... args) {
        render.clear();
        fmt::format_to(std::back_inserter(render), f, std::forward<Args>(args)...);
        return render;
    }
    template <std::size_t N>
    static std::string_view rotate(const std::array<std::string_view, N>& variants, std::uint8_t& turn) noexcept {
        const auto v = turn % N;
        turn = static_cast<std::uint8_t>((v + 1) % N);
        return variants[v];
    }

    [[nodiscard]] std::string_view entry(state s) {
        switch (s) {
            case state::intake: return format(FMT_COMPILE(ru::intake_entry), vars::company, vars::operator_name);
            case state::clarify: return ru::clarify_entry;
            case state::de_escalate: return ru::de_escalate_entry;
            case state::offer_alternative: return ru::offer_entry;
            case state::callback: return ru::callback_entry;
            case state::warn: return {};
            case state::hold: return ru::hold_entry;
            case state::hold_expired: return ru::hold_expired_entry;
            case state::child_check: return ru::child_check_entry;
            case state::transfer: return ru::transfer_entry;
            case state::hangup: return ru::hangup_entry;
            case state::close: return ru::close_entry;
        }
        return {};
    }
    // A transition: the handler's phrase, or the target's entry phrase when it has none.
    void go(state to, std::string_view said = {}) {
        where = to;
        phrase = said.empty() ? entry(to) : said;
    }
    void stay(std::string_view said = {}) { phrase = said; }

    [[nodiscard]] output reply() {
        ended = action_of(where) >= action::transfer;
        return {phrase, action_of(where), where, ended};
    }
};

// Low-confidence confirmation around an engine's own dispatch, exactly as parley does it.
// Dispatch(call_data&, const input&) runs the engine's handlers and leaves the reply in the data.
template <class Dispatch>
output confirming_step(call_data& c, const input& in, Dispatch&& dispatch) {
    c.phrase = {};
    if (c.confirming) {
        c.confirming = false;
        if (in.what == intent::accept) {
            const input remembered{c.pending, 1.0, c.pending_name, c.pending_topic, c.pending_fault};
            dispatch(c, remembered);
            return c.reply();
        }
        if (in.what == intent::decline) {
            c.phrase = ru::confirm_repeat;
            return c.reply();
        }
    }
    if (in.confidence < threshold && !is_event(in.what)) {
        c.confirming = true;
        c.pending = in.what;
        c.pending_name.assign(in.name);
        c.pending_topic.assign(in.topic);
        c.pending_fault.assign(in.fault);
        c.phrase = c.format(FMT_COMPILE(ru::confirm_ask), descriptions[static_cast<std::size_t>(in.what)]);
        return {c.phrase, action::continue_, state::clarify, false};
    }
    dispatch(c, in);
    return c.reply();
}

}  // namespace parley::bench::hand

#endif
