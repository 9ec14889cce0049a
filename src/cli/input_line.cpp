#include "input_line.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace parley::cli {

std::string call_id_problem(std::string_view id) {
    if (!id.empty() && id.size() <= max_call_id) return {};
    return fmt::format("a call id has 1 to {} bytes, not {}", max_call_id, id.size());
}

namespace {

// The first name that `names` holds twice, or an empty view; sorts `names` when there are many.
std::string_view twice(std::vector<std::string_view>& names) {
    if (names.size() <= 8) {  // the usual few: no sort
        for (std::size_t i = 1; i < names.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (names[i] == names[j]) return names[i];
        return {};
    }
    std::sort(names.begin(), names.end());
    const auto it = std::adjacent_find(names.begin(), names.end());
    return it == names.end() ? std::string_view() : *it;
}

// The keys a line may have, in the order of read_input_line's switch; one bit each in `seen`.
constexpr std::string_view known_keys[] = {"call", "intent", "event", "confidence", "at", "seq", "lang", "slots", "vars"};

}  // namespace

// The DOM parser, not On-Demand: its parse is dispatched at run time to the CPU's best kernel
// (AVX-512, AVX2, SSE4.2), while On-Demand code is compiled for the build's baseline CPU.
std::string read_input_line(simdjson::dom::parser& parser, std::string_view line, input_line& f) {
    using simdjson::dom::element_type;
    f = input_line{.slots = std::move(f.slots), .vars = std::move(f.vars), .names = std::move(f.names)};
    f.slots.clear();
    f.vars.clear();
    f.names.clear();
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) return "empty line: every line must be one JSON object";
    simdjson::dom::element doc;
    if (auto error = parser.parse(line.data(), line.size(), false).get(doc))
        return fmt::format("invalid JSON: {}", simdjson::error_message(error));
    simdjson::dom::object object;
    if (doc.get(object) != simdjson::SUCCESS) return "invalid JSON: a line must be one JSON object";
    bool has_label = false;
    unsigned seen = 0;
    for (auto [key, value] : object) {
        const auto known = static_cast<std::size_t>(std::find(std::begin(known_keys), std::end(known_keys), key) - std::begin(known_keys));
        if (known == std::size(known_keys))  // a misspelt field would otherwise be dropped without a word
            return fmt::format("unknown field '{}'; a line's fields are call, intent, event, confidence, slots, lang, at, seq and vars",
                               key);
        if (seen & (1u << known)) return fmt::format("key '{}' is given twice", key);
        seen |= 1u << known;
        switch (known) {
            case 0:
                if (value.get(f.call) != simdjson::SUCCESS) return "'call' must be a string";
                f.has_call = true;
                break;
            case 1:
            case 2:
                if (value.get(known == 1 ? f.intent : f.event) != simdjson::SUCCESS) return fmt::format("'{}' must be a string", key);
                if (has_label) return "a line has either 'intent' or 'event', not both";
                has_label = true;
                break;
            case 3:
                if (value.get(f.confidence) != simdjson::SUCCESS) return "'confidence' must be a number from 0 to 1";
                break;
            case 4: {
                double at = 0;
                if (value.get(at) != simdjson::SUCCESS) return "'at' must be a number of seconds";
                f.at = at;
                break;
            }
            case 5: f.seq = value; break;
            case 6:
                if (value.get(f.lang) != simdjson::SUCCESS) return "'lang' must be a string";
                break;
            case 7: {
                simdjson::dom::object slots;
                if (value.get(slots) != simdjson::SUCCESS) return "'slots' must be an object of strings";
                for (auto [name, text] : slots) {
                    std::string_view v;
                    if (text.get(v) != simdjson::SUCCESS) return fmt::format("slot '{}' must be a string", name);
                    f.slots.push_back({name, v});
                }
                break;
            }
            default: {
                simdjson::dom::object vars;
                if (value.get(vars) != simdjson::SUCCESS) return "'vars' must be an object of strings";
                for (auto [name, text] : vars) {
                    std::string_view v;
                    if (text.get(v) != simdjson::SUCCESS) return fmt::format("variable '{}' must be a string", name);
                    f.vars.emplace_back(name, v);
                }
                f.has_vars = true;
            }
        }
    }
    if (!f.has_call) return "missing 'call'";
    if (auto wrong = call_id_problem(f.call); !wrong.empty()) return fmt::format("'call': {}", wrong);
    if (f.slots.size() > 1) {
        f.names.clear();
        for (const auto& s : f.slots) f.names.push_back(s.name);
        if (const auto slot = twice(f.names); !slot.empty()) return fmt::format("slot '{}' is given twice", slot);
    }
    if (f.vars.size() > 1) {
        f.names.clear();
        for (const auto& v : f.vars) f.names.push_back(v.first);
        if (const auto name = twice(f.names); !name.empty()) return fmt::format("variable '{}' is given twice", name);
    }
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
