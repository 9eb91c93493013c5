"""Command line: ``walled-gardens run|batch|report|viz|explore|game``.

Every error is one line on stderr (``error: ...``) and a non-zero exit code: 2 for bad
input (a scenario, an option, a path), 1 for a run that failed.  ``--debug`` (anywhere
on the command line) shows the traceback of an unexpected error instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from .config import MAX_TICKS, ConfigError, late_events, load

SEED_MAX = 2**63 - 1


class OneLineErrors(TyperGroup):
    """The command group, reporting every error as one line (usage errors included)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv
        argv = [a for a in argv if a != "--debug"]
        try:
            rv = super().main(args=argv, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                              **extra)
            code = rv if isinstance(rv, int) else 0
        except Exception as err:  # noqa: BLE001 - every error becomes one line
            if debug and not isinstance(err, (typer.TyperException, ConfigError)):
                raise
            if type(err).__name__ == "NoArgsIsHelpError":  # a bare command: its help, as click shows it
                typer.echo(err.format_message(), err=True)
                code = 2
            else:
                message, code = error_line(err)
                typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
        if standalone_mode:
            sys.exit(code)
        return code


def error_line(err: BaseException) -> tuple[str, int]:
    """(one-line message, exit code) for an error that reached the top."""
    from .metrics import NonFiniteMetric

    if isinstance(err, typer.Abort):  # Ctrl-C (click turns KeyboardInterrupt into Abort)
        return "interrupted", 130
    if isinstance(err, typer.TyperException):  # typer's (vendored click's) usage and parameter errors
        text = " ".join(err.format_message().split())
        ctx = getattr(err, "ctx", None)
        return (f"{text} (see `{ctx.command_path} -h`)" if ctx is not None else text), err.exit_code
    if isinstance(err, ConfigError):
        return str(err), 2
    if isinstance(err, NonFiniteMetric):
        return str(err), 1
    if isinstance(err, MemoryError):
        return "out of memory (see the memory estimate in the README); use a smaller size or fewer workers", 1
    if isinstance(err, OSError):
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{err.strerror or err}", 1
    text = " ".join(str(err).split())
    return f"unexpected {type(err).__name__}: {text[:300]} (rerun with --debug for the traceback)", 1


app = typer.Typer(name="walled-gardens", add_completion=False, no_args_is_help=True, cls=OneLineErrors,
                  rich_markup_mode=None, pretty_exceptions_enable=False,  # plain help: flags shown as flags
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Agent-based simulation of competing platform ecosystems (walled gardens).")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"walled-gardens {version('walled-gardens')}")
        raise typer.Exit()


@app.callback()
def _group(
    _version_flag: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False,
    _debug: Annotated[bool, typer.Option("--debug", help="On an unexpected error, show its traceback "
                                                         "(may be given anywhere on the command line).")] = False,
) -> None:
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


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(metavar="SCENARIO.toml", help="scenario TOML file")],
    steps: Annotated[int | None, typer.Option(help="ticks to run (default: the scenario's size.steps)")] = None,
    seed: Annotated[int | None, typer.Option(help="run seed (default: the scenario's size.seed)")] = None,
    out: Annotated[Path, typer.Option(help="output directory")] = Path("results/run"),
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
    set_: Annotated[list[str] | None, typer.Option("--set", metavar="KEY=VALUE", help="override a config key (repeatable)")] = None,
) -> None:
    """Run one scenario and write its time series (one row per tick) and regulator log."""
    from .metrics import NonFiniteMetric
    from .paths import prepare_out, safe_name
    from .resources import check_fits
    from .runner import simulate

    if fmt not in ("parquet", "csv"):
        fail(f"--format {fmt!r}: allowed: ['csv', 'parquet']")
    if steps is not None and not 1 <= steps <= MAX_TICKS:
        fail(f"--steps {steps}: allowed: 1 to {MAX_TICKS} (size.steps)")
    if seed is not None and not 0 <= seed <= SEED_MAX:
        fail(f"--seed {seed}: allowed: 0 <= seed < 2**63")
    cfg = load(scenario, parse_overrides(set_))
    if late := late_events(cfg, steps):
        typer.secho(f"warning: {late}", fg=typer.colors.YELLOW, err=True)
    check_fits([cfg], 1, f"run {scenario}")
    prepare_out(out)
    try:
        df, log = simulate(cfg, steps=steps, seed=seed, progress=True)
    except NonFiniteMetric as err:
        fail(f"{scenario}: {err}", code=1)
    name = safe_name(cfg.name)
    series = out / f"{name}.{fmt}"
    df.to_parquet(series, index=False) if fmt == "parquet" else df.to_csv(series, index=False)
    log.to_csv(out / f"{name}_regulator.csv", index=False)
    (out / f"{name}_config.json").write_text(cfg.model_dump_json(indent=2))
    last = df.iloc[-1]
    shares = {c.removeprefix("pay_share_value_"): round(float(last[c]), 3) for c in df if c.startswith("pay_share_value_")}
    typer.echo(f"wrote {series} ({len(df)} ticks); payment share by value at the end: {shares}; "
               f"mean merchant reach {last['reach_mean']:.3f}")


def available_cpus() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def local_workers(workers: int | None) -> int:
    """The local worker count: the CPUs available by default, and never more (with a warning)."""
    cpus = available_cpus()
    if workers is None:
        return cpus
    if workers < 1:
        fail(f"--workers {workers}: allowed: 1 or more (default: the {cpus} CPUs available)")
    if workers > cpus:
        typer.secho(f"warning: --workers {workers}: only {cpus} CPU{'s' * (cpus != 1)} available; using {cpus}",
                    fg=typer.colors.YELLOW, err=True)
        return cpus
    return workers


@app.command()
def batch(
    scenarios: Annotated[list[Path], typer.Argument(metavar="SCENARIO.toml...",
                                                    help="scenario TOML files, e.g. scenarios/*.toml")],
    replications: Annotated[int, typer.Option(help="replications per scenario (and sweep point)")] = 10,
    steps: Annotated[int | None, typer.Option(help="ticks per run (default: each scenario's size.steps)")] = None,
    workers: Annotated[int | None, typer.Option(
        help="local worker processes (default: the CPUs available, which is also the most used)",
        show_default=False)] = None,
    out: Annotated[Path, typer.Option(help="batch directory (rerun the same command to resume)")] = Path(
        "results/batch"),
    seed: Annotated[int, typer.Option(help="master seed; run seeds derive from it with numpy SeedSequence")] = 20250101,
    common_seeds: Annotated[bool, typer.Option(
        "--common-seeds", help="common random numbers: every scenario uses the same seed for a replication")] = False,
    scheduler: Annotated[str | None, typer.Option(
        envvar="WALLED_GARDENS_SCHEDULER",
        help="Dask scheduler address (tcp://HOST:PORT) to run on a cluster instead of local processes")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE", help="override a config key in every run (repeatable)")] = None,
    grid: Annotated[list[str] | None, typer.Option(
        metavar="KEY=V1,V2,...", help="sweep a parameter grid (cartesian product over repeats)")] = None,
    lhs: Annotated[list[str] | None, typer.Option(
        metavar="KEY=LOW:HIGH",
        help="sweep a Latin hypercube (repeat for more keys; integers if both bounds are)")] = None,
    samples: Annotated[int, typer.Option(help="Latin hypercube points (with --lhs)")] = 10,
    posterior: Annotated[int | None, typer.Option(
        metavar="N", help="run each replication on N posterior draws (N x R runs per scenario; the report's "
                          "intervals then include parameter uncertainty)", show_default=False)] = None,
    posterior_file: Annotated[Path | None, typer.Option(
        metavar="PATH", help="CSV of posterior draws, one column per config key (with --posterior; "
                             "default: calibration/posterior.csv)", show_default=False)] = None,
    report: Annotated[bool, typer.Option(help="write DIR/report.html when the batch ends")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Run scenarios x replications (x posterior draws x sweep points) in parallel, streaming each
    finished run to DIR/runs/<run_id>.parquet; then write DIR/report.html."""
    from . import batch as batch_mod
    from . import posterior as posterior_mod
    from .paths import prepare_out

    if out.exists() and not out.is_dir():
        fail(f"--out {out}: exists and is not a directory")
    if posterior_file is not None and posterior is None:
        fail(f"--posterior-file {posterior_file}: allowed with --posterior N only (how many draws to run)")
    overrides = parse_overrides(set_)
    points = batch_mod.sweep_points(batch_mod.parse_grid(grid or []), batch_mod.parse_lhs(lhs or []),
                                    samples=samples, master_seed=seed)
    post = None if posterior is None else posterior_mod.load(posterior_file or posterior_mod.DEFAULT_FILE,
                                                             posterior, seed)
    plan = batch_mod.plan(scenarios, replications, steps=steps, master_seed=seed, overrides=overrides,
                          points=points, common_seeds=common_seeds, posterior=post)
    for warning in plan.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    n_workers = 1 if scheduler else local_workers(workers)
    prepare_out(out)
    try:
        res = batch_mod.run_batch(plan, out, workers=n_workers, scheduler=scheduler, progress=progress)
    except RuntimeError as err:  # a worker process died: finished runs are kept
        fail(str(err), code=1)
    where = f"Dask at {scheduler}" if scheduler else f"{n_workers} local worker{'s' * (n_workers != 1)}"
    damaged = f"{len(res.damaged)} damaged and rerun, " if res.damaged else ""
    typer.echo(f"batch {out}: {res.total} runs ({res.skipped} already done, {damaged}{res.done} finished now, "
               f"{len(res.failed)} failed) in {res.elapsed:.1f}s on {where}")
    if report and res.total - len(res.failed) > 0:
        typer.echo(f"report: {write_report(out)}")
    if res.failed:
        typer.secho(f"error: {len(res.failed)} run(s) failed; tracebacks in {out / batch_mod.FAILED}/; "
                    "rerun the same command to retry them", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)


@app.command()
def report(
    out: Annotated[Path, typer.Argument(help="batch directory (written by `walled-gardens batch`)")],
    html: Annotated[Path | None, typer.Option(help="where to write the HTML (default: DIR/report.html)")] = None,
    band: Annotated[str, typer.Option(help="band around the mean over time: ci (95% CI of the mean) or range "
                                           "(2.5-97.5 percentiles across replications); a batch with --posterior "
                                           "always shows the range over draws x seeds")] = "ci",
    series: Annotated[bool, typer.Option(help="a sweep's page also plots every point's time series")] = False,
    game: Annotated[list[Path] | None, typer.Option(
        metavar="GAME_DIR", help="link a solved game directory's page from the report (repeatable; "
                                 "DIR/game/* are linked without it)", show_default=False)] = None,
) -> None:
    """Write a self-contained offline HTML report comparing the scenarios of a batch (for a sweep
    or an exploration: a page that summarises the points, see sweep_report)."""
    if not out.is_dir():
        fail(f"{out}: not a directory (a batch directory written by `walled-gardens batch`)")
    if html is not None and html.is_dir():
        fail(f"--html {html}: is a directory; give a file name, e.g. {html / 'report.html'}")
    from .game_report import is_solved

    for g in game or []:
        if not is_solved(g):
            fail(f"--game {g}: not a solved game directory (run `walled-gardens game GAME.toml --out {g}`)")
    typer.echo(f"report: {write_report(out, html, band=band, series=series, games=game)}")


def write_report(out: Path, html: Path | None = None, band: str = "ci", series: bool = False,
                 games: list[Path] | None = None) -> Path:
    """The scenario comparison (linking solved games), or for a sweep the summary page (per-point
    series only on request).  Runs with a damaged result file are left out of either page: one
    warning on stderr names them."""
    from .report import build_report
    from .sweep_report import build_sweep_page, is_sweep, skipped_runs

    skipped = skipped_runs(out)
    if is_sweep(out):
        path = build_sweep_page(out, html, series=series, skipped=skipped)
    else:
        path = build_report(out, html, band=band, games=games, skipped=skipped)
    warn_skipped(skipped)
    return path


SKIPPED_SHOWN = 20  # run ids named in the warning; the page lists them all


def warn_skipped(skipped: list[dict]) -> None:
    """One warning line on stderr naming the runs whose damaged result files a report left out."""
    if not skipped:
        return
    ids = [str(f["run_id"]) for f in skipped]
    more = f" and {len(ids) - SKIPPED_SHOWN} more" if len(ids) > SKIPPED_SHOWN else ""
    typer.secho(f"warning: {len(ids)} run(s) skipped, result file damaged or unreadable: "
                f"{', '.join(ids[:SKIPPED_SHOWN])}{more} (listed in the report; rerun the batch to redo them)",
                fg=typer.colors.YELLOW, err=True)


SOLARA_ASSETS_MARKER = "@widgetti/solara-vuetify-app@10.1.1/.vendored"  # see scripts/vendor_solara_assets.sh


@app.command()
def viz(
    host: Annotated[str, typer.Option(help="interface to bind (127.0.0.1: this machine only)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8765,
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


@app.command()
def explore(
    file: Annotated[Path, typer.Argument(metavar="EXPLORE.toml", help="exploration file, e.g. "
                                                                      "scenarios/explore/interop_robustness.toml")],
    out: Annotated[Path, typer.Option(help="exploration directory (rerun the same command to resume)")] = Path(
        "results/explore"),
    route: Annotated[str, typer.Option(help="batch: the project's executor (a parquet file per run, resumable, "
                                            "Dask); workbench: ema_workbench's own evaluators")] = "batch",
    workers: Annotated[int | None, typer.Option(
        help="local worker processes (default: the CPUs available, which is also the most used)",
        show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        envvar="WALLED_GARDENS_SCHEDULER", help="Dask scheduler address (tcp://HOST:PORT); batch route only")] = None,
    report: Annotated[bool, typer.Option(help="write DIR/report.html, the summary page")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Explore uncertainties x policy levers (LHS or Sobol), then scenario discovery: PRIM boxes,
    feature scores, Sobol indices; results in DIR (experiments.parquet, discovery.json)."""
    from . import discovery
    from . import explore as explore_mod
    from . import explore_config
    from .paths import prepare_out

    if route not in explore_mod.ROUTES:
        fail(f"--route {route!r}: allowed: {list(explore_mod.ROUTES)}")
    if scheduler and route != "batch":
        fail("--scheduler: allowed with --route batch only")
    spec = explore_config.load(file)
    n_workers = 1 if scheduler else local_workers(workers)
    prepare_out(out)
    try:
        res = explore_mod.explore(spec, out, route=route, workers=n_workers, scheduler=scheduler, progress=progress)
    except RuntimeError as err:  # a worker process died: finished runs are kept
        fail(str(err), code=1)
    n_exp = len(res.table)
    typer.echo(f"explore {out}: {n_exp} experiments, {res.runs} runs ({res.skipped} already done, "
               f"{len(res.failed)} failed) in {res.elapsed:.1f}s by the {route} route")
    typer.echo(discovery.story(res.discovery))
    if report:
        from .sweep_report import build_sweep_page, skipped_runs

        skipped = skipped_runs(out)
        typer.echo(f"report: {build_sweep_page(out, skipped=skipped)}")
        warn_skipped(skipped)
    if res.failed:
        fail(f"{len(res.failed)} run(s) failed; tracebacks in {out / 'failed'}/; rerun the same command to retry them",
             code=1)


@app.command()
def game(
    game_file: Annotated[Path, typer.Argument(metavar="GAME.toml", help="game file, e.g. scenarios/games/taobao_deals.toml")],
    out: Annotated[Path | None, typer.Option(help="game directory (default: results/game/<name>; rerun to resume)")] = None,
    workers: Annotated[int | None, typer.Option(
        help="local worker processes (default: the CPUs available, which is also the most used)",
        show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        envvar="WALLED_GARDENS_SCHEDULER",
        help="Dask scheduler address (tcp://HOST:PORT) to run on a cluster instead of local processes")] = None,
    replications: Annotated[int | None, typer.Option(help="replications per profile (default: the game file's)")] = None,
    posterior: Annotated[int | None, typer.Option(
        metavar="N", help="run each replication on N calibration posterior draws (default: the game file's "
                          "'posterior' key, else none; 0: none)", show_default=False)] = None,
    posterior_file: Annotated[Path | None, typer.Option(
        metavar="PATH", help="CSV of posterior draws (default: the game file's 'posterior_file', else "
                             "calibration/posterior.csv)", show_default=False)] = None,
    steps: Annotated[int | None, typer.Option(help="ticks per run (default: the game file's, else the base's)")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", metavar="KEY=VALUE", help="override a config key in every run, e.g. size.consumers=5000")] = None,
    only: Annotated[list[str] | None, typer.Option(
        metavar="PLAYER=S1,S2", help="restrict a player to some of its strategies (repeatable)")] = None,
    regime: Annotated[list[str] | None, typer.Option(help="solve only this regime (repeatable)")] = None,
    page: Annotated[bool, typer.Option(help="write DIR/game.html when the game is solved")] = True,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
) -> None:
    """Solve an empirical game: run every strategy profile x regime x replication, then write
    DIR/payoffs.csv, equilibria.csv, outcomes.csv, welfare.csv and game.html."""
    from . import game as game_mod
    from .game_config import load_game
    from .paths import safe_name

    restrict = {}
    for item in only or []:
        name, sep, strategies = item.partition("=")
        if not sep or not name.strip():
            fail(f"--only {item!r}: expected PLAYER=S1,S2, e.g. tencent=approve+closed+own")
        restrict[name.strip()] = [s.strip() for s in strategies.split(",") if s.strip()]
    g = load_game(game_file, parse_overrides(set_), replications=replications, steps=steps, posterior=posterior,
                  posterior_file=posterior_file)
    g = g.restrict(restrict, regime)
    out = out or Path("results/game") / safe_name(g.name)
    n_workers = 1 if scheduler else local_workers(workers)
    where = f"Dask at {scheduler}" if scheduler else f"{n_workers} local worker{'s' * (n_workers != 1)}"
    typer.echo(f"game {g.name}: {' x '.join(map(str, g.shape))} profiles x {len(g.regimes)} regime(s) x "
               f"{g.replications} replications{f' x {g.posterior} posterior draws' if g.posterior else ''} = "
               f"{g.runs()} runs on {where}")
    try:
        result = game_mod.play(g, out, workers=n_workers, scheduler=scheduler, progress=progress)
    except RuntimeError as err:  # failed runs or a dead worker: finished runs are kept
        fail(str(err), code=1)
    for line in game_mod.summary(result, result.solutions):
        typer.echo(line)
    typer.echo(f"tables: {out / game_mod.PAYOFFS}, {out / game_mod.EQUILIBRIA}, {out / game_mod.OUTCOMES}, "
               f"{out / game_mod.WELFARE}")
    if page:
        from .game_report import build_game_page

        typer.echo(f"page: {build_game_page(out)}")


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
