/* A C host: compile the default script, run one call, print each reply (link with -lparley). */
#include <parley/parley.h>

#include <stdio.h>
#include <string.h>

static void print(const parley_reply* r) {
    printf("%.*s [%.*s, %s] %.*s:%u\n", (int)r->phrase.size, r->phrase.data, (int)r->state_name.size, r->state_name.data,
           parley_action_name(r->action), (int)r->rule_file.size, r->rule_file.data, (unsigned)r->rule_line);
}

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "rules/callcenter.rules";
    parley_script* script = NULL;
    if (parley_compile_file(path, strlen(path), &script) != PARLEY_OK) {
        fprintf(stderr, "%s", parley_script_errmsg(script, NULL)); /* every diagnostic */
        parley_script_free(script);
        return 1;
    }
    const parley_pair company[] = {{{"company", 7}, {"Acme", 4}}};
    parley_session* call = NULL;
    if (parley_session_new(script, "en", 2, company, 1, NULL, 0, &call) != PARLEY_OK) return 1;
    parley_reply reply;
    if (parley_session_start(call, &reply) != PARLEY_OK) return 1;
    print(&reply);

    const parley_pair olga[] = {{{"name", 4}, {"Olga", 4}}};
    if (parley_session_step(call, "give_name", 9, 0.93, olga, 1, &reply) != PARLEY_OK) return 1;
    print(&reply);
    uint32_t thanks = 0; /* an interned label: the fast path */
    if (parley_script_label(script, "thanks", 6, &thanks) != PARLEY_OK) return 1;
    if (parley_session_step_label(call, thanks, 1.0, NULL, 0, &reply) != PARLEY_OK) return 1;
    print(&reply);
    if (parley_session_step_label(call, thanks, 1.0, NULL, 0, &reply) == PARLEY_ERROR_ENDED)
        printf("error: %s\n", parley_session_errmsg(call, NULL));
    parley_session_free(call);
    parley_script_free(script);
    return 0;
}
