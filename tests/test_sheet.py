"""`fontgen template`: the sheet's layout code, pagination and the printed PDF."""

from __future__ import annotations

import shutil
import subprocess

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from fontgen.cli import cli
from fontgen.errors import InputError
from fontgen.samples import sheet


def test_payload_round_trips_and_rejects_foreign_codes():
    page = sheet.paginate("永和我你的是国爱", "Letter")[0]
    assert sheet.parse_payload(page.payload()) == page
    for text in ["HTTPS://EXAMPLE.COM", "FG1 A5 1/1 6X7 DUT", "FG1 A4 1/1 5X5 DUT", "FG1 A4 2/1 6X7 DUT",
                 "FG1 A4 1/1 6X7 DU", "FG1 A4 1/1 6X7 " + "DUT" * 43]:
        with pytest.raises(ValueError):
            sheet.parse_payload(text)


def test_paginate_splits_and_validates():
    lay = sheet.Layout("A4")
    chars = "".join(chr(0x4E00 + i) for i in range(lay.per_page + 5))
    pages = sheet.paginate(chars + chars[:3], "A4")  # duplicates dropped
    assert [len(p.chars) for p in pages] == [lay.per_page, 5] and [p.count for p in pages] == [2, 2]
    with pytest.raises(InputError):
        sheet.paginate("永", "A5")
    with pytest.raises(InputError):
        sheet.paginate(" ", "A4")
    boxes = [lay.box(i) for i in range(lay.per_page)]
    assert all(0 < x and x + w < lay.size_mm[0] and sheet.GRID_TOP_MM <= y and y + h < lay.size_mm[1] - 20
               for x, y, w, h in boxes)


def test_rendered_page_shows_markers_and_qr():
    page = sheet.paginate("永和我", "A4")[0]
    gray = np.asarray(sheet.render_page(page, 150).convert("L"))
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(sheet.ARUCO_DICT))
    _, ids, _ = detector.detectMarkers(gray)
    assert sorted(ids.ravel().tolist()) == [0, 1, 2, 3]
    assert cv2.QRCodeDetector().detectAndDecode(gray)[0] == page.payload()


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_template_cli_writes_a_pdf_that_opens(tmp_path):
    out = tmp_path / "sheet.pdf"
    chars = "".join(chr(0x4E00 + i) for i in range(45))  # two pages
    res = CliRunner().invoke(cli, ["template", "--chars", chars, "--out", str(out), "--dpi", "100"])
    assert res.exit_code == 0, res.output
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(out), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == 2
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(sheet.ARUCO_DICT))
    for png in pngs:
        gray = np.asarray(Image.open(png).convert("L"))
        assert gray.shape[0] > gray.shape[1]  # portrait A4
        _, ids, _ = detector.detectMarkers(gray)
        assert sorted(ids.ravel().tolist()) == [0, 1, 2, 3]
    again = CliRunner().invoke(cli, ["template", "--chars", "永", "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = CliRunner().invoke(cli, ["template", "--chars", "永", "--out", str(out), "--force", "--dpi", "100"])
    assert forced.exit_code == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    both = CliRunner().invoke(cli, ["template", "--chars", "永", "--count", "3", "--out", str(tmp_path / "x.pdf")])
    assert both.exit_code == 2 and not (tmp_path / "x.pdf").exists()
