"""Command line: ``walled-gardens run|batch|report|viz``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .config import ConfigError, load

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Agent-based simulation of competing platform ecosystems (walled gardens).")


@app.callback()
def _group() -> None:
    """walled-gardens: run scenarios, batches and reports, or open the browser visualization."""


def parse_overrides(items: list[str] | None) -> dict:
    """``key=value`` pairs; values parsed as JSON where possible (numbers, booleans)."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise typer.BadParameter(f"--set {item!r}: expected KEY=VALUE, e.g. consumer.g_direct=2.5")
        key, raw = item.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


def fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario TOML file")],
    steps: Annotated[int | None, typer.Option(help="ticks to run (default: the scenario's size.steps)")] = None,
    seed: Annotated[int | None, typer.Option(help="run seed (default: the scenario's size.seed)")] = None,
    out: Annotated[Path, typer.Option(help="output directory")] = Path("results/run"),
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config key: KEY=VALUE")] = None,
) -> None:
    """Run one scenario and write its time series (one row per tick) and regulator log."""
    from .runner import simulate

    if fmt not in ("parquet", "csv"):
        fail(f"--format {fmt!r}: allowed: ['csv', 'parquet']")
    try:
        cfg = load(scenario, parse_overrides(set_))
        df, log = simulate(cfg, steps=steps, seed=seed, progress=True)
    except ConfigError as err:
        fail(str(err))
    out.mkdir(parents=True, exist_ok=True)
    series = out / f"{cfg.name}.{fmt}"
    df.to_parquet(series, index=False) if fmt == "parquet" else df.to_csv(series, index=False)
    log.to_csv(out / f"{cfg.name}_regulator.csv", index=False)
    (out / f"{cfg.name}_config.json").write_text(cfg.model_dump_json(indent=2))
    last = df.iloc[-1]
    shares = {c.removeprefix("pay_share_value_"): round(float(last[c]), 3) for c in df if c.startswith("pay_share_value_")}
    typer.echo(f"wrote {series} ({len(df)} ticks); payment share by value at the end: {shares}; "
               f"mean merchant reach {last['reach_mean']:.3f}")


def _default_workers() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@app.command()
def batch(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario TOML files, e.g. scenarios/*.toml")],
    replications: Annotated[int, typer.Option(help="replications per scenario (and sweep point)")] = 10,
    steps: Annotated[int | None, typer.Option(help="ticks per run (default: each scenario's size.steps)")] = None,
    workers: Annotated[int, typer.Option(help="local worker processes (default: CPUs available)")] = 0,
    out: Annotated[Path, typer.Option(help="batch directory (rerun the same command to resume)")] = Path(
        "results/batch"),
    seed: Annotated[int, typer.Option(help="master seed; run seeds derive from it with numpy SeedSequence")] = 20250101,
    common_seeds: Annotated[bool, typer.Option(
        "--common-seeds", help="common random numbers: every scenario uses the same seed for a replication")] = False,
    scheduler: Annotated[str | None, typer.Option(
        envvar="WALLED_GARDENS_SCHEDULER",
        help="Dask scheduler address (tcp://HOST:PORT) to run on a cluster instead of local processes")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a config key in every run: KEY=VALUE")] = None,
    grid: Annotated[list[str] | None, typer.Option(
        help="sweep a parameter grid (cartesian product over repeats): KEY=V1,V2,...")] = None,
    lhs: Annotated[list[str] | None, typer.Option(
        help="sweep a Latin hypercube over KEY=LOW:HIGH (repeat for more keys; integers if both bounds are)")] = None,
    samples: Annotated[int, typer.Option(help="Latin hypercube points (with --lhs)")] = 10,
    report: Annotated[bool, typer.Option(help="write DIR/report.html when the batch ends")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run scenarios x replications (x sweep points) in parallel, streaming each finished
    run to DIR/runs/<run_id>.parquet; then write DIR/report.html."""
    from . import batch as batch_mod

    if out.exists() and not out.is_dir():
        fail(f"--out {out}: exists and is not a directory")
    try:
        overrides = parse_overrides(set_)
        points = batch_mod.sweep_points(batch_mod.parse_grid(grid or []), batch_mod.parse_lhs(lhs or []),
                                        samples=samples, master_seed=seed)
        plan = batch_mod.plan(scenarios, replications, steps=steps, master_seed=seed, overrides=overrides,
                              points=points, common_seeds=common_seeds)
        if workers < 0:
            raise ConfigError(f"--workers {workers}: must be at least 1 (0 = CPUs available)")
        n_workers = workers or _default_workers()
        res = batch_mod.run_batch(plan, out, workers=n_workers, scheduler=scheduler, progress=progress)
    except (ConfigError, typer.BadParameter) as err:
        fail(str(err))
    except RuntimeError as err:
        fail(str(err))
    where = f"Dask at {scheduler}" if scheduler else f"{n_workers} local worker{'s' * (n_workers != 1)}"
    typer.echo(f"batch {out}: {res.total} runs ({res.skipped} already done, {res.done} finished now, "
               f"{len(res.failed)} failed) in {res.elapsed:.1f}s on {where}")
    if report and res.total - len(res.failed) > 0:
        from .report import build_report

        typer.echo(f"report: {build_report(out)}")
    if res.failed:
        typer.secho(f"error: {len(res.failed)} run(s) failed; tracebacks in {out / batch_mod.FAILED}/; "
                    "rerun the same command to retry them", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="batch directory (written by `walled-gardens batch`)")],
    html: Annotated[Path | None, typer.Option(help="where to write the HTML (default: DIR/report.html)")] = None,
    band: Annotated[str, typer.Option(help="band around the mean over time: ci (95% CI of the mean) or range "
                                           "(2.5-97.5 percentiles across replications)")] = "ci",
) -> None:
    """Write a self-contained offline HTML report comparing the scenarios of a batch."""
    from .report import build_report

    if not out.is_dir():
        fail(f"{out}: not a directory (a batch directory written by `walled-gardens batch`)")
    try:
        path = build_report(out, html, band=band)
    except ConfigError as err:
        fail(str(err))
    typer.echo(f"report: {path}")


SOLARA_ASSETS_MARKER = "@widgetti/solara-vuetify-app@10.1.1/.vendored"  # see scripts/vendor_solara_assets.sh


@app.command()
def viz(
    host: Annotated[str, typer.Option(help="interface to bind (127.0.0.1: this machine only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8765,
    assets: Annotated[Path | None, typer.Option(
        envvar="SOLARA_ASSETS_PROXY_CACHE_DIR",
        help="vendored Solara front-end assets (default: <repo>/.cache/solara-assets; vendored there if missing)")] = None,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="open a web browser")] = False,
) -> None:
    """Open the interactive browser visualization (Mesa SolaraViz) on http://HOST:PORT, offline."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parent.parent
    assets = (assets or repo / ".cache" / "solara-assets").resolve()
    if not (assets / SOLARA_ASSETS_MARKER).exists():
        script = repo / "scripts" / "vendor_solara_assets.sh"
        if not script.is_file():
            fail(f"{assets}: Solara assets not vendored and {script} not found")
        typer.echo(f"vendoring Solara front-end assets into {assets} (npm pack) ...")
        if subprocess.run(["bash", str(script), str(assets)]).returncode != 0:
            fail(f"vendoring Solara assets failed; run {script} {assets} (needs npm)")
    env = dict(os.environ, SOLARA_ASSETS_PROXY_CACHE_DIR=str(assets), SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    cmd = [sys.executable, "-m", "solara", "run", str(repo / "model" / "app.py"), "--host", host,
           "--port", str(port), "--production", "--no-check-version", "--open" if open_browser else "--no-open"]
    typer.echo(f"walled-gardens viz on http://{host}:{port} (Ctrl-C to stop)", err=True)
    sys.stdout.flush()
    os.execve(sys.executable, cmd, env)  # become the server: signals (Ctrl-C, kill) reach it directly


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
