"""Shared helpers of the oracle scripts: a hand-written safetensors writer/reader (no `safetensors`
package on Debian) and a JSON writer whose numbers round-trip exactly.

safetensors layout: u64 little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
padded with spaces to a multiple of 8, then the raw little-endian row-major data
(offsets relative to the first data byte). Tensors are written in the order given.
"""
import json
import math
import struct

import torch

DTYPE_NAMES = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.bfloat16: "BF16",
    torch.float16: "F16",
    torch.int64: "I64",
    torch.int32: "I32",
}
_BYTES = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2, "I64": 8, "I32": 4}


def tensor_bytes(t):
    """Raw little-endian bytes of a contiguous CPU tensor (x86 is little-endian).
    bf16 has no numpy type, so 16-bit floats are reinterpreted as int16 bit patterns first."""
    t = t.detach().contiguous().cpu()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save_safetensors(path, tensors, metadata=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode()
    hb += b" " * ((8 - len(hb) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    return off  # bytes of tensor data


def load_safetensors(path):
    """Reader used only to check what was written (round trip) and by the verify step."""
    import numpy as np
    npd = {"F64": np.float64, "F32": np.float32, "I64": np.int64, "I32": np.int32, "BF16": np.int16, "F16": np.int16}
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        t = torch.from_numpy(np.frombuffer(data[b:e], dtype=npd[v["dtype"]]).reshape(v["shape"]).copy())
        if v["dtype"] == "BF16":
            t = t.view(torch.bfloat16)
        elif v["dtype"] == "F16":
            t = t.view(torch.float16)
        out[k] = t
    return out


def _fmt(x, indent, level):
    """JSON with lists of scalars on one line (readable 2-D arrays), floats via repr (exact round trip)."""
    pad = " " * (indent * (level + 1))
    end = " " * (indent * level)
    if isinstance(x, dict):
        if not x:
            return "{}"
        items = [f"{pad}{json.dumps(k)}: {_fmt(v, indent, level + 1)}" for k, v in x.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(x, (list, tuple)):
        if all(not isinstance(v, (list, tuple, dict)) for v in x):
            return "[" + ", ".join(_fmt(v, indent, level + 1) for v in x) + "]"
        return "[\n" + ",\n".join(pad + _fmt(v, indent, level + 1) for v in x) + "\n" + end + "]"
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"non-finite float {x} cannot be written to JSON")
        return repr(x)
    return json.dumps(x)


def dump_json(path, obj, indent=1):
    with open(path, "w") as f:
        f.write(_fmt(obj, indent, 0) + "\n")
