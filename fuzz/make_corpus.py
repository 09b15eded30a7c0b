#!/usr/bin/env python3
"""Generate the seed corpus (fuzz/corpus/*.onnx) for the libFuzzer target over the ONNX loader.

Writes ~25 small files (each < 8 KB): tiny valid models made with onnx.helper (valid_*) that
cover the loader's paths (Conv, Gemm, a Reshape fed by a Shape->Gather->Concat chain, every
Constant attribute form, an initializer that is also a graph input, a symbolic dim, a subgraph,
a float16 MLP), malformed ones (bad_*): truncated, cyclic, duplicate outputs, undefined
inputs, unknown op, negative and enormous dims, wrong attribute types, size mismatches;
and extdata_* models whose external data is missing or points outside the model folder
(a loader must reject both).
The output is deterministic (fixed weights, fixed ir_version/opset), so rerunning it leaves
the committed corpus unchanged.

Run:  .venv/bin/python fuzz/make_corpus.py [--out fuzz/corpus]
"""
import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

IR_VERSION = 8
OPSET = 13
MAX_BYTES = 8192


def weights(name, shape, scale=0.1):
    """Deterministic small float32 initializer."""
    n = int(np.prod(shape))
    values = (np.arange(n, dtype=np.float32) % 7 - 3) * scale
    return numpy_helper.from_array(values.reshape(shape), name)


def model(nodes, inputs, outputs, inits=(), opset=OPSET, name="g", check=True):
    graph = h.make_graph(nodes, name, inputs, outputs, list(inits))
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)],
                     producer_name="hetc-fuzz-corpus", ir_version=IR_VERSION)
    if check:
        onnx.checker.check_model(m, full_check=True)
    return m


def vi(name, dims, elem=T.FLOAT):
    return h.make_tensor_value_info(name, elem, dims)


# --- valid models ----------------------------------------------------------------------------

def valid_conv():
    return model([h.make_node("Conv", ["x", "w", "b"], ["y"], name="conv",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])],
                 [vi("x", [1, 3, 8, 8])], [vi("y", [1, 4, 8, 8])],
                 [weights("w", [4, 3, 3, 3]), weights("b", [4])])


def valid_gemm():
    return model([h.make_node("Gemm", ["x", "w", "b"], ["y"], name="fc",
                              alpha=1.0, beta=1.0, transB=1),
                  h.make_node("Relu", ["y"], ["z"], name="relu")],
                 [vi("x", [2, 16])], [vi("z", [2, 8])],
                 [weights("w", [8, 16]), weights("b", [8])])


def valid_reshape_shape_chain():
    # y = Reshape(x, Concat(Gather(Shape(x), 0), [-1]))  -> [N, C*H*W]
    nodes = [
        h.make_node("Shape", ["x"], ["s"], name="shape"),
        h.make_node("Gather", ["s", "zero"], ["n"], name="gather", axis=0),
        h.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsqueeze"),
        h.make_node("Concat", ["n1", "minus1"], ["target"], name="concat", axis=0),
        h.make_node("Reshape", ["x", "target"], ["y"], name="reshape"),
    ]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array([0], np.int64), "axes0"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus1")]
    return model(nodes, [vi("x", [2, 3, 4, 5])], [vi("y", [2, 60])], inits)


def valid_constant_forms():
    # one Constant per attribute form, all feeding a Concat/Add so none is dead
    nodes = [
        h.make_node("Constant", [], ["c_value"], name="c_value",
                    value=numpy_helper.from_array(np.array([1.5, 2.5], np.float32))),
        h.make_node("Constant", [], ["c_float"], name="c_float", value_float=0.25),
        h.make_node("Constant", [], ["c_floats"], name="c_floats", value_floats=[1.0, -1.0]),
        h.make_node("Constant", [], ["c_int"], name="c_int", value_int=2),
        h.make_node("Constant", [], ["c_ints"], name="c_ints", value_ints=[1, 2]),
        h.make_node("Add", ["x", "c_value"], ["a"], name="add_value"),
        h.make_node("Mul", ["a", "c_float"], ["b"], name="mul_float"),
        h.make_node("Sub", ["b", "c_floats"], ["y"], name="sub_floats"),
        h.make_node("Reshape", ["y", "c_ints"], ["y2"], name="reshape_ints"),
        h.make_node("Unsqueeze", ["c_int", "axes0"], ["n"], name="unsq_int"),
    ]
    inits = [numpy_helper.from_array(np.array([0], np.int64), "axes0")]
    return model(nodes, [vi("x", [2])], [vi("y2", [1, 2]), vi("n", [1], T.INT64)], inits)


def valid_initializer_as_input():
    # IR-3 style: the weight is listed among graph inputs and has an initializer (a default)
    return model([h.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
                 [vi("x", [1, 4]), vi("w", [4, 3])], [vi("y", [1, 3])],
                 [weights("w", [4, 3])])


def valid_symbolic_dim():
    return model([h.make_node("Relu", ["x"], ["r"], name="relu"),
                  h.make_node("MaxPool", ["r"], ["y"], name="pool",
                              kernel_shape=[2, 2], strides=[2, 2])],
                 [vi("x", ["batch", 3, "height", 16])], [vi("y", ["batch", 3, None, 8])])


def valid_scalar_and_int_io():
    return model([h.make_node("Cast", ["k"], ["kf"], name="cast", to=T.FLOAT),
                  h.make_node("Mul", ["x", "kf"], ["y"], name="scale"),
                  h.make_node("ArgMax", ["y"], ["i"], name="argmax", axis=1, keepdims=0)],
                 [vi("x", [2, 5]), vi("k", [], T.INT64)],
                 [vi("y", [2, 5]), vi("i", [2], T.INT64)])


def valid_if_subgraph():
    then_g = h.make_graph([h.make_node("Relu", ["x"], ["t"], name="then_relu")], "then",
                          [], [vi("t", [2, 2])])
    else_g = h.make_graph([h.make_node("Neg", ["x"], ["e"], name="else_neg")], "else",
                          [], [vi("e", [2, 2])])
    return model([h.make_node("If", ["cond"], ["y"], name="if",
                              then_branch=then_g, else_branch=else_g)],
                 [vi("cond", [], T.BOOL), vi("x", [2, 2])], [vi("y", [2, 2])])


def loop_body(with_if):
    """Loop body: v = v + x (x from the outer graph), scanned; with_if: v * 2 on odd iterations
    through an If on the iteration number (a body within a body)"""
    nodes = [h.make_node("Identity", ["c_in"], ["c_out"], name="cond"),
             h.make_node("Add", ["v_in", "x"], ["v_add"], name="add")]
    if with_if:
        odd = h.make_graph([h.make_node("Mul", ["v_add", "two"], ["o"], name="double")], "odd",
                           [], [vi("o", [2])])
        even = h.make_graph([h.make_node("Identity", ["v_add"], ["e"], name="keep")], "even",
                            [], [vi("e", [2])])
        nodes += [h.make_node("Mod", ["i", "two_i"], ["m"], name="mod"),
                  h.make_node("Cast", ["m"], ["is_odd"], name="cast", to=T.BOOL),
                  h.make_node("If", ["is_odd"], ["v_out"], name="if", then_branch=odd,
                              else_branch=even)]
    else:
        nodes.append(h.make_node("Identity", ["v_add"], ["v_out"], name="copy"))
    nodes.append(h.make_node("Identity", ["v_out"], ["scan"], name="scan_copy"))
    return h.make_graph(nodes, "body", [vi("i", [], T.INT64), vi("c_in", [], T.BOOL),
                                        vi("v_in", [2])],
                        [vi("c_out", [], T.BOOL), vi("v_out", [2]), vi("scan", [2])])


def valid_loop_scan():
    scan_body = h.make_graph([h.make_node("Add", ["s_in", "r"], ["s_out"], name="acc"),
                              h.make_node("Identity", ["s_out"], ["o"], name="out")],
                             "scan_body", [vi("s_in", [2]), vi("r", [2])],
                             [vi("s_out", [2]), vi("o", [2])])
    inits = [numpy_helper.from_array(np.array(3, np.int64), "M"),
             numpy_helper.from_array(np.array(2, np.float32), "two"),
             numpy_helper.from_array(np.array(2, np.int64), "two_i")]
    return model([h.make_node("Loop", ["M", "", "x"], ["v", "all"], name="loop",
                              body=loop_body(True)),
                  h.make_node("Scan", ["v", "all"], ["s", "ss"], name="scan", body=scan_body,
                              num_scan_inputs=1, scan_output_directions=[1])],
                 [vi("x", [2])], [vi("s", [2]), vi("ss", [3, 2])], inits)


def valid_mlp_fp16():
    w = numpy_helper.from_array((np.arange(12) % 5 - 2).astype(np.float16).reshape(4, 3), "w")
    return model([h.make_node("MatMul", ["x", "w"], ["m"], name="matmul"),
                  h.make_node("Sigmoid", ["m"], ["y"], name="sigmoid")],
                 [vi("x", [1, 4], T.FLOAT16)], [vi("y", [1, 3], T.FLOAT16)], [w])


def external_weight(location):
    t = h.make_tensor("w", T.FLOAT, [4, 3], vals=[])
    t.ClearField("float_data")
    t.data_location = T.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "48")):
        entry = t.external_data.add()
        entry.key, entry.value = key, value
    return model([h.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
                 [vi("x", [1, 4])], [vi("y", [1, 3])], [t], check=False)


# --- malformed models -------------------------------------------------------------------------

def bad_cyclic_graph():
    return model([h.make_node("Add", ["x", "b"], ["a"], name="add"),
                  h.make_node("Relu", ["a"], ["b"], name="relu")],
                 [vi("x", [4])], [vi("b", [4])], check=False)


def bad_duplicate_output_names():
    return model([h.make_node("Relu", ["x"], ["y"], name="relu"),
                  h.make_node("Neg", ["x"], ["y"], name="neg")],
                 [vi("x", [4])], [vi("y", [4])], check=False)


def bad_undefined_input():
    return model([h.make_node("Add", ["x", "nowhere"], ["y"], name="add")],
                 [vi("x", [4])], [vi("y", [4])], check=False)


def bad_unknown_op():
    return model([h.make_node("FrobnicateTensor", ["x"], ["y"], name="frob", level=3)],
                 [vi("x", [4])], [vi("y", [4])], check=False)


def bad_negative_dims():
    m = model([h.make_node("Relu", ["x"], ["y"], name="relu")],
              [vi("x", [1, 3, 8, 8])], [vi("y", [1, 3, 8, 8])], check=False)
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = -3
    w = m.graph.initializer.add()
    w.CopyFrom(weights("w", [2, 2]))
    w.dims[0] = -2
    return m


def bad_huge_dims():
    # 2^62 x 2^62 input and a same-sized initializer with no data: must not allocate
    big = 1 << 62
    w = h.make_tensor("w", T.FLOAT, [big, big], vals=[])
    return model([h.make_node("Add", ["x", "w"], ["y"], name="add")],
                 [vi("x", [big, big])], [vi("y", [big, big])], [w], check=False)


def bad_rank0_conv():
    return model([h.make_node("Conv", ["x", "w"], ["y"], name="conv")],
                 [vi("x", [])], [vi("y", None)], [weights("w", [1])], check=False)


def bad_initializer_size_mismatch():
    w = weights("w", [4, 3])
    w.dims[:] = [40, 30]          # raw_data holds 12 floats, dims claim 1200
    return model([h.make_node("MatMul", ["x", "w"], ["y"], name="matmul")],
                 [vi("x", [1, 4])], [vi("y", [1, 3])], [w], check=False)


def bad_attribute_type():
    conv = h.make_node("Conv", ["x", "w"], ["y"], name="conv")
    conv.attribute.extend([h.make_attribute("kernel_shape", 3.5),      # FLOAT, want INTS
                           h.make_attribute("pads", "same"),             # STRING, want INTS
                           h.make_attribute("group", [1, 2])])           # INTS, want INT
    return model([conv], [vi("x", [1, 3, 8, 8])], [vi("y", None)],
                 [weights("w", [4, 3, 3, 3])], check=False)


def bad_future_opset():
    return model([h.make_node("Relu", ["x"], ["y"], name="relu")],
                 [vi("x", [4])], [vi("y", [4])], opset=999, check=False)


def bad_reshape_shape_mismatch():
    shape = numpy_helper.from_array(np.array([7, -1, -1], np.int64), "shape")
    return model([h.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
                 [vi("x", [2, 3])], [vi("y", None)], [shape], check=False)


def bad_body_cycle():
    body = h.make_graph([h.make_node("Add", ["c_in", "b"], ["a"], name="add"),
                         h.make_node("Identity", ["a"], ["b"], name="copy")], "body",
                        [vi("i", [], T.INT64), vi("c_in", [], T.BOOL)], [vi("b", [], T.BOOL)])
    return model([h.make_node("Loop", ["M", ""], [], name="loop", body=body)],
                 [vi("M", [], T.INT64)], [vi("M", [], T.INT64)], check=False)


def bad_body_undefined():
    then_g = h.make_graph([h.make_node("Relu", ["nowhere"], ["t"], name="relu")], "then",
                          [], [vi("t", [2])])
    return model([h.make_node("If", ["c"], ["y"], name="if", then_branch=then_g,
                              else_branch=then_g)],
                 [vi("c", [], T.BOOL)], [vi("y", [2])], check=False)


def bad_nested_bodies():
    """If within If, 20 deep (hetc takes 16)"""
    g = h.make_graph([h.make_node("Identity", ["x"], ["y0"], name="leaf")], "leaf", [],
                     [vi("y0", [2])])
    for k in range(1, 21):
        other = h.make_graph([h.make_node("Neg", ["x"], ["n%d" % k], name="neg%d" % k)],
                             "other%d" % k, [], [vi("n%d" % k, [2])])
        g = h.make_graph([h.make_node("If", ["c"], ["y%d" % k], name="if%d" % k,
                                      then_branch=g, else_branch=other)],
                         "level%d" % k, [], [vi("y%d" % k, [2])])
    return model(list(g.node), [vi("c", [], T.BOOL), vi("x", [2])], [vi("y20", [2])],
                 check=False)


def valid_sequences():
    """a Loop gathering a sequence, read back by SequenceAt and ConcatFromSequence, and an If on
    OptionalHasElement choosing between a SequenceMap of it and its split"""
    body = h.make_graph([h.make_node("Identity", ["c_in"], ["c_out"], name="cond"),
                         h.make_node("SequenceInsert", ["s_in", "x"], ["s_out"], name="ins")],
                        "body", [vi("i", [], T.INT64), vi("c_in", [], T.BOOL),
                                 h.make_tensor_sequence_value_info("s_in", T.FLOAT, [2])],
                        [vi("c_out", [], T.BOOL),
                         h.make_tensor_sequence_value_info("s_out", T.FLOAT, [2])])
    mbody = h.make_graph([h.make_node("Neg", ["a"], ["b"], name="neg")], "map", [vi("a", [2])],
                         [vi("b", [2])])
    then_g = h.make_graph([h.make_node("SequenceMap", ["s"], ["m"], name="map", body=mbody)],
                          "then", [], [h.make_tensor_sequence_value_info("m", T.FLOAT, [2])])
    else_g = h.make_graph([h.make_node("SplitToSequence", ["x"], ["p"], name="split", axis=0)],
                          "else", [], [h.make_tensor_sequence_value_info("p", T.FLOAT, [1])])
    inits = [numpy_helper.from_array(np.array(3, np.int64), "M"),
             numpy_helper.from_array(np.array(-1, np.int64), "last")]
    return model([h.make_node("SequenceEmpty", [], ["e"], name="empty"),
                  h.make_node("Loop", ["M", "", "e"], ["s"], name="loop", body=body),
                  h.make_node("Optional", ["x"], ["o"], name="opt"),
                  h.make_node("OptionalHasElement", ["o"], ["has"], name="has"),
                  h.make_node("If", ["has"], ["r"], name="if", then_branch=then_g,
                              else_branch=else_g),
                  h.make_node("SequenceAt", ["r", "last"], ["y"], name="at"),
                  h.make_node("ConcatFromSequence", ["s"], ["z"], name="cat", axis=0)],
                 [vi("x", [2])], [vi("y", [2]), vi("z", [6])], inits, opset=17)


def corpus():
    """{file name: bytes}"""
    files = {}
    for fn in (valid_conv, valid_gemm, valid_reshape_shape_chain, valid_constant_forms,
               valid_initializer_as_input, valid_symbolic_dim, valid_scalar_and_int_io,
               valid_if_subgraph, valid_loop_scan, valid_sequences, valid_mlp_fp16,
               bad_body_cycle, bad_body_undefined, bad_nested_bodies,
               bad_cyclic_graph, bad_duplicate_output_names, bad_undefined_input,
               bad_unknown_op, bad_negative_dims, bad_huge_dims, bad_rank0_conv,
               bad_initializer_size_mismatch, bad_attribute_type, bad_future_opset,
               bad_reshape_shape_mismatch):
        files[fn.__name__ + ".onnx"] = fn().SerializeToString()
    files["extdata_missing_file.onnx"] = \
        external_weight("missing_weights.bin").SerializeToString()
    files["extdata_dotdot_path.onnx"] = \
        external_weight("../../../etc/passwd").SerializeToString()
    conv = files["valid_conv.onnx"]
    files["bad_truncated_conv.onnx"] = conv[:len(conv) // 2]
    files["bad_truncated_in_header.onnx"] = conv[:5]
    files["bad_empty.onnx"] = b""
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "corpus"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(corpus().items()):
        assert len(data) < MAX_BYTES, f"{name} is {len(data)} bytes"
        (out / name).write_bytes(data)
        print(f"{len(data):6d}  {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
