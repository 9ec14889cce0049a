/* A C consumer of an installed libparley.so, found with pkg-config or CMake's parley::c. */
#include <parley/parley.h>

#include <stdio.h>
#include <string.h>

int main(void) {
    static const char rules[] = "intent hi\nstate a initial\n  on hi -> done\n    say \"bye\"\nend\nstate done action close\nend\n";
    parley_script* script = NULL;
    parley_session* call = NULL;
    parley_reply reply;
    int ok;
    if (parley_compile_string(rules, sizeof rules - 1, NULL, 0, &script) != PARLEY_OK) return 1;
    if (parley_session_new(script, NULL, 0, NULL, 0, NULL, 0, &call) != PARLEY_OK) return 1;
    ok = parley_session_step(call, "hi", 2, 1.0, NULL, 0, &reply) == PARLEY_OK;
    ok = ok && reply.phrase.size == 3 && memcmp(reply.phrase.data, "bye", 3) == 0 && reply.ended;
    printf("%s: %.*s %s\n", parley_version(), (int)reply.phrase.size, reply.phrase.data, parley_action_name(reply.action));
    parley_session_free(call);
    parley_script_free(script);
    return ok ? 0 : 1;
}
