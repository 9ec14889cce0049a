// Rendering a text with placeholders: its literal pieces as compiled, its placeholders as the
// call's values have them now, written into a buffer.
#ifndef PARLEY_DETAIL_RENDER_HPP_INCLUDED
#define PARLEY_DETAIL_RENDER_HPP_INCLUDED

#include <parley/detail/guard.hpp>
#include <parley/detail/tables.hpp>

#include <fmt/compile.h>
#include <fmt/format.h>

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>

namespace parley::detail {

// Whether a value is the one a conditional part `{name=value?...}` names: the same text, or the
// same number ("7" is "7.0").
[[nodiscard]] inline bool is_value(std::string_view value, std::string_view wanted) noexcept {
    if (value == wanted) return true;
    double x = 0, y = 0;
    return number_in(value, x) && number_in(wanted, y) && x == y;
}

// Hands each piece of `x` that is said to `on_piece`, in order, as `values` have them (see
// render()), skipping the conditional parts that are not: a part whose value is empty, and the
// else part of one whose value is not.
template <class Values, class OnPiece>
[[gnu::always_inline]] inline void for_each_said(const script_tables& t, const text& x, const Values& values, OnPiece&& on_piece) {
    auto or_fallback = [&](std::string_view value, const segment& seg) { return value.empty() ? t.str(seg.literal) : value; };
    auto piece = [&](const segment& seg) -> std::string_view {
        switch (seg.kind) {
            case segment_kind::literal: return t.str(seg.literal);
            case segment_kind::variable: return or_fallback(values.variable(seg.index), seg);
            case segment_kind::slot: return or_fallback(values.slot(seg.index), seg);
            case segment_kind::intent_description: return values.description();
            case segment_kind::unless_slot:
            case segment_kind::unless_variable:
            case segment_kind::unless_slot_is:
            case segment_kind::unless_variable_is:
            case segment_kind::jump: break;  // said nothing; the walk follows them
        }
        return {};
    };
    const segment* segments = t.segments.data() + x.first_segment;
    const std::size_t count = x.segment_count;
    for (std::size_t i = 0; i < count; ++i) {
        const auto& seg = segments[i];
        switch (seg.kind) {
            case segment_kind::unless_slot:
                if (values.slot(seg.index).empty()) i += seg.skip;
                break;
            case segment_kind::unless_variable:
                if (values.variable(seg.index).empty()) i += seg.skip;
                break;
            case segment_kind::unless_slot_is:
                if (!is_value(values.slot(seg.index), t.str(seg.literal))) i += seg.skip;
                break;
            case segment_kind::unless_variable_is:
                if (!is_value(values.variable(seg.index), t.str(seg.literal))) i += seg.skip;
                break;
            case segment_kind::jump: i += seg.skip; break;
            default: on_piece(piece(seg));
        }
    }
}

// Renders `x` and returns the phrase, written at the start of `room(size)`: a buffer of at least
// `size` bytes, which only grows (the one allocation, while it still does; shrinking and growing
// again would fill it with zeros first), and may hold stale bytes past the phrase. `values` gives
// each placeholder's text: variable(i), slot(i) and description() (of the intent a
// confirmation asks about). Out of line: most texts have no placeholders and never come here.
template <class Room, class Values>
[[gnu::noinline]] std::string_view render(Room&& room, const script_tables& t, const text& x, const Values& values) {
    // Resolve the pieces once (on the stack for the usual few), size the buffer once, write.
    struct part_view {
        const char* data;
        std::size_t size;
    };
    part_view parts[16];  // left uninitialised: only the first `said` are read
    std::size_t said = 0, size = 0;
    for_each_said(t, x, values, [&](std::string_view part) {
        if (said < std::size(parts)) parts[said] = {part.data(), part.size()};
        ++said;
        size += part.size();
    });
    char* const start = room(size);
    char* out = start;
    auto write = [&](std::string_view part) {
        if (!part.empty()) out = fmt::format_to(out, FMT_COMPILE("{}"), part);  // an unset slot may be a null view
    };
    if (said <= std::size(parts))
        for (std::size_t i = 0; i < said; ++i) write(std::string_view(parts[i].data, parts[i].size));
    else
        for_each_said(t, x, values, write);
    return {start, size};
}

// Room in a std::string, as render() asks for it.
[[nodiscard]] inline char* room_in(std::string& buffer, std::size_t size) {
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
}

}  // namespace parley::detail

#endif
