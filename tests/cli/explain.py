#!/usr/bin/env python3
"""explain.py --hetc PATH --examples DIR --devices DIR: what `hetc compile --explain` prints.

Each generated example is compiled with --no-build --explain on the detected host, on a
description with a simulated accelerator that runs only Concat and MaxPool behind a copy link
(--strategy random, seeds 1 and 2: steps on both, transfers, processors that cannot run a step)
and, where there is an OpenCL device, at random over devices/host-split-copy.xml. Against the
plan's NAME.plan.json: every step is listed once, in the plan's order, on the processor and with
the cause plan.json gives, its start and end to 0.001 ms; the regions are the runs of steps on
one processor, each with causes counting its steps; each line of predicted times names every
processor of the target, with "- (unsupported)" exactly where the processor cannot run the op
(the accelerator: all but Concat and MaxPool); every transfer is listed with its tensor, memories,
bytes and times; the predicted latency equals plan.json's predicted_ms; busy times add up to
the steps' and transfers' times; the cost model's source is plan.json's. A model whose names hold
quotes, '<', a newline, ESC, U+202E and bytes that are not UTF-8 prints them escaped, and no
line of any explanation passes 120 columns. --explain=x is a usage error.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import opencl_devices  # noqa: E402
from onnx_bytes import save  # noqa: E402

results = {"passed": 0, "failed": 0}

SIMULATED = """<platform name="npu">
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

STEP = re.compile(r"^  (.*) \((.*)\): on (\S+) \((.*)\), ([\d.]+) to ([\d.]+) ms; "
                  r"alone ([\d.]+) ms \((\w+)\)$")
REGION = re.compile(r"^  region (\d+): (\d+) steps? on (\S+), [\d.]+ to [\d.]+ ms: (.*)$")
EACH = re.compile(r"^(\S+) (?:([\d.]+) ms|- \(unsupported\))$")
TRANSFER = re.compile(r"^  (.*): (\S+) to (\S+), ([\d.]+ (?:B|kB|MB|GB)) by (\S+), ([\d.]+) to "
                      r"([\d.]+) ms; alone ([\d.]+) ms \((\w+)\)$")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    sys.stdout.flush()


def compile_explain(model, out, *flags):
    p = subprocess.run([HETC, "compile", str(model), "-o", str(out), "--name", "m",
                        "--no-build", "--explain", *flags], capture_output=True, timeout=300)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def parse(text):
    """{"steps": [...], "transfers": [...], "latency", "busy", "cost", "bad": [why]} from the
    explanation: continued lines (4 spaces, or 12 for a list of times) joined first"""
    lines = []
    for line in text.split("\n"):
        if line.startswith("            ") and lines:
            lines[-1] += " " + line.strip()
        elif line.startswith("    ") and not line.startswith("     ") and lines:
            lines[-1] += " " + line[4:]
        else:
            lines.append(line)
    r = {"steps": [], "transfers": [], "regions": [], "latency": None, "busy": None,
         "cost": None, "bad": []}
    section = None
    for line in lines:
        if line.startswith("steps in schedule order"):
            section = "steps"
        elif line.startswith("transfers"):
            section = "transfers"
        elif line.startswith("regions (runs of steps"):
            section = "regions"
        elif line.startswith("auto: the plans compared"):
            section = "auto"
        elif line.startswith("predicted latency: "):
            r["latency"] = line.split()[2]
            section = None
        elif line.startswith("busy:"):
            r["busy"] = {m.group(1): float(m.group(2)) for m in
                         re.finditer(r" (\S+) ([\d.]+) ms \(\d+%\)", line)}
        elif line.startswith("cost model: "):
            r["cost"] = line[len("cost model: "):]
        elif section == "steps" and line.startswith("      each: "):
            if not r["steps"]:
                r["bad"].append("times before any step: " + line)
                continue
            each = {}
            for item in line[len("      each: "):].split(", "):
                m = EACH.match(item)
                if not m:
                    r["bad"].append("not a processor's time: %r" % item)
                else:
                    each[m.group(1)] = float(m.group(2)) if m.group(2) else None
            r["steps"][-1]["each"] = each
        elif section == "steps" and line.startswith("  "):
            m = STEP.match(line)
            if m:
                r["steps"].append({"node": m.group(1), "ops": m.group(2), "proc": m.group(3),
                                   "cause": m.group(4), "start": float(m.group(5)),
                                   "end": float(m.group(6)), "alone": float(m.group(7)),
                                   "source": m.group(8)})
            elif not line.startswith("each processor"):
                r["bad"].append("not a step: %r" % line)
        elif section == "regions" and line.startswith("  "):
            m = REGION.match(line)
            if m:
                r["regions"].append({"steps": int(m.group(2)), "proc": m.group(3),
                                     "causes": m.group(4)})
            else:
                r["bad"].append("not a region: %r" % line)
        elif section == "auto":
            pass
        elif section == "transfers" and line.startswith("  "):
            m = TRANSFER.match(line)
            if m:
                r["transfers"].append({"tensor": m.group(1), "from": m.group(2),
                                       "to": m.group(3), "proc": m.group(5),
                                       "start": float(m.group(6)), "end": float(m.group(7))})
            else:
                r["bad"].append("not a transfer: %r" % line)
    return r


def same_name(shown, name):
    """whether shown is how the explanation shows name (plain here): whole, or cut with ..."""
    return shown == name or (shown.endswith("...") and name.startswith(shown[:-3]) and
                             len(shown) >= 40)


def wide_lines(text):
    """the explanation's lines longer than 120 columns (compile's summary line before it is
    not the explanation's)"""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("explain: ")), 0)
    return [line for line in lines[start:] if len(line) > 120]


def check(tag, model, work, flags, unsupported=None):
    """the explanation of model with flags against its plan.json; unsupported(op) says whether
    the target's processor "npu0" cannot run op"""
    out = work / re.sub(r"[^A-Za-z0-9_.-]", "_", tag)
    rc, so, se = compile_explain(model, out, *flags)
    if rc != 0:
        report(tag, False, "exit %d: %s" % (rc, se))
        return
    text = so.decode()
    plan = json.loads((out / "m.plan.json").read_text())
    r = parse(text)
    why = []
    why += r["bad"][:3]
    why += ["line of %d columns: %r" % (len(w), w) for w in wide_lines(text)[:2]]
    steps, transfers = plan["steps"], plan["transfers"]
    if len(r["steps"]) != len(steps):
        why.append("%d steps listed, plan.json has %d" % (len(r["steps"]), len(steps)))
    procs = None
    for got, want in zip(r["steps"], steps):
        if not same_name(got["node"], want["node"]) or got["proc"] != want["processor"]:
            why.append("step %r on %s, plan.json: %r on %s" % (got["node"], got["proc"],
                                                               want["node"],
                                                               want["processor"]))
            break
        if abs(got["start"] - want["start_ms"]) > 6e-4 or abs(got["end"] - want["end_ms"]) > 6e-4:
            why.append("%s: %.3f to %.3f ms, plan.json %f to %f" % (
                got["node"], got["start"], got["end"], want["start_ms"], want["end_ms"]))
            break
        if "alone_ms" in want and (abs(got["alone"] - want["alone_ms"]) > 6e-4 or
                                   got["source"] != want.get("source")):
            why.append("%s: alone %.3f (%s), plan.json %s (%s)" % (
                got["node"], got["alone"], got["source"], want["alone_ms"], want.get("source")))
            break
        cause = want.get("cause")
        if cause and not (got["cause"] == cause or (cause == "strategy" and
                                                    got["cause"].startswith("strategy "))):
            why.append("%s: cause %r, plan.json %r" % (got["node"], got["cause"], cause))
            break
        each = got.get("each", {})
        if procs is None:
            procs = set(each)
        if not each or set(each) != procs or got["proc"] not in each or \
                each[got["proc"]] is None:
            why.append("%s: times %r" % (got["node"], each))
            break
        if unsupported and (each.get("npu0") is None) != unsupported(want["op"]):
            why.append("%s (%s): npu0 %r" % (got["node"], want["op"], each.get("npu0")))
            break
    if len(r["transfers"]) != len(transfers):
        why.append("%d transfers listed, plan.json has %d" % (len(r["transfers"]),
                                                              len(transfers)))
    for got, want in zip(r["transfers"], transfers):
        if (got["from"], got["to"], got["proc"]) != (want["from"], want["to"],
                                                     want["processor"]) or \
                abs(got["end"] - want["end_ms"]) > 6e-4:
            why.append("transfer %r, plan.json %r" % (got, want))
            break
    runs = []
    for x in r["steps"]:
        if runs and runs[-1][0] == x["proc"]:
            runs[-1][1] += 1
        else:
            runs.append([x["proc"], 1])
    regions = [[x["proc"], x["steps"]] for x in r["regions"]]
    if regions != runs:
        why.append("regions %r, the steps' runs %r" % (regions[:4], runs[:4]))
    for x in r["regions"]:
        counts = [int(c) for c in re.findall(r"\((\d+)\)(?:,|$)", x["causes"])]
        if sum(counts) != x["steps"]:
            why.append("region on %s: %d steps, causes %r" % (x["proc"], x["steps"],
                                                              x["causes"]))
            break
    if r["latency"] != "%.6f" % plan["predicted_ms"]:
        why.append("latency %s, plan.json %.6f" % (r["latency"], plan["predicted_ms"]))
    busy = {}
    for x in r["steps"] + r["transfers"]:
        busy[x["proc"]] = busy.get(x["proc"], 0) + x["end"] - x["start"]
    if not r["busy"] or set(r["busy"]) != set(busy) or \
            any(abs(r["busy"][k] - busy[k]) > 1e-3 * (1 + len(steps)) for k in busy):
        why.append("busy %r, the steps' %r" % (r["busy"], busy))
    if "cost_model" in plan and r["cost"] != plan["cost_model"]:
        why.append("cost model %r, plan.json %r" % (r["cost"], plan["cost_model"]))
    report("%s: %d steps, %d transfers, %s ms" % (tag, len(steps), len(transfers), r["latency"]),
           not why, "; ".join(why))
    return r


def check_hostile(work):
    from onnx import TensorProto, helper
    F = TensorProto.FLOAT
    names = ['q"uote<b>&', "esc\x1b[2J", "new\nline", "bidi\u202eevil", "BADUTF8",
             "long" * 40]
    x = helper.make_tensor_value_info("x", F, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", F, [1, 3, 8, 8])
    nodes = [helper.make_node("Relu", ["x"], [names[2]], name=names[0]),
             helper.make_node("Sigmoid", [names[2]], [names[4]], name=names[4]),
             helper.make_node("Add", [names[2], names[4]], [names[5]], name=names[3]),
             helper.make_node("Neg", [names[5]], ["neg"], name=names[1]),
             helper.make_node("Relu", ["neg"], ["y"], name=names[5])]
    g = helper.make_graph(nodes, "hostile", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    path = work / "hostile.onnx"
    save(m, path, [(b"BADUTF8", b"\xff\xfe\xc3(\xe2\x82B")])
    out = work / "hostile"
    rc, so, se = compile_explain(path, out)
    text = so.decode("utf-8", errors="replace")
    why = []
    if rc:
        why.append("exit %d: %s" % (rc, se))
    if CONTROL.search(text.replace("\n", "")) or "\ufffd" in text:
        why.append("a raw control or byte that is not UTF-8")
    for want in ('q"uote<b>&', "esc\\x1b[2J", "bidi\\xe2\\x80\\xaeevil", "\\xff\\xfe\\xc3(",
                 "longlong"):
        if want not in text:
            why.append("%r not shown" % want)
    if "long" * 40 in text:
        why.append("a 160-character name not cut")
    why += ["line of %d columns" % len(w) for w in wide_lines(text)[:1]]
    report("hostile names escaped and cut", not why, "; ".join(why))


def main():
    global HETC
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--examples", required=True, type=Path)
    ap.add_argument("--devices", required=True, type=Path)
    a = ap.parse_args()
    HETC = a.hetc
    examples = sorted(a.examples.glob("*.onnx"))
    if not examples:
        print("FAIL: no examples in %s (the gen_examples fixture makes them)" % a.examples)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        p = subprocess.run([HETC, "compile", str(examples[0]), "-o", str(work / "u"),
                            "--explain=json"], capture_output=True, timeout=60)
        report("--explain=json: exit 1", p.returncode == 1, "exit %d" % p.returncode)
        check_hostile(work)
        npu = work / "npu.xml"
        npu.write_text(SIMULATED)
        ndev, why = opencl_devices()
        for model in examples:
            check(model.stem + " on the detected host", model, work, [])
            for seed in ("1", "2"):
                r = check("%s random %s on a simulated accelerator" % (model.stem, seed), model,
                          work, ["--target", str(npu), "--strategy", "random", "--seed", seed],
                          unsupported=lambda op: op not in ("Concat", "MaxPool"))
            if ndev:
                check(model.stem + " random on host-split-copy", model, work,
                      ["--target", str(a.devices / "host-split-copy.xml"), "--strategy",
                       "random", "--seed", "3"])
        if not ndev:
            print("skipped: --strategy random on host-split-copy.xml needs an OpenCL device: " +
                  why)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
