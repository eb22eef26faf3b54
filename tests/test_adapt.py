"""Writer adaptation: the glyph graph runs in torch exactly as on onnxruntime, tuned weights go back
into the graph, a fit is deterministic, stops on held-out samples and falls back with a reason."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="adaptation needs torch (the train extra)")

from fontgen import templates  # noqa: E402
from fontgen.model import adapt, finetune, generate  # noqa: E402
from fontgen.model.onnxtorch import OnnxModule  # noqa: E402
from fontgen.samples import references  # noqa: E402


@pytest.fixture(scope="module")
def writer():
    gen = generate.Generator(None, device="cpu")
    w = references.load("examples/writer", gen.info.size, gen.info.margin)
    own = templates.render(w.chars, size=gen.info.size, face=templates.find_face(), margin=gen.info.margin)
    index = own.index()
    inputs = gen.inputs(own.ink[[index[c] for c in w.chars]], w.chars)
    return gen, w, inputs


def test_glyph_graph_in_torch_matches_onnxruntime_and_writes_back(writer):
    gen, w, inputs = writer
    graph = finetune.load_graph(gen)
    net = OnnxModule(graph, train=finetune.trainable)
    style = gen.style(w.refs)
    x = (inputs.astype(np.float32) / 127.5 - 1.0)
    want = gen.glyph_session.run(["glyphs"], dict(style, templates=x))[0]
    got = net(**{k: torch.from_numpy(v) for k, v in style.items()}, templates=torch.from_numpy(x))["glyphs"]
    assert np.abs(got.detach().numpy() - want).max() < 1e-4
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(1.05)
    tuned = generate.Generator(None, device="cpu")
    tuned.use_glyph_graph(finetune.tuned_graph(graph, net.weights()))
    moved = tuned.glyph_session.run(["glyphs"], dict(style, templates=x))[0]
    got = net(**{k: torch.from_numpy(v) for k, v in style.items()}, templates=torch.from_numpy(x))["glyphs"]
    assert np.abs(moved - want).max() > 0.05 and np.abs(got.detach().numpy() - moved).max() < 1e-4


def _reference_loss(made: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Pixel L1 plus the L1 of (|dx| + |dy|) / 8 of 3×3 Sobel, zero padded, written out in numpy."""
    def edges(x):
        p = np.pad(x, ((0, 0), (1, 1), (1, 1)))
        dx = (p[:, :-2, 2:] + 2 * p[:, 1:-1, 2:] + p[:, 2:, 2:]) - (p[:, :-2, :-2] + 2 * p[:, 1:-1, :-2] + p[:, 2:, :-2])
        dy = (p[:, 2:, :-2] + 2 * p[:, 2:, 1:-1] + p[:, 2:, 2:]) - (p[:, :-2, :-2] + 2 * p[:, :-2, 1:-1] + p[:, :-2, 2:])
        return (np.abs(dx) + np.abs(dy)) / 8.0

    return np.abs(made - target).mean(axis=(1, 2)) + np.abs(edges(made) - edges(target)).mean(axis=(1, 2))


def test_numpy_and_torch_losses_agree():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(-1, 1, (2, 3, 16, 16)).astype(np.float32)
    assert np.allclose(_reference_loss(a, b), finetune.glyph_loss(torch.from_numpy(a), torch.from_numpy(b)).numpy(),
                       atol=1e-5)


def test_fit_lowers_held_out_loss_and_is_deterministic(writer, monkeypatch):
    gen, w, inputs = writer
    monkeypatch.setitem(adapt.BUDGETS, "fast", adapt.Budget(steps=10, folds=2, check=5))
    style = gen.style(w.refs)
    one = adapt.adapt(gen, style, inputs, w.refs, mode="fast", seed=1, progress=False)
    two = adapt.adapt(gen, style, inputs, w.refs, mode="fast", seed=1, progress=False)
    assert one.curve == two.curve and one.steps == two.steps
    if one.weights is None:
        assert "no step count improved" in one.note
    else:
        assert one.loss_after < one.loss_before and one.steps in (5, 10)
        assert all(np.array_equal(one.weights[k], two.weights[k]) for k in one.weights)
        assert not all(np.array_equal(one.style[k], style[k]) for k in style)


def test_topology_counts_stroke_pieces_and_counters():
    ring = np.full((3, 32, 32), -1.0, np.float32)
    ring[0, 8:24, 8:24] = 1.0
    ring[0, 12:20, 12:20] = -1.0  # a square ring: one piece, one counter
    ring[1, 4:8, 4:28] = 1.0
    ring[1, 20:24, 4:28] = 1.0  # two bars
    assert adapt.topology(ring).tolist() == [[1, 1], [2, 0], [0, 0]]
    broken = ring.copy()
    broken[0, 8:12, 15:17] = -1.0  # a gap in the ring's top: the counter opens
    assert adapt.drift(adapt.topology(ring), adapt.topology(broken)) == pytest.approx(1 / 3)


def test_probe_chars_avoid_samples_and_spread_over_the_charset():
    chars = [chr(0x4E00 + i) for i in range(1000)]
    probe = adapt.probe_chars(chars, set(chars[:10]), n=50)
    assert len(probe) == 50 == len(set(probe)) and not set(probe) & set(chars[:10])
    assert probe[0] == chars[10] and probe[-1] == chars[-1]
    assert adapt.probe_chars(chars[:3], set(chars[:3])) == []


def test_a_fit_that_breaks_probe_strokes_is_never_used(writer, monkeypatch):
    gen, w, inputs = writer
    monkeypatch.setitem(adapt.BUDGETS, "fast", adapt.Budget(steps=10, folds=2, check=5))
    style = gen.style(w.refs)
    own = templates.render("九年岁在癸丑之初会", size=gen.info.size, face=templates.find_face(),
                           margin=gen.info.margin)
    probe = gen.inputs(own.ink, own.chars)
    free = adapt.adapt(gen, style, inputs, w.refs, mode="fast", seed=1, progress=False, probe=probe)
    assert all(d >= 0 for _, _, d in free.curve) and free.curve[0][2] == 0
    assert free.drift <= adapt.DRIFT_MAX
    monkeypatch.setattr(adapt, "DRIFT_MAX", -1.0)  # no step keeps the probe as it was
    strict = adapt.adapt(gen, style, inputs, w.refs, mode="fast", seed=1, progress=False, probe=probe)
    assert strict.weights is None and strict.style is style and strict.steps == 0


def test_off_and_too_few_samples_keep_the_model(writer):
    gen, w, inputs = writer
    style = gen.style(w.refs)
    off = adapt.adapt(gen, style, inputs, w.refs, mode="off")
    assert off.style is style and off.weights is None and off.summary() == "adaptation off"
    one = adapt.adapt(gen, style, inputs[:1], w.refs[:1], mode="fast", progress=False)
    assert one.weights is None and one.style is style and "at least 2 samples" in one.summary()
    with pytest.raises(ValueError, match="unknown adaptation mode"):
        adapt.adapt(gen, style, inputs, w.refs, mode="huge")


def test_without_torch_adaptation_says_what_installing_it_gives(monkeypatch, writer):
    import builtins

    gen, w, inputs = writer
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("no torch")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    fit = adapt.adapt(gen, gen.style(w.refs), inputs, w.refs, mode="fast", progress=False)
    assert fit.weights is None and "fontgen[train]" in fit.summary()


def test_make_font_with_adaptation_generates_with_the_tuned_graph(tmp_path, monkeypatch):
    from fontgen.font import makefont

    monkeypatch.setitem(adapt.BUDGETS, "fast", adapt.Budget(steps=10, folds=2, check=5))
    charset = tmp_path / "chars.txt"
    charset.write_text("永和九年岁在癸丑", encoding="utf-8")
    used = []
    real = generate.Generator.use_glyph_graph
    monkeypatch.setattr(generate.Generator, "use_glyph_graph", lambda self, g: (used.append(len(g)), real(self, g)))
    report = makefont.make_font("examples/writer", tmp_path / "a.otf", charset=str(charset), adapt="fast",
                                progress=False, workers=1)
    assert (tmp_path / "a.otf").is_file() and report.generated == 6  # 永 and 和 are samples
    assert report.adaptation.startswith("adapted to the samples") == bool(used)
    assert "adapt" in report.seconds and "adapt" in report.summary()
