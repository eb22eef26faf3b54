"""fontbakery's universal profile on a small font built the way make-font builds one: no FAIL (issue 22).

fontbakery is not a dependency of fontgen (nor of its dev extra: it pulls in ufo2ft and friends);
without it the test is skipped with the install line. The WARNs a default make-font font still gets are
listed in the README with their reasons.
"""

import json
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from fontgen import charsets, templates
from fontgen.font import build, vectorize

# 160 hanzi: with fewer, fontbakery does not take the font for a CJK one and runs the Latin metrics checks.
CHARS = (list(charsets.gb2312_level1()[:160]) + list("、。，：；！？「」（）《》…―") + list(charsets.ascii_printable())
         + list("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛÜÊ"))
OFFLINE = ["-x", "fontdata_namecheck"]  # asks a web service; there is no network here


def test_symbols_charset_has_both_cases_of_every_letter():
    symbols = set(charsets.gb2312_symbols())
    assert not [c for c in symbols if c.isalpha() and len(c.swapcase()) == 1 and c.swapcase() not in symbols]


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["otf", "ttf"])
def test_universal_profile_has_no_fail(tmp_path, flavour):
    tool = shutil.which("fontbakery", path=str(Path(sys.executable).parent)) or shutil.which("fontbakery")
    if tool is None:
        pytest.skip("fontbakery not installed: pip install fontbakery (not needed by fontgen or its tests otherwise)")
    tpl = templates.render(CHARS, size=64)
    frames = {c: vectorize.PixelFrame.content(64, tpl.placement[c]) for c in tpl.chars}
    traced = vectorize.trace_many(dict(zip(tpl.chars, tpl.ink)), frames, workers=1, progress=False,
                                  finish=partial(build.prepare_glyphs, flavours=(flavour,)))
    compile_font = build.compile_otf if flavour == "otf" else build.compile_ttf
    font = tmp_path / f"Hand.{flavour}"
    font.write_bytes(compile_font(traced, build.FontInfo("Test Hand", family_zh="测试手写")))
    report = tmp_path / "report.json"
    subprocess.run([tool, "check-universal", str(font), *OFFLINE, "--json", str(report), "--no-progress",
                    "-l", "FAIL"], capture_output=True, timeout=600)
    results = json.loads(report.read_text())
    fails = [(c["key"][1], str(c["logs"])[:300]) for section in results["sections"] for c in section["checks"]
             if c["result"] in ("FAIL", "FATAL")]
    assert not fails, fails
