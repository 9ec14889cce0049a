// parley::list_coverage_points: where a script's states, rules and phrase variants are written, read
// from the syntax trees of the root file and its includes (for coverage reports and editors).
#include "pipeline.hpp"

namespace parley {

namespace {

namespace ast = dsl::ast;
using entry = coverage_point;

class point_lister {
public:
    point_lister(const dsl::source_file& source, std::vector<entry>& out) : source_(source), out_(out) {}

    void item(const ast::state_decl& s) { state(s, {}); }
    void item(const ast::flow_decl& f) {
        for (const auto& s : f.states) state(s, f.name.text);
    }
    void item(const ast::global_decl& g) {
        for (const auto& h : g.handlers) handler(h, "global");
    }
    void item(const ast::group_decl& g) {
        for (const auto& h : g.handlers) handler(h, "handlers " + g.name.text);
    }
    void item(const ast::confirm_decl& c) {
        add(entry::kind::confirm, c, "confirm -> " + c.target.text, {});
        phrase(c.ask, "confirm");
        phrase(c.repeat, "confirm");
    }
    void item(const auto&) {}

private:
    void add(entry::kind what, const ast::tagged& node, std::string name, std::string owner, std::vector<std::string> texts = {}) {
        out_.push_back({what, source_.name(), source_.line_of(node.offset), std::move(name), std::move(owner), std::move(texts)});
    }
    void phrase(const ast::phrase& p, const std::string& owner) {
        for (const auto& v : p.variants) {
            std::vector<std::string> texts;
            for (const auto& t : v.texts) texts.push_back(t.value.value);
            auto first = texts.front();  // (before the texts move: arguments are built in any order)
            add(entry::kind::variant, v, std::move(first), owner, std::move(texts));
        }
    }
    void handler(const ast::handler& h, const std::string& owner) {
        std::string trigger;
        switch (h.when.kind) {
            case ast::trigger_kind::on:
                for (const auto& l : h.when.labels) trigger += (trigger.empty() ? "on " : ", ") + l.text;
                break;
            case ast::trigger_kind::otherwise: trigger = "otherwise"; break;
            case ast::trigger_kind::complete: trigger = "complete"; break;
            case ast::trigger_kind::after:
                trigger = "after " + std::string(source_.text().substr(h.when.seconds.offset, h.when.seconds.length));
                break;
        }
        add(entry::kind::handler, h, std::move(trigger), owner);
        for (const auto& c : h.clauses)
            if (const auto* say = boost::get<ast::say_clause>(&c)) phrase(say->what, owner);
    }
    void state(const ast::state_decl& s, const std::string& flow) {
        const auto name = flow.empty() ? s.name.text : flow + "." + s.name.text;
        add(entry::kind::state, s, name, flow);
        if (s.entry) phrase(*s.entry, name);
        for (const auto& f : s.fields) {
            add(entry::kind::field, f, "ask " + f.slot.text, name);
            phrase(f.prompt, name);
            if (f.reprompt) phrase(*f.reprompt, name);
        }
        for (const auto& h : s.handlers) handler(h, name);
    }

    const dsl::source_file& source_;
    std::vector<entry>& out_;
};

}  // namespace

coverage_points list_coverage_points(const std::filesystem::path& path, const compile_options& options) {
    pipeline::diagnostic_sink sink(options.warnings_as_errors, options.limits.max_diagnostics);
    const auto files = pipeline::load(path, options, sink);
    coverage_points out;
    for (std::size_t i = 0; i < files.trees.size() && i < files.sources.size(); ++i) {
        point_lister o(*files.sources[i], out.entries);
        for (const auto& item : files.trees[i]->items) boost::apply_visitor([&](const auto& node) { o.item(node); }, item);
    }
    out.diagnostics = sink.take();
    return out;
}

}  // namespace parley
