// The state graph of a compiled script, as a plain view and as Graphviz DOT.
#ifndef PARLEY_GRAPH_HPP_INCLUDED
#define PARLEY_GRAPH_HPP_INCLUDED

#include <parley/script.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace parley {

inline constexpr state_id any_state = detail::none;

struct graph_edge {
    state_id from = 0;  // for a global handler: any_state
    state_id to = 0;
    std::string_view trigger;  // "insult, threat", "otherwise", "after 55s"
    std::string_view guard;    // empty when the handler has none
    bool global = false;       // a global handler: it applies in every non-terminal state
    rule_location rule;
    std::vector<std::string_view> host_actions;  // the names of the actions it asks the host for
};

struct graph_view {
    std::vector<std::string_view> states;
    std::vector<action> actions;
    std::vector<std::vector<std::string_view>> entry_actions;  // by state: what entering it asks the host for
    std::vector<std::string_view> flows;                       // by state: the copy of a flow it belongs to, "FLOW(STATE,...)", or empty
    std::vector<std::vector<std::string>> entry_changes;       // by state: what entering it changes, as written ("clear email")
    std::vector<std::string_view> hints;                       // by state: its hint in the default language; empty when none
    std::vector<std::vector<std::string_view>> fields;         // by state: the slots a form asks for, in order
    state_id initial = 0;
    std::vector<graph_edge> edges;
};

// Every transition the script can take: each state's handlers and timers that change state,
// and the global handlers once, from any_state. `stay` handlers are not edges.
[[nodiscard]] inline graph_view make_graph(const script& s) {
    const auto& t = detail::tables_of(s);
    graph_view g;
    g.initial = t.initial_state;
    auto host_actions = [&](std::uint32_t first_effect, std::uint32_t count) {
        std::vector<std::string_view> names;
        for (std::uint32_t i = first_effect; i < first_effect + count; ++i)
            if (t.effects[i].kind == detail::effect_kind::host_action) names.push_back(t.str(t.host_actions[t.effects[i].index].name));
        return names;
    };
    auto changes = [&](std::uint32_t first_effect, std::uint32_t count) {
        std::vector<std::string> out;
        for (std::uint32_t i = first_effect; i < first_effect + count; ++i) {
            const auto& e = t.effects[i];
            switch (e.kind) {
                case detail::effect_kind::increment: out.push_back("increment " + std::string(t.str(t.counters[e.index]))); break;
                case detail::effect_kind::reset: out.push_back("reset " + std::string(t.str(t.counters[e.index]))); break;
                case detail::effect_kind::keep_slot: out.push_back("keep " + std::string(t.str(t.slots[e.index]))); break;
                case detail::effect_kind::clear_slot: out.push_back("clear " + std::string(t.str(t.slots[e.index]))); break;
                case detail::effect_kind::set_variable:
                case detail::effect_kind::render_variable:
                    out.push_back("set " + std::string(t.str(t.variables[e.index])) + " = \"" + std::string(t.str(e.value)) + "\"");
                    break;
                case detail::effect_kind::copy_slot:
                    out.push_back("set " + std::string(t.str(t.variables[e.index])) + " = " + std::string(t.str(t.slots[e.slot])));
                    break;
                case detail::effect_kind::host_action: break;  // in entry_actions
            }
        }
        return out;
    };
    for (const auto& st : t.states) {
        g.states.push_back(t.str(st.name));
        g.actions.push_back(st.action);
        g.entry_actions.push_back(host_actions(st.first_entry_effect, st.entry_effect_count));
        g.flows.push_back(t.str(st.flow));
        g.entry_changes.push_back(changes(st.first_entry_effect, st.entry_effect_count));
        g.hints.push_back(st.hint == detail::none ? std::string_view() : t.str(t.texts[t.phrases[st.hint].first_text].whole));
        std::vector<std::string_view> fields;
        if (st.form != detail::none) {
            const auto& f = t.forms[st.form];
            for (std::uint32_t i = f.first_field; i < f.first_field + f.field_count; ++i)
                fields.push_back(t.str(t.slots[t.form_fields[i].slot]));
        }
        g.fields.push_back(std::move(fields));
    }
    auto edge = [&](state_id from, std::uint32_t index, bool global) {
        const auto& h = t.handlers[index];
        if (h.target == detail::none) return;
        const auto& text = t.handler_texts[index];
        g.edges.push_back({from,
                           h.target,
                           t.str(text.trigger),
                           t.str(text.guard),
                           global,
                           {t.files[h.rule.file], h.rule.line},
                           host_actions(h.first_effect, h.effect_count)});
    };
    for (state_id i = 0; i < t.states.size(); ++i) {
        const auto& st = t.states[i];
        for (std::uint32_t k = st.first_handler; k < st.first_handler + st.handler_count; ++k) edge(i, k, false);
        for (std::uint32_t k = st.first_timer; k < st.first_timer + st.timer_count; ++k) edge(i, t.timers[k].handler, false);
    }
    for (std::uint32_t k = t.first_global_handler; k < t.first_global_handler + t.global_handler_count; ++k) edge(any_state, k, true);
    return g;
}

namespace detail {
inline std::string joined(const std::vector<std::string_view>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
}
inline std::string dot_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}
}  // namespace detail

// Graphviz DOT: the initial state doubled, terminal states filled and coloured by action,
// hold states dashed, edges labelled "trigger [guard]"; global handlers are grey edges from
// an "any state" node. Host actions follow "do" on their edge, or in their state's box; a
// state's box also lists a form's fields ("ask email"), what entering it changes ("clear
// email") and its hint.
[[nodiscard]] inline std::string to_dot(const script& s) {
    const auto g = make_graph(s);
    std::string out =
        "digraph parley {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
        "  edge [fontname=\"Helvetica\", fontsize=10];\n";
    // A flow's copy is a box around its states, labelled with the copy's name; inside, a state is
    // labelled with its name in the flow. (A copy's states are consecutive.)
    std::string_view cluster;
    std::size_t clusters = 0;
    for (state_id i = 0; i < g.states.size(); ++i) {
        if (g.flows[i] != cluster) {
            if (!cluster.empty()) out += "  }\n";
            cluster = g.flows[i];
            if (!cluster.empty())
                out += "  subgraph \"cluster_" + std::to_string(++clusters) + "\" {\n    label=\"" + detail::dot_escape(cluster) +
                       "\"; style=rounded; color=gray60; fontname=\"Helvetica\";\n";
        }
        const auto shown = cluster.empty() ? g.states[i] : g.states[i].substr(cluster.size() + 1);
        out += (cluster.empty() ? "  \"" : "    \"") + detail::dot_escape(g.states[i]) + "\" [";
        switch (g.actions[i]) {
            case action::transfer: out += "shape=box, style=\"rounded,filled\", fillcolor=\"#cfe2ff\", "; break;
            case action::hangup: out += "shape=box, style=\"rounded,filled\", fillcolor=\"#f8d7da\", "; break;
            case action::close: out += "shape=box, style=\"rounded,filled\", fillcolor=\"#d1e7dd\", "; break;
            case action::hold: out += "style=\"rounded,dashed\", "; break;
            case action::continue_: break;
        }
        if (i == g.initial) out += "peripheries=2, ";
        out += "label=\"" + detail::dot_escape(shown);
        if (g.actions[i] != action::continue_) out += "\\n(" + std::string(to_string(g.actions[i])) + ")";
        for (const auto& field : g.fields[i]) out += "\\nask " + detail::dot_escape(field);
        for (const auto& change : g.entry_changes[i]) out += "\\n" + detail::dot_escape(change);
        if (!g.entry_actions[i].empty()) out += "\\ndo " + detail::dot_escape(detail::joined(g.entry_actions[i]));
        if (!g.hints[i].empty()) out += "\\nhint: " + detail::dot_escape(g.hints[i]);
        out += "\"];\n";
    }
    if (!cluster.empty()) out += "  }\n";
    bool globals = false;
    for (const auto& e : g.edges) globals = globals || e.global;
    if (globals) out += "  \"*\" [label=\"any state\", shape=plaintext, fontcolor=gray40];\n";
    auto node = [&](state_id id) { return id == any_state ? std::string("*") : detail::dot_escape(g.states[id]); };
    for (const auto& e : g.edges) {
        std::string label(e.trigger);
        if (!e.guard.empty()) label += " [" + std::string(e.guard) + "]";
        label = detail::dot_escape(label);
        if (!e.host_actions.empty()) label += "\\ndo " + detail::dot_escape(detail::joined(e.host_actions));
        out += "  \"" + node(e.from) + "\" -> \"" + node(e.to) + "\" [label=\"" + label + "\"" +
               (e.global ? ", color=gray50, fontcolor=gray40" : "") + "];\n";
    }
    out += "}\n";
    return out;
}

}  // namespace parley

#endif
