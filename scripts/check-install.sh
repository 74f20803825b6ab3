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

mkdir cmake-consumer && cd cmake-consumer
cat > CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.25)
project(consumer C)
find_package(tensogram REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE tensogram::tensogram)
CM
cmake -S . -B b -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build b >/dev/null
LD_LIBRARY_PATH="$prefix/lib:$prefix/lib/x86_64-linux-gnu" ./b/consumer
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
echo "check-install: pkg-config (shared, static) and find_package consumers OK"
