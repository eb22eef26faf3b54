"""Assertions shared by the CLI tests."""

from __future__ import annotations


def assert_one_line_error(result, *words):
    """Bad input: exit code 2 and a single `Error: …` line that contains every one of `words`."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.output
    for word in words:
        assert word in lines[0], (word, lines[0])
