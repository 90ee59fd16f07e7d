#!/usr/bin/env bash
# check_runtime_freestanding.sh SOURCE_DIR BUILD_DIR
#
# Cross-builds libtmlrt for the Cortex-M4 (as `make cross` does) and checks
# that it stays freestanding: the only symbols it needs from outside are the
# four mem* functions the compiler may emit, libgcc's helpers (__aeabi_*,
# soft-float and 64-bit arithmetic) and libm's math functions. Anything else
# (malloc, printf, errno, abort, ...) fails the test. Exits 77 (skipped)
# without arm-none-eabi-gcc.
set -uo pipefail
src=$1
out=$2
if ! command -v arm-none-eabi-gcc >/dev/null || ! command -v arm-none-eabi-nm >/dev/null; then
  echo "SKIP: arm-none-eabi-gcc/nm not installed"
  exit 77
fi
mkdir -p "$out"
if ! cmake -S "$src" -B "$out" -DTML_RUNTIME_ONLY=ON -DTML_CPU=cortex-m4 \
     -DCMAKE_TOOLCHAIN_FILE="$src/cmake/arm-none-eabi.cmake" \
     -DCMAKE_BUILD_TYPE=MinSizeRel >"$out/configure.log" 2>&1; then
  cat "$out/configure.log"
  echo "FAIL: configuring the cortex-m4 runtime build"
  exit 1
fi
if ! cmake --build "$out" -j 2 >"$out/build.log" 2>&1; then
  cat "$out/build.log"
  echo "FAIL: cross-building the runtime for cortex-m4"
  exit 1
fi
lib="$out/runtime/libtmlrt.a"
[ -f "$lib" ] || { echo "FAIL: $lib was not built"; exit 1; }

arm-none-eabi-nm -A -u "$lib" | awk '{print $NF}' | sort -u >"$out/undefined.txt"
arm-none-eabi-nm -A --defined-only "$lib" | awk '{print $NF}' | sort -u >"$out/defined.txt"
# Undefined in one object and defined in none: what the library needs.
comm -23 "$out/undefined.txt" "$out/defined.txt" >"$out/needed.txt"

libm='(exp|exp2|expm1|log|log2|log10|log1p|pow|sqrt|cbrt|hypot|tanh|sinh|cosh|sin|cos|tan|asin|acos|atan|atan2|erf|erfc|floor|ceil|round|lround|llround|rint|lrint|llrint|nearbyint|trunc|fabs|fmin|fmax|fmod|frexp|ldexp|scalbn|copysign)f?'
allowed="^(memcpy|memset|memmove|memcmp|__aeabi_[a-z0-9_]+|__gnu_[a-z0-9_]+|__(add|sub|mul|div|mod|udiv|umod|neg|cmp|ucmp|fix|fixuns|float|floatun|extend|trunc|eq|ne|lt|le|gt|ge|unord|ashl|ashr|lshr|clz|ctz|popcount|bswap|ffs|parity)[a-z0-9]*[0-9]|${libm})\$"
bad=$(grep -Ev "$allowed" "$out/needed.txt" || true)
echo "runtime (cortex-m4) needs: $(tr '\n' ' ' <"$out/needed.txt")"
if [ -n "$bad" ]; then
  echo "FAIL: the runtime is not freestanding; it needs:"
  echo "$bad"
  for sym in $bad; do
    arm-none-eabi-nm -A -u "$lib" | awk -v s="$sym" '$NF == s {print "  " $1}'
  done
  exit 1
fi
echo "OK: only mem*, libgcc and libm symbols are needed"
