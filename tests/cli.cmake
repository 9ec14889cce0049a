# The command line, tested through the real binary.
set(parley_bin $<TARGET_FILE:parley_cli>)
set(golden ${CMAKE_CURRENT_SOURCE_DIR}/cli/golden.cmake)

# Every shipped script compiles cleanly, and its conversation tests pass.
file(GLOB parley_rules CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/rules/*.rules)
foreach(rules ${parley_rules})
  get_filename_component(name ${rules} NAME_WE)
  add_test(NAME rules.check.${name} COMMAND ${parley_bin} check ${rules})
  set_tests_properties(rules.check.${name} PROPERTIES FAIL_REGULAR_EXPRESSION "warning|error")
  if(EXISTS ${PROJECT_SOURCE_DIR}/rules/${name}.tests)
    add_test(NAME rules.test.${name} COMMAND ${parley_bin} test ${rules})
  endif()
endforeach()

# Recorded-style calls: `parley run` output checked against the expected output next to each.
function(parley_call_test name rules)
  add_test(NAME example.call.${name}
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${parley_bin};run;rules/${rules};--input;examples/calls/${name}.jsonl;${ARGN}"
                   -DEXPECTED=${PROJECT_SOURCE_DIR}/examples/calls/${name}.expected -DSTATUS=${PARLEY_CALL_STATUS} -P ${golden}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
set(PARLEY_CALL_STATUS 0)
parley_call_test(angry_customer callcenter.rules)
parley_call_test(abusive_caller callcenter.rules)
parley_call_test(silent_line callcenter.rules --set company=Acme --set operator_name=Anna)
parley_call_test(child callcenter.rules)
parley_call_test(supervisor_request callcenter.rules --set company=Acme --set operator_name=Anna)
parley_call_test(outbound_call outbound.rules --set operator_name=Olga --set company=Acme "--set=decision_maker=domnul Popescu"
                 "--set=offer=un serviciu nou care crește vânzările")
set(PARLEY_CALL_STATUS 1)
parley_call_test(interleaved callcenter.rules)

# The retailer's guidelines: they compile cleanly, every branch is tested, and a sample call
# shows the actions with their arguments.
add_test(NAME example.retail.check COMMAND ${parley_bin} check examples/retail/retail.rules WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(example.retail.check PROPERTIES FAIL_REGULAR_EXPRESSION "warning|error")
add_test(NAME example.retail.test COMMAND ${parley_bin} test examples/retail/retail.rules examples/retail/retail.tests
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# Every state, handler, transition and phrase variant of it, by its own tests.
add_test(NAME example.retail.coverage COMMAND ${parley_bin} test examples/retail/retail.rules examples/retail/retail.tests --coverage
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(example.retail.coverage PROPERTIES PASS_REGULAR_EXPRESSION "handlers fired +44/44 +100.0%\n  transitions +56/56"
                                                        FAIL_REGULAR_EXPRESSION "not covered")
add_test(NAME example.retail.calls
         COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${parley_bin};run;examples/retail/retail.rules;--set;caller_phone=+1 555 0100;--input;examples/retail/calls.jsonl"
                 -DEXPECTED=${PROJECT_SOURCE_DIR}/examples/retail/calls.expected -DSTATUS=0 -P ${golden}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})

# Diagnostics in the compiler's format, on stderr, with exit codes.
function(parley_golden name status stream)
  add_test(NAME cli.${name}
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${parley_bin};${ARGN}" -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/cli/${name}.expected
                   -DSTATUS=${status} -DSTREAM=${stream} -P ${golden}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
parley_golden(check_errors 1 stderr check tests/cli/errors.rules)
parley_golden(check_json 1 stdout check --json tests/cli/errors.rules)
parley_golden(check_missing_json 1 stdout check --json tests/cli/no_such_file.rules)
parley_golden(run_bad_lines 1 stdout run tests/cli/timers.rules --input tests/cli/bad_lines.jsonl)
# A line's fields: an unknown one is an error that names it; 'vars' give a pickup's call its variables.
parley_golden(run_fields 1 stdout run tests/cli/values.rules --set company=Lily --input tests/cli/fields.jsonl)
# Timers that fall due between two lines: every reply reaches the host, once, in order.
parley_golden(run_timer_replies 0 stdout run tests/cli/timers.rules --input tests/cli/timer_replies.jsonl)
parley_golden(run_hold_expired 0 stdout run rules/callcenter.rules --input tests/cli/hold_expired.jsonl)
# Host actions: in parley run's JSON, asserted in .tests, drawn by parley graph.
parley_golden(run_actions 0 stdout run tests/cli/actions.rules --input tests/cli/actions.jsonl)
parley_golden(test_actions 1 stdout test tests/cli/actions.rules tests/cli/actions.tests)
parley_golden(graph_actions 0 stdout graph tests/cli/actions.rules)
parley_golden(graph_dot 0 stdout graph tests/cli/timers.rules)
parley_golden(test_failing 1 stdout test tests/cli/timers.rules tests/cli/failing.tests)
parley_golden(test_hints 1 stdout test tests/cli/timers.rules tests/cli/hints.tests)
parley_golden(test_no_test 1 stderr test tests/cli/timers.rules tests/cli/no_test.tests)
# Syntax errors in .tests files: all of them in one run, and each broken file counts as one failure.
parley_golden(test_syntax_errors 1 stderr test tests/cli/timers.rules tests/cli/bad_steps.tests tests/cli/bad_structure.tests)
parley_golden(test_syntax_errors_count 1 stdout test tests/cli/timers.rules tests/cli/failing.tests tests/cli/bad_structure.tests)
parley_golden(screen_hits 1 stdout screen rules/callcenter.rules "Алло, НЕ КРИЧИТЕ НА МЕНЯ! Сбавьте тон.")
add_test(NAME cli.chat_piped_input COMMAND ${CMAKE_COMMAND}
         "-DCOMMAND=${parley_bin};chat;tests/cli/timers.rules" -DINPUT=${CMAKE_CURRENT_SOURCE_DIR}/cli/chat.txt
         -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/cli/chat.expected -DSTATUS=0 -P ${golden}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# A chat shows the host actions each reply asks for, in order, with their arguments.
add_test(NAME cli.chat_actions COMMAND ${CMAKE_COMMAND}
         "-DCOMMAND=${parley_bin};chat;tests/cli/actions.rules" -DINPUT=${CMAKE_CURRENT_SOURCE_DIR}/cli/chat_actions.txt
         -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/cli/chat_actions.expected -DSTATUS=0 -P ${golden}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# bench refuses the lines that run answers with an error, and counts them the same: 15 in bad_lines.
add_test(NAME cli.bench_counts_bad_lines_like_run COMMAND ${parley_bin} bench tests/cli/timers.rules --input tests/cli/bad_lines.jsonl
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.bench_counts_bad_lines_like_run PROPERTIES PASS_REGULAR_EXPRESSION "; 15 bad lines, as parley run counts them")
add_test(NAME cli.help COMMAND ${parley_bin} run --help)
set_tests_properties(cli.help PROPERTIES PASS_REGULAR_EXPRESSION "exactly one line per input line")
include(${CMAKE_CURRENT_SOURCE_DIR}/diagnostics/diagnostics.cmake)

# parley run as a live process (tests/cli/live_run.cpp drives the real binary through pipes).
add_executable(live_run ${CMAKE_CURRENT_SOURCE_DIR}/cli/live_run.cpp)
target_link_libraries(live_run PRIVATE parley_warnings)
find_package(Threads REQUIRED)
target_link_libraries(live_run PRIVATE Threads::Threads)
# Peak RSS is parley's only without sanitizers (their shadow memory and quarantine are not): with
# them the same runs check every line is answered, without asserting a size.
if(PARLEY_SANITIZE)
  set(rss_limit_mb 0)
  set(rss_per_call 0)
  set(rss_calls 100000)
else()
  set(rss_limit_mb 64)
  set(rss_per_call 1536)
  set(rss_calls 1000000)
endif()
# A line written into a pipe that stays open is answered within 10 s (not after 1 MiB).
add_test(NAME cli.run_replies_while_pipe_open COMMAND live_run reply ${parley_bin} tests/cli/timers.rules WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# A closed output pipe is a write error: status 2, not death by SIGPIPE and not status 0.
add_test(NAME cli.run_closed_pipe_fails COMMAND live_run sigpipe ${parley_bin} tests/cli/timers.rules WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# A full disk: every reply lost is an error, said on stderr.
add_test(NAME cli.run_full_disk_fails COMMAND sh -c "\"$0\" run tests/cli/timers.rules --input tests/cli/bad_lines.jsonl >/dev/full; echo \"status $?\"" ${parley_bin}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(cli.run_full_disk_fails PROPERTIES PASS_REGULAR_EXPRESSION "cannot write the replies: No space left on device\nstatus 2")
parley_golden(run_input_directory 2 stderr run tests/cli/timers.rules --input tests/cli)
# A duration that is no time a call can last is refused, not read as "never".
parley_golden(run_idle_timeout_refused 105 stderr run tests/cli/timers.rules --idle-timeout nan)
# A call's end: caller_hangup; a late line within the window of ended calls is an error, after it
# the id starts a new call; an idle call is expired and listed in "expired" on the line that noticed.
parley_golden(run_lifecycle 1 stdout run tests/cli/timers.rules --input tests/cli/lifecycle.jsonl --remember-ended 1 --idle-timeout 30)
# Lines over 1 MiB are error lines and the run goes on; a 64 MiB line is never held in memory.
add_test(NAME cli.run_long_lines COMMAND live_run long ${parley_bin} tests/cli/timers.rules ${rss_limit_mb} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# Memory is bounded by the live calls, not by the calls seen (the README has 20 M calls).
add_test(NAME cli.run_memory_bounded COMMAND live_run memory ${parley_bin} rules/callcenter.rules ${rss_calls} 1000 ${rss_limit_mb}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
add_test(NAME cli.run_memory_per_live_call COMMAND live_run per_call ${parley_bin} rules/callcenter.rules 20000 ${rss_per_call}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# Call ids crafted to collide under std::hash cost no more than random ones (keyed hash).
add_test(NAME cli.run_hash_flood COMMAND live_run flood ${parley_bin} tests/cli/timers.rules 30000 3 WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})

# Tools for rule authors (issue 19). The shipped scripts are in parley fmt's layout.
add_test(NAME rules.fmt_check COMMAND ${parley_bin} fmt --check rules/callcenter.rules rules/outbound.rules examples/retail/retail.rules
                                      benchmarks/peer/peer_graph.rules WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# A file out of the layout is listed and left as it is; one with syntax errors is refused.
parley_golden(fmt_check_lists 1 stdout fmt --check tests/cli/actions.rules tests/cli/timers.rules)
parley_golden(fmt_syntax_errors 1 stderr fmt --check tests/cli/errors.rules)
# A clause not indented under its handler: the compiler refuses it, and indenting it would decide for the author.
parley_golden(fmt_unindented_clause 1 stderr fmt --check tests/diagnostics/clause_not_indented.rules)
# Assertions on slots, counters and variables; --filter; coverage as text, lcov and on the graph.
parley_golden(test_values 1 stdout test tests/cli/values.rules tests/cli/values.tests)
parley_golden(test_filter 0 stdout test tests/cli/values.rules tests/cli/values.tests --filter counters)
parley_golden(test_filter_none 1 stderr test tests/cli/values.rules tests/cli/values.tests --filter nothing-like-this)
parley_golden(test_coverage 1 stdout test tests/cli/timers.rules tests/cli/hints.tests --coverage)
parley_golden(graph_coverage 0 stdout graph tests/cli/timers.rules --coverage tests/cli/hints.tests)
# Commands that write files, run by sh with the binary as $0 and a folder of the test's own as $1
# (no ';' in SCRIPT: it would split the CMake list).
function(parley_written name status script)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/cli_${name})
  file(MAKE_DIRECTORY ${dir})
  add_test(NAME cli.${name}
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=sh;-c;${script};${parley_bin};${dir}" -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/cli/${name}.expected
                   -DSTATUS=${status} -P ${golden}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endfunction()
# JUnit XML: a failing test, and a file with no test as an error.
parley_written(test_junit 0 [["$0" test tests/cli/timers.rules tests/cli/hints.tests tests/cli/no_test.tests --junit "$1/junit.xml" >/dev/null 2>&1 || cat "$1/junit.xml"]])
# An lcov tracefile with hit counts on the lines and the transitions as branches; parley graph reads it back.
parley_written(test_lcov 0 [["$0" test tests/cli/values.rules tests/cli/values.tests --coverage-format lcov -o "$1/t.info" >/dev/null 2>&1 || cat "$1/t.info" && "$0" graph tests/cli/values.rules --coverage "$1/t.info" | tail -n 3]])
# Why a step answered so: parley run --trace, and chat's :why, :slots, :counters, :vars and :undo.
parley_golden(run_trace 1 stdout run tests/cli/values.rules --trace --input tests/cli/run_trace.jsonl)
# What a step says: a handler's words, then a form's question, one phrase; the rule is the
# handler's; the trace and the coverage count every handler that fired on the way.
parley_golden(run_join 0 stdout run tests/cli/join.rules --trace --input tests/cli/join.jsonl)
parley_golden(test_join_coverage 0 stdout test tests/cli/join.rules --coverage)
# A confirmation no test reaches is named on its own, without an empty "()" for a state.
parley_golden(test_confirm_coverage 0 stdout test tests/cli/confirm.rules --coverage)
add_test(NAME cli.chat_why COMMAND ${CMAKE_COMMAND}
         "-DCOMMAND=${parley_bin};chat;tests/cli/values.rules" -DINPUT=${CMAKE_CURRENT_SOURCE_DIR}/cli/chat_why.txt
         -DEXPECTED=${CMAKE_CURRENT_SOURCE_DIR}/cli/chat_why.expected -DSTATUS=0 -P ${golden}
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
# parley chat --record: the recorded calls pass as tests.
parley_written(chat_record 0 [["$0" chat tests/cli/timers.rules --record "$1/r.tests" <tests/cli/chat.txt >/dev/null && cat "$1/r.tests" && "$0" test tests/cli/timers.rules "$1/r.tests"]])
find_program(GENHTML genhtml)
if(GENHTML)
  parley_written(genhtml_accepts_lcov 0 [["$0" test rules/callcenter.rules --coverage-format lcov -o "$1/c.info" >/dev/null && genhtml -q --branch-coverage -o "$1/html" "$1/c.info" >/dev/null 2>&1 && grep -c 'class="lineCov"' "$1/html/rules/callcenter.rules.gcov.html" >/dev/null && echo accepted]])
endif()
# Output that cannot be written (/dev/full, a closed pipe) fails every subcommand that writes, and
# parley fmt replaces a file whole or not at all (python3).
find_program(PARLEY_PYTHON3 python3)
if(PARLEY_PYTHON3)
  add_test(NAME cli.output_errors COMMAND ${PARLEY_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/cli/output_errors.py ${parley_bin}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.output_errors PROPERTIES PASS_REGULAR_EXPRESSION "all checks passed" TIMEOUT 180)
endif()
# A line of parley run's output stays bounded: 1,000 expired ids and 1,000 timer replies at most.
if(PARLEY_PYTHON3)
  add_test(NAME cli.run_bounded_lines COMMAND ${PARLEY_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_bounded_lines.py ${parley_bin}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli.run_bounded_lines PROPERTIES PASS_REGULAR_EXPRESSION "all checks passed" TIMEOUT 180)
endif()
# The language server, driven through a pipe by a scripted editor (python3): diagnostics with
# exact UTF-16 ranges, hover, definition, references, completion, symbols, bad frames, exit status.
find_program(PARLEY_PYTHON3 python3)
if(PARLEY_PYTHON3)
  add_test(NAME cli.lsp COMMAND ${PARLEY_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/lsp/lsp_client.py ${parley_bin})
  set_tests_properties(cli.lsp PROPERTIES PASS_REGULAR_EXPRESSION "all checks passed" TIMEOUT 120)
endif()
