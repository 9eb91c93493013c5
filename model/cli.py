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


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    app()
