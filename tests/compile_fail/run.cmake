# One compile-fail case (see CMakeLists.txt here): cmake -DCOMPILER=... -DFLAGS=a|b|c -DSOURCE=file -P run.cmake
#
# The source is compiled twice with -fsyntax-only: as it is, which must succeed (the control: a
# typo or a missing include cannot make the case pass), and with -DCHCONN_COMPILE_FAIL, which must
# fail with output matching every `// expect: REGEX` line of the source (CMake regular
# expressions; gcc and clang word their errors differently, so a regex may list both).
foreach(var COMPILER FLAGS SOURCE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake needs -D${var}=...")
  endif()
endforeach()
string(REPLACE "|" ";" flags "${FLAGS}")

file(STRINGS "${SOURCE}" expect_lines REGEX "^// expect: ")
if(NOT expect_lines)
  message(FATAL_ERROR "${SOURCE} has no `// expect: REGEX` line")
endif()

# LC_ALL=C: plain quotes in the compilers' messages, whatever the locale.
execute_process(COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C ${COMPILER} ${flags} -fsyntax-only "${SOURCE}"
  RESULT_VARIABLE control_rc OUTPUT_VARIABLE control_out ERROR_VARIABLE control_out)
if(NOT control_rc EQUAL 0)
  message(FATAL_ERROR "the control (without CHCONN_COMPILE_FAIL) does not compile, so the case proves "
    "nothing:\n${control_out}")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -E env LC_ALL=C ${COMPILER} ${flags} -DCHCONN_COMPILE_FAIL -fsyntax-only
  "${SOURCE}" RESULT_VARIABLE bad_rc OUTPUT_VARIABLE bad_out ERROR_VARIABLE bad_out)
if(bad_rc EQUAL 0)
  message(FATAL_ERROR "compiles with CHCONN_COMPILE_FAIL, but must not:\n${bad_out}")
endif()
foreach(line IN LISTS expect_lines)
  string(REGEX REPLACE "^// expect: " "" regex "${line}")
  if(NOT bad_out MATCHES "${regex}")
    message(FATAL_ERROR "fails to compile, but the output does not match `${regex}`:\n${bad_out}")
  endif()
  message(STATUS "fails to compile as expected (`${regex}`)")
endforeach()
