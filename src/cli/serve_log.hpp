// `parley serve`'s log: one JSON object per event, one line each on stderr, written with one call
// so that lines from several threads never interleave:
//
//   log_line("draining").add("signal", "SIGTERM").add("connections", 3).write();
#ifndef PARLEY_SRC_CLI_SERVE_LOG_HPP_INCLUDED
#define PARLEY_SRC_CLI_SERVE_LOG_HPP_INCLUDED

#include "../support/json_string.hpp"

#include <fmt/format.h>

#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>

namespace parley::cli {

class log_line {
public:
    explicit log_line(std::string_view event) {
        text_ = "{\"event\": ";
        support::append_json_string(text_, event);
    }
    log_line& add(std::string_view key, std::string_view value) {
        key_(key);
        support::append_json_string(text_, value);
        return *this;
    }
    log_line& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    template <class Number>
    requires(std::integral<Number> || std::floating_point<Number>) log_line& add(std::string_view key, Number value) {
        key_(key);
        fmt::format_to(std::back_inserter(text_), "{}", value);
        return *this;
    }
    void write() {
        text_ += "}\n";
        std::fputs(text_.c_str(), stderr);
    }

private:
    void key_(std::string_view key) {
        text_ += ", ";
        support::append_json_string(text_, key);
        text_ += ": ";
    }
    std::string text_;
};

// An error answer's body: {"error": "..."}.
inline std::string error_body(std::string_view message) {
    std::string out = "{\"error\": ";
    support::append_json_string(out, message);
    out += "}\n";
    return out;
}

}  // namespace parley::cli

#endif
