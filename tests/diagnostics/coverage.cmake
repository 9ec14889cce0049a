# Every diagnostic message in the compiler's source has a case: it matches the message of a line
# in tests/diagnostics/*.expected or tests/cli/*.expected. And every message in
# tests/diagnostics/*.expected matches a message found in the source, so that a change in how the
# compiler spells its calls cannot leave this check finding nothing and passing.
#   cmake -DSOURCE=<repository root> -P coverage.cmake
#
# The messages of the source, found by the shape of the code rather than by file or line:
# - the first string literal (adjacent literals joined) in the arguments of a call to error(,
#   warning(, note(, file_error(, make( or report( in src/compiler/*.cpp and src/dsl/parser.cpp,
#   which is the format string when the message is a fmt::format( inside the call, and likewise
#   of what a variable named `message` is initialised with;
# - each literal returned by expectation_message() in the parser, but for the one a '+' follows
#   ("expected " + which): that one is put before the name of each grammar rule,
#   PARLEY_RULE(rule, attribute, "name").
# In a message, '{}' and '{:...}' match any text, and so does whatever a '+' appends.

cmake_minimum_required(VERSION 3.22)

# Messages that no .rules file can produce, each with the reason.
set(unreachable
  # A guard around the parser: only a bug in it throws a std::exception.
  "the parser failed: {}"
  # The grammar reads only well-formed language tags; the check guards the AST all the same.
  "'{}' is not a language tag such as 'ru' or 'pt-BR'"
  # Rules whose failure expectation_message() words more precisely: '->' after the intent name,
  # 'otherwise', the guard or the timer's seconds; 'end' to close state '...'; unterminated string.
  "expected '->'"
  "expected end"
  "expected '\"' to end the string (a string cannot span lines)"
  # Rules that never follow an expectation point ('>'): a failure there backtracks into an
  # alternative or fails the enclosing rule, whose name is the one reported.
  "expected a word"
  "expected a value: a word, or words in double quotes"
  "expected an escape"
  "expected a number"
  "expected a language tag"
  "expected a string, or a language tag and a string"
  "expected a guard"
  "expected a condition after 'not'"
  "expected 'known(slot)'"
  "expected 'known(slot, ...)' and a comparison"
  "expected a comparison"
  "expected 'on', 'otherwise' or 'after'"
  "expected a clause"
  "expected 'say'"
  "expected 'hint'"
  "expected 'increment' or 'reset'"
  "expected 'keep'"
  "expected 'set'"
  "expected 'do'"
  "expected 'clear'"
  "expected 'handlers'"
  "expected 'ask'"
  "expected a handler: 'on', 'otherwise' or 'after'"
  "expected 'state'"
  "expected 'flow'"
  "expected 'global'"
  "expected 'confirm'"
  "expected 'include'"
  "expected 'setting'"
  "expected 'variable'"
  "expected 'slot'"
  "expected 'counter'"
  "expected 'event'"
  "expected 'intent'"
  "expected 'forbid'"
  "expected a statement")

# Messages whose case needs more than a small file (a 16 MiB file, 17 files including each other)
# or that `parley check` cannot reach (it refuses a missing file before compiling). A Catch2 test
# covers each: some tests/*_test.cpp must contain the rendered message.
set(covered_by_catch2
  "cannot open file"                                   # compiler_test.cpp
  "file is larger than the limit of {} bytes"          # robustness_test.cpp
  "includes are nested too deeply (the limit is {})"   # robustness_test.cpp
  # Files a case cannot hold in the repository (outside it, a FIFO, a device, a 3 GB sparse file),
  # and limits on a whole script that take a large file or a host's options: hostile_test.cpp.
  "included file '{}' is outside the folders includes may read from"
  "included file '{}' is not a regular file"
  "not a regular file"
  "the files read add up to more than the limit of {} bytes"
  "a script may have at most {} states"
  "a script may have at most {} handlers"
  "the script's phrases add up to more than {} bytes"
  "too much text to screen for {} forbidden phrases (the limit is {} bytes of phrases times forbidden phrases)"
  "the script's dispatch table would have {} entries ({} states times {} intents and events, and the handlers they try), more than the limit of {}"
  "too many errors and warnings: only the first {} are shown"
  # Limits on what flows copy and on what the compiler renders ahead, reached by hostile shapes
  # of 100 KB to 1 MB (benchmarks/hostile.hpp): hostile_test.cpp.
  "the uses of flows add handlers past the limit: a script may have at most {} handlers, flows' copies included"
  "the phrases said as compiled would add up to more than the limit of {} bytes: {} {} bytes")

# CMake lists split at ';' and do not split inside '[...]': such characters travel encoded.
string(ASCII 1 semicolon)
string(ASCII 2 open_bracket)
string(ASCII 3 close_bracket)
string(ASCII 4 backslash)
string(ASCII 5 anything)
function(encode out text)
  string(REPLACE ";" "${semicolon}" text "${text}")
  string(REPLACE "[" "${open_bracket}" text "${text}")
  string(REPLACE "]" "${close_bracket}" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
function(decode out text)
  string(REPLACE "${semicolon}" ";" text "${text}")
  string(REPLACE "${open_bracket}" "[" text "${text}")
  string(REPLACE "${close_bracket}" "]" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(literal "\"([^\"\\\\]|\\\\.)*\"")
set(literals "${literal}([ \t\n]*${literal})*")
# Up to the first literal of a call's arguments, without leaving the statement.
set(to_literal "[^\"${semicolon}]*${literals}[ \t\n]*\\+?")

# The text of a match of `to_literal`: its literals joined and unescaped, then '{}' if a '+'
# appends more.
function(message_of out match)
  string(FIND "${match}" "\"" first)
  string(SUBSTRING "${match}" ${first} -1 rest)
  string(REGEX MATCHALL "${literal}" pieces "${rest}")
  set(text "")
  foreach(piece IN LISTS pieces)
    string(REGEX REPLACE "^\"(.*)\"$" "\\1" piece "${piece}")
    string(APPEND text "${piece}")
  endforeach()
  string(REPLACE "\\\\" "${backslash}" text "${text}")
  string(REPLACE "\\\"" "\"" text "${text}")
  string(REPLACE "${backslash}" "\\" text "${text}")
  if(rest MATCHES "\\+$")
    string(APPEND text "{}")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# ---- The messages of the source -----------------------------------------------------------------

file(GLOB sources ${SOURCE}/src/compiler/*.cpp ${SOURCE}/src/dsl/parser.cpp)
set(messages "")
set(rule_prefix "")
foreach(source IN LISTS sources)
  file(READ ${source} text)
  encode(text "${text}")
  string(REGEX MATCHALL "[^A-Za-z0-9_](error|warning|note|file_error|make|report)\\(${to_literal}|[^A-Za-z0-9_.]message[ \t\n]*=${to_literal}" calls "${text}")
  foreach(call IN LISTS calls)
    message_of(m "${call}")
    list(APPEND messages "${m}")
  endforeach()

  string(REGEX MATCH "expectation_message\\([^)]*\\)[ \t\n]*{" head "${text}")
  if(head)
    string(FIND "${text}" "${head}" start)
    string(SUBSTRING "${text}" ${start} -1 body)
    string(FIND "${body}" "\n}\n" end)
    string(SUBSTRING "${body}" 0 ${end} body)
    string(REGEX MATCHALL "return${to_literal}" returns "${body}")
    foreach(r IN LISTS returns)
      message_of(m "${r}")
      if(r MATCHES "\\+$" AND m MATCHES "^(.*){}$")  # the second match sets CMAKE_MATCH_1
        set(rule_prefix "${CMAKE_MATCH_1}")  # "expected " + the rule's name
      else()
        list(APPEND messages "${m}")
      endif()
    endforeach()
  endif()

  string(REGEX MATCHALL "PARLEY_RULE\\([A-Za-z0-9_]+,[^\"\n]*${literal}\\)" rules "${text}")
  foreach(rule IN LISTS rules)
    message_of(name "${rule}")
    list(APPEND rule_names "${name}")
  endforeach()
endforeach()
if(rule_names AND NOT rule_prefix)
  message(FATAL_ERROR "expectation_message() no longer returns a prefix + the rule's name; update ${CMAKE_CURRENT_LIST_FILE}")
endif()
foreach(name IN LISTS rule_names)
  list(APPEND messages "${rule_prefix}${name}")
endforeach()
list(REMOVE_DUPLICATES messages)
list(LENGTH messages count)
if(count EQUAL 0)
  message(FATAL_ERROR "found no diagnostic message in ${SOURCE}/src; update ${CMAKE_CURRENT_LIST_FILE}")
endif()

# A message as a regex that matches it as a whole line: '{}' and '{:...}' match any text within
# the line. Both encoded.
function(pattern_of out message)
  decode(p "${message}")
  string(REGEX REPLACE "{(:[^}]*)?}" "${anything}" p "${p}")
  string(REPLACE "{{" "{" p "${p}")
  string(REPLACE "}}" "}" p "${p}")
  string(REGEX REPLACE "([][\\^$.*+?|()])" "\\\\\\1" p "${p}")
  string(REPLACE "${anything}" "[^\n]*" p "${p}")
  encode(p "\n${p}\n")
  set(${out} "${p}" PARENT_SCOPE)
endfunction()

# ---- The messages of the cases ------------------------------------------------------------------

# The messages of the diagnostics in golden files, each on a line of its own.
function(golden_messages out)
  set(all "")
  foreach(file IN LISTS ARGN)
    file(READ ${file} text)
    encode(text "${text}")
    string(REGEX MATCHALL ": (error|warning|note): [^\n]*" lines "${text}")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^: [a-z]+: " "" line "${line}")
      list(APPEND all "${line}")
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES all)
  set(${out} "${all}" PARENT_SCOPE)
endfunction()

file(GLOB case_files ${SOURCE}/tests/diagnostics/*.expected)
file(GLOB cli_files ${SOURCE}/tests/cli/*.expected)
golden_messages(case_messages ${case_files})
golden_messages(cli_messages ${cli_files})
set(golden "${case_messages};${cli_messages}")
list(JOIN golden "\n" golden)
decode(golden "\n${golden}\n")

file(GLOB catch2_files ${SOURCE}/tests/*_test.cpp)
set(catch2 "")
foreach(file IN LISTS catch2_files)
  file(READ ${file} text)
  string(APPEND catch2 "${text}")
endforeach()

# ---- Every message of the source has a case -----------------------------------------------------

set(failures "")
foreach(list_name unreachable covered_by_catch2)
  set(encoded_${list_name} "")
  foreach(entry IN LISTS ${list_name})
    encode(entry "${entry}")
    list(APPEND encoded_${list_name} "${entry}")
    if(NOT entry IN_LIST messages)
      decode(entry "${entry}")
      string(APPEND failures "  allow-listed in ${list_name}, but no longer in the source: ${entry}\n")
    endif()
  endforeach()
endforeach()

set(patterns "")
foreach(m IN LISTS messages)
  pattern_of(p "${m}")
  list(APPEND patterns "${p}")
  decode(p "${p}")
  decode(shown "${m}")
  if(m IN_LIST encoded_unreachable)
    continue()
  elseif(m IN_LIST encoded_covered_by_catch2)
    string(REGEX REPLACE "^\n(.*)\n$" "\\1" unanchored "${p}")
    if(NOT catch2 MATCHES "${unanchored}")
      string(APPEND failures "  no Catch2 test in tests/*_test.cpp shows: ${shown}\n")
    endif()
  elseif(NOT golden MATCHES "${p}")
    string(APPEND failures "  no case in tests/diagnostics/ shows: ${shown}\n")
  endif()
endforeach()

# ---- Every message of a case comes from the source ----------------------------------------------

foreach(m IN LISTS case_messages)
  decode(m "${m}")
  set(found FALSE)
  foreach(p IN LISTS patterns)
    decode(p "${p}")
    if("\n${m}\n" MATCHES "${p}")
      set(found TRUE)
      break()
    endif()
  endforeach()
  if(NOT found)
    string(APPEND failures "  a case shows a message found nowhere in the source: ${m}\n")
  endif()
endforeach()

if(failures)
  message(FATAL_ERROR "diagnostic coverage:\n${failures}")
endif()
list(LENGTH case_files cases)
message(STATUS "diagnostic coverage: ${count} messages in the source, ${cases} cases, all covered")
