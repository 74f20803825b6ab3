# The Fortran module (fortran/tensogram.f90), when a Fortran compiler was
# found: our own test program, and on request (TGM_REFERENCE_SUITES) the
# reference's Fortran tests against the installed module
# (scripts/ref-fortran-tests.sh, docs/fortran.md).
if(TARGET tensogram_f)
  add_executable(test_fortran ${CMAKE_CURRENT_SOURCE_DIR}/fortran/test_fortran.f90)
  target_compile_options(test_fortran PRIVATE -std=f2018 -Wall)
  target_link_libraries(test_fortran PRIVATE tensogram_f)
  add_test(NAME test_fortran COMMAND test_fortran)
  set_tests_properties(test_fortran PROPERTIES LABELS fortran ENVIRONMENT "TMPDIR=${CMAKE_CURRENT_BINARY_DIR}")
  if(TGM_REFERENCE_SUITES)
    add_test(NAME reference_fortran_suite
             COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/ref-fortran-tests.sh ${PROJECT_BINARY_DIR})
    set_tests_properties(reference_fortran_suite PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 1800
                         LABELS reference)
  endif()
endif()

# The Fortran example runs as a test too (it stops on any error).
if(TARGET tensogram_f)
  add_executable(example_fortran_forecast_steps
                 ${PROJECT_SOURCE_DIR}/examples/fortran/forecast_steps.f90)
  target_compile_options(example_fortran_forecast_steps PRIVATE -std=f2018 -Wall)
  target_link_libraries(example_fortran_forecast_steps PRIVATE tensogram_f)
  add_test(NAME example_fortran_forecast_steps COMMAND example_fortran_forecast_steps
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(example_fortran_forecast_steps PROPERTIES LABELS "fortran;examples")
endif()
