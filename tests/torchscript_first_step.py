#!/usr/bin/python3
"""Loads a module exported by `l2obench export-module` with torch.jit.load and checks that its
first step from the case's x, grad and loss equals what l2obench computed (exit status 0)."""
import json
import sys

import torch

module = torch.jit.load(sys.argv[1])
with open(sys.argv[2]) as f:
    case = json.load(f)
x, grad, loss, expected = (
    torch.tensor(case[k]["data"], dtype=torch.float32).reshape(case[k]["shape"])
    for k in ("x", "grad", "loss", "expected"))
with torch.no_grad():
    state = module.init(x, {})
    step, _ = module.step(x, grad, loss, state, 0)
error = ((step - expected).abs() / expected.abs().clamp_min(1.0)).max().item()
print(f"largest relative difference from l2obench's first step: {error:.3g}")
sys.exit(0 if error <= 1e-6 else 1)
