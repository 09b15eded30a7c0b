#!/usr/bin/env python3
"""partition_flags.py --hetc PATH --devices DIR --examples DIR

The fallback contract and --strategy auto (docs/partition.md), on plans that are only predicted
(--no-build), so that it runs without OpenCL:

- --no-fallback: a gpu plan on a target whose gpu runs Conv and Relu only fails, exit 2, one
  line naming every step that would leave it (those the plan without the flag put on the CPU as
  "the only processor that can run it"); the cpu plan there, whose processor runs everything,
  is unchanged by the flag.
- --max-partitions N: random plans (seeds 1-3) over host-split.xml have at most N regions (runs
  of steps on one processor, in schedule order), N = 1 puts every step on one processor, and the
  steps that moved say "merged by --max-partitions"; a bound that --place and a processor's ops
  make impossible is refused, exit 2, one line.
- --explain lists the regions, one line each, as many as the plan has, each with its causes.
- auto: plan.json's "auto" member lists the candidates (every single-processor plan among them),
  the one chosen is the fastest predicted CPU plan unless the gpu plan is predicted faster by
  more than the margin, and that one unless a plan of several processors is predicted faster
  than it by more than the margin; the plan's predicted_ms is the chosen candidate's.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

results = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + str(detail)[:600] if detail and not ok
                                                 else ""), flush=True)


def hetc(args, *rest):
    p = subprocess.run([args.hetc, *rest], capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout, p.stderr


def plan_of(out, name="m"):
    return json.loads((Path(out) / (name + ".plan.json")).read_text())


NARROW_GPU = """<?xml version="1.0"?>
<platform name="narrow-gpu">
  <space id="host" host="1"/>
  <processor id="cpu0" kind="cpu" backend="cpu" threads="1" space="host"/>
  <processor id="gpu0" kind="gpu" backend="simulated" space="host">
    <supports ops="Conv,Relu" dtypes="float32"/>
    <rate class="conv" gflops="200"/><rate class="depthwise" gflops="20"/>
    <rate class="gemm" gflops="200"/><rate class="eltwise" gbps="40"/>
    <rate class="reduce" gbps="40"/><rate class="move" gbps="40"/>
  </processor>
</platform>
"""


def regions(plan):
    """the processors of the runs of steps on one processor, in schedule order"""
    steps = sorted((s for s in plan["steps"] if s["op"] != "Copy"), key=lambda s: s["index"])
    runs = []
    for s in steps:
        if not runs or runs[-1] != s["processor"]:
            runs.append(s["processor"])
    return runs


def check_no_fallback(args, model, tmp):
    desc = tmp / "narrow.xml"
    desc.write_text(NARROW_GPU)
    base = ["compile", model, "--name", "m", "--target", str(desc), "--no-build"]
    rc, so, se = hetc(args, *base, "-o", str(tmp / "nf0"), "--strategy", "gpu")
    report("gpu plan on a narrow gpu compiles without --no-fallback", rc == 0, se)
    if rc:
        return
    left = [s["node"] for s in plan_of(tmp / "nf0")["steps"]
            if s["cause"] == "the only processor that can run it"]
    report("some steps fall back to the CPU", len(left) > 0, str(len(left)))
    rc, so, se = hetc(args, *base, "-o", str(tmp / "nf1"), "--strategy", "gpu", "--no-fallback")
    lines = se.strip().splitlines()
    report("--no-fallback: exit 2, one line", rc == 2 and len(lines) == 1, "%d %r" % (rc, se))
    if lines:
        line = lines[0]
        shown = [n for n in left if '"%s"' % n in line]
        more = "and %d more" % (len(left) - len(shown))
        report("--no-fallback names every step that would leave gpu0",
               "gpu0" in line and "%d step" % len(left) in line and
               (len(shown) == len(left) or more in line), line)
    rc, so, se = hetc(args, *base, "-o", str(tmp / "nf2"), "--strategy", "cpu", "--no-fallback")
    report("--no-fallback: the cpu plan, whose processor runs everything, compiles",
           rc == 0 and {s["processor"] for s in plan_of(tmp / "nf2")["steps"]} == {"cpu0"}, se)


def check_max_partitions(args, model, tmp):
    split = str(args.devices / "host-split.xml")
    for seed in ("1", "2", "3"):
        rc, so, se = hetc(args, "compile", model, "-o", str(tmp / "r"), "--name", "m",
                          "--target", split, "--strategy", "random", "--seed", seed, "--no-build")
        free = len(regions(plan_of(tmp / "r"))) if rc == 0 else 0
        for n in (1, 2, 3):
            out = tmp / ("mp%s_%d" % (seed, n))
            rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--target",
                              split, "--strategy", "random", "--seed", seed,
                              "--max-partitions", str(n), "--no-build", "--explain")
            if rc:
                report("--max-partitions %d seed %s compiles" % (n, seed), False, se)
                continue
            plan = plan_of(out)
            runs = regions(plan)
            merged = [s for s in plan["steps"] if s["cause"] == "merged by --max-partitions"]
            report("--max-partitions %d seed %s: %d regions (%d without)" % (n, seed, len(runs),
                                                                            free),
                   len(runs) <= n and (free <= n or merged), runs)
            listed = [ln for ln in so.splitlines() if ln.startswith("  region ")]
            report("--explain lists the %d regions of seed %s, --max-partitions %d"
                   % (len(runs), seed, n),
                   len(listed) == len(runs) and
                   all(ln.split(" on ")[1].split(",")[0] == r for ln, r in zip(listed, runs)),
                   listed)
    desc = tmp / "narrow.xml"
    desc.write_text(NARROW_GPU)
    rc, so, se = hetc(args, "compile", model, "-o", str(tmp / "mpx"), "--name", "m", "--target",
                      str(desc), "--strategy", "cpu", "--place", "Conv=gpu0", "--max-partitions",
                      "1", "--no-build")
    lines = se.strip().splitlines()
    report("--max-partitions 1 with Conv forced onto a gpu that runs only Conv and Relu: exit 2, "
           "one line",
           rc == 2 and len(lines) == 1 and "--max-partitions 1" in se, "%d %r" % (rc, se))


def check_auto(args, model, tmp, target):
    out = tmp / "auto"
    extra = ["--target", target] if target else []
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--no-build",
                      "--explain", *extra)
    what = "auto on %s" % (Path(target).name if target else "the detected host")
    report(what + " compiles", rc == 0, se)
    if rc:
        return
    plan = plan_of(out)
    a = plan.get("auto")
    report(what + ": plan.json says what auto compared", a is not None and plan["strategy"] ==
           "auto" and any(c["strategy"] == "cpu" for c in a["candidates"]), plan.get("auto"))
    if not a:
        return
    ok = [c for c in a["candidates"] if c["predicted_ms"] is not None]
    single = min((c for c in ok if c["single"] and c["strategy"].startswith("cpu")),
                 key=lambda c: c["predicted_ms"])
    gpu = [c for c in ok if c["strategy"] == "gpu"]
    if gpu and gpu[0]["predicted_ms"] < single["predicted_ms"] * (1 - a["margin"]):
        single = gpu[0]
    multi = [c for c in ok if not c["single"]]
    best = single
    if multi:
        m = min(multi, key=lambda c: c["predicted_ms"])
        if m["predicted_ms"] < single["predicted_ms"] * (1 - a["margin"]):
            best = m
    report(what + ": chose %s by the rule" % a["chosen"], a["chosen"] == best["strategy"],
           json.dumps(a))
    report(what + ": the plan is the chosen one's",
           abs(plan["predicted_ms"] - best["predicted_ms"]) <= 1e-6 * max(1, best["predicted_ms"]),
           "%s vs %s" % (plan["predicted_ms"], best["predicted_ms"]))
    report(what + ": --explain shows the comparison",
           "auto: the plans compared" in so and "<- chosen" in so, so[-800:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--devices", required=True, type=Path)
    ap.add_argument("--examples", required=True, type=Path)
    args = ap.parse_args()
    model = str(args.examples / "googlenet_mini.onnx")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        check_no_fallback(args, model, tmp)
        check_max_partitions(args, model, tmp)
        for target in (None, str(args.devices / "host-split.xml"),
                       str(args.devices / "snapdragon-8gen2.xml")):
            check_auto(args, model, tmp, target)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
