"""A tiny random-init generator exported with the project's exporter, and sample folders from Noto fonts.

    model = export_tiny(tmp / "model")          # style.onnx + glyph.onnx + model.json, 64 px
    samples = write_samples(tmp / "samples")    # 8 characters of Noto Serif CJK SC, 200 px PNGs
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from fontgen import templates

SAMPLE_CHARS = "永和我你的是国爱"
# ~50 characters: hanzi (some of them samples), full-width punctuation, ASCII.
CHARSET = "永和我天地人山水火木金土日月风云雨雪花草春夏秋冬东南西北上下左右大小多少中国字书写，。！？ABCabc123"


KAI = "AR PL KaitiM GB"  # the content font a two-channel model reads (fonts-arphic-gkai00mp)


def tiny_config(content_font: str = "", ref_attention: int = 0):
    """The cpu preset at a fraction of its width, so export and inference take a second."""
    from training import config

    return config.load("cpu", ["model.base=4", "model.style_base=4", "model.style_dim=32", "model.style_heads=2",
                               "model.style_layers=1", "model.proj_dim=8", f"model.ref_attention={ref_attention}",
                               f"model.content_font='{content_font}'"]).model


def tiny_generator(seed: int = 0, content_font: str = "", ref_attention: int = 0):
    """Random weights and random batch-norm statistics, as a trained model has (fresh ones are 0 and 1,
    which would hide mistakes in folding them); the attention gates open (fresh ones are 0: a no-op)."""
    import torch
    from training.models import build_generator

    torch.manual_seed(seed)
    generator = build_generator(tiny_config(content_font, ref_attention)).eval()
    for module in generator.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            if module.affine:
                module.weight.data.normal_(1, 0.3)
                module.bias.data.normal_(0, 0.3)
    if ref_attention:  # after the statistics, so the vector-only model is drawn exactly as before
        generator.ref_attention.gamma.data.normal_(0, 0.5)
        generator.style_encoder.cell_position.data.normal_(0, 0.5)
    return generator


def export_tiny(folder: Path, seed: int = 0, content_font: str = "", ref_attention: int = 0) -> Path:
    from export.onnx_export import write_model

    write_model(tiny_generator(seed, content_font, ref_attention), folder,
                training={"iterations": 0, "note": "random-init test model"})
    return folder


def render_sample(ch: str, px: int = 200, family: str = "Noto Serif CJK SC") -> Image.Image:
    """Black ink on white paper, the character centred."""
    face = templates.find_face(family)
    font = ImageFont.truetype(str(face.path), round(px * 0.8), index=face.index)
    im = Image.new("L", (px, px), 255)
    ImageDraw.Draw(im).text((px // 2, px // 2), ch, fill=0, font=font, anchor="mm")
    return im


def write_samples(folder: Path, chars: str = SAMPLE_CHARS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for ch in chars:
        render_sample(ch).save(folder / f"{ch}.png")
    return folder
