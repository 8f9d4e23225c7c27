"""Writes a reference checkpoint's state_dict (torch.load(path)['net']) to OUT_DIR
as raw little-endian float32 files plus index.json {name: {file, shape}}, the
form convert.go reads without a pickle parser.

    /usr/bin/python3 dump.py CHECKPOINT.pt OUT_DIR
"""
import json
import os
import sys

import torch

ckpt, out = sys.argv[1], sys.argv[2]
state = torch.load(ckpt, map_location="cpu")
if not isinstance(state, dict) or "net" not in state:
    sys.exit("dump.py: %s has no 'net' state_dict" % ckpt)
os.makedirs(out, exist_ok=True)
index = {}
for i, (name, t) in enumerate(state["net"].items()):
    a = t.detach().float().contiguous().numpy().astype("<f4")
    index[name] = {"file": "t%03d.f32" % i, "shape": list(a.shape)}
    a.tofile(os.path.join(out, index[name]["file"]))
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(index, f, indent=1)
