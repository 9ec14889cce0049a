/* The C ABI from C: every entry point, and every error path a host can take (a bad script, an
 * undeclared label, a step after the end, a damaged snapshot, NULL arguments).
 * Built with gcc -std=c11 -Wall -Wextra -pedantic -Werror; usage: capi_test RULES_DIR */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, symlink */
#include <parley/parley.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            ++passed;                                                          \
        } else {                                                               \
            ++failed;                                                          \
            fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

/* A string literal with its length, as the ABI takes strings. */
#define S(literal) literal, sizeof(literal) - 1

static int equals(parley_string s, const char* want) { return s.size == strlen(want) && memcmp(s.data, want, s.size) == 0; }
static int ends_with(parley_string s, const char* want) {
    return s.size >= strlen(want) && memcmp(s.data + s.size - strlen(want), want, strlen(want)) == 0;
}
static int contains(const char* text, const char* part) { return strstr(text, part) != NULL; }

static const char rules[] =
    "setting language = en\n"
    "slot name\n"
    "variable company = \"Acme\"\n"
    "intent hello\n"
    "intent give_name\n"
    "intent bye\n"
    "state waiting initial\n"
    "  say \"Hello, this is {company}. Who is calling?\"\n"
    "  on give_name -> stay\n"
    "    keep name\n"
    "    say \"Nice to meet you, {name}.\"\n"
    "    do note-name(name)\n"
    "  on bye -> done\n"
    "  after 10s -> reminder\n"
    "end\n"
    "state reminder\n"
    "  say \"Are you still there?\"\n"
    "  hint \"Wait for the caller\"\n"
    "  on hello -> waiting\n"
    "  after 20 -> done\n"
    "end\n"
    "state done action close\n"
    "  say en \"Goodbye.\" ro \"La revedere.\"\n"
    "end\n";

static parley_script* compile_rules(void) {
    parley_script* script = NULL;
    CHECK(parley_compile_string(rules, sizeof rules - 1, S("call.rules"), &script) == PARLEY_OK);
    CHECK(script != NULL && parley_script_ok(script));
    CHECK(parley_script_diagnostic_count(script) == 0);
    CHECK(strcmp(parley_script_errmsg(script, NULL), "") == 0);
    if (parley_script_diagnostic_count(script) != 0) {
        parley_diagnostic d;
        CHECK(parley_script_diagnostic(script, 0, &d) == PARLEY_OK);
        fprintf(stderr, "%.*s\n", (int)d.message.size, d.message.data);
        exit(1);
    }
    return script;
}

static void test_version_and_names(void) {
    int s;
    CHECK(strcmp(parley_version(), PARLEY_VERSION) == 0);
    for (s = PARLEY_OK; s <= PARLEY_ERROR_INTERNAL; ++s) CHECK(strlen(parley_status_string((parley_status)s)) > 0);
    CHECK(strcmp(parley_status_string(PARLEY_ERROR_ENDED), "the call has ended") == 0);
    CHECK(strcmp(parley_action_name(PARLEY_ACTION_CONTINUE), "continue") == 0);
    CHECK(strcmp(parley_action_name(PARLEY_ACTION_CLOSE), "close") == 0);
    CHECK(strcmp(parley_action_name((parley_action)9), "unknown") == 0);
    CHECK(strcmp(parley_status_string((parley_status)99), "an unknown status") == 0);
}

static void test_bad_script(void) {
    static const char bad[] = "intent hi\nstate a initial\n  on hi -> nowhere\nend\n";
    parley_script* script = NULL;
    parley_session* session = (parley_session*)&script; /* must be set to NULL */
    parley_diagnostic d;
    size_t size = 0;
    const char* message;
    CHECK(parley_compile_string(bad, sizeof bad - 1, S("bad.rules"), &script) == PARLEY_ERROR_COMPILE);
    CHECK(script != NULL);
    CHECK(!parley_script_ok(script));
    message = parley_script_errmsg(script, &size);
    CHECK(size == strlen(message));
    CHECK(contains(message, "bad.rules:3:12: error: undefined state 'nowhere'"));
    CHECK(parley_script_diagnostic_count(script) >= 1);
    CHECK(parley_script_diagnostic(script, 0, &d) == PARLEY_OK);
    CHECK(d.severity == PARLEY_ERROR);
    CHECK(equals(d.file, "bad.rules"));
    CHECK(d.line == 3 && d.column == 12 && d.length == 7);
    CHECK(equals(d.message, "undefined state 'nowhere'"));
    CHECK(equals(d.source_line, "  on hi -> nowhere"));
    CHECK(parley_script_diagnostic(script, 99, &d) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_label_count(script) == 0);
    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &session) == PARLEY_ERROR_MISUSE);
    CHECK(session == NULL);
    parley_script_free(script);

    CHECK(parley_compile_file(S("no/such/file.rules"), &script) == PARLEY_ERROR_COMPILE);
    CHECK(script != NULL && parley_script_diagnostic_count(script) == 1);
    CHECK(contains(parley_script_errmsg(script, NULL), "no/such/file.rules"));
    parley_script_free(script);
}

static void test_file_and_labels(const char* rules_dir) {
    char path[4096];
    parley_script* script = NULL;
    parley_session* session = NULL;
    parley_reply reply;
    parley_string name;
    uint32_t label = 0, i;
    int found = 0;
    static const parley_pair company[] = {{{S("company")}, {S("Acme")}}};
    static const parley_pair olga[] = {{{S("name")}, {S("Olga")}}};
    snprintf(path, sizeof path, "%s/callcenter.rules", rules_dir);
    CHECK(parley_compile_file(path, strlen(path), &script) == PARLEY_OK);
    CHECK(parley_script_label(script, S("give_name"), &label) == PARLEY_OK);
    CHECK(parley_script_label_name(script, label, &name) == PARLEY_OK && equals(name, "give_name"));
    CHECK(parley_script_label(script, S("no_such_intent"), &label) == PARLEY_ERROR_UNKNOWN_LABEL);
    CHECK(parley_script_label_name(script, (uint32_t)parley_script_label_count(script), &name) == PARLEY_ERROR_MISUSE);
    for (i = 0; i < parley_script_label_count(script); ++i) {
        CHECK(parley_script_label_name(script, i, &name) == PARLEY_OK);
        found += equals(name, "goodbye");
    }
    CHECK(found == 1);

    CHECK(parley_session_new(script, S("en"), company, 1, NULL, 0, &session) == PARLEY_OK);
    parley_script_free(script); /* the session keeps what it needs */
    CHECK(parley_session_start(session, &reply) == PARLEY_OK);
    CHECK(reply.phrase.size > 0 && reply.action == PARLEY_ACTION_CONTINUE && !reply.ended);
    CHECK(parley_session_step(session, S("give_name"), 0.93, olga, 1, &reply) == PARLEY_OK);
    CHECK(reply.phrase.size >= 23 && memcmp(reply.phrase.data, "Nice to meet you, Olga!", 23) == 0);
    CHECK(equals(reply.state_name, "intake"));
    CHECK(ends_with(reply.rule_file, "/callcenter.rules") && reply.rule_line > 0);
    CHECK(parley_session_reply_count(session) == 1);
    parley_session_free(session);
}

/* Includes are confined as parley check confines them: a symlink out of the folder is refused. */
static void test_confined_include(void) {
    char folder[] = "/tmp/parley-capi-XXXXXX", path[4096], link[4096];
    parley_script* script = NULL;
    FILE* f;
    if (!mkdtemp(folder)) {
        CHECK(0);
        return;
    }
    snprintf(link, sizeof link, "%s/link.rules", folder);
    CHECK(symlink("/etc/passwd", link) == 0);
    snprintf(path, sizeof path, "%s/main.rules", folder);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("include \"link.rules\"\nintent hi\nstate a initial\n  on hi -> stay\nend\n", f);
        fclose(f);
    }
    CHECK(parley_compile_file(path, strlen(path), &script) == PARLEY_ERROR_COMPILE);
    CHECK(contains(parley_script_errmsg(script, NULL), "is outside the folders includes may read from"));
    CHECK(!contains(parley_script_errmsg(script, NULL), "root:"));
    parley_script_free(script);
    remove(path);
    remove(link);
    rmdir(folder);
}

static void test_steps(void) {
    parley_script* script = compile_rules();
    parley_session* session = NULL;
    parley_reply reply, again;
    uint32_t bye = 0;
    size_t size = 0;
    static const parley_pair ana[] = {{{S("name")}, {S("Ana")}}};

    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &session) == PARLEY_OK);
    CHECK(strcmp(parley_session_errmsg(session, &size), "") == 0 && size == 0);
    CHECK(parley_session_start(session, &reply) == PARLEY_OK);
    CHECK(equals(reply.phrase, "Hello, this is Acme. Who is calling?"));
    CHECK(equals(reply.state_name, "waiting") && reply.state == 0);

    /* A slot, a rendered phrase, a host action with its argument. */
    CHECK(parley_session_step(session, S("give_name"), 1.0, ana, 1, &reply) == PARLEY_OK);
    CHECK(equals(reply.phrase, "Nice to meet you, Ana."));
    CHECK(equals(reply.rule_file, "call.rules") && reply.rule_line == 9);
    CHECK(reply.action_count == 1);
    CHECK(equals(reply.actions[0].name, "note-name"));
    CHECK(reply.actions[0].argument_count == 1);
    CHECK(equals(reply.actions[0].arguments[0].name, "name") && equals(reply.actions[0].arguments[0].value, "Ana"));
    CHECK(parley_session_reply(session, 0, &again) == PARLEY_OK && again.phrase.data == reply.phrase.data);
    CHECK(parley_session_reply(session, 1, &again) == PARLEY_ERROR_MISUSE);

    /* An undeclared label, by name and by id; a bad confidence. The session is unchanged. */
    CHECK(parley_session_step(session, S("nope"), 1.0, NULL, 0, &reply) == PARLEY_ERROR_UNKNOWN_LABEL);
    CHECK(parley_session_reply_count(session) == 0);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "the script declares no intent or event 'nope'") == 0);
    CHECK(parley_session_step_label(session, 1000, 1.0, NULL, 0, &reply) == PARLEY_ERROR_UNKNOWN_LABEL);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "label id 1000 is out of range") == 0);
    CHECK(parley_session_step(session, S("hello"), 1.5, NULL, 0, &reply) == PARLEY_ERROR_BAD_CONFIDENCE);
    CHECK(parley_session_step(session, S("hello"), NAN, NULL, 0, &reply) == PARLEY_ERROR_BAD_CONFIDENCE);
    CHECK(contains(parley_session_errmsg(session, NULL), "confidence"));

    /* To the end, by interned label; then a step after the end. */
    CHECK(parley_script_label(script, S("bye"), &bye) == PARLEY_OK);
    CHECK(parley_session_step_label(session, bye, 1.0, NULL, 0, &reply) == PARLEY_OK);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "") == 0);
    CHECK(equals(reply.phrase, "Goodbye.") && reply.ended && reply.action == PARLEY_ACTION_CLOSE);
    CHECK(parley_session_step_label(session, bye, 1.0, NULL, 0, &reply) == PARLEY_ERROR_ENDED);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "the call has ended in state 'done'; reset() the session or start a new one") == 0);
    CHECK(parley_session_start(session, &reply) == PARLEY_ERROR_ENDED);

    /* A new call on the same session, in another language; a bad language leaves it at pickup. */
    CHECK(parley_session_reset(session, S("ro"), NULL, 0, NULL, 0) == PARLEY_OK);
    CHECK(parley_session_step(session, S("bye"), 1.0, NULL, 0, &reply) == PARLEY_OK && equals(reply.phrase, "La revedere."));
    CHECK(parley_session_reset(session, S("ro"), NULL, 0, NULL, 0) == PARLEY_OK);
    CHECK(parley_session_reset(session, S("xx"), NULL, 0, NULL, 0) == PARLEY_ERROR_BAD_LANGUAGE);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "the script has no language 'xx'") == 0);
    CHECK(parley_session_step(session, S("bye"), 1.0, NULL, 0, &reply) == PARLEY_OK && reply.ended);
    CHECK(equals(reply.phrase, "Goodbye."));
    parley_session_free(session);

    /* Bad options at creation: the status says why, and the session is there, at pickup. */
    {
        static const parley_pair unknown[] = {{{S("colour")}, {S("red")}}};
        CHECK(parley_session_new(script, NULL, 0, unknown, 1, NULL, 0, &session) == PARLEY_ERROR_BAD_VARIABLE);
        CHECK(session != NULL);
        CHECK(strcmp(parley_session_errmsg(session, NULL), "the script declares no variable 'colour'") == 0);
        CHECK(parley_session_start(session, &reply) == PARLEY_OK && equals(reply.state_name, "waiting"));
        parley_session_free(session);
        CHECK(parley_session_new(script, NULL, 0, NULL, 0, unknown, 1, &session) == PARLEY_ERROR_BAD_SLOT);
        parley_session_free(session);
    }
    parley_script_free(script);
}

static void test_timers(void) {
    parley_script* script = compile_rules();
    parley_session* session = NULL;
    parley_reply first, second;
    size_t fired = 99;
    double deadline = 0;

    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &session) == PARLEY_OK);
    CHECK(parley_session_next_deadline(session, &deadline) == PARLEY_OK && deadline == 10.0);
    CHECK(parley_session_advance(session, 5, &fired) == PARLEY_OK && fired == 0);
    CHECK(parley_session_reply_count(session) == 0);
    /* Two timers fall due by 40 s: every reply reaches the host, in order. */
    CHECK(parley_session_advance(session, 40, &fired) == PARLEY_OK && fired == 2);
    CHECK(parley_session_reply_count(session) == 2);
    CHECK(parley_session_reply(session, 0, &first) == PARLEY_OK && parley_session_reply(session, 1, &second) == PARLEY_OK);
    CHECK(equals(first.phrase, "Are you still there?") && equals(first.state_name, "reminder") && !first.ended);
    CHECK(equals(first.hint, "Wait for the caller"));
    CHECK(equals(first.rule_file, "call.rules") && first.rule_line == 14);
    CHECK(equals(second.phrase, "Goodbye.") && second.ended && second.action == PARLEY_ACTION_CLOSE);
    CHECK(parley_session_next_deadline(session, &deadline) == PARLEY_OK && deadline == -1.0);
    CHECK(parley_session_advance(session, 20, NULL) == PARLEY_ERROR_TIME_BACKWARDS);
    CHECK(contains(parley_session_errmsg(session, NULL), "time went backwards"));
    CHECK(parley_session_reply_count(session) == 0);
    CHECK(parley_session_advance(session, -1, NULL) == PARLEY_ERROR_TIME_BACKWARDS);
    /* A time no call reaches is a limit, not time going backwards. */
    CHECK(parley_session_advance(session, 1e300, NULL) == PARLEY_ERROR_LIMIT);
    CHECK(contains(parley_session_errmsg(session, NULL), "finite number of seconds up to 4294967.295"));
    CHECK(parley_session_advance(session, NAN, NULL) == PARLEY_ERROR_LIMIT);
    parley_session_free(session);
    parley_script_free(script);
}

static void test_snapshots(void) {
    parley_script* script = compile_rules();
    parley_script* changed = NULL;
    parley_session *session = NULL, *copy = NULL, *moved = NULL;
    parley_reply reply;
    const char* bytes = NULL;
    char* saved;
    size_t size = 0;
    static const parley_pair ana[] = {{{S("name")}, {S("Ana")}}};
    static const char changed_rules[] =
        "setting language = en\nslot name\nvariable company = \"Acme\"\nintent hello\nintent give_name\nintent bye\n"
        "state waiting initial\n  on give_name -> stay\n    say \"Still {name}.\"\n  on bye -> done\nend\n"
        "state reminder\n  on hello -> waiting\nend\nstate done action close\n  say ro \"Gata.\" en \"Done.\"\nend\n";

    CHECK(parley_session_new(script, S("ro"), NULL, 0, NULL, 0, &session) == PARLEY_OK);
    CHECK(parley_session_step(session, S("give_name"), 1.0, ana, 1, &reply) == PARLEY_OK);
    CHECK(parley_session_advance(session, 12, NULL) == PARLEY_OK);
    CHECK(parley_session_snapshot(session, &bytes, &size) == PARLEY_OK && size > 8 && memcmp(bytes, "PLY2", 4) == 0);
    saved = malloc(size);
    CHECK(saved != NULL);
    if (!saved) return;
    memcpy(saved, bytes, size);

    /* Exact: the same call, to the byte. */
    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &copy) == PARLEY_OK);
    CHECK(parley_session_restore(copy, saved, size, PARLEY_RESTORE_EXACT) == PARLEY_OK);
    CHECK(parley_session_snapshot(copy, &bytes, &size) == PARLEY_OK && memcmp(bytes, saved, size) == 0);
    CHECK(parley_session_step(copy, S("hello"), 1.0, NULL, 0, &reply) == PARLEY_OK && equals(reply.state_name, "waiting"));

    /* Damaged: refused, and the session is left as it was. */
    saved[size / 2] ^= 0x10;
    CHECK(parley_session_restore(copy, saved, size, PARLEY_RESTORE_EXACT) == PARLEY_ERROR_BAD_SNAPSHOT);
    CHECK(strcmp(parley_session_errmsg(copy, NULL), "the snapshot is damaged: its checksum does not match") == 0);
    CHECK(parley_session_restore(copy, saved, 3, PARLEY_RESTORE_EXACT) == PARLEY_ERROR_BAD_SNAPSHOT);
    CHECK(parley_session_restore(copy, NULL, 0, PARLEY_RESTORE_EXACT) == PARLEY_ERROR_BAD_SNAPSHOT);
    CHECK(parley_session_step(copy, S("give_name"), 1.0, ana, 1, &reply) == PARLEY_OK && equals(reply.state_name, "waiting"));
    saved[size / 2] ^= 0x10;

    /* Onto a changed script: exact refuses it, by name maps state, language and slots. */
    CHECK(parley_compile_string(changed_rules, sizeof changed_rules - 1, NULL, 0, &changed) == PARLEY_OK);
    CHECK(parley_session_new(changed, NULL, 0, NULL, 0, NULL, 0, &moved) == PARLEY_OK);
    CHECK(parley_session_restore(moved, saved, size, PARLEY_RESTORE_EXACT) == PARLEY_ERROR_BAD_SNAPSHOT);
    CHECK(contains(parley_session_errmsg(moved, NULL), "another script"));
    CHECK(parley_session_restore(moved, saved, size, (parley_restore_mode)7) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_restore(moved, saved, size, PARLEY_RESTORE_BY_NAME) == PARLEY_OK);
    CHECK(parley_session_step(moved, S("hello"), 1.0, NULL, 0, &reply) == PARLEY_OK && equals(reply.state_name, "waiting"));
    CHECK(parley_session_step(moved, S("give_name"), 1.0, NULL, 0, &reply) == PARLEY_OK && equals(reply.phrase, "Still Ana."));

    free(saved);
    parley_session_free(moved);
    parley_session_free(copy);
    parley_session_free(session);
    parley_script_free(changed);
    parley_script_free(script);
}

static void test_null_arguments(void) {
    parley_script* script = compile_rules();
    parley_script* none = script;
    parley_session* session = NULL;
    parley_reply reply;
    parley_diagnostic d;
    parley_string name;
    uint32_t label;
    double deadline;
    size_t size = 7;
    const char* bytes;
    static const parley_pair null_value[] = {{{S("name")}, {NULL, 3}}};

    /* No handle: a status, nothing else. */
    CHECK(parley_compile_string(S("state a initial\nend\n"), NULL, 0, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_compile_file(S("x.rules"), NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_compile_string(NULL, 5, NULL, 0, &none) == PARLEY_ERROR_MISUSE && none == NULL);
    CHECK(parley_compile_file(NULL, 5, &none) == PARLEY_ERROR_MISUSE && none == NULL);
    CHECK(!parley_script_ok(NULL));
    CHECK(strcmp(parley_script_errmsg(NULL, &size), "") == 0 && size == 0);
    CHECK(parley_script_diagnostic_count(NULL) == 0);
    CHECK(parley_script_diagnostic(NULL, 0, &d) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_label(NULL, S("hello"), &label) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_label_count(NULL) == 0);
    CHECK(parley_script_label_name(NULL, 0, &name) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_new(NULL, NULL, 0, NULL, 0, NULL, 0, &session) == PARLEY_ERROR_MISUSE && session == NULL);
    CHECK(parley_session_reset(NULL, NULL, 0, NULL, 0, NULL, 0) == PARLEY_ERROR_MISUSE);
    CHECK(strcmp(parley_session_errmsg(NULL, NULL), "") == 0);
    CHECK(parley_session_start(NULL, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_step(NULL, S("hello"), 1.0, NULL, 0, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_step_label(NULL, 0, 1.0, NULL, 0, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_advance(NULL, 1, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_reply_count(NULL) == 0);
    CHECK(parley_session_reply(NULL, 0, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_next_deadline(NULL, &deadline) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_snapshot(NULL, &bytes, &size) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_restore(NULL, "PLY2", 4, PARLEY_RESTORE_EXACT) == PARLEY_ERROR_MISUSE);
    parley_script_free(NULL);
    parley_session_free(NULL);

    /* A handle but a NULL elsewhere: a status and a message on the session. */
    CHECK(parley_script_label(script, S("hello"), NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_label(script, NULL, 3, &label) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_diagnostic(script, 0, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_new(script, NULL, 2, NULL, 0, NULL, 0, &session) == PARLEY_ERROR_MISUSE);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "language is NULL but its size is 2") == 0);
    CHECK(parley_session_start(session, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "out is NULL") == 0);
    CHECK(parley_session_step(session, S("hello"), 1.0, NULL, 0, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_step(session, NULL, 4, 1.0, NULL, 0, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_step(session, NULL, 0, 1.0, NULL, 0, &reply) == PARLEY_ERROR_UNKNOWN_LABEL);
    CHECK(parley_session_step(session, S("give_name"), 1.0, NULL, 2, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "slots is NULL but its count is 2") == 0);
    CHECK(parley_session_step(session, S("give_name"), 1.0, null_value, 1, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_step_label(session, 0, 1.0, NULL, 0, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_reset(session, NULL, 0, NULL, 1, NULL, 0) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_reply(session, 0, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_next_deadline(session, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_snapshot(session, NULL, &size) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_snapshot(session, &bytes, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_restore(session, NULL, 4, PARLEY_RESTORE_EXACT) == PARLEY_ERROR_MISUSE);
    /* After all that, the session still works. */
    CHECK(parley_session_start(session, &reply) == PARLEY_OK && equals(reply.state_name, "waiting"));
    parley_session_free(session);
    parley_script_free(script);
}

/* A handle used after its free, freed twice, or of the other kind: refused, as SQLite refuses a
   closed connection (caught while the handle's memory has not been given to something else). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free" /* passing freed handles is the point */
#endif
static void test_freed_handles(void) {
    parley_script* script = compile_rules();
    parley_session* session = NULL;
    parley_reply reply;
    uint32_t label = 0;
    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &session) == PARLEY_OK);
    /* Of the other kind. */
    CHECK(parley_session_start((parley_session*)(void*)script, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_label((const parley_script*)(const void*)session, S("hello"), &label) == PARLEY_ERROR_MISUSE);
    parley_session_free(session);
    CHECK(parley_session_start(session, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_step(session, S("hello"), 1.0, NULL, 0, &reply) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_advance(session, 1, NULL) == PARLEY_ERROR_MISUSE);
    CHECK(parley_session_reply_count(session) == 0);
    CHECK(strcmp(parley_session_errmsg(session, NULL), "") == 0);
    parley_session_free(session); /* not a second free */
    parley_script_free(script);
    CHECK(parley_script_ok(script) == 0);
    CHECK(parley_script_label(script, S("hello"), &label) == PARLEY_ERROR_MISUSE);
    CHECK(parley_script_diagnostic_count(script) == 0);
    CHECK(parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &session) == PARLEY_ERROR_MISUSE && session == NULL);
    parley_script_free(script);
}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: capi_test RULES_DIR\n");
        return 2;
    }
    test_version_and_names();
    test_bad_script();
    test_file_and_labels(argv[1]);
    test_confined_include();
    test_steps();
    test_timers();
    test_snapshots();
    test_null_arguments();
    test_freed_handles();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
