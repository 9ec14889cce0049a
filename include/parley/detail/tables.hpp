// The flat, immutable tables a compiled script is made of. Built once by the compiler
// (src/compiler/lower.cpp), read by the runtime; never changed after construction.
// Nothing here appears in a public signature.
#ifndef PARLEY_DETAIL_TABLES_HPP_INCLUDED
#define PARLEY_DETAIL_TABLES_HPP_INCLUDED

#include <parley/action.hpp>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::detail {

inline constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();

// A slice of script_tables::pool.
struct string_ref {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
};

// A pre-split phrase template: literal text and placeholders, in order. A conditional part
// `{name?then|else}` is flat too: `unless_slot`/`unless_variable` skips the then part while the
// value is empty (`unless_slot_is`/`unless_variable_is`, for `{name=value?...}`: while it is not
// `literal`), and a `jump` at the end of the then part skips the else part.
enum class segment_kind : std::uint8_t {
    literal,
    variable,
    slot,
    intent_description,
    unless_slot,
    unless_variable,
    jump,
    unless_slot_is,
    unless_variable_is
};
struct segment {
    segment_kind kind = segment_kind::literal;
    std::uint32_t index = 0;  // variable or slot index; unused for literal / intent_description / jump
    string_ref literal;       // a literal's text; for a slot or variable, what an empty value renders as; unless_*_is: the value
    std::uint32_t skip = 0;   // unless_* and jump: how many of the following segments to skip
};

// One language's wording of one variant. When it has no placeholders, `whole` is the text
// and step hands out a view of the pool: no rendering, no allocation.
struct text {
    string_ref whole;
    std::uint32_t first_segment = 0;
    std::uint32_t segment_count = 0;
    bool has_placeholders = false;
    // Its placeholders are all variables: `by_default` is the text rendered with the script's
    // values for them, which step hands out, as it does `whole`, to a call that sets none.
    bool variables_only = false;
    // Its placeholders are slots and variables: `by_default` is the text rendered with no slot
    // known and the script's values for the variables, which step hands out to a call that has
    // no value of its own at all (an empty store) for a step that brings no slot.
    bool reads_slots = false;
    std::uint8_t language = 0;  // the language it is written in, which its placeholders speak
    string_ref by_default;
    // Its placeholders are variables and the intent a confirmation asks about (a question):
    // subject_texts[by_subject + label] is the text rendered with the script's values for the
    // variables and that label's description, which step hands out to a call that sets none.
    // none when the text reads a slot, or when the script is too large to say them all ahead.
    std::uint32_t by_subject = none;
};

// A phrase: variants that rotate, each with a text per language. The language fallback is
// resolved when the script is lowered: texts[first_text + variant * language_count + language].
struct phrase {
    std::uint32_t first_text = 0;
    std::uint32_t variant_count = 0;
    std::uint32_t rotation = none;  // index of the session's rotation counter when variant_count > 1
};

enum class guard_op : std::uint8_t {
    always,
    all_of,               // children: [a, a + b)
    any_of,               // children: [a, a + b)
    negate,               // child: a
    known_slot,           // slot a has a value
    counter_cmp,          // counter a <cmp> number
    slot_cmp,             // slot a <cmp> string (== and != only)
    variable_cmp,         // variable a <cmp> string (== and != only)
    slot_number_cmp,      // number slot a <cmp> real; false while the slot is unknown
    variable_number_cmp,  // number variable a <cmp> real; false while it has no value
    known_count_cmp,      // how many of the slots guard_children[a, a + b) are known <cmp> number
    confidence_cmp,       // the utterance's confidence <cmp> real
    values_cmp,           // value a <cmp> value b as text (== and != only); `number` says their kinds (value_kinds)
    values_number_cmp     // value a <cmp> value b as numbers; false while either has no number
};
// Which values a values_cmp compares: a counter, slot or variable each, packed in guard_node::number
// as left | right << 2.
enum value_source : std::uint8_t { counter_value = 0, slot_value = 1, variable_value = 2 };
enum class compare : std::uint8_t { eq, ne, lt, le, gt, ge };

struct guard_node {
    guard_op op = guard_op::always;
    compare cmp = compare::eq;
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    std::int64_t number = 0;
    double real = 0;
    string_ref string;
};

// A handler's (or a state entry's) effects, in this order: the changes to the call in the order
// written, then the host actions it asks for, which are resolved when the reply is made.
// A `set` whose value has placeholders renders it when it runs (render_variable), from the text
// `slot` names, the value as written kept in `value` for the graph.
enum class effect_kind : std::uint8_t { increment, reset, keep_slot, set_variable, copy_slot, clear_slot, host_action, render_variable };
struct effect {
    effect_kind kind = effect_kind::increment;
    std::uint32_t index = 0;  // counter, slot, variable, or host action (into host_actions)
    string_ref slot_name;     // keep_slot: the key looked up in the utterance's slots
    string_ref value;         // set_variable, render_variable (as written)
    std::uint32_t slot = 0;   // copy_slot: the slot copied into variable `index`; render_variable: the text (into texts)
};

// `do notify-team(manager, urgent = "yes")`: an action for the host, with named arguments.
struct host_action_spec {
    string_ref name;
    std::uint32_t first_argument = 0;  // into host_arguments
    std::uint32_t argument_count = 0;
};
enum class argument_source : std::uint8_t { constant, slot, variable };
struct host_argument_spec {
    string_ref name;
    argument_source source = argument_source::constant;
    std::uint32_t index = 0;  // slot or variable
    string_ref constant;
};

struct source_ref {
    std::uint32_t file = 0;  // index into script_tables::files
    std::uint32_t line = 0;  // 1-based; 0 = no rule
};

// How step()'s quick path (session.hpp, quick_step) tests a handler's guard: not at all, as one
// comparison of a counter or of the confidence with `handler::value`, or through holds().
enum class quick_test : std::uint8_t { always, counter, confidence, guard };

// What the compiler works out of a handler and its target for the quick path (handler::plan).
enum plan_flag : std::uint8_t {
    plan_quick = 1,     // no host actions, and no form to enter: the quick path may fire it
    plan_enters = 2,    // it goes to a state (target != none)
    plan_ends = 4,      // ... where the call ends
    plan_holds = 8,     // ... which is a hold
    plan_changes = 16,  // it, or the state it enters, changes the call (effects to apply)
    plan_counts = 32,   // ... and those changes are its own increments and resets of counters
    plan_said = 64,     // it says `said` in every language: one text without placeholders, or nothing
    plan_plain = 128    // it has no guard and changes nothing: the quick path fires it without a look
};

struct alignas(64) handler {
    std::uint32_t guard = none;  // root guard node
    std::uint32_t first_effect = 0;
    std::uint32_t effect_count = 0;
    std::uint32_t phrase = none;  // what to say; none = the target's entry phrase on a change
    std::uint32_t hint = none;    // a phrase without variants
    std::uint32_t target = none;  // state; none = stay
    source_ref rule;

    // Worked out by the compiler from the above and the target (lower.cpp, lower_plans), so that
    // the quick path reads one cache line per handler it tries.
    quick_test test = quick_test::always;
    compare cmp = compare::eq;
    std::uint8_t plan = 0;                              // plan_flag bits
    parley::action action = parley::action::continue_;  // the target's, when it enters one
    std::uint32_t operand = 0;                          // quick_test::counter: the counter; quick_test::guard: the guard node
    double value = 0;                                   // what the counter or the confidence is compared with
    std::uint32_t says = none;                          // the phrase said: its own, else the entry phrase of the state it enters
    std::uint32_t says_text = none;                     // its first text when it has one variant (no rotation): + the language
    string_ref said;                                    // plan_said: what it says, read without the text
};

static_assert(sizeof(handler) == 64, "a handler is one cache line");

// How a handler reads in the source, for the graph; kept apart so that the records step()
// reads stay 32 bytes.
struct handler_text {
    string_ref trigger;  // "insult, threat", "otherwise", "after 55s"
    string_ref guard;    // the guard as written, normalised; empty when none
};

// Whether step()'s quick path may take a dispatch cell: every candidate is plan_quick, in a state
// that counts nothing; in the state where a confirmation question is asked, only while none is.
// A direct cell is a quick one whose first candidate is plain and says one text as written
// (plan_plain and plan_said), outside that state: it always fires, so the cell holds what the
// quick path needs of it in place of the candidate list.
enum class quick_cell : std::uint8_t { no, yes, unless_asking, direct };

struct candidate_list {
    std::uint32_t first = 0;  // into script_tables::candidates
    std::uint32_t count = 0;
};

// The handlers that may answer one label in one state, in priority order: the state's own,
// then the global ones, then the state's `otherwise`, then the global `otherwise`.
struct handler_range {
    static constexpr std::uint16_t stays = 0xffff;  // a direct cell's handler enters no state (state ids stop below it)

    std::uint32_t first_handler = none;                 // candidates[first], to save step() one dependent read
    quick_cell quick = quick_cell::no;                  // whether the quick path may take it (lower_plans)
    parley::action action = parley::action::continue_;  // this state's; a direct cell's: where it leaves the call
    std::uint16_t target = stays;                       // a direct cell's: the state its handler enters

    [[nodiscard]] bool direct() const noexcept { return quick == quick_cell::direct; }
    // A direct cell keeps what its handler says where the others keep their candidate list.
    [[nodiscard]] candidate_list candidates() const noexcept { return {a_, b_}; }
    [[nodiscard]] string_ref said() const noexcept { return {a_, b_}; }
    // How many candidates there are; a direct cell's first one is the one that fires.
    [[nodiscard]] std::uint32_t candidate_count() const noexcept { return direct() ? 1 : b_; }
    void set_candidates(candidate_list c) noexcept { a_ = c.first, b_ = c.count; }
    void set_direct(string_ref said) noexcept { quick = quick_cell::direct, a_ = said.offset, b_ = said.size; }

private:
    std::uint32_t a_ = 0, b_ = 0;
};
static_assert(sizeof(handler_range) == 16);

struct timer {
    std::int64_t after_ms = 0;
    std::uint32_t handler = 0;
};

struct state {
    string_ref name;
    string_ref flow;             // in a flow's copy: the copy's name, which prefixes the state's ("FLOW(STATE,...)")
    std::uint32_t entry = none;  // entry phrase
    std::uint32_t first_timer = 0;
    std::uint32_t timer_count = 0;
    parley::action action = parley::action::continue_;
    source_ref where;
    std::uint32_t first_handler = 0;  // the state's own handlers, in file order
    std::uint32_t handler_count = 0;
    std::uint32_t first_entry_effect = 0;  // what entering the state does: changes to the call, then host actions
    std::uint32_t entry_effect_count = 0;
    std::uint32_t form = none;  // into forms, when the state is a form
    std::uint32_t hint = none;  // a phrase without variants: the reply's hint in this state when the handler has none
};

// A form: a state that asks for the slots it lacks, one at a time, and completes when it has
// them all (session.hpp, form_turn).
struct form {
    std::uint32_t first_field = 0;  // into form_fields
    std::uint32_t field_count = 0;
    std::uint32_t first_complete = 0;  // into form_completes: handler indices
    std::uint32_t complete_count = 0;
};
struct form_field {
    std::uint32_t slot = 0;
    std::uint32_t prompt = 0;       // a phrase
    std::uint32_t reprompt = none;  // a phrase; none: the prompt again
    source_ref where;
};

struct label {
    string_ref name;
    std::uint32_t first_description = 0;  // texts[first_description + language]; may be empty
    bool is_event = false;
    source_ref where;
};

struct forbidden {
    string_ref phrase;      // as written
    std::u32string folded;  // case-folded code points, for screening
    string_ref replacement;
    source_ref where;
};

// What a typed slot or variable accepts: a number, or one of its choices; any text when it
// has neither.
struct value_type {
    bool number = false;
    std::uint32_t first_choice = 0;  // into script_tables::choices
    std::uint32_t choice_count = 0;
    [[nodiscard]] bool any_text() const noexcept { return !number && choice_count == 0; }
};

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using name_index = std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>>;

struct script_tables {
    // How many parley::script handles share these tables (see script.hpp): a count of its own,
    // so that a handle, and a session, holds one pointer rather than a shared_ptr's two.
    mutable std::atomic<std::size_t> handles{0};

    std::string pool;
    std::vector<std::string> files;
    std::vector<string_ref> languages;  // languages[0] is the default
    std::uint32_t fallback_language = 0;

    std::vector<state> states;
    std::vector<label> labels;      // intents and events, in declaration order
    std::uint32_t label_count = 0;  // labels.size(), which step() would otherwise divide to get
    std::vector<string_ref> slots;
    std::vector<value_type> slot_types;  // parallel to slots
    std::vector<string_ref> choices;     // of the slots' and variables' types
    bool has_typed_slots = false;
    std::vector<string_ref> counters;
    std::vector<string_ref> variables;
    std::vector<value_type> variable_types;     // parallel to variables
    std::vector<string_ref> variable_defaults;  // by variable, then language (fallback resolved)

    std::vector<segment> segments;
    std::vector<text> texts;
    std::vector<string_ref> subject_texts;  // text::by_subject + label
    std::vector<phrase> phrases;
    std::uint32_t rotation_count = 0;

    std::vector<guard_node> guards;
    std::vector<std::uint32_t> guard_children;
    std::vector<effect> effects;
    std::vector<form> forms;
    bool has_forms = false;
    std::vector<form_field> form_fields;
    std::vector<std::uint32_t> form_completes;
    std::vector<host_action_spec> host_actions;
    std::vector<host_argument_spec> host_arguments;
    std::vector<handler> handlers;
    std::vector<handler_text> handler_texts;  // parallel to handlers
    std::vector<std::uint32_t> candidates;    // handler indices
    std::vector<handler_range> dispatch;      // [state * (labels + 1) + label]; the last column: unknown labels
    std::vector<timer> timers;
    std::vector<forbidden> forbidden_phrases;

    // The counts of the current state (`no_match`, `no_input`), when the script reads them: two
    // bytes after the counters, zeroed whenever the call enters a state.
    std::uint32_t state_count_bytes = 0;          // 0 or 2
    std::vector<std::uint8_t> otherwise_handler;  // by handler: 1 for an `otherwise` handler
    std::uint32_t silence_label = none;           // what no_input counts

    std::uint32_t first_global_handler = 0;
    std::uint32_t global_handler_count = 0;

    std::uint32_t initial_state = 0;
    double confidence_threshold = 0.0;
    std::int64_t silence_timeout_ms = 0;
    std::int64_t hold_timeout_ms = 0;
    bool unknown_to_otherwise = false;
    std::uint32_t below_threshold_label = none;  // what an intent below the threshold counts as; none: itself
    // The dispatch column of a label heard below the threshold, for the quick path: the label
    // itself, below_threshold_label, or none when the caller is asked to confirm it.
    std::vector<std::uint32_t> low_confidence_column;

    // Low-confidence confirmation; confirm_state == none when the script has no `confirm`.
    std::uint32_t confirm_state = none;
    std::uint32_t confirm_ask = none;
    std::uint32_t confirm_repeat = none;
    source_ref confirm_where;
    std::uint32_t accept_label = none;
    std::uint32_t decline_label = none;

    std::uint64_t fingerprint = 0;  // changes whenever a snapshot's indices would mean something else

    name_index state_index, label_index, language_index, slot_index, counter_index, variable_index;

    [[nodiscard]] std::string_view str(string_ref r) const noexcept { return {pool.data() + r.offset, r.size}; }
    [[nodiscard]] std::size_t label_columns() const noexcept { return std::size_t{label_count} + 1; }
};

}  // namespace parley::detail

#endif
