# One small .rules file per diagnostic the compiler can emit, next to the exact stderr of
# `parley check` on it (NAME.expected; UPDATE=1 rewrites it). `parley check` exits 1 when it
# reports an error and 0 otherwise, so the expected status is read from the expected output.
# A glob, not a list: the coverage check below reads this same folder.
file(GLOB parley_diagnostic_cases CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.rules)
foreach(rules ${parley_diagnostic_cases})
  get_filename_component(name ${rules} NAME_WE)
  set(expected ${CMAKE_CURRENT_LIST_DIR}/${name}.expected)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${expected})
  file(READ ${expected} output)
  if(output MATCHES ": error: ")
    set(status 1)
  else()
    set(status 0)
  endif()
  add_test(NAME diagnostics.${name}
           COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${parley_bin};check;tests/diagnostics/${name}.rules" -DEXPECTED=${expected}
                   -DSTATUS=${status} -DSTREAM=stderr -P ${golden}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
endforeach()

# Every diagnostic message in the compiler's source has a case, and every case's message is one.
add_test(NAME diagnostics.coverage
         COMMAND ${CMAKE_COMMAND} -DSOURCE=${PROJECT_SOURCE_DIR} -P ${CMAKE_CURRENT_LIST_DIR}/coverage.cmake)
