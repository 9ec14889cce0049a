// The errors a session call reports: session_error, with a code a host can branch on and a
// message a person can read.
#ifndef PARLEY_ERROR_HPP_INCLUDED
#define PARLEY_ERROR_HPP_INCLUDED

#include <stdexcept>
#include <string>

namespace parley {

// What went wrong in a session call; the message says it for a person.
enum class session_errc {
    ended,           // the call already reached a terminal state
    unknown_label,   // the script declares no such intent or event
    bad_confidence,  // confidence outside [0, 1] or not a number
    bad_language,    // the script has no such language
    bad_variable,    // a variable override names no variable, or its options were prepared for another script
    bad_slot,        // an initial slot names no slot, or a typed slot gets a value of another type
    bad_snapshot,    // a snapshot that is damaged (checksum), of another format, with a field out of range, or of another script
    time_backwards,  // a timestamp earlier than the session's clock
    limit            // a value past a documented limit
};

class session_error : public std::runtime_error {
public:
    session_error(session_errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
    [[nodiscard]] session_errc code() const noexcept { return code_; }

private:
    session_errc code_;
};

}  // namespace parley

#endif
