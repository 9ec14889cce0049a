// Phase 4, analyse: takes the symbol_table of a checked script and the usage the checks found,
// and gives findings: the state graph's unreachable states, cycles that can never be left and
// states that lead to no end (Boost.Graph), intents or events never handled, and the fields of
// forms that are never asked (a dataflow over the graph). warn() says them as warnings, in
// that order.
#include "pipeline.hpp"
#include "text.hpp"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/reverse_graph.hpp>
#include <boost/graph/strong_components.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <optional>

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
// through the confirm state when 'confirm' is in force. The global handlers go through one more
// vertex, after the states': every state that is not terminal leads to it, and it leads to
// their targets. A path between states exists exactly when it does with an edge from every
// state to every global target, but the edges are as many as the states and the targets, not
// their product. (The vertex is no state: the analyses skip it.)
graph state_graph(const symbol_table& symbols) {
    const auto n = symbols.state_list.size();
    graph g(n + 1);
    const auto any_state = n;
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
        if (!global_targets.empty()) boost::add_edge(s, any_state, g);
        if (confirm_state != none && s != confirm_state) {
            boost::add_edge(s, confirm_state, g);
            boost::add_edge(confirm_state, s, g);
        }
    }
    for (auto t : global_targets) boost::add_edge(any_state, t, g);
    return g;
}

// Strongly connected components with no way out, no terminal state and a reachable member.
void find_trap_cycles(const symbol_table& symbols, const graph& g, const colors& reached, findings& found) {
    const auto n = symbols.state_list.size();
    std::vector<std::size_t> component(boost::num_vertices(g));
    const auto count = boost::strong_components(g, boost::make_iterator_property_map(component.begin(), get(boost::vertex_index, g)));
    std::vector<bool> has_exit(count, false), has_terminal(count, false);
    std::vector<std::vector<std::uint32_t>> members(count);
    for (std::uint32_t v = 0; v < component.size(); ++v) {
        if (v < n) members[component[v]].push_back(v);
        if (v < n && terminal(symbols, v)) has_terminal[component[v]] = true;
        for (auto [e, end] = boost::out_edges(v, g); e != end; ++e)
            if (component[boost::target(*e, g)] != component[v]) has_exit[component[v]] = true;
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
    colors leads_out(boost::num_vertices(g), boost::white_color);
    boost::breadth_first_search(boost::make_reverse_graph(g), sink,
                                boost::color_map(boost::make_iterator_property_map(leads_out.begin(), get(boost::vertex_index, g))));
    for (std::uint32_t s = 0; s < n; ++s)
        if (leads_out[s] == boost::white_color && reached[s] != boost::white_color && !in_trap_cycle[s]) found.dead_ends.push_back(s);
}

// ---- Slots surely known on entering each state ------------------------------------------------
//
// At run time a slot stays in the call from state to state until something makes the call
// forget it: a 'clear' (a handler's or a state's entry's), or a 'keep' of an utterance that
// carries the slot empty. What the call surely knows on entering a state is therefore what every
// way in guarantees: what it surely knew in the state it came from, less what the handlers that
// stay there may forget, plus what the way in guarantees, less what it forgets on the way.
//   - A form's 'complete' fires only once the call knows every field's slot.
//   - A guard that holds only while a slot is known (known(x), x == "text": guard_needs_slot)
//     guarantees the call's value on a timer, which has no utterance; with an utterance the
//     guard may read the utterance's own value instead (it shadows the call's), which the call
//     has only if the handler keeps it.
//   - 'keep x' then sets the call's x to the utterance's x, which may be empty: it guarantees x
//     only when the guard does, and else may forget it. A 'clear' forgets.
//   - Entering the state runs its entry clauses: its 'clear's forget.
//   - A confirmation question goes to the confirm target and back to the state it was asked in
//     without entering either as a handler does (no entry clauses); meanwhile the target's timers
//     may run.
// The initial state starts with nothing known. The sets only shrink from "everything" until
// nothing changes (a greatest fixpoint), over the states reachable from the initial one.
class known_slots {
public:
    using slot_set = std::vector<bool>;  // by slot index

    known_slots(const symbol_table& symbols, const colors& reached) : symbols_(symbols), reached_(reached) {
        const auto n = symbols.state_list.size();
        const auto* confirm = symbols.confirm;
        if (confirm && symbols.settings.threshold > 0 && symbols.states.count(confirm->target.text))
            confirm_state_ = symbols.states.find(confirm->target.text)->second.index;
        // A slot that staying may forget comes out false. The global handlers are the same in
        // every state: what they keep is found once.
        auto staying = [&](const handler_ref& h, slot_set& kept_here) {
            if (target_of(symbols, h) != none) return;
            auto kept = all();
            through(h, kept);
            for (std::size_t i = 0; i < kept.size(); ++i)
                if (!kept[i]) kept_here[i] = false;
        };
        auto kept_by_globals = all();
        for (const auto& h : symbols.globals) staying(h, kept_by_globals);
        kept_while_staying_.assign(n, all());
        for (std::uint32_t s = 0; s < n; ++s) {
            if (is_terminal(symbols.state_list[s].action)) continue;
            kept_while_staying_[s] = kept_by_globals;
            for (const auto& h : symbols.state_list[s].handlers) staying(h, kept_while_staying_[s]);
        }
        entering_.assign(n, all());
        solve();
    }

    // What the call surely knows while it is in state s (on entering it, less what staying may forget).
    [[nodiscard]] slot_set in_state(std::uint32_t s) const { return both(entering_[s], kept_while_staying_[s]); }

private:
    [[nodiscard]] slot_set all() const { return slot_set(symbols_.slots.size(), true); }
    [[nodiscard]] static slot_set both(slot_set a, const slot_set& b) {
        for (std::size_t i = 0; i < a.size(); ++i) a[i] = a[i] && b[i];
        return a;
    }
    [[nodiscard]] std::uint32_t slot_index(const ast::identifier& name) const { return symbols_.find_value(name.text)->index; }

    // What firing h does to `known`, what the call surely knows as the handler's guard is tried.
    void through(const handler_ref& h, slot_set& known) const {
        const auto& node = *h.node;
        const bool utterance = node.when.kind != ast::trigger_kind::after;
        slot_set guarded(known.size(), false);
        if (node.guard)
            for (std::size_t i = 0; i < guarded.size(); ++i) guarded[i] = guard_needs_slot(*node.guard, symbols_.slots[i]);
        if (node.when.kind == ast::trigger_kind::complete && h.owner != none)
            for (const auto& f : symbols_.state_list[h.owner].node->fields) known[slot_index(f.slot)] = true;
        if (!utterance)
            for (std::size_t i = 0; i < known.size(); ++i) known[i] = known[i] || guarded[i];
        for (const auto& clause : node.clauses) {
            if (const auto* clear = boost::get<ast::clear_clause>(&clause))
                for (const auto& slot : clear->slots) known[slot_index(slot)] = guarded[slot_index(slot)] = false;
            else if (const auto* keep = boost::get<ast::keep_clause>(&clause); keep && utterance)
                for (const auto& slot : keep->slots) known[slot_index(slot)] = guarded[slot_index(slot)];
        }
    }
    // What entering state s forgets.
    void enter(std::uint32_t s, slot_set& known) const {
        for (const auto& clause : symbols_.state_list[s].node->entry_clauses)
            if (const auto* clear = boost::get<ast::clear_clause>(&clause))
                for (const auto& slot : clear->slots) known[slot_index(slot)] = false;
    }
    bool narrow(std::uint32_t s, const slot_set& known) {
        bool changed = false;
        for (std::size_t i = 0; i < known.size(); ++i)
            if (entering_[s][i] && !known[i]) entering_[s][i] = false, changed = true;
        return changed;
    }

    // The ways out of state s narrow what the states they lead to surely know on entry.
    bool solve_step(std::uint32_t s) {
        if (s == symbols_.initial) narrow(s, slot_set(symbols_.slots.size(), false));
        if (reached_[s] == boost::white_color) return false;
        bool changed = false;
        if (is_terminal(symbols_.state_list[s].action)) return false;
        const auto here = in_state(s);
        for (const auto& h : symbols_.state_list[s].handlers) changed = lead(h, here) || changed;
        if (confirm_state_ != none && s != confirm_state_ && !is_terminal(symbols_.state_list[s].action)) {
            changed = narrow(confirm_state_, here) || changed;
            changed = narrow(s, both(here, kept_while_staying_[confirm_state_])) || changed;
        }
        return changed;
    }
    // Where h leads from a state where the call surely knows `known`: narrows its target.
    bool lead(const handler_ref& h, slot_set known) {
        const auto to = target_of(symbols_, h);
        if (to == none) return false;
        through(h, known);
        enter(to, known);
        return narrow(to, known);
    }
    // A global handler fires in any reached state that is not terminal: what its target surely
    // knows is what all of them do, through it. (Each step of through() and enter() sets a slot,
    // clears it or leaves it, so it commutes with the intersection: the same fixpoint as handler
    // by handler and state by state, in time linear in the states and the globals.)
    bool solve_globals() {
        if (symbols_.globals.empty()) return false;
        std::optional<slot_set> everywhere;
        for (std::uint32_t s = 0; s < symbols_.state_list.size(); ++s) {
            if (reached_[s] == boost::white_color || is_terminal(symbols_.state_list[s].action)) continue;
            everywhere = everywhere ? both(std::move(*everywhere), in_state(s)) : in_state(s);
        }
        if (!everywhere) return false;
        bool changed = false;
        for (const auto& h : symbols_.globals) changed = lead(h, *everywhere) || changed;
        return changed;
    }
    void solve() {
        for (bool changed = true; changed;) {
            changed = false;
            for (std::uint32_t s = 0; s < symbols_.state_list.size(); ++s) changed = solve_step(s) || changed;
            changed = solve_globals() || changed;
        }
    }

    const symbol_table& symbols_;
    const colors& reached_;
    std::uint32_t confirm_state_ = none;
    std::vector<slot_set> kept_while_staying_;  // by state: false for a slot that a handler staying there may forget
    std::vector<slot_set> entering_;            // by state: the slots surely known on entering it
};

// A form asks only for what the call does not know: a field whose slot the call always knows
// in the form is never asked.
void find_unasked_fields(const symbol_table& symbols, const colors& reached, findings& found) {
    const auto& states = symbols.state_list;
    if (symbols.slots.empty() || std::none_of(states.begin(), states.end(), [](const state_info& s) { return !s.node->fields.empty(); }))
        return;
    const known_slots known(symbols, reached);
    for (std::uint32_t s = 0; s < states.size(); ++s) {
        if (states[s].node->fields.empty() || reached[s] == boost::white_color) continue;
        const auto in = known.in_state(s);
        for (std::uint32_t f = 0; f < states[s].node->fields.size(); ++f)
            if (in[symbols.find_value(states[s].node->fields[f].slot.text)->index]) found.unasked_fields.push_back({s, f});
    }
}

}  // namespace

findings analyse(const symbol_table& symbols, const usage& used) {
    findings found;
    for (std::uint32_t l = 0; l < symbols.label_list.size(); ++l)
        if (!used.label_handled[l]) found.unused_labels.push_back(l);
    const auto n = symbols.state_list.size();
    if (n == 0 || symbols.initial == none) return found;
    auto g = state_graph(symbols);
    colors reached(boost::num_vertices(g), boost::white_color);
    boost::breadth_first_search(g, boost::vertex(symbols.initial, g),
                                boost::color_map(boost::make_iterator_property_map(reached.begin(), get(boost::vertex_index, g))));
    for (std::uint32_t s = 0; s < n; ++s)
        if (reached[s] == boost::white_color) found.unreachable.push_back(s);
    find_trap_cycles(symbols, g, reached, found);
    find_dead_ends(symbols, g, reached, found);
    find_unasked_fields(symbols, reached, found);
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
        const auto shown = std::min(cycle.size(), max_listed);
        for (std::size_t i = 0; i < shown; ++i) {
            names += (i == 0 ? "" : i + 1 == cycle.size() ? " and " : ", ");
            names += '\'';  // (appended, not "'" + ...: GCC 12's false -Wrestrict)
            names += echo(name_of(cycle[i]));
            names += '\'';
        }
        if (shown < cycle.size()) names += fmt::format(" and {} more", count_text(cycle.size() - shown));
        sink.warning(where(cycle.front()), fmt::format("states {} form a cycle that can never be left: no handler leads out of it", names));
    }
    auto returns = [&](std::uint32_t s) { return in_copy(s) && symbols.copies[states[s].copy].has_exits; };
    for (auto s : found.dead_ends)
        if (!returns(s)) sink.warning(where(s), fmt::format("no terminal state can be reached from state '{}'", name_of(s)));
    // A form takes any utterance its handlers do not, but only for the slots it carries: a label
    // no handler names is still one that nothing answers.
    const bool forms = std::any_of(states.begin(), states.end(), [](const state_info& s) { return !s.node->fields.empty(); });
    for (auto l : found.unused_labels) {
        const auto& label = symbols.label_list[l];
        const auto* kind = label.is_event ? "event" : "intent";
        if (forms)
            sink.warning(label.where, fmt::format("{} '{}' is declared but no handler names it: a form takes it only for the slots it "
                                                  "carries, and outside forms nothing answers it",
                                                  kind, label.name));
        else
            sink.warning(label.where, fmt::format("{} '{}' is declared but never handled", kind, label.name));
    }
    for (const auto& [s, f] : found.unasked_fields) {
        const auto& field = states[s].node->fields[f];
        sink.warning(at(states[s].file, field.slot),
                     fmt::format("form '{}' never asks for '{}': the call always knows the slot when it enters '{}', and nothing "
                                 "there makes it forget",
                                 name_of(s), field.slot.text, name_of(s)));
    }
}

}  // namespace parley::pipeline
