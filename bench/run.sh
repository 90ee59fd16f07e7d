#!/usr/bin/env bash
# make bench: figures for the MLPerf Tiny int8 models, ours beside TFLM's.
#
# Per model: planned arena bytes (inputs and outputs included), package and
# weights bytes, flash of a Cortex-M4 firmware image (text + rodata + data
# from the ELF: runtime code, weights, tables), host instructions of one
# inference (valgrind callgrind, tml_rt_invoke only), Cortex-M4 instructions
# of one inference and per MAC (QEMU mps2-an386, -icount shift=0, SysTick),
# and compile time (best of 5 runs of `tml compile`). Writes bench/RESULTS.md.
# The TFLM figures are from ../shared/models/README.md (tflite-micro 90b983c,
# measured the same way on the same QEMU).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TML="$PWD/$BUILD/tools/tml/tml"
MODELS=${TML_MODELS_DIR:-$PWD/../shared/models/mlperf-tiny}
TARGET=${TML_BENCH_TARGET:-mps2-an386}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# name, dir, TFLM arena, TFLM host instr (M), TFLM M4 ref, TFLM M4 CMSIS-NN, best-known arena KB
models=(
  "KWS kws_ref_model 24000 49.95 43023797 7697731 17.7"
  "VWW vww_96_int8 103392 121.09 100254538 24102774 40"
  "IC pretrainedResnet_quant 55712 132.85 107291574 29862437 56.7"
  "AD ad01_int8 3424 2.51 1952214 583199 3"
)

json_field() { sed -n "s/^  \"$2\": \([0-9]*\),*$/\1/p" "$1"; }

rows=()
kernels=()
for m in "${models[@]}"; do
  read -r short dir tflm_arena tflm_host_m tflm_m4_ref tflm_m4_cmsis best_kb <<<"$m"
  model="$MODELS/$dir/model.tflite"
  "$TML" inspect "$model" --json >"$OUT/$short.json"
  # The RAM-first build: portable kernels run in place, residual blocks streamed.
  "$TML" compile "$model" --target "$TARGET" --optimize ram -o "$OUT/$short.ram.tmlm" \
    >"$OUT/compile.ram.$short"
  arena=$(sed -n 's/.*arena \([0-9]*\) bytes.*/\1/p' "$OUT/compile.ram.$short" | tail -1)
  weights=$(json_field "$OUT/$short.json" weights_bytes)
  macs=$(json_field "$OUT/$short.json" macs)

  best_ns=
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$TML" compile "$model" --target "$TARGET" -o "$OUT/$short.tmlm" >"$OUT/compile.$short"
    t1=$(date +%s%N)
    ns=$((t1 - t0))
    if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then best_ns=$ns; fi
  done
  compile_ms=$(awk -v ns="$best_ns" 'BEGIN { printf "%.1f", ns / 1e6 }')
  pkg_bytes=$(stat -c %s "$OUT/$short.tmlm")
  m4_arena=$(sed -n 's/.*arena \([0-9]*\) bytes.*/\1/p' "$OUT/compile.$short" | tail -1)

  host_instr=n/a
  if command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --toggle-collect=tml_rt_invoke --callgrind-out-file="$OUT/cg.$short" \
      "$TML" run "$OUT/$short.tmlm" --input "$MODELS/$dir/in_seed1.bin" --output "$OUT/host.bin" \
      >/dev/null 2>&1
    host_instr=$(awk '/^(summary|totals):/ { print $2; exit }' "$OUT/cg.$short")
  fi

  # Flash of the leanest build: standalone C, RAM first, for the M4.
  c_flash=n/a
  if command -v arm-none-eabi-gcc >/dev/null; then
    "$TML" compile "$model" --target "$TARGET" --optimize ram --backend c --name m -o "$OUT/c.$short" >/dev/null
    (cd "$OUT/c.$short" && arm-none-eabi-gcc -std=c99 -O2 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard \
      -mfpu=fpv4-sp-d16 -ffunction-sections -fdata-sections -I. -c m.c tml/*.c)
    c_flash=$(cd "$OUT/c.$short" && arm-none-eabi-size -t ./*.o | awk 'END { print $1 + $2 }')
  fi

  mkdir -p "$OUT/run.$short"
  cp "$MODELS/$dir/in_seed1.bin" "$OUT/run.$short/input.bin"
  "$TML" firmware "$OUT/$short.tmlm" --board "$TARGET" -o "$OUT/$short.elf" --run "$OUT/run.$short" \
    --profile >"$OUT/fw.$short" 2>&1 || { cat "$OUT/fw.$short"; exit 1; }
  flash=$(sed -n 's/^  flash \([0-9]*\) bytes.*/\1/p' "$OUT/fw.$short")
  m4_instr=$(sed -n 's/^instructions: \([0-9]*\)/\1/p' "$OUT/fw.$short")
  exact=no
  cmp -s "$OUT/run.$short/output.bin" "$MODELS/$dir/out_seed1.bin" && exact=yes

  # Where the M4 instructions go: the profile's "op I KERNEL: N" lines summed per kernel.
  kernels+=("$(awk -v s="$short" -v total="$m4_instr" -v macs="$macs" '
    /^op [0-9]+ / { k = $3; sub(/:$/, "", k); n[k] += $4; c[k]++ }
    END { for (k in n) printf "| %s | %s | %d | %d | %.1f%% |\n", s, k, c[k], n[k], 100 * n[k] / total }
  ' "$OUT/fw.$short" | sort -t'|' -k5,5nr)")
  rows+=("$short|$arena|$tflm_arena|$best_kb|$m4_arena|$weights|$pkg_bytes|$c_flash|$flash|$host_instr|$tflm_host_m|$m4_instr|$tflm_m4_ref|$tflm_m4_cmsis|$macs|$compile_ms|$exact")
done

report() {
  echo "| model | arena B (ram) | vs TFLM | best known | M4 arena B (speed) | weights B | package B | C flash B (ram) | M4 flash B | host instr | vs TFLM | M4 instr | vs TFLM ref | vs CMSIS-NN | M4 instr/MAC | compile ms | M4 bit-exact |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do
    IFS='|' read -r short arena tflm_arena best_kb m4a weights pkg cf flash host tflm_host_m m4 m4_ref m4_cmsis macs ms exact <<<"$r"
    awk -v s="$short" -v a="$arena" -v ta="$tflm_arena" -v bk="$best_kb" -v m4a="$m4a" -v w="$weights" -v p="$pkg" -v cf="$cf" \
        -v f="$flash" -v h="$host" -v th="$tflm_host_m" -v m="$m4" -v mr="$m4_ref" -v mc="$m4_cmsis" \
        -v macs="$macs" -v ms="$ms" -v ex="$exact" 'BEGIN {
      hr = (h == "n/a") ? "n/a" : sprintf("%.2fx", h / (th * 1e6));
      printf "| %s | %d | %.2fx | %.1f KB | %d | %d | %d | %s | %d | %s | %s | %d | %.2fx | %.2fx | %.2f | %s | %s |\n",
             s, a, a / ta, bk, m4a, w, p, cf, f, h, hr, m, m / mr, m / mc, m / macs, ms, ex }'
  done
}

table=$(report)
echo "$table"
{
  echo "# Benchmark results"
  echo
  echo "Measured by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), target profile \`$TARGET\`,"
  echo "tml $("$TML" version | awk '{print $2}'). Lower is better everywhere; ratios are ours / theirs."
  echo
  echo "$table"
  echo
  echo "Columns and sources:"
  echo "- **arena B (ram)**: our planned arena with \`--optimize ram\` (portable kernels run in place, residual blocks streamed),"
  echo "  graph input and output included. **vs TFLM**: against"
  echo "  TFLM's \`arena_used_bytes\` for the same model (../shared/models/README.md: tflite-micro"
  echo "  90b983c, reference kernels, x86-64)."
  echo "- **best known**: the smallest arena (KB, input and output included) published for each model"
  echo "  as collected in this project's issue 5 (17.7 / 40 / 56.7 / 3 KB); TFLM with CMSIS-NN needs"
  echo "  22.8 / 100.7 / 55.0 / 2.6 KB on the M4 (../shared/models/README.md)."
  echo "- **M4 arena B (speed)**: the arena of the package compiled for the M4 with its DSP kernels"
  echo "  (the default, \`--optimize speed\`), which is what the M4 columns run."
  echo "- **C flash B (ram)**: text + rodata of the standalone C the \`c\` backend writes with"
  echo "  \`--optimize ram\`, built for Cortex-M4 (-O2): weights, tables, params and the kernels called;"
  echo "  all a firmware needs for the model (issue 5's VWW target: at most 60 KB)."
  echo "- **M4 flash B**: text + rodata + data of the whole Cortex-M4 image that \`tml firmware\` builds"
  echo "  (startup, semihosting, runtime with every kernel, the package). For comparison TFLM's KWS"
  echo "  image with reference kernels is 49,692 B text + 55,772 B rodata (same README)."
  echo "- **host instr**: instructions of one \`tml_rt_invoke\` under valgrind callgrind on x86-64;"
  echo "  TFLM's host instructions per \`Invoke()\` from the same README, same method."
  echo "- **M4 instr**: instructions of one inference on QEMU 7.2 mps2-an386 with -icount shift=0,"
  echo "  counted with SysTick around \`tml_rt_invoke\`; TFLM's counts (reference kernels, and with"
  echo "  CMSIS-NN) from the same README, counted between markers on the same QEMU."
  echo "- **compile ms**: best of five \`tml compile --target $TARGET\` runs, whole process."
  echo "- **M4 bit-exact**: the image's output.bin equals TFLM's reference output for in_seed1."
  echo
  echo "## Where the Cortex-M4 instructions go"
  echo
  echo "From \`tml firmware --profile\` (each op timed alone in a second inference), summed per kernel."
  echo
  echo "| model | kernel | ops | M4 instr | share |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${kernels[@]}"
} >bench/RESULTS.md
echo "wrote bench/RESULTS.md"
