#!/usr/bin/env python3
"""placed_plans.py --hetc PATH --devices DIR --examples DIR

What a placed plan says about itself, and the refusals around placement:

- NAME.plan.json of a random plan on devices/host-split-copy.xml lists both processors (id, kind,
  backend, lane, space), every model node once with its processor, cause, lane and position (the
  positions of a lane are 0, 1, 2, ...), and a transfer with its bytes for every Copy, each
  between the two memories; predicted times are ordered (start <= end, within predicted_ms).
- The same plan on host-split.xml (a zero-copy link) has no transfers at all.
- --place Conv=ocl0 under --strategy cpu puts exactly the Conv steps on ocl0 (cause "forced by
  --place"); a later rule overrides an earlier one; a node name works as a selector.
- Refusals, exit 2 with one line naming what is wrong: --place onto an unknown processor, onto a
  processor that cannot run the op (a simulated accelerator narrowed to Concat and MaxPool), a selector that
  matches nothing; --strategy gpu on a target without an OpenCL processor.
- A plan on a simulated processor is predicted (--no-build writes NAME.plan.json and no sources)
  and refused (exit 2) when asked to build; so is a plan whose two lanes share one device memory
  (the executor gives a device memory one processor).
- The same seed gives the same plan twice; another seed gives another.
- --target with a broken, hostile or unreadable description: exit 2, one line naming FILE:LINE
  (or the file), for compile and viz alike; nothing the document names is loaded.

Skipped (77) without an OpenCL device, unless HETC_REQUIRE_OPENCL=1.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import skip_without_opencl  # noqa: E402

results = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""),
          flush=True)


def hetc(args, *rest):
    p = subprocess.run([args.hetc, *rest], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def plan_of(out, name):
    return json.loads((Path(out) / (name + ".plan.json")).read_text())


SIMULATED = """<?xml version="1.0"?>
<platform name="with-npu">
  <space id="host" host="1"/>
  <space id="npumem"/>
  <processor id="cpu0" kind="cpu" backend="cpu" threads="1" space="host"/>
  <processor id="npu0" kind="npu" backend="simulated" space="npumem">
    <supports ops="Concat,MaxPool" dtypes="float32"/>
    <rate class="conv" gflops="100"/><rate class="depthwise" gflops="10"/>
    <rate class="gemm" gflops="100"/><rate class="eltwise" gbps="20"/>
    <rate class="reduce" gbps="20"/><rate class="move" gbps="20"/>
  </processor>
  <link a="host" b="npumem" bandwidth_gbps="5" latency_us="20"/>
</platform>
"""


def check_random_copy(args, model, tmp):
    out = tmp / "rc"
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--strategy",
                      "random", "--seed", "2", "--target", str(args.devices / "host-split-copy.xml"),
                      "--no-build")
    report("random on host-split-copy compiles", rc == 0, se)
    if rc:
        return
    p = plan_of(out, "m")
    procs = {x["id"]: x for x in p["processors"]}
    report("both processors listed", set(procs) == {"cpu0", "ocl0"}, str(procs))
    report("processors carry kind, backend, lane, space",
           all({"kind", "backend", "lane", "space", "name"} <= set(x) for x in procs.values()) and
           procs.get("ocl0", {}).get("backend") == "opencl" and
           procs.get("ocl0", {}).get("space") == "dev", str(procs))
    steps = p["steps"]
    used = {s["processor"] for s in steps}
    report("steps on both processors", used == {"cpu0", "ocl0"}, str(used))
    report("every step has processor, cause, lane, position",
           all({"processor", "cause", "lane", "position", "start_ms", "end_ms"} <= set(s)
               for s in steps))
    lanes = {}
    for s in steps + p["transfers"]:
        lanes.setdefault(s["lane"], []).append(s["position"])
    report("lane positions are 0..n-1", all(sorted(v) == list(range(len(v)))
                                            for v in lanes.values()), str(lanes))
    tr = p["transfers"]
    report("transfers carry bytes between the two memories",
           len(tr) > 0 and all(t["bytes"] > 0 and {t["from"], t["to"]} == {"host", "dev"}
                               for t in tr), str(tr[:3]))
    report("copies run on the device's processor", all(t["processor"] == "ocl0" for t in tr))
    times = [(s["start_ms"], s["end_ms"]) for s in steps + tr]
    report("predicted times ordered", all(0 <= a <= b <= p["predicted_ms"] + 1e-9
                                          for a, b in times), str(times[:4]))
    # the cost model's schedule: the makespan is the latest end; no contention in this target,
    # so each step takes its time alone; the steps' figures are the defaults (HETC_PROFILE=off,
    # no rates), the copies' the description's link
    report("predicted_ms is the latest end", abs(max(b for a, b in times) - p["predicted_ms"])
           < 1e-5, str(p["predicted_ms"]))
    report("cost_model says the default figures",
           p.get("cost_model") == "default figures (no profile)", p.get("cost_model"))
    report("steps and transfers carry alone_ms and source",
           all(abs(s["end_ms"] - s["start_ms"] - s["alone_ms"]) < 1e-5 for s in steps + tr) and
           {s["source"] for s in steps} == {"default"} and
           {t["source"] for t in tr} == {"description"}, str((steps + tr)[:2]))
    c = (out / "m.c").read_text()
    report("NAME.c has two lanes and copy steps", "lane1_step" in c and "copy of" in c)
    # the same seed again: the same placement; another seed: another
    out2 = tmp / "rc2"
    hetc(args, "compile", model, "-o", str(out2), "--name", "m", "--strategy", "random", "--seed",
         "2", "--target", str(args.devices / "host-split-copy.xml"), "--no-build")
    same = [s["processor"] for s in plan_of(out2, "m")["steps"]]
    report("a seed gives one plan", same == [s["processor"] for s in steps])
    out3 = tmp / "rc3"
    hetc(args, "compile", model, "-o", str(out3), "--name", "m", "--strategy", "random", "--seed",
         "3", "--target", str(args.devices / "host-split-copy.xml"), "--no-build")
    other = [s["processor"] for s in plan_of(out3, "m")["steps"]]
    report("another seed, another plan", other != same)


def check_zero_copy(args, model, tmp):
    out = tmp / "zc"
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--strategy",
                      "random", "--seed", "2", "--target", str(args.devices / "host-split.xml"),
                      "--no-build")
    p = plan_of(out, "m") if rc == 0 else {"steps": [], "transfers": [None]}
    report("zero-copy link: no transfers", rc == 0 and p["transfers"] == [] and
           {s["processor"] for s in p["steps"]} == {"cpu0", "ocl0"}, se or str(p["transfers"]))


def check_place(args, model, tmp):
    split = str(args.devices / "host-split.xml")
    out = tmp / "pl"
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--strategy", "cpu",
                      "--target", split, "--place", "Conv=ocl0", "--no-build")
    report("--place Conv=ocl0 compiles", rc == 0, se)
    if rc:
        return
    steps = plan_of(out, "m")["steps"]
    ok = all((s["processor"] == "ocl0") == (s["op"] == "Conv") for s in steps)
    report("--place Conv=ocl0 moves exactly the Conv steps",
           ok and any(s["op"] == "Conv" for s in steps), str([(s["op"], s["processor"])
                                                              for s in steps][:8]))
    report("their cause is --place", all(s["cause"] == "forced by --place" for s in steps
                                         if s["op"] == "Conv"))
    first = steps[0]["node"]
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--strategy", "cpu",
                      "--target", split, "--place", "Conv=ocl0", "--place", first + "=cpu0",
                      "--no-build")
    steps = plan_of(out, "m")["steps"] if rc == 0 else []
    report("a later rule wins, a node name selects", rc == 0 and steps and
           steps[0]["processor"] == "cpu0" and steps[0]["cause"] == "forced by --place", se)
    for flags, want, what in [
        (["--place", "Conv=gpu9"], "gpu9", "unknown processor"),
        (["--place", "NoSuchOp=ocl0"], "NoSuchOp", "a selector that matches nothing"),
    ]:
        rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--target", split,
                          *flags, "--no-build")
        report("--place, %s: exit 2 naming it" % what, rc == 2 and want in se and
               len(se.strip().splitlines()) == 1, "exit %d: %s" % (rc, se))


def check_simulated(args, model, tmp):
    desc = tmp / "npu.xml"
    desc.write_text(SIMULATED)
    out = tmp / "sim"
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--target", str(desc),
                      "--place", "Conv=npu0", "--no-build")
    report("--place onto a processor that cannot run the op: exit 2 naming node, op, processor",
           rc == 2 and "npu0" in se and "Conv" in se and "node" in se, "exit %d: %s" % (rc, se))
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--target", str(desc),
                      "--strategy", "random", "--seed", "1", "--no-build")
    p = plan_of(out, "m") if rc == 0 else {"steps": []}
    on_npu = [s for s in p["steps"] if s["processor"] == "npu0"]
    report("simulated processor: --no-build predicts the plan", rc == 0 and on_npu and
           all(s["op"] in ("Concat", "MaxPool") for s in on_npu) and not (out / "m.c").exists(),
           se or str(on_npu))
    rc, so, se = hetc(args, "compile", model, "-o", str(tmp / "sim2"), "--name", "m", "--target",
                      str(desc), "--strategy", "random", "--seed", "1")
    report("simulated processor: building is refused, exit 2", rc == 2 and "simulated" in se,
           "exit %d: %s" % (rc, se))
    rc, so, se = hetc(args, "compile", model, "-o", str(out), "--name", "m", "--target", str(desc),
                      "--strategy", "gpu", "--no-build")
    report("--strategy gpu without an OpenCL processor: exit 2", rc == 2 and "OpenCL" in se,
           "exit %d: %s" % (rc, se))


SHARED_DEVICE = """<?xml version="1.0"?>
<platform name="shared-device">
  <space id="host" host="1"/>
  <space id="dev"/>
  <processor id="cpu0" kind="cpu" backend="cpu" threads="1" space="host"/>
  <processor id="ocl0" kind="gpu" backend="opencl" space="dev">
    <opencl platform="Portable Computing Language"/>
  </processor>
  <processor id="ocl1" kind="gpu" backend="opencl" space="dev">
    <opencl platform="Portable Computing Language"/>
  </processor>
  <link a="host" b="dev" bandwidth_gbps="10" latency_us="10"/>
</platform>
"""


def check_shared_device(args, model, tmp):
    """two processors in one device memory: the executor gives a device memory one processor,
    so such a plan is predicted but not built (it built, and its binary refused to start)"""
    desc = tmp / "shared.xml"
    desc.write_text(SHARED_DEVICE)
    flags = ["--name", "m", "--target", str(desc), "--place", "Conv=ocl0", "--place",
             "MaxPool=ocl1"]
    rc, so, se = hetc(args, "compile", model, "-o", str(tmp / "sh"), *flags)
    report("two processors in one device memory: building is refused, exit 2 naming both",
           rc == 2 and "ocl0" in se and "ocl1" in se and '"dev"' in se and
           not (tmp / "sh" / "m").exists(), "exit %d: %s" % (rc, se))
    rc, so, se = hetc(args, "compile", model, "-o", str(tmp / "sh2"), *flags, "--no-build")
    report("two processors in one device memory: --no-build predicts the plan, no sources",
           rc == 0 and (tmp / "sh2" / "m.plan.json").exists() and
           not (tmp / "sh2" / "m.c").exists(), "exit %d: %s" % (rc, se))


HOSTILE = {
    "broken.xml": ("<platform name='x'>\n  <space id='host' host='1'>\n</platform>\n", ":3:"),
    "kind.xml": ("<platform name='x'>\n<space id='host' host='1'/>\n"
                 "<processor id='c' kind='tpu' backend='cpu' space='host'/>\n</platform>\n", ":3:"),
    "entity.xml": ("<?xml version='1.0'?>\n<!DOCTYPE platform [<!ENTITY x SYSTEM "
                   "'file:///no/such/file/anywhere'>]>\n<platform name='&x;'/>\n", ":2:"),
    "laughs.xml": ("<?xml version='1.0'?>\n<!DOCTYPE p [<!ENTITY a 'aaaaaaaaaa'>"
                   "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]>\n<p>&b;</p>\n", ":2:"),
}


def check_hostile_targets(args, model, tmp):
    for name, (text, where) in HOSTILE.items():
        f = tmp / name
        f.write_text(text)
        for cmd in (["compile", model, "-o", str(tmp / "h"), "--no-build"],
                    ["viz", model, "-o", str(tmp / "h.dot")]):
            rc, so, se = hetc(args, *cmd, "--target", str(f))
            lines = se.strip().splitlines()
            report("%s %s: exit 2, one line with FILE:LINE" % (cmd[0], name),
                   rc == 2 and len(lines) == 1 and (name + where) in lines[0] and
                   "no/such/file" not in se, "exit %d: %s" % (rc, se))
    fifo = tmp / "fifo.xml"
    os.mkfifo(fifo)
    rc, so, se = hetc(args, "compile", model, "-o", str(tmp / "h"), "--no-build", "--target",
                      str(fifo))
    report("a FIFO as --target: exit 2 without blocking", rc == 2 and "fifo.xml" in se,
           "exit %d: %s" % (rc, se))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--devices", required=True, type=Path)
    ap.add_argument("--examples", required=True, type=Path)
    args = ap.parse_args()
    skip_without_opencl("gpu")     # the host-split targets name PoCL's device
    model = str(args.examples / "googlenet_mini.onnx")
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        check_random_copy(args, model, tmp)
        check_zero_copy(args, model, tmp)
        check_place(args, model, tmp)
        check_simulated(args, model, tmp)
        check_shared_device(args, model, tmp)
        check_hostile_targets(args, model, tmp)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
