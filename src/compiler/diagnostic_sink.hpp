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
    explicit diagnostic_sink(bool warnings_as_errors) noexcept : warnings_as_errors_(warnings_as_errors) {}

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
    [[nodiscard]] std::vector<diagnostic> take() noexcept { return std::move(diagnostics_); }

private:
    void report(severity level, const origin& where, std::string message);

    bool warnings_as_errors_;
    std::vector<const dsl::source_file*> sources_;
    std::vector<diagnostic> diagnostics_;
    std::size_t errors_ = 0;
    // What was said where: the copies of a flow's states would say the same again. A note goes
    // with what it explains, so it is dropped only after a dropped error or warning.
    std::set<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t, std::string>> said_;
    bool dropped_last_ = false;
};

}  // namespace parley::pipeline

#endif
