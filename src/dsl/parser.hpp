// The .rules grammar (Boost.Spirit X3), instantiated once in parser.cpp.
#ifndef PARLEY_SRC_DSL_PARSER_HPP_INCLUDED
#define PARLEY_SRC_DSL_PARSER_HPP_INCLUDED

#include "ast.hpp"
#include "source.hpp"

#include <parley/compiler.hpp>
#include <parley/diagnostic.hpp>

#include <string_view>
#include <vector>

namespace parley::dsl {

// Parses one file. Never throws on bad input: each syntax error becomes a diagnostic and the
// parser resumes at the next top-level statement, so one run reports several errors. The
// items that parsed are returned either way.
[[nodiscard]] ast::file parse(const source_file& source, const compile_limits& limits, std::vector<diagnostic>& out);
// The words that cannot name anything: the statements' keywords, then the words inside statements.
[[nodiscard]] std::vector<std::string_view> reserved_words();

}  // namespace parley::dsl

#endif
