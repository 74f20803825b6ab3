# The C++ interface (include/tensogram.hpp, include/tensogram/async/*.hpp):
# GoogleTest suites of our own, C++17 and, for the coroutine frontend,
# C++20.  The reference's own C++ suite is run against the installed
# library by scripts/ref-cpp-tests.sh (docs/cpp.md).
find_package(GTest QUIET)
if(GTest_FOUND)
  function(tgm_cpp_test name std)
    add_executable(${name} ${ARGN})
    set_target_properties(${name} PROPERTIES CXX_STANDARD ${std} CXX_STANDARD_REQUIRED ON
                          CXX_EXTENSIONS OFF)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include)
    target_compile_options(${name} PRIVATE -Wall -Wextra -Wpedantic -Werror)
    target_link_libraries(${name} PRIVATE tensogram_static ${TGM_LINK_DEPS} GTest::gtest
                          GTest::gtest_main)
    add_test(NAME ${name} COMMAND ${name} --gtest_brief=1
             WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(${name} PROPERTIES LABELS cpp)
  endfunction()
  tgm_cpp_test(test_cpp_api 17 ${CMAKE_CURRENT_SOURCE_DIR}/cpp/test_cpp_api.cpp)
  tgm_cpp_test(test_cpp_async 17 ${CMAKE_CURRENT_SOURCE_DIR}/cpp/test_cpp_async.cpp)
  tgm_cpp_test(test_cpp_coro 20 ${CMAKE_CURRENT_SOURCE_DIR}/cpp/test_cpp_coro.cpp)
else()
  message(STATUS "GoogleTest not found: C++ interface tests left out (Debian: libgtest-dev)")
endif()

# The C++ examples run as tests too (they check their own results).
foreach(ex example_cpp_async_decode example_cpp_coro_pipeline)
  if(TARGET ${ex})
    add_test(NAME ${ex} COMMAND ${ex} ${CMAKE_CURRENT_BINARY_DIR}/${ex}.tgm)
    set_tests_properties(${ex} PROPERTIES LABELS examples)
  endif()
endforeach()

# The reference's C++ suite against this build (needs its sources at
# ../ref; a few minutes to compile, so only on request).
option(TGM_REFERENCE_SUITES "also run the reference's C++ and Fortran test suites" OFF)
if(TGM_REFERENCE_SUITES)
  add_test(NAME reference_cpp_suite
           COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/ref-cpp-tests.sh ${PROJECT_BINARY_DIR})
  set_tests_properties(reference_cpp_suite PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 1800
                       LABELS reference)
endif()
