# ctest -P script: install parley into a scratch prefix, then build and run the consumer; with
# -DPKG_CONFIG and -DC_COMPILER, build the C consumer from pkg-config's flags too; with -DPYTHON,
# -DPYTHON_DIR (under the prefix) and -DPYTHON_ENV (A=1|B=2), import the installed Python package.
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc)
  message(FATAL_ERROR "install failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${WORK}/build -DCMAKE_PREFIX_PATH=${WORK}/prefix
                        -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=${FLAGS} -DCMAKE_C_FLAGS=${FLAGS} RESULT_VARIABLE rc)  # no optimisation: what is tested is the package, quickly
if(rc)
  message(FATAL_ERROR "configure failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK}/build RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "build failed")
endif()
execute_process(COMMAND ${WORK}/build/consumer RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "the consumer failed")
endif()
if(EXISTS ${WORK}/build/c_consumer)
  execute_process(COMMAND ${WORK}/build/c_consumer RESULT_VARIABLE rc)  # the installed library, by its RUNPATH
  if(rc)
    message(FATAL_ERROR "the C consumer (CMake) failed")
  endif()
endif()

if(PKG_CONFIG AND C_COMPILER)
  set(ENV{PKG_CONFIG_PATH} "")
  file(GLOB_RECURSE pc_files ${WORK}/prefix/*/parley.pc)
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} ${pc_dir})
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs parley OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  execute_process(COMMAND ${PKG_CONFIG} --variable=libdir parley OUTPUT_VARIABLE libdir OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc)
    message(FATAL_ERROR "pkg-config found no parley in ${pc_dir}")
  endif()
  separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
  separate_arguments(flags UNIX_COMMAND "${FLAGS}")
  execute_process(COMMAND ${C_COMPILER} -std=c11 -Wall -Wextra -pedantic -Werror ${flags} ${SOURCE}/consumer.c ${pc_flags}
                          -o ${WORK}/pc_consumer RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the C consumer does not build from pkg-config's flags: ${pc_flags}")
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E env LD_LIBRARY_PATH=${libdir} ${WORK}/pc_consumer RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "the C consumer (pkg-config) failed")
  endif()
endif()

if(PYTHON)
  string(REPLACE "|" ";" PYTHON_ENV "${PYTHON_ENV}")
  execute_process(COMMAND ${CMAKE_COMMAND} -E env ${PYTHON_ENV} PYTHONPATH=${WORK}/prefix/${PYTHON_DIR} ${PYTHON} -c
                          "import parley, pathlib; assert pathlib.Path(parley.__file__).parent.joinpath('__init__.pyi').exists(); \
print(parley.__version__, parley.compile('intent hi\\nstate a initial\\n  on hi -> b\\nend\\nstate b action close\\nend\\n').label('hi'))"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc OR NOT out MATCHES "^[0-9.]+ 0")
    message(FATAL_ERROR "the installed Python package does not import from ${WORK}/prefix/${PYTHON_DIR}: ${out}${err}")
  endif()
endif()
