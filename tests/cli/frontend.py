#!/usr/bin/env python3
"""frontend.py --hetc PATH: the ONNX frontend on small models built here with onnx.helper.

Valid models must load with `hetc inspect --json` (exit 0) and give the output shapes and dtypes
that ONNX Runtime computes; bad ones must exit 2 with one diagnostic line containing the expected
words. Covers Constant attribute forms, initializers listed as inputs, typed and raw tensor data,
external data (and paths that leave the model's folder), symbolic dims and --shape, nodes out of
order, the forms of older opsets that the frontend normalises (Slice-1, Squeeze-11, Upsample,
Pad-2, Clip-6, Split-2, ReduceMean-11, Resize-10), unknown ops, duplicate and undefined names and
cycles; QLinearMatMul, and its ninth input (hetc's own) refused. Hostile files: a FIFO, a
device or a directory as the model, as external data or as a --bind file (exit 2 at once, never
a hang), external data that a symlink leads out of the model's folder, huge declared external
tensors over small files (no allocation before the file is checked: run under an address-space
limit), messages nested deep enough to exhaust the stack, and names longer than the IR takes.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

ort.set_default_logger_severity(3)

F = TensorProto.FLOAT
I64 = TensorProto.INT64
results = {"passed": 0, "failed": 0}


def model(nodes, inputs, outputs, inits=(), opset=13, ir=None):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir if ir else (7 if opset < 15 else 8)
    return m


def vi(name, dtype=F, shape=None):
    return helper.make_tensor_value_info(name, dtype, shape)


def hetc(path, *args):
    p = subprocess.run([HETC, "inspect", path, "--json", *args], capture_output=True, text=True,
                       timeout=30)
    out = None
    if p.stdout.strip():
        out = json.loads(p.stdout)
    return p.returncode, out, p.stderr


def report(name, ok, why=""):
    results["passed" if ok else "failed"] += 1
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + why))


def ort_shapes(path, feeds):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    return [(o.name, list(v.shape), str(v.dtype)) for o, v in zip(sess.get_outputs(), outs)]


def random_feeds(m, shapes):
    feeds = {}
    inits = {t.name for t in m.graph.initializer}
    rng = np.random.default_rng(0)
    for x in m.graph.input:
        if x.name in inits:
            continue
        shape = shapes.get(x.name) or [d.dim_value for d in x.type.tensor_type.shape.dim]
        dt = onnx.helper.tensor_dtype_to_np_dtype(x.type.tensor_type.elem_type)
        feeds[x.name] = (rng.random(shape) * 4).astype(dt)
    return feeds


def expect_ok(name, m, shapes=None, args=(), files=None):
    """m loads, and output shapes/dtypes equal ONNX Runtime's."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        for fname, data in (files or {}).items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
        onnx.save(m, path)
        shapes = shapes or {}
        extra = list(args) + [a for k, v in shapes.items()
                              for a in ("--shape", k + "=" + "x".join(map(str, v)))]
        rc, out, err = hetc(path, *extra)
        if rc != 0:
            return report(name, False, "exit %d: %s" % (rc, err.strip()))
        want = ort_shapes(path, random_feeds(m, shapes))
        got = [(o["name"], o["shape"], o["dtype"]) for o in out["outputs"]]
        report(name, got == want, "hetc %s, onnxruntime %s" % (got, want))
        return out


def expect_bad(name, m, words, args=(), files=None, raw=None):
    """m is refused with exit 2 and one stderr line containing each of words."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        for fname, data in (files or {}).items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(data)
        if raw is not None:
            with open(path, "wb") as f:
                f.write(raw)
        else:
            with open(path, "wb") as f:
                f.write(m.SerializeToString())
        rc, out, err = hetc(path, *args)
        lines = [l for l in err.splitlines() if l.strip()]
        ok = rc == 2 and len(lines) == 1 and all(w in lines[0] for w in words)
        report(name, ok, "exit %d, stderr %r" % (rc, err))
        return out


def relu_model(x_shape=(1, 3, 4, 4)):
    return model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", F, list(x_shape))],
                 [vi("y")])


def constants():
    nodes = [
        helper.make_node("Constant", [], ["c_t"], value=numpy_helper.from_array(
            np.ones((2, 3), np.float32))),
        helper.make_node("Constant", [], ["c_f"], value_float=2.0),
        helper.make_node("Constant", [], ["c_fs"], value_floats=[1.0, 2.0, 3.0]),
        helper.make_node("Constant", [], ["c_i"], value_int=3),
        helper.make_node("Constant", [], ["c_is"], value_ints=[3, 2]),
        helper.make_node("Add", ["x", "c_t"], ["a"]),
        helper.make_node("Mul", ["a", "c_f"], ["b"]),
        helper.make_node("Add", ["b", "c_fs"], ["c"]),
        helper.make_node("Reshape", ["c", "c_is"], ["y"]),
        helper.make_node("Unsqueeze", ["c_i", "ax"], ["z"]),
    ]
    m = model(nodes, [vi("x", F, [2, 3])], [vi("y"), vi("z", I64)],
              [numpy_helper.from_array(np.array([0], np.int64), "ax")])
    out = expect_ok("constant attribute forms", m)
    if out:
        # 6 + 1 + 3 + 1 + 2 constant elements, plus the axes initializer
        report("params count Constant tensors and initializers", out["params"] == 14,
               "params %s" % out["params"])
        report("nodes and ops count Constant nodes", out["nodes"] == 10 and
               out["ops"].get("Constant") == 5, str(out["ops"]))


def inits_and_data():
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "w")
    m = model([helper.make_node("Add", ["x", "w"], ["y"])], [vi("x", F, [2, 3]), vi("w", F, [2, 3])],
              [vi("y")], [w], opset=9, ir=3)
    out = expect_ok("initializer listed as a graph input", m)
    if out:
        report("initializer inputs are not run-time inputs", [i["name"] for i in out["inputs"]] ==
               ["x"], str(out["inputs"]))
    # typed fields instead of raw_data, including float16 held in int32_data
    wt = helper.make_tensor("w", F, [2, 3], [1, 2, 3, 4, 5, 6])
    h = helper.make_tensor("h", TensorProto.FLOAT16, [3], np.array([1, 2, 3], np.float16)
                           .view(np.uint16).astype(np.int32).tolist())
    nodes = [helper.make_node("Add", ["x", "w"], ["a"]),
             helper.make_node("Cast", ["h"], ["hf"], to=F),
             helper.make_node("Add", ["a", "hf"], ["y"])]
    expect_ok("typed tensor fields (float_data, float16 in int32_data)",
              model(nodes, [vi("x", F, [2, 3])], [vi("y")], [wt, h]))
    bad = helper.make_tensor("w", F, [2, 3], [1, 2, 3])
    expect_bad("data shorter than the dims", model([helper.make_node("Add", ["x", "w"], ["y"])],
               [vi("x", F, [2, 3])], [vi("y")], [bad]), ["initializer \"w\"", "needs 6"])
    neg = helper.make_tensor("w", F, [2, -3], [])
    expect_bad("negative dimension", model([helper.make_node("Add", ["x", "w"], ["y"])],
               [vi("x", F, [2, 3])], [vi("y")], [neg]), ["negative"])
    huge = helper.make_tensor("w", F, [1 << 40, 1 << 40], [])
    expect_bad("element count overflows 64 bits", model([helper.make_node("Add", ["x", "w"], ["y"])],
               [vi("x", F, [2, 3])], [vi("y")], [huge]), ["overflow"])


def ext_model(location, dims=(2, 3), offset="8", length=None):
    """x + w with w's data in an external file"""
    t = helper.make_tensor("w", F, list(dims), [])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    nbytes = 4 * int(np.prod(dims))
    for k, v in (("location", location), ("offset", offset),
                 ("length", str(nbytes) if length is None else length)):
        e = t.external_data.add()
        e.key, e.value = k, v
    return model([helper.make_node("Add", ["x", "w"], ["y"])], [vi("x", F, list(dims))], [vi("y")],
                 [t])


def external(location, data_file, data, words=None):
    m = ext_model(location)
    files = {data_file: data} if data_file else {}
    if words is None:
        expect_ok("external data (offset, length)", m, files=files)
    else:
        expect_bad("external data: " + " ".join(words), m, words, files=files)


def externals():
    data = b"\0" * 8 + np.arange(6, dtype=np.float32).tobytes()
    external("w.bin", "w.bin", data)
    # the one line names the model, the tensor and the location
    external("/etc/passwd", None, None, ["m.onnx: initializer \"w\"", "\"/etc/passwd\"",
                                         "absolute"])
    external("../w.bin", None, None, ["m.onnx: initializer \"w\"", "\"../w.bin\"",
                                      "leaves the model's folder"])
    external("sub/../../w.bin", None, None, ["leaves the model's folder"])
    external("missing.bin", None, None, ["cannot open external data"])
    external("w.bin", "w.bin", data[:20], ["holds 20 bytes"])
    # an empty external tensor needs no data: its file is never opened
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(ext_model("missing.bin", dims=(2, 0)), path)
        rc, err = run_limited(["inspect", path])
        report("an empty external tensor without its file", rc == 0,
               "exit %s, stderr %r" % (rc, err))


def asan_build():
    """sanitizer builds reserve terabytes of address space: no RLIMIT_AS for them"""
    with open(HETC, "rb") as f:
        return b"__asan_init" in f.read()


def run_limited(args, seconds=20, vmem=None):
    """(exit status, stderr) of hetc args, killed after seconds (status None: it hung), with the
    address space limited to vmem bytes where the build allows it"""
    def limit():
        if vmem and not asan_build():
            resource.setrlimit(resource.RLIMIT_AS, (vmem, vmem))
    try:
        p = subprocess.run([HETC] + list(args), capture_output=True, text=True, timeout=seconds,
                           preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return None, "(killed after %d s)" % seconds
    return p.returncode, p.stderr


def expect_refused(name, args, words, seconds=20, vmem=None):
    """hetc args exits 2 within seconds, one line with each of words"""
    rc, err = run_limited(args, seconds, vmem)
    lines = [l for l in err.splitlines() if l.strip()]
    ok = rc == 2 and len(lines) == 1 and all(w in lines[0] for w in words)
    report(name, ok, "exit %s, stderr %r" % (rc, err))


GiB = 1 << 30


def hostile_files():
    """special files and symlinks where the frontend expects regular files in the model's folder"""
    notreg = ["not a regular file"]
    with tempfile.TemporaryDirectory() as top:
        d = os.path.join(top, "model")
        outside = os.path.join(top, "elsewhere")
        os.mkdir(d)
        os.mkdir(outside)
        good = os.path.join(d, "relu.onnx")
        onnx.save(relu_model(), good)
        fifo = os.path.join(d, "fifo")
        os.mkfifo(fifo)
        expect_refused("a FIFO as the model", ["inspect", fifo], notreg + ["FIFO"], seconds=10)
        expect_refused("/dev/zero as the model", ["inspect", "/dev/zero"], notreg + ["device"])
        expect_refused("a directory as the model", ["inspect", d], notreg + ["directory"])
        expect_refused("--bind with a FIFO", ["inspect", good, "--bind", "x=" + fifo],
                       notreg + ["fifo"], seconds=10)
        expect_refused("--bind with a directory", ["inspect", good, "--bind", "x=" + d], notreg)

        data = b"\0" * 8 + np.arange(6, dtype=np.float32).tobytes()
        with open(os.path.join(outside, "w.bin"), "wb") as f:
            f.write(data)
        os.mkdir(os.path.join(d, "sub"))
        with open(os.path.join(d, "sub", "real.bin"), "wb") as f:
            f.write(data)
        os.mkdir(os.path.join(d, "adir"))
        os.symlink(os.path.join(outside, "w.bin"), os.path.join(d, "out.bin"))
        os.symlink("../elsewhere", os.path.join(d, "outdir"))
        os.symlink("sub/real.bin", os.path.join(d, "in.bin"))
        os.symlink("/dev/zero", os.path.join(d, "zero.bin"))

        def ext(name, location, words, dims=(2, 3), vmem=None, path=None):
            path = path or os.path.join(d, "m.onnx")
            onnx.save(ext_model(location, dims), path)
            if words is None:
                rc, err = run_limited(["inspect", path], vmem=vmem)
                report(name, rc == 0, "exit %s, stderr %r" % (rc, err))
            else:
                expect_refused(name, ["inspect", path], words, vmem=vmem)

        ext("external data through a symlink inside the folder", "in.bin", None)
        os.symlink(d, os.path.join(top, "link"))
        ext("the model's folder reached through a symlink", "sub/real.bin", None,
            path=os.path.join(top, "link", "m.onnx"))
        ext("external data: a FIFO", "fifo", notreg + ["FIFO", "initializer \"w\""])
        ext("external data: a directory", "adir", notreg + ["directory"])
        ext("external data: a symlink to a file outside the folder", "out.bin",
            ["m.onnx: initializer \"w\"", "\"out.bin\"", "outside the model's folder"])
        ext("external data: a symlinked folder outside", "outdir/w.bin",
            ["\"outdir/w.bin\"", "outside the model's folder"])
        ext("external data: a symlink to /dev/zero", "zero.bin", ["outside the model's folder"])
        # 8 GiB declared, a few bytes there: refused before anything is allocated, so it fits in
        # 1 GiB of address space and takes no time
        big = (2, GiB)
        for what, loc, words in (("a 32-byte file", "sub/real.bin", ["holds 32 bytes"]),
                                 ("a missing file", "missing.bin", ["cannot open external data"]),
                                 ("a FIFO", "fifo", notreg),
                                 ("/dev/zero", "zero.bin", ["outside the model's folder"])):
            ext("8 GiB external tensor over " + what, loc, words, dims=big, vmem=GiB)
        onnx.save(ext_model("sub/real.bin", offset="9223372036854775807"), os.path.join(d, "o.onnx"))
        expect_refused("external data offset near 2^63", ["inspect", os.path.join(d, "o.onnx")],
                       ["holds 32 bytes"])
        bound_external(d, top)


def bound_external(d, top):
    """a --bind TensorProto's external data lies in the .pb file's own folder (not the current
    directory), confined to it as a model's is"""
    good = os.path.join(d, "relu.onnx")
    sub = os.path.join(d, "sub")
    with open(os.path.join(sub, "bind.bin"), "wb") as f:
        f.write(np.arange(48, dtype=np.float32).tobytes())
    os.symlink(os.path.join(top, "elsewhere", "w.bin"), os.path.join(sub, "away.bin"))

    def bind(name, location, words):
        t = helper.make_tensor("x", F, [1, 3, 4, 4], [])
        t.ClearField("float_data")
        t.data_location = TensorProto.EXTERNAL
        e = t.external_data.add()
        e.key, e.value = "location", location
        pb = os.path.join(sub, "x.pb")
        with open(pb, "wb") as f:
            f.write(t.SerializeToString())
        args = ["inspect", good, "--bind", "x=" + pb]
        if words is None:
            rc, err = run_limited(args)
            report(name, rc == 0, "exit %s, stderr %r" % (rc, err))
        else:
            expect_refused(name, args, words)

    bind("--bind: external data beside the .pb file", "bind.bin", None)
    bind("--bind: external data leaving the .pb's folder", "../sub/bind.bin",
         ["x.pb", "leaves the model's folder"])
    bind("--bind: external data through a symlink out of the .pb's folder", "away.bin",
         ["x.pb", "outside the model's folder"])


def varint(n):
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def nested(depth):
    """a ModelProto whose graph nests subgraphs depth deep through node attributes"""
    def field(num, payload):
        return varint(num << 3 | 2) + varint(len(payload)) + payload
    g = b""
    for _ in range(depth):
        g = field(1, field(5, field(6, g)))   # GraphProto.node > NodeProto.attribute > .g
    return field(7, g)


def hostile_contents():
    """what protobuf-c or the IR would choke on"""
    # 3000 subgraphs (9000 messages) deep in 30 KB overflowed protobuf-c's recursion
    expect_bad("messages nested 3000 subgraphs deep", None, ["nest more than"], raw=nested(3000))
    expect_bad("messages nested past the limit", None, ["nest more than"], raw=nested(40))
    long_name = "n" * 5000
    m = model([helper.make_node("Relu", ["x"], [long_name]), helper.make_node("Neg", [long_name], ["y"])],
              [vi("x", F, [4])], [vi("y")])
    expect_bad("a tensor name longer than the IR takes", m, ["5000 bytes", "limited to"])
    m = model([helper.make_node("Relu", ["x"], ["y"], name=long_name)], [vi("x", F, [4])], [vi("y")])
    expect_bad("a node name longer than the IR takes", m, ["node name", "5000 bytes"])


def shapes():
    m = model([helper.make_node("Relu", ["x"], ["y"])], [vi("x", F, ["N", 3, "H", "W"])], [vi("y")])
    expect_ok("symbolic dims with --shape", m, shapes={"x": [2, 3, 5, 7]})
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(m, path)
        rc, out, err = hetc(path)
        report("symbolic dims without --shape stay dynamic", rc == 0 and
               out["outputs"][0]["shape"] == [None, 3, None, None] and "--shape" in err,
               "exit %d %s %r" % (rc, out and out["outputs"], err))
    expect_bad("--shape of an unknown input", m, ["no input named \"z\""], args=["--shape", "z=1"])
    expect_bad("--shape of the wrong rank", m, ["rank 4"], args=["--shape", "x=1x3"])
    expect_bad("--shape against a fixed dim", m, ["fixed at 3"], args=["--shape", "x=1x4x5x5"])


def order_and_names():
    nodes = [helper.make_node("Neg", ["a"], ["y"]), helper.make_node("Relu", ["x"], ["a"])]
    expect_ok("nodes out of topological order", model(nodes, [vi("x", F, [4])], [vi("y")]))
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Neg", ["x"], ["a"])]
    expect_bad("a name defined twice", model(nodes, [vi("x", F, [4])], [vi("a")]),
               ["\"a\" is defined more than once"])
    nodes = [helper.make_node("Relu", ["q"], ["y"], name="r")]
    expect_bad("an undefined input", model(nodes, [vi("x", F, [4])], [vi("y")]),
               ["node 0 \"r\" (Relu)", "input \"q\" is not defined"])
    nodes = [helper.make_node("Relu", ["b"], ["a"]), helper.make_node("Neg", ["a"], ["b"]),
             helper.make_node("Abs", ["a"], ["y"])]
    expect_bad("a cycle", model(nodes, [vi("x", F, [4])], [vi("y")]), ["cycle"])
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("FancyOp", ["a"], ["b"], name="f1"),
             helper.make_node("Thing", ["b"], ["y"], name="f2", domain="com.example")]
    m = model(nodes, [vi("x", F, [4])], [vi("y")])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    out = expect_bad("unknown ops are all listed", m, ["2 unsupported ops", "FancyOp",
                                                        "com.example.Thing"])
    report("unsupported ops in the JSON", out is not None and out["unsupported"] ==
           [{"node": "f1", "op": "FancyOp"}, {"node": "f2", "op": "com.example.Thing"}],
           str(out and out["unsupported"]))
    expect_bad("not a protobuf", None, ["not a valid ONNX model"], raw=b"\x08\x07garbage\xff\xff")
    m = relu_model()
    raw = m.SerializeToString()
    expect_bad("a truncated model", None, ["m.onnx"], raw=raw[: len(raw) // 2])


def legacy():
    x = vi("x", F, [1, 4, 6, 6])
    cases = [
        ("Slice-1 attributes", 9, [helper.make_node("Slice", ["x"], ["y"], starts=[1, -4],
                                                    ends=[3, 1000], axes=[1, 3])]),
        ("Squeeze-11 axes", 11, [helper.make_node("Squeeze", ["x"], ["y"], axes=[0])]),
        ("Unsqueeze-11 axes", 11, [helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, -1])]),
        ("Upsample-7 scales", 7, [helper.make_node("Upsample", ["x"], ["y"],
                                                   scales=[1.0, 1.0, 2.0, 3.0])]),
        ("Pad-2 pads", 2, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 3, 4],
                                            value=1.5)]),
        ("Clip-6 min/max", 6, [helper.make_node("Clip", ["x"], ["y"], min=0.0, max=6.0)]),
        ("Split-2 split", 2, [helper.make_node("Split", ["x"], ["y", "z"], axis=1, split=[1, 3])]),
        ("ReduceMean-11 axes", 11, [helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3])]),
        ("Softmax-11 axis", 11, [helper.make_node("Softmax", ["x"], ["y"], axis=2)]),
        ("Reshape-13 0 and -1", 13, [helper.make_node("Reshape", ["x", "s"], ["y"])]),
    ]
    for name, opset, nodes in cases:
        outs = [vi(o) for o in nodes[-1].output]
        inits = []
        if nodes[0].op_type == "Reshape":
            inits = [numpy_helper.from_array(np.array([0, -1, 3], np.int64), "s")]
        expect_ok(name, model(nodes, [x], outs, inits, opset=opset))
    # Resize-10: (X, scales)
    sc = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "sc")
    expect_ok("Resize-10 scales", model([helper.make_node("Resize", ["x", "sc"], ["y"])], [x],
                                        [vi("y")], [sc], opset=10))
    # Upsample-9: (X, scales input)
    expect_ok("Upsample-9 scales input", model([helper.make_node("Upsample", ["x", "sc"], ["y"])],
                                               [x], [vi("y")], [sc], opset=9))
    bad = helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SIDEWAYS", name="c")
    w = numpy_helper.from_array(np.ones((2, 4, 3, 3), np.float32), "w")
    expect_bad("unknown attribute value", model([bad], [x], [vi("y")], [w]),
               ["node 0 \"c\" (Conv)", "auto_pad", "SIDEWAYS"])
    bad = helper.make_node("Gemm", ["a", "b"], ["y"], transA=1.5)
    expect_bad("attribute of the wrong type", model([bad], [vi("a", F, [2, 2]), vi("b", F, [2, 2])],
                                                    [vi("y")]), ["transA", "type"])
    # QLinearMatMul's ninth input is hetc's own (a bias that passes/qdq.c adds), never a file's
    q = ["a", "s", "z", "b", "s", "z", "s", "z"]
    u8 = [numpy_helper.from_array(np.array(1.0, np.float32), "s"),
          numpy_helper.from_array(np.array(0, np.uint8), "z"),
          numpy_helper.from_array(np.ones((2, 2), np.uint8), "b"),
          numpy_helper.from_array(np.ones(2, np.int32), "c")]
    a = vi("a", TensorProto.UINT8, [2, 2])
    expect_ok("QLinearMatMul", model([helper.make_node("QLinearMatMul", q, ["y"])], [a],
                                     [vi("y", TensorProto.UINT8)], u8[:3]))
    expect_bad("QLinearMatMul with a ninth input",
               model([helper.make_node("QLinearMatMul", q + ["c"], ["y"], name="qm")], [a],
                     [vi("y", TensorProto.UINT8)], u8), ["\"qm\" (QLinearMatMul)", "8 inputs"])


def nhwc():
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
             helper.make_node("Conv", ["t", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Transpose", ["c"], ["y"], perm=[0, 2, 3, 1])]
    w = numpy_helper.from_array(np.ones((8, 4, 3, 3), np.float32), "w")
    expect_ok("an NHWC model", model(nodes, [vi("x", F, [1, 10, 12, 4])], [vi("y")], [w]))


def dump():
    nodes = [helper.make_node("Conv", ["x:0", "w"], ["c"], pads=[1, 1, 1, 1], name="conv 1"),
             helper.make_node("Shape", ["c"], ["s"]),
             helper.make_node("Reshape", ["c", "s"], ["y"])]
    w = numpy_helper.from_array(np.ones((8, 3, 3, 3), np.float32), "w")
    m = model(nodes, [vi("x:0", F, [1, 3, 4, 4])], [vi("y")], [w])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(m, path)
        runs = [subprocess.run([HETC, "inspect", path, "--dump"], capture_output=True, text=True)
                for _ in range(2)]
        text = runs[0].stdout
        want = ['input %"x:0": f32[1,3,4,4]',
                "const %w: f32[8,3,3,3] param",
                '%c: f32[1,8,4,4] = Conv(%"x:0", %w) {pads=[1,1,1,1]}  # 0 "conv 1"',
                "%s: i64[4] const = Shape(%c)  # 1",
                "%y: f32[1,8,4,4] = Reshape(%c, %s)  # 2",
                "output %y"]
        missing = [l for l in want if l not in text.splitlines()]
        report("--dump text form", runs[0].returncode == 0 and not missing,
               "missing %s in:\n%s" % (missing, text))
        report("--dump is deterministic", runs[0].stdout == runs[1].stdout, "dumps differ")


def main():
    global HETC
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hetc", required=True)
    HETC = os.path.abspath(ap.parse_args().hetc)
    constants()
    inits_and_data()
    externals()
    hostile_files()
    hostile_contents()
    shapes()
    order_and_names()
    legacy()
    nhwc()
    dump()
    print("%d passed, %d failed" % (results["passed"], results["failed"]))
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
