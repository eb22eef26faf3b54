"""Re-create examples/glyphs/: a small glyph folder for `make font`, rendered from Noto Serif CJK SC.

Each PNG is one character's em square at 128 px, black on white, baseline at 88 % of the height
(the font's ascender), so `fontgen build-font` puts every glyph back where the font had it.
Noto Serif CJK is © Adobe, licensed under the SIL Open Font License 1.1.

    .venv/bin/python examples/render_glyphs.py
"""

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from fontgen import templates

CHARS = ("永和我你的是国爱写字飞龙天地人大中小山水火木金土日月春夏秋冬东南西北上下左右"
         "风云雨雪花草鱼鸟书画笔墨，。！？Aa1")
SIZE = 128


def main() -> None:
    face = templates.find_face("Noto Serif CJK SC")
    font = ImageFont.truetype(str(face.path), SIZE, index=face.index)
    out = Path(__file__).resolve().parent / "glyphs"
    out.mkdir(exist_ok=True)
    for ch in CHARS:
        img = Image.new("L", (SIZE, SIZE), 255)
        ImageDraw.Draw(img).text((0, round(SIZE * 0.88)), ch, fill=0, font=font, anchor="ls")
        # Hanzi are named by themselves; the rest by code point (A.png and a.png clash on macOS).
        name = f"{ch}.png" if "\u4e00" <= ch <= "\u9fff" else f"U+{ord(ch):04X}.png"
        img.save(out / name, optimize=True)


if __name__ == "__main__":
    main()
