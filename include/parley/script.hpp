// parley::script: a compiled, immutable conversation script.
//
// Ownership and threads: a script is a cheap value (one pointer to immutable, counted tables).
// Copy it freely; any number of threads may read one script and run sessions over it at once.
// Nothing in a script changes after it is compiled; every per-call datum lives in a session.
#ifndef PARLEY_SCRIPT_HPP_INCLUDED
#define PARLEY_SCRIPT_HPP_INCLUDED

#include <parley/action.hpp>
#include <parley/detail/tables.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace parley {

using state_id = std::uint32_t;
using label_id = std::uint32_t;
using language_id = std::uint32_t;

// Where a rule was written: a file of the script and a 1-based line (0 when no rule fired).
struct rule_location {
    std::string_view file;
    std::uint32_t line = 0;
    [[nodiscard]] explicit operator bool() const noexcept { return line != 0; }
};

class script;
namespace detail {
// The compiler makes scripts and the runtime reads their tables; hosts see neither.
[[nodiscard]] script make_script(std::unique_ptr<const script_tables> tables) noexcept;
[[nodiscard]] const script_tables& tables_of(const script& s) noexcept;
}  // namespace detail

class script {
public:
    script(const script& other) noexcept : tables_(other.tables_) { retain(); }
    script(script&& other) noexcept : tables_(std::exchange(other.tables_, nullptr)) {}
    script& operator=(script other) noexcept {
        std::swap(tables_, other.tables_);
        return *this;
    }
    ~script() { release(); }

    [[nodiscard]] std::optional<state_id> find_state(std::string_view name) const { return find(tables_->state_index, name); }
    [[nodiscard]] std::optional<label_id> find_label(std::string_view name) const { return find(tables_->label_index, name); }
    [[nodiscard]] std::optional<language_id> find_language(std::string_view tag) const { return find(tables_->language_index, tag); }

    [[nodiscard]] std::size_t state_count() const noexcept { return tables_->states.size(); }
    [[nodiscard]] std::size_t label_count() const noexcept { return tables_->labels.size(); }
    [[nodiscard]] std::size_t language_count() const noexcept { return tables_->languages.size(); }

    [[nodiscard]] std::string_view state_name(state_id s) const { return tables_->str(tables_->states.at(s).name); }
    [[nodiscard]] std::string_view label_name(label_id l) const { return tables_->str(tables_->labels.at(l).name); }
    [[nodiscard]] bool is_event(label_id l) const { return tables_->labels.at(l).is_event; }
    [[nodiscard]] std::string_view language_name(language_id l) const { return tables_->str(tables_->languages.at(l)); }
    [[nodiscard]] state_id initial_state() const noexcept { return tables_->initial_state; }
    [[nodiscard]] action state_action(state_id s) const { return tables_->states.at(s).action; }
    [[nodiscard]] double confidence_threshold() const noexcept { return tables_->confidence_threshold; }
    // Seconds of silence after which the host should send the `silence` intent (0 = not set).
    [[nodiscard]] double silence_timeout() const noexcept { return double(tables_->silence_timeout_ms) / 1000.0; }
    [[nodiscard]] double hold_timeout() const noexcept { return double(tables_->hold_timeout_ms) / 1000.0; }
    [[nodiscard]] std::uint64_t fingerprint() const noexcept { return tables_->fingerprint; }
    // The declared counters and slots, by index (what a host lists when it shows a call).
    [[nodiscard]] std::size_t counter_count() const noexcept { return tables_->counters.size(); }
    [[nodiscard]] std::string_view counter_name(std::size_t i) const { return tables_->str(tables_->counters.at(i)); }
    [[nodiscard]] std::size_t slot_count() const noexcept { return tables_->slots.size(); }
    [[nodiscard]] std::string_view slot_name(std::size_t i) const { return tables_->str(tables_->slots.at(i)); }
    [[nodiscard]] std::size_t variable_count() const noexcept { return tables_->variables.size(); }
    [[nodiscard]] std::string_view variable_name(std::size_t i) const { return tables_->str(tables_->variables.at(i)); }
    // Handlers, timers included, as the compiler lowered them.
    [[nodiscard]] std::size_t handler_count() const noexcept { return tables_->handlers.size(); }
    // The files the script was compiled from: [0] the root, then its includes, as diagnostics name them.
    [[nodiscard]] std::size_t file_count() const noexcept { return tables_->files.size(); }
    [[nodiscard]] std::string_view file_name(std::size_t i) const { return tables_->files.at(i); }
    // Whether `text` is a view of the script's own strings: a phrase said as written rather
    // than rendered into a buffer (which is what allocation and benchmark checks ask).
    [[nodiscard]] bool owns(std::string_view text) const noexcept {
        const auto& pool = tables_->pool;
        return !text.empty() && std::less_equal<>()(pool.data(), text.data()) && std::less<>()(text.data(), pool.data() + pool.size());
    }

private:
    friend script detail::make_script(std::unique_ptr<const detail::script_tables>) noexcept;
    friend const detail::script_tables& detail::tables_of(const script&) noexcept;
    explicit script(std::unique_ptr<const detail::script_tables> tables) noexcept : tables_(tables.release()) { retain(); }

    void retain() const noexcept {
        if (tables_) tables_->handles.fetch_add(1, std::memory_order_relaxed);
    }
    void release() const noexcept {  // the last handle deletes the tables, after every other handle's reads
        if (tables_ && tables_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1) delete tables_;
    }

    static std::optional<std::uint32_t> find(const detail::name_index& index, std::string_view name) {
        auto it = index.find(name);
        if (it == index.end()) return std::nullopt;
        return it->second;
    }
    const detail::script_tables* tables_;  // null only in a moved-from script
};

inline script detail::make_script(std::unique_ptr<const script_tables> tables) noexcept { return script(std::move(tables)); }
inline const detail::script_tables& detail::tables_of(const script& s) noexcept { return *s.tables_; }

}  // namespace parley

#endif
