"""The user's metadata (issue 22): names in any script, version, designer, copyright, licence, vendor,
a unique ID per build, and a summary line that says which licence was written."""

import pytest
from fontTools.ttLib import TTFont

from clicheck import assert_one_line_error
from fontgen.errors import InputError
from fontgen.font import metadata, validate
from test_build_font_cli import CHARS, glyph_dir, run  # noqa: F401  (glyph_dir is a fixture)


def names(font: TTFont) -> dict[tuple[int, int, int], str]:
    return {(r.platformID, r.langID, r.nameID): r.toUnicode() for r in font["name"].names}


def test_every_flag_lands_in_both_flavours(glyph_dir, tmp_path):  # noqa: F811
    out, ttf = tmp_path / "a.otf", tmp_path / "a.ttf"
    result = run("--glyphs", glyph_dir, "--out", out, "--ttf", ttf, "--workers", "1", "--name", "小明手写",
                 "--name-en", "Xiaoming Hand", "--version", "1.2", "--designer", "Xiao Ming",
                 "--copyright", "(c) 2026 Xiao Ming", "--license", "ofl-1.1", "--vendor", "XM")
    assert result.exit_code == 0, result.output
    summary = result.output.strip().splitlines()[-1]
    assert "Xiaoming Hand / 小明手写 (XiaomingHand-Regular) version 1.200, licence: OFL-1.1" in summary
    for path in (out, ttf):
        validate.sanitize(path.read_bytes())
        font = TTFont(path)
        got = names(font)
        assert got[3, 0x409, 1] == "Xiaoming Hand" and got[3, 0x804, 1] == "小明手写"
        assert got[3, 0x409, 6] == "XiaomingHand-Regular"
        assert got[3, 0x409, 5] == "Version 1.200" and abs(font["head"].fontRevision - 1.2) < 1e-4
        assert got[3, 0x409, 9] == "Xiao Ming" and got[3, 0x409, 0] == "(c) 2026 Xiao Ming"
        assert "SIL Open Font License" in got[3, 0x409, 13] and got[3, 0x409, 14] == "https://openfontlicense.org"
        assert font["OS/2"].achVendID == "XM  "
        assert got[3, 0x409, 3].startswith("1.200;XM;XiaomingHand-Regular;")
    assert TTFont(out)["CFF "].cff.fontNames == ["XiaomingHand-Regular"]


def test_defaults_claim_no_licence_and_ids_differ(glyph_dir, tmp_path):  # noqa: F811
    ids = set()
    for i in range(2):
        out = tmp_path / f"{i}.otf"
        result = run("--glyphs", glyph_dir, "--out", out, "--workers", "1")
        assert result.exit_code == 0, result.output
        assert "licence: all rights reserved (the default; --license OFL-1.1" in result.output
        got = names(TTFont(out))
        assert got[3, 0x409, 13].startswith("All rights reserved") and (3, 0x409, 14) not in got
        assert got[3, 0x409, 5] == "Version 1.000" and (3, 0x804, 1) not in got  # ASCII name: English only
        ids.add(got[3, 0x409, 3])
    assert len(ids) == 2  # a unique font ID per build


@pytest.mark.parametrize("flag, value, words", [
    ("--version", "1.2.3", ["--version", "1.2"]),
    ("--version", "99999", ["--version"]),
    ("--vendor", "TOOLONG", ["--vendor", "1 to 4"]),
    ("--vendor", "小明", ["--vendor"]),
    ("--license", "GPL", ["--license", "OFL-1.1", "CC0-1.0"]),
    ("--name-en", "小明", ["--name-en", "ASCII"]),
    ("--designer", "  ", ["--designer"]),
])
def test_bad_metadata_is_one_line_and_writes_nothing(glyph_dir, tmp_path, flag, value, words):  # noqa: F811
    out = tmp_path / "a.otf"
    assert_one_line_error(run("--glyphs", glyph_dir, "--out", out, flag, value), *words)
    assert not out.exists()


def test_licence_text_of_ones_own_and_versions():
    info = metadata.font_info("Hand", license="Free for personal use; ask me before selling.")
    assert info.license_key == "custom" and info.license_url is None and "licence: 'Free for" in info.summary()
    assert [metadata.parse_version(v) for v in ("1", "1.2", "v2.05", "Version 3.125")] == \
        ["1.000", "1.200", "2.050", "3.125"]
    with pytest.raises(InputError):
        metadata.parse_version("1.2345")


def test_postscript_names():
    assert metadata.FontInfo(family="My Hand 1").ps_name == "MyHand1-Regular"
    mine, yours = metadata.FontInfo(family="我的手写").ps_name, metadata.FontInfo(family="你的手写").ps_name
    assert mine.isascii() and mine.startswith("Font") and mine != yours
    assert metadata.FontInfo(family="我的手写").ps_name == mine  # stable: the same name, the same PostScript name
    assert metadata.font_info("小明手写", name_en="Xiaoming").ps_name == "Xiaoming-Regular"
