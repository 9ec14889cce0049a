// Deterministic generated scripts of any size, for the compile benchmark and tests.
#ifndef PARLEY_BENCHMARKS_GENERATE_HPP_INCLUDED
#define PARLEY_BENCHMARKS_GENERATE_HPP_INCLUDED

#include <fmt/format.h>

#include <cstddef>
#include <iterator>
#include <string>

namespace parley::bench {

// `states` states of about ten handlers each over 20 intents: guards, counters, slots,
// placeholders, rotating variants in two languages, a timer, and global handlers.
inline std::string generate_script(std::size_t states) {
    std::string out;
    out.reserve(states * 900);
    auto o = std::back_inserter(out);
    fmt::format_to(
        o,
        "setting language = ru\nsetting fallback = en\nsetting threshold = 0.5\n"
        "variable company = \"Acme\"\nslot name\nslot topic\ncounter tries\ncounter warnings\n"
        "intent accept: ru \"вы согласны\" en \"you agree\"\nintent decline: ru \"вы не согласны\" en \"you do not agree\"\nevent tech_failure\n");
    for (int i = 0; i < 18; ++i) fmt::format_to(o, "intent i{}: ru \"намерение {}\" en \"intent {}\"\n", i, i, i);
    fmt::format_to(o,
                   "confirm -> s0\n  ask ru \"Правильно ли я понимаю, что {{intent}}?\" en \"Is it that {{intent}}?\"\n"
                   "  repeat ru \"Повторите.\" en \"Repeat, please.\"\nend\n"
                   "global\n  on i17 if warnings >= 1 -> done\n  on i17 -> stay\n    increment warnings\n"
                   "    say ru \"Предупреждение.\" en \"A warning.\"\n  on tech_failure -> done\nend\n");
    for (std::size_t s = 0; s < states; ++s) {
        const auto next = (s + 1) % states, jump = (s * 7 + 3) % states, back = s / 2;
        fmt::format_to(o, "state s{}{}\n  say ru \"Состояние {}, {{company}}.\" en \"State {}, {{company}}.\"\n", s,
                       s == 0 ? " initial" : "", s, s);
        fmt::format_to(o, "  on i{} if tries >= 3 -> done\n    say ru \"Хватит.\" en \"Enough.\"\n", s % 17);
        fmt::format_to(o,
                       "  on i{} -> s{}\n    increment tries\n    keep name\n"
                       "    say ru \"Да, {{name}}.\" en \"Yes, {{name}}.\" | ru \"Хорошо.\" en \"Fine.\"\n",
                       s % 17, next);
        fmt::format_to(o, "  on i{}, i{} if known(name) and not topic == \"x\" -> s{}\n    hint \"Ask for the topic\"\n", (s + 1) % 17,
                       (s + 2) % 17, jump);
        fmt::format_to(o, "  on i{} -> s{}\n    reset tries\n", (s + 3) % 17, back);
        fmt::format_to(o, "  on i{} -> stay\n    keep topic\n    say \"Тема: {{topic}}.\"\n", (s + 4) % 17);
        fmt::format_to(o, "  on i{} -> stay\n    say ru \"Понятно.\" en \"I see.\"\n", (s + 5) % 17);
        fmt::format_to(o, "  on accept -> s{}\n  on decline -> s{}\n", next, back);
        fmt::format_to(o, "  after 30s -> s{}\n  otherwise -> stay\n    say \"Простите?\"\nend\n", next);
    }
    fmt::format_to(o, "state done action close\n  say ru \"До свидания.\" en \"Goodbye.\"\nend\n");
    return out;
}

}  // namespace parley::bench

#endif
