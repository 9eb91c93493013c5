"""The `walled-gardens run` command."""

from __future__ import annotations

import os

import pandas as pd
import pytest
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


# --------------------------------------------------------------------------- issue 15: one line for every error
BASE = SCENARIOS / "baseline.toml"
TINY = ["--set", "size.consumers=500", "--set", "size.merchants=50"]


def error_line(res, code: int = 2) -> str:
    assert res.exit_code == code, (res.exit_code, res.output)
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    return lines[0]


def bad_calls(tmp_path):
    (tmp_path / "afile").write_text("x")
    (tmp_path / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    (tmp_path / "dir.toml").mkdir()
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "typo.toml").write_text('extends = "baselin.toml"\n')
    (tmp_path / "baseline.toml").write_text(BASE.read_text())
    run = ["run", str(BASE)]
    return [
        (run + ["--steps", "-1"], "--steps -1: allowed: 1 to 10000"),
        (run + ["--steps", "100000"], "--steps 100000: allowed: 1 to 10000"),
        (run + ["--steps", "ten"], "Invalid value for '--steps'"),
        (run + ["--seed", "-1"], "--seed -1: allowed: 0 <= seed < 2**63"),
        (run + ["--seed", str(2**70)], "allowed: 0 <= seed < 2**63"),
        (run + ["--stepz", "3"], "No such option: --stepz"),
        (run + ["--out", str(tmp_path / "afile")], "exists and is not a directory"),
        (run + ["--out", "/proc/x"], "--out /proc/x: cannot write there"),
        (run + ["--set", "platforms.amazon.exclusivity=true"], "unknown platform 'amazon'"),
        (run + ["--set", "platforms.alibaba.exclusive=true"], "did you mean 'exclusivity'"),
        (run + ["--set", "platforms.alibaba.marketplaces.taobao.commision=0.1"], "did you mean 'commission'"),
        (run + ["--set", "consumer.tau=Infinity"], "finite"),
        (run + ["--set", "consumer.checkout_scale=0.001"], "consumer.checkout_scale"),
        (run + ["--set", "merchant.throttle_ticks=9223372036854775807"], "merchant.throttle_ticks"),
        (run + ["--set", "nokey"], "expected KEY=VALUE"),
        (["run", str(tmp_path / "latin1.toml")], "not UTF-8"),
        (["run", str(tmp_path / "dir.toml")], "is a directory"),
        (["run", str(tmp_path / "fifo.toml")], "is not a regular file"),
        (["run", str(tmp_path / "typo.toml")], "typo.toml: key 'extends': 'baselin.toml': file not found"),
        (["viz", "--port", "70000"], "Invalid value for '--port'"),
        (["viz", "--port", "0"], "Invalid value for '--port'"),
        (["report", str(tmp_path / "nope")], "not a directory"),
        (["frobnicate"], "No such command"),
    ]


def test_every_bad_call_is_one_line_without_traceback(tmp_path):
    keep = tmp_path / "out" / "baseline.parquet"
    keep.parent.mkdir()
    keep.write_bytes(b"earlier results")
    cases = bad_calls(tmp_path)
    for args, needle in cases:
        res = runner.invoke(app, args if "--out" in args or args[0] != "run" else args + ["--out", str(keep.parent)])
        assert needle in error_line(res), (args, res.output)
    assert keep.read_bytes() == b"earlier results"
    assert len(cases) >= 20


def test_the_same_errors_from_a_real_process(tmp_path):
    """Through the console script's code path (sys.argv, sys.exit), not only the test runner."""
    import subprocess
    import sys

    for args, needle in [(["run", str(BASE), "--seed", "-1"], "--seed -1"), (["viz", "--port", "70000"], "--port")]:
        res = subprocess.run([sys.executable, "-m", "model.cli", *args], capture_output=True, text=True, timeout=120)
        assert res.returncode == 2 and res.stdout == "" and needle in res.stderr, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_a_read_only_out_directory_is_one_line(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert "cannot write there" in error_line(runner.invoke(app, ["run", str(BASE), "--out", str(ro / "x")]))
    finally:
        ro.chmod(0o700)


def test_a_non_finite_metric_is_one_line_naming_the_metric_and_tick(tmp_path, monkeypatch):
    from model import runner as runner_mod
    from model.metrics import check_finite

    def explode(*a, **k):  # what the model raises when a metric comes out NaN
        check_finite({"reach_mean": 0.5, "pay_share_value_alipay": float("nan")}, 7)

    monkeypatch.setattr(runner_mod, "simulate", explode)
    line = error_line(runner.invoke(app, ["run", str(BASE), "--out", str(tmp_path)]), code=1)
    assert str(BASE) in line and "tick 7" in line and "pay_share_value_alipay" in line


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(tmp_path, monkeypatch):
    from model import runner as runner_mod

    def boom(*a, **k):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(runner_mod, "simulate", boom)
    line = error_line(runner.invoke(app, ["run", str(BASE), "--out", str(tmp_path)]), code=1)
    assert "unexpected RuntimeError: something broke" in line and "--debug" in line
    res = runner.invoke(app, ["run", str(BASE), "--out", str(tmp_path), "--debug"])
    assert isinstance(res.exception, RuntimeError)  # re-raised: the traceback is shown


def test_run_refuses_what_does_not_fit_in_memory(tmp_path, monkeypatch):
    from model import resources

    monkeypatch.setattr(resources, "available_bytes", lambda: 4 * 10**9)
    line = error_line(runner.invoke(app, ["run", str(BASE), "--out", str(tmp_path / "o"), "--set",
                                          "size.consumers=10000000", "--set", "size.social_degree=64"]))
    assert "not enough memory" in line and "about 11.1 GB per run" in line and "4.0 GB available" in line
    assert not (tmp_path / "o").exists()


def test_output_names_are_sanitized(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(BASE), "--steps", "2", "--out", str(out), "--set", "name=../../escape", *TINY])
    assert res.exit_code == 0, res.output
    written = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert written == ["_.._escape.parquet", "_.._escape_config.json", "_.._escape_regulator.csv"]
    assert all(p.parent == out for p in tmp_path.rglob("*") if p.is_file())


def test_version_and_short_help():
    from importlib.metadata import version

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"walled-gardens {version('walled-gardens')}"
    for cmd in ([], ["run"], ["batch"], ["report"], ["viz"]):
        res = runner.invoke(app, [*cmd, "-h"])
        assert res.exit_code == 0 and "Usage: walled-gardens" in res.output and "-h, --help" in res.output


def test_help_documents_flags_as_flags_and_workers_without_a_contradictory_default():
    text = " ".join(runner.invoke(app, ["batch", "-h"]).output.split())
    assert "--report / --no-report" in text and "--progress / --no-progress" in text
    assert "--common-seeds common random numbers" in text  # a flag: no value placeholder
    assert "<bool>" not in text
    workers = text[text.index("--workers"):text.index("--out")]
    assert "default: the CPUs available" in workers and "[default:" not in workers
    assert "--debug" in runner.invoke(app, ["-h"]).output and "--version" in runner.invoke(app, ["-h"]).output
