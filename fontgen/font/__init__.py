"""Glyph bitmaps → font files: tracing, the ink level tracing follows, the CFF and glyf compilers,
validation and topology checks, the factory (`factory`) and make-font's whole run (`makefont`)."""
