// A small script that exercises every runtime feature, shared by the runtime tests.
#ifndef PARLEY_TESTS_FIXTURES_HPP_INCLUDED
#define PARLEY_TESTS_FIXTURES_HPP_INCLUDED

#include "catch.hpp"

#include <parley/parley.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace parley::test {

inline constexpr std::string_view small_script = R"(# a test script
setting language = ru
setting fallback = en
setting threshold = 0.5

variable company = "Ромашка"
variable operator_name = "Анна"
slot name
slot fault
counter insults
counter silences

intent greeting: ru "вы здороваетесь" en "you are saying hello"
intent give_name: ru "вы называете своё имя" en "you are telling me your name"
intent complaint: ru "вы хотите пожаловаться" en "you want to complain"
intent insult: ru "вы оскорбляете оператора" en "you are insulting the operator"
intent silence: ru "вас не слышно" en "I cannot hear you"
intent accept: ru "вы согласны" en "you agree"
intent decline: ru "вы не согласны" en "you do not agree"
event tech_failure

forbid "Не кричите на меня" use "Я понимаю ваше беспокойство"

confirm -> clarify
  ask ru "Правильно ли я понимаю, что {intent}?" en "Do I understand correctly that {intent}?"
  repeat ru "Повторите, пожалуйста." en "Could you repeat that, please?"
end

global
  on insult if insults >= 1 -> hangup
    say ru "Я завершаю разговор." en "I am ending the call."
  on insult -> stay
    increment insults
    say ru "Если вы продолжите, я завершу разговор." en "If you go on like this, I will end the call."
  on tech_failure -> close
    say ru "Извините, по техническим причинам." en "Sorry, for technical reasons."
    hint "Take the caller's number"
end

state intake initial
  say ru "Здравствуйте! Компания {company}, меня зовут {operator_name}." en "Hello! {company}, this is {operator_name}."
  on greeting -> stay
    say ru "Слушаю вас." en "I am listening."
      | ru "Да, говорите." en "Yes, go ahead."
      | ru "Я вас слушаю."
  on give_name -> stay
    keep name
    say ru "Очень приятно, {name}!" en "Nice to meet you, {name}!"
  on complaint if fault == "caller" -> de_escalate
    say ru "Мы всегда стараемся работать лучше." en "We always try to give the best service."
  on complaint -> de_escalate
  on silence if silences >= 1 -> hangup
    say ru "Вас не слышно. Перезвоните, пожалуйста." en "I cannot hear you. Please call back."
  on silence -> stay
    increment silences
    say ru "Говорите, пожалуйста, я вас слушаю." en "Please go ahead, I am listening."
  after 30s -> hold
end

state de_escalate
  say ru "Извините за неудобства." en "I am sorry for the inconvenience."
  on accept -> close
  on decline -> hold
end

state clarify  # entered only to confirm: the next utterance answers the question
end

state hold action hold
  say ru "Одну минуту, пожалуйста." en "One moment, please."
  after 50s -> intake
    say ru "Спасибо за ожидание." en "Thank you for waiting."
end

state hangup action hangup
state close action close
  say ru "До свидания." en "Goodbye."
end
)";

inline parley::script compile_or_fail(std::string_view text, std::string name = "test.rules") {
    auto result = parley::compile_string(text, std::move(name));
    for (const auto& d : result.diagnostics) UNSCOPED_INFO(parley::format(d));
    REQUIRE(result.script);
    return *result.script;
}

inline const parley::script& small() {
    static const parley::script s = [] {
        auto result = parley::compile_string(small_script, "small.rules");
        if (!result.script) throw parley::compile_error(result.diagnostics);
        return *result.script;
    }();
    return s;
}

// What a test keeps of a reply: its fields, owned (a reply's phrase is a view that the next
// call may overwrite).
struct heard {
    std::string phrase, state_name;
    parley::action action = parley::action::continue_;
    bool ended = false;
};

// Every reply of the timers that fire when the clock moves to `seconds`, in order.
inline std::vector<heard> advance_all(parley::session& call, double seconds) {
    std::vector<heard> out;
    call.advance(seconds, [&](const parley::reply& r) {
        out.push_back({std::string(r.phrase), std::string(r.state_name()), r.action, r.ended});
    });
    return out;
}

}  // namespace parley::test

#endif
