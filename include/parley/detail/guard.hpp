// Guard evaluation: whether a handler's `when` condition holds over the call as it stands.
#ifndef PARLEY_DETAIL_GUARD_HPP_INCLUDED
#define PARLEY_DETAIL_GUARD_HPP_INCLUDED

#include <parley/detail/tables.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace parley::detail {

// Whether `text` is a number as a typed slot or variable takes it (all of it: "7", "-2.5", "1e3"), and which.
[[nodiscard]] inline bool number_in(std::string_view text, double& out) noexcept {
    if (text.empty()) return false;
    const auto* end = text.data() + text.size();
    const auto result = std::from_chars(text.data(), end, out);
    return result.ec == std::errc() && result.ptr == end && std::isfinite(out);
}

template <class T>
[[nodiscard, gnu::always_inline]] constexpr bool compares(const T& x, compare c, const T& y) noexcept {
    switch (c) {
        case compare::eq: return x == y;
        case compare::ne: return x != y;
        case compare::lt: return x < y;
        case compare::le: return x <= y;
        case compare::gt: return x > y;
        case compare::ge: return x >= y;
    }
    return false;
}

template <class Values>
[[nodiscard]] bool holds_group(const script_tables& t, const guard_node& g, const Values& values) noexcept;
template <class Values>
[[nodiscard]] bool holds_values(const guard_node& g, const Values& values) noexcept;

// A counter's, slot's or variable's value as text (a counter: never compared as text).
template <class Values>
[[nodiscard]] std::string_view text_of(std::uint32_t source, std::uint32_t index, const Values& values) noexcept {
    return source == slot_value ? values.slot(index) : source == variable_value ? values.variable(index) : std::string_view();
}
// Its value as a number: a counter's always, a slot's or variable's when it holds one.
template <class Values>
[[nodiscard]] bool number_of(std::uint32_t source, std::uint32_t index, const Values& values, double& out) noexcept {
    if (source == counter_value) {
        out = static_cast<double>(values.counter(index));
        return true;
    }
    return number_in(text_of(source, index, values), out);
}

// Whether guard node `node` holds. `values` is what the handler sees while it runs:
// counter(i) -> std::int64_t, slot(i) and variable(i) -> std::string_view, and the utterance's
// `confidence`. A single comparison, the common guard, is decided inline where the step asks;
// `and`, `or` and `not` go out of line (holds_group), and come back here for each part.
template <class Values>
[[nodiscard, gnu::always_inline]] inline bool holds(const script_tables& t, std::uint32_t node, const Values& values) noexcept {
    const auto& g = t.guards[node];
    switch (g.op) {
        case guard_op::always: return true;
        case guard_op::all_of:
        case guard_op::any_of:
        case guard_op::negate: return holds_group(t, g, values);
        case guard_op::known_slot: return !values.slot(g.a).empty();
        case guard_op::counter_cmp: return compares(values.counter(g.a), g.cmp, g.number);
        case guard_op::slot_cmp: return compares(values.slot(g.a), g.cmp, t.str(g.string));
        case guard_op::variable_cmp: return compares(values.variable(g.a), g.cmp, t.str(g.string));
        case guard_op::slot_number_cmp: {
            double x = 0;
            return number_in(values.slot(g.a), x) && compares(x, g.cmp, g.real);
        }
        case guard_op::variable_number_cmp: {
            double x = 0;
            return number_in(values.variable(g.a), x) && compares(x, g.cmp, g.real);
        }
        case guard_op::known_count_cmp: {
            std::int64_t known = 0;
            for (std::uint32_t i = g.a; i < g.a + g.b; ++i) known += !values.slot(t.guard_children[i]).empty();
            return compares(known, g.cmp, g.number);
        }
        case guard_op::confidence_cmp: return compares(values.confidence, g.cmp, g.real);
        case guard_op::values_cmp:
        case guard_op::values_number_cmp: return holds_values(g, values);
    }
    return false;
}

// Two values compared: as text, or as numbers.
template <class Values>
[[nodiscard, gnu::noinline]] bool holds_values(const guard_node& g, const Values& values) noexcept {
    const auto left = static_cast<std::uint32_t>(g.number & 3), right = static_cast<std::uint32_t>(g.number >> 2 & 3);
    if (g.op == guard_op::values_cmp) return compares(text_of(left, g.a, values), g.cmp, text_of(right, g.b, values));
    double x = 0, y = 0;
    return number_of(left, g.a, values, x) && number_of(right, g.b, values, y) && compares(x, g.cmp, y);
}

template <class Values>
[[nodiscard, gnu::noinline]] bool holds_group(const script_tables& t, const guard_node& g, const Values& values) noexcept {
    switch (g.op) {
        case guard_op::all_of:
            for (std::uint32_t i = g.a; i < g.a + g.b; ++i)
                if (!holds(t, t.guard_children[i], values)) return false;
            return true;
        case guard_op::any_of:
            for (std::uint32_t i = g.a; i < g.a + g.b; ++i)
                if (holds(t, t.guard_children[i], values)) return true;
            return false;
        case guard_op::negate: return !holds(t, g.a, values);
        default: return false;
    }
}

}  // namespace parley::detail

#endif
