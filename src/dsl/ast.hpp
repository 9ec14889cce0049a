// The syntax tree of one .rules file, as the X3 grammar (parser.cpp) builds it. Every node
// that a diagnostic may point at derives from `tagged`: the grammar's tag[] directive records
// the byte range the node was parsed from (X3 position tagging).
#ifndef PARLEY_SRC_DSL_AST_HPP_INCLUDED
#define PARLEY_SRC_DSL_AST_HPP_INCLUDED

#include <boost/spirit/home/x3/support/ast/variant.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace parley::dsl::ast {

namespace x3 = boost::spirit::x3;

struct tagged {
    std::uint32_t offset = 0;  // byte offset of the node in its file
    std::uint32_t length = 0;  // bytes
};

struct identifier : tagged {
    std::string text;
};

struct string_literal : tagged {
    std::string value;  // unescaped
};

// One wording in one language; `language` empty means the script's default language.
struct text : tagged {
    std::string language;
    string_literal value;
};

// One rotating variant of a phrase: its wordings in several languages.
struct variant : tagged {
    std::vector<text> texts;
};

struct phrase : tagged {
    std::vector<variant> variants;
};

enum class compare_op { eq, ne, lt, le, gt, ge };

struct number_literal : tagged {
    double value = 0;
};

struct comparison : tagged {
    identifier subject;  // a counter, slot or variable
    compare_op op = compare_op::eq;
    x3::variant<number_literal, string_literal, identifier> value;  // an identifier: another counter, slot or variable
};

struct known_check : tagged {
    identifier name;  // a slot
};

struct negation;
struct disjunction;

// `known(a, b, c) >= 2`: how many of the slots are known, compared with a whole number.
struct known_count : tagged {
    std::vector<identifier> names;
    compare_op op = compare_op::ge;
    number_literal value;
};

struct operand : tagged, x3::variant<comparison, known_check, known_count, x3::forward_ast<negation>, x3::forward_ast<disjunction>> {
    using base_type::base_type;
    using base_type::operator=;
};

struct negation : tagged {
    operand subject;
};

struct conjunction : tagged {
    std::vector<operand> terms;  // a and b and c
};

struct disjunction : tagged {
    std::vector<conjunction> terms;  // x or y or z
};

// Clauses of a handler.
struct say_clause : tagged {
    phrase what;
};
struct hint_clause : tagged {
    phrase what;  // one variant
};
enum class counter_verb { increment, reset };
struct counter_clause : tagged {
    counter_verb verb = counter_verb::increment;
    identifier counter;
};
struct keep_clause : tagged {
    std::vector<identifier> slots;
};
struct set_clause : tagged {
    identifier variable;
    string_literal value;  // `set v = "text"`
    identifier from;       // `set v = slot`: a copy of the slot's value (copies is true)
    bool copies = false;
};
// `clear SLOT[, SLOT...]`: the call forgets the slots' values.
struct clear_clause : tagged {
    std::vector<identifier> slots;
};
// `do NAME[(ARGUMENT, ...)]`: an action for the host. An argument is a slot or variable, passed
// under its own name (`email`) or another (`to = email`), or a constant (`reason = "damaged"`).
struct action_argument : tagged {
    identifier name;
    bool has_value = false;  // `name = value`
    x3::variant<identifier, string_literal> value;
};
struct do_clause : tagged {
    identifier name;  // letters, digits, '_' and '-': `validate-purchase`
    std::vector<action_argument> arguments;
};
using clause = x3::variant<say_clause, hint_clause, counter_clause, keep_clause, set_clause, clear_clause, do_clause>;

enum class trigger_kind { on, otherwise, after, complete };
struct trigger : tagged {
    trigger_kind kind = trigger_kind::on;
    std::vector<identifier> labels;  // on: the intents or events
    number_literal seconds;          // after
};

// `EXIT -> STATE` in a flow's use: where the call goes when the flow leaves through EXIT; or
// `EXIT -> FLOW(EXIT -> STATE, ...)`: into another flow's use, chained where it is written.
struct exit_binding : tagged {
    identifier exit;
    identifier target;
    bool uses_flow = false;              // the target is a flow's use with bindings of its own
    std::vector<exit_binding> bindings;  // when uses_flow
};

struct handler : tagged {
    trigger when;
    std::optional<disjunction> guard;
    identifier target;                   // a state, "stay", a flow, or in a flow one of its exits
    bool uses_flow = false;              // `-> FLOW(EXIT -> STATE, ...)`
    std::vector<exit_binding> bindings;  // when uses_flow
    std::vector<clause> clauses;
};

// `ask SLOT PHRASE [reprompt PHRASE]`: a field of a form, a state that asks for the slots it lacks.
struct form_field : tagged {
    identifier slot;
    phrase prompt;
    std::optional<phrase> reprompt;  // when an answer filled nothing; else the prompt again
};

// `handlers NAME` among a state's handlers: the group's, as if written there.
struct group_use : tagged {
    identifier name;
    std::size_t position = 0;  // how many of the state's own handlers come before it
};

struct state_decl : tagged {
    identifier name;
    bool initial = false;
    std::optional<identifier> action;  // continue, hold, transfer, hangup, close
    std::optional<phrase> entry;
    // What entering the state does, in the order written: its hint, changes to the call and host
    // actions (hint, set, clear, increment, reset and do clauses; never say or keep).
    std::vector<clause> entry_clauses;
    std::vector<form_field> fields;  // a form's, in the order it asks
    std::vector<handler> handlers;
    std::vector<group_use> groups;
};

struct global_decl : tagged {
    std::vector<handler> handlers;
};

// `handlers NAME ... end`: handlers that the states naming the group share. A group may use
// other groups as a state does (`handlers OTHER` among its handlers).
struct group_decl : tagged {
    identifier name;
    std::vector<handler> handlers;
    std::vector<group_use> groups;
};

// `flow NAME(EXIT, ...) ... end`: states that several places use, each use with its own copy
// of them (expand.cpp). The first state is the entry; a handler leaves through an exit by
// naming it as its target, and the use says which state each exit goes to.
struct flow_decl : tagged {
    identifier name;
    std::vector<identifier> exits;
    std::vector<state_decl> states;
};

struct confirm_decl : tagged {
    identifier target;  // the state the session waits in for yes or no
    phrase ask;         // may use {intent}: the pending intent's description
    phrase repeat;      // said when the caller answers no
};

struct include_decl : tagged {
    string_literal path;
};

struct setting_decl : tagged {
    identifier name;
    x3::variant<number_literal, string_literal, identifier> value;
};

// What a slot or a variable holds: `: number`, `: guest | bronze | gold`; neither: any text.
struct value_type {
    bool number = false;
    std::vector<identifier> choices;
    [[nodiscard]] bool any_text() const noexcept { return !number && choices.empty(); }
};

// `variable limit: number = "50"`; a typed variable has one default for every language.
struct variable_decl : tagged {
    identifier name;
    value_type type;
    std::vector<text> value;  // its default per language; empty when it has none
};

// `slot days: number`, `slot level: guest | bronze | silver | gold`; no type: any text.
struct slot_decl : tagged {
    identifier name;
    value_type type;
};
struct counter_decl : tagged {
    identifier name;
};
struct event_decl : tagged {
    identifier name;
};

struct intent_decl : tagged {
    identifier name;
    std::vector<text> description;  // per language; may be empty
};

struct forbid_decl : tagged {
    string_literal phrase;
    string_literal replacement;
};

using item = x3::variant<include_decl, setting_decl, variable_decl, slot_decl, counter_decl, intent_decl, event_decl, forbid_decl,
                         confirm_decl, global_decl, group_decl, state_decl, flow_decl>;

struct file {
    std::vector<item> items;
};

}  // namespace parley::dsl::ast

#endif
