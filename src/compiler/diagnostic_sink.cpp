// The diagnostic sink: origins made into diagnostics, counted as they arrive.
#include "diagnostic_sink.hpp"

namespace parley::pipeline {

void diagnostic_sink::report(severity level, const origin& where, std::string message) {
    if (level == severity::warning && warnings_as_errors_) level = severity::error;
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
    diagnostics_.push_back(std::move(d));
}

}  // namespace parley::pipeline
