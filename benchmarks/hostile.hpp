// Scripts shaped to make a compiler do work out of proportion to their size: each once blew
// time or memory up (issue 15). bench_compile times them; tests/robustness_test.cpp checks them
// at small sizes.
#ifndef PARLEY_BENCHMARKS_HOSTILE_HPP_INCLUDED
#define PARLEY_BENCHMARKS_HOSTILE_HPP_INCLUDED

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::bench {

enum class hostile { intents_by_states, globals_by_states, errors_on_a_line, long_names, forbids_by_phrases };

inline constexpr std::string_view hostile_names[] = {"n intents x n states", "n globals x n states", "n errors on one line",
                                                     "two names of n bytes", "n forbids x n phrases"};

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
    }
    return out;
}

}  // namespace parley::bench

#endif
