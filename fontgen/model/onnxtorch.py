"""Run an exported ONNX graph in torch, with its weights as trainable parameters.

The adaptation of `fontgen.model.finetune` needs gradients of the glyph graph, which onnxruntime does not
give, and the shipped model is ONNX only. The glyph graph uses 25 plain operators, so a small
interpreter runs it node by node on torch tensors; the tuned weights then go back into the graph
(`with_weights`) and the charset is generated on onnxruntime as usual:

    net = OnnxModule(onnx.load("glyph.onnx"), train=lambda name, value: value.ndim >= 1)
    out = net(writer_style=ws, glyph_style=gs, templates=x)["glyphs"]
    tuned = with_weights(model, net.weights())     # ModelProto for onnxruntime

Only the operators and attributes this project's exporter writes are implemented; anything else is
a clear `NotImplementedError`, never a silent wrong answer (a parity test checks the shipped graph).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from onnx import ModelProto, helper, numpy_helper


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _ints(t) -> list[int]:
    return [int(v) for v in (t.tolist() if isinstance(t, torch.Tensor) else t)]


def _conv(x, w, b, a, transpose=False):
    if a.get("group", 1) != 1 or set(a.get("dilations", [1, 1])) != {1}:
        raise NotImplementedError("grouped or dilated convolution")
    pads = a.get("pads", [0, 0, 0, 0])
    if pads[:2] != pads[2:]:
        raise NotImplementedError("asymmetric padding")
    fn = F.conv_transpose2d if transpose else F.conv2d
    return fn(x, w, b, stride=tuple(a.get("strides", [1, 1])), padding=tuple(pads[:2]))


def _resize(x, roi, scales, a):
    if a.get("mode", b"nearest") != b"nearest" or a.get("coordinate_transformation_mode") != b"asymmetric":
        raise NotImplementedError("Resize other than nearest/asymmetric")
    factor = [float(s) for s in scales.tolist()]
    if factor[:2] != [1.0, 1.0] or any(f != int(f) for f in factor[2:]):
        raise NotImplementedError("Resize by a non-integer or batch/channel scale")
    return F.interpolate(x, scale_factor=tuple(factor[2:]), mode="nearest")


def _slice(x, starts, ends, axes=None, steps=None):
    starts, ends = _ints(starts), _ints(ends)
    axes = _ints(axes) if axes is not None else list(range(len(starts)))
    steps = _ints(steps) if steps is not None else [1] * len(starts)
    index = [slice(None)] * x.dim()
    for s, e, ax, st in zip(starts, ends, axes, steps):
        if st != 1:
            raise NotImplementedError("Slice with a step")
        index[ax] = slice(s, min(e, x.shape[ax]))
    return x[tuple(index)]


def _reshape(x, shape):
    shape = _ints(shape)
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _gemm(a_, b_, c_, a):
    if a.get("transA", 0):
        a_ = a_.t()
    if a.get("transB", 0):
        b_ = b_.t()
    out = a.get("alpha", 1.0) * (a_ @ b_)
    return out if c_ is None else out + a.get("beta", 1.0) * c_


OPS = {
    "Identity": lambda a, x: x,
    "Relu": lambda a, x: torch.relu(x),
    "Sigmoid": lambda a, x: torch.sigmoid(x),
    "Tanh": lambda a, x: torch.tanh(x),
    "Add": lambda a, x, y: x + y,
    "Sub": lambda a, x, y: x - y,
    "Mul": lambda a, x, y: x * y,
    "MatMul": lambda a, x, y: x @ y,
    "Equal": lambda a, x, y: x == y,
    "Where": lambda a, c, x, y: torch.where(c, x, y),
    "Softmax": lambda a, x: torch.softmax(x, dim=a.get("axis", -1)),
    "Transpose": lambda a, x: x.permute(*a["perm"]),
    "Shape": lambda a, x: torch.tensor(list(x.shape), dtype=torch.int64),
    "Gather": lambda a, x, i: _gather(x, i, a.get("axis", 0)),
    "Concat": lambda a, *xs: torch.cat(xs, dim=a["axis"]),
    "Unsqueeze": lambda a, x, axes: _unsqueeze(x, _ints(axes)),
    "Reshape": lambda a, x, shape: _reshape(x, shape),
    "Expand": lambda a, x, shape: x * torch.ones(_ints(shape), dtype=x.dtype),
    "ConstantOfShape": lambda a, shape: _constant_of_shape(shape, a.get("value")),
    "Slice": lambda a, x, *rest: _slice(x, *rest),
    "Gemm": lambda a, x, w, b=None: _gemm(x, w, b, a),
    "Conv": lambda a, x, w, b=None: _conv(x, w, b, a),
    "ConvTranspose": lambda a, x, w, b=None: _conv(x, w, b, a, transpose=True),
    "Resize": lambda a, x, roi, scales: _resize(x, roi, scales, a),
}


def _constant_of_shape(shape, value):
    fill = torch.from_numpy(np.array(numpy_helper.to_array(value))) if value is not None else torch.zeros(1)
    return fill.reshape(-1)[0].expand(_ints(shape)).clone()


def _gather(x, i, axis):
    picked = torch.index_select(x, axis, i.reshape(-1))
    return picked.reshape([*x.shape[:axis], *i.shape, *x.shape[axis + 1:]])


def _unsqueeze(x, axes):
    for ax in sorted(a if a >= 0 else a + x.dim() + 1 for a in axes):
        x = x.unsqueeze(ax)
    return x


class OnnxModule(torch.nn.Module):
    """An ONNX graph as a torch module; float initializers chosen by `train(name, array)` are parameters."""

    def __init__(self, model: ModelProto, train=lambda name, value: False):
        super().__init__()
        self.nodes = [(n.op_type, list(n.input), list(n.output), _attrs(n)) for n in model.graph.node]
        missing = {op for op, *_ in self.nodes if op not in OPS and op != "Constant"}
        if missing:
            raise NotImplementedError(f"operators not supported: {', '.join(sorted(missing))}")
        self.outputs = [o.name for o in model.graph.output]
        self.params = torch.nn.ParameterDict()
        self.names: dict[str, str] = {}  # initializer name -> parameter key
        self.fixed: dict[str, torch.Tensor] = {}
        for init in model.graph.initializer:
            value = numpy_helper.to_array(init)
            tensor = torch.from_numpy(np.array(value))
            if value.dtype == np.float32 and train(init.name, value):
                key = f"p{len(self.names)}"
                self.names[init.name] = key
                self.params[key] = torch.nn.Parameter(tensor)
            else:
                self.fixed[init.name] = tensor
        for op, _, outs, a in self.nodes:
            if op == "Constant":
                self.fixed[outs[0]] = torch.from_numpy(np.array(numpy_helper.to_array(a["value"])))

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        env = dict(self.fixed)
        env.update({name: self.params[key] for name, key in self.names.items()})
        env.update(inputs)
        for op, ins, outs, a in self.nodes:
            if op == "Constant":
                continue
            args = [env[i] if i else None for i in ins]
            while args and args[-1] is None:
                args.pop()
            env[outs[0]] = OPS[op](a, *args)
        return {name: env[name] for name in self.outputs}

    def weights(self) -> dict[str, np.ndarray]:
        """The trainable initializers' current values, by initializer name."""
        return {name: self.params[key].detach().numpy().copy() for name, key in self.names.items()}


def with_weights(model: ModelProto, weights: dict[str, np.ndarray]) -> ModelProto:
    """A copy of `model` whose initializers named in `weights` hold the new values."""
    out = ModelProto()
    out.CopyFrom(model)
    for i, init in enumerate(out.graph.initializer):
        if init.name in weights:
            out.graph.initializer[i].CopyFrom(numpy_helper.from_array(weights[init.name].astype(np.float32), init.name))
    return out
