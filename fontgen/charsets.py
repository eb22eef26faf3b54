"""Character sets: GB2312 (derived from the codec, not typed in), its symbols, ASCII, text files.

A charset spec is one or more parts joined by `+`: a known name (`gb2312`, `gb2312-1`, `gb2312-2`,
`symbols`, `ascii`) or the path of a UTF-8 text file whose non-space characters form the set.
`resolve("gb2312+symbols")` returns the characters in a fixed order without duplicates. A file
whose name holds a `+` (`my+chars.txt`) is read as that file when it exists.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from pathlib import Path

from fontgen.errors import InputError

log = logging.getLogger(__name__)

# Unicode general categories of code points that are never a glyph of their own.
NOT_GLYPHS = {
    "Mn": "a combining mark", "Mc": "a combining mark", "Me": "an enclosing mark",
    "Cf": "a format character", "Cc": "a control character", "Cs": "a surrogate",
    "Zs": "a space", "Zl": "a line separator", "Zp": "a paragraph separator",
}


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
    """Full-width punctuation, digits, Latin, kana, Greek, Cyrillic, pinyin, box drawing (rows 1-9), and the
    capitals of the pinyin letters GB2312 has only in lower case (Ā Á Ǎ À …): a letter without its other
    case breaks case mapping (fontbakery's universal profile fails such a font)."""
    rows = _gb2312_rows(1, 9)
    present = set(rows)
    other_case = [c.swapcase() for c in rows if unicodedata.category(c).startswith("L") and len(c.swapcase()) == 1]
    return rows + tuple(dict.fromkeys(c for c in other_case if c not in present))


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


def not_a_glyph(ch: str) -> str | None:
    """What `ch` is if it cannot be a glyph of its own (a combining mark, a format, control or space
    character), else None."""
    return NOT_GLYPHS.get(unicodedata.category(ch))


def from_text_file(path: str | Path) -> tuple[str, ...]:
    """Every distinct character of a UTF-8 text file that can be a glyph, in order of first appearance.

    Whitespace and a byte-order mark are ignored; other marks, format and control characters are
    skipped with a notice naming them.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError("the charset is a folder, not a text file", path,
                         "give a text file of characters or a charset name such as gb2312")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("charset file not found", path, "give a known charset name or an existing text file")
    except UnicodeDecodeError:
        raise InputError("charset file is not UTF-8 text", path, "save it as UTF-8")
    except OSError as exc:
        raise InputError(f"cannot read the charset file ({exc.strerror})", path, "give a readable text file")
    distinct = [ch for ch in dict.fromkeys(text) if not ch.isspace()]
    skipped = [ch for ch in distinct if not_a_glyph(ch)]
    if skipped:
        log.warning("notice: %s: skipped %d character(s) that cannot be glyphs of their own: %s", path,
                    len(skipped), ", ".join(f"U+{ord(ch):04X} ({not_a_glyph(ch)})" for ch in skipped))
    chars = tuple(ch for ch in distinct if not not_a_glyph(ch))
    if not chars:
        raise InputError("charset file holds no characters", path, "put the characters to cover in it")
    return chars


def _exists(name: str) -> bool:
    try:
        return Path(name).exists()
    except OSError:  # e.g. a name too long to be a file: characters typed in where a charset was meant
        return False


def resolve(spec: str) -> tuple[str, ...]:
    """Characters of a charset spec such as `gb2312+symbols` or `mychars.txt`, deduplicated."""
    chars: list[str] = []
    pieces = spec.split("+")
    start = 0
    while start < len(pieces):
        # The longest run of pieces that names an existing file is one part: file names may hold '+'.
        end = next((end for end in range(len(pieces), start + 1, -1)
                    if _exists("+".join(pieces[start:end]).strip())), start + 1)
        part = "+".join(pieces[start:end]).strip()
        start = end
        if part.lower() in NAMED:
            chars.extend(NAMED[part.lower()]())
        elif part and _exists(part):
            chars.extend(from_text_file(part))
        else:
            known = ", ".join(NAMED)
            raise InputError(f"unknown charset {part!r}", None, f"use one of {known}, '+' to join, or a text file")
    return tuple(dict.fromkeys(chars))


def is_hanzi(ch: str) -> bool:
    """True for CJK unified ideographs (main block and extension A)."""
    cp = ord(ch)
    return 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF
