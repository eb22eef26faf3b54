"""Character sets: GB2312 (derived from the codec, not typed in), its symbols, ASCII, text files.

A charset spec is one or more parts joined by `+`: a known name (`gb2312`, `gb2312-1`, `gb2312-2`,
`symbols`, `ascii`) or the path of a UTF-8 text file whose non-space characters form the set.
`resolve("gb2312+symbols")` returns the characters in a fixed order without duplicates.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontgen.errors import InputError


def _gb2312_rows(first_row: int, last_row: int) -> tuple[str, ...]:
    """Decode every cell of GB2312 rows `first_row..last_row` (EUC-CN lead bytes 0xA0 + row)."""
    chars = []
    for lead in range(0xA0 + first_row, 0xA0 + last_row + 1):
        for trail in range(0xA1, 0xFF):
            try:
                ch = bytes([lead, trail]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            chars.append(ch)
    return tuple(chars)


@lru_cache(maxsize=None)
def gb2312_level1() -> tuple[str, ...]:
    """The 3,755 level-1 hanzi (rows 16-55, ordered by pinyin)."""
    return _gb2312_rows(16, 55)


@lru_cache(maxsize=None)
def gb2312_level2() -> tuple[str, ...]:
    """The 3,008 level-2 hanzi (rows 56-87, ordered by radical)."""
    return _gb2312_rows(56, 87)


@lru_cache(maxsize=None)
def gb2312_symbols() -> tuple[str, ...]:
    """Full-width punctuation, digits, Latin, kana, Greek, Cyrillic, pinyin, box drawing (rows 1-9)."""
    return _gb2312_rows(1, 9)


@lru_cache(maxsize=None)
def ascii_printable() -> tuple[str, ...]:
    """Printable ASCII without the space (spaces are built as empty glyphs by fontbuild)."""
    return tuple(chr(c) for c in range(0x21, 0x7F))


NAMED = {
    "gb2312": lambda: gb2312_level1() + gb2312_level2(),
    "gb2312-1": gb2312_level1,
    "gb2312-2": gb2312_level2,
    "symbols": gb2312_symbols,
    "ascii": ascii_printable,
}


def from_text_file(path: str | Path) -> tuple[str, ...]:
    """Every distinct non-whitespace character of a UTF-8 text file, in order of first appearance."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("charset file not found", path, "give a known charset name or an existing text file")
    except UnicodeDecodeError:
        raise InputError("charset file is not UTF-8 text", path, "save it as UTF-8")
    chars = tuple(dict.fromkeys(ch for ch in text if not ch.isspace()))
    if not chars:
        raise InputError("charset file holds no characters", path, "put the characters to cover in it")
    return chars


def resolve(spec: str) -> tuple[str, ...]:
    """Characters of a charset spec such as `gb2312+symbols` or `mychars.txt`, deduplicated."""
    chars: list[str] = []
    for part in spec.split("+"):
        part = part.strip()
        if part.lower() in NAMED:
            chars.extend(NAMED[part.lower()]())
        elif part and Path(part).exists():
            chars.extend(from_text_file(part))
        else:
            known = ", ".join(NAMED)
            raise InputError(f"unknown charset {part!r}", None, f"use one of {known}, '+' to join, or a text file")
    return tuple(dict.fromkeys(chars))


def is_hanzi(ch: str) -> bool:
    """True for CJK unified ideographs (main block and extension A)."""
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF
