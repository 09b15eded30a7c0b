#!/usr/bin/env python3
"""Generate the seed corpus (fuzz/corpus_tensor/) for the tensor readers' fuzz target.

Each file is two selector bytes and a tensor file, as fuzz_tensor.c reads it: byte 0 picks the
tensor the plan expects (an index into its `wants` table, repeated here as WANTS), byte 1 the
reader (0 .pb, 1 .npy). The seeds cover the encodings ONNX writes for every dtype (raw_data,
packed and unpacked typed fields), NumPy files of format 1.0, 2.0 and 3.0, and the refusals:
wire types that do not fit the field, values that do not fit the element, fields of another
dtype, external data, sizes, Fortran order, big-endian data, malformed headers.
The output is deterministic, so rerunning it leaves the committed corpus unchanged.

Run:  .venv/bin/python fuzz/make_corpus_tensor.py [--out fuzz/corpus_tensor]
"""
import argparse
import io
import struct
from pathlib import Path

import numpy as np
from onnx import TensorProto as T
from onnx import helper, numpy_helper

# (dtype, shape) in the order of fuzz_tensor.c's wants[]
WANTS = [
    (T.FLOAT, [2, 3]), (T.UINT8, [4]), (T.INT64, [3]), (T.DOUBLE, [2]), (T.COMPLEX64, [2]),
    (T.COMPLEX128, [1]), (T.BOOL, [4]), (T.FLOAT16, [3]), (T.INT8, [2, 2]), (T.UINT32, [2]),
    (T.UINT64, [2]), (T.INT32, [0]), (T.FLOAT, []), (T.INT16, [3]), (T.BFLOAT16, [2]),
    (T.UINT16, [1, 2, 1]),
]
NP = {T.FLOAT: np.float32, T.UINT8: np.uint8, T.INT64: np.int64, T.DOUBLE: np.float64,
      T.COMPLEX64: np.complex64, T.COMPLEX128: np.complex128, T.BOOL: np.bool_,
      T.FLOAT16: np.float16, T.INT8: np.int8, T.UINT32: np.uint32, T.UINT64: np.uint64,
      T.INT32: np.int32, T.INT16: np.int16, T.UINT16: np.uint16}


def key(field, wt):
    return bytes([field << 3 | wt])


def varint(v):
    v &= (1 << 64) - 1
    out = b""
    while True:
        c = v & 0x7F
        v >>= 7
        out += bytes([c | (0x80 if v else 0)])
        if not v:
            return out


def head(dims, dt):
    return b"".join(key(1, 0) + varint(x) for x in dims) + key(2, 0) + varint(dt)


def values(i):
    dt, shape = WANTS[i]
    n = int(np.prod(shape)) if shape else 1
    if dt == T.BFLOAT16:
        return None
    a = (np.arange(n) % 5 + 1).astype(NP[dt])
    if dt in (T.COMPLEX64, T.COMPLEX128):
        a = a + 1j * a
    return a.reshape(shape)


def npy(a, version=(1, 0), fortran=False):
    f = io.BytesIO()
    if fortran:
        a = np.asfortranarray(a)
    np.lib.format.write_array(f, a, version=version)
    return f.getvalue()


def seeds():
    out = {}
    for i, (dt, shape) in enumerate(WANTS):
        a = values(i)
        tag = f"{i:02d}_{T.DataType.Name(dt).lower()}"
        if a is not None:
            out[f"pb_raw_{tag}"] = (i, 0, numpy_helper.from_array(a, "x").SerializeToString())
            out[f"npy_v1_{tag}"] = (i, 1, npy(a))
        else:
            bits = [0x3F80, 0x4000]
            out[f"pb_raw_{tag}"] = (i, 0, helper.make_tensor("x", dt, shape, struct.pack(
                "<2H", *bits), raw=True).SerializeToString())
            packed = b"".join(varint(b) for b in bits)
            out[f"pb_int32_{tag}"] = (i, 0, head(shape, dt) + key(5, 2) + varint(len(packed)) +
                                      packed)
    # the typed fields ONNX's helper writes (packed)
    for i in (0, 1, 2, 3, 4, 6, 8, 9, 10, 13, 15):
        dt, shape = WANTS[i]
        a = values(i)
        vals = a.ravel().tolist() if dt not in (T.COMPLEX64,) else a.ravel()
        out[f"pb_typed_{i:02d}"] = (i, 0, helper.make_tensor("x", dt, shape, vals)
                                    .SerializeToString())
    # unpacked fields, one key per entry
    out["pb_unpacked_float"] = (0, 0, head([2, 3], T.FLOAT) + b"".join(
        key(4, 5) + struct.pack("<f", x) for x in range(6)))
    out["pb_unpacked_int64"] = (2, 0, head([3], T.INT64) + b"".join(
        key(7, 0) + varint(x) for x in (-1, 1 << 40, 3)))
    out["pb_unpacked_double"] = (3, 0, head([2], T.DOUBLE) + b"".join(
        key(10, 1) + struct.pack("<d", x) for x in (0.5, -2)))
    # wire types that do not fit: 8 bytes into a 1-byte slot, 4 into an 8-byte one
    out["bad_pb_fixed64_uint8"] = (1, 0, head([4], T.UINT8) + b"".join(
        key(5, 1) + struct.pack("<q", x) for x in range(4)))
    out["bad_pb_fixed32_int64"] = (2, 0, head([3], T.INT64) + b"".join(
        key(7, 5) + struct.pack("<i", x) for x in range(3)))
    out["bad_pb_float_fixed64"] = (0, 0, head([2, 3], T.FLOAT) + b"".join(
        key(4, 1) + struct.pack("<d", x) for x in range(6)))
    out["bad_pb_raw_varint"] = (1, 0, head([4], T.UINT8) + key(9, 0) + varint(4))
    out["bad_pb_group"] = (1, 0, head([4], T.UINT8) + key(12, 3) + key(12, 4))
    out["bad_pb_range_uint8"] = (1, 0, head([4], T.UINT8) + key(5, 2) + varint(5) +
                                 varint(1) + varint(2) + varint(300) + varint(4))
    out["bad_pb_range_bool"] = (6, 0, head([4], T.BOOL) + b"".join(
        key(5, 0) + varint(x) for x in (0, 1, 2, 1)))
    out["bad_pb_other_field"] = (2, 0, head([3], T.INT64) + b"".join(
        key(4, 5) + struct.pack("<f", 1) for x in range(3)))
    out["bad_pb_both"] = (1, 0, head([4], T.UINT8) + key(9, 2) + varint(4) + b"\1\2\3\4" +
                          key(5, 0) + varint(1))
    out["bad_pb_external"] = (1, 0, head([4], T.UINT8) + key(14, 0) + varint(1))
    out["bad_pb_too_many"] = (1, 0, head([4], T.UINT8) + key(5, 2) + varint(5) + bytes(5))
    out["bad_pb_dtype"] = (1, 0, head([4], T.INT8) + key(9, 2) + varint(4) + bytes(4))
    # the element count is what must match (a [2, 2] tensor fills a [4] input), not the dims
    out["pb_dims_2x2"] = (1, 0, head([2, 2], T.UINT8) + key(9, 2) + varint(4) + bytes(4))
    out["bad_pb_dims"] = (1, 0, head([2, 3], T.UINT8) + key(9, 2) + varint(6) + bytes(6))
    out["bad_pb_rank9"] = (1, 0, head([1] * 9, T.UINT8))
    out["bad_pb_truncated"] = (0, 0, numpy_helper.from_array(values(0), "x")
                               .SerializeToString()[:-7])
    out["bad_pb_long_varint"] = (0, 0, b"\xff" * 11)
    # NumPy files: other versions and the refusals
    a = values(0)
    out["npy_v2_float"] = (0, 1, npy(a, (2, 0)))
    out["npy_v3_float"] = (0, 1, npy(a, (3, 0)))
    out["bad_npy_fortran"] = (0, 1, npy(a, fortran=True))
    out["bad_npy_bigendian"] = (0, 1, npy(a.astype(">f4")))
    out["bad_npy_dtype"] = (0, 1, npy(a.astype(np.float64)))
    out["bad_npy_shape"] = (0, 1, npy(a.reshape(3, 2)))
    out["bad_npy_short"] = (0, 1, npy(a)[:-4])
    out["bad_npy_header"] = (0, 1, b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape': (2 3)}")
    out["bad_npy_version"] = (0, 1, b"\x93NUMPY\x04\x00\x00\x00")
    out["bad_npy_hlen"] = (0, 1, b"\x93NUMPY\x02\x00\xff\xff\xff\xff{")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).parent / "corpus_tensor"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, (want, reader, data) in sorted(seeds().items()):
        (out / name).write_bytes(bytes([want, reader]) + data)
    print(f"wrote {len(seeds())} seeds to {out}")


if __name__ == "__main__":
    main()
