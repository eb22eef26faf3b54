"""The `fontgen` command line: thin click commands over library functions.

Every command imports its library lazily inside the function body, so `fontgen make-font` never
imports torch. Options can also come from the environment (`FONTGEN_<COMMAND>_<OPTION>`).
Bad input raises `InputError`; the group prints it on one line and exits with code 2.
"""

from __future__ import annotations

import logging
import click

from fontgen.errors import InputError


class BadInput(click.ClickException):
    """An `InputError` on its way out: click prints `Error: <one line>` and exits with code 2."""

    exit_code = 2


class FontgenGroup(click.Group):
    """Turns library `InputError`s into one-line errors (exit 2); `--verbose` keeps the traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InputError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            raise BadInput(exc.message) from None


@click.group(cls=FontgenGroup,
             context_settings={"auto_envvar_prefix": "FONTGEN", "help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Show debug logs and full tracebacks.")
@click.version_option(package_name="fontgen")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """fontgen: turn a few handwritten Chinese characters into a complete GB2312 font.

    \b
    Example:
      fontgen make-font --samples my_chars/ --out MyHand.otf
    """
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(name)s: %(message)s")


main = cli


# ---- commands --------------------------------------------------------------------------------
