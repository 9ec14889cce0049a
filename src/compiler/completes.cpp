// Part of phase 3, check: a form's 'complete' handlers must take every call that completes it.
// Once a form has all its slots, its first 'complete' handler whose guard holds fires; if none
// held, the call would sit in the form with nothing to say, on that turn and every later one.
// So the guards are decided here over every value they read (slots and variables of choices,
// of numbers or of words compared with constants, counters, no_match and no_input), each tried
// as each of its choices, each number it is compared with and one on each side of it, another
// word, and unknown unless the form asks for it (every slot a form asks for is known when it
// completes). A combination that no guard takes is an error naming it; guards that cannot be
// decided so (two values compared with each other) need an unguarded 'complete' last.
#include "pipeline.hpp"
#include "text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

namespace parley::pipeline {

namespace {

// How many combinations of values are tried at most, and how many conditions evaluated over all of
// them: past either, the guards count as undecided.
constexpr std::size_t max_combinations = std::size_t{1} << 14;
constexpr std::size_t max_evaluations = std::size_t{1} << 22;
// How many of the combinations no guard takes an error names.
constexpr std::size_t max_named = 4;

// One value the guards read, and the values it is tried as.
struct dimension {
    std::string name;
    bool number = false;             // tried as numbers, else as words
    bool counter = false;            // a counter (0 to 255), never unknown
    bool choices = false;            // its words are its type's: there is no other word
    bool may_be_unknown = false;     // tried as unknown (no value) too, last
    std::vector<double> constants;   // the numbers it is compared with
    std::vector<double> numbers;     // number: what it is tried as
    std::vector<std::string> words;  // words: its choices, or the words compared and then "" for any other
    [[nodiscard]] std::size_t size() const { return (number ? numbers.size() : words.size()) + (may_be_unknown ? 1 : 0); }
    [[nodiscard]] bool unknown_at(std::size_t i) const { return may_be_unknown && i + 1 == size(); }
};

// The value of each dimension, as an index into what it is tried as.
using combination = std::vector<std::size_t>;

bool compare(double x, ast::compare_op op, double y) {
    switch (op) {
        case ast::compare_op::eq: return x == y;
        case ast::compare_op::ne: return x != y;
        case ast::compare_op::lt: return x < y;
        case ast::compare_op::le: return x <= y;
        case ast::compare_op::gt: return x > y;
        case ast::compare_op::ge: return x >= y;
    }
    return false;
}

const ast::comparison* comparison_of(const ast::operand& o) { return boost::get<ast::comparison>(&o); }
const ast::disjunction* group_of(const ast::operand& o) {
    const auto* d = boost::get<ast::x3::forward_ast<ast::disjunction>>(&o);
    return d ? &d->get() : nullptr;
}
const ast::operand* negated(const ast::operand& o) {
    const auto* n = boost::get<ast::x3::forward_ast<ast::negation>>(&o);
    return n ? &n->get().subject : nullptr;
}

class decider {
public:
    decider(const symbol_table& symbols, const state_info& form) : symbols_(symbols), form_(form) {}

    // Reads the guards; false when one reads what cannot be decided, or there are too many
    // combinations to try.
    bool read(const std::vector<const ast::disjunction*>& guards) {
        for (const auto* g : guards)
            if (!visit(*g)) return false;
        std::size_t total = 1;
        for (auto& d : dims_) {
            if (d.number) place_numbers(d);
            if (!d.number && !d.choices) d.words.emplace_back();  // any other word
            total *= d.size();
            if (total > max_combinations) return false;
        }
        return total * conditions_ <= max_evaluations;
    }

    // The combinations that no guard takes, in order.
    [[nodiscard]] std::vector<combination> uncovered(const std::vector<const ast::disjunction*>& guards) const {
        std::vector<combination> out;
        combination c(dims_.size(), 0);
        while (true) {
            if (std::none_of(guards.begin(), guards.end(), [&](const ast::disjunction* g) { return holds(*g, c); })) out.push_back(c);
            std::size_t i = 0;
            while (i < c.size() && ++c[i] == dims_[i].size()) c[i++] = 0;
            if (i == c.size()) break;
        }
        return out;
    }

    // "membership is 'bronze'", "days > 180", "zip is unknown", joined by "and".
    [[nodiscard]] std::string describe(const combination& c) const {
        std::string out;
        for (std::size_t i = 0; i < dims_.size(); ++i) out += (i == 0 ? "" : " and ") + describe(dims_[i], c[i]);
        return out;
    }
    // The words of a single dimension of choices, "'guest' or 'bronze'"; empty when that is not the case.
    [[nodiscard]] std::string words_of(const std::vector<combination>& cs) const {
        if (dims_.size() != 1 || dims_[0].number) return {};
        std::vector<std::string> words;
        for (const auto& c : cs)
            words.push_back(dims_[0].unknown_at(c[0])      ? "unknown"
                            : dims_[0].words[c[0]].empty() ? "another word"
                                                           : "'" + dims_[0].words[c[0]] + "'");
        std::string out;
        for (std::size_t i = 0; i < words.size(); ++i) out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
        return fmt::format("{} is {}", dims_[0].name, out);
    }

private:
    // Each number compared, one below the first, one between each two, one above the last.
    static void place_numbers(dimension& d) {
        auto& c = d.constants;
        std::sort(c.begin(), c.end());
        c.erase(std::unique(c.begin(), c.end()), c.end());
        if (c.empty()) d.numbers.push_back(0);
        for (std::size_t i = 0; i < c.size(); ++i) {
            if (i == 0) d.numbers.push_back(c[0] - 1);
            d.numbers.push_back(c[i]);
            d.numbers.push_back(i + 1 < c.size() ? (c[i] + c[i + 1]) / 2 : c[i] + 1);
        }
        if (d.counter) {  // whole numbers from 0 to 255 only
            for (auto& n : d.numbers) n = std::clamp(std::ceil(n), 0.0, 255.0);
            d.numbers.push_back(0);
            d.numbers.push_back(255);
            std::sort(d.numbers.begin(), d.numbers.end());
            d.numbers.erase(std::unique(d.numbers.begin(), d.numbers.end()), d.numbers.end());
        }
    }

    [[nodiscard]] static std::string describe(const dimension& d, std::size_t at) {
        if (d.unknown_at(at)) return fmt::format("{} is unknown", d.name);
        if (!d.number)
            return d.words[at].empty() ? fmt::format("{} is another word", d.name) : fmt::format("{} is '{}'", d.name, d.words[at]);
        const double v = d.numbers[at];
        const auto& c = d.constants;
        if (c.empty()) return fmt::format("{} is any number", d.name);
        if (std::binary_search(c.begin(), c.end(), v)) return fmt::format("{} is {}", d.name, number_text(v));
        const auto above = std::upper_bound(c.begin(), c.end(), v);
        if (above == c.begin()) return fmt::format("{} < {}", d.name, number_text(c.front()));
        if (above == c.end()) return fmt::format("{} > {}", d.name, number_text(c.back()));
        return fmt::format("{} is between {} and {}", d.name, number_text(above[-1]), number_text(*above));
    }

    // The dimension of a value a guard reads, made on first sight; nullptr when it is no value.
    dimension* dimension_of(const std::string& name) {
        for (auto& d : dims_)
            if (d.name == name) return &d;
        dimension d;
        d.name = name;
        const auto* v = symbols_.find_value(name);
        if (!v && name != "no_match" && name != "no_input") return nullptr;
        if (!v || v->kind == value_kind::counter) {
            d.number = d.counter = true;
        } else {
            const auto& type = *symbols_.type_of(*v);
            d.number = type.number;
            d.choices = !type.choices.empty();
            for (const auto& choice : type.choices) d.words.push_back(choice.text);
            const auto& fields = form_.node->fields;
            d.may_be_unknown = v->kind == value_kind::variable ||
                               std::none_of(fields.begin(), fields.end(), [&](const ast::form_field& f) { return f.slot.text == name; });
        }
        dims_.push_back(std::move(d));
        return &dims_.back();
    }

    bool visit(const ast::disjunction& g) {
        for (const auto& conj : g.terms)
            for (const auto& term : conj.terms)
                if (!visit(term)) return false;
        return true;
    }
    bool visit(const ast::operand& o) {
        ++conditions_;
        if (const auto* cmp = comparison_of(o)) return visit(*cmp);
        if (const auto* k = boost::get<ast::known_check>(&o)) return dimension_of(k->name.text) != nullptr;
        if (const auto* k = boost::get<ast::known_count>(&o))
            return std::all_of(k->names.begin(), k->names.end(), [&](const ast::identifier& n) { return dimension_of(n.text) != nullptr; });
        if (const auto* n = negated(o)) return visit(*n);
        if (const auto* d = group_of(o)) return visit(*d);
        return false;
    }
    bool visit(const ast::comparison& cmp) {
        if (is_confidence(cmp)) return true;
        auto* d = dimension_of(cmp.subject.text);
        if (!d) return false;
        if (const auto* n = boost::get<ast::number_literal>(&cmp.value)) {
            d->constants.push_back(n->value);
            return d->number;
        }
        const auto* s = boost::get<ast::string_literal>(&cmp.value);
        if (!s || d->number) return false;  // (a value compared with another value: undecided)
        if (!d->choices && !s->value.empty() && std::find(d->words.begin(), d->words.end(), s->value) == d->words.end())
            d->words.push_back(s->value);
        return true;
    }
    [[nodiscard]] bool is_confidence(const ast::comparison& cmp) const {
        return cmp.subject.text == "confidence" && !symbols_.find_value("confidence");
    }

    [[nodiscard]] std::size_t index(const std::string& name) const {
        return static_cast<std::size_t>(std::find_if(dims_.begin(), dims_.end(), [&](const dimension& d) { return d.name == name; }) -
                                        dims_.begin());
    }
    [[nodiscard]] bool unknown(const std::string& name, const combination& c) const {
        const auto i = index(name);
        return dims_[i].unknown_at(c[i]);
    }

    [[nodiscard]] bool holds(const ast::disjunction& g, const combination& c) const {
        return std::any_of(g.terms.begin(), g.terms.end(), [&](const ast::conjunction& conj) {
            return std::all_of(conj.terms.begin(), conj.terms.end(), [&](const ast::operand& o) { return holds(o, c); });
        });
    }
    [[nodiscard]] bool holds(const ast::operand& o, const combination& c) const {
        if (const auto* cmp = comparison_of(o)) return holds(*cmp, c);
        if (const auto* k = boost::get<ast::known_check>(&o)) return !unknown(k->name.text, c);
        if (const auto* k = boost::get<ast::known_count>(&o)) {
            double known = 0;
            for (const auto& n : k->names) known += unknown(n.text, c) ? 0 : 1;
            return compare(known, k->op, k->value.value);
        }
        if (const auto* n = negated(o)) return !holds(*n, c);
        if (const auto* d = group_of(o)) return holds(*d, c);
        return false;
    }
    // As the session compares: a form completes with confidence 1; no comparison with a number
    // holds while the slot or variable is unknown; an unknown word is "".
    [[nodiscard]] bool holds(const ast::comparison& cmp, const combination& c) const {
        if (is_confidence(cmp)) return compare(1.0, cmp.op, boost::get<ast::number_literal>(cmp.value).value);
        const auto i = index(cmp.subject.text);
        const auto& d = dims_[i];
        const bool is_unknown = d.unknown_at(c[i]);
        if (const auto* n = boost::get<ast::number_literal>(&cmp.value)) return !is_unknown && compare(d.numbers[c[i]], cmp.op, n->value);
        const auto& wanted = boost::get<ast::string_literal>(cmp.value).value;
        const bool same = is_unknown ? wanted.empty() : !d.words[c[i]].empty() && d.words[c[i]] == wanted;
        return cmp.op == ast::compare_op::eq ? same : !same;
    }

    const symbol_table& symbols_;
    const state_info& form_;
    std::vector<dimension> dims_;
    std::size_t conditions_ = 0;  // in all the guards: what one combination costs to try
};

}  // namespace

void check_form_completes(const symbol_table& symbols, const state_info& form, diagnostic_sink& sink) {
    std::vector<const ast::disjunction*> guards;
    for (const auto& h : form.handlers) {
        if (h.node->when.kind != ast::trigger_kind::complete) continue;
        if (!h.node->guard) return;  // an unguarded 'complete' takes whatever the ones before it leave
        guards.push_back(&*h.node->guard);
    }
    if (guards.empty()) return;  // no 'complete' at all: said elsewhere
    // A flow's form is named as written, "'asking' of flow 'recover'", once for all its copies
    // (the sink says a diagnostic once per place).
    std::string name = fmt::format("'{}'", form.node->name.text);
    if (form.copy != none) {
        const auto& copy = symbols.copies[form.copy];
        name = fmt::format("'{}' of flow '{}'", form.node->name.text.substr(copy.name.size() + 1), copy.flow);
    }
    decider d(symbols, form);
    if (!d.read(guards)) {
        sink.error(at(form.file, form.node->name),
                   fmt::format("form {} may complete with no 'complete' handler taken: its guards cannot be shown to cover every "
                               "call; end with a 'complete' without a guard",
                               name));
        return;
    }
    const auto missed = d.uncovered(guards);
    if (missed.empty()) return;
    auto named = d.words_of(missed);
    if (named.empty()) {
        std::vector<std::string> cases;
        for (const auto& c : missed)
            if (auto text = d.describe(c); std::find(cases.begin(), cases.end(), text) == cases.end()) cases.push_back(std::move(text));
        for (std::size_t i = 0; i < cases.size() && i < max_named; ++i) named += (i == 0 ? "" : "; or ") + cases[i];
        if (cases.size() > max_named) named += fmt::format("; and {} more", cases.size() - max_named);
    }
    sink.error(at(form.file, form.node->name),
               fmt::format("form {} can complete with no 'complete' handler taken when {}; cover that, or end with a 'complete' "
                           "without a guard",
                           name, named));
}

}  // namespace parley::pipeline
