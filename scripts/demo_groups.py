#!/usr/bin/python3
"""demo_groups.py API_URL DEPLOYMENT_ID [WAIT_S] - what a deployment did to
each device group (profile), for scripts/demo.sh.

Reads GET /deployments/{id}, the compilations it used, GET /devices and each
device's inferences (token from TML_TOKEN). Waits up to WAIT_S seconds
(default 60) for a first inference of the deployed model in every group
that installed it. Prints one line per profile:

  <profile> <devices> fitted|refused <backend> <RAM B> <installed>/<n> <first inference | reason>

and ends with "demo: MODEL@V: N installed, N refused, N failed". Exit 1 when
a group never reported an inference or the API cannot be read.
"""
import json
import os
import sys
import time
import urllib.request

API, DEP = sys.argv[1], sys.argv[2]
WAIT_S = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
TOKEN = os.environ["TML_TOKEN"]


def get(path):
    req = urllib.request.Request(API + path, headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


dep = get("/deployments/%s" % DEP)
model, version = dep["model"], dep["version"]
tag = "%s@%s" % (model, version)
fmt = None
try:
    for v in get("/models/%s" % model).get("versions", []):
        if str(v.get("version")) == str(version):
            fmt = v.get("format")
except Exception:  # the format is only decoration
    pass

groups = {}  # profile -> list of deployment device rows
for d in dep["devices"]:
    groups.setdefault(d["profile"], []).append(d)
installed = {d["endpoint"]: d.get("installed_model") for d in get("/devices")["devices"]}
compilations = {}


def compilation(cid):
    if cid not in compilations:
        compilations[cid] = get("/compilations/%d" % cid)
    return compilations[cid]


def first_inference(rows):
    """The oldest inference of this model among the group's devices."""
    best = None
    for d in rows:
        if d["stage"] != "done":
            continue
        inf = get("/devices/%s/inferences?limit=1000" % d["endpoint"]).get("inferences", [])
        for i in inf:
            if i.get("model") == model and str(i.get("version")) == str(version):
                if best is None or (i["at"], i["id"]) < (best[1]["at"], best[1]["id"]):
                    best = (d["endpoint"], i)
    return best


deadline = time.time() + WAIT_S
firsts = {}
while True:
    for prof, rows in groups.items():
        if prof not in firsts and any(d["stage"] == "done" for d in rows):
            f = first_inference(rows)
            if f:
                firsts[prof] = f
    waiting = [p for p, rows in groups.items()
               if p not in firsts and any(d["stage"] == "done" for d in rows)]
    if not waiting or time.time() > deadline:
        break
    time.sleep(0.5)

print("%s%s, deployment %s: %s" % (tag, " (%s)" % fmt if fmt else "", DEP, dep["state"]))
print("  %-10s %7s  %-7s  %-7s  %7s  %9s  %s" %
      ("profile", "devices", "plan", "backend", "RAM B", "installed", "first inference / refused because"))
totals = {"installed": 0, "refused": 0, "failed": 0}
status = 0
for prof in sorted(groups):
    rows = groups[prof]
    n = len(rows)
    done = [d for d in rows if d["stage"] == "done"]
    refused = [d for d in rows if d["stage"] == "refused"]
    failed = [d for d in rows if d["stage"] not in ("done", "refused")]
    n_inst = sum(1 for d in rows if installed.get(d["endpoint"]) == tag)
    totals["installed"] += n_inst
    totals["refused"] += len(refused)
    totals["failed"] += len(failed)
    if done or failed:
        cid = next((d["compilation_id"] for d in rows if d.get("compilation_id")), None)
        backend, ram = "-", "-"
        if cid:
            c = compilation(cid)
            backend = (c.get("backend") or {}).get("chosen") or "-"
            ram = str((c.get("fit") or {}).get("ram_bytes", "-"))
        if prof in firsts:
            ep, i = firsts[prof]
            what = "%s: class %s, %.2f ms, at %s" % (ep, i.get("top_class"), i.get("latency_us", 0) / 1000.0,
                                                   i.get("at"))
        elif done:
            what = "none within %g s" % WAIT_S
            status = 1
        else:
            what = "-"
        if failed:
            what += "  (%d failed: %s)" % (len(failed), failed[0].get("error") or failed[0]["stage"])
        print("  %-10s %7d  %-7s  %-7s  %7s  %5d/%-3d  %s" %
              (prof, n, "fitted", backend, ram, n_inst, n, what))
    else:
        reason = refused[0].get("error") or "refused"
        print("  %-10s %7d  %-7s  %-7s  %7s  %5d/%-3d  %s" % (prof, n, "refused", "-", "-", n_inst, n, reason))
print("demo: %s: %d installed, %d refused, %d failed" % (tag, totals["installed"], totals["refused"],
                                                         totals["failed"]))
sys.exit(status)
