#include "input_line.hpp"

#include <fmt/format.h>

namespace parley::cli {

// The DOM parser, not On-Demand: its parse is dispatched at run time to the CPU's best kernel
// (AVX-512, AVX2, SSE4.2), while On-Demand code is compiled for the build's baseline CPU.
std::string read_input_line(simdjson::dom::parser& parser, std::string_view line, input_line& f) {
    using simdjson::dom::element_type;
    f = input_line{.slots = std::move(f.slots), .vars = std::move(f.vars)};
    f.slots.clear();
    f.vars.clear();
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return "empty line: every line must be one JSON object";
    simdjson::dom::element doc;
    if (auto error = parser.parse(line.data(), line.size(), false).get(doc))
        return fmt::format("invalid JSON: {}", simdjson::error_message(error));
    simdjson::dom::object object;
    if (doc.get(object) != simdjson::SUCCESS) return "invalid JSON: a line must be one JSON object";
    bool has_label = false;
    for (auto [key, value] : object) {
        if (key == "call") {
            if (value.get(f.call) != simdjson::SUCCESS) return "'call' must be a string";
            f.has_call = true;
        } else if (key == "intent" || key == "event") {
            if (value.get(key == "intent" ? f.intent : f.event) != simdjson::SUCCESS) return fmt::format("'{}' must be a string", key);
            if (has_label) return "a line has either 'intent' or 'event', not both";
            has_label = true;
        } else if (key == "confidence") {
            if (value.get(f.confidence) != simdjson::SUCCESS) return "'confidence' must be a number from 0 to 1";
        } else if (key == "at") {
            double at = 0;
            if (value.get(at) != simdjson::SUCCESS) return "'at' must be a number of seconds";
            f.at = at;
        } else if (key == "seq") {
            f.seq = value;
        } else if (key == "lang") {
            if (value.get(f.lang) != simdjson::SUCCESS) return "'lang' must be a string";
        } else if (key == "slots") {
            simdjson::dom::object slots;
            if (value.get(slots) != simdjson::SUCCESS) return "'slots' must be an object of strings";
            for (auto [name, text] : slots) {
                std::string_view v;
                if (text.get(v) != simdjson::SUCCESS) return fmt::format("slot '{}' must be a string", name);
                f.slots.push_back({name, v});
            }
        } else if (key == "vars") {
            simdjson::dom::object vars;
            if (value.get(vars) != simdjson::SUCCESS) return "'vars' must be an object of strings";
            for (auto [name, text] : vars) {
                std::string_view v;
                if (text.get(v) != simdjson::SUCCESS) return fmt::format("variable '{}' must be a string", name);
                f.vars.emplace_back(name, v);
            }
            f.has_vars = true;
        } else {  // a misspelt field would otherwise be dropped without a word
            return fmt::format("unknown field '{}'; a line's fields are call, intent, event, confidence, slots, lang, at, seq and vars",
                               key);
        }
    }
    if (!f.has_call) return "missing 'call'";
    if (f.call.size() > max_call_id) return fmt::format("'call' is longer than {} bytes", max_call_id);
    if (!has_label) return "a line needs 'intent' or 'event'";
    if (f.has_vars && !f.is_pickup()) return "'vars' go on a call's pickup: {\"call\": ..., \"event\": \"pickup\", \"vars\": {...}}";
    return {};
}

parley::session_options options_for(const parley::session_options& defaults, const input_line& in) {
    auto options = defaults;
    if (!in.lang.empty()) options.language = std::string(in.lang);
    for (const auto& [name, value] : in.vars) options.variables.emplace_back(name, value);
    return options;
}

std::string resolve_label(const parley::script& script, const input_line& in, std::optional<parley::label_id>& id) {
    id = script.find_label(in.label());
    if (id && in.is_event() != script.is_event(*id))
        return fmt::format("'{}' is {}", in.label(), in.is_event() ? "an intent, not an event" : "an event, not an intent");
    return {};
}

}  // namespace parley::cli
