/* parley's C ABI: compile a script, run calls over it. For hosts that are not C++ (Java, Go,
 * .NET, Node and Rust bind it with their foreign-function tools; Python has its own package).
 * Link libparley.so (pkg-config: parley).
 *
 * Conventions, as in sqlite3.h:
 * - Every name starts with parley_ / PARLEY_. Handles are opaque: parley_script, parley_session.
 * - Every function that can fail returns a parley_status; PARLEY_OK is 0. No C++ exception, abort
 *   or errno crosses this interface.
 * - A failed call on a session leaves the session as it was (a reset leaves it at pickup), and
 *   its message is read with parley_session_errmsg() until the next call on that session. A
 *   compile error is read from the script handle (parley_script_errmsg(), the diagnostics).
 *   Calls on a NULL handle return PARLEY_ERROR_MISUSE and can say no more.
 * - A handle carries a number that says what it is while it lives, checked on entry to every
 *   function, as SQLite checks a connection: a handle used after its _free function, freed a
 *   second time, or passed where the other kind is expected is refused with
 *   PARLEY_ERROR_MISUSE (a _free function ignores it; a function that returns a count or a
 *   message returns 0 or ""). That is caught where it is cheap, not guaranteed: once the freed
 *   memory is given to something else (a new handle, say), the old pointer may name it.
 * - Strings are UTF-8 with explicit lengths (a parley_string, or a pointer and a size_t); they
 *   need no terminating NUL and may hold any byte. A NULL pointer with length 0 is the empty
 *   string. Messages are NUL-terminated besides, for printing.
 * - Every pointer a function returns or fills in is a view owned by parley, valid as said at
 *   that function; the host never frees it. Handles are freed with their _free function.
 * - Threads: a script never changes once compiled: any number of threads may use one script
 *   (create sessions over it, look labels up) at once. A session is used by one thread at a
 *   time; different sessions may be used by different threads at once. No global state.
 */
#ifndef PARLEY_PARLEY_H_INCLUDED
#define PARLEY_PARLEY_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PARLEY_C_BUILDING) && defined(__GNUC__)
#define PARLEY_API __attribute__((visibility("default")))
#else
#define PARLEY_API
#endif

/* The version of this header; parley_version() is the library's, which may be newer. */
#define PARLEY_VERSION_MAJOR 0
#define PARLEY_VERSION_MINOR 1
#define PARLEY_VERSION_PATCH 0
#define PARLEY_VERSION "0.1.0"

/* "MAJOR.MINOR.PATCH" of the library linked; a static string. */
PARLEY_API const char* parley_version(void);

typedef enum parley_status {
    PARLEY_OK = 0,
    PARLEY_ERROR_COMPILE = 1,        /* the rules have errors: see the script's diagnostics */
    PARLEY_ERROR_ENDED = 2,          /* the call already reached a terminal state */
    PARLEY_ERROR_UNKNOWN_LABEL = 3,  /* the script declares no such intent or event */
    PARLEY_ERROR_BAD_CONFIDENCE = 4, /* confidence outside [0, 1] or not a number */
    PARLEY_ERROR_BAD_LANGUAGE = 5,   /* the script has no such language */
    PARLEY_ERROR_BAD_VARIABLE = 6,   /* a variable names no variable of the script, or has a bad value */
    PARLEY_ERROR_BAD_SLOT = 7,       /* a slot names no slot, or a typed slot gets a value of another type */
    PARLEY_ERROR_BAD_SNAPSHOT = 8,   /* damaged, of another format or script, or a field out of range */
    PARLEY_ERROR_TIME_BACKWARDS = 9, /* a time earlier than the session's clock, or not a time */
    PARLEY_ERROR_LIMIT = 10,         /* a value past a documented limit */
    PARLEY_ERROR_MISUSE = 11,        /* a NULL argument, an index out of range, a script that did not compile, a freed handle */
    PARLEY_ERROR_OUT_OF_MEMORY = 12,
    PARLEY_ERROR_INTERNAL = 13 /* a bug in parley: please report it with the message */
} parley_status;

/* A short description of a status ("the call has ended"); a static string. */
PARLEY_API const char* parley_status_string(parley_status status);

/* UTF-8 text of `size` bytes; not NUL-terminated. */
typedef struct parley_string {
    const char* data;
    size_t size;
} parley_string;

/* A name and its value: a slot of an utterance, a variable of a call, an argument of an action. */
typedef struct parley_pair {
    parley_string name;
    parley_string value;
} parley_pair;

/* ---- Scripts -------------------------------------------------------------------------------- */

typedef struct parley_script parley_script;

typedef enum parley_severity { PARLEY_NOTE = 0, PARLEY_WARNING = 1, PARLEY_ERROR = 2 } parley_severity;

/* What the compiler said about the rules, as data. Views live as long as the script handle. */
typedef struct parley_diagnostic {
    parley_severity severity;
    parley_string file;
    uint32_t line;             /* 1-based; 0 when it is about the whole file */
    uint32_t column;           /* 1-based, in code points */
    uint32_t length;           /* code points to underline */
    parley_string message;     /* lowercase, no final period, tokens in single quotes */
    parley_string source_line; /* the line's text, for a caret display */
} parley_diagnostic;

/* Compile a .rules file (its includes resolved from its folder), or text whose diagnostics name
 * it `name` (NULL: "<string>"; includes resolved relative to its folder).
 *
 * As sqlite3_open() does, *out receives a script handle whenever memory allows, even when the
 * rules have errors: PARLEY_ERROR_COMPILE, and the handle then holds the diagnostics and the
 * message (every diagnostic, formatted as a compiler prints them) but no script. Free it with
 * parley_script_free() either way. On PARLEY_ERROR_OUT_OF_MEMORY or MISUSE, *out is NULL. */
PARLEY_API parley_status parley_compile_file(const char* path, size_t path_size, parley_script** out);
PARLEY_API parley_status parley_compile_string(const char* text, size_t text_size, const char* name, size_t name_size, parley_script** out);

/* Sessions keep what they need of their script: it may be freed before them. NULL, and a handle
 * freed already, are ignored. */
PARLEY_API void parley_script_free(parley_script* script);

/* Whether the handle holds a compiled script (1) or only the diagnostics of a failed compile (0). */
PARLEY_API int parley_script_ok(const parley_script* script);

/* The compile error's message, "" when it compiled. NUL-terminated; its length in *size when size
 * is not NULL. Valid as long as the script handle. */
PARLEY_API const char* parley_script_errmsg(const parley_script* script, size_t* size);

/* Every diagnostic of the compile, warnings of a good script included, in order. */
PARLEY_API size_t parley_script_diagnostic_count(const parley_script* script);
PARLEY_API parley_status parley_script_diagnostic(const parley_script* script, size_t index, parley_diagnostic* out);

/* Interned labels, for the fast step: the id of an intent or event (PARLEY_ERROR_UNKNOWN_LABEL when
 * the script declares none of that name), how many there are, and each one's name (a view that
 * lives as long as the script handle). */
PARLEY_API parley_status parley_script_label(const parley_script* script, const char* name, size_t name_size, uint32_t* out);
PARLEY_API size_t parley_script_label_count(const parley_script* script);
PARLEY_API parley_status parley_script_label_name(const parley_script* script, uint32_t label, parley_string* out);

/* ---- Sessions: one call each -------------------------------------------------------------- */

typedef struct parley_session parley_session;

typedef enum parley_action {
    PARLEY_ACTION_CONTINUE = 0,
    PARLEY_ACTION_HOLD = 1,
    PARLEY_ACTION_TRANSFER = 2, /* transfer, hangup and close end the call */
    PARLEY_ACTION_HANGUP = 3,
    PARLEY_ACTION_CLOSE = 4
} parley_action;

/* "continue", "hold", "transfer", "hangup", "close"; a static string. */
PARLEY_API const char* parley_action_name(parley_action action);

/* Something the script asks the host to do: `do validate-purchase(username, email)`. */
typedef struct parley_host_action {
    parley_string name;
    const parley_pair* arguments; /* each argument's value as the call has it now */
    size_t argument_count;
} parley_host_action;

/* What the operator should do now.
 * Lifetimes: phrase and actions (with their names and arguments) are valid until the next call
 * that changes the same session (start, step, advance, reset, restore, snapshot, free); state_name,
 * hint and rule_file as long as the session. */
typedef struct parley_reply {
    parley_string phrase; /* what to say; empty when the rule says nothing */
    parley_action action;
    uint32_t state;
    int ended; /* 1 when the call reached a terminal state */
    parley_string state_name;
    parley_string hint;      /* advice for the operator; empty when none */
    parley_string rule_file; /* the rule that fired, file:line; line 0 when none did */
    uint32_t rule_line;
    const parley_host_action* actions; /* in order: the handler's, then the entered state's */
    size_t action_count;
} parley_reply;

/* A new call over `script` (which must have compiled), in `language` (empty: the script's
 * default) with the host's variables (NAME, or NAME.LANG for one language only) and the slots
 * the host already knows. Arrays may be NULL when their count is 0.
 *
 * As with compiling, *out receives a session whenever memory allows: when an option is bad,
 * the status says why, the session is at pickup without the options, and parley_session_errmsg()
 * has the message. Free it with parley_session_free() either way. *out is NULL only on
 * PARLEY_ERROR_OUT_OF_MEMORY, or on MISUSE when `script` is NULL or did not compile. */
PARLEY_API parley_status parley_session_new(const parley_script* script, const char* language, size_t language_size,
                                            const parley_pair* variables, size_t variable_count, const parley_pair* slots,
                                            size_t slot_count, parley_session** out);
/* NULL, and a handle freed already, are ignored. */
PARLEY_API void parley_session_free(parley_session* session);

/* A new call on the same session, keeping its buffers, with options as for parley_session_new().
 * A bad option leaves the session at pickup without the options. */
PARLEY_API parley_status parley_session_reset(parley_session* session, const char* language, size_t language_size,
                                              const parley_pair* variables, size_t variable_count, const parley_pair* slots,
                                              size_t slot_count);

/* Why the last call that changes this session (those taking a non-const parley_session*)
 * failed; "" when it succeeded. Calls on a const session report by their status alone.
 * NUL-terminated; its length in *size when size is not NULL. Valid until the next call on it. */
PARLEY_API const char* parley_session_errmsg(const parley_session* session, size_t* size);

/* The pickup: the initial state's entry phrase. */
PARLEY_API parley_status parley_session_start(parley_session* session, parley_reply* out);

/* One classified caller utterance: by name (an undeclared one is PARLEY_ERROR_UNKNOWN_LABEL, or
 * goes to `otherwise` when the script says so), or by an interned label from
 * parley_script_label() (the fast path). `slots` may be NULL when slot_count is 0. */
PARLEY_API parley_status parley_session_step(parley_session* session, const char* label, size_t label_size, double confidence,
                                             const parley_pair* slots, size_t slot_count, parley_reply* out);
PARLEY_API parley_status parley_session_step_label(parley_session* session, uint32_t label, double confidence, const parley_pair* slots,
                                                   size_t slot_count, parley_reply* out);

/* Moves the call's clock to `seconds` since pickup and fires every timer that fell due, in
 * order. *fired (may be NULL) receives how many; read each one's reply with parley_session_reply(). */
PARLEY_API parley_status parley_session_advance(parley_session* session, double seconds, size_t* fired);

/* The replies of the last start, step or advance: start and step one (the same as their `out`),
 * advance as many as fired (0 the first); none when that call failed, or after reset or restore.
 * Index past them: PARLEY_ERROR_MISUSE. Lifetimes as for the reply of a step: until the next
 * call that changes the session. */
PARLEY_API size_t parley_session_reply_count(const parley_session* session);
PARLEY_API parley_status parley_session_reply(const parley_session* session, size_t index, parley_reply* out);

/* When the next timer falls due, in seconds since pickup; -1 when none is armed. */
PARLEY_API parley_status parley_session_next_deadline(const parley_session* session, double* out);

/* A checksummed binary form of everything the call has accumulated. *bytes points to *size
 * bytes owned by the session, valid until the next call that changes it. */
PARLEY_API parley_status parley_session_snapshot(parley_session* session, const char** bytes, size_t* size);

typedef enum parley_restore_mode {
    PARLEY_RESTORE_EXACT = 0,  /* the snapshot must come from the same script */
    PARLEY_RESTORE_BY_NAME = 1 /* map state, language, counters, slots and variables by name */
} parley_restore_mode;

/* Replaces the session's call with the snapshot's, over the session's script. A snapshot that
 * is damaged, of another format, or (exact) of another script is PARLEY_ERROR_BAD_SNAPSHOT, and
 * the session is left as it was. */
PARLEY_API parley_status parley_session_restore(parley_session* session, const void* bytes, size_t size, parley_restore_mode mode);

#ifdef __cplusplus
}
#endif

#endif
