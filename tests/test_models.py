"""DSF-GAN models: shapes, the style/glyph split, broadcasting, ONNX with dynamic batch and R."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from training import config  # noqa: E402
from training.models import build_critic, build_discriminator, build_generator  # noqa: E402

SIZE = 32


def small_model_config(size=SIZE, ref_attention=0):
    return config.load("cpu", [f"model.size={size}", "model.base=4", "model.style_base=4", "model.style_dim=32",
                               "model.style_heads=2", "model.style_layers=1", "model.proj_dim=8",
                               "model.d_base=8", f"model.ref_attention={ref_attention}"]).model


@pytest.fixture(scope="module", params=[0, 4], ids=["vectors", "ref-attention"])
def gen(request):
    torch.manual_seed(0)
    g = build_generator(small_model_config(ref_attention=request.param)).eval()
    if g.ref_attention is not None:
        g.ref_attention.gamma.data.fill_(0.7)  # open the gate, or the attention path is not tested at all
    return g


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
        repeated = gen.glyph(*(s.expand(5, *s.shape[1:]) for s in styles), t)
    assert broadcast.shape == (5, 1, SIZE, SIZE)
    torch.testing.assert_close(broadcast, one_by_one, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(broadcast, repeated, rtol=0, atol=0)


def test_style_ignores_reference_order(gen):
    """The style vectors and the glyphs do not depend on the references' order (the cells come in
    the references' order, and the attention over them is a set operation)."""
    r, t = rand(2, 6, SIZE, SIZE), rand(2, 1, SIZE, SIZE)
    with torch.no_grad():
        a = gen.style(r)
        b = gen.style(r[:, torch.randperm(6)])
        for x, y in zip(a[:2], b[:2]):
            torch.testing.assert_close(x, y, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(gen.glyph(*a, t), gen.glyph(*b, t), rtol=1e-4, atol=1e-5)


def test_reference_attention_reads_the_references_cell_by_cell():
    """The third style tensor holds 64 cells per reference (8 × 8 at 64 px), and the glyphs depend on it:
    more references, more cells for the decoder to read."""
    g = build_generator(small_model_config(64, ref_attention=4)).eval()
    g.ref_attention.gamma.data.fill_(1.0)
    r, t = rand(1, 5, 64, 64), rand(3, 1, 64, 64)
    with torch.no_grad():
        writer, glyph, cells = g.style(r)
        assert cells.shape == (1, 5 * 64, 12)
        out = g.glyph(writer, glyph, cells, t)
        other = g.glyph(writer, glyph, rand(*cells.shape), t)
    assert (out - other).abs().max() > 1e-3
    with torch.no_grad():
        g.ref_attention.gamma.data.zero_()  # a closed gate is the vector-only generator
        torch.testing.assert_close(g.glyph(writer, glyph, cells, t), g.glyph(writer, glyph, rand(*cells.shape), t))


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
