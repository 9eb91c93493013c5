"""The `walled-gardens run` command."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from model.cli import app

from conftest import SCENARIOS

runner = CliRunner()


def test_run_writes_tidy_series_log_and_config(tmp_path):
    res = runner.invoke(app, ["run", str(SCENARIOS / "exclusivity_ban.toml"), "--steps", "12", "--seed", "5",
                              "--out", str(tmp_path), "--set", "size.consumers=1500", "--set", "size.merchants=150"])
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(tmp_path / "exclusivity_ban.parquet")
    assert len(df) == 13 and list(df.columns[:3]) == ["scenario", "seed", "tick"]
    assert (df.seed == 5).all() and df.tick.tolist() == list(range(13))
    assert {"pay_share_value_alipay", "reach_mean", "hhi_value", "consumer_surplus"} <= set(df.columns)
    assert (tmp_path / "exclusivity_ban_regulator.csv").exists()
    assert '"consumers": 1500' in (tmp_path / "exclusivity_ban_config.json").read_text()
    csv = runner.invoke(app, ["run", str(SCENARIOS / "baseline.toml"), "--steps", "3", "--format", "csv",
                              "--out", str(tmp_path), "--set", "size.consumers=500", "--set", "size.merchants=50"])
    assert csv.exit_code == 0 and len(pd.read_csv(tmp_path / "baseline.csv")) == 4


def test_bad_input_is_one_clear_line_and_keeps_earlier_results(tmp_path):
    keep = tmp_path / "keep.parquet"
    keep.write_bytes(b"earlier results")
    cases = [
        (["run", str(tmp_path / "missing.toml")], "missing.toml: file not found"),
        (["run", str(SCENARIOS / "baseline.toml"), "--set", "consumer.g_drect=2"], "did you mean 'g_direct'"),
        (["run", str(SCENARIOS / "baseline.toml"), "--set", "regulator.mode=strict"], "regulator.mode"),
        (["run", str(SCENARIOS / "baseline.toml"), "--format", "xlsx"], "allowed: ['csv', 'parquet']"),
    ]
    for args, expected in cases:
        res = runner.invoke(app, args + ["--out", str(tmp_path)])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and expected in lines[0], res.output
    assert keep.read_bytes() == b"earlier results"
