// Phase 4, analyse: takes the symbol_table of a checked script and the usage the checks found,
// and gives findings: the state graph's unreachable states, cycles that can never be left and
// states that lead to no end (Boost.Graph), and intents or events never handled. warn() says
// them as warnings, in that order.
#include "pipeline.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/strong_components.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace parley::pipeline {

namespace {

using graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
using colors = std::vector<boost::default_color_type>;

bool terminal(const symbol_table& symbols, std::size_t s) { return is_terminal(symbols.state_list[s].action); }

std::uint32_t target_of(const symbol_table& symbols, const handler_ref& h) {
    if (h.node->target.text == "stay") return none;
    const auto it = symbols.states.find(h.node->target.text);
    return it == symbols.states.end() ? none : it->second.index;
}

// An edge for every way out of a state: its handlers, the global handlers, and the round trip
// through the confirm state when 'confirm' is in force.
graph state_graph(const symbol_table& symbols) {
    const auto n = symbols.state_list.size();
    graph g(n);
    std::vector<std::uint32_t> global_targets;
    for (const auto& h : symbols.globals)
        if (auto t = target_of(symbols, h); t != none) global_targets.push_back(t);
    std::sort(global_targets.begin(), global_targets.end());
    global_targets.erase(std::unique(global_targets.begin(), global_targets.end()), global_targets.end());
    const auto* confirm = symbols.confirm;
    const auto confirm_state = confirm && symbols.settings.threshold > 0 && symbols.states.count(confirm->target.text)
                                   ? symbols.states.find(confirm->target.text)->second.index
                                   : none;
    for (std::uint32_t s = 0; s < n; ++s) {
        if (terminal(symbols, s)) continue;
        for (const auto& h : symbols.state_list[s].handlers)
            if (auto t = target_of(symbols, h); t != none) boost::add_edge(s, t, g);
        for (auto t : global_targets) boost::add_edge(s, t, g);
        if (confirm_state != none && s != confirm_state) {
            boost::add_edge(s, confirm_state, g);
            boost::add_edge(confirm_state, s, g);
        }
    }
    return g;
}

// Strongly connected components with no way out, no terminal state and a reachable member.
void find_trap_cycles(const symbol_table& symbols, const graph& g, const colors& reached, findings& found) {
    const auto n = symbols.state_list.size();
    std::vector<std::size_t> component(n);
    const auto count = boost::strong_components(g, boost::make_iterator_property_map(component.begin(), get(boost::vertex_index, g)));
    std::vector<bool> has_exit(count, false), has_terminal(count, false);
    std::vector<std::vector<std::uint32_t>> members(count);
    for (std::uint32_t s = 0; s < n; ++s) {
        members[component[s]].push_back(s);
        if (terminal(symbols, s)) has_terminal[component[s]] = true;
        for (auto [e, end] = boost::out_edges(s, g); e != end; ++e)
            if (component[boost::target(*e, g)] != component[s]) has_exit[component[s]] = true;
    }
    for (std::size_t c = 0; c < count; ++c) {
        if (has_exit[c] || has_terminal[c] || members[c].size() < 2) continue;
        if (std::none_of(members[c].begin(), members[c].end(), [&](auto s) { return reached[s] != boost::white_color; })) continue;
        found.trap_cycles.push_back(std::move(members[c]));
    }
}

// Reachable states from which no terminal state can be reached, outside the trap cycles: a
// search backwards from the terminals, through a vertex that `g` gains for them.
void find_dead_ends(const symbol_table& symbols, graph& g, const colors& reached, findings& found) {
    const auto n = symbols.state_list.size();
    std::vector<bool> in_trap_cycle(n, false);
    for (const auto& cycle : found.trap_cycles)
        for (auto s : cycle) in_trap_cycle[s] = true;
    const auto sink = boost::add_vertex(g);
    for (std::uint32_t s = 0; s < n; ++s)
        if (terminal(symbols, s)) boost::add_edge(s, sink, g);
    colors leads_out(n + 1, boost::white_color);
    boost::breadth_first_search(boost::make_reverse_graph(g), sink,
                                boost::color_map(boost::make_iterator_property_map(leads_out.begin(), get(boost::vertex_index, g))));
    for (std::uint32_t s = 0; s < n; ++s)
        if (leads_out[s] == boost::white_color && reached[s] != boost::white_color && !in_trap_cycle[s]) found.dead_ends.push_back(s);
}

}  // namespace

findings analyse(const symbol_table& symbols, const usage& used) {
    findings found;
    for (std::uint32_t l = 0; l < symbols.label_list.size(); ++l)
        if (!used.label_handled[l]) found.unused_labels.push_back(l);
    const auto n = symbols.state_list.size();
    if (n == 0 || symbols.initial == none) return found;
    auto g = state_graph(symbols);
    colors reached(n, boost::white_color);
    boost::breadth_first_search(g, boost::vertex(symbols.initial, g),
                                boost::color_map(boost::make_iterator_property_map(reached.begin(), get(boost::vertex_index, g))));
    for (std::uint32_t s = 0; s < n; ++s)
        if (reached[s] == boost::white_color) found.unreachable.push_back(s);
    find_trap_cycles(symbols, g, reached, found);
    find_dead_ends(symbols, g, reached, found);
    return found;
}

void warn(const findings& found, const symbol_table& symbols, diagnostic_sink& sink) {
    const auto& states = symbols.state_list;
    auto name_of = [&](std::uint32_t s) -> const std::string& { return states[s].node->name.text; };
    auto where = [&](std::uint32_t s) { return symbols.states.find(name_of(s))->second.where; };
    // A flow's copy is reached when a reached state uses it, and leads out through the states
    // its use gave: what is wrong with it is said at the flow (expand.cpp) or at those states,
    // and for a cycle inside it, once, at its first copy. (A flow without exits has one copy, and
    // nowhere else to say that it cannot end the call.)
    auto in_copy = [&](std::uint32_t s) { return states[s].copy != none; };
    auto in_later_copy = [&](std::uint32_t s) {
        const auto copy = states[s].copy;
        if (copy == none) return false;
        const auto& copies = symbols.copies;
        return std::find_if(copies.begin(), copies.end(), [&](const flow_copy& c) { return c.flow == copies[copy].flow; }) !=
               copies.begin() + copy;
    };
    for (auto s : found.unreachable)
        if (!in_copy(s))
            sink.warning(where(s),
                         fmt::format("state '{}' is unreachable from the initial state '{}'", name_of(s), name_of(symbols.initial)));
    for (const auto& cycle : found.trap_cycles) {
        if (std::all_of(cycle.begin(), cycle.end(), in_later_copy)) continue;
        std::string names;
        for (std::size_t i = 0; i < cycle.size(); ++i) {
            names += (i == 0 ? "" : i + 1 == cycle.size() ? " and " : ", ");
            names += "'" + name_of(cycle[i]) + "'";
        }
        sink.warning(where(cycle.front()), fmt::format("states {} form a cycle that can never be left: no handler leads out of it", names));
    }
    auto returns = [&](std::uint32_t s) { return in_copy(s) && symbols.copies[states[s].copy].has_exits; };
    for (auto s : found.dead_ends)
        if (!returns(s)) sink.warning(where(s), fmt::format("no terminal state can be reached from state '{}'", name_of(s)));
    for (auto l : found.unused_labels) {
        const auto& label = symbols.label_list[l];
        sink.warning(label.where, fmt::format("{} '{}' is declared but never handled", label.is_event ? "event" : "intent", label.name));
    }
}

}  // namespace parley::pipeline
