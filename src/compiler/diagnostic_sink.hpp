// Where every phase of the compiler says what is wrong: diagnostics collected in the order said,
// counted, with warnings made errors when the options ask. Rendering is apart (diagnostic.cpp).
#ifndef PARLEY_SRC_COMPILER_DIAGNOSTIC_SINK_HPP_INCLUDED
#define PARLEY_SRC_COMPILER_DIAGNOSTIC_SINK_HPP_INCLUDED

#include "../dsl/source.hpp"

#include <parley/diagnostic.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace parley::pipeline {

// Where a node was written: a source (in the order given to add_source) and a byte range.
struct origin {
    std::uint32_t file = 0;
    std::uint32_t offset = 0;
    std::uint32_t length = 1;
};

class diagnostic_sink {
public:
    // At most `max_diagnostics` errors and warnings are kept (their notes go with them); past
    // that, one note says so, and errors are only counted: a hostile file cannot make rendering,
    // or the memory the diagnostics take, grow with its number of errors.
    diagnostic_sink(bool warnings_as_errors, std::size_t max_diagnostics) noexcept
        : warnings_as_errors_(warnings_as_errors), max_diagnostics_(max_diagnostics) {}

    // The next file index; the source must outlive the sink's use of it.
    void add_source(const dsl::source_file& source) { sources_.push_back(&source); }

    void error(const origin& where, std::string message) { report(severity::error, where, std::move(message)); }
    void warning(const origin& where, std::string message) { report(severity::warning, where, std::move(message)); }
    void note(const origin& where, std::string message) { report(severity::note, where, std::move(message)); }
    // An error about a whole file that has no text to point into (it could not be read).
    void file_error(std::string file, std::string message);
    // A diagnostic made elsewhere (the parser's), as it is.
    void add(diagnostic d);

    [[nodiscard]] bool failed() const noexcept { return errors_ > 0; }
    // Past the cap: nothing more is shown, so a phase may stop looking for more.
    [[nodiscard]] bool full() const noexcept { return overflowed_; }
    [[nodiscard]] std::vector<diagnostic> take() noexcept { return std::move(diagnostics_); }

private:
    void report(severity level, const origin& where, std::string message);
    // True when `d` (not a note) is one too many: it is dropped, and the first time, a note says so.
    bool over_cap(const diagnostic& d);

    bool warnings_as_errors_;
    std::vector<const dsl::source_file*> sources_;
    std::vector<diagnostic> diagnostics_;
    std::size_t max_diagnostics_;
    std::size_t errors_ = 0;
    std::size_t shown_ = 0;  // errors and warnings kept
    bool overflowed_ = false;
    // What was said where: the copies of a flow's states would say the same again. A note goes
    // with what it explains, so it is dropped only after a dropped error or warning.
    std::set<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::string>> said_;
    bool dropped_last_ = false;
};

}  // namespace parley::pipeline

#endif
