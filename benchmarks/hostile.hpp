// Scripts shaped to make a compiler do work out of proportion to their size: each once blew
// time or memory up. bench_compile times them; tests/hostile_test.cpp checks them at small
// sizes and past the limits that refuse them.
#ifndef PARLEY_BENCHMARKS_HOSTILE_HPP_INCLUDED
#define PARLEY_BENCHMARKS_HOSTILE_HPP_INCLUDED

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::bench {

enum class hostile {
    intents_by_states,
    globals_by_states,
    errors_on_a_line,
    long_names,
    forbids_by_phrases,
    flows_in_flows,
    flow_copies,
    placeholders,
    question_by_intents,
    typed_guards,
    long_literal
};

inline constexpr std::string_view hostile_names[] = {"n intents x n states", "n globals x n states",  "n errors on one line",
                                                     "two names of n bytes", "n forbids x n phrases", "n flows in flows",
                                                     "a flow used n ways",   "n texts of 1300 {v}",   "{intent} x n intents",
                                                     "n guards x 2n values", "a literal of n bytes"};

inline std::string hostile_script(hostile shape, std::size_t n) {
    std::string out;
    auto add = [&](const auto&... parts) { ((out += parts), ...); };  // (no "a" + b: GCC 12's false -Wrestrict)
    auto number = [](std::size_t k) { return std::to_string(k); };
    switch (shape) {
        case hostile::intents_by_states:  // a row of n labels in each of n states, each with an otherwise
            for (std::size_t k = 0; k < n; ++k) add("intent i", number(k), "\n");
            for (std::size_t k = 0; k < n; ++k)
                add("state s", number(k), k == 0 ? " initial" : "", "\n  on i", number(k), " -> s", number((k + 1) % n),
                    "\n  otherwise -> stay\nend\n");
            break;
        case hostile::globals_by_states:  // n global handlers, each to one of n states
            for (std::size_t k = 0; k < n; ++k) add("intent i", number(k), "\n");
            add("global\n");
            for (std::size_t k = 0; k < n; ++k) add("  on i", number(k), " -> s", number(k), "\n");
            add("end\n");
            for (std::size_t k = 0; k < n; ++k) add("state s", number(k), k == 0 ? " initial" : "", "\nend\n");
            break;
        case hostile::errors_on_a_line:  // n undefined intents, and n declared ones to suggest from
            for (std::size_t k = 0; k < n; ++k) add("intent i", number(k), "\n");
            add("state a initial\n  on u0");
            for (std::size_t k = 1; k < n; ++k) add(", u", number(k));
            add(" -> stay\nend\n");
            break;
        case hostile::long_names:  // a misspelt name of n bytes
            add("intent ", std::string(n, 'a'), "\nstate s initial\n  on ", std::string(n - 1, 'a'), "b -> stay\nend\n");
            break;
        case hostile::forbids_by_phrases:  // n forbidden phrases of 1 KB, n phrases of 4 KB, nearly alike
            for (std::size_t k = 0; k < n; ++k) {
                add("forbid \"");
                for (int i = 0; i < 500; ++i) add("a ");
                add("b", number(k), "\" use \"x\"\n");
            }
            add("intent hi\nstate s initial\n");
            for (std::size_t k = 0; k < n; ++k) {
                add("  on hi -> stay\n    say \"");
                for (int i = 0; i < 2000; ++i) add("a ");
                add("c", number(k), "\"\n");
            }
            add("end\n");
            break;
        case hostile::flows_in_flows:  // n flows, each using the one before with both exits to one state: names double
            add("intent x\nintent y\nflow f0(a, b)\n  state s\n    on x -> a\n    on y -> b\n  end\nend\n");
            for (std::size_t k = 1; k < n; ++k)
                add("flow f", number(k), "(a, b)\n  state s\n    on x -> f", number(k - 1),
                    "(a -> t, b -> t)\n    on y -> b\n  end\n  state t\n    on x -> a\n    on y -> b\n  end\nend\n");
            add("state start initial\n  on x -> f", number(n - 1), "(a -> done, b -> done)\nend\nstate done action close\n");
            break;
        case hostile::flow_copies:  // a flow of 100 handlers, used by n states with an exit each: n copies
            for (int i = 0; i < 100; ++i) add("intent x", number(static_cast<std::size_t>(i)), "\n");
            add("flow g(a)\n  state s\n");
            for (int i = 0; i < 100; ++i) add("    on x", number(static_cast<std::size_t>(i)), " -> a\n");
            add("  end\nend\n");
            for (std::size_t k = 0; k < n; ++k)
                add("state s", number(k), k == 0 ? " initial" : "", "\n  on x0 -> g(a -> s", number((k + 1) % n), ")\nend\n");
            break;
        case hostile::placeholders:  // n texts of 1,300 placeholders of a 4,000-byte default: 5.2 MB each said as compiled
            add("variable v = \"", std::string(4000, 'w'), "\"\n");
            for (std::size_t k = 0; k < n; ++k) add("intent x", number(k), "\n");
            add("state s initial\n");
            for (std::size_t k = 0; k < n; ++k) {
                add("  on x", number(k), " -> stay\n    say \"");
                for (int i = 0; i < 1300; ++i) add("{v}");
                add(" ", number(k), "\"\n");
            }
            add("end\n");
            break;
        case hostile::question_by_intents:  // a question of 500 {intent}, asked about n intents of 4,000 bytes each
            add("setting threshold = 0.5\nintent accept\nintent decline\n");
            for (std::size_t k = 0; k < n; ++k) add("intent i", number(k), ": \"", std::string(3990, 'd'), number(k), "\"\n");
            add("confirm -> s\n  ask \"");
            for (int i = 0; i < 500; ++i) add("{intent}");
            add("\"\n  repeat \"Again?\"\nend\nstate s initial\n  on accept, decline -> stay\n");
            for (std::size_t k = 0; k < n; ++k) add("  on i", number(k), " -> stay\n");
            add("end\n");
            break;
        case hostile::typed_guards:  // n guards over a slot of 2n values, the last one's value not among them
            add("slot level: v0");
            for (std::size_t k = 1; k < 2 * n; ++k) add(" | v", number(k));
            add("\nintent x\nstate s initial\n");
            for (std::size_t k = 0; k < n; ++k) add("  on x if level == \"v", number(2 * k), "\" -> stay\n");
            add("  on x if level == \"none\" -> stay\nend\n");
            break;
        case hostile::long_literal:  // a literal of n bytes that is no value of a typed slot
            add("slot level: gold | silver\nintent x\nstate s initial\n  on x if level == \"", std::string(n, 'g'), "\" -> stay\nend\n");
            break;
    }
    return out;
}

}  // namespace parley::bench

#endif
