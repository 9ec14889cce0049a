// The .rules grammar in Boost.Spirit X3, instantiated once here.
//
// Every statement commits after its keyword: from there on a failure is an expectation_failure
// (never silent backtracking) whose rule name becomes the message ("expected '->' after the
// intent name"). The top level is driven by hand, one statement at a time, so that an error is
// reported and parsing resumes at the next line that starts a statement. Rules whose attribute
// is an ast::tagged node record the byte range they matched (X3 position tagging).
#include "parser.hpp"

#include "../compiler/text.hpp"

#include <parley/detail/utf8.hpp>

#include <boost/spirit/home/x3.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace parley::dsl {

namespace x3 = boost::spirit::x3;

namespace {

// What the grammar tracks beside the AST: the file's start for positions, guard nesting,
// and what the current statement is, for messages.
struct parse_state {
    const char* begin = nullptr;
    std::size_t depth = 0;
    std::size_t use_depth = 0;  // flows chained in a use
    std::size_t max_depth = 32;
    enum class trigger { on, otherwise, after, complete } trigger = trigger::on;
    bool guard = false;
    bool state_has_body = false;
    bool in_flow = false;  // between a flow's name and its 'end'
    bool state_has_say = false;
    bool state_has_fields = false;  // 'ask' lines: a form
    std::string state_name;
};
struct state_tag;

struct nesting_error {
    const char* where;
    bool flow_use = false;  // flows chained in a use, not a guard
};

parse_state& state_of(const auto& context) { return x3::get<state_tag>(context).get(); }

// X3 position tagging. X3 hands on_success an unused attribute when a rule's definition has
// semantic actions, so `tag[...]` wraps every definition instead: it records, in the rule's
// own value (the rule context), the byte range the definition matched after skipping blanks.
template <class Subject>
struct tag_parser : x3::unary_parser<Subject, tag_parser<Subject>> {
    using base_type = x3::unary_parser<Subject, tag_parser<Subject>>;
    static const bool is_pass_through_unary = true;
    constexpr tag_parser(const Subject& s) : base_type(s) {}

    template <class Iterator, class Context, class RContext, class Attribute>
    bool parse(Iterator& first, const Iterator& last, const Context& context, RContext& rcontext, Attribute& attr) const {
        x3::skip_over(first, last, context);
        const Iterator start = first;
        if (!this->subject.parse(first, last, context, rcontext, attr)) return false;
        if constexpr (std::is_base_of_v<ast::tagged, RContext>) {
            rcontext.offset = static_cast<std::uint32_t>(start - state_of(context).begin);
            rcontext.length = static_cast<std::uint32_t>(first - start);
        }
        return true;
    }
};
struct tag_gen {
    template <class Subject>
    constexpr tag_parser<typename x3::extension::as_parser<Subject>::value_type> operator[](const Subject& s) const {
        return {x3::as_parser(s)};
    }
};
constexpr tag_gen tag{};

// Counts guard nesting so that '((((...' cannot exhaust the stack; with FlowUse, flows chained in
// a use (`-> a(done -> b(done -> c(...)))`), with a count and a message of their own.
template <class Subject, bool FlowUse>
struct nested_parser : x3::unary_parser<Subject, nested_parser<Subject, FlowUse>> {
    using base_type = x3::unary_parser<Subject, nested_parser<Subject, FlowUse>>;
    static const bool is_pass_through_unary = true;
    constexpr nested_parser(const Subject& s) : base_type(s) {}

    template <class Iterator, class Context, class RContext, class Attribute>
    bool parse(Iterator& first, const Iterator& last, const Context& context, RContext& rcontext, Attribute& attr) const {
        auto& s = state_of(context);
        auto& depth = FlowUse ? s.use_depth : s.depth;
        x3::skip_over(first, last, context);
        if (++depth > s.max_depth) {
            --depth;
            throw nesting_error{first, FlowUse};
        }
        const bool ok = this->subject.parse(first, last, context, rcontext, attr);
        --depth;
        return ok;
    }
};
template <bool FlowUse>
struct nested_gen {
    template <class Subject>
    constexpr nested_parser<typename x3::extension::as_parser<Subject>::value_type, FlowUse> operator[](const Subject& s) const {
        return {x3::as_parser(s)};
    }
};
constexpr nested_gen<false> nested{};
constexpr nested_gen<true> nested_use{};

}  // namespace
}  // namespace parley::dsl

// Error messages name what was expected: X3's what() sees through semantic actions and the
// directives above to the named rule inside (by default it would print a mangled type).
namespace boost::spirit::x3 {
template <class Subject, class Action>
struct get_info<action<Subject, Action>> {
    using result_type = std::string;
    std::string operator()(const action<Subject, Action>& p) const { return what(p.subject); }
};
template <class Left, class Right>
struct get_info<list<Left, Right>> {
    using result_type = std::string;
    std::string operator()(const list<Left, Right>& p) const { return what(p.left); }
};
template <class Subject>
struct get_info<parley::dsl::tag_parser<Subject>> {
    using result_type = std::string;
    std::string operator()(const parley::dsl::tag_parser<Subject>& p) const { return what(p.subject); }
};
template <class Subject, bool FlowUse>
struct get_info<parley::dsl::nested_parser<Subject, FlowUse>> {
    using result_type = std::string;
    std::string operator()(const parley::dsl::nested_parser<Subject, FlowUse>& p) const { return what(p.subject); }
};
}  // namespace boost::spirit::x3

namespace parley::dsl {
namespace {

using x3::char_;
using x3::eps;
using x3::lexeme;
using x3::lit;

// ---- Lexical ---------------------------------------------------------------------------------

const auto blank = char_(" \t\r\n");
const auto comment = lit('#') >> *(char_ - '\n');
const auto skipper = blank | comment;

const auto name_start = char_('a', 'z') | char_('A', 'Z') | char_('_');
const auto name_char = name_start | char_('0', '9');
// A byte of a non-ASCII character: a name cannot continue with one ('café' is not 'caf').
const auto non_ascii = x3::char_(static_cast<char>(0x80), static_cast<char>(0xFF));

// The statements, each beginning with its keyword, in the order "expected a statement (...)"
// names them. Recovery after an error resumes at a line that starts with one of them.
constexpr std::string_view statement_keywords[] = {"state",  "intent",  "event",  "slot",     "counter", "variable", "setting",
                                                   "forbid", "confirm", "global", "handlers", "flow",    "include"};
// Words that may not name anything: the statement keywords and the words inside statements.
constexpr std::string_view inner_keywords[] = {"use", "ask",  "repeat", "initial", "action",    "end",      "on",      "otherwise", "after",
                                               "if",  "stay", "say",    "hint",    "increment", "reset",    "keep",    "set",       "and",
                                               "or",  "not",  "known",  "do",      "clear",     "complete", "reprompt"};

x3::symbols<x3::unused_type> make_reserved() {
    x3::symbols<x3::unused_type> s;
    for (auto k : statement_keywords) s.add(k);
    for (auto k : inner_keywords) s.add(k);
    return s;
}
const x3::symbols<x3::unused_type> reserved_words = make_reserved();
const auto reserved = lexeme[reserved_words >> !name_char];
// An intent or event is named by the host's classifier, which may well call one "confirm" or
// "state": those names give up only the words that could be read inside a handler's line.
x3::symbols<x3::unused_type> make_inner_reserved() {
    x3::symbols<x3::unused_type> s;
    for (auto k : inner_keywords) s.add(k);
    return s;
}
const x3::symbols<x3::unused_type> inner_reserved_words = make_inner_reserved();
const auto inner_reserved = lexeme[inner_reserved_words >> !name_char];

auto kw(const char* word) { return lexeme[lit(word) >> !name_char]; }

using compare_value_attribute = x3::variant<ast::number_literal, ast::string_literal, ast::identifier>;
using setting_value_attribute = x3::variant<ast::number_literal, ast::string_literal, ast::identifier>;
using argument_value_attribute = x3::variant<ast::identifier, ast::string_literal>;
using set_value_attribute = x3::variant<ast::string_literal, ast::identifier>;

// Each named rule's name is what an error message says was expected.
#define PARLEY_RULE(name, attribute, text) \
    struct name##_id;                      \
    const x3::rule<name##_id, attribute> name = text;

PARLEY_RULE(raw_name, std::string, "a name")
PARLEY_RULE(word, ast::identifier, "a word")
PARLEY_RULE(identifier, ast::identifier, "a name")
PARLEY_RULE(label_identifier, ast::identifier, "a name")
PARLEY_RULE(string_body, std::string, "a string in double quotes")
PARLEY_RULE(close_quote, x3::unused_type, "'\"' to end the string (a string cannot span lines)")
PARLEY_RULE(escape, char, "an escape")
PARLEY_RULE(escape_code, char, "an escape: '\\\"', '\\\\' or '\\n'")
PARLEY_RULE(string_literal, ast::string_literal, "a string in double quotes")
PARLEY_RULE(number, ast::number_literal, "a number")
PARLEY_RULE(language_tag, std::string, "a language tag")
PARLEY_RULE(tagged_string, ast::string_literal, "a string after the language tag")
PARLEY_RULE(text, ast::text, "a string, or a language tag and a string")
PARLEY_RULE(texts, std::vector<ast::text>, "a string, or a language tag and a string")
PARLEY_RULE(variant, ast::variant, "a phrase: a string, or language tags and strings")
PARLEY_RULE(next_variant, ast::variant, "a variant after '|': a string, or language tags and strings")
PARLEY_RULE(phrase, ast::phrase, "a phrase: a string, or language tags and strings")

PARLEY_RULE(guard, ast::disjunction, "a guard after 'if'")
PARLEY_RULE(disjunction, ast::disjunction, "a condition after '('")
PARLEY_RULE(conjunction, ast::conjunction, "a guard")
PARLEY_RULE(or_operand, ast::conjunction, "a condition after 'or'")
PARLEY_RULE(and_operand, ast::operand, "a condition after 'and'")
PARLEY_RULE(operand, ast::operand, "a condition: a comparison, 'known(...)', 'not' or '('")
PARLEY_RULE(negation, ast::negation, "a condition after 'not'")
PARLEY_RULE(known_check, ast::known_check, "'known(slot)'")
PARLEY_RULE(known_count, ast::known_count, "'known(slot, ...)' and a comparison")
PARLEY_RULE(known_count_value, ast::number_literal, "a whole number after the comparison")
PARLEY_RULE(comparison, ast::comparison, "a comparison")
PARLEY_RULE(compare_op, ast::compare_op, "a comparison operator: '==', '!=', '<', '<=', '>' or '>='")
PARLEY_RULE(compare_value, compare_value_attribute, "a number, a string, or a counter, slot or variable to compare with")
PARLEY_RULE(close_paren, x3::unused_type, "')'")
PARLEY_RULE(open_paren, x3::unused_type, "'('")

PARLEY_RULE(trigger, ast::trigger, "'on', 'otherwise' or 'after'")
PARLEY_RULE(label_name, ast::identifier, "an intent or event name after 'on'")
PARLEY_RULE(next_label_name, ast::identifier, "an intent or event name after ','")
PARLEY_RULE(seconds, ast::number_literal, "a number of seconds after 'after'")
PARLEY_RULE(arrow, x3::unused_type, "'->'")
PARLEY_RULE(confirm_arrow, x3::unused_type, "'->' after 'confirm'")
PARLEY_RULE(target, ast::identifier, "a target state or 'stay' after '->'")
PARLEY_RULE(clause, ast::clause, "a clause")
PARLEY_RULE(say_clause, ast::say_clause, "'say'")
PARLEY_RULE(hint_clause, ast::hint_clause, "'hint'")
PARLEY_RULE(counter_clause, ast::counter_clause, "'increment' or 'reset'")
PARLEY_RULE(keep_clause, ast::keep_clause, "'keep'")
PARLEY_RULE(set_clause, ast::set_clause, "'set'")
PARLEY_RULE(set_value, set_value_attribute, "a quoted value or a slot after '='")
PARLEY_RULE(clear_clause, ast::clear_clause, "'clear'")
PARLEY_RULE(cleared_slot, ast::identifier, "a slot name after 'clear'")
PARLEY_RULE(counter_name, ast::identifier, "a counter name")
PARLEY_RULE(slot_name, ast::identifier, "a slot name after 'keep'")
PARLEY_RULE(next_slot_name, ast::identifier, "a slot name after ','")
PARLEY_RULE(variable_name, ast::identifier, "a variable name after 'set'")
PARLEY_RULE(equals, x3::unused_type, "'='")
PARLEY_RULE(handler, ast::handler, "a handler: 'on', 'otherwise' or 'after'")

PARLEY_RULE(state_name, ast::identifier, "a state name after 'state'")
PARLEY_RULE(action_name, ast::identifier, "an action after 'action': continue, hold, transfer, hangup or close")
PARLEY_RULE(state_end, x3::unused_type, "end")
PARLEY_RULE(state_decl, ast::state_decl, "'state'")
PARLEY_RULE(global_end, x3::unused_type, "'end' to close 'global'")
PARLEY_RULE(global_decl, ast::global_decl, "'global'")
PARLEY_RULE(group_decl, ast::group_decl, "'handlers'")
PARLEY_RULE(group_name, ast::identifier, "the name of a group of handlers after 'handlers'")
PARLEY_RULE(group_end, x3::unused_type, "a handler, 'handlers' and a group's name, or 'end' to close the group")
PARLEY_RULE(group_use, ast::group_use, "'handlers'")
PARLEY_RULE(form_field, ast::form_field, "'ask'")
PARLEY_RULE(field_slot, ast::identifier, "the slot a form asks for after 'ask'")
PARLEY_RULE(confirm_target, ast::identifier, "a state name after 'confirm ->'")
PARLEY_RULE(ask_kw, x3::unused_type, "'ask' and the phrase that confirms the intent")
PARLEY_RULE(repeat_kw, x3::unused_type, "'repeat' and the phrase that asks the caller to repeat")
PARLEY_RULE(confirm_end, x3::unused_type, "'end' to close 'confirm'")
PARLEY_RULE(confirm_decl, ast::confirm_decl, "'confirm'")
PARLEY_RULE(include_decl, ast::include_decl, "'include'")
PARLEY_RULE(setting_name, ast::identifier, "a setting name after 'setting'")
PARLEY_RULE(setting_value, setting_value_attribute, "a setting value: a number, a name or a string")
PARLEY_RULE(setting_decl, ast::setting_decl, "'setting'")
PARLEY_RULE(variable_decl, ast::variable_decl, "'variable'")
PARLEY_RULE(declared_name, ast::identifier, "a name to declare")
PARLEY_RULE(event_name, ast::identifier, "a name to declare")
PARLEY_RULE(slot_decl, ast::slot_decl, "'slot'")
PARLEY_RULE(value_type, ast::value_type, "a type after ':': 'number', or its values as a | b | c")
PARLEY_RULE(slot_choice, ast::identifier, "a value after '|': a word, or words in double quotes")
PARLEY_RULE(first_choice, ast::identifier, "a value: a word, or words in double quotes")
PARLEY_RULE(counter_decl, ast::counter_decl, "'counter'")
PARLEY_RULE(event_decl, ast::event_decl, "'event'")
PARLEY_RULE(intent_name, ast::identifier, "an intent name after 'intent'")
PARLEY_RULE(description, std::vector<ast::text>, "a description after ':': a string, or language tags and strings")
PARLEY_RULE(variable_value, std::vector<ast::text>, "a value after '=': a string, or language tags and strings")
PARLEY_RULE(intent_decl, ast::intent_decl, "'intent'")
PARLEY_RULE(use_kw, x3::unused_type, "'use' and the replacement phrase")
PARLEY_RULE(forbid_decl, ast::forbid_decl, "'forbid'")
PARLEY_RULE(host_action_name, ast::identifier, "an action's name after 'do'")
PARLEY_RULE(action_argument, ast::action_argument, "an argument: a slot or variable, or NAME = \"VALUE\" or NAME = SLOT")
PARLEY_RULE(argument_value, argument_value_attribute, "a quoted value, a slot or a variable after '='")
PARLEY_RULE(close_arguments, x3::unused_type, "',' or ')' after an argument")
PARLEY_RULE(argument_list, std::vector<ast::action_argument>, "')', or an argument: a slot or variable, or NAME = \"VALUE\"")
PARLEY_RULE(do_clause, ast::do_clause, "'do'")
PARLEY_RULE(exit_binding, ast::exit_binding, "an exit and where it goes: EXIT -> STATE")
PARLEY_RULE(exit_target, ast::identifier, "a state after the exit's '->'")
PARLEY_RULE(exit_arrow, x3::unused_type, "'->' after the exit, and the state it goes to")
PARLEY_RULE(close_bindings, x3::unused_type, "',' or ')' after an exit's state, or '(' after a flow's name")
PARLEY_RULE(binding_list, std::vector<ast::exit_binding>, "')', or an exit and where it goes: EXIT -> STATE")
PARLEY_RULE(flow_decl, ast::flow_decl, "'flow'")
PARLEY_RULE(flow_name, ast::identifier, "a flow's name after 'flow'")
PARLEY_RULE(exit_name, ast::identifier, "an exit's name")
PARLEY_RULE(close_exits, x3::unused_type, "',' or ')' after an exit")
PARLEY_RULE(exit_list, std::vector<ast::identifier>, "')', or the name of an exit")
PARLEY_RULE(flow_end, x3::unused_type, "'state', or 'end' to close the flow")
PARLEY_RULE(item, ast::item, "a statement")

#undef PARLEY_RULE

// Semantic actions: `_val` is the rule's node, `_attr` what the sub-parser produced.
template <class F>
auto act(F f) {
    return [f](auto& ctx) { f(x3::_val(ctx), x3::_attr(ctx)); };
}

const auto raw_name_def = tag[x3::raw[lexeme[name_start >> *name_char >> !non_ascii]] - reserved];
const auto word_def =
    tag[x3::raw[lexeme[name_start >> *name_char]][act([](ast::identifier& v, auto& a) { v.text.assign(a.begin(), a.end()); })]];
const auto identifier_def = tag[raw_name[act([](ast::identifier& v, std::string& a) { v.text = std::move(a); })]];
const auto label_identifier_def = tag[(x3::raw[lexeme[name_start >> *name_char >> !non_ascii]] -
                                       inner_reserved)[act([](ast::identifier& v, auto& a) { v.text.assign(a.begin(), a.end()); })]];

const auto escape_code_def = (lit('"') >> x3::attr('"')) | (lit('\\') >> x3::attr('\\')) | (lit('n') >> x3::attr('\n'));
const auto escape_def = lit('\\') > escape_code;
const auto close_quote_def = tag[lit('"')];
const auto string_body_def = tag[lexeme['"' > *(escape | (char_ - char_("\"\\\n\r"))) > close_quote]];
const auto string_literal_def = tag[string_body[act([](ast::string_literal& v, std::string& a) { v.value = std::move(a); })]];
// Numbers as written in rules: no 'nan' or 'inf' (which would swallow words such as 'infer').
struct strict_real_policies : x3::real_policies<double> {
    template <class Iterator, class Attribute>
    static bool parse_nan(Iterator&, const Iterator&, Attribute&) {
        return false;
    }
    template <class Iterator, class Attribute>
    static bool parse_inf(Iterator&, const Iterator&, Attribute&) {
        return false;
    }
};
const x3::real_parser<double, strict_real_policies> real{};
const auto number_def = tag[real[act([](ast::number_literal& v, double a) { v.value = a; })]];

// [a-z]{2,3}(-[A-Za-z0-9]{1,8})*, not a reserved word ('on', 'or', 'say'... may follow a phrase).
const auto tag_alnum = char_('a', 'z') | char_('A', 'Z') | char_('0', '9');
const auto lower = char_('a', 'z');
const auto language_tag_def =
    tag[x3::raw[lexeme[lower >> lower >> -lower >> *('-' >> x3::repeat(1, 8)[tag_alnum]) >> !(name_char | '-')]] - reserved];
const auto tagged_string_def = tag[string_literal];
const auto text_def = tag[(language_tag > tagged_string)[([](auto& ctx) {
                              using boost::fusion::at_c;
                              x3::_val(ctx).language = std::move(at_c<0>(x3::_attr(ctx)));
                              x3::_val(ctx).value = std::move(at_c<1>(x3::_attr(ctx)));
                          })] |
                          string_literal[act([](ast::text& v, ast::string_literal& a) { v.value = std::move(a); })]];
const auto texts_def = tag[+text];
const auto variant_def = tag[texts[act([](ast::variant& v, std::vector<ast::text>& a) { v.texts = std::move(a); })]];
const auto next_variant_def = tag[variant];
const auto phrase_def = tag[variant[act([](ast::phrase& v, ast::variant& a) { v.variants.push_back(std::move(a)); })] >
                            *(lit('|') > next_variant[act([](ast::phrase& v, ast::variant& a) { v.variants.push_back(std::move(a)); })])];

// ---- Guards ------------------------------------------------------------------------------------

const auto open_paren_def = tag[lit('(')];
const auto close_paren_def = tag[lit(')')];
const auto disjunction_def =
    tag[conjunction[act([](ast::disjunction& v, ast::conjunction& a) { v.terms.push_back(std::move(a)); })] >
        *(kw("or") > or_operand[act([](ast::disjunction& v, ast::conjunction& a) { v.terms.push_back(std::move(a)); })])];
const auto or_operand_def = tag[conjunction];
const auto guard_def = tag[disjunction];
const auto and_operand_def = tag[operand];
const auto conjunction_def =
    tag[operand[act([](ast::conjunction& v, ast::operand& a) { v.terms.push_back(std::move(a)); })] >
        *(kw("and") > and_operand[act([](ast::conjunction& v, ast::operand& a) { v.terms.push_back(std::move(a)); })])];
const auto negation_def = tag[kw("not") > operand[act([](ast::negation& v, ast::operand& a) { v.subject = std::move(a); })]];
// Backtracks until the comparison: `known(a)` alone is a known_check.
const auto known_count_def = tag[(kw("known") >> lit('(') >> (identifier % lit(',')) >> lit(')') >> compare_op)[([](auto& ctx) {
                                     using boost::fusion::at_c;
                                     x3::_val(ctx).names = std::move(at_c<0>(x3::_attr(ctx)));
                                     x3::_val(ctx).op = at_c<1>(x3::_attr(ctx));
                                 })] > known_count_value[act([](ast::known_count& v, ast::number_literal& a) { v.value = a; })]];
const auto known_count_value_def = number;
const auto known_check_def =
    tag[kw("known") > open_paren > identifier[act([](ast::known_check& v, ast::identifier& a) { v.name = std::move(a); })] > close_paren];

x3::symbols<ast::compare_op> make_ops() {
    x3::symbols<ast::compare_op> s;
    s.add("==", ast::compare_op::eq)("!=", ast::compare_op::ne)("<=", ast::compare_op::le)(">=", ast::compare_op::ge)(
        "<", ast::compare_op::lt)(">", ast::compare_op::gt);
    return s;
}
const x3::symbols<ast::compare_op> compare_ops = make_ops();
const auto compare_op_def = tag[compare_ops];
const auto compare_value_def = tag[number | string_literal | identifier];
const auto comparison_def = tag[identifier[act([](ast::comparison& v, ast::identifier& a) { v.subject = std::move(a); })] >
                                compare_op[act([](ast::comparison& v, ast::compare_op a) { v.op = a; })] >
                                compare_value[act([](ast::comparison& v, auto& a) { v.value = std::move(a); })]];
// `nested` counts the depth at 'not' and '(' and refuses the one past the limit, pointing at it.
const auto operand_def =
    tag[(&kw("not") >> nested[negation[act([](ast::operand& v, ast::negation& a) { v = std::move(a); })]]) |
        (&lit('(') >> nested[lit('(') > disjunction[act([](ast::operand& v, ast::disjunction& a) { v = std::move(a); })] > close_paren]) |
        known_count[act([](ast::operand& v, ast::known_count& a) { v = std::move(a); })] |
        known_check[act([](ast::operand& v, ast::known_check& a) { v = std::move(a); })] |
        comparison[act([](ast::operand& v, ast::comparison& a) { v = std::move(a); })]];

// ---- Handlers ----------------------------------------------------------------------------------

const auto arrow_def = tag[lit("->")];
const auto confirm_arrow_def = arrow;
const auto label_name_def = tag[label_identifier];
const auto next_label_name_def = tag[label_identifier];
const auto seconds_def = tag[lexeme[number >> -lit('s') >> !name_char]];
const auto set_trigger = [](ast::trigger_kind kind) {
    return [kind](auto& ctx) {
        x3::_val(ctx).kind = kind;
        state_of(ctx).trigger = kind == ast::trigger_kind::on          ? parse_state::trigger::on
                                : kind == ast::trigger_kind::otherwise ? parse_state::trigger::otherwise
                                : kind == ast::trigger_kind::complete  ? parse_state::trigger::complete
                                                                       : parse_state::trigger::after;
        state_of(ctx).guard = false;
    };
};
const auto trigger_def =
    tag[(kw("on")[set_trigger(ast::trigger_kind::on)] > label_name[act([](ast::trigger& v, ast::identifier& a) {
             v.labels.push_back(std::move(a));
         })] > *(lit(',') > next_label_name[act([](ast::trigger& v, ast::identifier& a) { v.labels.push_back(std::move(a)); })])) |
        kw("otherwise")[set_trigger(ast::trigger_kind::otherwise)] | kw("complete")[set_trigger(ast::trigger_kind::complete)] |
        (kw("after")[set_trigger(ast::trigger_kind::after)] >
         seconds[act([](ast::trigger& v, ast::number_literal& a) { v.seconds = a; })])];
const auto target_def = tag[kw("stay")[([](auto& ctx) { x3::_val(ctx).text = "stay"; })] |
                            identifier[act([](ast::identifier& v, ast::identifier& a) { v = std::move(a); })]];

const auto equals_def = tag[lit('=')];
const auto counter_name_def = tag[identifier];
const auto slot_name_def = tag[identifier];
const auto next_slot_name_def = tag[identifier];
const auto variable_name_def = tag[identifier];
const auto say_clause_def = tag[kw("say") > phrase[act([](ast::say_clause& v, ast::phrase& a) { v.what = std::move(a); })]];
const auto hint_clause_def = tag[kw("hint") > phrase[act([](ast::hint_clause& v, ast::phrase& a) { v.what = std::move(a); })]];
const auto counter_clause_def = tag[(kw("increment")[([](auto& ctx) { x3::_val(ctx).verb = ast::counter_verb::increment; })] |
                                     kw("reset")[([](auto& ctx) { x3::_val(ctx).verb = ast::counter_verb::reset; })]) >
                                    counter_name[act([](ast::counter_clause& v, ast::identifier& a) { v.counter = std::move(a); })]];
const auto keep_clause_def =
    tag[kw("keep") > slot_name[act([](ast::keep_clause& v, ast::identifier& a) { v.slots.push_back(std::move(a)); })] >
        *(lit(',') > next_slot_name[act([](ast::keep_clause& v, ast::identifier& a) { v.slots.push_back(std::move(a)); })])];
const auto set_clause_def = tag[kw("set") > variable_name[act([](ast::set_clause& v, ast::identifier& a) { v.variable = std::move(a); })] >
                                equals > set_value[([](auto& ctx) {
                                    auto& v = x3::_val(ctx);
                                    if (auto* quoted = boost::get<ast::string_literal>(&x3::_attr(ctx)))
                                        v.value = std::move(*quoted);
                                    else
                                        v.from = std::move(boost::get<ast::identifier>(x3::_attr(ctx))), v.copies = true;
                                })]];
const auto set_value_def = tag[string_literal | identifier];
const auto cleared_slot_def = tag[identifier];
const auto clear_clause_def =
    tag[kw("clear") > cleared_slot[act([](ast::clear_clause& v, ast::identifier& a) { v.slots.push_back(std::move(a)); })] >
        *(lit(',') > next_slot_name[act([](ast::clear_clause& v, ast::identifier& a) { v.slots.push_back(std::move(a)); })])];
// A word of letters, digits, '_' and '-' that starts with a letter or '_', read whole: one that
// begins like a reserved word ('end-call', 'set-x', 'on-hold') is a name, a reserved word alone is not.
const auto action_word = lexeme[name_start >> *(name_char | (char_('-') >> !char_('>')))];
const auto whole_reserved = lexeme[reserved_words >> !(name_char | (char_('-') >> !char_('>')))];
const auto host_action_name_def =
    tag[x3::raw[action_word >> !non_ascii] - whole_reserved][act([](ast::identifier& v, auto& a) { v.text.assign(a.begin(), a.end()); })];
const auto argument_value_def = tag[identifier | string_literal];
const auto action_argument_def = tag[identifier[act([](ast::action_argument& v, ast::identifier& a) { v.name = std::move(a); })] >
                                     -(lit('=') > argument_value[([](auto& ctx) {
                                           x3::_val(ctx).has_value = true;
                                           x3::_val(ctx).value = std::move(x3::_attr(ctx));
                                       })])];
const auto close_arguments_def = tag[lit(')')];
const auto argument_list_def =
    (lit(')') >> x3::attr(std::vector<ast::action_argument>{})) | ((action_argument >> *(lit(',') > action_argument)) > close_arguments);
const auto do_clause_def =
    tag[kw("do") > host_action_name[act([](ast::do_clause& v, ast::identifier& a) { v.name = std::move(a); })] >
        -(lit('(') > argument_list[act([](ast::do_clause& v, std::vector<ast::action_argument>& a) { v.arguments = std::move(a); })])];
const auto clause_def = tag[say_clause[act([](ast::clause& v, ast::say_clause& a) { v = std::move(a); })] |
                            do_clause[act([](ast::clause& v, ast::do_clause& a) { v = std::move(a); })] |
                            hint_clause[act([](ast::clause& v, ast::hint_clause& a) { v = std::move(a); })] |
                            counter_clause[act([](ast::clause& v, ast::counter_clause& a) { v = std::move(a); })] |
                            keep_clause[act([](ast::clause& v, ast::keep_clause& a) { v = std::move(a); })] |
                            set_clause[act([](ast::clause& v, ast::set_clause& a) { v = std::move(a); })] |
                            clear_clause[act([](ast::clause& v, ast::clear_clause& a) { v = std::move(a); })]];
const auto handler_def = tag[trigger[act([](ast::handler& v, ast::trigger& a) { v.when = std::move(a); })] >
                             -(kw("if")[([](auto& ctx) { state_of(ctx).guard = true; })] >
                               guard[act([](ast::handler& v, ast::disjunction& a) { v.guard = std::move(a); })]) > arrow >
                             target[act([](ast::handler& v, ast::identifier& a) { v.target = std::move(a); })] >
                             -(lit('(') > binding_list[act([](ast::handler& v, std::vector<ast::exit_binding>& a) {
                                   v.uses_flow = true;
                                   v.bindings = std::move(a);
                               })]) > *clause[act([](ast::handler& v, ast::clause& a) { v.clauses.push_back(std::move(a)); })]];

// ---- Statements --------------------------------------------------------------------------------

const auto state_name_def = tag[identifier];
const auto action_name_def = tag[identifier];
const auto state_end_def = tag[kw("end") | eps[([](auto& ctx) { x3::_pass(ctx) = !state_of(ctx).state_has_body; })]];
// A state's entry clause, after its 'say': what entering the state does. ('say' and 'keep' are
// not among them: expectation_message says why when one comes here.)
template <class Node>
auto into_entry() {
    return [](auto& ctx) {
        state_of(ctx).state_has_body = true;
        x3::_val(ctx).entry_clauses.push_back(ast::clause(std::move(x3::_attr(ctx))));
    };
}
const auto entry_clause = hint_clause[into_entry<ast::hint_clause>()] | do_clause[into_entry<ast::do_clause>()] |
                          set_clause[into_entry<ast::set_clause>()] | clear_clause[into_entry<ast::clear_clause>()] |
                          counter_clause[into_entry<ast::counter_clause>()];
const auto state_decl_def =
    tag[kw("state") > state_name[([](auto& ctx) {
            state_of(ctx).state_name = x3::_attr(ctx).text;
            state_of(ctx).state_has_body = false;
            state_of(ctx).state_has_say = false;
            state_of(ctx).state_has_fields = false;
            x3::_val(ctx).name = std::move(x3::_attr(ctx));
        })] > -kw("initial")[([](auto& ctx) { x3::_val(ctx).initial = true; })] >
        -(kw("action") > action_name[act([](ast::state_decl& v, ast::identifier& a) { v.action = std::move(a); })]) >
        -(kw("say") > phrase[([](auto& ctx) {
              state_of(ctx).state_has_body = true;
              state_of(ctx).state_has_say = true;
              x3::_val(ctx).entry = std::move(x3::_attr(ctx));
          })]) > *entry_clause > *form_field[([](auto& ctx) {
            state_of(ctx).state_has_body = true;
            state_of(ctx).state_has_fields = true;
            x3::_val(ctx).fields.push_back(std::move(x3::_attr(ctx)));
        })] > *(handler[([](auto& ctx) {
                    state_of(ctx).state_has_body = true;
                    x3::_val(ctx).handlers.push_back(std::move(x3::_attr(ctx)));
                })] |
                group_use[([](auto& ctx) {
                    state_of(ctx).state_has_body = true;
                    auto use = std::move(x3::_attr(ctx));
                    use.position = x3::_val(ctx).handlers.size();
                    x3::_val(ctx).groups.push_back(std::move(use));
                })]) > state_end];
const auto field_slot_def = tag[identifier];
const auto form_field_def = tag[kw("ask") > field_slot[act([](ast::form_field& v, ast::identifier& a) { v.slot = std::move(a); })] >
                                phrase[act([](ast::form_field& v, ast::phrase& a) { v.prompt = std::move(a); })] >
                                -(kw("reprompt") > phrase[act([](ast::form_field& v, ast::phrase& a) { v.reprompt = std::move(a); })])];
const auto group_name_def = tag[identifier];
const auto group_use_def = tag[kw("handlers") > group_name[act([](ast::group_use& v, ast::identifier& a) { v.name = std::move(a); })]];
const auto group_end_def = tag[kw("end")];
const auto group_decl_def = tag[kw("handlers") > group_name[act([](ast::group_decl& v, ast::identifier& a) { v.name = std::move(a); })] >
                                *(handler[act([](ast::group_decl& v, ast::handler& a) { v.handlers.push_back(std::move(a)); })] |
                                  group_use[([](auto& ctx) {  // another group's handlers, in place, as in a state
                                      auto use = std::move(x3::_attr(ctx));
                                      use.position = x3::_val(ctx).handlers.size();
                                      x3::_val(ctx).groups.push_back(std::move(use));
                                  })]) > group_end];

const auto exit_target_def = tag[identifier];
const auto exit_arrow_def = tag[lit("->")];
// An exit may lead into another flow's use, chained where it is written: `done -> validate(done -> s)`.
const auto exit_binding_def =
    tag[identifier[act([](ast::exit_binding& v, ast::identifier& a) { v.exit = std::move(a); })] > exit_arrow >
        exit_target[act([](ast::exit_binding& v, ast::identifier& a) { v.target = std::move(a); })] >
        -(&lit('(') >> nested_use[lit('(') > binding_list[act([](ast::exit_binding& v, std::vector<ast::exit_binding>& a) {
                                      v.uses_flow = true;
                                      v.bindings = std::move(a);
                                  })]])];
const auto close_bindings_def = tag[lit(')')];
const auto binding_list_def =
    (lit(')') >> x3::attr(std::vector<ast::exit_binding>{})) | ((exit_binding >> *(lit(',') > exit_binding)) > close_bindings);

const auto flow_name_def = tag[identifier];
const auto exit_name_def = tag[identifier];
const auto close_exits_def = tag[lit(')')];
const auto exit_list_def = (lit(')') >> x3::attr(std::vector<ast::identifier>{})) | ((exit_name >> *(lit(',') > exit_name)) > close_exits);
const auto flow_end_def = tag[kw("end")];
const auto flow_decl_def =
    tag[kw("flow")[([](auto& ctx) { state_of(ctx).in_flow = true; })] >
        flow_name[act([](ast::flow_decl& v, ast::identifier& a) { v.name = std::move(a); })] >
        -(lit('(') > exit_list[act([](ast::flow_decl& v, std::vector<ast::identifier>& a) { v.exits = std::move(a); })]) >
        *state_decl[act([](ast::flow_decl& v, ast::state_decl& a) { v.states.push_back(std::move(a)); })] >
        flow_end[([](auto& ctx) { state_of(ctx).in_flow = false; })]];

const auto global_end_def = tag[kw("end")];
const auto global_decl_def =
    tag[kw("global") > *handler[act([](ast::global_decl& v, ast::handler& a) { v.handlers.push_back(std::move(a)); })] > global_end];

const auto confirm_target_def = tag[identifier];
const auto ask_kw_def = tag[kw("ask")];
const auto repeat_kw_def = tag[kw("repeat")];
const auto confirm_end_def = tag[kw("end")];
const auto confirm_decl_def =
    tag[kw("confirm") > confirm_arrow > confirm_target[act([](ast::confirm_decl& v, ast::identifier& a) { v.target = std::move(a); })] >
        ask_kw > phrase[act([](ast::confirm_decl& v, ast::phrase& a) { v.ask = std::move(a); })] > repeat_kw >
        phrase[act([](ast::confirm_decl& v, ast::phrase& a) { v.repeat = std::move(a); })] > confirm_end];

const auto include_decl_def =
    tag[kw("include") > string_literal[act([](ast::include_decl& v, ast::string_literal& a) { v.path = std::move(a); })]];
const auto setting_name_def = tag[identifier];
const auto setting_value_def = tag[number | string_literal | word];
const auto setting_decl_def =
    tag[kw("setting") > setting_name[act([](ast::setting_decl& v, ast::identifier& a) { v.name = std::move(a); })] > equals >
        setting_value[act([](ast::setting_decl& v, auto& a) { v.value = std::move(a); })]];
const auto declared_name_def = tag[identifier];
const auto variable_decl_def =
    tag[kw("variable") > declared_name[act([](ast::variable_decl& v, ast::identifier& a) { v.name = std::move(a); })] >
        -(lit(':') > value_type[act([](ast::variable_decl& v, ast::value_type& a) { v.type = std::move(a); })]) >
        -(lit('=') > variable_value[act([](ast::variable_decl& v, std::vector<ast::text>& a) { v.value = std::move(a); })])];
// A choice is a word, or any text in double quotes ("by mail"): either way its text is the value.
const auto choice = identifier[act([](ast::identifier& v, ast::identifier& a) { v = std::move(a); })] |
                    string_literal[act([](ast::identifier& v, ast::string_literal& a) { v.text = std::move(a.value); })];
const auto slot_choice_def = tag[choice];
const auto first_choice_def = tag[choice];
const auto slot_decl_def = tag[kw("slot") > declared_name[act([](ast::slot_decl& v, ast::identifier& a) { v.name = std::move(a); })] >
                               -(lit(':') > value_type[act([](ast::slot_decl& v, ast::value_type& a) { v.type = std::move(a); })])];
// After a slot's or a variable's ':': `number`, or `a | b | c` (names: not reserved words, and not
// 'number' alone).
const auto value_type_def = (kw("number") >> !lit('|'))[([](auto& ctx) { x3::_val(ctx).number = true; })] |
                            (first_choice[([](auto& ctx) { x3::_val(ctx).choices.push_back(std::move(x3::_attr(ctx))); })] >>
                             *(lit('|') > slot_choice[([](auto& ctx) { x3::_val(ctx).choices.push_back(std::move(x3::_attr(ctx))); })]));
const auto counter_decl_def =
    tag[kw("counter") > declared_name[act([](ast::counter_decl& v, ast::identifier& a) { v.name = std::move(a); })]];
const auto event_name_def = tag[label_identifier];
const auto event_decl_def = tag[kw("event") > event_name[act([](ast::event_decl& v, ast::identifier& a) { v.name = std::move(a); })]];
const auto intent_name_def = tag[label_identifier];
const auto description_def = tag[+text];
const auto variable_value_def = tag[+text];
const auto intent_decl_def =
    tag[kw("intent") > intent_name[act([](ast::intent_decl& v, ast::identifier& a) { v.name = std::move(a); })] >
        -(lit(':') > description[act([](ast::intent_decl& v, std::vector<ast::text>& a) { v.description = std::move(a); })])];
const auto use_kw_def = tag[kw("use")];
const auto forbid_decl_def =
    tag[kw("forbid") > string_literal[act([](ast::forbid_decl& v, ast::string_literal& a) { v.phrase = std::move(a); })] > use_kw >
        string_literal[act([](ast::forbid_decl& v, ast::string_literal& a) { v.replacement = std::move(a); })]];

template <class Node>
auto into_item() {
    return act([](ast::item& v, Node& a) { v = std::move(a); });
}
const auto item_def =
    tag[include_decl[into_item<ast::include_decl>()] | setting_decl[into_item<ast::setting_decl>()] |
        variable_decl[into_item<ast::variable_decl>()] | slot_decl[into_item<ast::slot_decl>()] |
        counter_decl[into_item<ast::counter_decl>()] | intent_decl[into_item<ast::intent_decl>()] |
        event_decl[into_item<ast::event_decl>()] | forbid_decl[into_item<ast::forbid_decl>()] |
        confirm_decl[into_item<ast::confirm_decl>()] | global_decl[into_item<ast::global_decl>()] |
        group_decl[into_item<ast::group_decl>()] | state_decl[into_item<ast::state_decl>()] | flow_decl[into_item<ast::flow_decl>()]];

BOOST_SPIRIT_DEFINE(guard, escape_code, confirm_arrow, tagged_string, next_variant, or_operand, and_operand, next_label_name,
                    next_slot_name)
BOOST_SPIRIT_DEFINE(raw_name, word, identifier, string_body, close_quote, escape, string_literal, number, language_tag, text, texts,
                    variant, phrase, disjunction, conjunction, operand, negation, known_check, comparison, compare_op, compare_value,
                    close_paren, open_paren, trigger, label_name, seconds, arrow, target, clause, say_clause)
BOOST_SPIRIT_DEFINE(hint_clause, counter_clause, keep_clause, set_clause, counter_name, slot_name, variable_name, equals, handler,
                    state_name, action_name, state_end, state_decl, global_end, global_decl, confirm_target, ask_kw, repeat_kw, confirm_end,
                    confirm_decl, include_decl, setting_name, setting_value, setting_decl, variable_decl, declared_name, slot_decl,
                    counter_decl, event_decl, intent_name, description, variable_value, intent_decl, use_kw, forbid_decl, item)
BOOST_SPIRIT_DEFINE(set_value, clear_clause, cleared_slot, slot_choice, first_choice, value_type)
BOOST_SPIRIT_DEFINE(known_count, known_count_value)
BOOST_SPIRIT_DEFINE(group_decl, group_name, group_end, group_use, form_field, field_slot)
BOOST_SPIRIT_DEFINE(host_action_name, action_argument, argument_value, close_arguments, argument_list, do_clause)
BOOST_SPIRIT_DEFINE(label_identifier, event_name)
BOOST_SPIRIT_DEFINE(exit_binding, exit_arrow, exit_target, close_bindings, binding_list, flow_decl, flow_name, exit_name, close_exits,
                    exit_list, flow_end)

// ---- Driving the top level ---------------------------------------------------------------------

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool starts_statement(std::string_view rest) {
    for (auto k : statement_keywords)
        if (rest.substr(0, k.size()) == k && (rest.size() == k.size() || !is_name_char(rest[k.size()]))) return true;
    return false;
}

// Whether only blanks precede p on its line.
bool first_on_line(const char* p, const char* begin) {
    while (p > begin && (p[-1] == ' ' || p[-1] == '\t')) --p;
    return p == begin || p[-1] == '\n';
}

// The first line after `from`'s line whose first token starts a statement. Strings do not span
// lines, so such a line never starts inside a string.
const char* recover(const char* from, const char* end) {
    const char* p = from;
    while (p < end) {
        while (p < end && *p != '\n') ++p;
        if (p == end) break;
        ++p;
        const char* q = p;
        while (q < end && (*q == ' ' || *q == '\t')) ++q;
        if (starts_statement(std::string_view(q, static_cast<std::size_t>(end - q)))) return p;
    }
    return end;
}

// The bytes of the token at p, for the caret's length: a string to its closing quote, else up
// to the next blank.
std::size_t token_length(const char* p, const char* end) {
    const char* q = p;
    if (q < end && *q == '"') {
        ++q;
        while (q < end && *q != '"' && *q != '\n') q += (*q == '\\' && q + 1 < end && q[1] != '\n') ? 2 : 1;
        if (q < end && *q == '"') ++q;
        return static_cast<std::size_t>(q - p);
    }
    while (q < end && !std::isspace(static_cast<unsigned char>(*q))) ++q;
    return std::max<std::size_t>(1, static_cast<std::size_t>(q - p));
}

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F; }

// Whether a token can be quoted in a message: valid UTF-8 without control characters.
bool printable(std::string_view token) {
    std::size_t bad = 0;
    return detail::valid_utf8(token, bad) &&
           std::none_of(token.begin(), token.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

// Control characters (NUL and the like) outside strings and comments: one diagnostic per run,
// at most `cap` of them.
void check_characters(const source_file& source, std::vector<diagnostic>& out, std::size_t cap) {
    const std::string& t = source.text();
    bool in_string = false, in_comment = false;
    for (std::size_t i = 0; i < t.size() && cap > 0; ++i) {
        const auto c = static_cast<unsigned char>(t[i]);
        if (c == '\n') {
            in_string = in_comment = false;
        } else if (in_comment) {
        } else if (in_string) {
            if (c == '\\' && i + 1 < t.size() && t[i + 1] != '\n')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '#') {
            in_comment = true;
        } else if (is_control(c)) {
            const std::size_t start = i;
            while (i + 1 < t.size() && is_control(static_cast<unsigned char>(t[i + 1]))) ++i;
            out.push_back(source.make(severity::error, start, i + 1 - start, "unexpected character"));
            --cap;
        }
    }
}

// "state, intent, ... or include".
std::string statement_list() {
    std::string out;
    for (const auto k : statement_keywords) {
        if (!out.empty()) out += k == std::end(statement_keywords)[-1] ? " or " : ", ";
        out += k;
    }
    return out;
}

constexpr std::string_view close_quote_name = "'\"' to end the string (a string cannot span lines)";

// Whether an expectation is of a name, so that a word with non-ASCII letters there is a name
// written in another alphabet, and a reserved word there is one used as a name.
bool expects_name(const std::string& which) {
    for (const char* what : {"name", "guard", "condition", "target", "argument"})
        if (which.find(what) != std::string::npos) return true;
    return false;
}

// The word at the start of a token: its name characters.
std::string_view leading_word(std::string_view token) {
    return token.substr(0, static_cast<std::size_t>(std::find_if_not(token.begin(), token.end(), is_name_char) - token.begin()));
}

// "; did you mean 'say'?" when `found` is no keyword but close to one ('sya'), else empty.
std::string misspelt_keyword(std::string_view found) {
    if (found.empty() || reserved_words.find(found) != nullptr) return {};
    std::vector<std::string_view> keywords(std::begin(statement_keywords), std::end(statement_keywords));
    keywords.insert(keywords.end(), std::begin(inner_keywords), std::end(inner_keywords));
    for (const auto k : keywords) {  // two letters swapped, the commonest slip of the fingers, is one mistake too
        if (k.size() != found.size()) continue;
        std::size_t i = 0;
        while (i < k.size() && k[i] == found[i]) ++i;
        if (i + 1 < k.size() && k[i] == found[i + 1] && k[i + 1] == found[i] && k.substr(i + 2) == found.substr(i + 2))
            return fmt::format("; did you mean '{}'?", k);
    }
    return pipeline::suggest(found, keywords);
}

// `first_token`: the token starts its line, so it more likely begins the next construct than
// misnames this one.
std::string expectation_message(const std::string& which, const parse_state& s, std::string_view token, bool first_token) {
    const auto leading = leading_word(token);
    // A reserved word where a name belongs: say so, and how to rename it. (In a guard, 'not' and
    // 'known' begin a condition; anything else reserved there is a name.)
    if (!first_token && !leading.empty() && expects_name(which) && reserved_words.find(leading) != nullptr &&
        (which.find("name") != std::string::npos || (leading != "not" && leading != "known" && leading != "stay"))) {
        if (which.find("action") != std::string::npos)
            return fmt::format(
                "'{}' is a reserved word; an action's name cannot be '{}' alone (a longer one that starts with it, as "
                "'{}-now', is fine)",
                leading, leading, leading);
        return fmt::format(
            "'{}' is a reserved word; {} cannot be '{}': rename it (as '{}_name') where it is declared and where it "
            "is used",
            leading, which.find("name") != std::string::npos ? which.substr(0, which.find(" after")) : "a name", leading, leading);
    }
    if (which == close_quote_name) return "unterminated string: a string ends with '\"' on the line where it starts";
    if (which == "'->'") {
        if (s.guard) return "expected '->' after the guard";
        switch (s.trigger) {
            case parse_state::trigger::on: return "expected '->' after the intent name";
            case parse_state::trigger::otherwise: return "expected '->' after 'otherwise'";
            case parse_state::trigger::after: return "expected '->' after the timer's seconds";
            case parse_state::trigger::complete: return "expected '->' after 'complete'";
        }
    }
    if (which == "end" || which == "a statement") {
        // A clause where a state's statements end (it is no handler's: none came yet), or where a
        // statement should begin.
        const auto keyword = leading;
        if (keyword == "say" && which == "end" && s.state_has_fields)
            return fmt::format(
                "form '{}' has no entry phrase: it says the prompt of the first slot it lacks; words to say on the way in "
                "belong in the 'say' of the handler that leads here, said before the prompt",
                s.state_name);
        if (keyword == "say" && which == "end" && s.state_has_say)
            return fmt::format("state '{}' already has its 'say'; a state says one entry phrase (separate variants with '|')",
                               s.state_name);
        if (keyword == "say" && which == "end")
            return fmt::format(
                "the 'say' of state '{}' comes too late; a state's entry phrase comes first, right after its "
                "'state' line",
                s.state_name);
        if (keyword == "keep")
            return "a state's entry cannot 'keep' slots; 'keep' belongs to a handler: indent it under an 'on', 'otherwise' or "
                   "'after'";
        const bool entry_keyword =
            keyword == "hint" || keyword == "do" || keyword == "set" || keyword == "clear" || keyword == "increment" || keyword == "reset";
        if (entry_keyword && which == "end")
            return fmt::format(
                "this '{}' of state '{}' comes too late; a state's entry clauses follow its 'say', before its "
                "'ask' lines and handlers",
                keyword, s.state_name);
        if (entry_keyword)
            return fmt::format("'{}' is outside any state; it belongs to a state's entry (after its 'say') or to a handler", keyword);
        if (which == "end") return fmt::format("expected 'end' to close state '{}'{}", s.state_name, misspelt_keyword(keyword));
    }
    return "expected " + which;
}

// The bytes at p of a word that may have non-ASCII letters, and whether it does.
std::size_t word_length(const char* p, const char* end, bool& non_ascii_letters) {
    const char* q = p;
    non_ascii_letters = false;
    for (; q < end && (is_name_char(*q) || static_cast<unsigned char>(*q) >= 0x80); ++q)
        non_ascii_letters = non_ascii_letters || static_cast<unsigned char>(*q) >= 0x80;
    return static_cast<std::size_t>(q - p);
}

// "expected a statement (...)" at `start`, where no statement begins.
diagnostic no_statement(const source_file& source, const char* start, const char* end) {
    const auto n = token_length(start, end);
    std::size_t shown = std::min<std::size_t>(n, 40);
    while (shown > 0 && shown < n && (static_cast<unsigned char>(start[shown]) & 0xC0) == 0x80) --shown;
    const std::string_view found(start, shown);
    return source.make(
        severity::error, static_cast<std::size_t>(start - source.text().data()), n,
        fmt::format("expected a statement ({}){}", statement_list(),
                    printable(found) ? fmt::format(", found '{}'{}", found, misspelt_keyword(leading_word(found))) : std::string()));
}

// After an error at `where` in the statement that began at `start`: the offending token when it
// starts a statement on its own line (a missing 'end' before the next 'state'), else the next
// line that starts one.
const char* resume_point(const char* start, const char* where, const char* begin, const char* end) {
    if (where > start && first_on_line(where, begin) && starts_statement(std::string_view(where, static_cast<std::size_t>(end - where))))
        return where;
    return recover(where, end);
}

constexpr std::size_t max_errors = 100;

}  // namespace

ast::file parse(const source_file& source, const compile_limits& limits, std::vector<diagnostic>& out) {
    ast::file file;
    const std::size_t first_diagnostic = out.size();
    const std::string& source_text = source.text();  // (not `text`, a grammar rule)
    const char* const begin = source_text.data();
    const char* const end = begin + source_text.size();
    const auto offset_of = [begin](const char* p) { return static_cast<std::size_t>(p - begin); };

    try {
        std::size_t bad = 0;
        if (!detail::valid_utf8(source_text, bad)) out.push_back(source.make(severity::error, bad, 1, "invalid UTF-8"));
        check_characters(source, out, 20);

        parse_state state;
        state.begin = begin;
        state.max_depth = limits.max_guard_depth;
        const auto statement = x3::with<state_tag>(std::ref(state))[item];
        const auto skip_blanks = [&](const char*& p) { x3::skip_over(p, end, x3::make_context<x3::skipper_tag>(skipper)); };

        const char* it = begin;
        std::size_t errors = 0;
        bool unclosed_flow = false;  // an error inside a flow: its states follow as statements, then its 'end'
        while (errors < max_errors) {
            skip_blanks(it);
            if (it == end) break;
            const char* const start = it;
            const char* where = start;  // where the error is, for recovery
            try {
                ast::item node;
                if (x3::phrase_parse(it, end, statement, skipper, node)) {
                    file.items.push_back(std::move(node));
                    continue;
                }
                const auto token = std::string_view(start, token_length(start, end));
                if (unclosed_flow && token == "end") {
                    unclosed_flow = false;
                    it = recover(start, end);
                    continue;
                }
                const auto misplaced = expectation_message("a statement", state, token, true);
                out.push_back(misplaced == "expected a statement"
                                  ? no_statement(source, start, end)
                                  : source.make(severity::error, offset_of(start), token.size(), misplaced));
            } catch (const x3::expectation_failure<const char*>& e) {
                where = e.where();  // before the blanks that precede the offending token
                if (e.which() != close_quote_name) skip_blanks(where);
                bool non_ascii_letters = false;
                const auto found = std::string_view(where, word_length(where, end, non_ascii_letters));
                if (non_ascii_letters && expects_name(e.which()) && printable(found)) {
                    out.push_back(source.make(severity::error, offset_of(where), found.size(),
                                              fmt::format("'{}' is not a name: names are ASCII letters, digits and underscores "
                                                          "(phrases may be any UTF-8)",
                                                          found)));
                } else {
                    const auto length = token_length(where, end);
                    out.push_back(
                        source.make(severity::error, offset_of(where), length,
                                    expectation_message(e.which(), state, std::string_view(where, length), first_on_line(where, begin))));
                }
            } catch (const nesting_error& e) {
                where = e.where;
                if (e.flow_use)
                    out.push_back(
                        source.make(severity::error, offset_of(where), 1,
                                    fmt::format("flows are chained too deeply in one use (the limit is {})", limits.max_guard_depth)));
                else
                    out.push_back(source.make(severity::error, offset_of(where), 1,
                                              fmt::format("guard is nested too deeply (the limit is {})", limits.max_guard_depth)));
                state.depth = 0;
                state.use_depth = 0;
            }
            ++errors;
            unclosed_flow = std::exchange(state.in_flow, false);
            it = resume_point(start, std::max(where, start), begin, end);
        }
        if (errors >= max_errors && (skip_blanks(it), it != end))
            out.push_back(source.make(severity::error, offset_of(it), 1, "too many errors; stopping here"));
    } catch (const std::exception& e) {
        out.push_back(source.make(severity::error, 0, 1, fmt::format("the parser failed: {}", e.what())));
    }
    // Lexical and syntax diagnostics in file order.
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first_diagnostic), out.end(),
                     [](const diagnostic& a, const diagnostic& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
    return file;
}

std::vector<std::string_view> reserved_words() {
    std::vector<std::string_view> out(std::begin(statement_keywords), std::end(statement_keywords));
    out.insert(out.end(), std::begin(inner_keywords), std::end(inner_keywords));
    return out;
}

}  // namespace parley::dsl
