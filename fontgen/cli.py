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


@cli.command("template")
@click.option("--chars", default=None, help="Characters to put on the sheet, e.g. 永和我你的是国爱.")
@click.option("--count", type=click.IntRange(min=1, max=500), default=None,
              help="Let fontgen choose this many characters covering GB2312's common parts [default: 8].")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PDF file to write.")
@click.option("--paper", type=click.Choice(["A4", "Letter"]), default="A4", show_default=True, help="Paper size.")
@click.option("--dpi", type=click.IntRange(min=100, max=600), default=300, show_default=True, help="Rendering resolution.")
@click.option("--force", is_flag=True, help="Overwrite an existing PDF.")
def template(chars, count, out, paper, dpi, force) -> None:
    """Print a handwriting sheet: one box per character, with markers and a QR code for `scan`.

    \b
    Example:
      fontgen template --count 16 --out sheet.pdf --paper A4
    """
    from fontgen import coverage, sheet

    if chars and count:
        raise click.UsageError("give --chars or --count, not both")
    if not chars:
        chars = "".join(coverage.select(count or 8, progress=True))
    pages = sheet.paginate(chars, paper)
    sheet.write_pdf(pages, out, dpi=dpi, force=force)
    click.echo(f"{out}: {sum(len(p.chars) for p in pages)} characters on {len(pages)} {paper} page(s): "
               f"{''.join(p.chars for p in pages)}")


@cli.command("scan")
@click.argument("photos", nargs=-1, required=True, type=click.Path())
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write <char>.png samples into.")
@click.option("--debug", type=click.Path(dir_okay=False), default=None, help="Also write a PNG showing what was detected.")
@click.option("--force", is_flag=True, help="Replace an existing output folder and debug picture.")
def scan_cmd(photos, out, debug, force) -> None:
    """Cut the characters out of photos or scans of filled-in sheets (one file per page).

    \b
    Example:
      fontgen scan page1.jpg page2.jpg --out my_chars/ --debug scan.png
    """
    from fontgen import scan

    pages = scan.scan(photos, out, debug=debug, force=force, progress=True)
    for res in pages:
        empty = f" (empty: {''.join(res.empty)})" if res.empty else ""
        click.echo(f"{res.path}: page {res.page.number}/{res.page.count}, {len(res.samples)} characters, "
                   f"{len(res.empty)} empty boxes{empty}")
    click.echo(f"{out}: {sum(len(r.samples) for r in pages)} samples written")
