"""Tune the generator itself to a writer's samples, with gradients (torch; the `train` extra).

Where torch is installed, adaptation can move more than the 192 numbers of the style code: the glyph
graph runs in torch (`onnxtorch`), its weights and the style code are tuned by Adam on the sample
characters (pixel + Sobel-edge L1, `glyph_loss`; `adapt` holds the stopping rule), and the tuned
weights are written back into the graph that generates the font on onnxruntime.
"""

from __future__ import annotations

import functools

import numpy as np

EDGE_WEIGHT = 1.0  # the edge term's weight beside the pixel L1


def trainable(name: str, value: np.ndarray) -> bool:
    """Every float weight but the fixed pixel-shuffle kernels (they place phases; learning them is meaningless)."""
    return value.ndim >= 1 and "shuffle" not in name


def load_graph(gen):
    """The generator's glyph graph as an ONNX ModelProto (read once per file: the fit and make-font share it)."""
    return _read_graph(str(gen.info.graph("glyph")))


@functools.lru_cache(maxsize=2)
def _read_graph(path: str):
    import onnx

    return onnx.load(path)


def tuned_graph(graph, weights: dict[str, np.ndarray]) -> bytes:
    """The glyph graph with tuned weights, serialized for `Generator.use_glyph_graph`."""
    from fontgen.model.onnxtorch import with_weights

    return with_weights(graph, weights).SerializeToString()


class Tuner:
    """The glyph graph in torch with its weights and one style code as parameters."""

    def __init__(self, graph, names, z0: np.ndarray, shapes: list[tuple], weight_lr: float, style_lr: float,
                 threads: int):
        import torch

        from fontgen.model.onnxtorch import OnnxModule

        torch.set_num_threads(threads)
        self.net = OnnxModule(graph, train=trainable if weight_lr > 0 else (lambda n, v: False))
        self.names, self.shapes = names, [tuple(s) for s in shapes]
        self.z = torch.nn.Parameter(torch.from_numpy(z0.astype(np.float32)))
        groups = [{"params": [self.z], "lr": style_lr}]
        if weight_lr > 0:
            groups.append({"params": list(self.net.parameters()), "lr": weight_lr})
        self.opt = torch.optim.Adam(groups, betas=(0.9, 0.999))

    def _run(self, x):
        import torch

        codes = torch.split(self.z, [int(np.prod(s)) for s in self.shapes])
        codes = [c.reshape(s) for c, s in zip(codes, self.shapes)]
        return self.net(**dict(zip(self.names, codes)), templates=x)["glyphs"][:, 0]

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        import torch

        self.opt.zero_grad()
        loss = glyph_loss(self._run(torch.from_numpy(x)), torch.from_numpy(y)).mean()
        loss.backward()
        self.opt.step()
        return float(loss.detach())

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        import torch

        with torch.no_grad():
            return float(glyph_loss(self._run(torch.from_numpy(x)), torch.from_numpy(y)).mean())

    def glyphs(self, x: np.ndarray) -> np.ndarray:
        """Model outputs for inputs `x` (float [N, C, S, S]), without gradients, as float [N, S, S]."""
        import torch

        with torch.no_grad():
            return self._run(torch.from_numpy(x)).numpy()

    def state(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return self.z.detach().numpy().astype(np.float64).copy(), self.net.weights()


def glyph_loss(made, target):
    """Per-glyph loss of model outputs against targets, float [N, S, S] in [-1, 1]: pixel L1 plus the L1
    of 3×3 Sobel edge magnitudes (stroke outlines)."""
    pixel = (made - target).abs().mean(dim=(1, 2))
    return pixel + EDGE_WEIGHT * (_edges(made) - _edges(target)).abs().mean(dim=(1, 2))


def _edges(img):
    """|dx| + |dy| of the Sobel filter, divided by 8, zero padded."""
    import torch.nn.functional as F

    return F.conv2d(img[:, None], _sobel(), padding=1).abs().sum(dim=1)


@functools.lru_cache(maxsize=1)
def _sobel():
    import torch

    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
    return torch.stack([kx, kx.t()])[:, None]
