# Warnings and sanitizers as interface targets, never as global flags.
add_library(chconn_warnings INTERFACE)
target_compile_options(chconn_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  # Designated initialisers that leave fields at their defaults are the intended style (STYLE.md).
  -Wno-missing-field-initializers)
if(CHCONN_WERROR)
  target_compile_options(chconn_warnings INTERFACE -Werror)
endif()

add_library(chconn_sanitizers INTERFACE)
if(CHCONN_SANITIZE)
  string(REPLACE ";" "," _chconn_san "${CHCONN_SANITIZE}")
  target_compile_options(chconn_sanitizers INTERFACE -fsanitize=${_chconn_san} -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  target_link_options(chconn_sanitizers INTERFACE -fsanitize=${_chconn_san})
  # clang 14's -fsanitize=function (part of undefined) cannot compile C++20 coroutines ("Cannot
  # represent a difference across sections", llvm/llvm-project#49689, fixed in 15); the async
  # connection's coroutines need it off there.
  if("undefined" IN_LIST CHCONN_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang"
     AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 15)
    target_compile_options(chconn_sanitizers INTERFACE -fno-sanitize=function)
  endif()
  # GCC 12 warns (-Wtsan, an error under CHCONN_WERROR) that ThreadSanitizer does not model
  # std::atomic_thread_fence, which Boost.Asio's headers use; the warning is about the sanitizer's
  # reach, not our code, so it is kept quiet in the TSan build.
  if("thread" IN_LIST CHCONN_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
     AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12)
    target_compile_options(chconn_sanitizers INTERFACE -Wno-tsan)
  endif()
endif()
