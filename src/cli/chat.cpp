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
#include <filesystem>
#include <fstream>
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
    // What the host is asked to do, in order, as a .tests step asserts it.
    for (const auto& a : r.actions) {
        std::cout << "    do " << a.name;
        for (const auto& argument : a.arguments) std::cout << ' ' << argument.name << '=' << in_quotes(argument.value);
        std::cout << '\n';
    }
}

// `--record`: each call becomes a test of what it answered, rewritten to the file after every
// step so that an interrupted session keeps what it had.
class recorder {
public:
    recorder(std::string path, std::string script) : path_(std::move(path)), script_(std::move(script)) {}

    void start_call(std::string_view language) {
        close();
        open_ = true;
        calls_ += fmt::format("test {}{}\n", in_quotes(fmt::format("call {} recorded by parley chat", ++count_)),
                              language.empty() ? "" : fmt::format(" lang {}", language));
    }
    // One input, then each reply it got as it comes (a reply's phrase lives until the next
    // step; a wait may fire no timer), then where the call stands.
    void input_line(const input& in) { step_ = {to_string(in), {}, {}, {}, {}}; }
    void reply(const parley::reply& r) {
        // A .tests string is one line: a phrase with line breaks is asserted piece by piece.
        for (std::size_t start = 0; start < r.phrase.size();) {
            const auto stop = std::min(r.phrase.find('\n', start), r.phrase.size());
            if (stop > start) step_.words += fmt::format(" {}", in_quotes(r.phrase.substr(start, stop - start)));
            start = stop + 1;
        }
        if (!r.hint().empty()) step_.hints += fmt::format(" hint {}", in_quotes(r.hint()));
        for (const auto& a : r.actions) {
            step_.actions += fmt::format(" do {}", a.name);
            for (const auto& argument : a.arguments) step_.actions += fmt::format(" {}={}", argument.name, in_quotes(argument.value));
        }
        step_.last = fmt::format("{} {}", r.state_name(), to_string(r.action));
        ended_ = r.ended;
    }
    void end_step(const parley::reply& idle) {
        if (!open_) return;
        if (step_.last.empty()) step_.last = fmt::format("{} {}", idle.state_name(), to_string(idle.action));
        calls_ += fmt::format("  {} -> {} {}{}{}\n", step_.input, step_.last, step_.words.empty() ? "\"\"" : step_.words.substr(1),
                              step_.hints, step_.actions);
        if (ended_) close();
        ended_ = false;
        save();
    }
    // A change a test cannot express: the rest of this call is left out.
    void stop(std::string_view why) {
        if (!open_) return;
        calls_ += fmt::format("  # recording stopped: {}\n", why);
        close();
        save();
    }
    [[nodiscard]] bool failed() const noexcept { return failed_; }

private:
    void close() {
        if (open_) calls_ += "end\n\n";
        open_ = false;
    }
    void save() {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out << "# Recorded by parley chat; run with: parley test " << script_ << ' ' << std::filesystem::path(path_).filename().string()
            << "\n\n"
            << calls_;
        if (open_) out << "end\n";
        if (!out.flush() && !failed_) {
            std::cerr << "parley: cannot write '" << path_ << "'\n";
            failed_ = true;
        }
    }

    struct pending_step {
        std::string input, words, hints, actions, last;  // last: "STATE ACTION" of the last reply
    };
    std::string path_, script_, calls_;
    pending_step step_;
    std::size_t count_ = 0;
    bool ended_ = false;
    bool open_ = false, failed_ = false;
};

constexpr const char* help = R"(Type what the caller did, as the classifier would label it, as in a .tests file:
  give_name name="Ольга"     an intent with slots (values in quotes)
  complaint @0.4             with a confidence (below the threshold, the engine confirms)
  tech_failure               an operator event
  wait 30                    let 30 seconds pass (timers); also :wait 30
  pickup                     a new call
Commands: :help  :state  :reset  :lang en  :quit   (Tab completes intent names)
  :why        the handlers the last input's step tried, in order, and what a guard that did not hold read
  :slots  :counters  :vars     the call's values now
  :undo       take the last input back (again: the one before)
)";

}  // namespace

int chat(const std::string& file, const std::string& language, const std::string& record) {
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
    std::optional<recorder> recording;
    if (!record.empty()) recording.emplace(record, file);
    // A call's pickup, shown, and the first step of its recorded test.
    auto pick_up = [&] {
        if (recording) {
            recording->start_call(lang);
            recording->input_line({.what = input::kind::pickup});
        }
        const auto r = call->start();
        show(r);
        if (recording) {
            recording->reply(r);
            recording->end_step(r);
        }
    };
    if (interactive) std::cout << "A new call. Type :help for help.\n";
    pick_up();
    std::uint32_t number = 0;       // of the input line, for diagnostics
    parley::step_trace why;         // the last step's, for :why
    std::vector<std::string> undo;  // the call before each input, for :undo
    auto values = [&](std::size_t count, auto name_of, auto value_of) {
        bool any = false;
        for (std::size_t i = 0; i < count; ++i) {
            const auto name = name_of(i);
            const auto value = value_of(name);
            if (!value.empty()) std::cout << "  " << name << " = " << value << '\n', any = true;
        }
        if (!any) std::cout << "  (none)\n";
    };
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
            if (head == ":why") {
                if (!why.note.empty()) std::cout << "  " << why.note << '\n';
                if (why.handlers.empty()) std::cout << "  (no handler was tried)\n";
                for (const auto& h : why.handlers)
                    std::cout << fmt::format("  {} {}:{}  on {}{}{}\n", h.fired ? "fired" : "no   ", h.rule.file, h.rule.line, h.trigger,
                                             h.guard.empty() ? "" : fmt::format(" if {}", h.guard),
                                             h.read.empty() ? "" : fmt::format("  ({})", h.read));
                continue;
            }
            if (head == ":slots") {
                values(
                    script->slot_count(), [&](std::size_t i) { return script->slot_name(i); },
                    [&](std::string_view n) { return std::string(call->slot(n)); });
                continue;
            }
            if (head == ":counters") {
                values(
                    script->counter_count(), [&](std::size_t i) { return script->counter_name(i); },
                    [&](std::string_view n) { return call->counter(n) ? std::to_string(call->counter(n)) : std::string(); });
                continue;
            }
            if (head == ":vars") {
                values(
                    script->variable_count(), [&](std::size_t i) { return script->variable_name(i); },
                    [&](std::string_view n) { return std::string(call->variable(n)); });
                continue;
            }
            if (head == ":undo") {
                if (undo.empty()) {
                    std::cout << "  nothing to take back in this call\n";
                    continue;
                }
                call.emplace(parley::session::restore(*script, undo.back()));
                undo.pop_back();
                why.clear();
                if (recording) recording->stop("':undo' took an input back during the call");
                std::cout << fmt::format("  taken back: state '{}'\n", call->state_name());
                continue;
            }
            if (head == ":reset") {
                undo.clear();
                call.emplace(fresh());
                std::cout << "A new call.\n";
                pick_up();
                continue;
            }
            if (head == ":lang") {
                std::string tag;
                words >> tag;
                call->set_language(tag);  // a refused tag throws here and is not remembered
                if (recording && tag != lang) recording->stop(fmt::format("':lang {}' changed the language during the call", tag));
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
                undo.clear();
                std::cout << (call->ended() ? "The call has ended. A new call:\n" : "A new call.\n");
                call.emplace(fresh());
                pick_up();
                if (in->what == input::kind::pickup) continue;
            }
            undo.push_back(call->snapshot());
            if (recording) recording->input_line(*in);
            auto heard = [&](const parley::reply& r) {
                show(r);
                if (recording) recording->reply(r);
            };
            if (in->what == input::kind::wait) {
                if (call->advance(call->now() + in->seconds, heard) == 0) {
                    if (auto next = call->next_deadline())
                        std::cout << fmt::format("  (no timer fired; the next falls due at {:.1f} s)\n", *next);
                    else
                        std::cout << "  (no timer fired; none is armed in this state)\n";
                }
            } else {
                std::vector<parley::slot_value> views;
                for (const auto& [k, v] : in->slots) views.push_back({k, v});
                heard(call->step(std::string_view(in->label), in->confidence, views, why));
            }
            if (recording) recording->end_step(call->idle());
            if (call->ended()) std::cout << "The call has ended. Type anything to start a new call, or :quit.\n";
        } catch (const parley::session_error& e) {
            std::cout << "  error: " << e.what() << '\n';
        }
    }
    return recording && recording->failed() ? 2 : 0;
}

}  // namespace parley::cli
