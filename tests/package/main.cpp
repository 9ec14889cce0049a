#include <parley/parley.hpp>

#include <iostream>

int main() {
    auto compiled = parley::compile_string("intent hi\nstate a initial\n  on hi -> done\n    say \"bye\"\nend\nstate done action close\n");
    if (!compiled) return 1;
    parley::session call(*compiled.script);
    auto reply = call.step("hi");
    std::cout << reply.phrase << ' ' << to_string(reply.action) << '\n';
    return reply.phrase == "bye" && reply.ended ? 0 : 1;
}
