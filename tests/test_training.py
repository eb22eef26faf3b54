"""Training: config layering, dataset cache and sampling, critic and generator learning, exact resume."""

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from fontgen.errors import InputError  # noqa: E402
from fontgen.raster import from_model  # noqa: E402
from tinydata import make_dataset  # noqa: E402
from training import checkpoint, config, datasets, narrow, ocr, trainer  # noqa: E402
from training.models import build_generator  # noqa: E402

SIZE = 32
TINY = [f"model.size={SIZE}", "model.base=4", "model.style_base=4", "model.style_dim=32", "model.style_heads=2",
        "model.style_layers=1", "model.proj_dim=8", "model.d_base=8", "critic.base=8", "critic.batch=32",
        "critic.warmup=10", "critic.max_minutes=0", "data.batch=8", "data.refs_min=2", "data.refs_max=4",
        "optim.warmup=5", "train.max_minutes=0", "train.sample_every=0", "train.save_every=0",
        "train.log_every=1"]


def quiet(_msg):
    pass


def tiny_data(root):
    """24 characters, three training writers, 4 characters held out of GAN training."""
    return make_dataset(root, chars=24, size=SIZE, unseen=4)


def tiny_critic(data, out, overrides=()):
    """The critic the GAN tests train against: (run folder, train_ocr's result)."""
    cfg = config.load("cpu", TINY + list(overrides) + ["critic.iterations=150", "critic.augment=false",
                                                       "critic.lr=3e-3"])
    return out, ocr.train_ocr(cfg, data, out, log=quiet)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return tiny_data(tmp_path_factory.mktemp("ds"))


@pytest.fixture(scope="module")
def critic_run(data, tmp_path_factory):
    return tiny_critic(data, tmp_path_factory.mktemp("ocr"))


def test_config_layers_and_overrides(tmp_path):
    cfg = config.load("cpu", ["optim.lr_g=3e-4", "loss.adversarial=bce", "optim.betas=[0.5, 0.9]"])
    assert cfg.optim.lr_g == 3e-4 and cfg.loss.adversarial == "bce" and cfg.optim.betas == (0.5, 0.9)
    assert config.load("paper").data.refs_max == 30 and config.load("paper").loss.outline == 20.0
    custom = tmp_path / "mine.yaml"
    custom.write_text("train:\n  iterations: 7\n")
    assert config.load(str(custom)).train.iterations == 7
    assert config.from_dict(config.to_dict(cfg)) == cfg
    for bad in (["optim.nope=1"], ["optim.lr_g"], ["loss.adversarial=wgan"], ["data.batch=abc"]):
        with pytest.raises(InputError):
            config.load("cpu", bad)
    with pytest.raises(InputError, match="unknown config preset"):
        config.load("nonesuch")


def test_split_is_packed_once_and_reused(data):
    train = datasets.load_split(data, "train")
    assert train.ink.shape == (3 * 24, SIZE, SIZE) and train.ink.dtype == np.uint8
    assert train.writers == ["w0", "w1", "w2"] and len(train.charset) == 24
    stamp = (data / "cache" / "train.npy").stat().st_mtime_ns
    again = datasets.load_split(data, "train")
    assert (data / "cache" / "train.npy").stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(again.ink, train.ink)
    assert json.loads((data / "cache" / "train.json").read_text())["files"] == 72


def test_gan_sampler_respects_writers_and_unseen_chars(data):
    train, templates = datasets.load_split(data, "train"), datasets.load_split(data, "template")
    unseen = datasets.read_manifest(data)["unseen_chars"]
    sampler = datasets.GanSampler(train, templates, unseen, 2, 4, batch=6, seed=1)
    ink_rows = {train.ink[i].tobytes(): i for i in range(len(train))}
    for _ in range(5):
        b = sampler.sample()
        r = b.refs.shape[1]
        assert 2 <= r <= 4 and b.refs.shape == (6, r, SIZE, SIZE) and b.targets.shape == (6, 1, SIZE, SIZE)
        assert np.bincount(b.writer_id).max() >= 2                 # pairs for the contrastive loss
        for i in range(6):
            target = ink_rows[from_model(b.targets[i, 0]).tobytes()]
            refs = [ink_rows[from_model(x).tobytes()] for x in b.refs[i]]
            assert train.charset[train.char_id[target]] not in unseen
            assert all(train.writer_id[j] == b.writer_id[i] for j in refs + [target])
            chars = [train.charset[train.char_id[j]] for j in refs]
            assert not set(chars) & set(unseen) and train.charset[b.char_id[i]] not in chars


def test_full_ink_sampler_draws_grey_pens_black_and_leaves_black_glyphs_alone(data):
    from fontgen import raster

    grey = np.zeros((2, 8, 8), np.uint8)
    grey[0, 2:6, 3] = 200
    grey[0, 2:6, 4] = 100
    out = raster.full_ink(grey)
    assert out[0].max() == 255 and out[0, 2, 4] == 128 and not out[1].any()   # proportions kept; blank stays
    train, templates = datasets.load_split(data, "train"), datasets.load_split(data, "template")
    train.ink = (train.ink // 2).astype(np.uint8)                               # every writer in grey ink
    plain = datasets.GanSampler(train, templates, "", 2, 4, batch=6, seed=1).sample()
    full = datasets.GanSampler(train, templates, "", 2, 4, batch=6, seed=1, full_ink=True).sample()
    assert plain.targets.max() < 0.01 and full.targets.max() == 1.0
    assert np.allclose(full.refs.max(axis=(2, 3)), 1.0)
    np.testing.assert_array_equal(plain.templates, full.templates)              # the content is never touched


def test_critic_learns_the_tiny_set(critic_run):
    out, result = critic_run
    assert result["train_acc"] >= 0.9
    critic, charset = checkpoint.load_critic(out / "last.pth")
    assert len(charset) == 24 and critic.head.out_features == 24


def test_generator_reconstruction_loss_halves(data, critic_run, tmp_path):
    cfg = config.load("cpu", TINY + ["train.iterations=100", "optim.lr_g=1e-3", "optim.lr_d=5e-4"])
    history = trainer.train_gan(cfg, data, critic_run[0] / "last.pth", tmp_path / "gan", log=quiet)
    l1 = [h["l1"] for h in history]
    assert len(l1) == 100 and all(np.isfinite(l1))
    assert np.mean(l1[-10:]) <= 0.5 * np.mean(l1[:5])
    gen = checkpoint.load_generator(tmp_path / "gan" / "last.pth")
    assert not gen.training and gen.cfg.size == SIZE
    assert (tmp_path / "gan" / "samples" / "000100.png").is_file()


def test_resume_continues_bit_for_bit(data, critic_run, tmp_path):
    ocr_ckpt = critic_run[0] / "last.pth"
    run = lambda out, n, resume=False: trainer.train_gan(  # noqa: E731
        config.load("cpu", TINY + [f"train.iterations={n}", "train.save_every=3"]), data, ocr_ckpt, out,
        resume=resume, log=quiet)
    straight = run(tmp_path / "a", 5)
    run(tmp_path / "b", 3)
    resumed = run(tmp_path / "b", 5, resume=True)
    assert [h["iteration"] for h in resumed] == [4, 5]
    assert resumed == straight[3:]
    a = checkpoint.load(tmp_path / "a" / "last.pth")
    b = checkpoint.load(tmp_path / "b" / "last.pth")
    for k, v in a["generator_ema"].items():
        assert torch.equal(v, b["generator_ema"][k]), k


def test_run_folder_guards(data, critic_run, tmp_path):
    cfg = config.load("cpu", TINY + ["train.iterations=1"])
    with pytest.raises(InputError, match="nothing to resume"):
        trainer.train_gan(cfg, data, critic_run[0] / "last.pth", tmp_path / "x", resume=True, log=quiet)
    trainer.train_gan(cfg, data, critic_run[0] / "last.pth", tmp_path / "x", log=quiet)
    with pytest.raises(InputError, match="already has checkpoints"):
        trainer.train_gan(cfg, data, critic_run[0] / "last.pth", tmp_path / "x", log=quiet)
    with pytest.raises(InputError, match="not a GAN checkpoint"):
        checkpoint.load_generator(critic_run[0] / "last.pth")


def test_contour_loss_weighs_the_half_ink_shape_not_the_grey_ramps():
    import torch
    import torch.nn.functional as F

    from training import losses

    target = -torch.ones(1, 1, 32, 32)
    target[..., 8:24, 12:20] = 1.0                                        # a crisp stroke
    ramped = F.avg_pool2d(F.pad(target, (2, 2, 2, 2), mode="replicate"), 5, 1)  # same contour, grey edges
    shifted = torch.roll(target, 1, dims=-1)                              # contour moved by a pixel
    assert losses.contour(target, target, 8.0) == 0
    assert F.l1_loss(ramped, target) > F.l1_loss(shifted, target)       # pixel L1 prefers the shift ...
    assert losses.contour(ramped, target, 8.0) < losses.contour(shifted, target, 8.0)  # ... the contour does not


def test_counters_loss_finds_the_box_and_charges_an_open_join_more_than_pixel_l1_does():
    import torch
    import torch.nn.functional as F

    from training import losses

    box = -torch.ones(2, 1, 32, 32)
    box[0, :, 8:24, 8:24] = 1.0
    box[0, :, 11:21, 11:21] = -1.0                                         # 口: one counter
    box[1, :, 8:24, 14:18] = 1.0                                           # 丨: none
    mask = losses.counter_mask(box, ring=2)
    assert mask[1].sum() == 0
    assert mask[0, 0, 15, 15] == 1 and mask[0, 0, 9, 15] == 1              # the counter and the strokes beside it
    assert mask[0, 0, 8, 15] == 0 and mask[0, 0, 2, 2] == 0                # not the outer stroke edge, not the outside
    opened = box.clone()
    opened[0, :, 11:14, 21:24] = -1.0                                      # the right stroke cut: the box is open
    assert losses.counter_mask(opened, ring=2)[0].sum() == 0
    assert losses.counters(box, box, mask) == 0
    gap = losses.counters(opened[:1], box[:1], mask[:1]) / F.l1_loss(opened[:1], box[:1])
    assert gap > 3                                                         # the few open pixels weigh more


def test_narrowed_generator_computes_what_its_first_channels_did():
    """Silence every weight narrowing drops (and make dropped 1×1 skips identities): the narrow
    generator must then compute exactly what the wide one does, which checks the gamma/beta halves,
    the U-Net's concatenated inputs and the residual streams are cut consistently."""
    wide_cfg, narrow_cfg = config.load("cpu", TINY).model, config.load("cpu", TINY + ["model.max_mult=4"]).model
    torch.manual_seed(0)
    wide, small = build_generator(wide_cfg).eval(), build_generator(narrow_cfg).eval()
    state = wide.state_dict()
    with torch.no_grad():
        for name, t in state.items():
            if name not in small.state_dict():                  # a 1×1 skip the narrow block does without
                n = small.get_submodule(name.rsplit(".", 2)[0]).conv2.out_channels
                t.zero_()[:n, :n, 0, 0] = torch.eye(n)
            elif t.shape != small.state_dict()[name].shape:
                index = torch.arange(t.numel()).reshape(t.shape)
                keep = torch.zeros(t.numel(), dtype=torch.bool)
                keep[narrow.narrow_tensor(name, index, small.state_dict()[name].shape, wide_cfg, narrow_cfg).flatten()] = True
                t.view(-1)[~keep] = 0
                if name.endswith("running_var"):
                    t.view(-1)[~keep] = 1
    wide.load_state_dict(state)
    small.load_state_dict(narrow.narrow_state(state, wide_cfg, narrow_cfg))
    assert sum(p.numel() for p in small.parameters()) < 0.6 * sum(p.numel() for p in wide.parameters())
    refs, templates = torch.rand(3, 4, SIZE, SIZE) * 2 - 1, torch.rand(3, 1, SIZE, SIZE) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(small(refs, templates), wide(refs, templates), atol=1e-5)


def test_narrowed_checkpoint_resumes_training(data, critic_run, tmp_path):
    ocr_ckpt = critic_run[0] / "last.pth"
    trainer.train_gan(config.load("cpu", TINY + ["train.iterations=2"]), data, ocr_ckpt, tmp_path / "wide", log=quiet)
    small = TINY + ["model.max_mult=4"]
    narrow.narrow_checkpoint(tmp_path / "wide" / "last.pth", tmp_path / "small", config.load("cpu", small))
    history = trainer.train_gan(config.load("cpu", small + ["train.iterations=4"]), data, ocr_ckpt,
                                tmp_path / "small", resume=True, log=quiet)
    assert [h["iteration"] for h in history] == [3, 4] and all(np.isfinite(h["g"]) for h in history)
    gen = checkpoint.load_generator(tmp_path / "small" / "last.pth")
    assert gen.cfg.max_mult == 4 and checkpoint.load(tmp_path / "small" / "last.pth")["narrowed_from"]["iteration"] == 2
    narrow.narrow_checkpoint(tmp_path / "small" / "last.pth", tmp_path / "smaller",
                             config.load("cpu", small + ["model.base=2"]))
    chain = checkpoint.load(tmp_path / "smaller" / "last.pth")["narrowed_from"]
    assert (chain["iteration"], chain["model_config"]["max_mult"]) == (4, 4)
    assert (chain["narrowed_from"]["iteration"], chain["narrowed_from"]["model_config"]["max_mult"]) == (2, 16)
    for bad, match in ((TINY, "checkpoint's own"), (TINY + ["model.base=8"], "cannot add channels"),
                       (TINY + ["model.max_mult=4", "model.style_dim=16"], "only base and max_mult")):
        with pytest.raises(InputError, match=match):
            narrow.narrow_checkpoint(tmp_path / "wide" / "last.pth", tmp_path / "bad", config.load("cpu", bad))


def test_content_font_is_the_second_template_channel(data, critic_run, tmp_path):
    """With model.content_font each batch carries the character in that font under its template,
    and the GAN trains with a two-channel structure encoder."""
    from fontgen import templates as fonts
    from tinymodel import KAI

    train, templates = datasets.load_split(data, "train"), datasets.load_split(data, "template")
    chars = [templates.charset[c] for c in templates.char_id]
    content = fonts.content_ink(chars, templates.ink, KAI, SIZE)
    assert not np.array_equal(content, templates.ink)
    sampler = datasets.GanSampler(train, templates, "", 2, 4, batch=6, seed=1, content=content)
    b = sampler.sample()
    assert b.templates.shape == (6, 2, SIZE, SIZE)
    for i in range(6):
        row = chars.index(train.charset[b.char_id[i]])
        assert np.array_equal(from_model(b.templates[i, 0]), templates.ink[row])
        assert np.array_equal(from_model(b.templates[i, 1]), content[row])

    cfg = config.load("cpu", TINY + ["train.iterations=3", f"model.content_font={KAI}"])
    history = trainer.train_gan(cfg, data, critic_run[0] / "last.pth", tmp_path / "gan", log=quiet)
    assert len(history) == 3 and all(np.isfinite(h["structure"]) for h in history)
    gen = checkpoint.load_generator(tmp_path / "gan" / "last.pth")
    assert gen.cfg.content_font == KAI and gen.structure_encoder.stem[0].weight.shape[1] == 2


def test_reference_attention_trains_and_resumes(data, critic_run, tmp_path):
    """`model.ref_attention`: the closed gate opens under training (the attention gets a gradient from the
    first step), and a resumed run keeps the attention weights."""
    cfg = config.load("cpu", TINY + ["train.iterations=3", "model.ref_attention=4"])
    history = trainer.train_gan(cfg, data, critic_run[0] / "last.pth", tmp_path / "gan", log=quiet)
    assert len(history) == 3 and all(np.isfinite(h["l1"]) for h in history)
    gen = checkpoint.load_generator(tmp_path / "gan" / "last.pth")
    assert gen.cfg.ref_attention == 4 and gen.ref_attention.gamma.abs().item() > 0
    more = config.load("cpu", TINY + ["train.iterations=5", "model.ref_attention=4"])
    history = trainer.train_gan(more, data, critic_run[0] / "last.pth", tmp_path / "gan", resume=True, log=quiet)
    assert [h["iteration"] for h in history] == [4, 5]


def test_added_content_font_draws_what_the_checkpoint_did_and_resumes(data, critic_run, tmp_path):
    from tinymodel import KAI
    from training import content

    ocr_ckpt = critic_run[0] / "last.pth"
    trainer.train_gan(config.load("cpu", TINY + ["train.iterations=2"]), data, ocr_ckpt, tmp_path / "a", log=quiet)
    path = content.add_content_font(tmp_path / "a" / "last.pth", tmp_path / "b", KAI)
    before, after = checkpoint.load_generator(tmp_path / "a" / "last.pth"), checkpoint.load_generator(path)
    refs, tpl = torch.rand(3, 2, SIZE, SIZE) * 2 - 1, torch.rand(3, 1, SIZE, SIZE) * 2 - 1
    with torch.no_grad():
        assert torch.equal(before(refs, tpl), after(refs, torch.cat([tpl, torch.rand_like(tpl)], 1)))
    with pytest.raises(InputError, match="already reads"):
        content.add_content_font(path, tmp_path / "c", KAI)
    history = trainer.train_gan(config.load("cpu", TINY + ["train.iterations=4", f"model.content_font={KAI}"]),
                                data, ocr_ckpt, tmp_path / "b", resume=True, log=quiet)
    assert [h["iteration"] for h in history] == [3, 4]
    resumed = checkpoint.load(tmp_path / "b" / "last.pth")
    assert resumed["content_added"]["content_font"] == KAI
    assert resumed["generator"][content.STEM][:, 1].abs().sum() > 0  # the new channel learned something
