# ctest -P script: each example file appears in the README as a fenced block of its language,
# exactly, so that what the README shows is what the tests build and run.
#   -DREADME=README.md -DEXAMPLES="c=examples/c/call.c;python=examples/python/hello.py"
file(READ ${README} readme)
foreach(example IN LISTS EXAMPLES)
  string(REGEX REPLACE "=.*" "" language "${example}")
  string(REGEX REPLACE "^[^=]*=" "" path "${example}")
  file(READ ${path} text)
  string(FIND "${readme}" "```${language}\n${text}```\n" at)
  if(at EQUAL -1)
    message(SEND_ERROR "${README} has no ```${language} block that is exactly ${path}")
  endif()
endforeach()
