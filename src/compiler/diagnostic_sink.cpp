// The diagnostic sink: origins made into diagnostics, counted as they arrive, capped.
#include "diagnostic_sink.hpp"

#include <fmt/format.h>

namespace parley::pipeline {

void diagnostic_sink::report(severity level, const origin& where, std::string message) {
    if (level == severity::warning && warnings_as_errors_) level = severity::error;
    if (overflowed_) {  // counted, never made: making one copies its line
        errors_ += level == severity::error;
        return;
    }
    if (level == severity::note ? dropped_last_ : !said_.emplace(where.file, where.offset, where.length, message).second) {
        dropped_last_ = true;
        return;
    }
    if (level != severity::note) dropped_last_ = false;
    add(sources_[where.file]->make(level, where.offset, where.length, std::move(message)));
}

void diagnostic_sink::file_error(std::string file, std::string message) {
    diagnostic d;
    d.severity = severity::error;
    d.file = std::move(file);
    d.message = std::move(message);
    add(std::move(d));
}

void diagnostic_sink::add(diagnostic d) {
    if (d.severity == severity::error) ++errors_;
    if (overflowed_ || over_cap(d)) return;
    diagnostics_.push_back(std::move(d));
}

bool diagnostic_sink::over_cap(const diagnostic& d) {
    if (d.severity == severity::note) return false;
    if (shown_ < max_diagnostics_) {
        ++shown_;
        return false;
    }
    overflowed_ = true;
    if (d.message.rfind("too many errors", 0) == 0) return false;  // the parser's own last word on a file says it already
    auto message = fmt::format("too many errors and warnings: only the first {} are shown", max_diagnostics_);
    diagnostic note = d;
    note.severity = severity::note;
    note.message = std::move(message);
    diagnostics_.push_back(std::move(note));
    return true;
}

}  // namespace parley::pipeline
