# Fuzz targets (fuzz/fuzz_<name>.c; docs/security.md explains how to fuzz).
#
# Every build replays each target's committed corpus, fuzz/corpus/<name>/
# (seeds from our own encoder plus one file per bug found), through
# fuzz/standalone.c as the ctest test "fuzz_<name>" (label "fuzz").
# With -DTGM_FUZZ=ON and clang, the targets are also linked with libFuzzer
# as executables named fuzz_<name>, and the library is built with the
# coverage instrumentation libFuzzer needs.
option(TGM_FUZZ "also build libFuzzer executables of the fuzz targets (clang only)" OFF)

set(TGM_FUZZ_DIR ${PROJECT_SOURCE_DIR}/fuzz)
file(GLOB TGM_FUZZ_SOURCES CONFIGURE_DEPENDS ${TGM_FUZZ_DIR}/fuzz_*.c)

if(TGM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TGM_FUZZ=ON needs clang (libFuzzer); configure with -DCMAKE_C_COMPILER=clang")
  endif()
  target_compile_options(tgm_objects PRIVATE -fsanitize=fuzzer-no-link)
  if(TARGET tgm_convert_objects)
    target_compile_options(tgm_convert_objects PRIVATE -fsanitize=fuzzer-no-link)
  endif()
endif()

set(TGM_FUZZ_DEFS ${TGM_CODEC_DEFS})

foreach(src ${TGM_FUZZ_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  # Targets of the converters' library (fuzz_tenbin) link it too.
  set(TGM_FUZZ_LIBS tgm_internal)
  if(name MATCHES "tenbin")
    if(NOT TARGET tensogram_convert_static)
      continue()
    endif()
    set(TGM_FUZZ_LIBS tensogram_convert_static tgm_internal)
  endif()
  add_executable(${name}_replay ${src} ${TGM_FUZZ_DIR}/standalone.c)
  target_link_libraries(${name}_replay PRIVATE ${TGM_FUZZ_LIBS})
  target_include_directories(${name}_replay PRIVATE ${TGM_FUZZ_DIR})
  target_compile_options(${name}_replay PRIVATE ${TGM_WARN_FLAGS})
  target_compile_definitions(${name}_replay PRIVATE ${TGM_FUZZ_DEFS})
  add_test(NAME ${name} COMMAND ${name}_replay ${TGM_FUZZ_DIR}/corpus/${name})
  set_tests_properties(${name} PROPERTIES LABELS fuzz)
  if(TGM_FUZZ)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE ${TGM_FUZZ_LIBS})
    target_include_directories(${name} PRIVATE ${TGM_FUZZ_DIR})
    target_compile_options(${name} PRIVATE ${TGM_WARN_FLAGS} -fsanitize=fuzzer)
    target_compile_definitions(${name} PRIVATE ${TGM_FUZZ_DEFS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()

# Seed generator: writes small messages, files and codec streams made by
# this library into fuzz/corpus/ (run by hand, see docs/security.md).
add_executable(fuzz_make_corpus ${TGM_FUZZ_DIR}/make_corpus.c)
target_link_libraries(fuzz_make_corpus PRIVATE tgm_internal)
target_compile_options(fuzz_make_corpus PRIVATE ${TGM_WARN_FLAGS})
target_compile_definitions(fuzz_make_corpus PRIVATE ${TGM_FUZZ_DEFS})
