// The outline of <parley/outline.hpp>: the load phase's syntax trees (every file, as written,
// flows not yet expanded) walked twice, once for the declarations and once for the names used,
// each resolved the way the compiler resolves it (a flow's own states and exits first).
#include "../dsl/parser.hpp"
#include "pipeline.hpp"
#include "text.hpp"

#include <parley/outline.hpp>

#include <map>

namespace parley {

namespace {

namespace ast = dsl::ast;
namespace fs = std::filesystem;
using pipeline::none;

class outliner {
public:
    explicit outliner(const pipeline::parsed_files& files) : files_(files) {
        for (const auto& source : files_.sources) {
            out_.files.push_back(source->name());
            out_.texts.push_back(source->text());
        }
    }

    outline run() {
        for (std::uint32_t f = 0; f < files_.sources.size(); ++f) {
            file_ = f;
            declare(symbol_kind::file, files_.sources[f]->name(), "", {0, 0}, {0, 0});
            files_by_name_.emplace(files_.sources[f]->name(), static_cast<std::uint32_t>(out_.declarations.size() - 1));
        }
        for (file_ = 0; file_ < files_.trees.size(); ++file_)
            for (const auto& item : files_.trees[file_]->items) boost::apply_visitor([&](const auto& node) { declare_item(node); }, item);
        for (file_ = 0; file_ < files_.trees.size(); ++file_)
            for (const auto& item : files_.trees[file_]->items) boost::apply_visitor([&](const auto& node) { use_item(node); }, item);
        return std::move(out_);
    }

private:
    using table = std::map<std::string, std::uint32_t, std::less<>>;

    [[nodiscard]] source_range range(const ast::tagged& node) const {
        const auto& source = *files_.sources[file_];
        const auto end = std::size_t{node.offset} + node.length;
        return {file_, source.line_of(node.offset), source.column_of(node.offset), source.line_of(end), source.column_of(end)};
    }

    // The declaration's index; `names` (when given) finds it by name, the first one written winning.
    std::uint32_t declare(symbol_kind kind, const std::string& name, const std::string& scope, const ast::tagged& name_node,
                          const ast::tagged& extent, table* names = nullptr) {
        const auto index = static_cast<std::uint32_t>(out_.declarations.size());
        auto& d = out_.declarations.emplace_back();
        d.kind = kind;
        d.name = name;
        d.scope = scope;
        d.name_range = range(name_node);
        d.extent = range(extent);
        if (kind == symbol_kind::file) {
            d.name_range.end_column = 1;
            d.extent = d.name_range;
        } else {
            auto line = files_.sources[file_]->line_text(d.name_range.line);
            while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
            while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
            d.signature = std::string(line);
        }
        if (names) names->emplace(name, index);
        return index;
    }
    void texts_of(std::uint32_t declaration, const std::vector<ast::text>& texts) {
        for (const auto& t : texts) out_.declarations[declaration].texts.push_back({t.language, t.value.value});
    }

    // ---- declarations ----
    template <class Node>
    void declare_item(const Node&) {}
    void declare_item(const ast::state_decl& s) { declare_state(s, ""); }
    void declare_state(const ast::state_decl& s, const std::string& flow) {
        declare(symbol_kind::state, s.name.text, flow, s.name, s, flow.empty() ? &states_ : &locals_[flow]);
    }
    void declare_item(const ast::flow_decl& f) {
        declare(symbol_kind::flow, f.name.text, "", f.name, f, &flows_);
        for (const auto& e : f.exits) declare(symbol_kind::exit, e.text, f.name.text, e, e, &exits_[f.name.text]);
        for (const auto& s : f.states) declare_state(s, f.name.text);
    }
    void declare_item(const ast::intent_decl& i) {
        texts_of(declare(symbol_kind::intent, i.name.text, "", i.name, i, &labels_), i.description);
    }
    void declare_item(const ast::event_decl& e) { declare(symbol_kind::event, e.name.text, "", e.name, e, &labels_); }
    void declare_item(const ast::slot_decl& s) { declare(symbol_kind::slot, s.name.text, "", s.name, s, &values_); }
    void declare_item(const ast::counter_decl& c) { declare(symbol_kind::counter, c.name.text, "", c.name, c, &values_); }
    void declare_item(const ast::variable_decl& v) {
        texts_of(declare(symbol_kind::variable, v.name.text, "", v.name, v, &values_), v.value);
    }
    void declare_item(const ast::group_decl& g) { declare(symbol_kind::group, g.name.text, "", g.name, g, &groups_); }

    // ---- uses ----
    void use(const table& names, const ast::identifier& name) {
        if (const auto it = names.find(name.text); it != names.end()) out_.references.push_back({it->second, range(name)});
    }
    // A handler's target: in a flow, its own states and exits first; then the script's states and flows.
    void use_target(const ast::identifier& name) {
        if (!flow_.empty()) {
            for (const auto* names : {&locals_[flow_], &exits_[flow_]})
                if (const auto it = names->find(name.text); it != names->end()) return out_.references.push_back({it->second, range(name)});
        }
        if (states_.count(name.text)) return use(states_, name);
        use(flows_, name);
    }
    void use_phrase(const ast::phrase& p) {
        for (const auto& v : p.variants)
            for (const auto& t : v.texts) use_text(t);
    }
    // Placeholders, where the compiler's own messages put them (the offset in the unescaped text).
    void use_text(const ast::text& t) {
        std::vector<pipeline::template_piece> pieces;
        pipeline::template_error bad;
        if (!pipeline::split_template(t.value.value, pieces, bad)) return;
        for (const auto& piece : pieces) {
            if (!piece.reads_value()) continue;
            ast::identifier name;
            name.text = piece.text;
            name.offset = t.value.offset + 1 + piece.where + 1;  // past the quote and the brace
            name.length = static_cast<std::uint32_t>(piece.text.size());
            use(values_, name);
        }
    }
    void use_guard(const ast::disjunction& g) {
        for (const auto& c : g.terms)
            for (const auto& term : c.terms) use_operand(term);
    }
    void use_operand(const ast::operand& o) {
        if (const auto* c = boost::get<ast::comparison>(&o)) {
            use(values_, c->subject);
            if (const auto* other = boost::get<ast::identifier>(&c->value)) use(values_, *other);
        }
        if (const auto* k = boost::get<ast::known_check>(&o)) use(values_, k->name);
        if (const auto* k = boost::get<ast::known_count>(&o))
            for (const auto& n : k->names) use(values_, n);
        if (const auto* n = boost::get<x3_forward<ast::negation>>(&o)) use_operand(n->get().subject);
        if (const auto* d = boost::get<x3_forward<ast::disjunction>>(&o)) use_guard(d->get());
    }
    template <class T>
    using x3_forward = boost::spirit::x3::forward_ast<T>;

    void use_clause(const ast::clause& c) {
        if (const auto* say = boost::get<ast::say_clause>(&c)) use_phrase(say->what);
        if (const auto* counter = boost::get<ast::counter_clause>(&c)) use(values_, counter->counter);
        if (const auto* keep = boost::get<ast::keep_clause>(&c))
            for (const auto& s : keep->slots) use(values_, s);
        if (const auto* clear = boost::get<ast::clear_clause>(&c))
            for (const auto& s : clear->slots) use(values_, s);
        if (const auto* set = boost::get<ast::set_clause>(&c)) {
            use(values_, set->variable);
            if (set->copies) use(values_, set->from);
        }
        if (const auto* act = boost::get<ast::do_clause>(&c)) {
            for (const auto& a : act->arguments) {
                if (!a.has_value)
                    use(values_, a.name);
                else if (const auto* from = boost::get<ast::identifier>(&a.value))
                    use(values_, *from);
            }
        }
    }
    // `FLOW(EXIT -> STATE, EXIT -> OTHER(...))`: the flow, its exits, and what they go to.
    void use_flow(const ast::identifier& flow, const std::vector<ast::exit_binding>& bindings) {
        use(flows_, flow);
        for (const auto& b : bindings) {
            use(exits_[flow.text], b.exit);
            if (b.uses_flow)
                use_flow(b.target, b.bindings);
            else
                use_target(b.target);
        }
    }
    void use_handler(const ast::handler& h) {
        for (const auto& l : h.when.labels) use(labels_, l);
        if (h.guard) use_guard(*h.guard);
        if (h.uses_flow) {
            use_flow(h.target, h.bindings);
        } else if (h.target.text != "stay") {
            use_target(h.target);
        }
        for (const auto& c : h.clauses) use_clause(c);
    }
    void use_state(const ast::state_decl& s) {
        if (s.entry) use_phrase(*s.entry);
        for (const auto& c : s.entry_clauses) use_clause(c);
        for (const auto& f : s.fields) {
            use(values_, f.slot);
            use_phrase(f.prompt);
            if (f.reprompt) use_phrase(*f.reprompt);
        }
        for (const auto& h : s.handlers) use_handler(h);
        for (const auto& g : s.groups) use(groups_, g.name);
    }

    template <class Node>
    void use_item(const Node&) {}
    void use_item(const ast::state_decl& s) { use_state(s); }
    void use_item(const ast::flow_decl& f) {
        flow_ = f.name.text;
        for (const auto& s : f.states) use_state(s);
        flow_.clear();
    }
    void use_item(const ast::global_decl& g) {
        for (const auto& h : g.handlers) use_handler(h);
    }
    void use_item(const ast::group_decl& g) {
        for (const auto& h : g.handlers) use_handler(h);
        for (const auto& u : g.groups) use(groups_, u.name);
    }
    void use_item(const ast::confirm_decl& c) {
        use_target(c.target);
        use_phrase(c.ask);
        use_phrase(c.repeat);
    }
    void use_item(const ast::setting_decl& s) {
        if (const auto* intent = boost::get<ast::identifier>(&s.value); intent && s.name.text == "below_threshold") use(labels_, *intent);
    }
    // An include names the file as the loader does: relative to the including file's name.
    void use_item(const ast::include_decl& i) {
        const auto shown = (fs::path(files_.sources[file_]->name()).parent_path() / i.path.value).lexically_normal().string();
        if (const auto it = files_by_name_.find(shown); it != files_by_name_.end()) out_.references.push_back({it->second, range(i.path)});
    }

    const pipeline::parsed_files& files_;
    outline out_;
    std::uint32_t file_ = 0;
    std::string flow_;  // the flow whose states are being read
    table states_, flows_, labels_, values_, groups_, files_by_name_;
    std::map<std::string, table, std::less<>> locals_, exits_;  // by flow
};

}  // namespace

outline make_outline(std::string_view text, std::string name, const compile_options& options) {
    pipeline::diagnostic_sink ignored(false, options.limits.max_diagnostics);
    const auto files = pipeline::load(text, name, options, ignored);
    return outliner(files).run();
}

std::vector<std::string_view> keywords() { return dsl::reserved_words(); }
std::vector<std::string_view> setting_names() { return pipeline::setting_names(); }

}  // namespace parley
