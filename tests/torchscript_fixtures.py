#!/usr/bin/python3
"""Writes the TorchScript modules the torchscript tests load into --out: the examples' adam.pt
and mlp.pt, and modules that break the contract in one way each."""
import argparse
import os
import runpy
import sys
import zipfile
from typing import Dict, List, Tuple

import torch
from torch import Tensor

HERE = os.path.dirname(os.path.abspath(__file__))


class NoStep(torch.nn.Module):
    @torch.jit.export
    def init(self, x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]:
        return []

    def forward(self, x: Tensor) -> Tensor:
        return x


class WrongShape(torch.nn.Module):
    @torch.jit.export
    def init(self, x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]:
        return []

    @torch.jit.export
    def step(self, x: Tensor, grad: Tensor, loss: Tensor, state: List[Tensor],
             t: int) -> Tuple[Tensor, List[Tensor]]:
        return x[:, :1], state


class NanState(torch.nn.Module):
    @torch.jit.export
    def init(self, x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]:
        return [torch.zeros_like(x)]

    @torch.jit.export
    def step(self, x: Tensor, grad: Tensor, loss: Tensor, state: List[Tensor],
             t: int) -> Tuple[Tensor, List[Tensor]]:
        return x - 0.01 * grad, [state[0] / state[0]]  # 0/0


class AsksForContext(torch.nn.Module):
    """Reads the problem's features, Lipschitz constant and loss: a step of 1/L along -grad
    (the loss enters as loss / loss, an error where it is not given)."""

    context: List[str]

    def __init__(self) -> None:
        super().__init__()
        self.context = ["features", "lipschitz", "loss"]

    @torch.jit.export
    def init(self, x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]:
        return [1.0 / context["lipschitz"], context["features"].sum(dim=1)]

    @torch.jit.export
    def step(self, x: Tensor, grad: Tensor, loss: Tensor, state: List[Tensor],
             t: int) -> Tuple[Tensor, List[Tensor]]:
        return x - (state[0] * loss / loss).unsqueeze(1) * grad, state


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    sys.argv = ["optimizers.py", "--out", out]
    runpy.run_path(os.path.join(HERE, "..", "examples", "torchscript", "optimizers.py"),
                   run_name="__main__")
    for name, module in [("no_step", NoStep()), ("wrong_shape", WrongShape()),
                         ("nan_state", NanState()), ("context", AsksForContext())]:
        torch.jit.script(module).save(os.path.join(out, f"{name}.pt"))
    # A module as a future torch would write it: the archive's format version bumped.
    with zipfile.ZipFile(os.path.join(out, "adam.pt")) as source, \
            zipfile.ZipFile(os.path.join(out, "future.pt"), "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("/version"):
                data = b"99\n"
            target.writestr(item, data)
    with open(os.path.join(out, "not_a_module.pt"), "w") as f:
        f.write("this is not a TorchScript archive\n")


if __name__ == "__main__":
    main()
