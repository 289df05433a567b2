#!/bin/sh
# Installs the tandem component of the build into a temporary prefix and
# builds the out-of-tree C11 program consumer/smoke.c against the *installed*
# library: with pkg-config (shared and static) and with find_package(Tandem)
# (Tandem::tandem and Tandem::tandem_static). Runs every program.
#   install_test.sh <build dir> <tests/capi dir> <cc> <cmake>
set -eu
build=$1 src=$2 cc=$3 cmake=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

"$cmake" --install "$build" --prefix "$prefix" --component tandem >"$tmp/install.log"
libdir=$(dirname "$(find "$prefix" -name 'libtandem.so.*.*' | head -1)")
for f in "$prefix/include/tandem/tandem.h" "$libdir/libtandem.a" "$libdir/pkgconfig/tandem.pc" \
         "$libdir/cmake/Tandem/TandemConfig.cmake" "$libdir/cmake/Tandem/TandemConfigVersion.cmake"; do
  [ -f "$f" ] || { echo "FAIL: not installed: $f"; exit 1; }
done
[ -L "$libdir/libtandem.so" ] || { echo "FAIL: no libtandem.so link"; exit 1; }

# pkg-config, shared.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion tandem)" != "" ]
"$cc" -std=c11 -Wall -Wextra -Werror -pedantic "$src/consumer/smoke.c" -o "$tmp/smoke_pc" \
  $(pkg-config --cflags --libs tandem)
LD_LIBRARY_PATH="$libdir" "$tmp/smoke_pc" "$tmp"
if ! readelf -d "$tmp/smoke_pc" | grep -q 'NEEDED.*libtandem.so.[0-9]'; then
  echo "FAIL: the program does not link libtandem.so by SONAME"; exit 1
fi
# pkg-config, static (needs a C++ runtime from Libs.private).
"$cc" -std=c11 -Wall -Wextra -Werror -pedantic -DTANDEM_STATIC "$src/consumer/smoke.c" \
  -o "$tmp/smoke_static" $(pkg-config --cflags tandem) "$libdir/libtandem.a" \
  $(pkg-config --static --libs tandem | sed 's/-ltandem\b//')
"$tmp/smoke_static" "$tmp"
if readelf -d "$tmp/smoke_static" | grep -q 'NEEDED.*libtandem'; then
  echo "FAIL: the static program needs libtandem.so"; exit 1
fi

# find_package(Tandem).
"$cmake" -S "$src/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" >"$tmp/configure.log" || { cat "$tmp/configure.log"; exit 1; }
"$cmake" --build "$tmp/consumer" >"$tmp/build.log" || { cat "$tmp/build.log"; exit 1; }
"$tmp/consumer/smoke_shared" "$tmp"
"$tmp/consumer/smoke_static" "$tmp"
echo "OK: installed into a prefix; pkg-config and find_package consumers (shared + static) ran"
