#!/usr/bin/python3
"""Two optimizers written in PyTorch for l2obench's `torchscript` optimizer.

Run `examples/torchscript/optimizers.py --out DIR` (Debian's /usr/bin/python3, with
python3-torch): it scripts both and writes DIR/adam.pt and DIR/mlp.pt. The contract l2obench
calls (README, "Benchmark your own optimizer"):

    init(x: Tensor[B, n], context: Dict[str, Tensor]) -> List[Tensor]          # the state
    step(x, grad, loss, state: List[Tensor], t: int) -> Tuple[Tensor, List[Tensor]]

x and grad are [B, n] (B instances, n coordinates), t counts steps from 0. The state is any
list of tensors the optimizer carries. What else a method needs it lists in its `context`
attribute: "loss" (then step's loss is f(x) [B]; otherwise an empty tensor, since evaluating f
costs as much as its gradient), and for init's context "features" [B, p] (the problem's
parameters, one row per instance), "lipschitz" [B] (where the family knows it), "l1_weight" (a
0-d tensor). Float attributes (here lr, beta1, ...) are hyperparameters: a suite entry's
"options" sets them. Parameters (nn.Linear,
...) are what l2obench meta-trains when the entry has a "train" object.
"""
import argparse
import math
import os
from typing import Dict, List, Tuple

import torch
from torch import Tensor


class Adam(torch.nn.Module):
    """Adam (Kingma & Ba 2015) with the same operations as l2obench's built-in `adam`."""

    context: List[str]

    def __init__(self) -> None:
        super().__init__()
        self.lr = 1e-3
        self.beta1 = 0.9
        self.beta2 = 0.999
        self.eps = 1e-8
        self.context = []

    @torch.jit.export
    def init(self, x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]:
        return [torch.zeros_like(x), torch.zeros_like(x)]

    @torch.jit.export
    def step(self, x: Tensor, grad: Tensor, loss: Tensor, state: List[Tensor],
             t: int) -> Tuple[Tensor, List[Tensor]]:
        # torch.optim.Adam's operations in its order, so that results agree to the last bit.
        m = state[0].mul(self.beta1).add(grad, alpha=1 - self.beta1)
        v = state[1].mul(self.beta2).addcmul(grad, grad, value=1 - self.beta2)
        bias1 = 1 - self.beta1 ** (t + 1)
        bias2 = 1 - self.beta2 ** (t + 1)
        denom = (v.sqrt() / math.sqrt(bias2)).add(self.eps)
        return torch.addcdiv(x, m, denom, value=-self.lr / bias1), [m, v]


class CoordinateMlp(torch.nn.Module):
    """A small learned optimizer: per coordinate, an MLP maps (gradient, momentum of the
    gradient) to a step. Its weights are meta-trained by l2obench."""

    context: List[str]

    def __init__(self, hidden: int = 16) -> None:
        super().__init__()
        self.momentum = 0.9
        self.scale = 0.01
        self.context = []
        self.net = torch.nn.Sequential(
            torch.nn.Linear(2, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1))
        torch.nn.init.zeros_(self.net[2].weight)  # starts as gradient descent (below)
        torch.nn.init.zeros_(self.net[2].bias)

    @torch.jit.export
    def init(self, x: Tensor, context: Dict[str, Tensor]) -> List[Tensor]:
        return [torch.zeros_like(x)]

    @torch.jit.export
    def step(self, x: Tensor, grad: Tensor, loss: Tensor, state: List[Tensor],
             t: int) -> Tuple[Tensor, List[Tensor]]:
        m = self.momentum * state[0] + (1 - self.momentum) * grad
        inputs = torch.stack([grad, m], dim=-1)  # [B, n, 2]
        learned = self.net(inputs).squeeze(-1)
        return x - self.scale * (grad + learned), [m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for adam.pt and mlp.pt")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)  # the MLP's initial weights
    for name, module in [("adam", Adam()), ("mlp", CoordinateMlp())]:
        path = os.path.join(args.out, f"{name}.pt")
        torch.jit.script(module).save(path)
        print(path)


if __name__ == "__main__":
    main()
