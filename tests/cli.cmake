# Scenario tests of the `tensogram` command-line tool: each tests/cli/*.t
# file is one ctest test run by tests/cli/run_scenarios.sh.
if(TARGET tensogram_cli)
  add_executable(cli_helper ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_helper.c)
  target_link_libraries(cli_helper PRIVATE tensogram m)
  target_compile_options(cli_helper PRIVATE ${TGM_WARN_FLAGS})
  file(GLOB TGM_CLI_SCENARIOS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/cli/*.t)
  foreach(scenario ${TGM_CLI_SCENARIOS})
    get_filename_component(name ${scenario} NAME_WE)
    add_test(NAME cli_${name}
             COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_scenarios.sh ${scenario})
    set_tests_properties(cli_${name} PROPERTIES
      SKIP_RETURN_CODE 77
      LABELS cli
      ENVIRONMENT "TENSOGRAM=$<TARGET_FILE:tensogram_cli>;CLI_HELPER=$<TARGET_FILE:cli_helper>;REF=${TGM_SHARED_DIR}")
  endforeach()
endif()
