#!/bin/sh
# Each public runtime header compiles on its own (C17, and as C++ where a
# C++ compiler exists, since headers carry extern "C" guards).
set -u
cc=${CC:-cc}
inc="$1/runtime/include"
fail=0 n=0
for h in "$inc"/lvm/*.h; do
  n=$((n + 1))
  if ! printf '#include "lvm/%s"\n' "$(basename "$h")" |
      "$cc" -std=c17 -Wall -Wextra -Werror -fsyntax-only -I "$inc" -x c - ; then
    echo "FAIL: $h does not compile on its own"
    fail=$((fail + 1))
  fi
done
echo "headers: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
