"""The writer's side: sample images and glyph folders read into ink maps, the paper sheet to write
on, scanning it back, and which characters to ask for (coverage)."""
