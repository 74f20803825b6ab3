# The public header compiles alone as strict C99 and as C++11.
add_library(tgm_header_c99 OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/header/header_c99.c)
set_target_properties(tgm_header_c99 PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON
                      C_EXTENSIONS OFF)
target_include_directories(tgm_header_c99 PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(tgm_header_c99 PRIVATE -Wall -Wextra -Wpedantic -Werror)
add_library(tgm_header_cxx OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/header/header_cxx.cpp)
set_target_properties(tgm_header_cxx PROPERTIES CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON
                      CXX_EXTENSIONS OFF)
target_include_directories(tgm_header_cxx PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_compile_options(tgm_header_cxx PRIVATE -Wall -Wextra -Wpedantic -Werror)
