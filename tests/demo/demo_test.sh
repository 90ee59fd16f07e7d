#!/usr/bin/env bash
# demo_test.sh BUILD_DIR - runs `make demo`'s script once (ONCE=1) against a
# build tree and checks its summary: both models (TFLite and ONNX) pushed,
# the dry-run plans, installs on every profile for the TFLite model, the
# ONNX model refused on the small profiles and installed on the others with
# a first inference per group, `tml deployments ls` listing exactly the two
# rollouts (the dry runs stored nothing), the URLs and token printed, and
# the service gone after it returns.
set -euo pipefail
BUILD=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")/../.."
MODELS=${TML_MODELS_DIR:-../shared/models/mlperf-tiny}
if [ ! -f "$MODELS/kws_ref_model/model.tflite" ]; then
  echo "demo_test: $MODELS not found, skipping"
  exit 77
fi
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

rc=0
ONCE=1 DEMO_WAIT_SCALE=${DEMO_WAIT_SCALE:-2} TML_MODELS_DIR="$MODELS" bash scripts/demo.sh "$BUILD" >"$LOG" 2>&1 || rc=$?
cat "$LOG"
echo "---- demo_test checks"
fails=0
ok() { echo "ok:   $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
has() { # has REGEX WHAT
  if grep -Eq -- "$1" "$LOG"; then ok "$2"; else bad "$2 (no line matching /$1/)"; fi
}
count() { grep -Ec -- "$1" "$LOG" || true; }

[ "$rc" -eq 0 ] && ok "demo.sh exited 0" || bad "demo.sh exited $rc"
has '^kws_ref_model .* 5/5 bit-exact$' "the MLPerf Tiny table comes first"
has '^kws@1: tflite, ' "the TFLite model pushed"
has '^democnn@1: onnx, ' "the ONNX model pushed"
has '^plan \(--dry-run\): 30 devices: 30 fit, 0 refused' "dry run of kws@1: every device fits"
has '^plan \(--dry-run\): 30 devices: 18 fit, 12 refused' "dry run of democnn@1: 12 refused"
has '^deployment 1: kws@1 done' "kws@1 rollout done"
has '^deployment 2: democnn@1 done' "democnn@1 rollout done"
has '^\[#+\] 30/30 done' "progress printed as it goes"
for p in nrf52840 stm32f746 rp2040 esp32c3 stm32l4r5; do
  n=$(count "^  $p +6  fitted   package +[0-9]+ +6/6 +demo-[0-9]+: class [0-9]+, ")
  [ "$n" -ge 1 ] && ok "$p: kws@1 fitted, installed 6/6, first inference" || bad "$p: no fitted row with 6/6 and an inference"
done
for p in nrf52840 rp2040; do
  has "^  $p +6  refused  - +- +0/6 +does not fit $p: needs [0-9]+ bytes of RAM" "$p: democnn@1 refused for RAM"
done
[ "$(count '^  [a-z0-9]+ +[0-9]+  fitted .* [1-9][0-9]*/[0-9]+ +demo-[0-9]+: class')" -eq 8 ] &&
  ok "8 fitted groups (5 + 3) with installs and a first inference" || bad "not 8 fitted groups with installs"
has '^demo: kws@1: 30 installed, 0 refused, 0 failed$' "kws@1 summary"
has '^demo: democnn@1: 18 installed, 12 refused, 0 failed$' "democnn@1 summary"
has '^1 +kws@1 +done +30/30' "tml deployments ls: kws@1"
has '^2 +democnn@1 +done +18/18' "tml deployments ls: democnn@1"
[ "$(count '^[0-9]+ +[a-z]+@1 +[a-z]+ +[0-9]+/[0-9]+')" -eq 2 ] && ok "tml deployments ls: the dry runs stored no deployment" ||
  bad "tml deployments ls does not list exactly two deployments"
has '^installed: ' "installed models now"
has '^demo: API       http://127\.0\.0\.1:[0-9]+/api/v1' "API URL"
has '^demo: dashboard http://127\.0\.0\.1:[0-9]+/$' "dashboard URL"
has '^demo: token     tml_demo_[0-9a-f]{32}$' "token"
has '^demo: done \(ONCE=1\)$' "ONCE=1 ends by itself"
api=$(sed -n 's|^demo: dashboard \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' "$LOG")
if [ -n "$api" ] && curl -s -o /dev/null --max-time 2 "$api/api/v1/openapi.json"; then
  bad "tmlaasd still answers at $api after demo.sh returned"
else
  ok "tmlaasd stopped after demo.sh returned"
fi
echo "demo_test: $fails failed"
[ "$fails" -eq 0 ]
