"""One error type for everything a user can get wrong.

The CLI prints `error: <path>: <problem>. <fix>` on one line and exits with code 2; the traceback
is shown only with `--verbose`. Library code raises `InputError` and never exits by itself.
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input the user can fix: names the file (if any), what is wrong and how to fix it."""

    def __init__(self, problem: str, path: str | Path | None = None, fix: str | None = None):
        self.problem = problem
        self.path = None if path is None else Path(path)
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = []
        if self.path is not None:
            parts.append(f"{self.path}: ")
        parts.append(self.problem.rstrip("."))
        if self.fix:
            parts.append(f". {self.fix.rstrip('.')}")
        return "".join(parts) + "."
