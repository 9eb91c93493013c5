"""Batch runs (model/batch.py, `walled-gardens batch`): seeding, run ids, streaming to
parquet, resume, failures, determinism across worker counts, Dask, sweeps, CLI errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model import batch
from model.cli import app
from model.config import ConfigError
from model.runner import simulate

REPO = Path(__file__).resolve().parent.parent
SCEN = REPO / "scenarios"
BASE, BAN = SCEN / "baseline.toml", SCEN / "exclusivity_ban.toml"
SMALL = {"size.consumers": 2000, "size.merchants": 200}
SMALL_ARGS = ["--set", "size.consumers=2000", "--set", "size.merchants=200"]
STEPS = 12


def small_plan(replications: int = 2, paths=(BASE, BAN), **kw) -> batch.Plan:
    return batch.plan(list(paths), replications, steps=kw.pop("steps", STEPS), overrides={**SMALL, **kw.pop("overrides", {})},
                      **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[batch.Plan, Path, pd.DataFrame]:
    """2 scenarios x 2 replications with one local worker: the numbers others must match."""
    out = tmp_path_factory.mktemp("ref")
    p = small_plan()
    res = batch.run_batch(p, out, workers=1, progress=False)
    assert res.done == 4 and not res.failed
    return p, out, batch.load_results(out)


def mtimes(out: Path) -> dict[str, int]:
    return {f.name: f.stat().st_mtime_ns for f in (out / "runs").glob("*.parquet")}


# --------------------------------------------------------------------------- seeds, ids
def test_seed_depends_only_on_master_scenario_and_replication():
    s = batch.derive_seed(7, "baseline", 3)
    assert s == batch.derive_seed(7, "baseline", 3)
    assert isinstance(s, int) and 0 <= s < 2**32
    assert len({batch.derive_seed(7, "baseline", r) for r in range(50)}) == 50
    assert batch.derive_seed(7, "baseline", 3) != batch.derive_seed(7, "exclusivity_ban", 3)
    assert batch.derive_seed(7, "baseline", 3) != batch.derive_seed(8, "baseline", 3)
    # the SeedSequence scheme stated in the manifest
    ss = np.random.SeedSequence(7, spawn_key=(__import__("zlib").crc32(b"baseline"), 3))
    assert s == int(ss.generate_state(1)[0])
    # common random numbers: all scenarios share a replication's seed
    assert batch.derive_seed(7, "a", 1, common=True) == batch.derive_seed(7, "b", 1, common=True)


def test_seeds_do_not_depend_on_which_scenarios_or_order():
    one = {(s.scenario, s.replication): s.seed for s in small_plan(3, paths=(BASE,)).specs}
    both = {(s.scenario, s.replication): s.seed for s in small_plan(3, paths=(BAN, BASE)).specs}
    assert all(both[k] == v for k, v in one.items())
    # and run ids likewise
    ids1 = {(s.scenario, s.replication): s.run_id for s in small_plan(3, paths=(BASE,)).specs}
    ids2 = {(s.scenario, s.replication): s.run_id for s in small_plan(3, paths=(BAN, BASE)).specs}
    assert all(ids2[k] == v for k, v in ids1.items())


def test_run_id_is_stable_hash_of_content_overrides_replication_seed_steps(tmp_path):
    p = small_plan(2)
    assert [s.run_id for s in p.specs] == [s.run_id for s in small_plan(2).specs]
    assert len({s.run_id for s in p.specs}) == len(p.specs)
    base_ids = {s.run_id for s in p.specs}
    assert not base_ids & {s.run_id for s in small_plan(2, steps=STEPS + 1).specs}
    assert not base_ids & {s.run_id for s in small_plan(2, overrides={"consumer.g_direct": 2.5}).specs}
    assert not base_ids & {s.run_id for s in small_plan(2, master_seed=1).specs}
    # same content under another file name and path -> same ids; other content -> other ids
    copy = tmp_path / "baseline.toml"
    copy.write_text(BASE.read_text())
    assert {s.run_id for s in small_plan(2, paths=(copy,)).specs} == {s.run_id for s in small_plan(2, paths=(BASE,)).specs}
    copy.write_text(BASE.read_text().replace("detection_rate = 0.3", "detection_rate = 0.31"))
    assert not {s.run_id for s in small_plan(2, paths=(copy,)).specs} & base_ids


def test_plan_is_replication_major_and_deduplicates_files():
    p = small_plan(2, paths=(BASE, BAN, BASE))
    assert [(s.scenario, s.replication) for s in p.specs] == [
        ("baseline", 0), ("exclusivity_ban", 0), ("baseline", 1), ("exclusivity_ban", 1)]


# --------------------------------------------------------------------------- results
def test_results_are_long_format_per_run_files_with_manifest(reference):
    p, out, df = reference
    files = sorted((out / "runs").glob("*.parquet"))
    assert {f.stem for f in files} == {s.run_id for s in p.specs}
    assert list(df.columns[:6]) == ["run_id", "scenario", "group", "replication", "seed", "tick"]
    assert {"pay_share_value_alipay", "reach_mean", "hhi_value", "consumer_surplus"} <= set(df.columns)
    assert len(df) == len(p.specs) * (STEPS + 1)
    assert not df.duplicated(["run_id", "tick"]).any()
    for s in p.specs:
        rows = df[df.run_id == s.run_id]
        assert (rows.seed == s.seed).all() and (rows.replication == s.replication).all()
        assert (rows.scenario == s.scenario).all()
        assert (out / "logs" / f"{s.run_id}.parquet").is_file()
        info = batch.run_info(batch.run_path(out, s.run_id))
        assert info["elapsed"] > 0 and info["cpu"] > 0 and info["pid"] > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["master_seed"] == batch.MASTER_SEED
    assert {(r["run_id"], r["seed"], r["replication"]) for r in manifest["runs"]} == {
        (s.run_id, s.seed, s.replication) for s in p.specs}
    assert "SeedSequence" in manifest["seed_scheme"]
    assert not list((out / "runs").glob(".*tmp")) and not list((out / "failed").iterdir())


def test_batch_numbers_equal_a_direct_simulate(reference):
    p, out, df = reference
    s = p.specs[-1]
    direct, _ = simulate(BAN, steps=STEPS, seed=s.seed, overrides=SMALL)
    got = df[df.run_id == s.run_id].reset_index(drop=True)
    metrics = [c for c in direct.columns if c not in ("scenario", "seed")]
    pd.testing.assert_frame_equal(got[metrics], direct[metrics], check_dtype=False)


def test_identical_numbers_with_1_and_2_workers(reference, tmp_path):
    p, _, df1 = reference
    res = batch.run_batch(p, tmp_path, workers=2, progress=False)
    assert res.done == len(p.specs)
    pd.testing.assert_frame_equal(batch.load_results(tmp_path), df1)


def test_any_executor_works_through_the_interface(reference, tmp_path):
    p, _, df1 = reference
    with ThreadPoolExecutor(2) as ex:
        res = batch.run_batch(p, tmp_path, executor=ex, slots=2, progress=False)
    assert res.done == len(p.specs)
    pd.testing.assert_frame_equal(batch.load_results(tmp_path), df1)


def _listening() -> set[tuple[str, int]]:
    """Addresses this process and its children listen on."""
    import psutil

    me = psutil.Process()
    return {(c.laddr.ip, c.laddr.port) for p in [me, *me.children(recursive=True)]
            for c in p.net_connections("inet") if c.status == psutil.CONN_LISTEN}


def test_dask_local_cluster_gives_the_local_numbers(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    p, _, df1 = reference
    before = _listening()
    # bound to the loopback interface: Dask runs code for anyone who can reach it
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert all(w.startswith("tcp://127.0.0.1:") for w in cluster.scheduler_info["workers"])
        listening = _listening() - before  # what the cluster opened
        assert listening and all(ip == "127.0.0.1" for ip, _ in listening), listening
        res = batch.run_batch(p, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert res.done == len(p.specs) and not res.failed
    pd.testing.assert_frame_equal(batch.load_results(tmp_path), df1)


def test_progress_bar_shows_runs_done_of_total(reference, tmp_path, capsys):
    p, _, _ = reference
    batch.run_batch(p.specs[:2], tmp_path, executor=ThreadPoolExecutor(1), progress=True)
    err = capsys.readouterr().err
    assert "batch" in err and "2/2" in err and "run" in err


# --------------------------------------------------------------------------- resume
def test_resume_redoes_only_runs_without_done_marker(reference, tmp_path):
    p, _, df1 = reference
    batch.run_batch(p, tmp_path, workers=1, progress=False)
    before = mtimes(tmp_path)
    lost = [p.specs[0].run_id, p.specs[3].run_id]
    for rid in lost:
        (tmp_path / "runs" / f"{rid}.parquet").unlink()
    (tmp_path / "runs" / ".junk.parquet.123.tmp").write_bytes(b"half a file")  # a killed write
    time.sleep(0.01)
    res = batch.run_batch(p, tmp_path, workers=1, progress=False)
    assert (res.skipped, res.done, res.failed) == (len(p.specs) - 2, 2, [])
    after = mtimes(tmp_path)
    assert {k: v for k, v in after.items() if k[:-8] not in lost} == {k: v for k, v in before.items()
                                                                     if k[:-8] not in lost}
    assert not list((tmp_path / "runs").glob(".*tmp"))
    pd.testing.assert_frame_equal(batch.load_results(tmp_path), df1)
    # a third call has nothing to do
    res = batch.run_batch(p, tmp_path, workers=1, progress=False)
    assert (res.skipped, res.done) == (len(p.specs), 0)


def _copy_batch(src: Path, dst: Path) -> None:
    for sub in ("runs", "logs", "done"):
        (dst / sub).mkdir(parents=True)
        for f in (src / sub).iterdir():
            (dst / sub / f.name).write_bytes(f.read_bytes())
    (dst / "manifest.json").write_text((src / "manifest.json").read_text())


def _truncate(f: Path) -> None:
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _empty(f: Path) -> None:
    f.write_bytes(b"")


def _flip_a_byte(f: Path) -> None:  # same size, readable footer: only the checksum sees it
    data = bytearray(f.read_bytes())
    data[len(data) // 3] ^= 0xFF
    f.write_bytes(bytes(data))


def _wrong_rows(f: Path) -> None:  # a complete parquet file with a tick missing, its marker updated to match
    df = pd.read_parquet(f).iloc[:-1]
    df.to_parquet(f, index=False)
    rid = f.stem
    marker = f.parents[1] / "done" / f"{rid}.json"
    body = json.loads(marker.read_text())
    body.update(rows=len(df), bytes=f.stat().st_size, sha256=__import__("hashlib").sha256(f.read_bytes()).hexdigest())
    marker.write_text(json.dumps(body))


@pytest.mark.parametrize("damage, why", [(_truncate, "checksum"), (_empty, "checksum"), (_flip_a_byte, "checksum"),
                                         (_wrong_rows, "rows, expected")])
def test_resume_verifies_finished_runs_and_reruns_damaged_ones(reference, tmp_path, damage, why):
    p, ref_out, df1 = reference
    _copy_batch(ref_out, tmp_path)
    hit = p.specs[1].run_id
    damage(tmp_path / "runs" / f"{hit}.parquet")
    before = mtimes(tmp_path)
    if damage is not _wrong_rows:  # (its marker matches the file: only the planned steps tell)
        # the report skips the damaged run and names it
        from model.report import collect

        _, stats, _, failures = collect(tmp_path)
        assert [f["run_id"] for f in failures] == [hit] and why in failures[0]["error"]
        assert sum(gs.done for gs in stats) == len(p.specs) - 1
    # a resumed batch says so and runs it again; the others are untouched
    res = batch.run_batch(p, tmp_path, workers=1, progress=False)
    assert list(res.damaged) == [hit] and why in res.damaged[hit]
    assert (res.skipped, res.done, res.failed) == (len(p.specs) - 1, 1, [])
    after = mtimes(tmp_path)
    assert {k: v for k, v in after.items() if k[:-8] != hit} == {k: v for k, v in before.items() if k[:-8] != hit}
    pd.testing.assert_frame_equal(batch.load_results(tmp_path), df1)
    assert batch.run_batch(p, tmp_path, workers=1, progress=False).damaged == {}


def test_a_run_file_missing_only_its_marker_is_verified_and_kept(reference, tmp_path):
    p, ref_out, df1 = reference
    _copy_batch(ref_out, tmp_path)
    rid = p.specs[0].run_id
    (tmp_path / "done" / f"{rid}.json").unlink()  # killed between the two renames
    res = batch.run_batch(p, tmp_path, workers=1, progress=False)
    assert (res.skipped, res.done, res.damaged) == (len(p.specs), 0, {})
    assert batch.is_done(tmp_path, rid, rows=STEPS + 1)
    # but not if it lacks rows
    (tmp_path / "done" / f"{rid}.json").unlink()
    pd.read_parquet(tmp_path / "runs" / f"{rid}.parquet").iloc[:3].to_parquet(tmp_path / "runs" / f"{rid}.parquet")
    res = batch.run_batch(p, tmp_path, workers=1, progress=False)
    assert res.done == 1 and "rows, expected" in res.damaged[rid]
    pd.testing.assert_frame_equal(batch.load_results(tmp_path), df1)


def test_cli_names_damaged_runs_and_the_report_still_builds(tmp_path):
    out = tmp_path / "b"
    args = [str(BASE), "--replications", "2", "--steps", "3", "--workers", "1", "--out", str(out), "--no-progress",
            *SMALL_ARGS]
    assert run_cli(*args, "--no-report").exit_code == 0
    victim = sorted((out / "runs").glob("*.parquet"))[0]
    _truncate(victim)
    res = CliRunner().invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    assert victim.stem in (out / "report.html").read_text() and "result file skipped" in (out / "report.html").read_text()
    res = run_cli(*args)
    assert res.exit_code == 0, res.output
    assert f"run {victim.stem}: finished result damaged" in res.output
    assert "2 runs (1 already done, 1 damaged and rerun, 1 finished now, 0 failed)" in res.output


def test_killed_batch_resumes_with_nothing_lost_or_duplicated(tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "model.cli", "batch", str(BASE), str(BAN), "--replications", "8",
           "--steps", "20", "--workers", "1", "--out", str(out), "--no-report", "--no-progress", *SMALL_ARGS]
    total = 16
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((out / "runs").glob("*.parquet"))) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its worker processes
        proc.wait()
    done_before = mtimes(out)
    assert 3 <= len(done_before) < total, "the batch should have been killed midway"
    res = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert f"{total} runs ({len(done_before)} already done, {total - len(done_before)} finished now, 0 failed)" \
        in res.stdout
    after = mtimes(out)
    assert len(after) == total
    assert all(after[k] == v for k, v in done_before.items())  # finished runs were not redone
    df = batch.load_results(out)
    assert len(df) == total * 21 and not df.duplicated(["run_id", "tick"]).any()
    assert df.groupby("scenario").replication.nunique().to_dict() == {"baseline": 8, "exclusivity_ban": 8}
    # the resumed results equal a run made in one go
    rid = df.run_id.iloc[-1]
    spec = next(s for s in batch.plan([BASE, BAN], 8, steps=20, overrides=SMALL).specs if s.run_id == rid)
    direct, _ = simulate(spec.source, steps=20, seed=spec.seed, overrides=SMALL)
    np.testing.assert_array_equal(df[df.run_id == rid].hhi_value.to_numpy(), direct.hhi_value.to_numpy())


# --------------------------------------------------------------------------- failures
def test_failing_run_is_recorded_and_the_others_finish(reference, tmp_path):
    p, _, df1 = reference
    bad_cfg = batch.apply_overrides(p.specs[1].config, {"consumer.tau": -1})
    bad = batch.RunSpec(**{**p.specs[1].__dict__, "run_id": "bad0000000000000000", "config": bad_cfg})
    specs = [p.specs[0], bad, *p.specs[2:]]
    res = batch.run_batch(specs, tmp_path, workers=1, progress=False)
    assert res.failed == ["bad0000000000000000"] and res.done == len(specs) - 1
    rec = json.loads((tmp_path / "failed" / "bad0000000000000000.json").read_text())
    assert "ConfigError" in rec["error"] and "consumer.tau" in rec["error"]
    assert "Traceback" in rec["traceback"]
    assert rec["seed"] == bad.seed and rec["replication"] == bad.replication and rec["scenario"] == bad.scenario
    assert not (tmp_path / "runs" / "bad0000000000000000.parquet").exists()
    # rerun: the failed run is retried, finished ones skipped
    res = batch.run_batch(specs, tmp_path, workers=1, progress=False)
    assert (res.skipped, res.done, res.failed) == (len(specs) - 1, 0, ["bad0000000000000000"])
    # once it succeeds its failure record goes away
    good = batch.RunSpec(**{**bad.__dict__, "config": p.specs[1].config})
    res = batch.run_batch([good], tmp_path, workers=1, progress=False)
    assert res.done == 1 and not (tmp_path / "failed" / "bad0000000000000000.json").exists()


def test_cli_reports_failed_runs_with_exit_code_1(tmp_path, monkeypatch):
    real = batch.run_batch

    def flaky(plan, out, **kw):  # the worker side is covered above; here: what the CLI does with it
        res = real(plan, out, **kw)
        res.failed = [plan.specs[0].run_id]
        return res

    monkeypatch.setattr(batch, "run_batch", flaky)
    out = tmp_path / "o"
    res = CliRunner().invoke(app, ["batch", str(BASE), "--replications", "2", "--steps", "3", "--workers", "1",
                                   "--out", str(out), "--no-progress", *SMALL_ARGS])
    assert res.exit_code == 1
    assert "1 run(s) failed" in res.output and "rerun the same command" in res.output
    assert (out / "report.html").is_file()  # the report is still written


# --------------------------------------------------------------------------- CLI
def run_cli(*args: str):
    return CliRunner().invoke(app, ["batch", *args])


def test_cli_batch_writes_runs_and_report(tmp_path):
    out = tmp_path / "b"
    res = run_cli(str(BASE), "--replications", "2", "--steps", "5", "--workers", "2", "--out", str(out),
                  "--no-progress", *SMALL_ARGS)
    assert res.exit_code == 0, res.output
    assert "2 runs (0 already done, 2 finished now, 0 failed)" in res.output
    assert (out / "report.html").is_file() and len(list((out / "runs").glob("*.parquet"))) == 2
    res = run_cli(str(BASE), "--replications", "2", "--steps", "5", "--workers", "2", "--out", str(out),
                  "--no-progress", "--no-report", *SMALL_ARGS)
    assert res.exit_code == 0 and "2 runs (2 already done, 0 finished now, 0 failed)" in res.output


def test_invalid_scenario_is_reported_before_any_run_and_keeps_results(reference, tmp_path):
    p, ref_out, _ = reference
    out = tmp_path / "keep"
    out.mkdir()
    for sub in ("runs", "logs"):
        (out / sub).mkdir()
        for f in (ref_out / sub).glob("*.parquet"):
            (out / sub / f.name).write_bytes(f.read_bytes())
    manifest = (ref_out / "manifest.json").read_text()
    (out / "manifest.json").write_text(manifest)
    before = mtimes(out)
    bad = tmp_path / "bad.toml"
    bad.write_text(f'extends = "{BASE}"\n[consumer]\ng_dirct = 2.0\n')
    res = run_cli(str(BASE), str(bad), "--replications", "2", "--steps", str(STEPS), "--out", str(out),
                  *SMALL_ARGS)
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and str(bad) in lines[0] and "consumer.g_dirct" in lines[0] and "g_direct" in lines[0]
    assert mtimes(out) == before and (out / "manifest.json").read_text() == manifest
    assert not (out / "report.html").exists()
    # a missing file, a non-TOML file, and a bad --set, likewise up front
    for args, needle in [((str(tmp_path / "nope.toml"),), "file not found"),
                         ((str(tmp_path),), "not a scenario file"),
                         ((str(BASE), "--set", "consumer.tau=-1"), "consumer.tau")]:
        res = run_cli(*args, "--out", str(out))
        assert res.exit_code == 2 and needle in res.output, res.output
    assert mtimes(out) == before


def test_duplicate_scenario_names_are_rejected(tmp_path):
    other = tmp_path / "other.toml"
    other.write_text(f'extends = "{BAN}"\nname = "baseline"\n')
    with pytest.raises(ConfigError, match="names must be unique"):
        batch.plan([BASE, other], 1)


@pytest.mark.parametrize("args, needle", [
    (["--replications", "0"], "--replications 0"),
    (["--steps", "0"], "--steps 0"),
    (["--workers", "-1"], "--workers -1"),
    (["--grid", "consumer.g_direct"], "KEY=V1,V2"),
    (["--grid", "consumer.nope=1,2"], "consumer.nope"),
    (["--grid", "consumer.tau=1,-2"], "consumer.tau"),
    (["--lhs", "consumer.g_direct=3:1"], "LOW must be below HIGH"),
    (["--lhs", "consumer.g_direct=a:b"], "KEY=LOW:HIGH"),
    (["--lhs", "consumer.g_direct=1:3", "--samples", "0"], "--samples 0"),
    (["--lhs", "consumer.g_direct=0:inf"], "must be finite"),
    (["--lhs", "consumer.g_direct=1:1e9"], "consumer.g_direct"),
    (["--grid", "consumer.g_direct=1,Infinity"], "finite"),
    (["--grid", "consumer.g_direct=1,2", "--lhs", "consumer.g_direct=1:3"], "--grid and --lhs both sweep"),
    (["--steps", "100000"], "--steps 100000: allowed: 1 to 10000"),
    (["--seed", "-1"], "--seed -1"),
    (["--seed", str(2**70)], "--seed"),
    (["--replications", str(10**9)], "--replications"),
    (["--set", "platforms.amazon.exclusivity=true"], "unknown platform 'amazon'"),
    (["--set", "platforms.tencent.wallet.name=alipay"], "wallet names must be unique"),
    (["--out", "/proc/x"], "--out /proc/x: cannot write there"),
    (["--workers", "0"], "--workers 0"),
])
def test_bad_options_fail_with_one_line(tmp_path, args, needle):
    res = run_cli(str(BASE), "--out", str(tmp_path / "x"), *SMALL_ARGS, *args)
    assert res.exit_code == 2 and needle in res.output, res.output
    assert res.output.startswith("error: ") and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_workers_are_capped_at_the_cpus_available_with_a_warning(tmp_path, monkeypatch):
    import model.cli as cli

    monkeypatch.setattr(cli, "available_cpus", lambda: 2)
    seen = []
    real = batch.run_batch
    monkeypatch.setattr(batch, "run_batch", lambda plan, out, **kw: seen.append(kw["workers"]) or real(plan, out, **kw))
    res = run_cli(str(BASE), "--replications", "1", "--steps", "2", "--workers", "10000", "--out", str(tmp_path / "w"),
                  "--no-report", "--no-progress", *SMALL_ARGS)
    assert res.exit_code == 0, res.output
    assert "warning: --workers 10000: only 2 CPUs available; using 2" in res.output and seen == [2]
    assert "on 2 local workers" in res.output


def test_a_batch_that_does_not_fit_in_memory_is_refused_with_the_figure(tmp_path, monkeypatch):
    from model import resources

    monkeypatch.setattr(resources, "available_bytes", lambda: 3 * 10**9)
    out = tmp_path / "m"
    res = run_cli(str(BASE), "--replications", "4", "--steps", "2", "--workers", "2", "--out", str(out),
                  "--set", "size.consumers=10000000", "--set", "size.social_degree=64")
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "not enough memory" in lines[0] and "10,000,000 consumers" in lines[0], res.output
    assert "GB per run x 2 at once" in lines[0] and "3.0 GB available" in lines[0]
    assert not list((out / "runs").glob("*")) and not (out / "manifest.json").exists()
    # two small runs fit; a plan whose largest point is too big does not
    monkeypatch.setattr(resources, "available_bytes", lambda: 2 * resources.BYTES_PER_PROCESS + 10**8)
    assert run_cli(str(BASE), "--replications", "2", "--steps", "2", "--workers", "2", "--out", str(out),
                   "--no-report", "--no-progress", *SMALL_ARGS).exit_code == 0
    res = run_cli(str(BASE), "--replications", "2", "--steps", "2", "--workers", "2", "--out", str(out),
                  "--no-report", "--no-progress", *SMALL_ARGS, "--grid", "size.consumers=2000,4000000")
    assert res.exit_code == 2 and "4,000,000 consumers" in res.output and "--workers" not in res.output.split(";")[-1][:0]


def test_unreachable_scheduler_fails_cleanly(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "SCHEDULER_TIMEOUT", "1s")
    res = run_cli(str(BASE), "--replications", "1", "--steps", "2", "--out", str(tmp_path / "d"),
                  "--scheduler", "tcp://127.0.0.1:9", *SMALL_ARGS)
    assert res.exit_code == 2 and "--scheduler" in res.output and "cannot connect" in res.output


# --------------------------------------------------------------------------- sweeps
def test_grid_sweep_points_share_seeds_and_are_recorded(tmp_path):
    out = tmp_path / "g"
    res = run_cli(str(BASE), "--replications", "2", "--steps", "4", "--workers", "2", "--out", str(out),
                  "--grid", "consumer.g_direct=1,3", "--grid", "merchant.revision=0.1,0.3", "--no-progress",
                  "--no-report", *SMALL_ARGS)
    assert res.exit_code == 0, res.output
    df = batch.load_results(out)
    assert df.run_id.nunique() == 2 * 4
    assert set(df["param.consumer.g_direct"]) == {1.0, 3.0} and set(df["param.merchant.revision"]) == {0.1, 0.3}
    assert df.groupby("replication").seed.nunique().eq(1).all()  # common random numbers across points
    assert set(df.group) == {f"baseline [g_direct={g}, revision={r}]" for g in (1, 3) for r in (0.1, 0.3)}
    # the point really changed the model
    end = df[df.tick == 4].groupby("param.consumer.g_direct").holds_wechat_pay.mean()
    assert end[1.0] != end[3.0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["points"]) == 4 and len(manifest["runs"]) == 8


def test_lhs_points_are_stratified_seeded_and_bounded():
    lhs = batch.parse_lhs(["consumer.g_direct=0.5:3", "size.social_degree=4:12"])
    pts = batch.sweep_points(lhs=lhs, samples=8, master_seed=5)
    assert pts == batch.sweep_points(lhs=lhs, samples=8, master_seed=5)
    assert pts != batch.sweep_points(lhs=lhs, samples=8, master_seed=6)
    g = np.array([p["consumer.g_direct"] for p in pts])
    assert ((g >= 0.5) & (g < 3)).all()
    assert sorted(np.floor((g - 0.5) / 2.5 * 8).astype(int)) == list(range(8))  # one per stratum
    d = [p["size.social_degree"] for p in pts]
    assert all(isinstance(x, int) and 4 <= x <= 12 for x in d)
    grid = batch.parse_grid(["consumer.tau=1,2"])
    both = batch.sweep_points(grid, lhs, samples=3)
    assert len(both) == 6 and {p["consumer.tau"] for p in both} == {1, 2}
    assert batch.sweep_points() == [{}]


def test_run_id_changes_with_the_model_code(monkeypatch):
    from model import batch

    args = ({"name": "x"}, {}, 0, 1, 10)
    before = batch.run_id_for(*args)
    assert batch.run_id_for(*args) == before
    monkeypatch.setattr(batch, "model_fingerprint", lambda: "other-code")
    assert batch.run_id_for(*args) != before


def test_fingerprint_covers_every_module_a_simulation_imports():
    """The run-id fingerprint's module list is derived from the source; it must hold every package
    module that running a simulation actually imports (bits, draws and network included)."""
    import subprocess
    import sys

    code = ("import sys, model.runner\n"
            "print('\\n'.join(sorted(m.__file__ for n, m in sys.modules.items()"
            " if n.split('.')[0] == 'model' and getattr(m, '__file__', None))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(batch.__file__).parents[1]).stdout.split()
    derived = {str(p) for p in batch.simulation_modules()}
    imported = {str(Path(f).resolve()) for f in loaded if not f.endswith("__init__.py") or Path(f).stat().st_size}
    assert imported <= derived, imported - derived
    assert {"bits.py", "draws.py", "network.py", "runner.py"} <= {Path(p).name for p in derived}
