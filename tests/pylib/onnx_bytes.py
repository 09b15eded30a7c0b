"""onnx_bytes.save: a model written with bytes that are not UTF-8 in its strings, which the onnx
package will not put there itself (hostile-name tests of viz.py and explain.py)."""


def save(m, path, replace=()):
    """Writes m; each (placeholder, raw bytes) pair of the same length is swapped in afterwards,
    which is how bytes that are not UTF-8 get into the file's strings."""
    data = m.SerializeToString()
    for old, new in replace:
        assert len(old) == len(new) and old in data
        data = data.replace(old, new)
    path.write_bytes(data)
