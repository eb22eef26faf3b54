"""Writer augmentation (training/augment.py): slant really slants, weight really changes the ink,
off is the identity, one draw per writer per batch is shared by its references and target, the draws
are reproducible, and every GAN preset states every augmentation key."""

from __future__ import annotations

import dataclasses
import types

import cv2
import numpy as np
import pytest
import yaml

pytest.importorskip("torch")

from fontgen.errors import InputError  # noqa: E402
from tinydata import make_dataset  # noqa: E402
from training import augment, config, datasets, trainer  # noqa: E402
from training.config import AugmentConfig  # noqa: E402

SIZE = 32
ON = ["augment.p=1", "augment.p_shear=1", "augment.shear=0.3", "augment.p_aspect=1", "augment.aspect=0.2",
      "augment.p_weight=1", "augment.weight=1", "augment.p_spread=1", "augment.spread=0.8"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("aug") / "ds", chars=24, size=SIZE, unseen=4)


@pytest.fixture(scope="module")
def glyphs(data):
    return np.array(datasets.load_split(data, "train").ink[:12])


def bar(size=64, width=6):
    """A vertical bar in the middle of the image: no slant at all."""
    img = np.zeros((1, size, size), np.uint8)
    img[0, 8:size - 8, size // 2 - width // 2:size // 2 + width // 2] = 255
    return img


def lean(ink: np.ndarray) -> float:
    """Ink centroid x of the top third minus that of the bottom third (> 0 leans right), in pixels."""
    img = ink.astype(np.float64)
    third = img.shape[-1] // 3
    xs = np.arange(img.shape[-1])

    def cx(part):
        return (part.sum(axis=-2) * xs).sum() / part.sum()
    return cx(img[..., :third, :]) - cx(img[..., -third:, :])


def sampler(data, cfg_overrides=(), seed=3, augmenter=None, eligible=None):
    train, templates = datasets.load_split(data, "train"), datasets.load_split(data, "template")
    if augmenter is None and cfg_overrides:
        augmenter = augment.Augmenter(config.load("cpu", list(cfg_overrides)).augment)
    return datasets.GanSampler(train, templates, datasets.read_manifest(data)["unseen_chars"], 2, 4, batch=8,
                               seed=seed, augmenter=augmenter, eligible=eligible)


def test_shear_slants_the_ink_both_ways():
    assert abs(lean(bar())) < 0.01
    right = augment.apply(bar(), augment.Params(shear=0.25))
    left = augment.apply(bar(), augment.Params(shear=-0.25))
    assert lean(right) > 0.25 * 20 * 0.8           # thirds' centres are ~21 px apart: ~5 px of lean
    assert lean(left) < -0.25 * 20 * 0.8
    assert right.shape == (1, 64, 64) and right.dtype == np.uint8


def test_shear_slants_real_glyphs_and_keeps_them_in_the_image(glyphs):
    for shear in (0.3, -0.3):
        out = augment.apply(glyphs, augment.Params(shear=shear))
        shift = np.mean([lean(o) - lean(g) for o, g in zip(out, glyphs)])
        assert np.sign(shift) == np.sign(shear) and abs(shift) > 0.3 * SIZE / 3 * 0.5
        assert out.sum() > 0.85 * glyphs.sum()      # nothing cut off at the border


def test_aspect_narrows_or_flattens(glyphs):
    def extent(ink, axis):
        return np.mean([np.ptp(np.flatnonzero((g > 64).any(axis=axis))) for g in ink])
    narrow = augment.apply(glyphs, augment.Params(aspect=-0.2))
    flat = augment.apply(glyphs, augment.Params(aspect=0.2))
    assert extent(narrow, 0) < 0.9 * extent(glyphs, 0) and extent(narrow, 1) == pytest.approx(extent(glyphs, 1), abs=1)
    assert extent(flat, 1) < 0.9 * extent(glyphs, 1) and extent(flat, 0) == pytest.approx(extent(glyphs, 0), abs=1)


@pytest.mark.parametrize("px", [0.5, 1.0, 1.5])
def test_weight_changes_ink_area_in_the_requested_direction(glyphs, px):
    area = (glyphs > 127).sum()
    bolder = (augment.apply(glyphs, augment.Params(weight=px)) > 127).sum()
    thinner = (augment.apply(glyphs, augment.Params(weight=-px)) > 127).sum()
    assert bolder > area * (1 + 0.1 * px) and thinner < area * (1 - 0.1 * px)
    assert (augment.apply(bar(), augment.Params(weight=1.0)) > 127).sum() > (bar() > 127).sum() + 2 * 48 * 0.9


def test_ink_spread_rounds_corners_and_keeps_the_weight():
    out = augment.apply(bar(), augment.Params(spread=1.0))
    corner, middle = out[0, 8, 32 - 3], out[0, 32, 32 - 3]
    assert corner < 200 and middle == 255                    # the stroke end's corner is rounded off
    assert abs(int((out > 127).sum()) - int((bar() > 127).sum())) < 0.08 * (bar() > 127).sum()


def test_off_is_the_identity(data, glyphs):
    assert augment.apply(glyphs, None) is glyphs
    assert augment.apply(glyphs, augment.Params()) is glyphs
    off = augment.Augmenter(config.load("paper").augment)
    assert not off.active and off.draw(np.random.default_rng(0)) is None
    plain, paper = sampler(data), sampler(data, augmenter=off)
    for _ in range(3):
        a, b = plain.sample(), paper.sample()
        for f in dataclasses.fields(a):
            np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name))


def test_sampler_draws_are_seeded_and_keep_shapes_and_dtypes(data):
    plain, one, two = sampler(data), sampler(data, ON), sampler(data, ON)
    a, b, ref = one.sample(), two.sample(), plain.sample()
    for f in dataclasses.fields(a):
        x, y, r = getattr(a, f.name), getattr(b, f.name), getattr(ref, f.name)
        np.testing.assert_array_equal(x, y)
        assert x.shape == r.shape and x.dtype == r.dtype
    assert not np.array_equal(a.refs, ref.refs) and not np.array_equal(a.targets, ref.targets)
    np.testing.assert_array_equal(a.templates, ref.templates)          # the content is never augmented
    assert a.refs.min() >= -1 and a.refs.max() <= 1
    third = sampler(data, ON, seed=4).sample()
    assert not np.array_equal(third.refs, a.refs)


def test_one_draw_per_writer_shared_by_its_references_and_targets(data):
    draws = [augment.Params(shear=0.3), augment.Params(weight=-1.0), augment.Params(aspect=-0.2, spread=0.7)]
    fake = types.SimpleNamespace(active=True, calls=0)

    def draw(_rng):
        fake.calls += 1
        return draws[fake.calls - 1]
    fake.draw = draw
    plain, aug = sampler(data), sampler(data, augmenter=fake)
    ref, got = plain.sample(), aug.sample()
    writers = np.unique(ref.writer_id)
    assert fake.calls == len(writers)
    np.testing.assert_array_equal(ref.writer_id, got.writer_id)
    for k, w in enumerate(writers):
        rows = np.flatnonzero(ref.writer_id == w)
        stack = np.concatenate([ref.targets[rows], ref.refs[rows]], 1)                  # [n, R+1, S, S]
        u8 = np.rint((stack + 1) * 127.5).astype(np.uint8)
        want = augment.apply(u8.reshape(-1, SIZE, SIZE), draws[k]).reshape(u8.shape)
        have = np.rint((np.concatenate([got.targets[rows], got.refs[rows]], 1) + 1) * 127.5).astype(np.uint8)
        np.testing.assert_array_equal(have, want)


def test_ineligible_writers_are_left_alone(data):
    seed = next(s for s in range(20) if len(np.unique(sampler(data, seed=s).sample().writer_id)) > 1)
    ref = sampler(data, seed=seed).sample()
    eligible = np.arange(len(datasets.load_split(data, "train").writers)) == ref.writer_id[0]
    got = sampler(data, ON, seed=seed, eligible=eligible).sample()
    keep = ref.writer_id != ref.writer_id[0]
    assert keep.any()
    np.testing.assert_array_equal(got.refs[keep], ref.refs[keep])
    assert (~keep).any() and not np.array_equal(got.refs[~keep], ref.refs[~keep])


def test_trainer_builds_the_augmented_sampler_from_the_config(data):
    rt = types.SimpleNamespace(master=True, world=1, rank=0, barrier=lambda: None)
    cfg = config.load("cpu", [f"model.size={SIZE}", "data.batch=8", "data.refs_min=2", "data.refs_max=4"])
    _, live, make = trainer.load_data(cfg, data, rt, seed=3)
    assert live.augmenter is not None and live.eligible.all()          # tinydata's writers are all fonts
    assert make(3, aug=False).augmenter is None
    off = trainer.load_data(config.load("paper", ["data.refs_min=2", "data.refs_max=4", "data.batch=8"]),
                            data, rt, seed=3)[1]
    assert off.augmenter is None


def test_every_gan_preset_states_every_augment_key():
    fields = {f.name for f in dataclasses.fields(AugmentConfig)}
    for name in ("cpu", "paper"):
        stated = yaml.safe_load(config.preset_path(name).read_text(encoding="utf-8")).get("augment") or {}
        assert set(stated) == fields, f"{name}.yaml: missing {sorted(fields - set(stated))}"
    paper = config.load("paper").augment
    assert paper.p == 0 and all(getattr(paper, k) == 0 for k in ("shear", "aspect", "weight", "spread"))
    cpu = config.load("cpu").augment
    assert cpu.p > 0 and cpu.writers == "fonts"


@pytest.mark.parametrize("bad", ["augment.p=1.5", "augment.p_shear=-0.1", "augment.weight=-1",
                                 "augment.writers=pens"])
def test_bad_augment_settings_are_refused(bad):
    with pytest.raises(InputError, match="augment"):
        config.load("cpu", [bad])


def test_thinning_never_erases_a_thin_hand():
    thin = bar(width=2)
    assert augment.stroke_width(bar(width=6)) == pytest.approx(6, abs=0.8)
    assert augment.stroke_width(thin) == pytest.approx(2, abs=0.5)
    out = augment.apply(thin, augment.Params(weight=-1.5))
    assert (out > 127).sum() >= 0.6 * (thin > 127).sum()
    assert (out > 127).sum() <= (thin > 127).sum()


def test_thinned_strokes_stay_at_full_ink():
    """A thinner hand is a thinner pen, not a greyer one: the thinned stroke's core is still solid ink."""
    soft = cv2.GaussianBlur(bar(width=4)[0], (0, 0), 0.8)[None]  # anti-aliased edges, as rendered glyphs have
    out = augment.apply(soft, augment.Params(weight=-1.0))
    row = out[0, 32].astype(int)
    assert row.max() >= 250 and 1 <= (row > 127).sum() <= 3  # a 2 px stroke, solid in the middle
