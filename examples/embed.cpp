// The shortest complete host: compile a script, run one call, print each reply.
#include <parley/parley.hpp>

#include <iostream>

int main(int argc, char** argv) {
    auto compiled = parley::compile_file(argc > 1 ? argv[1] : "rules/callcenter.rules");
    parley::print(std::cerr, compiled.diagnostics);
    if (!compiled) return 1;

    parley::session call(*compiled.script, {.language = "en", .variables = {{"company", "Acme"}}});
    std::cout << call.start().phrase << '\n';

    const parley::slot_value olga[] = {{"name", "Olga"}};
    const std::pair<const char*, std::span<const parley::slot_value>> caller[] = {
        {"give_name", olga}, {"complaint", {}}, {"thanks", {}}, {"goodbye", {}}};
    for (const auto& [intent, slots] : caller) {
        if (call.ended()) break;
        const auto reply = call.step(intent, 1.0, slots);
        std::cout << intent << " -> [" << reply.state_name() << ", " << to_string(reply.action) << "] " << reply.phrase << '\n';
    }
}
