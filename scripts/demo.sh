#!/usr/bin/env bash
# make demo: the project's main job on its embedded defaults.
#
# Today: the four MLPerf Tiny int8 models (../shared/models/mlperf-tiny) go
# through the `tml` CLI as a user would drive it: inspect, compile to a
# .tmlm package, run every reference input on the package, and compare with
# TensorFlow Lite Micro's outputs byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TML="$BUILD/tools/tml/tml"
MODELS=${TML_MODELS_DIR:-../shared/models/mlperf-tiny}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

if [ ! -d "$MODELS" ]; then
  echo "demo: $MODELS not found (the MLPerf Tiny models live in ../shared)" >&2
  exit 1
fi

"$TML" version
printf '\n%-24s %12s %14s %12s %14s  %s\n' model "arena B" "weights B" MACs "package B" "outputs vs TFLM"
status=0
for name in kws_ref_model vww_96_int8 pretrainedResnet_quant ad01_int8; do
  model="$MODELS/$name/model.tflite"
  json="$OUT/$name.json"
  "$TML" inspect "$model" --json >"$json"
  field() { sed -n "s/^  \"$1\": \([0-9]*\),*$/\1/p" "$json"; }
  "$TML" compile "$model" -o "$OUT/$name.tmlm" >/dev/null
  n=0; ok=0
  for input in "$MODELS/$name"/in_*.bin; do
    case_name=$(basename "$input" .bin); case_name=${case_name#in_}
    "$TML" run "$OUT/$name.tmlm" --input "$input" --output "$OUT/out.bin"
    n=$((n + 1))
    if cmp -s "$OUT/out.bin" "$MODELS/$name/out_$case_name.bin"; then ok=$((ok + 1)); fi
  done
  verdict="$ok/$n bit-exact"
  [ "$ok" -eq "$n" ] || { verdict="$verdict  MISMATCH"; status=1; }
  printf '%-24s %12s %14s %12s %14s  %s\n' "$name" "$(field arena_bytes)" "$(field weights_bytes)" \
    "$(field macs)" "$(stat -c %s "$OUT/$name.tmlm")" "$verdict"
done
exit $status
