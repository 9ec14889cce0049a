// Coverage of a script by conversation tests (`parley test --coverage`): which states were
// entered, which rules fired, which transitions were taken and which phrase variants were said.
// Everything is observed through the public API: a reply's rule() and state, the state before
// it, the graph's edges (parley::make_graph) and the outline of the source (parley::list_coverage_points).
#ifndef PARLEY_SRC_CLI_COVERAGE_HPP_INCLUDED
#define PARLEY_SRC_CLI_COVERAGE_HPP_INCLUDED

#include <parley/compiler.hpp>
#include <parley/graph.hpp>
#include <parley/session.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::cli {

class coverage {
public:
    coverage(const parley::script& script, parley::coverage_points outline);

    // A reply the call gave; `before` is the state it was in (nullopt for the pickup). With the
    // step's trace, every handler that fired on the way counts, not only the reply's rule: a
    // handler that led into a form that completed at once, then its 'complete' handler.
    void observe(std::optional<state_id> before, const parley::reply& r, const parley::step_trace* trace = nullptr);

    // Totals, then every uncovered item by file:line.
    [[nodiscard]] std::string report() const;
    // An lcov tracefile: hit counts on the .rules lines, transitions as branches.
    [[nodiscard]] std::string lcov() const;
    // Hits per edge of make_graph(script), in its order; the confirmation's edges are not among them.
    [[nodiscard]] std::vector<std::uint64_t> edge_hits() const;

private:
    struct transition {
        std::optional<state_id> from;  // nullopt: from any state
        state_id to = 0;
        std::string trigger;
        rule_location rule;
        std::uint64_t hits = 0;
    };
    [[nodiscard]] std::size_t outline_state(state_id s) const;
    void entered(state_id s);
    void fired(const rule_location& rule);

    parley::script script_;
    parley::graph_view graph_;
    parley::coverage_points outline_;
    std::vector<std::uint64_t> hits_;       // per outline entry
    std::vector<std::size_t> state_entry_;  // runtime state -> outline entry (or npos)
    std::vector<transition> transitions_;   // the graph's edges, then the confirmation's
};

// Reads the hits per edge back from an lcov tracefile that `coverage::lcov` wrote for this script.
[[nodiscard]] std::optional<std::vector<std::uint64_t>> edge_hits_from_lcov(const parley::script& script, const std::string& path,
                                                                            std::string& error);

// DOT with the edges never taken drawn red and dashed, and a legend with the totals.
[[nodiscard]] std::string dot_with_coverage(const parley::script& script, const std::vector<std::uint64_t>& edge_hits);

}  // namespace parley::cli

#endif
