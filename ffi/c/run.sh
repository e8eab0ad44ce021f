#!/usr/bin/env bash
# The C checks of libsio09: the header compiles as C99 (-Wall -Wextra -Werror) and as
# C++ (g++ -Wall -Werror); the C host (host_test.c) links against libsio09.so and runs
# the test app's core handlers for real socket.io clients (driver.js), under Valgrind
# with the epoll driver (Valgrind does not follow io_uring's shared rings) unless
# NO_VALGRIND=1. Needs `cargo build -p sio09-ffi` first (PROFILE=debug|release).
set -euo pipefail
cd "$(dirname "$0")/../.."
profile="${PROFILE:-debug}"
lib="target/$profile"
out="target/ffi-c"
mkdir -p "$out"
# The library's SONAME is libsio09.so.0: give the loader that name next to the file.
ln -sf libsio09.so "$lib/libsio09.so.0"

echo "== header: gcc -std=c99 -Wall -Wextra -Werror"
gcc -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -c ffi/c/header_check.c -o "$out/check_c.o"
echo "== header: g++ -Wall -Werror"
g++ -x c++ -Wall -Wextra -Werror -Iinclude -c ffi/c/header_check.c -o "$out/check_cpp.o"

echo "== README example: build"
gcc -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -Iinclude ffi/c/example.c \
  -L"$lib" -lsio09 -o "$out/example"

echo "== C host: build (gcc -std=c99 -Wall -Wextra -Werror)"
gcc -std=c99 -Wall -Wextra -Werror -g -Iinclude ffi/c/host_test.c -L"$lib" -lsio09 \
  -Wl,-rpath,"$PWD/$lib" -o "$out/host_test"

export SIO_IO_DRIVER=legacy
if [ "${NO_VALGRIND:-0}" = 1 ]; then
  echo "== C host: driven by socket.io clients"
  node ffi/c/driver.js "$out/host_test"
else
  echo "== C host under Valgrind: driven by socket.io clients"
  HOST_WRAPPER="valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite --quiet" \
    node ffi/c/driver.js "$out/host_test"
fi
