"""plan_binary.py: the plan binary (rt_main) on two processors, from hand-written tables
(plan_binary.c): its outputs against numpy, --trace (a track per processor named by id, device
and threads, a track of copies, device steps on their processor's track, each step's node and,
after several timed runs, its median duration), --json's processors with their threads,
a processor naming no device (exit 3, one line naming it), and tables the executor refuses
(exit 2, one line saying so). Exits 77 without an OpenCL
device unless HETC_REQUIRE_OPENCL=1."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

binary = sys.argv[1]
fails = 0


def check(what, ok, detail=""):
    global fails
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else ": " + str(detail)[:400]))
    fails += 0 if ok else 1


def run(plan, *args):
    # OpenBLAS set up as the binary would set it, so that it need not re-execute itself
    env = dict(os.environ, EXEC_PLAN=plan, EXEC_WEIGHTS=weights, OPENBLAS_NUM_THREADS="1",
               HETC_NO_REEXEC="1")
    return subprocess.run([binary, "--weights", weights, *args], env=env, capture_output=True,
                          text=True, timeout=120)


tmp = tempfile.mkdtemp()
weights = os.path.join(tmp, "w.weights")
probe = run("zc", "--iters", "1")
if probe.returncode == 3 and "OpenCL" in probe.stderr:
    print("no OpenCL device: " + probe.stderr.strip())
    sys.exit(1 if os.environ.get("HETC_REQUIRE_OPENCL") == "1" else 77)

n = 1000
x = (np.arange(n, dtype=np.float32) * np.float32(0.5)).astype(np.float32)
x.tofile(os.path.join(tmp, "x.bin"))
w = (np.arange(n) % 17 - 8).astype(np.float32)
a = x * x
b = a + w
want = {"y": a + b, "y2": b * b, "z": a + a}
for plan, outs in (("own", ["y", "y2", "z"]), ("zc", ["y", "y2"])):
    files = [os.path.join(tmp, f"{plan}_{o}.bin") for o in outs]
    args = ["--input", os.path.join(tmp, "x.bin")] + sum((["--output", f] for f in files), [])
    r = run(plan, *args, "--iters", "5")
    check(f"{plan}: runs", r.returncode == 0, r.stderr)
    for o, f in zip(outs, files):
        got = np.fromfile(f, dtype=np.float32) if os.path.exists(f) else None
        check(f"{plan}: output {o} equals numpy's", got is not None and
              np.array_equal(got, want[o]), got if got is None else got[:4])

    t = os.path.join(tmp, plan + ".json")
    r = run(plan, "--trace", t, "--iters", "3")
    check(f"{plan}: --trace runs", r.returncode == 0, r.stderr)
    trace = json.load(open(t)) if r.returncode == 0 else {"traceEvents": [], "otherData": {}}
    ev = trace["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in ev if e.get("name") == "process_name"}
    check(f"{plan}: a track per processor and one of copies",
          names.get(0, "").startswith("cpu0: ") and names.get(0, "").endswith("(1 thread)") and
          names.get(1, "").startswith("ocl0: ") and names.get(2) == "copies", names)
    steps = [e for e in ev if e.get("ph") == "X"]
    on = {pid: [e for e in steps if e["pid"] == pid] for pid in (0, 1, 2)}
    ncopy = 3 if plan == "own" else 0
    nocl = 3 if plan == "own" else 2
    check(f"{plan}: every step on its track", len(on[0]) == 2 and len(on[1]) == nocl and
          len(on[2]) == ncopy, {k: len(v) for k, v in on.items()})
    check(f"{plan}: copies are Copy steps of ocl0",
          all(e["args"]["op"] == "Copy" and e["args"]["processor"] == "ocl0" for e in on[2]))
    check(f"{plan}: steps have times", all(e["ts"] >= 0 and e["dur"] >= 0 for e in steps), steps)
    check(f"{plan}: steps name their node (the name in the label, a copy's whole label)",
          all(e["args"].get("node") == (e["name"].split('"')[1] if e["name"].startswith("node ")
                                        else e["name"]) for e in steps) and
          {e["args"].get("node") for e in steps} >= {"sq", "dbl", "join"}, steps)
    # each step's median over the 3 timed runs: a duration no longer than the whole runs took
    wall = max((e["ts"] + e["dur"] for e in steps), default=0)
    check(f"{plan}: median_us and runs (3 timed runs)",
          all(e["args"].get("runs") == 3 and 0 <= e["args"].get("median_us", -1) <= 100 * wall + 1e4
              for e in steps), [e["args"] for e in steps])
    r = run(plan, "--trace", t, "--iters", "1")
    one = json.load(open(t)) if r.returncode == 0 else {"traceEvents": []}
    check(f"{plan}: one run: no median_us", r.returncode == 0 and all(
        "median_us" not in e["args"] and "runs" not in e["args"] and "node" in e["args"]
        for e in one["traceEvents"] if e.get("ph") == "X"), r.stderr)
    check(f"{plan}: device steps keep their queue order",
          all(p["ts"] + p["dur"] <= q["ts"] + 1e-3 for p, q in
              zip(sorted(on[1] + on[2], key=lambda e: e["ts"]),
                  sorted(on[1] + on[2], key=lambda e: e["ts"])[1:])), on[1] + on[2])
    procs = trace["otherData"].get("processors", [])
    check(f"{plan}: otherData.processors", [p["backend"] for p in procs] == ["cpu", "opencl"],
          procs)

    r = run(plan, "--json", "--iters", "3")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    procs = j.get("processors", [])
    check(f"{plan}: --json keys", set(j) >= {"latency_ms", "iters", "threads", "processors",
                                             "throughput_ips"}, r.stdout + r.stderr)
    check(f"{plan}: --json processors", [(p["id"], p["backend"]) for p in procs] ==
          [("cpu0", "cpu"), ("ocl0", "opencl")] and all(p["device"] for p in procs), procs)
    r = run(plan, "--json", "--iters", "1", "--threads", "2")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    check(f"{plan}: --json: --threads 2 asked, each processor's own 1 thread run (the plan's)",
          j.get("threads") == 2 and [p.get("threads") for p in j.get("processors", [])] == [1, 1],
          r.stdout + r.stderr)

r = run("nodev", "--iters", "1")
lines = r.stderr.strip().split("\n")
check("no device: exit 3, one line naming the processor and the device asked for",
      r.returncode == 3 and len(lines) == 1 and "opening processor ocl0" in lines[0] and
      "no-such-device-anywhere" in lines[0], (r.returncode, r.stderr))
r = run("badtables", "--iters", "1")
lines = r.stderr.strip().split("\n")
check("inconsistent tables: exit 2, one line saying so (not a bad weights file)",
      r.returncode == 2 and len(lines) == 1 and "tables are inconsistent" in lines[0] and
      "weights" not in lines[0], (r.returncode, r.stderr))
print(f"{fails} failed")
sys.exit(1 if fails else 0)
