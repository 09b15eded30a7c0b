#!/usr/bin/env python3
"""Generate standard network architectures as ONNX models for testing hetc.

Each model is built node by node with ``onnx.helper`` (no torch needed) and
filled with seeded random weights, so every run produces byte-identical files.
Weights are scaled (He / Xavier style) so activations stay finite and
non-trivial all the way to the output, which makes the models useful for
numerical comparison against onnxruntime.

The graphs mimic what ``torch.onnx.export`` produces in eval mode: Gemm with
transB=1 for linear layers, Clip with min/max inputs for ReLU6, explicit
pads/strides/dilations on every Conv, and (for BERT) Shape->Gather->Unsqueeze
->Concat->Reshape chains that a compiler has to fold into constants.

Usage:
    gen_models.py OUTDIR [--only NAME ...] [--check]

Writes OUTDIR/NAME.onnx and prints nodes / params / MACs per model. MACs are
counted over Conv, Gemm, MatMul, LSTM and GRU from the inferred shapes, so the published
figures can be checked (ResNet-18: 1.81 G, MobileNetV2: 0.30 G).
``--check`` also runs every model once in onnxruntime on a seeded random input
and fails if the output is not finite.
"""

import argparse
import math
import os
import sys
import time
from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IR_VERSION = 8  # ONNX 1.12 level; enough for opset 13 and 17
CNN_OPSET = 13
BERT_OPSET = 17


# ---------------------------------------------------------------------------
# Graph builder
# ---------------------------------------------------------------------------

class Graph:
    """Accumulates nodes and initializers; hands out unique tensor names."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = []
        self._used = Counter()
        self._scalars = {}

    def unique(self, base):
        self._used[base] += 1
        n = self._used[base]
        return base if n == 1 else f"{base}_{n - 1}"

    def init(self, name, array):
        """Add an initializer and return its name."""
        name = self.unique(name)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def param(self, name, shape, std, mean=0.0):
        """Random float32 normal weight N(mean, std^2)."""
        a = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        return self.init(name, a + np.float32(mean))

    def uniform(self, name, shape, lo, hi):
        a = self.rng.uniform(lo, hi, shape).astype(np.float32)
        return self.init(name, a)

    def scalar(self, value, dtype=np.float32):
        """Shared 0-d constant initializer (one per distinct value)."""
        key = (float(value), np.dtype(dtype).name)
        if key not in self._scalars:
            self._scalars[key] = self.init(f"const_{key[1]}_{value:g}",
                                           np.array(value, dtype=dtype))
        return self._scalars[key]

    def ints(self, values, name="const"):
        """1-d int64 initializer (Reshape shapes, Unsqueeze axes, ...)."""
        return self.init(name, np.array(values, dtype=np.int64))

    def op(self, op_type, inputs, name=None, **attrs):
        """Append a single-output node; returns the output tensor name."""
        name = self.unique(name or op_type)
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def model(self, graph_name, inputs, outputs, opset, output_name="output"):
        """Name the last node's result `output_name`; wrap it into a ModelProto."""
        self.nodes[-1].output[0] = output_name  # nodes are in topological order
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)
        m = helper.make_model(graph, producer_name="hetc-gen_models",
                              opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = IR_VERSION
        return m


# ---------------------------------------------------------------------------
# Shared layer helpers (CNN: NCHW, weights OIHW as torch exports them)
# ---------------------------------------------------------------------------

def conv(g, x, cin, cout, k, stride=1, pad=0, group=1, bias=True, gain=2.0,
         name="conv"):
    """Conv with weight std sqrt(gain / fan_in) (gain 2 = He init for ReLU)."""
    fan_in = (cin // group) * k * k
    w = g.param(f"{name}.weight", (cout, cin // group, k, k), math.sqrt(gain / fan_in))
    ins = [x, w]
    if bias:
        ins.append(g.param(f"{name}.bias", (cout,), 0.05))
    return g.op("Conv", ins, name=name, kernel_shape=[k, k], strides=[stride, stride],
                pads=[pad] * 4, dilations=[1, 1], group=group)


def batchnorm(g, x, c, name="bn"):
    """Inference BatchNormalization with random (positive) statistics."""
    scale = g.uniform(f"{name}.weight", (c,), 0.6, 1.2)
    bias = g.param(f"{name}.bias", (c,), 0.1)
    mean = g.param(f"{name}.running_mean", (c,), 0.1)
    var = g.uniform(f"{name}.running_var", (c,), 0.5, 1.5)
    return g.op("BatchNormalization", [x, scale, bias, mean, var], name=name,
                epsilon=1e-5, momentum=0.9)


def relu(g, x):
    return g.op("Relu", [x])


def relu6(g, x):
    """ReLU6 as torch exports it at opset >= 11: Clip(x, 0, 6)."""
    return g.op("Clip", [x, g.scalar(0.0), g.scalar(6.0)])


def maxpool(g, x, k, stride, pad=0, ceil=0):
    return g.op("MaxPool", [x], kernel_shape=[k, k], strides=[stride, stride],
                pads=[pad] * 4, ceil_mode=ceil)


def gemm(g, x, fin, fout, name="fc", std=None):
    """Linear layer as Gemm(x, W^T) + b with W stored [out, in] (transB=1)."""
    w = g.param(f"{name}.weight", (fout, fin), std or math.sqrt(1.0 / fin))
    b = g.param(f"{name}.bias", (fout,), 0.05)
    return g.op("Gemm", [x, w, b], name=name, alpha=1.0, beta=1.0, transB=1)


def flatten(g, x):
    return g.op("Flatten", [x], axis=1)


def image_io(size, classes):
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, classes])
    return [inp], [out]


# ---------------------------------------------------------------------------
# MobileNetV2 1.0 @ 224 (BN folded into conv bias)
# ---------------------------------------------------------------------------

def mobilenetv2(seed=1):
    g = Graph(seed)
    x = relu6(g, conv(g, "input", 3, 32, 3, stride=2, pad=1, name="features.0"))
    cin = 32
    # (expansion t, out channels c, repeats n, first stride s)
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    idx = 1
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            p = f"features.{idx}"
            hidden = cin * t
            y = x
            if t != 1:  # 1x1 expansion
                y = relu6(g, conv(g, y, cin, hidden, 1, name=f"{p}.expand"))
            y = relu6(g, conv(g, y, hidden, hidden, 3, stride=stride, pad=1,
                              group=hidden, name=f"{p}.dw"))
            # linear 1x1 projection (no activation -> gain 1)
            y = conv(g, y, hidden, c, 1, gain=1.0, name=f"{p}.project")
            if stride == 1 and cin == c:
                y = g.op("Add", [x, y])
            x, cin = y, c
            idx += 1
    x = relu6(g, conv(g, x, cin, 1280, 1, name=f"features.{idx}"))
    x = flatten(g, g.op("GlobalAveragePool", [x]))
    x = gemm(g, x, 1280, 1000, name="classifier.1")
    return g.model("mobilenetv2", *image_io(224, 1000), CNN_OPSET)


# ---------------------------------------------------------------------------
# ResNet-18 (Conv without bias + explicit BatchNormalization)
# ---------------------------------------------------------------------------

def resnet18(seed=2):
    g = Graph(seed)
    x = conv(g, "input", 3, 64, 7, stride=2, pad=3, bias=False, name="conv1")
    x = relu(g, batchnorm(g, x, 64, name="bn1"))
    x = maxpool(g, x, 3, 2, pad=1)
    cin = 64
    for li, cout in enumerate([64, 128, 256, 512], start=1):
        for bi in range(2):
            stride = 2 if (bi == 0 and li > 1) else 1
            p = f"layer{li}.{bi}"
            y = conv(g, x, cin, cout, 3, stride, 1, bias=False, name=f"{p}.conv1")
            y = relu(g, batchnorm(g, y, cout, name=f"{p}.bn1"))
            y = conv(g, y, cout, cout, 3, 1, 1, bias=False, gain=1.0, name=f"{p}.conv2")
            y = batchnorm(g, y, cout, name=f"{p}.bn2")
            if stride != 1 or cin != cout:  # projection shortcut
                x = conv(g, x, cin, cout, 1, stride, bias=False, gain=1.0,
                         name=f"{p}.downsample.0")
                x = batchnorm(g, x, cout, name=f"{p}.downsample.1")
            x = relu(g, g.op("Add", [y, x]))
            cin = cout
    x = flatten(g, g.op("GlobalAveragePool", [x]))
    x = gemm(g, x, 512, 1000, name="fc")
    return g.model("resnet18", *image_io(224, 1000), CNN_OPSET)


# ---------------------------------------------------------------------------
# SqueezeNet 1.1
# ---------------------------------------------------------------------------

def fire(g, x, cin, squeeze, e1, e3, name):
    s = relu(g, conv(g, x, cin, squeeze, 1, name=f"{name}.squeeze"))
    a = relu(g, conv(g, s, squeeze, e1, 1, name=f"{name}.expand1x1"))
    b = relu(g, conv(g, s, squeeze, e3, 3, pad=1, name=f"{name}.expand3x3"))
    return g.op("Concat", [a, b], axis=1)


def squeezenet11(seed=3):
    g = Graph(seed)
    x = relu(g, conv(g, "input", 3, 64, 3, stride=2, name="features.0"))
    x = maxpool(g, x, 3, 2, ceil=1)
    x = fire(g, x, 64, 16, 64, 64, "features.3")
    x = fire(g, x, 128, 16, 64, 64, "features.4")
    x = maxpool(g, x, 3, 2, ceil=1)
    x = fire(g, x, 128, 32, 128, 128, "features.6")
    x = fire(g, x, 256, 32, 128, 128, "features.7")
    x = maxpool(g, x, 3, 2, ceil=1)
    x = fire(g, x, 256, 48, 192, 192, "features.9")
    x = fire(g, x, 384, 48, 192, 192, "features.10")
    x = fire(g, x, 384, 64, 256, 256, "features.11")
    x = fire(g, x, 512, 64, 256, 256, "features.12")
    x = g.op("Dropout", [x, g.scalar(0.5)])  # identity at inference
    x = relu(g, conv(g, x, 512, 1000, 1, gain=0.5, name="classifier.1"))
    x = flatten(g, g.op("GlobalAveragePool", [x]))
    x = g.op("Softmax", [x], axis=1)
    return g.model("squeezenet11", *image_io(224, 1000), CNN_OPSET)


# ---------------------------------------------------------------------------
# GoogLeNet-style network (stem + LRN + 3 inception modules) @ 112
# ---------------------------------------------------------------------------

def inception(g, x, cin, c1, c3r, c3, c5r, c5, cp, name):
    """Four branches (1x1, 1x1->3x3, 1x1->5x5, maxpool->1x1) concatenated."""
    b1 = relu(g, conv(g, x, cin, c1, 1, name=f"{name}.b1"))
    b2 = relu(g, conv(g, x, cin, c3r, 1, name=f"{name}.b2.reduce"))
    b2 = relu(g, conv(g, b2, c3r, c3, 3, pad=1, name=f"{name}.b2"))
    b3 = relu(g, conv(g, x, cin, c5r, 1, name=f"{name}.b3.reduce"))
    b3 = relu(g, conv(g, b3, c5r, c5, 5, pad=2, name=f"{name}.b3"))
    b4 = maxpool(g, x, 3, 1, pad=1)
    b4 = relu(g, conv(g, b4, cin, cp, 1, name=f"{name}.b4"))
    return g.op("Concat", [b1, b2, b3, b4], axis=1), c1 + c3 + c5 + cp


def lrn(g, x):
    return g.op("LRN", [x], size=5, alpha=1e-4, beta=0.75, bias=1.0)


def googlenet_mini(seed=4):
    g = Graph(seed)
    x = relu(g, conv(g, "input", 3, 64, 7, stride=2, pad=3, name="conv1"))  # 56
    x = lrn(g, maxpool(g, x, 3, 2, ceil=1))                                 # 28
    x = relu(g, conv(g, x, 64, 64, 1, name="conv2.reduce"))
    x = relu(g, conv(g, x, 64, 192, 3, pad=1, name="conv2"))
    x = maxpool(g, lrn(g, x), 3, 2, ceil=1)                                 # 14
    x, c = inception(g, x, 192, 64, 96, 128, 16, 32, 32, "inception3a")
    x, c = inception(g, x, c, 128, 128, 192, 32, 96, 64, "inception3b")
    x = maxpool(g, x, 3, 2, ceil=1)                                         # 7
    x, c = inception(g, x, c, 192, 96, 208, 16, 48, 64, "inception4a")
    x = g.op("AveragePool", [x], kernel_shape=[7, 7], strides=[1, 1])       # 1
    x = gemm(g, flatten(g, x), c, 1000, name="fc", std=0.5 / math.sqrt(c))
    x = g.op("Softmax", [x], axis=1)
    return g.model("googlenet_mini", *image_io(112, 1000), CNN_OPSET)


# ---------------------------------------------------------------------------
# BERT-tiny encoder (L=2, H=128, A=2, I=512), opset 17
# ---------------------------------------------------------------------------

BERT = dict(vocab=30522, max_pos=512, seq=32, hidden=128, heads=2, inter=512, layers=2)


def linear(g, x, fin, fout, name):
    """torch Linear on a 3-d tensor: MatMul with W^T stored [in, out], then Add."""
    w = g.param(f"{name}.weight", (fin, fout), math.sqrt(1.0 / fin))
    b = g.param(f"{name}.bias", (fout,), 0.05)
    return g.op("Add", [g.op("MatMul", [x, w], name=f"{name}.MatMul"), b])


def layernorm(g, x, dim, name):
    scale = g.param(f"{name}.weight", (dim,), 0.1, mean=1.0)
    bias = g.param(f"{name}.bias", (dim,), 0.05)
    return g.op("LayerNormalization", [x, scale, bias], name=name, axis=-1, epsilon=1e-12)


def dim_of(g, shape, i):
    """Shape -> Gather(i) -> Unsqueeze: a 1-element int64 tensor holding dim i."""
    d = g.op("Gather", [shape, g.scalar(i, np.int64)], axis=0)
    return g.op("Unsqueeze", [d, g.ints([0], "axes0")])


def reshape_dynamic(g, x, tail):
    """x.view(x.size(0), x.size(1), *tail) exported the torch way."""
    shape = g.op("Shape", [x])
    parts = [dim_of(g, shape, 0), dim_of(g, shape, 1)] + [g.ints([t]) for t in tail]
    return g.op("Reshape", [x, g.op("Concat", parts, axis=0)])


def gelu(g, x):
    """Exact GELU: x * 0.5 * (1 + erf(x / sqrt(2)))."""
    e = g.op("Erf", [g.op("Div", [x, g.scalar(math.sqrt(2.0))])])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [e, g.scalar(1.0)])]), g.scalar(0.5)])


def attention(g, x, mask, name):
    H, A = BERT["hidden"], BERT["heads"]
    D = H // A
    q = g.op("Transpose", [reshape_dynamic(g, linear(g, x, H, H, f"{name}.query"), [A, D])],
             perm=[0, 2, 1, 3])                                     # [B,A,S,D]
    k = g.op("Transpose", [reshape_dynamic(g, linear(g, x, H, H, f"{name}.key"), [A, D])],
             perm=[0, 2, 3, 1])                                     # [B,A,D,S]
    v = g.op("Transpose", [reshape_dynamic(g, linear(g, x, H, H, f"{name}.value"), [A, D])],
             perm=[0, 2, 1, 3])                                     # [B,A,S,D]
    s = g.op("Div", [g.op("MatMul", [q, k]), g.scalar(math.sqrt(D))])
    p = g.op("Softmax", [g.op("Add", [s, mask])], axis=-1)
    ctx = g.op("Transpose", [g.op("MatMul", [p, v])], perm=[0, 2, 1, 3])  # [B,S,A,D]
    ctx = reshape_dynamic(g, ctx, [H])
    out = linear(g, ctx, H, H, f"{name}.output.dense")
    return layernorm(g, g.op("Add", [out, x]), H, f"{name}.output.LayerNorm")


def bert_tiny(seed=5):
    g = Graph(seed)
    V, P, S, H, A, I = (BERT[k] for k in ("vocab", "max_pos", "seq", "hidden", "heads", "inter"))
    ids = "input_ids"
    shape = g.op("Shape", [ids])
    batch, seqlen = dim_of(g, shape, 0), dim_of(g, shape, 1)

    # Embeddings: word + token_type + position, then LayerNorm.
    word = g.op("Gather", [g.param("embeddings.word", (V, H), 0.5), ids], axis=0)
    zero = g.ints([0], "starts")
    pos_ids = g.op("Slice", [g.init("position_ids", np.arange(P, dtype=np.int64)[None]),
                             zero, seqlen, g.ints([1], "slice_axes")])
    types = g.op("Slice", [g.init("token_type_ids", np.zeros((1, P), np.int64)),
                           zero, seqlen, g.ints([1], "slice_axes")])
    types = g.op("Expand", [types, g.op("Concat", [batch, seqlen], axis=0)])
    tok = g.op("Gather", [g.param("embeddings.token_type", (2, H), 0.5), types], axis=0)
    pos = g.op("Gather", [g.param("embeddings.position", (P, H), 0.5), pos_ids], axis=0)
    x = g.op("Add", [g.op("Add", [word, tok]), pos])
    x = layernorm(g, x, H, "embeddings.LayerNorm")

    # Additive attention mask: padding tokens (id 0) get -10000, expanded to [B,1,S,S].
    pad = g.op("Equal", [ids, g.scalar(0, np.int64)])
    pad = g.op("Unsqueeze", [pad, g.ints([1, 2], "axes12")])
    mask = g.op("Where", [pad, g.scalar(-10000.0), g.scalar(0.0)])
    mask = g.op("Expand", [mask, g.op("Concat", [batch, g.ints([1]), seqlen, seqlen], axis=0)])

    for li in range(BERT["layers"]):
        p = f"encoder.layer.{li}"
        x = attention(g, x, mask, f"{p}.attention")
        h = gelu(g, linear(g, x, H, I, f"{p}.intermediate.dense"))
        h = linear(g, h, I, H, f"{p}.output.dense")
        x = layernorm(g, g.op("Add", [h, x]), H, f"{p}.output.LayerNorm")

    inputs = [helper.make_tensor_value_info(ids, TensorProto.INT64, [1, S])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, S, H])]
    return g.model("bert_tiny", inputs, outputs, BERT_OPSET)


# ---------------------------------------------------------------------------
# Recurrent models (ONNX's LSTM and GRU, sequence-major [T, N, C] as torch exports them)
# ---------------------------------------------------------------------------

def recurrent(g, op, x, fin, hidden, bidirectional=False, name="rnn", **attrs):
    """One LSTM or GRU layer; returns Y [T, D, N, hidden]. Weights U(-1/sqrt(H), 1/sqrt(H)),
    the initialisation torch gives its recurrent layers."""
    gates = {"LSTM": 4, "GRU": 3}[op]
    dirs = 2 if bidirectional else 1
    b = 1.0 / math.sqrt(hidden)
    w = g.uniform(f"{name}.W", (dirs, gates * hidden, fin), -b, b)
    r = g.uniform(f"{name}.R", (dirs, gates * hidden, hidden), -b, b)
    bias = g.uniform(f"{name}.B", (dirs, 2 * gates * hidden), -b, b)
    if bidirectional:
        attrs["direction"] = "bidirectional"
    y = g.unique(f"{name}.Y")
    g.nodes.append(helper.make_node(op, [x, w, r, bias], [y], name=g.unique(name),
                                    hidden_size=hidden, **attrs))
    return y


def crnn_ctc(seed=6):
    """A CAPTCHA / text-line recogniser in the CRNN style: a small CNN over a 32 x 128 grey
    image, its columns as a sequence of 32 steps, two bidirectional LSTM layers and per-step
    log-probabilities over 37 symbols (CTC's blank, 10 digits, 26 letters)."""
    g = Graph(seed)
    x = "image"
    x = maxpool(g, relu(g, conv(g, x, 1, 32, 3, pad=1, name="conv1")), 2, 2)
    x = maxpool(g, relu(g, conv(g, x, 32, 64, 3, pad=1, name="conv2")), 2, 2)
    x = relu(g, batchnorm(g, conv(g, x, 64, 96, 3, pad=1, bias=False, name="conv3"), 96))
    x = g.op("MaxPool", [x], kernel_shape=[2, 1], strides=[2, 1])       # [1, 96, 4, 32]
    w = g.param("conv4.weight", (96, 96, 4, 1), math.sqrt(2.0 / (96 * 4)))
    x = relu(g, g.op("Conv", [x, w, g.param("conv4.bias", (96,), 0.05)], name="conv4",
                     kernel_shape=[4, 1]))                               # [1, 96, 1, 32]
    x = g.op("Squeeze", [x, g.ints([2], "axes2")])                       # [1, 96, 32]
    x = g.op("Transpose", [x], perm=[2, 0, 1])                           # [32, 1, 96]
    fin = 96
    for i in range(2):
        y = recurrent(g, "LSTM", x, fin, 64, bidirectional=True, name=f"lstm{i}")
        y = g.op("Transpose", [y], perm=[0, 2, 1, 3])                    # [T, N, 2, 64]
        x = g.op("Reshape", [y, g.ints([0, 0, -1], "shape_tn")])         # [T, N, 128]
        fin = 128
    x = g.op("Add", [g.op("MatMul", [x, g.param("fc.W", (128, 37), 4 / math.sqrt(128))]),
                     g.param("fc.b", (37,), 0.1)])
    g.op("LogSoftmax", [x], axis=2)
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, 32, 128])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [32, 1, 37])]
    return g.model("crnn_ctc", inputs, outputs, CNN_OPSET)


def gru_scorer(seed=7):
    """A speech-quality or voice-activity scorer: 100 frames of 40 mel features, two GRU layers
    (torch's form: linear_before_reset), the mean over time and one sigmoid score."""
    g = Graph(seed)
    x = g.op("Transpose", ["features"], perm=[1, 0, 2])                  # [100, 1, 40]
    fin = 40
    for i in range(2):
        y = recurrent(g, "GRU", x, fin, 64, name=f"gru{i}", linear_before_reset=1)
        x = g.op("Squeeze", [y, g.ints([1], "axes1")])                   # [100, 1, 64]
        fin = 64
    x = g.op("ReduceMean", [x], axes=[0], keepdims=0)                    # [1, 64]
    x = gemm(g, x, 64, 1, name="score", std=0.3)
    g.op("Sigmoid", [x])
    inputs = [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 100, 40])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])]
    return g.model("gru_scorer", inputs, outputs, CNN_OPSET)


class _SeededImages:
    """ONNX Runtime's calibration reader over a fixed list of inputs."""

    def __init__(self, name, inputs):
        self.items = iter([{name: x} for x in inputs])

    def get_next(self):
        return next(self.items, None)


def resnet18_int8(seed=2, calib=8):
    """The resnet18 example quantised by ONNX Runtime's own tools: BatchNormalization folded
    into the convolutions (quant_pre_process), then quantize_static in QDQ form with uint8
    activations and int8 weights per output channel (symmetric), min-max ranges calibrated on
    `calib` seeded standard-normal images, so the file is the same on every run."""
    import tempfile
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    rng = np.random.default_rng(seed + 100)
    images = [rng.standard_normal((1, 3, 224, 224), dtype=np.float32) for _ in range(calib)]
    with tempfile.TemporaryDirectory() as tmp:
        f32, pre, q8 = (os.path.join(tmp, f) for f in ("f32.onnx", "pre.onnx", "q8.onnx"))
        onnx.save(resnet18(), f32)
        quant_pre_process(f32, pre, skip_symbolic_shape=True)
        quantize_static(pre, q8, _SeededImages("input", images), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, calibrate_method=CalibrationMethod.MinMax)
        model = onnx.load(q8)
    model.graph.name = "resnet18_int8"
    model.producer_name = "hetc examples/gen_models.py"
    model.producer_version = ""
    return model


def gated_heads(seed=8):
    """A day/night classifier of image features: a shared two-layer trunk over 256 features, then
    an If on an ambient-light reading picks the night head (light below 0.5) or the day head, each
    Gemm, Relu, Gemm and Softmax over 10 classes, reading the trunk's output from the outer graph
    (an outer-scope name) and its own weights (the branch's initializers)."""
    g = Graph(seed)
    h = relu(g, gemm(g, "features", 256, 128, name="trunk1"))
    h = relu(g, gemm(g, h, 128, 64, name="trunk2"))
    dark = g.op("Less", ["light", g.scalar(0.5)], name="dark")          # bool [1]
    branches = {}
    for name in ("night", "day"):
        b = Graph(seed + len(branches) + 1)
        b._used = g._used               # one namespace across the graph and its branches
        y = relu(b, gemm(b, h, 64, 32, name=f"{name}.fc1"))
        b.op("Softmax", [gemm(b, y, 32, 10, name=f"{name}.fc2")], axis=1)
        b.nodes[-1].output[0] = f"{name}_probs"
        out = helper.make_tensor_value_info(f"{name}_probs", TensorProto.FLOAT, [1, 10])
        branches[name] = helper.make_graph(b.nodes, f"{name}_head", [], [out], b.inits)
    g.nodes.append(helper.make_node("If", [dark], ["probs"], name="pick_head",
                                    then_branch=branches["night"], else_branch=branches["day"]))
    inputs = [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 256]),
              helper.make_tensor_value_info("light", TensorProto.FLOAT, [1])]
    outputs = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])]
    return g.model("gated_heads", inputs, outputs, CNN_OPSET)


MODELS = {
    "mobilenetv2": mobilenetv2,
    "resnet18": resnet18,
    "resnet18_int8": resnet18_int8,
    "squeezenet11": squeezenet11,
    "googlenet_mini": googlenet_mini,
    "bert_tiny": bert_tiny,
    "crnn_ctc": crnn_ctc,
    "gru_scorer": gru_scorer,
    "gated_heads": gated_heads,
}


# ---------------------------------------------------------------------------
# Statistics and self-check
# ---------------------------------------------------------------------------

def count_params(model):
    """Elements of all floating-point initializers (weights, biases, BN stats), those of If
    branches included."""
    def graphs(gr):
        yield gr
        for n in gr.node:
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    yield from graphs(a.g)
    return sum(int(np.prod(t.dims)) for gr in graphs(model.graph) for t in gr.initializer
               if t.data_type == TensorProto.FLOAT)


def count_macs(model):
    """Multiply-accumulates of Conv, Gemm, MatMul, LSTM and GRU, from inferred shapes."""
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    gr = inferred.graph
    shapes = {t.name: list(t.dims) for t in gr.initializer}
    for vi in list(gr.input) + list(gr.value_info) + list(gr.output):
        dims = vi.type.tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[vi.name] = [d.dim_value for d in dims]

    # Static inference cannot see through data-dependent shapes (e.g. a Slice
    # whose `ends` comes from a Shape chain). Fill those in by evaluating the
    # model once with onnx's numpy reference runtime (only BERT needs this).
    needed = {x for n in gr.node if n.op_type in ("Conv", "Gemm", "MatMul")
              for x in (n.input[0], n.input[1], n.output[0])}
    missing = sorted(needed - shapes.keys())
    if missing:
        from onnx.reference import ReferenceEvaluator
        values = ReferenceEvaluator(model).run(missing, sample_input(model, np.random.default_rng(0)))
        shapes.update((name, list(v.shape)) for name, v in zip(missing, values))

    def get(name):
        return shapes[name]

    def nodes(graph):
        """the graph's nodes and an If's then_branch's (the branch ONNX Runtime runs)"""
        for n in graph.node:
            yield n
            for a in n.attribute:
                if n.op_type == "If" and a.name == "then_branch":
                    shapes.update((vi.name, [d.dim_value for d in vi.type.tensor_type.shape.dim])
                                  for vi in list(a.g.value_info) + list(a.g.output))
                    shapes.update((t.name, list(t.dims)) for t in a.g.initializer)
                    yield from nodes(a.g)

    macs = 0
    for n in nodes(gr):
        if n.op_type == "Conv":    # out elements * (Cin/group * kh * kw)
            macs += int(np.prod(get(n.output[0]))) * int(np.prod(get(n.input[1])[1:]))
        elif n.op_type == "Gemm":  # M*N*K
            trans_a = any(a.name == "transA" and a.i for a in n.attribute)
            k = get(n.input[0])[0 if trans_a else 1]
            macs += int(np.prod(get(n.output[0]))) * k
        elif n.op_type == "MatMul":
            macs += int(np.prod(get(n.output[0]))) * get(n.input[0])[-1]
        elif n.op_type in ("LSTM", "GRU"):  # per step, direction and row: W [G*H, C], R [G*H, H]
            steps, rows = get(n.input[0])[0], get(n.input[0])[1]
            w, r = get(n.input[1]), get(n.input[2])
            macs += steps * rows * w[0] * w[1] * (w[2] + r[2])
    return macs


def sample_input(model, rng):
    feeds = {}
    for inp in model.graph.input:
        dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
        if inp.type.tensor_type.elem_type == TensorProto.INT64:
            ids = rng.integers(1, BERT["vocab"], dims, dtype=np.int64)
            ids[..., -4:] = 0  # some padding so the attention mask matters
            feeds[inp.name] = ids
        else:
            feeds[inp.name] = rng.standard_normal(dims, dtype=np.float32)
    return feeds


def ort_check(path, model):
    import onnxruntime as ort  # only needed for --check
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = sess.run(["output"], sample_input(model, np.random.default_rng(0)))
    if not np.all(np.isfinite(out)):
        raise RuntimeError(f"{path}: non-finite output")
    return f"ort ok {list(out.shape)} min {out.min():.3g} max {out.max():.3g} std {out.std():.3g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--only", nargs="+", choices=list(MODELS), metavar="NAME",
                    help=f"subset of: {', '.join(MODELS)}")
    ap.add_argument("--check", action="store_true",
                    help="run each model once in onnxruntime and require finite output")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)

    for name in args.only or MODELS:
        t0 = time.time()
        try:
            model = MODELS[name]()
        except ImportError as e:  # resnet18_int8 needs onnxruntime's quantisation tools
            if args.only:
                raise
            print(f"{name:15s} skipped: {e}")
            continue
        onnx.checker.check_model(model, full_check=True)
        path = os.path.join(args.outdir, f"{name}.onnx")
        onnx.save(model, path)
        ops = sorted({n.op_type for n in model.graph.node})
        print(f"{name:15s} opset {model.opset_import[0].version}  "
              f"nodes {len(model.graph.node):4d}  params {count_params(model):>10,d}  "
              f"MACs {count_macs(model) / 1e9:.4f} G  ({time.time() - t0:.2f} s) -> {path}")
        print(f"{'':15s} ops: {' '.join(ops)}")
        if args.check:
            print(f"{'':15s} {ort_check(path, model)}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
