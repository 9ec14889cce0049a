// parley chat: an interactive call in the terminal (GNU readline: completion and history).
#include "cli.hpp"
#include "tests_file.hpp"

#include <parley/session.hpp>

#include <readline/history.h>
#include <readline/readline.h>

#include <fmt/format.h>

#include <unistd.h>
#include <charconv>
#include <cstdlib>
#include <iostream>
#include <sstream>

namespace parley::cli {

namespace {

// readline's completion callbacks are plain C functions: the names they complete from.
std::vector<std::string>* completion_names = nullptr;

char* complete_name(const char* text, int state) {
    static std::size_t next = 0;
    if (state == 0) next = 0;
    const std::string_view prefix(text);
    while (completion_names && next < completion_names->size()) {
        const auto& name = (*completion_names)[next++];
        if (name.rfind(prefix, 0) == 0) return strdup(name.c_str());
    }
    return nullptr;
}

char** complete(const char* text, int start, int) {
    rl_attempted_completion_over = 1;
    return start == 0 ? rl_completion_matches(text, complete_name) : nullptr;
}

void show(const parley::reply& r) {
    std::cout << "  " << (r.phrase.empty() ? "(nothing to say)" : r.phrase) << '\n';
    std::cout << fmt::format("    [{}, {}]", r.state_name(), to_string(r.action));
    if (!r.hint().empty()) std::cout << "  hint: " << r.hint();
    if (r.rule()) std::cout << "  rule: " << r.rule().file << ':' << r.rule().line;
    std::cout << '\n';
}

constexpr const char* help = R"(Type what the caller did, as the classifier would label it, as in a .tests file:
  give_name name="Ольга"     an intent with slots (values in quotes)
  complaint @0.4             with a confidence (below the threshold, the engine confirms)
  tech_failure               an operator event
  wait 30                    let 30 seconds pass (timers); also :wait 30
  pickup                     a new call
Commands: :help  :state  :reset  :lang en  :quit   (Tab completes intent names)
)";

}  // namespace

int chat(const std::string& file, const std::string& language) {
    auto script = load_script(file);
    if (!script) return 1;
    std::vector<std::string> names;
    for (parley::label_id l = 0; l < script->label_count(); ++l) names.emplace_back(script->label_name(l));
    completion_names = &names;
    rl_attempted_completion_function = complete;
    const bool interactive = isatty(STDIN_FILENO);

    std::string lang = language;
    auto fresh = [&] { return parley::session(*script, {.language = lang}); };
    std::optional<parley::session> call;
    try {
        call.emplace(fresh());
    } catch (const parley::session_error& e) {
        std::cerr << "parley: " << e.what() << '\n';
        return 2;
    }
    if (interactive) std::cout << "A new call. Type :help for help.\n";
    show(call->start());
    std::uint32_t number = 0;  // of the input line, for diagnostics
    while (true) {
        char* raw = readline(interactive ? "caller> " : "");
        if (!raw) break;
        std::string line(raw);
        std::free(raw);
        ++number;
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        if (interactive) add_history(line.c_str());
        std::istringstream words(line);
        std::string head;
        words >> head;
        try {
            if (head == ":quit" || head == ":q") break;
            if (head == ":help") {
                std::cout << help;
                continue;
            }
            if (head == ":state") {
                std::cout << fmt::format("  state '{}', language '{}', {:.1f} s into the call{}\n", call->state_name(),
                                         script->language_name(call->language()), call->now(), call->ended() ? ", ended" : "");
                continue;
            }
            if (head == ":reset") {
                call.emplace(fresh());
                std::cout << "A new call.\n";
                show(call->start());
                continue;
            }
            if (head == ":lang") {
                std::string tag;
                words >> tag;
                call->set_language(tag);  // a refused tag throws here and is not remembered
                lang = tag;
                std::cout << "  language: " << lang << '\n';
                continue;
            }
            if (head.front() == ':' && head != ":wait") {
                std::cout << "  unknown command '" << head << "'; :help lists them\n";
                continue;
            }
            // Everything else is an input, in the syntax of a .tests line (":wait N" is "wait N").
            std::vector<parley::diagnostic> problems;
            if (head == ":wait") line[line.find(':')] = ' ';  // same columns in a diagnostic
            const auto in = parse_input(line, problems, "input", number);
            if (!in) {
                parley::print(std::cout, problems, {.color = interactive});
                continue;
            }
            if (call->ended() || in->what == input::kind::pickup) {
                std::cout << (call->ended() ? "The call has ended. A new call:\n" : "A new call.\n");
                call.emplace(fresh());
                show(call->start());
                if (in->what == input::kind::pickup) continue;
            }
            if (in->what == input::kind::wait) {
                if (call->advance(call->now() + in->seconds, [&](const parley::reply& r) { show(r); }) == 0) {
                    if (auto next = call->next_deadline())
                        std::cout << fmt::format("  (no timer fired; the next falls due at {:.1f} s)\n", *next);
                    else
                        std::cout << "  (no timer fired; none is armed in this state)\n";
                }
            } else {
                std::vector<parley::slot_value> views;
                for (const auto& [k, v] : in->slots) views.push_back({k, v});
                show(call->step(std::string_view(in->label), in->confidence, views));
            }
            if (call->ended()) std::cout << "The call has ended. Type anything to start a new call, or :quit.\n";
        } catch (const parley::session_error& e) {
            std::cout << "  error: " << e.what() << '\n';
        }
    }
    return 0;
}

}  // namespace parley::cli
