#!/usr/bin/env python3
"""stream.py --hetc PATH --examples DIR --devices DIR

The binary's --stream N (frames pushed through the plan back to back, in flight at once on a plan
of several lanes) and --strategy pipeline:

- A cpu plan of googlenet_mini: --stream 0, -1, x, 2.5 and an empty value are usage errors (exit
  1, one line on stderr, nothing on stdout); --json --stream 4 reports stream.frames 4 and
  stream.fps > 0 beside latency_ms; the text report says the frames per second; --output after
  --stream N (N = 1, 2, 3, 7) writes exactly the outputs of a plain run; --trace with --stream
  writes a trace.
- Pipeline plans of googlenet_mini and squeezenet11 over devices/host-split.xml and
  devices/host-split-copy.xml: plan.json's strategy is "pipeline", every step's cause is "pipeline
  stage", each processor's steps are one contiguous run (the Copy steps of the second aside) and
  the predicted time per frame is at most the predicted latency; --stream N (N = 1, 2, 3, 4, 7: the
  last frame in each arena copy) writes exactly the outputs of a plain run, and --json reports
  the stream.

The pipeline part is skipped (exit 77 once the cpu part passed) without an OpenCL device, unless
HETC_REQUIRE_OPENCL=1. (Whether outputs match ONNX Runtime is model_run_stream's check.)
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import opencl_devices  # noqa: E402

results = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail and not ok else ""),
          flush=True)


def run(cmd):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def compile_plan(args, model, out, flags):
    rc, _, err = run([args.hetc, "compile", Path(args.examples) / (model + ".onnx"), "-o", out]
                     + flags)
    return rc, err.strip()


def same_outputs(exe, work, tag, n_out, stream_counts):
    """--output after each --stream N equals a plain run's, byte for byte"""
    plain = [work / ("%s_plain_%d.bin" % (tag, k)) for k in range(n_out)]
    rc, _, err = run([exe] + sum((["--output", f] for f in plain), []))
    if rc != 0:
        report(tag + " plain run", False, "exit %d: %s" % (rc, err))
        return
    want = [f.read_bytes() for f in plain]
    for n in stream_counts:
        outs = [work / ("%s_s%d_%d.bin" % (tag, n, k)) for k in range(n_out)]
        rc, _, err = run([exe, "--stream", n, "--iters", 2] + sum((["--output", f] for f in outs),
                                                                 []))
        ok = rc == 0 and [f.read_bytes() for f in outs] == want
        report("%s --stream %d writes the plain run's outputs" % (tag, n), ok,
               "exit %d: %s" % (rc, err) if rc else "outputs differ")


def json_stream(exe, tag, n):
    rc, out, err = run([exe, "--json", "--stream", n, "--iters", 3])
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    s = j.get("stream", {})
    ok = (rc == 0 and s.get("frames") == n and s.get("fps", 0) > 0 and
          j.get("latency_ms", {}).get("median", 0) > 0)
    report("%s --json --stream %d: stream.frames, stream.fps > 0" % (tag, n), ok,
           "exit %d, %r %s" % (rc, out[:300], err))


def cpu_part(args, work):
    out = work / "cpu"
    rc, err = compile_plan(args, "googlenet_mini", out, ["--strategy", "cpu"])
    report("compile googlenet_mini --strategy cpu", rc == 0, err)
    if rc != 0:
        return
    exe = out / "googlenet_mini"
    for bad in ["0", "-1", "x", "2.5", ""]:
        rc, so, se = run([exe, "--stream", bad])
        report("--stream %r is a usage error" % bad,
               rc == 1 and so == "" and len(se.strip().splitlines()) == 1,
               "exit %d, stdout %r, stderr %r" % (rc, so, se))
    json_stream(exe, "cpu", 4)
    rc, so, se = run([exe, "--stream", 5, "--iters", 2])
    report("cpu --stream 5 reports frames per second", rc == 0 and "frames/s" in so,
           "exit %d: %r %s" % (rc, so, se))
    trace = work / "stream_trace.json"
    rc, _, se = run([exe, "--stream", 3, "--trace", trace])
    try:
        events = json.loads(trace.read_text())["traceEvents"]
    except (OSError, ValueError, KeyError):
        events = []
    report("cpu --stream 3 --trace writes a trace", rc == 0 and len(events) > 0,
           "exit %d: %s" % (rc, se))
    same_outputs(exe, work, "cpu", 1, [1, 2, 3, 7])


def contiguous(steps):
    """each processor's non-Copy steps in one run of the step order"""
    seen, last = set(), None
    for s in steps:
        if s["op"] == "Copy":
            continue
        if s["processor"] != last:
            if s["processor"] in seen:
                return False
            seen.add(s["processor"])
            last = s["processor"]
    return True


def pipeline_part(args, work):
    for target in ["host-split.xml", "host-split-copy.xml"]:
        for model in ["googlenet_mini", "squeezenet11"]:
            tag = "%s@%s" % (model, Path(target).stem)
            out = work / ("p_" + tag.replace("@", "_"))
            rc, err = compile_plan(args, model, out, ["--strategy", "pipeline", "--target",
                                                      Path(args.devices) / target])
            report("compile %s --strategy pipeline" % tag, rc == 0, err)
            if rc != 0:
                continue
            plan = json.loads((out / (model + ".plan.json")).read_text())
            steps = plan["steps"]
            ok = (plan["strategy"] == "pipeline" and contiguous(steps) and
                  all(s["cause"] == "pipeline stage" for s in steps if s["op"] != "Copy") and
                  0 < plan["predicted_frame_ms"] <= plan["predicted_ms"] + 1e-9)
            report("%s plan.json: stages contiguous, causes, time per frame" % tag, ok,
                   json.dumps({k: plan[k] for k in ("strategy", "predicted_ms",
                                                     "predicted_frame_ms")}))
            exe = out / model
            same_outputs(exe, work, tag.replace("@", "_"), 1, [1, 2, 3, 4, 7])
            json_stream(exe, tag, 6)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--examples", required=True)
    ap.add_argument("--devices", required=True)
    args = ap.parse_args()
    os.environ.setdefault("HETC_PROFILE", "off")
    skipped = False
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cpu_part(args, work)
        n, why = opencl_devices()
        if n:
            pipeline_part(args, work)
        else:
            print("# pipeline plans skipped: %s" % why)
            skipped = True
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    if results["failed"]:
        return 1
    if skipped:
        return 1 if os.environ.get("HETC_REQUIRE_OPENCL") == "1" else 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
