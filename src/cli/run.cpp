// parley run: JSON Lines of interleaved calls in, one JSON reply per line out, in order.
//
// Memory: one session per concurrent call. When a call's ending line is answered its session
// is reset for the next new call, and only a 64-bit hash of its id is remembered (so that a
// later line for it is reported as an error): 16 to 32 bytes per ended call.
// Input is read in large blocks and parsed in place with simdjson; output is
// written through one buffer.
#include "cli.hpp"
#include "input_line.hpp"

#include "../support/json_string.hpp"

#include <parley/session.hpp>

#include <simdjson.h>

#include <fmt/format.h>

#include <unistd.h>
#include <cstdio>
#include <cstring>

namespace parley::cli {

std::optional<std::vector<std::pair<std::string, std::string>>> parse_assignments(const std::vector<std::string>& set, std::string& error) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& s : set) {
        const auto eq = s.find('=');
        if (eq == std::string::npos || eq == 0) {
            error = "--set takes NAME=VALUE, not '" + s + "'";
            return std::nullopt;
        }
        out.emplace_back(s.substr(0, eq), s.substr(eq + 1));
    }
    return out;
}

namespace {

// Every call seen so far, in one flat open-addressing table of (64-bit hash of the id, slot):
// a slot is a live session in `sessions_`, or `ended`. One probe answers both "is this call
// live" and "has it ended", and an ended call costs 16 bytes. An ended call's session is reset
// and handed to the next new call, buffers and all. Live ids are compared in full; ended
// ones by hash (a false match needs two ids with one 64-bit hash: about 1 in 10^8 for a
// billion calls).
class call_table {
public:
    static constexpr std::uint32_t ended = 0xFFFFFFFF;

    static std::uint64_t hash(std::string_view call) noexcept {
        std::uint64_t h = std::hash<std::string_view>{}(call);  // then a final mix
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        return h | 1;  // 0 marks an empty slot
    }

    // The entry's slot for `call`: a live index, `ended`, or nullptr when the call is new.
    std::uint32_t* find(std::string_view call, std::uint64_t h) noexcept {
        if (entries_.empty()) return nullptr;
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            auto& e = entries_[i];
            if (e.hash == 0) return nullptr;
            if (e.hash == h && (e.slot == ended || ids_[e.slot] == call)) return &e.slot;
        }
    }
    // A new call's slot; a session_error from the options leaves the table as it was.
    std::uint32_t add(std::string_view call, std::uint64_t h, const parley::script& script, const parley::session_options& options) {
        if ((count_ + 1) * 2 > entries_.size()) grow();
        std::uint32_t slot;
        if (!free_.empty()) {
            slot = free_.back();
            sessions_[slot].reset(options);
            free_.pop_back();
        } else {
            slot = static_cast<std::uint32_t>(sessions_.size());
            sessions_.emplace_back(script, options);
            ids_.emplace_back();
        }
        ids_[slot].assign(call);
        place(h, slot);
        return slot;
    }
    parley::session& at(std::uint32_t slot) noexcept { return sessions_[slot]; }
    // The call has ended: its id's hash stays; its session waits for the next new call.
    void end(std::uint32_t& slot) {
        free_.push_back(slot);
        slot = ended;
    }

private:
    struct entry {
        std::uint64_t hash = 0;
        std::uint32_t slot = 0;
    };
    void place(std::uint64_t h, std::uint32_t slot) {
        std::size_t i = h & mask_;
        while (entries_[i].hash != 0) i = (i + 1) & mask_;
        entries_[i] = {h, slot};
        ++count_;
    }
    void grow() {
        std::vector<entry> old = std::move(entries_);
        entries_.assign(std::max<std::size_t>(1024, old.size() * 2), entry{});
        mask_ = entries_.size() - 1;
        count_ = 0;
        for (const auto& e : old)
            if (e.hash) place(e.hash, e.slot);
    }
    std::vector<entry> entries_;
    std::size_t mask_ = 0;
    std::size_t count_ = 0;
    std::vector<parley::session> sessions_;  // apart from the ids: a session is cache-line aligned
    std::vector<std::string> ids_;
    std::vector<std::uint32_t> free_;
};

// Reads a stream line by line into a buffer that keeps simdjson's padding after every line.
class line_reader {
public:
    explicit line_reader(std::FILE* in) : in_(in), buffer_(block + simdjson::SIMDJSON_PADDING, '\0') {}

    // The next line without its '\n' (and '\r'); false at the end.
    bool next(std::string_view& line) {
        while (true) {
            if (const void* nl = std::memchr(buffer_.data() + begin_, '\n', end_ - begin_)) {
                const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data());
                line = std::string_view(buffer_.data() + begin_, at - begin_);
                begin_ = at + 1;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                return true;
            }
            if (eof_) {
                if (begin_ == end_) return false;
                line = std::string_view(buffer_.data() + begin_, end_ - begin_);
                begin_ = end_;
                return true;
            }
            // Move the partial line to the front, grow if one line is longer than the buffer.
            std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
            if (end_ + block / 2 > capacity()) buffer_.resize(buffer_.size() * 2, '\0');
            const auto n = std::fread(buffer_.data() + end_, 1, capacity() - end_, in_);
            if (n == 0) eof_ = true;
            end_ += n;
            std::memset(buffer_.data() + end_, 0, simdjson::SIMDJSON_PADDING);
        }
    }

private:
    static constexpr std::size_t block = 1 << 20;
    std::size_t capacity() const { return buffer_.size() - simdjson::SIMDJSON_PADDING; }
    std::FILE* in_;
    std::string buffer_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
};

class runner {
public:
    runner(parley::script s, const run_options& options, std::vector<std::pair<std::string, std::string>> variables)
        : script_(std::move(s)), tty_(isatty(STDOUT_FILENO)) {
        defaults_.language = options.language;
        defaults_.variables = std::move(variables);
        out_.reserve(1 << 20);
    }

    int run(std::FILE* in) {
        line_reader reader(in);
        std::string_view line;
        std::size_t number = 0;
        while (reader.next(line)) {
            ++number;
            handle(line, number);
            if (out_.size() > (1 << 20) || tty_) flush();
        }
        flush();
        return failed_ ? 1 : 0;
    }

private:
    void handle(std::string_view line, std::size_t number) {
        auto& f = line_;
        timers_.clear();
        std::string problem = read_input_line(parser_, line, f);
        if (!problem.empty()) return error(number, f.has_call ? &f.call : nullptr, problem);
        const std::string_view call = f.call;
        const auto h = call_table::hash(call);
        std::uint32_t* slot = calls_.find(call, h);
        if (slot && *slot == call_table::ended) return error(number, &call, "call has ended");
        try {
            if (!slot) {
                parley::session_options with_language;
                if (!f.lang.empty()) {
                    with_language = defaults_;
                    with_language.language = std::string(f.lang);
                }
                calls_.add(call, h, script_, f.lang.empty() ? defaults_ : with_language);  // may throw: nothing is added then
                slot = calls_.find(call, h);
            } else if (!f.lang.empty()) {
                calls_.at(*slot).set_language(f.lang);
            }
            auto& session = calls_.at(*slot);
            // Every timer that fell due before this line's input fires now, and each reply reaches
            // the host once: in the line's "timers", or, when the line has no input of its own
            // to answer (a tick, a call a timer ended), the last one as the line's reply.
            std::optional<parley::reply> last_timer;  // its phrase stays valid until the next step
            std::size_t last_begins = 0;
            if (f.at)
                session.advance(*f.at, [&](const parley::reply& r) {
                    last_begins = timers_.size();
                    timers_ += timers_.empty() ? "{" : ", {";
                    append_reply(timers_, r);
                    timers_ += '}';
                    last_timer = r;
                });
            if (f.is_tick() || session.ended()) {
                if (!last_timer) {
                    if (f.is_tick()) return answer(call, session.idle(), *slot);
                    error(number, &call, "call has ended");
                    return calls_.end(*slot);
                }
                timers_.resize(last_begins);
                const bool moot = !f.is_tick();  // a timer ended the call before this line's input
                return answer(call, *last_timer, *slot, moot ? "the call ended on a timer before this input" : "");
            }
            if (f.is_pickup()) return answer(call, session.start(), *slot);
            std::optional<parley::label_id> id;
            if (auto wrong = resolve_label(script_, f, id); !wrong.empty()) return error(number, &call, wrong);
            return answer(call, id ? session.step(*id, f.confidence, f.slots) : session.step(f.label(), f.confidence, f.slots), *slot);
        } catch (const parley::session_error& e) {
            error(number, &call, e.what());
        }
    }

    // The line's answer: its reply, the replies of the timers that fired before it, and, when a
    // timer ended the call first, why the line's own input was not handled.
    void answer(std::string_view call, const parley::reply& r, std::uint32_t& slot, std::string_view ignored = {}) {
        out_ += "{\"call\": ";
        support::append_json_string(out_, call);
        out_ += ", ";
        append_reply(out_, r);
        if (!timers_.empty()) {
            out_ += ", \"timers\": [";
            out_ += timers_;
            out_ += ']';
        }
        if (!ignored.empty()) {
            out_ += ", \"ignored\": ";
            support::append_json_string(out_, ignored);
        }
        out_ += "}\n";
        if (r.ended) calls_.end(slot);
    }

    // A reply's fields, without braces.
    void append_reply(std::string& out, const parley::reply& r) {
        out += "\"state\": ";
        support::append_json_string(out, r.state_name);
        out += ", \"action\": \"";
        out += to_string(r.action);
        out += "\", \"phrase\": ";
        support::append_json_string(out, r.phrase);
        if (!r.hint.empty()) {
            out += ", \"hint\": ";
            support::append_json_string(out, r.hint);
        }
        out += ", \"rule\": ";
        rule_.clear();
        if (r.rule) fmt::format_to(std::back_inserter(rule_), "{}:{}", r.rule.file, r.rule.line);
        support::append_json_string(out, rule_);
        out += r.ended ? ", \"ended\": true" : ", \"ended\": false";
        if (r.actions.empty()) return;
        out += ", \"actions\": [";
        for (std::size_t i = 0; i < r.actions.size(); ++i) {
            out += i == 0 ? "{\"name\": " : ", {\"name\": ";
            support::append_json_string(out, r.actions[i].name);
            out += ", \"args\": {";
            for (std::size_t j = 0; j < r.actions[i].arguments.size(); ++j) {
                if (j != 0) out += ", ";
                support::append_json_string(out, r.actions[i].arguments[j].name);
                out += ": ";
                support::append_json_string(out, r.actions[i].arguments[j].value);
            }
            out += "}}";
        }
        out += ']';
    }

    void error(std::size_t number, const std::string_view* call, std::string_view message) {
        failed_ = true;
        out_ += fmt::format("{{\"line\": {}", number);
        if (call) {
            out_ += ", \"call\": ";
            support::append_json_string(out_, *call);
        }
        out_ += ", \"error\": ";
        support::append_json_string(out_, message);
        out_ += "}\n";
    }

    void flush() {
        std::fwrite(out_.data(), 1, out_.size(), stdout);
        if (tty_) std::fflush(stdout);
        out_.clear();
    }

    parley::script script_;
    parley::session_options defaults_;
    simdjson::dom::parser parser_;
    call_table calls_;
    input_line line_;  // reused: its slots keep their capacity
    std::string out_, rule_, timers_;
    bool failed_ = false;
    bool tty_ = false;
};

}  // namespace

int run(const run_options& options) {
    auto script = load_script(options.file);
    if (!script) return 1;
    std::string problem;
    auto variables = parse_assignments(options.set, problem);
    if (!variables) {
        std::fprintf(stderr, "parley: %s\n", problem.c_str());
        return 2;
    }
    try {  // fail early on a bad --lang or --set rather than on every line
        parley::session probe(*script, {.language = options.language, .variables = *variables});
    } catch (const parley::session_error& e) {
        std::fprintf(stderr, "parley: %s\n", e.what());
        return 2;
    }
    std::FILE* in = stdin;
    if (options.input != "-") {
        in = std::fopen(options.input.c_str(), "rb");
        if (!in) {
            std::fprintf(stderr, "parley: cannot open '%s'\n", options.input.c_str());
            return 2;
        }
    }
    runner r(std::move(*script), options, std::move(*variables));
    const int status = r.run(in);
    if (in != stdin) std::fclose(in);
    return status;
}

}  // namespace parley::cli
