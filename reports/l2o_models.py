#!/usr/bin/python3
"""Reads l2obench's shipped models (models/<optimizer>-<hash>.safetensors) with numpy alone.

    /usr/bin/python3 reports/l2o_models.py models/diff-l2o-1d5b5c15b0eb268a.safetensors

prints what was trained (optimizer, family, training budget, seconds) and each weight's shape.
In Python: `weights, meta = read_model(path)`: weights {name: numpy array} in file order, meta the
"__metadata__" with its JSON fields ("key", "result", "provenance") parsed. The layout is
safetensors' (the `safetensors` package reads these files too); learned/shipped_model.hpp says
what the metadata holds.
"""

import json
import struct
import sys
from collections import OrderedDict

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
JSON_FIELDS = ("key", "result", "provenance")


def read_model(path):
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    body = data[8 + length:]
    meta = dict(header.pop("__metadata__", {}))
    if meta.get("format") != "l2obench-model":
        raise SystemExit(f"{path}: not an l2obench model (__metadata__.format is {meta.get('format')!r})")
    for field in JSON_FIELDS:
        if field in meta:
            meta[field] = json.loads(meta[field])
    weights = OrderedDict()
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        weights[name] = np.frombuffer(body[begin:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return weights, meta


def main(paths):
    for path in paths:
        weights, meta = read_model(path)
        key, result = meta["key"], meta["result"]
        print(f"{path}: {key['optimizer']} trained on {key['family']} {json.dumps(key['problem'])}, "
              f"{result.get('epochs')} epochs in {result.get('seconds', 0):.1f} s, "
              f"{sum(w.size for w in weights.values())} weights")
        for name, w in weights.items():
            print(f"  {name} {list(w.shape)} {w.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
