// parley::action: what the host should do after a reply.
#ifndef PARLEY_ACTION_HPP_INCLUDED
#define PARLEY_ACTION_HPP_INCLUDED

#include <cstdint>
#include <optional>
#include <string_view>

namespace parley {

enum class action : std::uint8_t { continue_, hold, transfer, hangup, close };

[[nodiscard]] constexpr std::string_view to_string(action a) noexcept {
    switch (a) {
        case action::continue_: return "continue";
        case action::hold: return "hold";
        case action::transfer: return "transfer";
        case action::hangup: return "hangup";
        case action::close: return "close";
    }
    return "continue";
}

// The action a rules file names ("continue", "hold", ...); nullopt for any other word.
[[nodiscard]] constexpr std::optional<action> action_from_string(std::string_view word) noexcept {
    for (auto a : {action::continue_, action::hold, action::transfer, action::hangup, action::close})
        if (to_string(a) == word) return a;
    return std::nullopt;
}

// A state with a terminal action ends the call: the host transfers, hangs up or closes.
[[nodiscard]] constexpr bool is_terminal(action a) noexcept { return a == action::transfer || a == action::hangup || a == action::close; }

}  // namespace parley

#endif
