"""Command line: thin commands that parse, call one library function and print messages.

Errors the toolkit raises on purpose print as plain messages with a non-zero exit; ``--debug``
shows the traceback for developers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from evaluation.errors import EvaluationError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Evaluation and reporting toolkit for the Economic Inactivity Trailblazers.",
)
# Outside a terminal (CI logs, pipes) rich would assume 80 columns and cut the file names.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
_state = {"debug": False}


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _state["debug"] = debug


def _interrupted(err: KeyboardInterrupt) -> None:
    """Ctrl-C: every pack is swapped in whole or not at all, so the packs being built were not
    published; their staging folders were removed and the lock released on the way out."""
    text = str(err)
    where = f"{text[:1].upper()}{text[1:]}; " if text else "Interrupted; "
    err_console.print(f"{where}no pack was replaced.", markup=False, soft_wrap=True)
    raise typer.Exit(code=130)


def _fail(err: EvaluationError) -> None:
    if _state["debug"]:
        raise err
    err_console.print(f"[bold red]Error:[/] {err}", markup=True, soft_wrap=True)
    raise typer.Exit(code=2)


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="Folder to write the inputs to.")] = Path("inputs"),
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or parquet.")] = "csv",
    seed: Annotated[int | None, typer.Option(help="Random seed (default: the calibrated seed).")] = None,
) -> None:
    """Generate the synthetic inputs, calibrated to the seed papers (same seed, same bytes)."""
    from evaluation.data import synthetic
    from evaluation.data.synthetic_spec import SEED

    if fmt not in ("csv", "xlsx", "parquet"):
        _fail(EvaluationError(f"unknown format {fmt!r}", expected="csv, xlsx or parquet"))
    data = synthetic.generate(SEED if seed is None else seed)
    for path in synthetic.write(data, out, fmt=fmt):
        console.print(f"wrote {path}")


def print_summary(title: str, rows: list[dict]) -> None:
    table = Table(title=title, title_justify="left")
    for col in ("file", "rows in", "accepted", "quarantined", "warnings", "quarantined by rule"):
        table.add_column(
            col,
            justify="right" if col not in ("file", "quarantined by rule") else "left",
            no_wrap=col == "file",
        )
    for r in rows:
        rules = ", ".join(f"{k} {v}" for k, v in r["quarantined_by_rule"].items()) or "-"
        table.add_row(
            r["file"],
            f"{r['rows_in']:,}",
            f"{r['accepted']:,}",
            f"{r['quarantined']:,}",
            f"{r['warnings']:,}",
            rules,
        )
    console.print(table)


@app.command()
def validate(
    params_files: Annotated[list[Path], typer.Argument(help="Parameters files (params/*.yaml).")],
    quarantine: Annotated[
        Path | None,
        typer.Option(help="Folder for quarantined rows and findings (internal; holds personal data)."),
    ] = None,
    show: Annotated[int, typer.Option(help="How many findings to list for each file.")] = 10,
) -> None:
    """Validate every input a parameters file names and print the per-file summary."""
    from evaluation.data.inputs import load_inputs
    from evaluation.data.summary import summary_rows, write_quarantine
    from evaluation.params import load_params

    for path in params_files:
        try:
            params = load_params(path)
            inputs = load_inputs(path, params)
        except EvaluationError as err:
            _fail(err)
        print_summary(f"{params.run_name}: inputs validated", summary_rows(inputs.tables()))
        for t in inputs.tables():
            for finding in [f for f in t.findings if f.severity != "file"][:show]:
                console.print(f"  {finding.severity}: {finding.describe()}")
        if quarantine is not None:
            write_quarantine(inputs, quarantine / params.run_name)
            console.print(f"quarantine written to {quarantine / params.run_name}")


@app.command()
def dictionary(
    out: Annotated[Path, typer.Option(help="Markdown file to write.")] = Path("docs/data-dictionary.md"),
) -> None:
    """Write the data dictionary generated from the schemas."""
    from evaluation.data.dictionary import data_dictionary

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(data_dictionary() + "\n", encoding="utf-8")
    console.print(f"wrote {out}")


@app.command()
def report(
    params_files: Annotated[
        list[Path] | None, typer.Argument(help="Parameters files to run (default: all in params/).")
    ] = None,  # type: ignore[assignment]
    reports: Annotated[Path, typer.Option(help="Folder the packs are written to.")] = Path("reports"),
    params_dir: Annotated[Path, typer.Option(help="Folder of parameters files.")] = Path("params"),
    area: Annotated[
        str | None, typer.Option(help="Only this area's parameters files (the name before _<period>).")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(help="Areas built at once (default: the number of cores).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rebuild everything, even what is unchanged.")
    ] = False,
) -> None:
    """Produce the report pack for every parameters file (or those selected)."""
    from evaluation.pipeline.threads import one_blas_thread

    one_blas_thread()  # before numpy is imported, so workers and kernels inherit it
    from evaluation.pipeline.run import run_report, select_params

    try:
        files = list(params_files) if params_files else select_params(params_dir, area)
        ok = run_report(files, reports, console=console, jobs=jobs, force=force)
    except EvaluationError as err:
        _fail(err)
    except KeyboardInterrupt as err:
        _interrupted(err)
    if not ok:
        raise typer.Exit(code=1)


@app.command()
def verify(
    pack: Annotated[Path, typer.Argument(help="A pack folder, e.g. reports/rotherham/2026-27.")],
) -> None:
    """Rerun a pack from its manifest's inputs and compare every output, byte for byte."""
    from evaluation.pipeline.threads import one_blas_thread

    one_blas_thread()  # as the report run had it
    from evaluation.pipeline.verify import verify_pack

    try:
        result = verify_pack(pack)
    except EvaluationError as err:
        _fail(err)
    except KeyboardInterrupt as err:
        _interrupted(err)
    for item in result.changed_inputs:
        console.print(f"[red]input changed since the pack was made:[/] {item}")
    for name in result.identical:
        console.print(f"identical  {name}")
    for name in result.differing:
        console.print(f"[red]differing[/]  {name}")
    for name in result.missing:
        console.print(f"[red]not produced by the rerun[/]  {name}")
    for name in result.extra:
        console.print(f"[red]produced but not in the manifest[/]  {name}")
    if result.ok:
        console.print(f"[green]verified:[/] {len(result.identical)} outputs identical to the manifest")
    else:
        console.print(
            f"[red]not verified:[/] {len(result.differing) + len(result.missing) + len(result.extra)} output(s) differ; {len(result.changed_inputs)} input(s) changed"
        )
        raise typer.Exit(code=1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("Interrupted; no pack was replaced.")
        sys.exit(130)
    except OSError as err:
        # A folder the user named that cannot be written (full, read-only, a file in the way):
        # said in one line, as every other refusal is; --debug shows the traceback.
        if _state["debug"]:
            raise
        where = f" ({err.filename})" if err.filename else ""
        err_console.print(f"Error: {err.strerror or err}{where}", markup=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
