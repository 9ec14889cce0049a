// Phase 1b, expand: takes parsed_files and gives script_items, the top-level items with every
// flow expanded. A use of a flow, `-> FLOW(EXIT -> STATE, ...)`, becomes a jump to the entry of
// the flow's copy for those exits: its own states, named `FLOW(STATE, ...).LOCAL`, whose
// handlers go to the copy's states, to the states the exits were given, or to the script's
// states. Uses with the same exits share one copy. Later phases see only plain states, so
// sessions, snapshots and graph analyses stay flat.
//
// What only the flow as written can show is said here: its declaration's mistakes, a use that
// does not fit it, a flow never used, an exit never taken, a state its entry cannot reach.
#include "pipeline.hpp"
#include "text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <set>

namespace parley::pipeline {

namespace {

struct flow_info {
    const ast::flow_decl* node = nullptr;
    std::uint32_t file = 0;
    std::map<std::string, std::uint32_t, std::less<>> locals;  // its states, by name
    bool used = false;
    bool broken = false;  // its declaration has errors: its uses are not expanded
    // What one copy costs, known before it is made: the flow's text (its states and handlers
    // copied), and the names that a copy's prefix goes into (each state's name, each handler's
    // target, each exit's binding: resolved inside the copy, each at most the prefix long).
    std::size_t text_bytes = 0;
    std::size_t named = 0;
    std::size_t handlers = 0;
};

// Where names in handlers resolve: at the top level, or inside one copy of a flow.
struct scope {
    const flow_info* flow = nullptr;
    std::string prefix;                // "FLOW(STATE, ...)": the copy's states are prefix.LOCAL
    std::vector<std::string> returns;  // by exit: the state it goes to
};

std::string join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) {
        if (!out.empty()) out += ", ";
        out += "'" + n + "'";
    }
    return out;
}

class expander {
public:
    expander(const parsed_files& files, const compile_options& options, diagnostic_sink& sink)
        : files_(files), options_(options), sink_(sink) {}

    script_items run() {
        collect();
        for (const auto& item : files_.items) {
            if (boost::get<ast::flow_decl>(item.item)) continue;
            if (!uses_flows(*item.item)) {
                out_.items.push_back(item);
                continue;
            }
            auto copy = std::make_unique<ast::item>(*item.item);
            const scope top;
            rewrite(*copy, item.file, top);
            out_.items.push_back({item.file, copy.get()});
            out_.owned.push_back(std::move(copy));
        }
        for (auto& copy : pending_) out_.items.push_back(copy);
        check_flows();
        return std::move(out_);
    }

private:
    void collect();
    [[nodiscard]] bool uses_flows(const ast::item& item) const;
    [[nodiscard]] bool uses_flows(const std::vector<ast::handler>& handlers) const;
    void rewrite(ast::item& item, std::uint32_t file, const scope& in);
    void rewrite(ast::handler& h, std::uint32_t file, const scope& in);
    [[nodiscard]] std::string resolve(const ast::identifier& name, const scope& in) const;
    std::string instantiate(flow_info& flow, const ast::identifier& target, const std::vector<ast::exit_binding>& bindings,
                            std::uint32_t file, const scope& in);
    [[nodiscard]] flow_info* flow_named(const ast::identifier& name, const scope& in);
    void check_flows();
    void check_flow_shape(const flow_info& flow);

    const parsed_files& files_;
    const compile_options& options_;
    diagnostic_sink& sink_;
    script_items out_;
    std::map<std::string, flow_info, std::less<>> flows_;
    std::set<std::string, std::less<>> states_;  // the script's own state names
    std::set<std::string, std::less<>> copies_;  // the copies made, by prefix
    std::vector<std::string> chain_;             // the flows being copied, outermost first
    std::vector<located_item> pending_;          // the copies' states, after the script's items
    std::size_t copied_states_ = 0;
    std::size_t copied_bytes_ = 0;
    std::size_t copied_handlers_ = 0;  // and the script's own, but for groups'
    bool over_limit_ = false;
};

void expander::collect() {
    for (const auto& located : files_.items) {
        if (const auto* s = boost::get<ast::state_decl>(located.item)) {
            states_.insert(s->name.text);
            copied_handlers_ += s->handlers.size();  // the script's own count towards the same limit
        }
        if (const auto* g = boost::get<ast::global_decl>(located.item)) copied_handlers_ += g->handlers.size();
    }
    for (const auto& located : files_.items) {
        const auto file = located.file;
        const auto* f = boost::get<ast::flow_decl>(located.item);
        if (!f) continue;
        if (auto it = flows_.find(f->name.text); it != flows_.end()) {
            sink_.error(at(file, f->name), fmt::format("duplicate flow '{}'", f->name.text));
            sink_.note(at(it->second.file, it->second.node->name), "first declared here");
            continue;
        }
        if (states_.count(f->name.text)) {
            sink_.error(at(file, f->name), fmt::format("'{}' names both a flow and a state; a target must say which it is", f->name.text));
            continue;
        }
        flow_info info{f, file, {}, false, false, f->length, 0, 0};
        if (f->states.empty()) {
            sink_.error(at(file, f->name), fmt::format("flow '{}' has no states; its first state is where a use of it goes", f->name.text));
            info.broken = true;
        }
        std::set<std::string, std::less<>> exits;
        for (const auto& e : f->exits)
            if (!exits.insert(e.text).second) {
                sink_.error(at(file, e), fmt::format("flow '{}' names exit '{}' twice", f->name.text, e.text));
                info.broken = true;
            }
        for (std::uint32_t i = 0; i < f->states.size(); ++i) {
            const auto& s = f->states[i];
            if (s.initial) {
                sink_.error(at(file, s.name),
                            fmt::format("a flow's state cannot be 'initial'; the call enters flow '{}' through a use of it", f->name.text));
                info.broken = true;
            }
            if (exits.count(s.name.text)) {
                sink_.error(at(file, s.name), fmt::format("'{}' names both an exit and a state of flow '{}'", s.name.text, f->name.text));
                info.broken = true;
            }
            if (!info.locals.emplace(s.name.text, i).second) {
                sink_.error(at(file, s.name), fmt::format("duplicate state '{}' in flow '{}'", s.name.text, f->name.text));
                info.broken = true;
            }
            info.handlers += s.handlers.size();
            info.named += 1 + s.handlers.size();
            for (const auto& h : s.handlers) info.named += h.bindings.size();
        }
        flows_.emplace(f->name.text, std::move(info));
    }
}

bool expander::uses_flows(const std::vector<ast::handler>& handlers) const {
    return std::any_of(handlers.begin(), handlers.end(), [&](const ast::handler& h) { return h.uses_flow || flows_.count(h.target.text); });
}

bool expander::uses_flows(const ast::item& item) const {
    if (const auto* s = boost::get<ast::state_decl>(&item)) return uses_flows(s->handlers);
    if (const auto* g = boost::get<ast::group_decl>(&item)) return uses_flows(g->handlers);
    if (const auto* g = boost::get<ast::global_decl>(&item)) return uses_flows(g->handlers);
    return false;
}

void expander::rewrite(ast::item& item, std::uint32_t file, const scope& in) {
    auto each = [&](std::vector<ast::handler>& handlers) {
        for (auto& h : handlers) rewrite(h, file, in);
    };
    if (auto* s = boost::get<ast::state_decl>(&item)) each(s->handlers);
    if (auto* g = boost::get<ast::group_decl>(&item)) each(g->handlers);
    if (auto* g = boost::get<ast::global_decl>(&item)) each(g->handlers);
}

// A state's name as the flat script knows it: inside a copy, a local state or an exit.
std::string expander::resolve(const ast::identifier& name, const scope& in) const {
    if (in.flow) {
        if (in.flow->locals.count(name.text)) return in.prefix + "." + name.text;
        const auto& exits = in.flow->node->exits;
        for (std::size_t i = 0; i < exits.size(); ++i)
            if (exits[i].text == name.text) return in.returns[i];
    }
    return name.text;
}

// The flow a target names, unless a copy's own state or exit of that name is meant.
flow_info* expander::flow_named(const ast::identifier& name, const scope& in) {
    const bool local =
        in.flow && (in.flow->locals.count(name.text) || std::any_of(in.flow->node->exits.begin(), in.flow->node->exits.end(),
                                                                    [&](const ast::identifier& e) { return e.text == name.text; }));
    const auto flow = local ? flows_.end() : flows_.find(name.text);
    return flow == flows_.end() ? nullptr : &flow->second;
}

void expander::rewrite(ast::handler& h, std::uint32_t file, const scope& in) {
    auto* flow = flow_named(h.target, in);
    if (!flow) {
        if (h.uses_flow)
            sink_.error(at(file, h.target), fmt::format("'{}' is not a flow; only a flow's use says where its exits go{}", h.target.text,
                                                        suggest(h.target.text, keys_of(flows_))));
        else
            h.target.text = resolve(h.target, in);
        return;
    }
    h.target.text = instantiate(*flow, h.target, h.bindings, file, in);
    h.uses_flow = false;
    h.bindings.clear();
}

// The entry of the copy of `flow` that a use (`target` and its `bindings`) asks for, made when it
// is the first such use. An exit's binding may itself be a use of a flow: its copy is made first,
// and the exit goes to its entry.
std::string expander::instantiate(flow_info& flow, const ast::identifier& target, const std::vector<ast::exit_binding>& bindings,
                                  std::uint32_t file, const scope& in) {
    const auto& decl = *flow.node;
    flow.used = true;
    if (flow.broken) return "stay";
    std::vector<std::string> returns(decl.exits.size());
    std::vector<bool> given(decl.exits.size(), false);
    bool ok = true;
    for (const auto& b : bindings) {
        const auto e = std::find_if(decl.exits.begin(), decl.exits.end(), [&](const ast::identifier& x) { return x.text == b.exit.text; });
        if (e == decl.exits.end()) {
            std::vector<std::string_view> names;
            for (const auto& x : decl.exits) names.emplace_back(x.text);
            if (decl.exits.empty())
                sink_.error(at(file, b.exit), fmt::format("flow '{}' has no exits", decl.name.text));
            else
                sink_.error(at(file, b.exit),
                            fmt::format("flow '{}' has no exit '{}'{}", decl.name.text, b.exit.text, suggest(b.exit.text, names)));
            ok = false;
            continue;
        }
        const auto i = static_cast<std::size_t>(e - decl.exits.begin());
        if (given[i]) {
            sink_.error(at(file, b.exit), fmt::format("exit '{}' is given twice", b.exit.text));
            ok = false;
        }
        given[i] = true;
        if (auto* chained = flow_named(b.target, in)) {  // `done -> validate(done -> s)`
            returns[i] = instantiate(*chained, b.target, b.bindings, file, in);
            ok = ok && returns[i] != "stay";
            continue;
        }
        if (b.uses_flow) {
            sink_.error(at(file, b.target), fmt::format("'{}' is not a flow; only a flow's use says where its exits go{}", b.target.text,
                                                        suggest(b.target.text, keys_of(flows_))));
            ok = false;
            continue;
        }
        returns[i] = resolve(b.target, in);
        if (returns[i] == b.target.text && !states_.count(returns[i])) {
            sink_.error(at(file, b.target),
                        fmt::format("undefined state '{}'{}", b.target.text, suggest(b.target.text, {states_.begin(), states_.end()})));
            ok = false;
        }
    }
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < given.size(); ++i)
        if (!given[i]) missing.push_back(decl.exits[i].text);
    if (!missing.empty() && ok) {  // (a misspelt exit, already said, is likely the missing one)
        std::string form;
        for (const auto& x : decl.exits) form += (form.empty() ? "" : ", ") + x.text + " -> STATE";
        sink_.error(at(file, target), fmt::format("the use of flow '{}' does not say where {} go{}: write {}({})", decl.name.text,
                                                  join(missing), missing.size() == 1 ? "es" : "", decl.name.text, form));
        ok = false;
    }
    // The prefix's length is known before it is made: a flow that uses flows puts its copy's
    // name into each copy it uses, so names can double at each level of nesting.
    std::size_t prefix_bytes = decl.name.text.size() + (returns.empty() ? 0 : returns.size() + 1);
    for (const auto& r : returns) prefix_bytes += r.size();
    // After a mistake the use stays put: the script fails anyway, and a made-up entry would only
    // add "undefined state" to what was said.
    if (!ok || over_limit_) return "stay";
    // Refused before anything is made: a name longer than the budget is never built.
    const auto& limits = options_.limits;
    const auto bytes = flow.text_bytes + (prefix_bytes + 1) * flow.named;
    auto refuse = [&] {
        sink_.error(at(file, target), fmt::format("the uses of flows copy more than {} bytes of states and their names (here a copy "
                                                  "of flow '{}' named with {} bytes, after {} copies); the limit is there so that "
                                                  "flows using flows cannot grow the script without bound",
                                                  limits.max_flow_bytes, decl.name.text, prefix_bytes, out_.copies.size()));
        over_limit_ = true;
        return "stay";
    };
    if (prefix_bytes > limits.max_flow_bytes) return refuse();
    std::string prefix = decl.name.text;
    if (!returns.empty()) {
        prefix += "(";
        for (std::size_t i = 0; i < returns.size(); ++i) prefix += (i ? "," : "") + returns[i];
        prefix += ")";
    }
    const auto entry = prefix + "." + decl.states.front().name.text;
    if (copies_.count(prefix)) return entry;
    if (std::find(chain_.begin(), chain_.end(), decl.name.text) != chain_.end()) {
        std::string path;
        for (const auto& f : chain_) path += f + " -> ";
        sink_.error(at(file, target), fmt::format("flow '{}' uses itself ({}{}); a flow cannot contain a copy of itself", decl.name.text,
                                                  path, decl.name.text));
        return "stay";
    }
    if (bytes > limits.max_flow_bytes - copied_bytes_) return refuse();
    copied_states_ += decl.states.size();
    copied_bytes_ += bytes;
    copied_handlers_ += flow.handlers;
    if (copied_states_ > limits.max_flow_states) {
        sink_.error(at(file, target), fmt::format("the uses of flows add more than {} states; the limit is there so that flows "
                                                  "using flows cannot grow the script without bound",
                                                  limits.max_flow_states));
        over_limit_ = true;
        return "stay";
    }
    if (copied_handlers_ > limits.max_handlers) {
        sink_.error(at(file, target), fmt::format("the uses of flows add handlers past the limit: a script may have at most {} "
                                                  "handlers, flows' copies included",
                                                  limits.max_handlers));
        over_limit_ = true;
        return "stay";
    }
    copies_.insert(prefix);
    const auto copy_index = static_cast<std::uint32_t>(out_.copies.size());
    out_.copies.push_back({prefix, decl.name.text, !decl.exits.empty()});
    chain_.push_back(decl.name.text);
    const scope inside{&flow, prefix, returns};
    std::vector<located_item> states;  // a copy's states stay together (the copies they use come first)
    for (const auto& s : decl.states) {
        auto state = std::make_unique<ast::item>(s);
        auto& copy = boost::get<ast::state_decl>(*state);
        copy.name.text = prefix + "." + s.name.text;
        copy.initial = false;
        for (auto& h : copy.handlers) rewrite(h, flow.file, inside);
        states.push_back({flow.file, state.get(), copy_index});
        out_.owned.push_back(std::move(state));
    }
    pending_.insert(pending_.end(), states.begin(), states.end());
    chain_.pop_back();
    return entry;
}

void expander::check_flows() {
    for (const auto& [name, flow] : flows_) {
        if (!flow.used && over_limit_) continue;  // the expansion stopped before reaching its uses
        if (!flow.used) {
            sink_.warning(at(flow.file, flow.node->name),
                          fmt::format("flow '{}' is never used; its states are checked only in a use: -> {}{}", name, name,
                                      flow.node->exits.empty() ? "" : "(EXIT -> STATE, ...)"));
            continue;
        }
        if (!flow.broken && !sink_.failed()) check_flow_shape(flow);
    }
}

// Within the flow as written: which states its entry reaches, and which exits.
void expander::check_flow_shape(const flow_info& flow) {
    const auto& decl = *flow.node;
    const auto n = decl.states.size();
    std::vector<bool> reached(n, false), exit_taken(decl.exits.size(), false);
    auto exit_index = [&](const std::string& name) {
        for (std::size_t i = 0; i < decl.exits.size(); ++i)
            if (decl.exits[i].text == name) return i;
        return decl.exits.size();
    };
    std::vector<std::uint32_t> todo{0};
    reached[0] = true;
    auto go = [&](const std::string& target) {
        if (const auto it = flow.locals.find(target); it != flow.locals.end()) {
            if (!reached[it->second]) reached[it->second] = true, todo.push_back(it->second);
        } else if (const auto e = exit_index(target); e < exit_taken.size()) {
            exit_taken[e] = true;
        }
    };
    // The states a use's exits go to, through the flows chained in it.
    const std::function<void(const std::vector<ast::exit_binding>&)> go_through = [&](const std::vector<ast::exit_binding>& bindings) {
        for (const auto& b : bindings) {
            if (!b.uses_flow && !flows_.count(b.target.text)) go(b.target.text);
            go_through(b.bindings);
        }
    };
    while (!todo.empty()) {
        const auto s = todo.back();
        todo.pop_back();
        for (const auto& h : decl.states[s].handlers) {
            if (!h.uses_flow && !flows_.count(h.target.text)) go(h.target.text);
            go_through(h.bindings);
        }
    }
    for (std::size_t s = 1; s < n; ++s)
        if (!reached[s])
            sink_.warning(at(flow.file, decl.states[s].name),
                          fmt::format("state '{}' of flow '{}' cannot be reached from the flow's first state '{}'",
                                      decl.states[s].name.text, decl.name.text, decl.states.front().name.text));
    for (std::size_t e = 0; e < exit_taken.size(); ++e)
        if (!exit_taken[e])
            sink_.warning(at(flow.file, decl.exits[e]),
                          fmt::format("exit '{}' of flow '{}' is never taken: no handler the flow's first state leads to goes there",
                                      decl.exits[e].text, decl.name.text));
}

}  // namespace

script_items expand(const parsed_files& files, const compile_options& options, diagnostic_sink& sink) {
    return expander(files, options, sink).run();
}

}  // namespace parley::pipeline
