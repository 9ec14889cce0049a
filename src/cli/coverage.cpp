// Coverage: counting what conversation tests exercised, and the reports made from the counts.
#include "coverage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

namespace parley::cli {

namespace {

constexpr auto npos = static_cast<std::size_t>(-1);
using kind = coverage_point::kind;

// The literal parts of a phrase's text, between its {placeholders} (which may nest).
std::vector<std::string> literal_parts(std::string_view text) {
    std::vector<std::string> parts(1);
    int depth = 0;
    for (const char c : text) {
        if (c == '{' && depth++ == 0) parts.emplace_back();
        if (depth == 0) parts.back() += c;
        if (c == '}' && depth > 0 && --depth == 0) parts.emplace_back();
    }
    std::erase_if(parts, [](const std::string& p) { return p.empty(); });
    return parts;
}

// Whether `said` holds the text's literal parts in order (the placeholders rendered between
// them); a text without literal parts cannot be recognised.
bool says(std::string_view said, std::string_view text) {
    const auto parts = literal_parts(text);
    if (parts.empty()) return false;
    std::size_t at = 0;
    for (const auto& p : parts) {
        at = said.find(p, at);
        if (at == std::string_view::npos) return false;
        at += p.size();
    }
    return true;
}

bool recognisable(const coverage_point& e) {
    return std::any_of(e.texts.begin(), e.texts.end(), [](const std::string& t) { return !literal_parts(t).empty(); });
}

bool same_place(const rule_location& a, const rule_location& b) { return a.line == b.line && a.file == b.file; }

std::string percent(std::size_t covered, std::size_t total) {
    return total == 0 ? "-" : fmt::format("{:.1f}%", 100.0 * double(covered) / double(total));
}

}  // namespace

coverage::coverage(const parley::script& script, parley::coverage_points outline)
    : script_(script), graph_(make_graph(script)), outline_(std::move(outline)), hits_(outline_.entries.size(), 0) {
    std::map<std::string, std::size_t, std::less<>> states;
    for (std::size_t i = 0; i < outline_.entries.size(); ++i)
        if (outline_.entries[i].what == kind::state) states.emplace(outline_.entries[i].name, i);
    // A flow's copy of a state is named "COPY.STATE", where the copy is "FLOW(...)".
    for (state_id s = 0; s < graph_.states.size(); ++s) {
        std::string name(graph_.states[s]);
        if (const auto copy = graph_.flows[s]; !copy.empty())
            name = std::string(copy.substr(0, copy.find('('))) + "." + name.substr(std::min(name.size(), copy.size() + 1));
        const auto it = states.find(name);
        state_entry_.push_back(it == states.end() ? npos : it->second);
    }
    for (const auto& e : graph_.edges) {
        std::string trigger(e.trigger);
        if (!e.guard.empty()) trigger += fmt::format(" [{}]", e.guard);
        transitions_.push_back({e.global ? std::nullopt : std::optional(e.from), e.to, std::move(trigger), e.rule, 0});
    }
    // A confirmation is a transition the graph does not draw: to the state that waits for yes or no.
    for (const auto& e : outline_.entries)
        if (e.what == kind::confirm)
            if (const auto to = script.find_state(e.name.substr(e.name.rfind(' ') + 1)))
                transitions_.push_back({std::nullopt, *to, "below the confidence threshold (confirm)", {e.file, e.line}, 0});
}

void coverage::entered(state_id s) {
    if (s < state_entry_.size() && state_entry_[s] != npos) ++hits_[state_entry_[s]];
}

void coverage::fired(const rule_location& rule) {
    for (std::size_t i = 0; i < outline_.entries.size(); ++i) {
        const auto& e = outline_.entries[i];
        if (e.what != kind::state && e.what != kind::variant && e.line == rule.line && e.file == rule.file) ++hits_[i];
    }
}

void coverage::observe(std::optional<state_id> before, const parley::reply& r, const parley::step_trace* trace) {
    // The edge of `rule` from the state the call was in; else (an accepted confirmation, which
    // answers from the state that asked) an edge of that rule to `to`, when it is known.
    auto take = [&](const rule_location& rule, std::optional<state_id> to) -> transition* {
        for (auto& t : transitions_)
            if (same_place(t.rule, rule) && (!to || t.to == *to) && (!t.from || (before && *t.from == *before))) return &t;
        if (to)
            for (auto& t : transitions_)
                if (same_place(t.rule, rule) && t.to == *to) return &t;
        return nullptr;
    };
    // With a trace, every handler that fired on the way counts, each with the transition it took:
    // one that led into a form, the form's 'complete' handler, or the `ask` line that spoke.
    bool counted = false;
    if (trace)
        for (const auto& h : trace->handlers) {
            if (!h.fired) continue;
            fired(h.rule);
            counted = same_place(h.rule, r.rule());
            if (auto* t = take(h.rule, std::nullopt)) {
                ++t->hits;
                if (!before || *before != t->to) entered(t->to);
                before = t->to;
            }
        }
    if (!before || *before != r.state) entered(r.state);
    const auto rule = r.rule();
    if (rule && !counted) {
        fired(rule);
        // From the state the call was in, to where it is; the confirmation's own edges too.
        bool found = false;
        for (auto& t : transitions_)
            if (t.to == r.state && same_place(t.rule, rule) && (!t.from || (before && *t.from == *before))) ++t.hits, found = true;
        if (!found)
            if (auto* t = take(rule, r.state)) ++t->hits;
    }
    if (r.phrase.empty()) return;
    for (std::size_t i = 0; i < outline_.entries.size(); ++i) {
        const auto& e = outline_.entries[i];
        if (e.what == kind::variant && std::any_of(e.texts.begin(), e.texts.end(), [&](const std::string& t) { return says(r.phrase, t); }))
            ++hits_[i];
    }
}

std::string coverage::report() const {
    struct tally {
        std::size_t covered = 0, total = 0;
    };
    tally states, rules, variants, edges;
    std::vector<std::tuple<std::string, std::uint32_t, std::string>> missed;  // file, line, what
    for (std::size_t i = 0; i < outline_.entries.size(); ++i) {
        const auto& e = outline_.entries[i];
        const bool hit = hits_[i] > 0;
        switch (e.what) {
            case kind::state:
                ++states.total, states.covered += hit;
                if (!hit) missed.emplace_back(e.file, e.line, fmt::format("state '{}' never entered", e.name));
                break;
            case kind::handler:
            case kind::field:
            case kind::confirm:
                ++rules.total, rules.covered += hit;
                if (!hit)  // (the confirmation belongs to no state: its name says what it is)
                    missed.emplace_back(e.file, e.line,
                                        fmt::format("'{}'{} never fired", e.name, e.owner.empty() ? "" : fmt::format(" ({})", e.owner)));
                break;
            case kind::variant:
                if (!recognisable(e)) break;
                ++variants.total, variants.covered += hit;
                if (!hit) missed.emplace_back(e.file, e.line, fmt::format("variant \"{}\" ({}) never said", e.name, e.owner));
                break;
        }
    }
    for (const auto& t : transitions_) {
        ++edges.total, edges.covered += t.hits > 0;
        if (t.hits == 0)
            missed.emplace_back(std::string(t.rule.file), t.rule.line,
                                fmt::format("transition {} -> {} ({}) never taken", t.from ? script_.state_name(*t.from) : "any state",
                                            script_.state_name(t.to), t.trigger));
    }
    std::stable_sort(missed.begin(), missed.end(), [](const auto& a, const auto& b) {
        return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
    });
    std::string out = "coverage:\n";
    auto line = [&](std::string_view what, const tally& t) {
        out += fmt::format("  {:<16} {:>5}/{:<5} {:>6}\n", what, t.covered, t.total, percent(t.covered, t.total));
    };
    line("states entered", states);
    line("handlers fired", rules);
    line("transitions", edges);
    line("phrase variants", variants);
    if (!missed.empty()) out += "not covered:\n";
    for (const auto& [file, number, what] : missed) out += fmt::format("  {}:{}: {}\n", file, number, what);
    return out;
}

std::string coverage::lcov() const {
    // Per file: each line's count is the smallest of what is on it (covered only when all of it is).
    struct file_data {
        std::map<std::uint32_t, std::uint64_t> lines;
        std::vector<std::tuple<std::uint32_t, std::size_t, std::uint64_t>> branches;  // line, index on the line, hits
    };
    std::map<std::string, file_data> files;
    for (const auto& f : outline_.entries) files[f.file];
    for (std::size_t i = 0; i < outline_.entries.size(); ++i) {
        const auto& e = outline_.entries[i];
        if (e.what == kind::variant && !recognisable(e)) continue;
        auto [it, fresh] = files[e.file].lines.emplace(e.line, hits_[i]);
        if (!fresh) it->second = std::min(it->second, hits_[i]);
    }
    std::map<std::pair<std::string, std::uint32_t>, std::size_t> on_line;
    for (const auto& t : transitions_) {
        const std::string file(t.rule.file);
        files[file].branches.emplace_back(t.rule.line, on_line[{file, t.rule.line}]++, t.hits);
    }
    std::string out;
    for (const auto& [name, data] : files) {
        out += fmt::format("TN:\nSF:{}\n", name);
        std::size_t found = 0, hit = 0;
        for (const auto& [line, branch, hits] : data.branches) {
            out += fmt::format("BRDA:{},0,{},{}\n", line, branch, hits);
            ++found, hit += hits > 0;
        }
        out += fmt::format("BRF:{}\nBRH:{}\n", found, hit);
        std::size_t lines_hit = 0;
        for (const auto& [line, hits] : data.lines) {
            out += fmt::format("DA:{},{}\n", line, hits);
            lines_hit += hits > 0;
        }
        out += fmt::format("LF:{}\nLH:{}\nend_of_record\n", data.lines.size(), lines_hit);
    }
    return out;
}

std::vector<std::uint64_t> coverage::edge_hits() const {
    std::vector<std::uint64_t> out;
    for (std::size_t i = 0; i < graph_.edges.size(); ++i) out.push_back(transitions_[i].hits);
    return out;
}

std::optional<std::vector<std::uint64_t>> edge_hits_from_lcov(const parley::script& script, const std::string& path, std::string& error) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = fmt::format("cannot read '{}'", path);
        return std::nullopt;
    }
    std::map<std::tuple<std::string, std::uint32_t, std::size_t>, std::uint64_t> branches;
    std::string line, file;
    while (std::getline(in, line)) {
        if (line.starts_with("SF:")) file = line.substr(3);
        std::uint32_t number = 0;
        std::size_t block = 0, branch = 0;
        char taken[32] = {};
        if (std::sscanf(line.c_str(), "BRDA:%u,%zu,%zu,%31s", &number, &block, &branch, taken) == 4)
            branches[{file, number, branch}] = taken[0] == '-' ? 0 : std::strtoull(taken, nullptr, 10);
    }
    const auto graph = make_graph(script);
    std::map<std::pair<std::string, std::uint32_t>, std::size_t> on_line;
    std::vector<std::uint64_t> hits;
    for (const auto& e : graph.edges) {
        const std::string f(e.rule.file);
        const auto it = branches.find({f, e.rule.line, on_line[{f, e.rule.line}]++});
        if (it == branches.end()) {
            error = fmt::format("'{}' has no branch for {}:{}: was it written for this script?", path, f, e.rule.line);
            return std::nullopt;
        }
        hits.push_back(it->second);
    }
    return hits;
}

std::string dot_with_coverage(const parley::script& script, const std::vector<std::uint64_t>& edge_hits) {
    // to_dot writes the edges last, one line each, in make_graph's order.
    std::string dot = parley::to_dot(script);
    std::vector<std::string> lines;
    std::istringstream in(dot);
    for (std::string l; std::getline(in, l);) lines.push_back(std::move(l));
    const std::size_t first_edge = lines.size() - 1 - edge_hits.size();
    std::size_t taken = 0;
    for (std::size_t i = 0; i < edge_hits.size(); ++i) {
        auto& l = lines[first_edge + i];
        if (edge_hits[i] > 0) {
            ++taken;
            l.insert(l.size() - 2, fmt::format(", penwidth=2, tooltip=\"taken {} times\"", edge_hits[i]));
        } else {
            l.insert(l.size() - 2, ", color=red, fontcolor=red, style=dashed, tooltip=\"never taken\"");
        }
    }
    lines.insert(lines.end() - 1, fmt::format("  label=\"coverage: {} of {} transitions taken; never taken in red, dashed\"; labelloc=t;",
                                              taken, edge_hits.size()));
    std::string out;
    for (const auto& l : lines) out += l + '\n';
    return out;
}

}  // namespace parley::cli
