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
  add_test(NAME python_pytest
           COMMAND bash ${PROJECT_SOURCE_DIR}/python/tests/ctest_driver.sh
                   ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/python)
  set_tests_properties(python_pytest PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 1800
    LABELS python
    ENVIRONMENT "TGM_PYTHON=${TGM_PYTHON};TGM_SHARED_DIR=${TGM_SHARED_DIR};TGM_REFERENCE_SOURCE=${TGM_REFERENCE_SOURCE_DEFAULT}")
  # test_plot.py drives `tensogram plot` of this build
  if(TARGET tensogram_cli)
    set_property(TEST python_pytest APPEND PROPERTY ENVIRONMENT
                 "TENSOGRAM_CLI=$<TARGET_FILE:tensogram_cli>")
  endif()
endif()
