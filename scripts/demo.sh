#!/usr/bin/env bash
# make demo: the project's main job on its embedded defaults, then the service.
#
# 1. The four MLPerf Tiny int8 models (../shared/models/mlperf-tiny) go
#    through the `tml` CLI as a user would drive it: inspect, compile to a
#    .tmlm package, run every reference input on the package, and compare
#    with TensorFlow Lite Micro's outputs byte for byte.
# 2. The service: tmlaasd on a temporary SQLite store (free loopback ports),
#    tml-sim with 30 LwM2M devices of five profiles, a TFLite model (MLPerf
#    Tiny keyword spotting) and an ONNX model (a small CNN exported from
#    PyTorch now) pushed with `tml models push` and deployed to every device
#    in staged rollouts with `tml deploy`. After each rollout, a line per
#    device group (profile): fitted or refused (why), backend, RAM bytes,
#    installed count and the first inference the devices reported. Then the
#    API and dashboard URLs with the token, and it serves until Ctrl-C.
#
# ONCE=1 stops after the summary (the test, tests/demo/demo_test.sh, does).
# DEMO_DEVICES (30) and DEMO_PROFILES change the fleet; DEMO_WAIT_SCALE
# multiplies every wait (slow builds).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
TML="$BUILD/tools/tml/tml"
MODELS=${TML_MODELS_DIR:-../shared/models/mlperf-tiny}
OUT=$(mktemp -d)

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
[ "$status" -eq 0 ] || echo "demo: MLPerf Tiny outputs differ from TFLM" >&2

# ---------------------------------------------------------------------------
# The service: tmlaasd + tml-sim, two models, two staged rollouts.
DAEMON="$BUILD/server/tmlaasd"
SIM="$BUILD/sim/tml-sim"
PY=/usr/bin/python3
ONCE=${ONCE:-0}
NDEV=${DEMO_DEVICES:-30}
PROFILES=${DEMO_PROFILES:-nrf52840,stm32f746,rp2040,esp32c3,stm32l4r5}
SCALE=${DEMO_WAIT_SCALE:-1}
TOKEN="tml_demo_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
DAEMON_PID=""
SIM_PID=""
DEPLOY_PID=""

for f in "$DAEMON" "$SIM" "$TML"; do
  [ -x "$f" ] || { echo "demo: $f not built (make build)" >&2; exit 1; }
done
[ -x "$PY" ] || { echo "demo: $PY not found (it exports the ONNX model)" >&2; exit 1; }

# Stop a child: SIGTERM, up to 5 s, then SIGKILL.
stop() {
  local pid=$1 i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop "$DEPLOY_PID"
  stop "$SIM_PID"
  stop "$DAEMON_PID"
  rm -rf "$OUT"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"; exit 130' INT
trap 'exit 143' TERM

# Seconds, multiplied by DEMO_WAIT_SCALE.
secs() { echo $(( $1 * SCALE )); }
fail() { echo "demo: $*" >&2; exit 1; }

# The ONNX model, exported while the service starts.
"$PY" tests/demo/make_demo_onnx.py "$OUT/democnn.onnx" >"$OUT/onnx.log" 2>&1 &
ONNX_PID=$!

echo
echo "== the service: tmlaasd, $NDEV simulated devices ($PROFILES), two models, two rollouts"
"$DAEMON" --data "$OUT/data" --bind 127.0.0.1 --http-port 0 --lwm2m-host 127.0.0.1 --lwm2m-port 0 \
  --lwm2m-dtls-port -1 --admin-token "$TOKEN" >"$OUT/tmlaasd.log" 2>&1 &
DAEMON_PID=$!
deadline=$((SECONDS + $(secs 60)))
until grep -q '^tmlaasd: ready$' "$OUT/tmlaasd.log"; do
  kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$OUT/tmlaasd.log" >&2; fail "tmlaasd exited before it was ready"; }
  [ $SECONDS -lt $deadline ] || { cat "$OUT/tmlaasd.log" >&2; fail "tmlaasd not ready within $(secs 60) s"; }
  sleep 0.1
done
HTTP_PORT=$(sed -n 's|^tmlaasd: http listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$OUT/tmlaasd.log")
COAP_PORT=$(sed -n 's|^tmlaasd: lwm2m listening on coap://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$OUT/tmlaasd.log")
[ -n "$HTTP_PORT" ] && [ -n "$COAP_PORT" ] || { cat "$OUT/tmlaasd.log" >&2; fail "no ports in tmlaasd's output"; }
export TML_SERVER="http://127.0.0.1:$HTTP_PORT" TML_TOKEN="$TOKEN"
API="$TML_SERVER/api/v1"
# The key devices trust, from the API (the same one tmlaasd printed).
KEY=$(curl -sf -H "Authorization: Bearer $TOKEN" "$API/signing-key" | sed -n 's/.*"public_key" *: *"\([0-9a-f]*\)".*/\1/p')
[ -n "$KEY" ] || KEY=$(sed -n 's/.*(tml-agent --trust-key): \([0-9a-f]*\)$/\1/p' "$OUT/tmlaasd.log")
[ -n "$KEY" ] || fail "no package signing key from GET /api/v1/signing-key"
echo "tmlaasd: API $API, LwM2M coap://127.0.0.1:$COAP_PORT, data in a temporary store"

"$SIM" --server "coap://127.0.0.1:$COAP_PORT" --count "$NDEV" --profiles "$PROFILES" --trust-key "$KEY" \
  --prefix demo- --infer-period 2000 --report-every 3600 >"$OUT/sim.log" 2>&1 &
SIM_PID=$!
deadline=$((SECONDS + $(secs 90)))
while :; do
  online=$("$TML" devices ls --state online 2>/dev/null | grep -c '^demo-' || true)
  [ "$online" -ge "$NDEV" ] && break
  kill -0 "$SIM_PID" 2>/dev/null || { cat "$OUT/sim.log" >&2; fail "tml-sim exited"; }
  [ $SECONDS -lt $deadline ] || { cat "$OUT/sim.log" >&2; fail "only $online of $NDEV devices registered within $(secs 90) s"; }
  sleep 0.5
done
echo "tml-sim: $online devices registered:$("$TML" devices ls | awk 'NR > 1 { n[$2]++ } END { for (p in n) printf " %s %d,", p, n[p] }' | sed 's/,$//')"

wait "$ONNX_PID" || { cat "$OUT/onnx.log" >&2; fail "exporting the ONNX model failed"; }
TFLITE="$MODELS/kws_ref_model/model.tflite"
echo
echo "== models"
"$TML" models push "$TFLITE" --name kws --version 1 --task classification
"$TML" models push "$OUT/democnn.onnx" --name democnn --version 1 --task classification

# deploy NAME: a staged rollout to every device (10% canary, then batches of
# 10), its progress as it goes, then what happened per device group.
deploy() {
  local name=$1 id
  echo
  echo "== deploy $name@1 to all $NDEV devices: canary 10%, then batches of 10"
  # The plan first (a dry run stores nothing): its summary line.
  "$TML" deploy "$name" 1 --all --canary 0.1 --batch 10 --dry-run >"$OUT/plan-$name.log" 2>&1 ||
    { cat "$OUT/plan-$name.log" >&2; fail "tml deploy $name 1 --dry-run failed"; }
  echo "plan (--dry-run): $(tail -n 1 "$OUT/plan-$name.log")"
  # Then the rollout's progress as it goes; the per-device rows go to the log.
  : >"$OUT/deploy-$name.log"
  timeout "$(secs 240)" "$TML" deploy "$name" 1 --all --canary 0.1 --batch 10 \
    >"$OUT/deploy-$name.log" 2>&1 &
  DEPLOY_PID=$!
  local rc=0 shown=0 n
  while kill -0 "$DEPLOY_PID" 2>/dev/null; do
    n=$(wc -l <"$OUT/deploy-$name.log")
    if [ "$n" -gt "$shown" ]; then
      sed -n "$((shown + 1)),${n}p" "$OUT/deploy-$name.log" | grep -v -e '^ENDPOINT' -e '^ *demo-' || true
      shown=$n
    fi
    sleep 0.2
  done
  wait "$DEPLOY_PID" || rc=$?
  DEPLOY_PID=""
  sed -n "$((shown + 1)),\$p" "$OUT/deploy-$name.log" | grep -v -e '^ENDPOINT' -e '^ *demo-' || true
  [ "$rc" -ne 124 ] || fail "deployment of $name@1 not finished within $(secs 240) s"
  [ "$rc" -eq 0 ] || echo "demo: tml deploy $name 1 exited with $rc (a device failed or the rollout paused)" >&2
  id=$(sed -n 's/^deployment \([0-9]*\) started$/\1/p' "$OUT/deploy-$name.log")
  [ -n "$id" ] || { cat "$OUT/deploy-$name.log" >&2; fail "no deployment id in tml deploy's output"; }
  echo
  "$PY" scripts/demo_groups.py "$API" "$id" "$(secs 60)" || status=1
}
deploy kws
deploy democnn

echo
echo "== now"
"$TML" deployments ls
echo "installed:$("$TML" devices ls | awk 'NR > 1 { n[$4]++ } END { for (m in n) printf " %s on %d,", m, n[m] }' | sed 's/,$//')"
curl -sf -o /dev/null "$TML_SERVER/" || fail "the dashboard at $TML_SERVER/ does not answer"
echo
echo "demo: API       $API  (OpenAPI at $API/openapi.json)"
echo "demo: dashboard $TML_SERVER/"
echo "demo: token     $TOKEN"
echo "demo: e.g.      TML_SERVER=$TML_SERVER TML_TOKEN=$TOKEN $TML devices ls"
if [ "$ONCE" = 1 ]; then
  echo "demo: done (ONCE=1)"
  exit $status
fi
echo "demo: serving; Ctrl-C stops tmlaasd and tml-sim and removes the temporary store"
wait "$DAEMON_PID" || true
fail "tmlaasd exited (its log: $(tail -n 3 "$OUT/tmlaasd.log" | tr '\n' ' '))"
