// The one place the runtime throws from.
#ifndef PARLEY_DETAIL_THROW_HPP_INCLUDED
#define PARLEY_DETAIL_THROW_HPP_INCLUDED

#include <parley/error.hpp>

#include <string>

namespace parley::detail {

[[noreturn]] inline void throw_session_error(session_errc code, const std::string& what) { throw session_error(code, what); }

}  // namespace parley::detail

#endif
