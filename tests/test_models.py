"""DSF-GAN models: shapes, the style/glyph split, broadcasting, ONNX with dynamic batch and R."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import config  # noqa: E402
from training.models import build_critic, build_discriminator, build_generator  # noqa: E402

SIZE = 32


def small_model_config(size=SIZE):
    return config.load("cpu", [f"model.size={size}", "model.base=4", "model.style_base=4", "model.style_dim=32",
                               "model.style_heads=2", "model.style_layers=1", "model.proj_dim=8",
                               "model.d_base=8"]).model


@pytest.fixture(scope="module")
def gen():
    torch.manual_seed(0)
    return build_generator(small_model_config()).eval()


def rand(*shape):
    return torch.rand(*shape) * 2 - 1


@pytest.mark.parametrize("refs", [1, 4, 8])
@pytest.mark.parametrize("batch", [1, 5])
def test_generator_shapes_and_split(gen, refs, batch):
    r, t = rand(batch, refs, SIZE, SIZE), rand(batch, 1, SIZE, SIZE)
    with torch.no_grad():
        styles = gen.style(r)
        out = gen(r, t)
        split = gen.glyph(*styles, t)
    assert isinstance(styles, tuple) and all(s.shape[0] == batch for s in styles)
    assert out.shape == (batch, 1, SIZE, SIZE)
    assert out.abs().max() <= 1
    torch.testing.assert_close(split, out, rtol=0, atol=0)


def test_batch_one_style_broadcasts_over_templates(gen):
    r, t = rand(1, 4, SIZE, SIZE), rand(5, 1, SIZE, SIZE)
    with torch.no_grad():
        styles = gen.style(r)
        broadcast = gen.glyph(*styles, t)
        one_by_one = torch.cat([gen.glyph(*styles, t[i:i + 1]) for i in range(5)])
        repeated = gen.glyph(*(s.expand(5, -1) for s in styles), t)
    assert broadcast.shape == (5, 1, SIZE, SIZE)
    torch.testing.assert_close(broadcast, one_by_one, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(broadcast, repeated, rtol=0, atol=0)


def test_style_ignores_reference_order(gen):
    r = rand(2, 6, SIZE, SIZE)
    with torch.no_grad():
        a = gen.style(r)
        b = gen.style(r[:, torch.randperm(6)])
    for x, y in zip(a, b):
        torch.testing.assert_close(x, y, rtol=1e-4, atol=1e-5)


def test_size_64_model_and_discriminator_and_critic():
    cfg = small_model_config(64)
    g = build_generator(cfg).eval()
    with torch.no_grad():
        assert g(rand(2, 3, 64, 64), rand(2, 1, 64, 64)).shape == (2, 1, 64, 64)
    d = build_discriminator(cfg)
    assert [o.shape for o in d(rand(3, 1, 64, 64))] == [(3, 1, 16, 16), (3, 1, 8, 8)]
    critic = build_critic(config.CriticConfig(base=8), classes=11).eval()
    logits, feat = critic.features(rand(3, 1, 64, 64))
    assert logits.shape == (3, 11) and feat.shape == (3, 16, 16, 16)


def test_onnx_style_graph_takes_any_reference_count(gen, tmp_path):
    ort = pytest.importorskip("onnxruntime")

    class Style(torch.nn.Module):
        def __init__(self, g):
            super().__init__()
            self.g = g

        def forward(self, refs):
            return self.g.style(refs)

    path = tmp_path / "style.onnx"
    torch.onnx.export(Style(gen).eval(), (rand(1, 4, SIZE, SIZE),), str(path), input_names=["refs"],
                      output_names=["writer", "glyph"], dynamic_axes={"refs": {0: "b", 1: "r"}},
                      opset_version=17, dynamo=False)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for refs in (1, 4, 8):
        r = rand(2, refs, SIZE, SIZE)
        got = session.run(None, {"refs": r.numpy()})
        with torch.no_grad():
            want = gen.style(r)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w.numpy(), rtol=1e-3, atol=1e-4)
