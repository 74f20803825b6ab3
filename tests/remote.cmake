# Remote access against real servers on the loopback interface (nginx over
# HTTP/1.1 and HTTPS + HTTP/2, s3rver behind a botocore signature gate, and
# our fault-injecting server), started and stopped by tests/remote/harness.py.
# The harness reports the test skipped (77) when a server program is missing.
if(TGM_WITH_REMOTE)
  set(TGM_NPM_PREFIX "$ENV{HOME}/.cache/tensogram/npm" CACHE PATH
      "where scripts/install-deps.sh installs s3rver (npm)")
  add_executable(test_remote ${CMAKE_CURRENT_SOURCE_DIR}/remote/test_remote.c)
  target_link_libraries(test_remote PRIVATE tgm_internal)
  target_compile_options(test_remote PRIVATE ${TGM_WARN_FLAGS} -Wno-missing-prototypes)
  target_compile_definitions(test_remote PRIVATE TGM_DEFAULT_SHARED_DIR="${TGM_SHARED_DIR}")
  add_test(NAME remote_servers
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/remote/harness.py
                   --work ${CMAKE_CURRENT_BINARY_DIR}/remote-work --servers fault,nginx,s3
                   --shared ${TGM_SHARED_DIR} --npm-prefix ${TGM_NPM_PREFIX}
                   -- $<TARGET_FILE:test_remote>)
  set_tests_properties(remote_servers PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS remote)
endif()
if(TGM_WITH_REMOTE AND TARGET tensogram_cli)
  add_test(NAME remote_cli
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/remote/harness.py
                   --work ${CMAKE_CURRENT_BINARY_DIR}/remote-cli-work --servers nginx
                   --shared ${TGM_SHARED_DIR}
                   -- bash ${CMAKE_CURRENT_SOURCE_DIR}/remote/cli_remote.sh $<TARGET_FILE:tensogram_cli>
                      ${TGM_SHARED_DIR} ${CMAKE_CURRENT_BINARY_DIR}/remote-cli-work/out
                      $<TARGET_FILE:cli_helper>)
  set_tests_properties(remote_cli PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS remote)
endif()
if(TGM_WITH_REMOTE)
  # The async API on remote files: parity, no worker held, cancellation.
  add_executable(test_remote_async ${CMAKE_CURRENT_SOURCE_DIR}/remote/test_remote_async.c)
  target_link_libraries(test_remote_async PRIVATE tgm_internal)
  target_compile_options(test_remote_async PRIVATE ${TGM_WARN_FLAGS} -Wno-missing-prototypes)
  target_compile_definitions(test_remote_async PRIVATE TGM_DEFAULT_SHARED_DIR="${TGM_SHARED_DIR}")
  add_test(NAME remote_async
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/remote/harness.py
                   --work ${CMAKE_CURRENT_BINARY_DIR}/remote-async-work --servers fault,nginx
                   --shared ${TGM_SHARED_DIR}
                   -- $<TARGET_FILE:test_remote_async>)
  set_tests_properties(remote_async PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 900 LABELS remote)
endif()
if(TGM_WITH_REMOTE)
  # Streamed reads of large objects (straight into the result, zstd decoded
  # while it downloads) against the fault server: parity, resumed parts,
  # truncation, another version mid-way, corrupted bytes.
  add_executable(test_remote_stream ${CMAKE_CURRENT_SOURCE_DIR}/remote/test_remote_stream.c)
  target_link_libraries(test_remote_stream PRIVATE tgm_internal)
  target_compile_options(test_remote_stream PRIVATE ${TGM_WARN_FLAGS} -Wno-missing-prototypes)
  add_test(NAME remote_stream
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/remote/harness.py
                   --work ${CMAKE_CURRENT_BINARY_DIR}/remote-stream-work --servers fault
                   -- $<TARGET_FILE:test_remote_stream>)
  set_tests_properties(remote_stream PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600 LABELS remote)
endif()
