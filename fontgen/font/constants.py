"""The font's fixed numbers: em, metrics (after Noto Sans CJK, so the font lines up with other CJK
fonts), spacing and encoding limits, shared by the compilers, the glyph programs and the factory."""

UPM = 1000
CJK_ADVANCE = 1000
TYPO_ASCENDER, TYPO_DESCENDER = 880, -120
HHEA_ASCENDER, HHEA_DESCENDER = 1160, -288
ASCII_SIDE_BEARING = 50
SPACE_ADVANCES = {" ": 250, "\u00a0": 250, "\u3000": CJK_ADVANCE}
CU2QU_MAX_ERR = 1.0
T2_MAX_ARGS = 48  # Type 2 argument stack depth
GB2312_CODEPAGES = (1 << 0) | (1 << 18)  # Latin 1252 and Simplified Chinese 936
# GB2312's A1AA (dash) and A1A4 (middle dot) are U+2014 and U+00B7 in GB18030 and Windows' GBK, which
# Chinese text uses, but U+2015 and U+30FB in Python's gb2312 codec (our charset): both map to one glyph.
CMAP_ALIASES = {"\u2014": "\u2015", "\u00b7": "\u30fb"}
