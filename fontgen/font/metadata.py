"""Who made the font, under which licence, which version: `FontInfo` and the name table built from it.

    info = font_info("小明手写", version="1.2", designer="Xiao Ming", license="OFL-1.1")
    font["name"] = name_table(info)
    print(info.summary())   # what was written, licence included: nothing is claimed silently

The user's values are checked here (`InputError`, one line), before any glyph is traced.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from dataclasses import dataclass

from fontTools.ttLib import newTable

from fontgen.errors import InputError

DEFAULT_LICENSE = "all-rights-reserved"
# Known licences: (name ID 13 text, name ID 14 URL or None).
LICENSES = {
    "OFL-1.1": ("This Font Software is licensed under the SIL Open Font License, Version 1.1. "
                "This license is available with a FAQ at: https://openfontlicense.org", "https://openfontlicense.org"),
    "CC-BY-4.0": ("This font is licensed under the Creative Commons Attribution 4.0 International License.",
                  "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("This font is licensed under the Creative Commons Attribution-ShareAlike 4.0 International "
                     "License.", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC0-1.0": ("To the extent possible under law, the author has waived all copyright and related or neighboring "
                "rights to this font (CC0 1.0 Universal).", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "all-rights-reserved": ("All rights reserved. No licence to use, copy or share this font is granted.", None),
}
LANG_EN, LANG_ZH = 0x409, 0x804           # Windows English (US), Chinese (PRC)


@dataclass(frozen=True)
class FontInfo:
    """Naming, version and licensing of the font; metrics are fixed by `constants`."""

    family: str = "My Hand"                # English family (name ID 1, 0x409)
    family_zh: str | None = None           # Chinese family (0x804); None: the family itself when it is not ASCII
    style: str = "Regular"
    version: str = "1.000"
    designer: str | None = None
    copyright: str | None = None
    license: str = LICENSES[DEFAULT_LICENSE][0]
    license_url: str | None = LICENSES[DEFAULT_LICENSE][1]
    license_key: str = DEFAULT_LICENSE     # a LICENSES key, or "custom" for the user's own text
    vendor: str = "NONE"

    @property
    def ps_family(self) -> str:
        """The family in PostScript's ASCII: its letters and digits; a name with other characters (a Chinese
        one) adds 8 hex digits of its SHA-1 (`Font` before them when nothing ASCII is left), so two users'
        fonts never share a PostScript name and the same name always gives the same one."""
        letters = re.sub(r"[^A-Za-z0-9]", "", self.family)
        if self.family.isascii() and letters:
            return letters
        return (letters or "Font") + hashlib.sha1(self.family.encode("utf-8")).hexdigest()[:8]

    @property
    def ps_name(self) -> str:
        """PostScript name (also the CFF font name): printable ASCII without spaces, at most 63 characters."""
        style = re.sub(r"[^A-Za-z0-9]", "", self.style) or "Regular"
        return f"{self.ps_family}-{style}"[:63]

    @property
    def full_name(self) -> str:
        return self.family if self.style == "Regular" else f"{self.family} {self.style}"

    @property
    def chinese_family(self) -> str | None:
        return self.family_zh or (None if self.family.isascii() else self.family)

    @property
    def copyright_notice(self) -> str:
        if self.copyright:
            return self.copyright
        holder = self.designer or "the author of the handwriting"
        return f"Copyright (c) {datetime.date.today().year}, {holder}"

    def summary(self) -> str:
        """One clause for the command's summary line: the names, version and licence that were written."""
        names = self.family if self.chinese_family in (None, self.family) else f"{self.family} / {self.chinese_family}"
        if self.license_key == DEFAULT_LICENSE:
            licence = (f"licence: all rights reserved (the default; --license {', '.join(list(LICENSES)[:-1])} "
                       "or your own text to share it)")
        else:
            licence = f"licence: {self.license_key if self.license_key != 'custom' else repr(self.license)}"
        return f"{names} ({self.ps_name}) version {self.version}, {licence}"


def font_info(name: str = "My Hand", *, name_en: str | None = None, version: str | None = None,
              designer: str | None = None, copyright: str | None = None, license: str | None = None,
              vendor: str | None = None) -> FontInfo:
    """The user's metadata, checked; raises InputError naming the option and the fix."""
    name = _text(name, "--name")
    family_zh = None
    if name_en is not None:
        name_en = _text(name_en, "--name-en")
        if not (name_en.isascii() and name_en.isprintable()):
            raise InputError(f"--name-en {name_en!r} is not plain ASCII", None,
                             "give the Chinese name with --name and an ASCII one with --name-en")
        family_zh = None if name == name_en else name
    key, text, url = _license(license)
    return FontInfo(family=name_en or name, family_zh=family_zh, version=parse_version(version or "1.0"),
                    designer=designer and _text(designer, "--designer"),
                    copyright=copyright and _text(copyright, "--copyright"),
                    license=text, license_url=url, license_key=key, vendor=parse_vendor(vendor or "NONE"))


def _text(value: str, option: str) -> str:
    value = value.strip()
    if not value or not value.isprintable() or len(value) > 1000:
        raise InputError(f"{option} must be printable text of 1 to 1000 characters", None, f"fix {option}")
    return value


def parse_version(text: str) -> str:
    """'1', '1.2', 'v1.2' or 'Version 1.2' → '1.200' (head.fontRevision is 16.16 fixed point; 3 decimals)."""
    m = re.fullmatch(r"(?:version\s*|v)?(\d{1,4})(?:\.(\d{1,3}))?", text.strip(), re.IGNORECASE)
    if not m or int(m[1]) > 32767:
        raise InputError(f"--version {text!r} is not a version number", None, "give MAJOR.MINOR, e.g. 1.2 or 1.205")
    return f"{int(m[1])}.{(m[2] or '0').ljust(3, '0')}"


def parse_vendor(text: str) -> str:
    """OS/2 achVendID: 1-4 printable ASCII characters, padded with spaces."""
    if not (1 <= len(text) <= 4 and text.isascii() and text.isprintable() and text.strip()):
        raise InputError(f"--vendor {text!r} is not a vendor ID", None, "give 1 to 4 ASCII letters or digits")
    return text.ljust(4)


def _license(value: str | None) -> tuple[str, str, str | None]:
    """(key, name ID 13 text, name ID 14 URL) of a known licence (any case) or the user's own text."""
    if value is None:
        return DEFAULT_LICENSE, *LICENSES[DEFAULT_LICENSE]
    value = _text(value, "--license")
    known = {k.lower(): k for k in LICENSES}
    if value.lower() in known:
        key = known[value.lower()]
        return key, *LICENSES[key]
    if " " not in value:
        raise InputError(f"--license {value!r} is not a known licence", None,
                         f"give one of {', '.join(LICENSES)}, or the licence text itself (a sentence)")
    return "custom", value, None


def unique_id(info: FontInfo) -> str:
    """Name ID 3, new for every build: version, vendor, PostScript name, UTC time and 4 random bytes."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{info.version};{info.vendor.strip()};{info.ps_name};{stamp}-{secrets.token_hex(4)}"


def name_table(info: FontInfo):
    """Windows English records (IDs 0-6, 9, 13, 14) and the Chinese family in Windows 0x0804 when there is one.
    No Mac (platform 1) records: no system needs them now, and fontbakery's universal profile fails a font
    that has them (no_mac_entries)."""
    english = {0: info.copyright_notice, 1: info.family, 2: info.style, 3: unique_id(info), 4: info.full_name,
               5: f"Version {info.version}", 6: info.ps_name, 9: info.designer, 13: info.license,
               14: info.license_url}
    table = newTable("name")
    table.names = []
    for name_id, text in english.items():
        if text:
            table.setName(text, name_id, 3, 1, LANG_EN)
    zh = info.chinese_family
    if zh:
        chinese = {1: zh, 2: info.style, 4: zh if info.style == "Regular" else f"{zh} {info.style}"}
        for name_id, text in chinese.items():
            table.setName(text, name_id, 3, 1, LANG_ZH)
    return table
