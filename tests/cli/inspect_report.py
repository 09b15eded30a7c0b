#!/usr/bin/env python3
"""inspect_report.py --hetc PATH: what `hetc inspect` (and the diagnostics) print about a model.

Sizes: a model with a symbolic batch dimension reports "flops" and "activation_bytes" as null in
--json and "?" in text until --shape makes them known; a sum that does not fit int64 is null
too, never a wrapped or saturated number.

Terminal safety: a model whose file, graph, producer, input, node and op names hold escape
sequences ("\\x1b[2J"), newlines, DEL, C1 controls and bytes that are not UTF-8 (0xff) is
inspected (text, --json, --dump), compiled with --no-build and refused with a diagnostic naming
such a node (a shape error, an unsupported op, a --place onto a processor that cannot run it, a
--place rule holding those bytes): stdout and stderr never carry a raw control byte or invalid UTF-8, each diagnostic
is one line, the JSON keeps the names (escaped), and ordinary names stay as they are.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

import onnx
from onnx import TensorProto, helper

F = TensorProto.FLOAT
results = {"passed": 0, "failed": 0}
# bytes a terminal acts on: C0 controls but newline, DEL, and C1 controls (U+0080..U+009F); and
# the bidirectional controls U+202A-202E, U+2066-2069, which reorder the text shown
CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|"
                     rb"\xe2\x81[\xa6-\xa9]")


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))


def run(*args):
    p = subprocess.run([HETC, *args], capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def save(m, path, replace=()):
    """Writes m; each (placeholder, raw bytes) pair of the same length is swapped in afterwards,
    which is how bytes that are not UTF-8 get into the file's strings."""
    data = m.SerializeToString()
    for old, new in replace:
        assert len(old) == len(new) and old in data
        data = data.replace(old, new)
    with open(path, "wb") as f:
        f.write(data)


def conv_model(batch):
    x = helper.make_tensor_value_info("X", F, [batch, 3, 8, 8])
    y = helper.make_tensor_value_info("Y", F, [batch, 4, 6, 6])
    w = helper.make_tensor("W", F, [4, 3, 3, 3], [0.1] * 108)
    nodes = [helper.make_node("Conv", ["X", "W"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["Y"], name="relu")]
    g = helper.make_graph(nodes, "g", [x], [y], initializer=[w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    return m


def check_sizes(d):
    path = os.path.join(d, "batch.onnx")
    save(conv_model("N"), path)

    rc, out, err = run("inspect", path, "--json")
    j = json.loads(out) if rc == 0 else {}
    report("symbolic batch: --json flops and activation_bytes are null",
           rc == 0 and j.get("flops", 0) is None and j.get("activation_bytes", 0) is None
           and j.get("params") == 108, "exit %d, %s" % (rc, out[:300]))
    rc, out, err = run("inspect", path)
    text = out.decode(errors="replace")
    report("symbolic batch: text shows ? for flops and activations",
           rc == 0 and re.search(r"^flops +\?", text, re.M) is not None
           and re.search(r"^activations +\?", text, re.M) is not None
           and re.search(r"^params +108 ", text, re.M) is not None, text)

    rc, out, err = run("inspect", path, "--json", "--shape", "X=2x3x8x8")
    j = json.loads(out) if rc == 0 else {}
    conv = 2 * (2 * 4 * 6 * 6) * (3 * 3 * 3)
    report("symbolic batch with --shape: numbers",
           rc == 0 and j.get("activation_bytes") == 2 * 4 * (2 * 4 * 6 * 6)
           and isinstance(j.get("flops"), int) and j["flops"] >= conv, out[:300])
    rc, out, err = run("inspect", path, "--shape", "X=2x3x8x8")
    report("symbolic batch with --shape: text numbers",
           rc == 0 and re.search(r"^flops +\d+ ", out.decode(errors="replace"), re.M) is not None,
           out[:300])

    # 2^61 float32 elements: the count of elements fits int64, their bytes do not; four Relus
    # of 2^61 FLOPs each make 2^63, one more than int64 holds
    big = 1 << 61
    x = helper.make_tensor_value_info("X", F, [1 << 30, 1 << 31])
    y = helper.make_tensor_value_info("Y", F, [1 << 30, 1 << 31])
    nodes = [helper.make_node("Relu", [a], [b]) for a, b in
             (("X", "a"), ("a", "b"), ("b", "c"), ("c", "Y"))]
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    path = os.path.join(d, "huge.onnx")
    save(m, path)
    rc, out, err = run("inspect", path, "--json")
    j = json.loads(out) if rc == 0 else {}
    report("2^63 bytes and FLOPs: null, not a wrapped or saturated number",
           rc == 0 and j.get("activation_bytes", 0) is None and j.get("flops", 0) is None
           and b"9223372036854775807" not in out, "exit %d %s %s" % (rc, out, err))
    nodes = nodes[:1]
    nodes[0].output[0] = "Y"
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y]),
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    save(m, path)
    rc, out, err = run("inspect", path, "--json")
    j = json.loads(out) if rc == 0 else {}
    report("2^61 FLOPs still count", rc == 0 and j.get("flops") == big, out[:300])


# the names: a screen clear, a window title, a newline, DEL, a C1 CSI, and placeholders that
# become bytes which are not UTF-8
EVIL = "\x1b[2J\x1b]0;pwned\x07\nDEL\x7f\u009b31m"
RAW = [(b"QQ1", b"\xff\xfe\xc3"), (b"QQ2", b"\xed\xa0\x80"), (b"QQ3", b"\xc0\xaf\xf8")]


def evil_model(bad_weight=False, unknown_op=False):
    x = helper.make_tensor_value_info("in" + EVIL + "QQ1", F, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("out:0", F, None)
    w = helper.make_tensor("W\u00e9", F, [4, 3, 3] + ([] if bad_weight else [3]),
                           [0.1] * (36 if bad_weight else 108))
    nodes = [helper.make_node("Conv", [x.name, "W\u00e9"], ["c" + EVIL],
                              name="conv" + EVIL + "\u202e" + "QQ2"),
             helper.make_node("Evil" + EVIL + "QQ3" if unknown_op else "Relu",
                              ["c" + EVIL], ["out:0"], name="act" + EVIL)]
    g = helper.make_graph(nodes, "graph" + EVIL, [x], [y], initializer=[w])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="producer" + EVIL)
    m.ir_version = 7
    return m


def clean(name, data, lines=None):
    """No control byte but newline, valid UTF-8, and (for stderr) the expected line count."""
    bad = CONTROL.search(data)
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    n = data.count(b"\n")
    ok = bad is None and utf8 and (lines is None or (n == lines and data.endswith(b"\n")))
    report(name, ok, "control byte %r, utf-8 %s, %d lines: %r" %
           (bad.group() if bad else None, utf8, n, data[:400]))


def check_names(d):
    path = os.path.join(d, "m" + EVIL.replace("/", "") + ".onnx")
    save(evil_model(), path, RAW[:2])

    rc, out, err = run("inspect", path)
    clean("text report: stdout clean", out)
    clean("text report: stderr clean", err)
    text = out.decode(errors="replace")
    report("text report: names escaped as \\xNN, UTF-8 kept",
           rc == 0
           and "in\\x1b[2J\\x1b]0;pwned\\x07\\x0aDEL\\x7f\\xc2\\x9b31m\\xff\\xfe\\xc3" in text
           and "graph\\x1b[2J" in text and "producer\\x1b[2J" in text
           and re.search(r"^model +.*m\\x1b\[2J", text, re.M) is not None, text[:600])

    rc, out, err = run("inspect", path, "--json")
    clean("--json: stdout clean", out)
    j = json.loads(out) if rc == 0 else {}
    name = j.get("inputs", [{}])[0].get("name", "")
    report("--json: names kept, bad bytes as U+FFFD",
           name.startswith("in" + EVIL) and name.endswith("\ufffd" * 3), repr(name))

    rc, out, err = run("inspect", path, "--dump")
    clean("--dump: stdout clean", out)
    dump = out.decode(errors="replace")
    report("--dump: ordinary names unchanged, others quoted and escaped",
           rc == 0 and '%"out:0"' in dump and "%W\u00e9" not in dump and '%"W\u00e9"' in dump
           and '# 0 "conv\\x1b[2J' in dump and dump.count("\n") == len(dump.splitlines()),
           dump[:800])

    rc, out, err = run("compile", path, "-o", os.path.join(d, "out"), "--no-build")
    clean("compile --no-build: stdout clean", out)
    clean("compile --no-build: stderr clean", err)
    report("compile --no-build of the names succeeds", rc == 0, err.decode(errors="replace"))

    for what, kw in (("a diagnostic naming the node", {"bad_weight": True}),
                     ("the unsupported-op line", {"unknown_op": True})):
        p = os.path.join(d, "bad" + EVIL + ".onnx")
        save(evil_model(**kw), p, RAW[:2] + (RAW[2:] if kw.get("unknown_op") else []))
        for args in (("inspect", p), ("inspect", p, "--json"),
                     ("compile", p, "-o", os.path.join(d, "o2"), "--no-build")):
            rc, out, err = run(*args)
            report("%s (%s): exit 2" % (what, args[0]), rc == 2, "exit %d" % rc)
            flags = " --json" * (len(args) == 3)
            clean("%s (%s%s): one clean stderr line" % (what, args[0], flags), err, lines=1)
            clean("%s (%s): clean stdout" % (what, args[0]), out)

    # a diagnostic of the placement naming such a node: Conv sent where it cannot run, and a
    # rule whose selector (from the command line) holds the same bytes
    desc = os.path.join(d, "sim.xml")
    with open(desc, "w") as f:
        f.write('<platform name="sim"><space id="host" host="1"/>'
                '<processor id="cpu0" kind="cpu" backend="cpu" space="host"/>'
                '<processor id="npu0" kind="npu" backend="simulated" space="host">'
                '<supports ops="Relu" dtypes="float32"/>'
                '<rate class="conv" gflops="100"/><rate class="depthwise" gflops="10"/>'
                '<rate class="gemm" gflops="100"/><rate class="eltwise" gbps="20"/>'
                '<rate class="reduce" gbps="20"/><rate class="move" gbps="20"/>'
                '</processor></platform>')
    node = ('node 0 "conv\\x1b[2J\\x1b]0;pwned\\x07\\x0aDEL\\x7f\\xc2\\x9b31m'
            '\\xe2\\x80\\xae\\xed\\xa0\\x80" (Conv)')
    for what, rule in (("a node", "Conv=npu0"),
                       ("a selector", "sel" + EVIL + "\u202e=cpu0")):
        rc, out, err = run("compile", path, "-o", os.path.join(d, "o3"), "--no-build",
                           "--target", desc, "--place", rule)
        report("--place naming %s: exit 2" % what, rc == 2, "exit %d" % rc)
        clean("--place naming %s: one clean stderr line" % what, err, lines=1)
        text = err.decode(errors="replace")
        report("--place naming %s: ESC, C1, U+202E and bad bytes as \\xNN" % what,
               node in text if what == "a node" else
               "sel\\x1b[2J\\x1b]0;pwned\\x07\\x0aDEL\\x7f\\xc2\\x9b31m\\xe2\\x80\\xae"
               in text, text)

    # a flag value with control bytes in a usage error
    rc, out, err = run("inspect", "--bogus\x1b[2J\nx")
    report("usage error: exit 1", rc == 1)
    clean("usage error: clean stderr", err, lines=2)


def main():
    global HETC
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hetc", required=True)
    HETC = ap.parse_args().hetc
    with tempfile.TemporaryDirectory() as d:
        check_sizes(d)
        check_names(d)
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
