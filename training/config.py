"""Training configuration: one dataclass per component, built from layered YAML.

Layers, later wins: the dataclass defaults, a preset (`cpu`, `paper`, or a YAML path), then
`section.key=value` overrides from the command line:

    cfg = config.load("cpu", ["optim.lr_g=2e-4", "train.iterations=500"])
    cfg.model.base      # 8
    config.to_dict(cfg) # the resolved config, logged at start and saved in every checkpoint

`ModelConfig` alone rebuilds the generator, so it is stored by itself in checkpoints too.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from fontgen.errors import InputError

PRESET_DIR = Path(__file__).parent / "configs"


@dataclass
class ModelConfig:
    """Generator and discriminator sizes (seed: base 32, style 512)."""

    size: int = 64               # glyph side S in pixels (a power of two, >= 8)
    base: int = 32               # structure U-Net channels at full resolution
    max_mult: int = 16           # channel cap: base * max_mult
    attn_level: int = 1          # U-Net level (0 = full resolution) that gets self-attention
    style_base: int = 32         # style CNN channels at half resolution
    style_dim: int = 512         # writer / glyph style vector size
    style_layers: int = 2        # transformer layers over reference tokens
    style_heads: int = 8
    proj_dim: int = 256          # contrastive projection head output
    d_base: int = 64             # discriminator channels at its first layer
    d_scales: int = 3            # multi-scale discriminator: number of scales
    content_font: str = ""       # family of a second template font, stacked as a second input channel
    ref_attention: int = 0       # key width of the decoder's attention over the references' cells (0 = none)

    @property
    def template_channels(self) -> int:
        return 2 if self.content_font else 1


@dataclass
class CriticConfig:
    """OCR critic: a compact ResNet classifier over the dataset charset, trained before the GAN."""

    base: int = 64
    size: int = 64
    iterations: int = 20000
    batch: int = 128
    lr: float = 1e-3
    weight_decay: float = 5e-4
    warmup: int = 200
    augment: bool = True         # small random affine jitter, so generated glyphs are read too
    max_minutes: float = 0.0     # 0 = no wall-clock budget


@dataclass
class RecognizerConfig:
    """The seed protocol's recognizer (`fontgen train recognizer`): DenseNet-121 over the 3,755 GB2312
    level-1 characters, trained on the dataset's training writers (seed: Adam 1e-4, batch 256)."""

    iterations: int = 40000
    batch: int = 256
    lr: float = 1e-4
    max_minutes: float = 0.0     # 0 = no wall-clock budget
    save_every: int = 1000
    keep: int = 2


@dataclass
class LossConfig:
    """Generator loss weights and forms. The seed (DSF-GAN training.py): BCE adversarial 1, cls 1,
    structure 0.8, contrastive ("style") 6.5, its reconstruction term is the Sobel-edge L1 (`outline`)
    at 20, and its Gram term is added at 1 (`gram_form: seed`). Every preset states every key."""

    adversarial: str = "hinge"   # hinge | bce
    adv: float = 1.0
    cls: float = 1.0             # OCR critic classification of the generated glyph
    structure: float = 0.8       # re-encoded output vs template structure features
    contrastive: float = 6.5     # supervised contrastive loss on writer embeddings (seed "style")
    gram: float = 1.0            # Gram style term, in the form `gram_form` names
    gram_form: str = "critic"    # critic: L1 of channel Grams of critic features, generated vs target;
                                 # seed: MSE of batch Grams of style-encoder writer vectors, the generated
                                 # glyph re-encoded vs the references, x 1e4 (the seed's GramStyleLoss)
    outline: float = 5.0         # Sobel edge magnitude, generated vs target
    l1: float = 20.0             # pixel reconstruction (seed "reconstruction")
    contour: float = 0.0         # soft half-ink masks, generated vs target (not in the seed)
    contour_sharpness: float = 8.0  # slope of the soft mask at half ink, in [-1, 1] image units
    counters: float = 0.0        # pixel L1 over the target's counters and the strokes closing them (not in the seed)
    counters_ring: int = 2       # how many pixels into the strokes around a counter that term reaches
    temperature: float = 0.1     # contrastive softmax temperature


@dataclass
class OptimConfig:
    lr_g: float = 1e-4
    lr_d: float = 5e-5
    betas: tuple[float, float] = (0.0, 0.999)
    weight_decay: float = 0.0    # Adam L2 penalty (seed: 1e-4)
    warmup: int = 100            # linear warm-up iterations
    decay_to: float = 1.0        # cosine decay to this fraction of the lr at the last iteration (1 = constant)
    grad_clip: float = 1.0       # 0 disables clipping
    ema: float = 0.999           # EMA decay of generator weights


@dataclass
class DataConfig:
    batch: int = 48              # global batch (split over DDP ranks)
    refs_min: int = 30           # references per sample, drawn uniformly per batch
    refs_max: int = 30
    writers_per_batch: int = 0   # 0 = batch // 2, so every writer has a positive for the contrastive loss
    full_ink: bool = False       # scale each glyph to full ink, as make-font stretches a writer's samples


@dataclass
class AugmentConfig:
    """Geometric and stroke augmentation of training writers (training/augment.py). One draw per
    writer per batch, shared by its references and targets. p = 0 turns it off (the seed has none)."""

    p: float = 0.0               # probability that a writer in a batch is augmented at all
    writers: str = "fonts"       # fonts: real font writers only | all: synthetic pens too
    p_shear: float = 0.0         # given p, probability of a slant
    shear: float = 0.0           # slant: x shift per pixel of height, uniform in ±shear
    p_aspect: float = 0.0
    aspect: float = 0.0          # log width/height scale, uniform in ±aspect (only the shrinking axis)
    p_weight: float = 0.0
    weight: float = 0.0          # stroke growth in pixels per side, uniform in ±weight (< 0 thinner)
    p_spread: float = 0.0
    spread: float = 0.0          # ink-spread blur sigma in pixels, uniform in [0, spread], re-thresholded


@dataclass
class TrainConfig:
    iterations: int = 20000
    max_minutes: float = 0.0     # stop (and save) after this much wall time; 0 = no limit
    seed: int = 0
    amp: str = "auto"            # auto (bf16 on CUDA) | bf16 | fp16 | none (CUDA only; CPU always runs fp32)
    device: str = "auto"         # auto | cpu | cuda
    log_every: int = 50
    sample_every: int = 500
    save_every: int = 500
    keep: int = 3                # numbered checkpoints kept besides last.pth


@dataclass
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    critic: CriticConfig = field(default_factory=CriticConfig)
    recognizer: RecognizerConfig = field(default_factory=RecognizerConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    data: DataConfig = field(default_factory=DataConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def preset_path(name: str) -> Path:
    """A preset name (`cpu`, `paper`) or a YAML file path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if path.is_dir():
            raise InputError("the config is a folder, not a YAML file", path,
                             "give a YAML file or a preset name (cpu, paper)")
        if not path.is_file():
            raise InputError("config file not found", path, "give a YAML file or a preset name (cpu, paper)")
        return path
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PRESET_DIR.glob("*.yaml")))
        raise InputError(f"unknown config preset '{name}'", None, f"use one of: {known}, or a YAML path")
    return path


def _set(section, key: str, value, where: str):
    """Assign one field, coercing YAML scalars to the field's type."""
    fields = {f.name: f for f in dataclasses.fields(section)}
    if key not in fields:
        raise InputError(f"unknown config key '{key}' in {where}", None,
                         f"known keys: {', '.join(fields)}")
    current = getattr(section, key)
    try:
        if isinstance(current, bool):
            if not isinstance(value, bool):
                raise ValueError(value)
        elif isinstance(current, tuple):
            value = tuple(type(c)(v) for c, v in zip(current, value, strict=True))
        elif isinstance(current, (int, float, str)):
            value = type(current)(value)
    except (TypeError, ValueError):
        raise InputError(f"bad value {value!r} for '{key}' in {where}", None,
                         f"expected a {type(current).__name__}")
    setattr(section, key, value)


def merge(cfg: Config, tree: dict, where: str) -> Config:
    """Apply a nested {section: {key: value}} mapping onto `cfg` (in place, returns it)."""
    for name, values in (tree or {}).items():
        if not hasattr(cfg, name) or not isinstance(values, dict):
            raise InputError(f"unknown config section '{name}' in {where}", None,
                             "sections: model, critic, recognizer, loss, optim, data, augment, train")
        for key, value in values.items():
            _set(getattr(cfg, name), key, value, where)
    return cfg


def parse_override(text: str) -> dict:
    """`optim.lr_g=2e-4` → {"optim": {"lr_g": 0.0002}} (the value is read as YAML)."""
    key, sep, raw = text.partition("=")
    parts = key.strip().split(".")
    if not sep or len(parts) != 2:
        raise InputError(f"bad override '{text}'", None, "write section.key=value, e.g. train.iterations=500")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InputError(f"bad override '{text}': the value is not YAML ({_yaml_problem(exc)})", None,
                         "write section.key=value, e.g. train.iterations=500")
    return {parts[0]: {parts[1]: value}}


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line: what is wrong and where."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else problem


def read_yaml(path: Path) -> dict:
    """A config file's mapping; InputError (one line) for unreadable text, broken YAML or a non-mapping."""
    try:
        tree = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("config file is not UTF-8 text", path, "save it as UTF-8 YAML")
    except yaml.YAMLError as exc:
        raise InputError(f"config file is not valid YAML ({_yaml_problem(exc)})", path, "fix the YAML there")
    if tree is not None and not isinstance(tree, dict):
        raise InputError(f"config file holds a {type(tree).__name__}, not sections of keys", path,
                         "write it as section: {key: value}, e.g. train: {iterations: 500}")
    return tree or {}


def load(preset: str = "cpu", overrides: list[str] = ()) -> Config:
    """Defaults ← preset YAML ← overrides; validated."""
    path = preset_path(preset)
    cfg = merge(Config(), read_yaml(path), str(path))
    for text in overrides:
        merge(cfg, parse_override(text), "overrides")
    validate(cfg)
    return cfg


# The least value each numeric setting may take; anything below it cannot train (counts, sizes,
# steps) or means nothing (negative weights, budgets, rates). Settings not listed take any value.
AT_LEAST = {
    "model": {"base": 1, "max_mult": 1, "attn_level": 0, "style_base": 1, "style_dim": 1, "style_layers": 0,
              "style_heads": 1, "proj_dim": 1, "d_base": 1, "d_scales": 1},
    "critic": {"base": 1, "size": 8, "iterations": 1, "batch": 1, "weight_decay": 0, "warmup": 0, "max_minutes": 0},
    "recognizer": {"iterations": 1, "batch": 1, "max_minutes": 0, "save_every": 0, "keep": 0},
    "loss": {"adv": 0, "cls": 0, "structure": 0, "contrastive": 0, "gram": 0, "outline": 0, "l1": 0, "contour": 0,
             "counters": 0, "counters_ring": 0},
    "optim": {"weight_decay": 0, "warmup": 0, "decay_to": 0, "grad_clip": 0},
    "data": {"writers_per_batch": 0},
    "augment": {"shear": 0, "aspect": 0, "weight": 0, "spread": 0},
    "train": {"iterations": 1, "max_minutes": 0, "log_every": 1, "sample_every": 0, "save_every": 0, "keep": 0},
}
ABOVE_ZERO = {"critic": ("lr",), "recognizer": ("lr",), "loss": ("contour_sharpness", "temperature"),
              "optim": ("lr_g", "lr_d")}


def _check_ranges(cfg: Config) -> None:
    for section, limits in AT_LEAST.items():
        for key, least in limits.items():
            value = getattr(getattr(cfg, section), key)
            if not (math.isfinite(value) and value >= least):
                raise InputError(f"{section}.{key} must be at least {least}, not {value}", None,
                                 f"set {section}.{key}={least} or more")
    for section, keys in ABOVE_ZERO.items():
        for key in keys:
            value = getattr(getattr(cfg, section), key)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{section}.{key} must be a positive number, not {value}", None,
                                 f"set {section}.{key} to a value above 0")
    if not 0 <= cfg.optim.ema < 1 or not all(0 <= b < 1 for b in cfg.optim.betas):
        raise InputError("optim.ema and optim.betas must lie in [0, 1)", None, "e.g. optim.ema=0.999")
    if cfg.model.style_dim % cfg.model.style_heads:
        raise InputError(f"model.style_dim {cfg.model.style_dim} does not split over {cfg.model.style_heads} "
                         "model.style_heads", None, "make style_dim a multiple of style_heads")


def validate(cfg: Config) -> None:
    _check_ranges(cfg)
    s = cfg.model.size
    if s < 8 or s & (s - 1):
        raise InputError(f"model.size must be a power of two >= 8, not {s}")
    if cfg.loss.adversarial not in ("hinge", "bce"):
        raise InputError(f"loss.adversarial must be hinge or bce, not {cfg.loss.adversarial!r}")
    if cfg.loss.gram_form not in ("critic", "seed"):
        raise InputError(f"loss.gram_form must be critic or seed, not {cfg.loss.gram_form!r}")
    for key in ("p", "p_shear", "p_aspect", "p_weight", "p_spread"):
        value = getattr(cfg.augment, key)
        if not (math.isfinite(value) and 0 <= value <= 1):
            raise InputError(f"augment.{key} is a probability in [0, 1], not {value}", None,
                             f"set augment.{key} between 0 and 1")
    if cfg.augment.writers not in ("fonts", "all"):
        raise InputError(f"augment.writers must be fonts or all, not {cfg.augment.writers!r}")
    if cfg.train.amp not in ("auto", "bf16", "fp16", "none"):
        raise InputError(f"train.amp must be auto, bf16, fp16 or none, not {cfg.train.amp!r}")
    if cfg.train.device not in ("auto", "cpu", "cuda"):
        raise InputError(f"train.device must be auto, cpu or cuda, not {cfg.train.device!r}")
    if not 1 <= cfg.data.refs_min <= cfg.data.refs_max:
        raise InputError("need 1 <= data.refs_min <= data.refs_max")
    if cfg.data.batch < 2:
        raise InputError("data.batch must be at least 2 (the contrastive loss needs pairs)")


def to_dict(cfg: Config) -> dict:
    return dataclasses.asdict(cfg)


def from_dict(tree: dict) -> Config:
    return merge(Config(), tree, "checkpoint")


def dump(cfg: Config) -> str:
    """The resolved config as YAML, for the log and the run folder."""
    tree = to_dict(cfg)
    tree["optim"]["betas"] = list(tree["optim"]["betas"])
    return yaml.safe_dump(tree, sort_keys=False)
