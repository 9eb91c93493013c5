"""The empirical game: game files, equilibria of known matrices, and small games run end to end."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from model import equilibria as eq
from model import game as G
from model.cli import app
from model.config_errors import ConfigError
from model.game_config import load_game
from model.runner import simulate

ROOT = Path(__file__).resolve().parents[1]
GAMES = ROOT / "scenarios" / "games"
TINY = {"size.consumers": 600, "size.merchants": 60}

# a small game on the two-network docking scenario; tests write variants of it
GAME = """\
base = "@BASE@"
replications = 2
steps = 12
[size]
consumers = 600
merchants = 60
[players.big]
platforms = ["big"]
[players.big.strategies]
closed = { platforms.big.marketplaces.bigmart.accepts = ["bigpay"] }
open = { platforms.big.marketplaces.bigmart.accepts = ["bigpay", "smallpay"] }
[players.small.choices.wallet]
closed = { platforms.small.marketplaces.smallmart.accepts = ["smallpay"] }
open = { platforms.small.marketplaces.smallmart.accepts = ["bigpay", "smallpay"] }
[players.small.choices.exclusivity]
no = { platforms.small.exclusivity = false }
yes = { platforms.small.exclusivity = true }
[regimes.none]
regulator.mode = "off"
[regimes.ex_post]
regulator.mode = "ex_post"
regulator.strength = 2.0
"""


def write_game(tmp_path: Path, text: str = GAME, name: str = "g.toml") -> Path:
    path = tmp_path / name
    path.write_text(text.replace("@BASE@", (ROOT / "scenarios" / "docking" / "two_networks.toml").as_posix()))
    return path


# --------------------------------------------------------------------------- the game file
def test_players_strategies_and_profiles(tmp_path):
    g = load_game(write_game(tmp_path))
    assert [p.name for p in g.players] == ["big", "small"]
    assert g.players[1].platforms == ("small",)  # default: the platforms of the player's group
    assert g.players[1].strategy_names() == ["closed+no", "closed+yes", "open+no", "open+yes"]
    assert g.players[1].strategies[3].overrides == {
        "platforms.small.marketplaces.smallmart.accepts": ["bigpay", "smallpay"], "platforms.small.exclusivity": True}
    assert g.shape == (2, 4) and len(g.profiles()) == 8 and g.runs() == 8 * 2 * 2
    assert g.fixed == {"size.consumers": 600, "size.merchants": 60}
    assert g.label((1, 2)) == "big=open; small=open+no"
    assert [r.overrides for r in g.regimes] == [{"regulator.mode": "off"},
                                                {"regulator.mode": "ex_post", "regulator.strength": 2.0}]


def test_taobao_deals_is_the_seed_question():
    g = load_game(GAMES / "taobao_deals.toml")
    assert [p.name for p in g.players] == ["alibaba", "tencent"]
    assert {r.name for r in g.regimes} == {"none", "ex_post", "ex_ante"}
    keys = {p.name: {k for s in p.strategies for k in s.overrides} for p in g.players}
    assert "platforms.alibaba.marketplaces.taobao_deals.launched" in keys["alibaba"]
    assert "platforms.tencent.admits_rival_apps" in keys["tencent"]
    assert "platforms.tencent.admits_rival_links" in keys["tencent"]
    assert g.replications == 2 and g.posterior == 5 and g.samples == 10 and g.fixed == {}  # the base's size
    assert Path(g.posterior_file) == ROOT / "calibration" / "posterior.csv"


BAD = [
    # (change to the game text, words the one-line error must contain)
    (lambda t: t.replace('platforms = ["big"]', 'platforms = ["bgi"]'),
     ["g.toml", "players.big.platforms[0]", "unknown platform 'bgi'", "did you mean 'big'", "allowed"]),
    (lambda t: t.replace("replications = 2", "replicatons = 2"),
     ["g.toml", "replicatons", "unknown key", "did you mean 'replications'"]),
    (lambda t: t.replace("platforms.big.marketplaces.bigmart.accepts = [\"bigpay\"] }",
                         "platforms.big.marketplaces.bigmart.acepts = [\"bigpay\"] }"),
     ["players.big.strategies.closed.platforms.big.marketplaces.bigmart.acepts", "unknown policy key",
      "did you mean 'platforms.big.marketplaces.bigmart.accepts'"]),
    (lambda t: t.replace("platforms.small.exclusivity = true", "platforms.big.exclusivity = true"),
     ["players.small.choices.exclusivity.yes.platforms.big.exclusivity", "unknown policy key of this player",
      "allowed"]),
    (lambda t: t.split("[players.big.strategies]")[0] + "[players.small.choices.wallet]" +
     t.split("[players.small.choices.wallet]")[1],
     ["key 'players.big'", "no strategies", "allowed"]),
    (lambda t: t.replace("[players.small.choices.exclusivity]\nno = { platforms.small.exclusivity = false }\n"
                         "yes = { platforms.small.exclusivity = true }\n", "[players.small.choices.exclusivity]\n"),
     ["players.small.choices.exclusivity", "no options"]),
    (lambda t: t.replace('platforms = ["big"]', 'platforms = ["big", "small"]'),
     ["players.small.platforms[0]", "also a platform of player 'big'"]),
    (lambda t: t.replace("regulator.strength = 2.0", "platforms.small.exclusivity = true"),
     ["regimes.ex_post.platforms.small.exclusivity", "chosen by player 'small'"]),
    (lambda t: t.replace("regulator.strength = 2.0", "regulator.strenght = 2.0"),
     ["g.toml (regimes.ex_post)", "regulator.strenght", "did you mean 'strength'"]),
    (lambda t: t.replace("platforms.small.exclusivity = true", "platforms.small.exclusivity = \"maybe\""),
     ["g.toml (players.small strategy 'closed+yes')", "platforms.small.exclusivity", "boolean"]),
    (lambda t: t.replace("consumers = 600", "consumers = 5"),
     ["g.toml (size)", "size.consumers", "10 <= x"]),
    (lambda t: t.replace('base = "', 'base = "nothere/'),
     ["key 'base'", "scenario file not found"]),
    (lambda t: t.replace("[regimes.none]\nregulator.mode = \"off\"\n[regimes.ex_post]\nregulator.mode = \"ex_post\"\n"
                         "regulator.strength = 2.0\n", "[regimes]\n"),
     ["key 'regimes'", "no regimes"]),
    (lambda t: t.split("[players.small.choices.wallet]")[0] + "[regimes.none]\nregulator.mode = \"off\"\n",
     ["key 'players'", "at least two"]),
]


@pytest.mark.parametrize("change, words", BAD, ids=[w[1] for _, w in BAD])
def test_bad_game_files_get_one_clear_line(tmp_path, change, words):
    path = write_game(tmp_path, change(GAME))
    with pytest.raises(ConfigError) as err:
        load_game(path)
    msg = str(err.value)
    assert "\n" not in msg
    for w in words:
        assert w in msg, (w, msg)


def test_cli_names_unknown_player_strategy_and_regime(tmp_path):
    path = write_game(tmp_path)
    runner = CliRunner()
    for args, words in [(["--only", "bog=open"], ["unknown player 'bog'", "did you mean 'big'"]),
                        (["--only", "big=opne"], ["unknown strategy of player 'big' 'opne'", "did you mean 'open'"]),
                        (["--regime", "ex_pots"], ["unknown regime 'ex_pots'", "did you mean 'ex_post'"]),
                        (["--set", "size.seed=3"], ["size.seed", "set by the game"])]:
        res = runner.invoke(app, ["game", str(path), "--out", str(tmp_path / "o"), *args])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), res.output
        for w in words:
            assert w in lines[0], (w, lines[0])


def test_restrict_keeps_named_strategies(tmp_path):
    g = load_game(write_game(tmp_path)).restrict({"small": ["open+yes", "closed+no"]}, ["ex_post"])
    assert g.players[1].strategy_names() == ["open+yes", "closed+no"] and [r.name for r in g.regimes] == ["ex_post"]
    swept = g.with_regimes({"f1": {"regulator.mode": "ex_post", "regulator.fine_rate": 0.01}})
    assert [r.name for r in swept.regimes] == ["f1"]
    with pytest.raises(ConfigError, match="regulator.fine_rate"):
        g.with_regimes({"bad": {"regulator.fine_rate": 0.5}})


# --------------------------------------------------------------------------- equilibria of known games
def noisy(matrix: np.ndarray, reps: int = 8, sd: float = 0.01, seed: int = 0) -> np.ndarray:
    """[R, *shape, N] replications of a known payoff array with independent noise."""
    rng = np.random.default_rng(seed)
    return matrix[None] + rng.normal(0, sd, (reps, *matrix.shape))


def brute_regret(means: np.ndarray) -> np.ndarray:
    shape, N = means.shape[:-1], means.shape[-1]
    out = np.zeros(shape)
    for prof in itertools.product(*map(range, shape)):
        best = 0.0
        for i in range(N):
            for a in range(shape[i]):
                alt = list(prof)
                alt[i] = a
                best = max(best, means[tuple(alt) + (i,)] - means[prof + (i,)])
        out[prof] = best
    return out


def test_regret_equals_brute_force_for_random_games():
    rng = np.random.default_rng(3)
    for shape in [(2, 2), (3, 4), (2, 3, 2)]:
        means = rng.normal(size=(*shape, len(shape)))
        assert np.allclose(eq.regret(means[None])[0], brute_regret(means))


def test_prisoners_dilemma_has_one_strict_equilibrium():
    # strategies: 0 cooperate, 1 defect
    pd_ = np.array([[[3, 3], [0, 5]], [[5, 0], [1, 1]]], float)
    d = eq.analyse(noisy(pd_), np.random.default_rng(1), draws=300)
    assert d.nash.tolist() == [[False, False], [False, True]]
    assert d.status[1, 1] == "strict" and d.p_nash[1, 1] == 1.0 and not d.ties
    assert d.status[0, 0] == "not nash" and d.regret[0, 0] == pytest.approx(2.0, abs=0.05)
    assert eq.mixed_equilibria(pd_[..., 0], pd_[..., 1]) == []
    assert eq.undominated(pd_[..., 0], pd_[..., 1]) == ([1], [1])


def test_differences_within_noise_are_flagged_not_read():
    # player 0 is nearly indifferent (0.001 apart, noise sd 0.05): neither profile is a preference
    g = np.array([[[1.0, 1.0], [1.0, 0.0]], [[1.001, 1.0], [1.001, 0.0]]])
    d = eq.analyse(noisy(g, reps=6, sd=0.05), np.random.default_rng(2), draws=300)
    assert d.status[0, 0] == "within noise" and d.status[1, 0] == "within noise"
    assert d.status[0, 1] == "not nash" and d.status[1, 1] == "not nash"
    assert 0.0 < d.p_nash[0, 0] < 1.0


def test_exact_ties_are_weak_equilibria_not_noise():
    g = np.array([[[1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0]]])
    U = np.repeat(g[None], 4, axis=0)
    d = eq.analyse(U, np.random.default_rng(0), draws=100)
    assert d.status[0, 0] == "weak" and d.status[0, 1] == "weak" and d.status[1, 0] == "not nash"
    assert d.ties


def test_one_replication_is_never_beyond_noise():
    pd_ = np.array([[[3, 3], [0, 5]], [[5, 0], [1, 1]]], float)
    d = eq.analyse(pd_[None], np.random.default_rng(0), draws=50)
    assert d.nash[1, 1] and d.status[1, 1] == "within noise" and np.isnan(d.gain_lo[1, 1])


def test_mixed_equilibria_with_nashpy():
    pennies = np.array([[1, -1], [-1, 1]], float)
    (x, y), = eq.mixed_equilibria(pennies, -pennies)
    assert np.allclose(x, 0.5) and np.allclose(y, 0.5)
    # battle of the sexes: two pure equilibria and the mixed one (2/3, 1/3), (1/3, 2/3)
    A, B = np.array([[2, 0], [0, 1]], float), np.array([[1, 0], [0, 2]], float)
    (x, y), = eq.mixed_equilibria(A, B)
    assert np.allclose(x, [2 / 3, 1 / 3]) and np.allclose(y, [1 / 3, 2 / 3])
    means = np.stack([A, B], axis=-1)[None]
    assert eq.mixed_regret(means, x, y)[0] == pytest.approx(0.0, abs=1e-12)
    assert eq.mixed_regret(means, np.array([1.0, 0]), np.array([0, 1.0]))[0] == pytest.approx(1.0)


def test_three_players_pure_equilibria():
    # coordination of three: everyone gets 1 if all match, else 0
    g = np.zeros((2, 2, 2, 3))
    g[0, 0, 0], g[1, 1, 1] = 1.0, 1.0
    d = eq.analyse(noisy(g, sd=0.001), np.random.default_rng(0), draws=100)
    assert set(zip(*np.nonzero(d.nash))) == {(0, 0, 0), (1, 1, 1)}


def test_discount_weights():
    w = G.discount_weights(24, 0.1)
    assert w[0] == 0 and w.sum() == pytest.approx(1.0)
    assert w[13] / w[1] == pytest.approx(1 / 1.1)  # twelve months later: one year's discount
    assert np.allclose(G.discount_weights(5, 0.0)[1:], 0.2)


# --------------------------------------------------------------------------- small games end to end
@pytest.fixture(scope="module")
def played(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("game")
    path = write_game(tmp)
    g = load_game(path).restrict({"small": ["closed+no", "open+yes"]})
    out = tmp / "out"
    return g, out, G.play(g, out, workers=2, progress=False)


def test_tables_are_written_with_their_columns(played):
    g, out, result = played
    pay = pd.read_csv(out / G.PAYOFFS)
    assert {"regime", "profile", "player", "mean", "lo", "hi", "strategy.big", "strategy.small"} <= set(pay.columns)
    assert len(pay) == 2 * 4 * 2
    eqs = pd.read_csv(out / G.EQUILIBRIA)
    assert {"regime", "profile", "nash", "regret", "status", "p_nash", "welfare_gap"} <= set(eqs.columns)
    assert len(eqs[eqs.kind == "pure"]) == 2 * 4 and (eqs.regret >= 0).all()
    assert set(eqs.status) <= set(eq.STATUS) | {"mixed"}
    welfare = pd.read_csv(out / G.WELFARE)
    for regime in ("none", "ex_post"):
        w = welfare[welfare.regime == regime]
        assert (w.role == "welfare maximum").sum() == 1
        assert {"consumer_surplus", "reach_mean", "pay_share_value_bigpay", "welfare_gap_lo"} <= set(w.columns)
        assert (w.welfare_gap >= -1e-12).all()
    outcomes = pd.read_csv(out / G.OUTCOMES)
    assert {"welfare", "consumer_surplus", "merchant_profit", "platform_revenue"} <= set(outcomes.metric)
    body = json.loads((out / G.GAME_JSON).read_text())
    assert "welfare" in body["definitions"] and len(body["cells"]["run_id"]) == g.runs()


def test_profiles_of_a_replication_share_a_seed(played):
    g, out, _ = played
    runs = G.load_result(out)
    cells = pd.DataFrame(json.loads((out / G.GAME_JSON).read_text())["cells"])
    seeds = pd.DataFrame(json.loads((out / "manifest.json").read_text())["runs"]).set_index("run_id").seed
    cells["seed"] = seeds.loc[cells.run_id].to_numpy()
    per_rep = cells.groupby("replication").seed.nunique()
    assert (per_rep == 1).all() and cells.seed.nunique() == g.replications
    assert runs.payoffs.shape == (2, 2, 2, 2, 2)


def test_payoff_is_the_discounted_revenue_of_a_direct_run(played):
    """The pipeline's number equals one computed by hand from the same run outside it."""
    g, out, result = played
    cells = pd.DataFrame(json.loads((out / G.GAME_JSON).read_text())["cells"])
    manifest = pd.DataFrame(json.loads((out / "manifest.json").read_text())["runs"]).set_index("run_id")
    c = cells[(cells.regime == 1) & (cells.profile == 3) & (cells.replication == 1)].iloc[0]
    prof = g.profiles()[3]
    overrides = {**g.fixed, **g.regimes[1].overrides, **g.profile_overrides(prof)}
    df, _ = simulate(g.base, steps=g.steps, seed=int(manifest.seed[c.run_id]), overrides=overrides)
    w = G.discount_weights(g.steps, g.discount_rate)
    want = float((w * (df.revenue_small - df.expected_fine_small)).sum())
    assert result.payoffs[(1, 1, *prof, 1)] == pytest.approx(want, rel=1e-12)


def test_rerun_resumes_and_gives_the_same_tables(played):
    g, out, result = played
    before = pd.read_csv(out / G.EQUILIBRIA)
    again = G.play(g, out, workers=1, progress=False)
    assert np.array_equal(again.payoffs, result.payoffs)
    pd.testing.assert_frame_equal(pd.read_csv(out / G.EQUILIBRIA), before)


def test_a_dask_cluster_gives_the_local_payoffs(played, tmp_path):
    distributed = pytest.importorskip("distributed")
    g, _, result = played
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, silence_logs=40) as cluster:
        res = G.play(g, tmp_path, scheduler=cluster.scheduler_address, progress=False)
    assert np.array_equal(res.payoffs, result.payoffs) and np.array_equal(res.outcomes, result.outcomes)


def test_a_failed_run_stops_the_game_before_solving(tmp_path, monkeypatch):
    from model import batch

    def broken(spec):
        return {"run_id": spec.run_id, "ok": False, "error": "RuntimeError: boom", "traceback": ""}

    monkeypatch.setattr(batch, "execute", broken)
    from concurrent.futures import ThreadPoolExecutor

    g = load_game(write_game(tmp_path)).restrict({"small": ["closed+no"]}, ["none"])
    with ThreadPoolExecutor(1) as ex, pytest.raises(G.GameIncomplete, match="runs failed"):
        G.play(g, tmp_path / "o", progress=False, executor=ex)


def test_paid_fines_change_only_the_fine_term(played, tmp_path):
    g, out, result = played
    from dataclasses import replace

    paid = replace(g, fines="paid")
    res = G.play(paid, tmp_path / "paid", workers=2, progress=False)
    assert np.allclose(res.payoffs[0], result.payoffs[0])  # no regulator: no fine either way
    assert np.array_equal(res.outcomes, result.outcomes)


def test_questions_of_a_result(played):
    g, _, result = played
    m = G.payoff_matrix(result, "none", "small")
    assert m.shape == (2, 2) and list(m.index) == ["closed", "open"]
    c = G.contrast(result, "none", "small", ["open+yes"], ["closed+no"], {"big": "closed"})
    assert c["best_response"] in ("first", "second", "within noise") and c["lo"] <= c["diff"] <= c["hi"]
    with pytest.raises(ConfigError, match="unknown player"):
        G.contrast(result, "none", "smal", ["open+yes"], ["closed+no"], {"big": "closed"})


def test_cli_game_writes_tables_and_an_offline_page(tmp_path):
    path = write_game(tmp_path)
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["game", str(path), "--out", str(out), "--workers", "1", "--no-progress",
                                   "--only", "small=closed+no,open+no", "--regime", "none", "--replications", "2"])
    assert res.exit_code == 0, res.output
    assert "regime none:" in res.output and "welfare maximum" in res.output
    page = (out / "game.html").read_text()
    assert len(page) > 1_000_000 and "plotly.js" in page  # plotly.js embedded, once
    assert not re.search(r"<script[^>]+src=", page), "no external scripts"
    assert not re.search(r"<link[^>]+href=[\"']https?:", page)
    assert "Regime <code>none</code>" in page and "cost of walled gardens" in page


THREE = """\
base = "@BASE@"
replications = 2
steps = 6
[size]
consumers = 600
merchants = 60
[players.alibaba.strategies]
excl = { platforms.alibaba.exclusivity = true }
open = { platforms.alibaba.exclusivity = false }
[players.tencent.strategies]
closed = { platforms.tencent.admits_rival_links = false }
links = { platforms.tencent.admits_rival_links = true }
[players.banks.strategies]
fee4 = { platforms.unionpay.wallet.fee = 0.004 }
fee2 = { platforms.unionpay.wallet.fee = 0.002 }
[regimes.none]
regulator.mode = "off"
"""


def test_three_player_game_end_to_end(tmp_path):
    from model.game_report import build_game_page

    path = tmp_path / "three.toml"
    path.write_text(THREE.replace("@BASE@", (ROOT / "scenarios" / "baseline.toml").as_posix()))
    g = load_game(path)
    assert g.players[1].platforms == ("tencent", "jd", "pinduoduo", "meituan")  # the group named tencent
    result = G.play(g, tmp_path / "o", workers=2, progress=False)
    (sol,) = result.solutions
    assert sol.mixed is None and "two-player" in sol.note
    mean = result.payoffs[0].mean(axis=0)
    assert np.array_equal(sol.deviations.nash, brute_regret(mean) <= eq.TIE * np.abs(result.payoffs).max())
    eqs = pd.read_csv(tmp_path / "o" / G.EQUILIBRIA)
    assert len(eqs) == 8 and {"strategy.alibaba", "strategy.tencent", "strategy.banks"} <= set(eqs.columns)
    page = build_game_page(tmp_path / "o").read_text()
    assert "Regret of every profile" in page


# --------------------------------------------------------------------------- posterior draws
POSTERIOR_CSV = """\
consumer.market_noise,consumer.wallet_revision
0.4,0.05
1.6,0.4
0.9,0.2
"""


def test_posterior_draws_are_paired_samples_of_every_profile(tmp_path):
    """With ``posterior = 2`` each replication runs on two draws: the samples are (draw, replication)
    pairs, every profile of a sample shares its seed and parameters, and a cell's payoff is the
    discounted revenue of a direct run on that draw."""
    (tmp_path / "post.csv").write_text(POSTERIOR_CSV)
    text = GAME.replace("replications = 2", 'replications = 1\nposterior = 2\nposterior_file = "post.csv"')
    g = load_game(write_game(tmp_path, text)).restrict({"small": ["closed+no", "open+yes"]}, ["none"])
    assert g.samples == 2 and g.runs() == 2 * 2 * 1 * 2
    out = tmp_path / "out"
    result = G.play(g, out, workers=1, progress=False)
    assert result.payoffs.shape == (1, 2, 2, 2, 2)
    body = json.loads((out / G.GAME_JSON).read_text())
    assert body["posterior"]["draws"] == 2 and "2 posterior draws" in body["definitions"]["interval"]
    cells = pd.DataFrame(body["cells"])
    runs = pd.DataFrame(json.loads((out / "manifest.json").read_text())["runs"]).set_index("run_id")
    cells["seed"] = runs.seed.loc[cells.run_id].to_numpy()
    assert (cells.groupby("sample").seed.nunique() == 1).all() and cells.seed.nunique() == 2
    draws = pd.read_csv(tmp_path / "post.csv")
    c = cells[(cells["sample"] == 1) & (cells.profile == 3)].iloc[0]
    row = draws.iloc[body["posterior"]["rows"][int(c.draw)]].to_dict()
    overrides = {**row, **g.fixed, **g.regimes[0].overrides, **g.profile_overrides(g.profiles()[3])}
    df, _ = simulate(g.base, steps=g.steps, seed=int(runs.seed[c.run_id]), overrides=overrides)
    w = G.discount_weights(g.steps, g.discount_rate)
    want = float((w * (df.revenue_small - df.expected_fine_small)).sum())
    assert result.payoffs[(0, 1, *g.profiles()[3], 1)] == pytest.approx(want, rel=1e-12)
    # the two draws differ, so the samples do too (parameter uncertainty reaches the intervals)
    assert result.payoffs[0, 0, ..., 1].tolist() != result.payoffs[0, 1, ..., 1].tolist()


def test_posterior_file_without_draws_is_one_line(tmp_path):
    text = GAME.replace("replications = 2", 'replications = 2\nposterior_file = "post.csv"')
    with pytest.raises(ConfigError, match="posterior_file.*allowed with a number of posterior draws"):
        load_game(write_game(tmp_path, text))
    text = GAME.replace("replications = 2", 'replications = 2\nposterior = 2\nposterior_file = "nope.csv"')
    with pytest.raises(ConfigError, match="nope.csv.*file not found"):
        G.plan_game(load_game(write_game(tmp_path, text)))


def test_main_report_links_a_solved_game(played, tmp_path):
    """A game under DIR/game/ (where `walled-gardens game` writes by default) is linked from the batch
    report, with its equilibria per regime; `--game` links one elsewhere; a wrong --game is one line."""
    import shutil

    from model import batch, report

    g, out, result = played
    runs = tmp_path / "batch"
    batch.run_batch(batch.plan([g.base], 1, steps=2, overrides=dict(g.fixed)), runs, workers=1, progress=False)
    shutil.copytree(out, runs / "game" / "small_game")
    text = report.build_report(runs).read_text()
    assert "The platforms' policy game" in text and "href='game/small_game/game.html'" in text
    assert (runs / "game" / "small_game" / "game.html").is_file()
    eqs = pd.read_csv(out / G.EQUILIBRIA)
    for regime in set(eqs.regime):
        assert f"regime <code>{regime}</code>" in text
    nash = eqs[eqs.nash & (eqs.kind == "pure")].profile
    assert all(p in text for p in nash)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(out, elsewhere)
    shutil.rmtree(runs / "game")
    res = CliRunner().invoke(app, ["report", str(runs), "--game", str(elsewhere)])
    assert res.exit_code == 0, res.output
    assert "href='../elsewhere/game.html'" in (runs / "report.html").read_text()
    res = CliRunner().invoke(app, ["report", str(runs), "--game", str(tmp_path)])
    assert res.exit_code != 0 and "not a solved game directory" in res.output and "Traceback" not in res.output
