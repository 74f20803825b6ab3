#!/usr/bin/env bash
# Install a build into a temporary prefix and build a small C program
# against it three ways: pkg-config (shared), pkg-config --static, and
# CMake find_package(tensogram).  Checks that the public header is enough.
set -euo pipefail
build="${1:-build/release}"
here="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$(mktemp -d /tmp/tgm-install.XXXXXX)"
work="$(mktemp -d /tmp/tgm-consumer.XXXXXX)"
trap 'rm -rf "$prefix" "$work"' EXIT

cmake --install "$here/$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"

cp "$here/examples/c/consumer.c" "$work/consumer.c"
cd "$work"
# shellcheck disable=SC2046
cc -std=c99 -Wall -Wextra -Werror consumer.c $(pkg-config --cflags --libs tensogram) -o consumer_shared
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./consumer_shared
# Static: the archive itself plus the Libs.private / Requires.private the
# .pc file lists (the linker would otherwise pick the shared library).
libdir="$(pkg-config --variable=libdir tensogram)"
static_libs="$(pkg-config --static --libs tensogram | sed "s|-ltensogram|$libdir/libtensogram.a|")"
# shellcheck disable=SC2086
cc -std=c99 -Wall -Wextra -Werror consumer.c $(pkg-config --cflags tensogram) $static_libs \
   -o consumer_static
env -u LD_LIBRARY_PATH ./consumer_static

# The C++ interface (tensogram.hpp and the async frontends) the same way.
cp "$here/examples/cpp/async_decode.cpp" "$here/examples/cpp/coro_pipeline.cpp" "$work/"
# shellcheck disable=SC2046
c++ -std=c++17 -Wall -Wextra -Werror async_decode.cpp $(pkg-config --cflags --libs tensogram) \
    -o cxx_async_decode
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./cxx_async_decode "$work/a.tgm"

# The Fortran module, when the build has one.
if [ -f "$prefix/include/tensogram.mod" ] && command -v gfortran >/dev/null; then
  cp "$here/examples/fortran/forecast_steps.f90" "$work/"
  gfortran -std=f2018 -Wall -Werror forecast_steps.f90 -I"$prefix/include" -L"$libdir" \
           -ltensogram_f -ltensogram -o fortran_steps
  LD_LIBRARY_PATH="$libdir" ./fortran_steps
fi

mkdir cmake-consumer && cd cmake-consumer
cat > CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C CXX)
find_package(tensogram REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE tensogram::tensogram)
add_executable(coro_pipeline ../coro_pipeline.cpp)
set_target_properties(coro_pipeline PROPERTIES CXX_STANDARD 20 CXX_STANDARD_REQUIRED ON)
target_link_libraries(coro_pipeline PRIVATE tensogram::tensogram)
CM
cmake -S . -B b -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build b >/dev/null
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./b/consumer
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./b/coro_pipeline "$work/c.tgm"
cd "$work"

# The converters' library, the same three ways (examples/c/convert_tenbin.c).
if pkg-config --exists tensogram_convert; then
  cp "$here/examples/c/convert_tenbin.c" "$work/convert_tenbin.c"
  # shellcheck disable=SC2046
  cc -std=c99 -Wall -Wextra -Werror convert_tenbin.c $(pkg-config --cflags --libs tensogram_convert) \
     -o convert_shared
  LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./convert_shared "$work/a.ten" >/dev/null
  static_libs="$(pkg-config --static --libs tensogram_convert |
                 sed -e "s|-ltensogram_convert|$libdir/libtensogram_convert.a|" \
                     -e "s|-ltensogram\b|$libdir/libtensogram.a|")"
  # shellcheck disable=SC2086
  cc -std=c99 -Wall -Wextra -Werror convert_tenbin.c $(pkg-config --cflags tensogram_convert) \
     $static_libs -o convert_static
  env -u LD_LIBRARY_PATH ./convert_static "$work/b.ten" >/dev/null
  mkdir cmake-convert && cd cmake-convert
  cat > CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.25)
project(convert_consumer C)
find_package(tensogram REQUIRED)
add_executable(convert_consumer ../convert_tenbin.c)
target_link_libraries(convert_consumer PRIVATE tensogram::tensogram_convert)
CM
  cmake -S . -B b -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build b >/dev/null
  LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./b/convert_consumer "$work/c.ten" >/dev/null
  echo "check-install: tensogram_convert consumers OK"
fi
echo "check-install: pkg-config (shared, static; C, C++, Fortran) and find_package consumers OK"
