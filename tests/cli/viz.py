#!/usr/bin/env python3
"""viz.py --hetc PATH --examples DIR --devices DIR [--models DIR]: what `hetc viz` draws.

Every generated example and, when the folder is there, every shared model is drawn as SVG, PNG
and DOT on the detected host: the SVG is well-formed XML with one node per step (the count
`hetc viz` reports), per graph input and per graph output, and a legend naming each processor
the plan uses; the PNG has its signature and an IHDR of non-zero size; the DOT parses back
(`dot -Tcanon` where the Graphviz command is installed, else its braces and statements are
checked). With --strategy random --seed 3 on devices/host-split-copy.xml, the examples' steps
show both processors' colours and the edge into every Copy carries its bytes. A model whose node
and tensor names hold quotes, '<', '&', "&foo;", a newline, ESC, U+202E and bytes that are not
UTF-8 gives a valid SVG and DOT with none of those raw. An unknown extension is exit 1, an
unwritable path exit 3 naming it. The seconds each large model took are printed.

With the SVG, --gantt draws the predicted schedule: well-formed XML with one row per processor of
the plan (and one for the copies when there are any), a box per step and per copy, each in the
colour of its processor's row, within the chart, and the makespan hetc reports. The hostile
model's chart holds its names escaped. --gantt alone (no -o) draws it; --gantt to a name not
ending in .svg is exit 1. With --trace, the trace of a run of the plan's binary (an example, built
for the CPU) is drawn below: one row per processor again, a box per traced step, its end as
"measured X ms" (the trace's last step end); --trace without --gantt is exit 1, a trace that is
not JSON or names a processor the plan does not run on exit 2 naming it.
"""
import argparse
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "pylib"))
from opencl_probe import opencl_devices  # noqa: E402
from onnx_bytes import save  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
BYTES = re.compile(r"^\d+(\.\d+)? (B|kB|MB|GB)$")
# raw bytes that must never reach a picture: C0 controls but newline and tab, DEL, C1 controls,
# the bidirectional controls
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
results = {"passed": 0, "failed": 0}


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))
    sys.stdout.flush()


def viz(model, out, *flags):
    """hetc viz model -o out (none when out is None) flags: status, stdout, stderr, seconds"""
    t0 = time.monotonic()
    p = subprocess.run([HETC, "viz", str(model), *(["-o", str(out)] if out else []), *flags],
                       capture_output=True, timeout=300)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), \
        time.monotonic() - t0


def svg_nodes(root):
    """{graphviz id: (fill colours, texts)} of every <g class="node">"""
    nodes = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") != "node":
            continue
        title = g.find(SVG + "title").text
        fills = {e.get("fill").lower() for e in g if e.get("fill") not in (None, "none")}
        texts = [t.text or "" for t in g.iter(SVG + "text")]
        nodes[title] = (fills, texts)
    return nodes


def svg_edges(root):
    """[(tail id, head id, texts)] of every <g class="edge">"""
    edges = []
    for g in root.iter(SVG + "g"):
        if g.get("class") == "edge":
            tail, head = g.find(SVG + "title").text.split("->")
            edges.append((tail, head, [t.text or "" for t in g.iter(SVG + "text")]))
    return edges


def check_text(data):
    """None when data is UTF-8 without a raw control byte, else why not"""
    try:
        s = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return "not UTF-8: %s" % e
    m = CONTROL.search(s)
    return "raw control U+%04X at %d" % (ord(m.group()), m.start()) if m else None


def check_svg(path, steps, nin, nout, procs):
    """None when the SVG holds what a plan of that many steps, inputs and outputs on those
    processors must, else why not; the parsed root as well"""
    data = path.read_bytes()
    bad = check_text(data)
    if bad:
        return bad, None
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return "not well-formed: %s" % e, None
    nodes = svg_nodes(root)
    count = {k: sum(1 for t in nodes if t[0] == k) for k in "niop"}
    if (count["n"], count["i"], count["o"]) != (steps, nin, nout):
        return "nodes %s, want %d steps, %d inputs, %d outputs" % (count, steps, nin,
                                                                  nout), root
    legend = " ".join(" ".join(texts) for t, (_, texts) in nodes.items() if t[0] == "p")
    missing = [p for p in procs if p not in legend]
    if missing or count["p"] == 0 or len(nodes) != sum(count.values()):
        return "legend %r lacks %s" % (legend, missing), root
    return None, root


def check_png(path):
    data = path.read_bytes()
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return "no PNG signature and IHDR"
    w, h = struct.unpack(">II", data[16:24])
    return None if w > 0 and h > 0 else "IHDR %dx%d" % (w, h)


def check_dot(path, steps):
    data = path.read_bytes()
    bad = check_text(data)
    if bad:
        return bad
    if shutil.which("dot"):
        p = subprocess.run(["dot", "-Tcanon", str(path)], capture_output=True, timeout=300)
        return None if p.returncode == 0 else "dot -Tcanon: %s" % p.stderr[:300]
    s = data.decode()
    if not s.startswith("digraph plan {") or not s.rstrip().endswith("}"):
        return "not a digraph"
    # braces balance outside quoted strings; one statement per step
    depth, quoted, esc = 0, False, False
    for c in s:
        if quoted:
            quoted = not (c == '"' and not esc)
            esc = c == "\\" and not esc
        elif c == '"':
            quoted = True
        elif c in "{}":
            depth += 1 if c == "{" else -1
            if depth < 0:
                return "unbalanced braces"
    if depth or quoted:
        return "unbalanced braces or quotes"
    n = len(re.findall(r"^\s*n\d+\s+\[", s, re.M))
    return None if n == steps else "%d step statements, want %d" % (n, steps)


def parse_report(out):
    """(steps, copies, [processors]) from 'wrote FILE: N steps (C copies) on P, Q (...)'"""
    m = re.search(r": (\d+) steps \((\d+) copies\) on (.*) \(strategy", out)
    return (int(m.group(1)), int(m.group(2)), m.group(3).split(", ")) if m else None


def model_io(model, shapes):
    import onnx
    m = onnx.load(str(model), load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    return sum(1 for i in m.graph.input if i.name not in inits), len(m.graph.output)


def check_gantt(path, out, steps, copies, procs):
    """None when the Gantt chart at path holds a row per processor (and the copies'), a box per
    step and copy in its row's colour, and the makespan of the report line out; else why not"""
    data = path.read_bytes()
    bad = check_text(data)
    if bad:
        return bad
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return "not well-formed: %s" % e
    m = re.search(r"gantt\.svg: .*, predicted ([\d.]+) ms", out)
    if not m:
        return "no predicted latency in %r" % out
    rows = {}
    for i, g in enumerate(g for g in root.iter(SVG + "g") if g.get("class") == "row"):
        label = "".join(g.find(SVG + "text").itertext())
        rect = g.find(SVG + "rect")
        rows[label] = (float(rect.get("y")), g.findall(SVG + "rect")[1].get("fill"))
    want = list(procs) + (["copies"] if copies else [])
    if list(rows) != want:
        return "rows %s, want %s" % (list(rows), want)
    boxes = {"step": 0, "copy": 0}
    for g in root.iter(SVG + "g"):
        kind = g.get("class")
        if kind not in boxes:
            continue
        boxes[kind] += 1
        rect = g.find(SVG + "rect")
        title = g.find(SVG + "title").text or ""
        proc = re.search(r" on (\S+): [\d.]+ to [\d.]+ ms", title)
        if not proc or proc.group(1) not in rows:
            return "box %r on no row" % title
        y0, colour = rows["copies" if kind == "copy" else proc.group(1)]
        y, x = float(rect.get("y")), float(rect.get("x"))
        if not (y0 <= y < y0 + 30) or rect.get("fill") != rows[proc.group(1)][1] or \
                x < 130 - 1e-6 or x + float(rect.get("width")) > 1170.5:
            return "box %r at %s, %s in %s" % (title, x, y, rect.get("fill"))
    if (boxes["step"], boxes["copy"]) != (steps - copies, copies):
        return "boxes %s, want %d steps and %d copies" % (boxes, steps - copies, copies)
    span = [t for t in root.iter(SVG + "text") if (t.text or "").startswith("makespan ")]
    if len(span) != 1 or abs(float(span[0].text.split()[1]) - float(m.group(1))) > 6e-4:
        return "makespan %r, reported %s ms" % ([t.text for t in span], m.group(1))
    return None


def draw_all(tag, model, work, flags, nin, nout, want_procs=()):
    """SVG (with its Gantt chart), PNG and DOT of model; the SVG's root (or None)"""
    base = work / re.sub(r"[^A-Za-z0-9_.-]", "_", tag)
    gantt = base.with_suffix(".gantt.svg")
    rc, out, err, secs = viz(model, base.with_suffix(".svg"), *flags, "--gantt", str(gantt))
    rep = parse_report(out)
    if rc != 0 or not rep:
        report(tag + " svg", False, "exit %d: %s%s" % (rc, out, err))
        return None, None
    steps, _, procs = rep
    why, root = check_svg(base.with_suffix(".svg"), steps, nin, nout, list(procs) +
                          list(want_procs))
    report("%s svg (%d steps, %.1f s)" % (tag, steps, secs), why is None, why or "")
    why = check_gantt(gantt, out, steps, rep[1], procs)
    report("%s gantt" % tag, why is None, why or "")
    rc, out, err, _ = viz(model, base.with_suffix(".png"), *flags)
    why = check_png(base.with_suffix(".png")) if rc == 0 else "exit %d: %s" % (rc, err)
    report(tag + " png", why is None, why or "")
    rc, out, err, _ = viz(model, base.with_suffix(".dot"), *flags)
    why = check_dot(base.with_suffix(".dot"), steps) if rc == 0 else "exit %d: %s" % (rc, err)
    report(tag + " dot", why is None, why or "")
    return root, rep


def check_random(model, work, devices, nin, nout):
    """--strategy random on host-split-copy.xml: both colours, bytes on each Copy's edge"""
    tag = model.stem + " random"
    root, rep = draw_all(tag, model, work, ["--target", str(devices / "host-split-copy.xml"),
                                            "--strategy", "random", "--seed", "3"],
                         nin, nout, ["cpu0", "ocl0"])
    if root is None:
        return
    nodes = svg_nodes(root)
    colours = set()
    for t, (fills, _) in nodes.items():
        if t[0] == "n":
            colours |= fills
    copies = {t for t, (_, texts) in nodes.items() if t[0] == "n" and texts[:1] == ["Copy"]}
    into = [texts for tail, head, texts in svg_edges(root) if head in copies]
    ok = (len(colours) >= 2 and len(copies) == rep[1] and len(into) >= len(copies) and
          all(any(BYTES.match(t) for t in texts) for texts in into))
    report(tag + ": two colours, bytes into every Copy", ok,
           "colours %s, %d copies (%d reported), edges into them %s" %
           (colours, len(copies), rep[1], into[:5]))


def check_hostile(work):
    import onnx
    from onnx import TensorProto, helper
    F = TensorProto.FLOAT
    names = ['q"uote', "<b>&amp;&foo;&#0;", "new\nline\\N", "esc\x1b[2J", "bidi\u202eevil",
             "BADUTF8"]
    x = helper.make_tensor_value_info(names[1], F, [1, 3, 8, 8])
    y = helper.make_tensor_value_info(names[2], F, [1, 3, 8, 8])
    nodes = [helper.make_node("Relu", [names[1]], [names[4]], name=names[0]),
             helper.make_node("Sigmoid", [names[4]], [names[5]], name=names[3]),
             helper.make_node("Add", [names[4], names[5]], [names[2]], name=names[5])]
    g = helper.make_graph(nodes, names[0], [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    path = work / "hostile.onnx"
    save(m, path, [(b"BADUTF8", b"\xff\xfe\xc3(\xe2\x82B")])
    for ext in ("svg", "dot", "png"):
        out = work / ("hostile." + ext)
        rc, o, err, _ = viz(path, out)
        why = "exit %d: %s" % (rc, err) if rc else None
        if not why and ext == "svg":
            why, root = check_svg(out, 3, 1, 1, [])
            if not why and b"&amp;foo;" not in out.read_bytes():
                why = "the name with &foo; is not shown as it is"
            gantt = work / "hostile.gantt.svg"
            rc, o, err, _ = viz(path, out, "--gantt", str(gantt))
            why = why or ("exit %d: %s" % (rc, err) if rc else
                          check_gantt(gantt, o, 3, 0, parse_report(o)[2]))
            text = gantt.read_text() if not why else ""
            if not why and ("q&quot;uote (Relu)" not in text or "esc\\x1b[2J" not in text):
                why = "the names are not shown as they are in the chart"
        elif not why and ext == "dot":
            why = check_dot(out, 3)
        elif not why:
            why = check_png(out)
        report("hostile names: " + ext, why is None, why or "")


def check_errors(model, work):
    rc, out, err, _ = viz(model, work / "x.jpg")
    report("unknown extension: exit 1", rc == 1 and "jpg" in err, "exit %d: %s" % (rc, err))
    p = subprocess.run([HETC, "viz", str(model)], capture_output=True, timeout=60)
    report("no -o: exit 1", p.returncode == 1, "exit %d" % p.returncode)
    rc, out, err, _ = viz(model, work / "x.svg", "--gantt", str(work / "g.png"))
    report("--gantt to .png: exit 1", rc == 1 and "g.png" in err, "exit %d: %s" % (rc, err))
    p = subprocess.run([HETC, "viz", str(model), "--gantt", str(work / "alone.svg")],
                       capture_output=True, timeout=60)
    report("--gantt without -o", p.returncode == 0 and (work / "alone.svg").exists() and
           not (work / "x.svg").exists() and b"alone.svg" in p.stdout,
           "exit %d: %s" % (p.returncode, p.stderr))
    bad = work / "missing" / "x.svg"
    rc, out, err, _ = viz(model, bad)
    report("unwritable path: exit 3 naming it", rc == 3 and str(bad) in err and
           err.count("\n") == 1, "exit %d: %s" % (rc, err))
    if os.geteuid() != 0:
        ro = work / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        rc, out, err, _ = viz(model, ro / "x.png")
        report("read-only folder: exit 3", rc == 3 and str(ro) in err, "exit %d: %s" % (rc, err))


def check_trace(model, work):
    out = work / "traced"
    p = subprocess.run([HETC, "compile", str(model), "-o", str(out), "--name", "m",
                        "--strategy", "cpu"], capture_output=True, timeout=300)
    if p.returncode:
        report("--trace: the plan builds", False, p.stderr.decode(errors="replace"))
        return
    trace = work / "t.json"
    p = subprocess.run([str(out / "m"), "--iters", "2", "--trace", str(trace)],
                       capture_output=True, timeout=300)
    if p.returncode:
        report("--trace: the plan runs", False, p.stderr.decode(errors="replace"))
        return
    events = [e for e in json.loads(trace.read_text())["traceEvents"] if e.get("ph") == "X"]
    gantt = work / "traced.svg"
    rc, o, err, _ = viz(model, None, "--strategy", "cpu", "--gantt", str(gantt), "--trace",
                        str(trace))
    why = "exit %d: %s" % (rc, err) if rc else None
    if not why:
        root = ET.fromstring(gantt.read_bytes())
        kinds = [g.get("class") for g in root.iter(SVG + "g")]
        end = max(e["ts"] + e["dur"] for e in events) / 1e3
        measured = [t.text for t in root.iter(SVG + "text")
                    if re.match(r"measured [\d.]+ ms$", t.text or "")]
        if kinds.count("row") != 2 or kinds.count("measured-step") != len(events) or \
                kinds.count("step") != len(events):
            why = "rows and boxes %s, %d steps traced" % (sorted(set(kinds)), len(events))
        elif measured != ["measured %.3f ms" % end]:
            why = "%r, the trace ends at %.3f ms" % (measured, end)
    report("--trace: the measured run below the prediction", not why, why or "")
    rc, o, err, _ = viz(model, work / "x.svg", "--trace", str(trace))
    report("--trace without --gantt: exit 1", rc == 1, "exit %d: %s" % (rc, err))
    bad = work / "bad.json"
    bad.write_text("{not json")
    rc, o, err, _ = viz(model, None, "--gantt", str(gantt), "--trace", str(bad))
    report("--trace not JSON: exit 2 naming it", rc == 2 and str(bad) in err and
           err.count("\n") == 1, "exit %d: %s" % (rc, err))
    text = trace.read_text().replace('"processor": "cpu0"', '"processor": "npu7"')
    bad.write_text(text)
    rc, o, err, _ = viz(model, None, "--strategy", "cpu", "--gantt", str(gantt), "--trace",
                        str(bad))
    report("--trace of another plan's processors: exit 2 naming it", rc == 2 and
           str(bad) in err and "npu7" in err, "exit %d: %s" % (rc, err))


def main():
    global HETC
    ap = argparse.ArgumentParser()
    ap.add_argument("--hetc", required=True)
    ap.add_argument("--examples", required=True, type=Path)
    ap.add_argument("--devices", required=True, type=Path)
    ap.add_argument("--models", type=Path)
    a = ap.parse_args()
    HETC = a.hetc
    examples = sorted(a.examples.glob("*.onnx"))
    if not examples:
        print("FAIL: no examples in %s (the gen_examples fixture makes them)" % a.examples)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        check_errors(examples[0], work)
        check_hostile(work)
        check_trace(examples[0], work)
        for model in examples:
            nin, nout = model_io(model, {})
            draw_all(model.stem, model, work, [], nin, nout)
        ndev, why = opencl_devices()
        if ndev:
            for model in examples:
                nin, nout = model_io(model, {})
                check_random(model, work, a.devices, nin, nout)
        else:
            print("skipped: --strategy random on host-split-copy.xml needs an OpenCL device: " +
                  why)
        if a.models and a.models.is_dir():
            for d in sorted(p for p in a.models.iterdir() if (p / "model.onnx").exists()):
                flags = []
                ref = d / "reference.json"
                if ref.exists():
                    for i in json.loads(ref.read_text())["inputs"]:
                        flags += ["--shape", i["name"] + "=" + "x".join(map(str, i["shape"]))]
                nin, nout = model_io(d / "model.onnx", {})
                draw_all(d.name, d / "model.onnx", work, flags, nin, nout)
        else:
            print("skipped: the shared models (%s is not a folder)" % a.models)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
