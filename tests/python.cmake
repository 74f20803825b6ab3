# The Python package's tests (python/tests, pytest), run by ctest.
#
# The driver installs the package exactly as documented -- a venv over
# /usr/bin/python3 with the system site-packages, then
# `pip install --no-build-isolation` of the package -- into this build tree
# (pip builds a copy of python/ made there: nothing is written into the
# source tree), and runs pytest with it.  It reports itself skipped (exit 77) when the
# interpreter lacks numpy, pytest, venv or setuptools.  Sanitizer builds
# leave it out: the extension is compiled by setuptools, not by this build.
if(NOT TGM_SANITIZE AND NOT TGM_TSAN)
  set(TGM_PYTHON "/usr/bin/python3" CACHE FILEPATH "Python interpreter for the Python package tests")
  get_filename_component(TGM_REFERENCE_SOURCE_DEFAULT "${PROJECT_SOURCE_DIR}/../ref" ABSOLUTE)
  # One install (a ctest fixture) shared by the package's tests and the
  # examples/python scripts (test_examples.py, label "examples").
  set(_tgm_py_driver bash ${PROJECT_SOURCE_DIR}/python/tests/ctest_driver.sh
                     ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/python)
  set(_tgm_py_examples ${PROJECT_SOURCE_DIR}/python/tests/test_examples.py)
  add_test(NAME python_install COMMAND ${_tgm_py_driver} install)
  add_test(NAME python_pytest
           COMMAND ${_tgm_py_driver} test ${PROJECT_SOURCE_DIR}/python/tests
                   --ignore=${_tgm_py_examples})
  add_test(NAME python_examples COMMAND ${_tgm_py_driver} test ${_tgm_py_examples})
  set_tests_properties(python_install PROPERTIES
    SKIP_RETURN_CODE 77 TIMEOUT 1800 LABELS "python;examples" FIXTURES_SETUP tgm_python_package
    ENVIRONMENT "TGM_PYTHON=${TGM_PYTHON}")
  set_tests_properties(python_pytest python_examples PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 1800
    FIXTURES_REQUIRED tgm_python_package
    ENVIRONMENT "TGM_PYTHON=${TGM_PYTHON};TGM_SHARED_DIR=${TGM_SHARED_DIR};TGM_REFERENCE_SOURCE=${TGM_REFERENCE_SOURCE_DEFAULT}")
  set_tests_properties(python_pytest PROPERTIES LABELS python)
  set_tests_properties(python_examples PROPERTIES LABELS "python;examples")
  # test_plot.py drives `tensogram plot` of this build
  if(TARGET tensogram_cli)
    set_property(TEST python_pytest APPEND PROPERTY ENVIRONMENT
                 "TENSOGRAM_CLI=$<TARGET_FILE:tensogram_cli>")
  endif()
endif()
