#!/bin/sh
# ABI hygiene of libtandem.so: it exports only tandem_* (plus the TANDEM_0
# version node), exactly the functions tandem.h declares, under SONAME
# libtandem.so.<major>; and the C tests call every exported function.
#   symbols_test.sh <libtandem.so> <tandem.h> <tests/capi dir> <major>
set -eu
lib=$1 header=$2 tests=$3 major=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//' | grep -vx 'TANDEM_0' | sort -u >"$tmp/exported"
if grep -v '^tandem_' "$tmp/exported" >"$tmp/foreign"; then
  echo "FAIL: libtandem.so exports symbols outside tandem_*:"; head -20 "$tmp/foreign"; exit 1
fi
grep -E '^TANDEM_API' "$header" | grep -oE 'tandem_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
  echo "FAIL: exported symbols differ from the functions tandem.h declares"; exit 1
fi
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [ "$soname" != "libtandem.so.$major" ]; then
  echo "FAIL: SONAME is '$soname', expected libtandem.so.$major"; exit 1
fi
missing=0
for f in $(cat "$tmp/exported"); do
  if ! grep -q "\b$f(" "$tests"/*.c; then echo "not exercised by tests/capi/*.c: $f"; missing=1; fi
done
[ $missing -eq 0 ] || { echo "FAIL: exported functions without a C test"; exit 1; }
echo "OK: $(wc -l <"$tmp/exported") tandem_* symbols, SONAME $soname"
