"""The platforms' policy game as an empirical game (empirical game-theoretic analysis).

Every (regime, strategy profile, replication[, posterior draw]) of a game file
(:mod:`model.game_config`) is one run of the batch executor (:mod:`model.batch`): resumable by
run id, parallel, on Dask with a scheduler.  All runs of a replication (and draw) share its seed
(common random numbers) and its parameters, so payoff differences between profiles, the ones
best responses turn on, are paired.  With ``posterior = N`` each replication runs on N draws of
the calibration posterior (:mod:`model.posterior`): the game's samples are the N x R
(draw, replication) pairs, and every interval covers parameter and seed uncertainty together.

Payoff of a player: the sum over its platforms of revenue net of fines, per consumer per
month, as a discounted average over ticks 1..T (tick 0 is the state before anyone moves):

    u = sum_t d^t (revenue_t - fine_t) / sum_t d^t,   d = (1 + discount_rate)^(-1/12),

with fine_t this tick's expected fine (P(investigation) x fine while violating) or, with
``fines = "paid"``, the fines paid this tick.  Outcomes (consumer surplus, reach, payment
shares, welfare) are discounted averages with the same weights.  Total welfare is consumer
surplus + merchant profit + platform revenue (gross of fines: a transfer to the state), all
per consumer per month.

``DIR`` (the batch directory of the game's runs) gains ``game.json`` (the resolved game and
which run is which), ``payoffs.csv``, ``equilibria.csv``, ``outcomes.csv`` and ``welfare.csv``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import batch
from . import config as config_mod
from . import equilibria as eq
from .config_errors import ConfigError
from .game_config import Game, Player, Regime, Strategy

GAME_JSON = "game.json"
PAYOFFS, EQUILIBRIA, OUTCOMES, WELFARE = "payoffs.csv", "equilibria.csv", "outcomes.csv", "welfare.csv"
BOOTSTRAP_KEY = 0x45475441  # spawn key of the bootstrap's random stream ("EGTA")
BOOTSTRAP_DRAWS = 1000
WELFARE_PARTS = ("consumer_surplus", "merchant_profit", "platform_revenue")
OUTCOME_METRICS = ("consumer_surplus", "merchant_profit", "platform_revenue", "reach_mean", "gmv",
                   "merchant_multihoming", "consumer_wallet_multihoming", "fines_total")
DEFINITIONS = {
    "payoff": "the player's platforms' revenue net of {fines} fines, per consumer per month, discounted average "
              "over ticks 1..T with weights d^t, d = (1 + {rate})^(-1/12) (annual discount rate {rate})",
    "welfare": "consumer surplus (logit inclusive value / price sensitivity) + merchant profit + platform revenue "
               "(gross of fines, a transfer to the state), per consumer per month, same discounting",
    "interval": "95% Student-t interval across the {samples}; differences paired by sample "
                "(common random numbers{paired}); regret interval and p_nash from a bootstrap of the samples",
}


# --------------------------------------------------------------------------- planning and running
class GameIncomplete(RuntimeError):
    """Some runs of the game failed; the finished ones are kept and a rerun resumes."""


def game_posterior(game: Game):
    """The posterior draws the game runs on (:class:`model.posterior.Posterior`), or None."""
    if not game.posterior:
        return None
    from . import posterior as posterior_mod

    return posterior_mod.load(game.posterior_file, game.posterior, game.seed)


def plan_game(game: Game) -> tuple[batch.Plan, pd.DataFrame]:
    """The batch plan of every (regime, profile, replication[, draw]) and a table of which run is which
    (run_id, regime, profile index, replication, draw, sample = draw x R + replication)."""
    profiles = game.profiles()
    points = [{**r.overrides, **game.profile_overrides(prof)} for r in game.regimes for prof in profiles]
    p = batch.plan([game.base], game.replications, steps=game.steps, master_seed=game.seed,
                   overrides=game.fixed, points=points, common_seeds=True, posterior=game_posterior(game))
    cells = pd.DataFrame([{"run_id": s.run_id, "regime": s.point // len(profiles),
                           "profile": s.point % len(profiles), "replication": s.replication,
                           "draw": s.draw or 0, "sample": (s.draw or 0) * game.replications + s.replication}
                          for s in p.specs])
    return p, cells


def play(game: Game, out: Path | str, workers: int = 1, scheduler: str | None = None, progress: bool = True,
         executor=None) -> GameResult:
    """Run (or resume) every run of ``game`` into ``out``, solve it and write the tables."""
    from .paths import prepare_out

    out = prepare_out(Path(out))
    p, cells = plan_game(game)
    write_game(out, game, cells, p.posterior)
    res = batch.run_batch(p, out, workers=workers, scheduler=scheduler, progress=progress, executor=executor)
    if res.failed:
        raise GameIncomplete(f"{out}: {len(res.failed)} of {res.total} runs failed (tracebacks in "
                          f"{out / batch.FAILED}/); rerun the same command to retry them")
    result = load_result(out)
    write_tables(result, out)
    return result


def write_game(out: Path, game: Game, cells: pd.DataFrame, posterior=None) -> Path:
    """``DIR/game.json``: the resolved game, what its numbers mean, which run is which cell and
    which posterior draws were run."""
    base = config_mod.read_raw(game.base)
    cfgs = [config_mod.validate(config_mod.with_overrides(base, {**game.fixed, **r.overrides})) for r in game.regimes]
    body = {"format": 1, "game": game_to_dict(game), "model": batch.model_fingerprint(),
            "definitions": definitions(game), "wallets": cfgs[0].wallet_names(),
            "budget_mean": [c.consumer.budget_mean for c in cfgs], "cells": cells.to_dict(orient="list"),
            **({"posterior": posterior.manifest()} if posterior is not None else {})}
    path = Path(out) / GAME_JSON
    path.write_text(json.dumps(body, indent=1, default=str))
    return path


def definitions(game: Game) -> dict[str, str]:
    samples = (f"{game.samples} samples ({game.replications} replications x {game.posterior} posterior draws)"
               if game.posterior else f"{game.replications} replications")
    paired = "; a draw's parameters are shared by every profile" if game.posterior else ""
    return {k: v.format(fines=game.fines, rate=game.discount_rate, samples=samples, paired=paired)
            for k, v in DEFINITIONS.items()}


def game_to_dict(game: Game) -> dict:
    d = asdict(game)
    d["base"] = str(game.base)
    return d


def game_from_dict(d: dict) -> Game:
    players = tuple(Player(p["name"], tuple(p["platforms"]), tuple(Strategy(**s) for s in p["strategies"]))
                    for p in d["players"])
    regimes = tuple(Regime(**r) for r in d["regimes"])
    return Game(**{**d, "base": Path(d["base"]), "players": players, "regimes": regimes,
                   "notes": tuple(d.get("notes", ()))})


# --------------------------------------------------------------------------- reading runs back
@dataclass
class GameResult:
    """Per-replication payoffs and outcomes of every (regime, profile)."""

    game: Game
    payoffs: np.ndarray  # [regimes, S, n_1, ..., n_N, N], S = game.samples
    metrics: list[str]
    outcomes: np.ndarray  # [regimes, S, n_1, ..., n_N, metrics]
    solutions: list[Solution] | None = None  # set by :func:`write_tables`

    def regime_index(self, name: str) -> int:
        return [r.name for r in self.game.regimes].index(self.game.regime(name).name)


def discount_weights(steps: int, rate: float) -> np.ndarray:
    """[steps + 1] weights of ticks 0..T: 0 for tick 0, then d^t normalised to sum 1."""
    d = (1.0 + rate) ** (-1.0 / 12.0)
    w = d ** np.arange(steps + 1, dtype=float)
    w[0] = 0.0
    return w / w.sum()


def load_result(out: Path | str) -> GameResult:
    """Read a game directory written by :func:`play` into arrays (every run must be finished)."""
    out = Path(out)
    path = out / GAME_JSON
    if not path.is_file():
        raise ConfigError(f"{out}: no {GAME_JSON}: not a game directory "
                          f"(run `walled-gardens game GAME.toml --out {out}`)")
    body = json.loads(path.read_text())
    game = game_from_dict(body["game"])
    cells = pd.DataFrame(body["cells"])
    fine_col = "expected_fine" if game.fines == "expected" else "fines"
    plats = [q for p in game.players for q in p.platforms]
    money = [f"revenue_{q}" for q in plats] + [f"{fine_col}_{q}" for q in plats]
    metrics = [*OUTCOME_METRICS, *(f"pay_share_value_{w}" for w in body["wallets"])]
    ids = sorted(set(cells.run_id))
    missing = [r for r in ids if batch.check_run(out, r) not in (None, batch.NO_MARKER)]
    if missing:
        raise ConfigError(f"{out}: {len(missing)} of {len(ids)} runs not finished or damaged; rerun "
                          "`walled-gardens game` with the same file and --out to complete them")
    df = batch.load_results(out, columns=["run_id", "tick", *money, *metrics], run_ids=ids)
    absent = sorted(set(money + metrics) - set(df.columns))
    if absent:
        raise ConfigError(f"{out}: runs lack the metrics {absent}")
    if game.fines == "paid":  # cumulative fines -> fines paid this tick
        paid = [f"fines_{q}" for q in plats]
        df[paid] = df.groupby("run_id")[paid].diff().fillna(0.0)
    w = discount_weights(game.steps, game.discount_rate)
    per_run = df[money + metrics].mul(w[df.tick.to_numpy()], axis=0).groupby(df.run_id).sum()
    budget = body["budget_mean"]
    G, R, shape, N = len(game.regimes), game.samples, game.shape, len(game.players)
    if "sample" not in cells:  # written before posterior draws: the sample is the replication
        cells["sample"] = cells["replication"]
    U = np.zeros((G, R, *shape, N))
    M = np.zeros((G, R, *shape, len(metrics)))
    profiles = game.profiles()
    for c in cells.itertuples():
        row = per_run.loc[c.run_id]
        idx = (c.regime, c.sample, *profiles[c.profile])
        for i, p in enumerate(game.players):
            U[idx + (i,)] = sum(row[f"revenue_{q}"] - row[f"{fine_col}_{q}"] for q in p.platforms)
        M[idx] = row[metrics].to_numpy()
    mp = metrics.index("merchant_profit")
    M[..., mp] *= np.array(budget).reshape((G,) + (1,) * (M.ndim - 2))  # per merchant -> per consumer
    metrics = [*metrics, "welfare"]
    W = sum(M[..., metrics.index(k)] for k in WELFARE_PARTS)
    return GameResult(game, U, metrics, np.concatenate([M, W[..., None]], axis=-1))


# --------------------------------------------------------------------------- solving
@dataclass
class Solution:
    """One regime's equilibria: the evidence on every pure profile and the mixed equilibria."""

    regime: str
    deviations: eq.Deviations
    mixed: list[tuple[np.ndarray, ...]] | None  # None: not computed (more than two players, or too large)
    mixed_regret: list[tuple[float, float, float]]  # (regret, lo, hi) of each mixed equilibrium
    welfare_max: tuple[int, ...]  # the pure profile with the highest mean welfare
    note: str = ""


def solve(result: GameResult) -> list[Solution]:
    game = result.game
    out = []
    for g, regime in enumerate(game.regimes):
        rng = np.random.default_rng(np.random.SeedSequence(game.seed, spawn_key=(BOOTSTRAP_KEY, g)))
        U = result.payoffs[g]
        dev = eq.analyse(U, rng, BOOTSTRAP_DRAWS)
        mixed, regrets, note = None, [], ""
        if len(game.players) == 2:
            mean = U.mean(axis=0)
            mixed = eq.mixed_equilibria(mean[..., 0], mean[..., 1])
            if mixed is None:
                note = "mixed equilibria not computed: too many undominated strategies for support enumeration"
            else:
                if dev.ties:
                    note = ("degenerate game (some deviations change nothing): mixed equilibria may form continua, "
                            "which support enumeration misses; only isolated mixed equilibria are listed")
                boot = eq.bootstrap_means(U, BOOTSTRAP_DRAWS, rng)
                for x, y in mixed:
                    r0 = float(eq.mixed_regret(mean[None], x, y)[0])
                    lo, hi = np.percentile(eq.mixed_regret(boot, x, y), [2.5, 97.5])
                    regrets.append((max(r0, 0.0), float(lo), float(hi)))
        else:
            note = "mixed equilibria are computed for two-player games only"
        welfare = result.outcomes[g][..., result.metrics.index("welfare")].mean(axis=0)
        best = tuple(int(i) for i in np.unravel_index(int(np.argmax(welfare)), welfare.shape))
        out.append(Solution(regime.name, dev, mixed, regrets, best, note))
    return out


def _mix_label(player: Player, probs: np.ndarray) -> str:
    return " ".join(f"{s.name}:{p:.3f}" for s, p in zip(player.strategies, probs) if p > 1e-9)


def _mixed_label(game: Game, mix: Sequence[np.ndarray]) -> str:
    return "; ".join(f"{p.name}=({_mix_label(p, s)})" for p, s in zip(game.players, mix))


def equilibrium_points(result: GameResult, sols: list[Solution]) -> list[dict]:
    """Every (regime, equilibrium) with its profile weights: pure equilibria at the means and mixed ones."""
    game, rows = result.game, []
    for g, sol in enumerate(sols):
        for prof in zip(*np.nonzero(sol.deviations.nash)):
            w = np.zeros(game.shape)
            w[prof] = 1.0
            rows.append({"g": g, "kind": "pure", "profile": game.label(prof), "weights": w,
                         "status": str(sol.deviations.status[prof])})
        for k, (x, y) in enumerate(sol.mixed or []):
            rows.append({"g": g, "kind": "mixed", "profile": _mixed_label(game, (x, y)),
                         "weights": eq.mixture_weights(x, y),
                         "status": "mixed"})
    return rows


def payoffs_frame(result: GameResult) -> pd.DataFrame:
    game, rows = result.game, []
    for g, regime in enumerate(game.regimes):
        m, lo, hi = eq.mean_ci(result.payoffs[g])
        for prof in game.profiles():
            for i, p in enumerate(game.players):
                rows.append({"regime": regime.name, "profile": game.label(prof),
                             **{f"strategy.{q.name}": q.strategies[s].name for q, s in zip(game.players, prof)},
                             "player": p.name, "mean": m[prof + (i,)], "lo": lo[prof + (i,)], "hi": hi[prof + (i,)],
                             "samples": game.samples})
    return pd.DataFrame(rows)


def equilibria_frame(result: GameResult, sols: list[Solution]) -> pd.DataFrame:
    game, rows = result.game, []
    wi = result.metrics.index("welfare")
    for g, sol in enumerate(sols):
        d, U = sol.deviations, result.payoffs[g]
        W = result.outcomes[g][..., wi]  # [R, *shape]
        w_best = W[(slice(None), *sol.welfare_max)]
        mean_u = U.mean(axis=0)
        for prof in game.profiles():
            bp, bs = int(d.best_player[prof]), int(d.best_strategy[prof])
            gap = eq.mean_ci(w_best - W[(slice(None), *prof)])
            rows.append({"regime": sol.regime, "profile": game.label(prof), "kind": "pure",
                         **{f"strategy.{p.name}": p.strategies[s].name for p, s in zip(game.players, prof)},
                         "nash": bool(d.nash[prof]), "status": d.status[prof], "regret": d.regret[prof],
                         "regret_lo": d.regret_lo[prof], "regret_hi": d.regret_hi[prof], "p_nash": d.p_nash[prof],
                         "best_deviation": f"{game.players[bp].name}->{game.players[bp].strategies[bs].name}"
                                           if bp >= 0 else "",
                         "gain": d.gain[prof], "gain_lo": d.gain_lo[prof], "gain_hi": d.gain_hi[prof],
                         **{f"payoff.{p.name}": mean_u[prof + (i,)] for i, p in enumerate(game.players)},
                         "welfare": W[(slice(None), *prof)].mean(), "welfare_gap": gap[0], "welfare_gap_lo": gap[1],
                         "welfare_gap_hi": gap[2], "welfare_max": prof == sol.welfare_max, "note": sol.note})
        for k, (x, y) in enumerate(sol.mixed or []):
            wts = eq.mixture_weights(x, y)
            w_eq = np.tensordot(W, wts, axes=(tuple(range(1, W.ndim)), tuple(range(wts.ndim))))
            gap = eq.mean_ci(w_best - w_eq)
            r0, lo, hi = sol.mixed_regret[k]
            rows.append({"regime": sol.regime, "profile": _mixed_label(game, (x, y)), "kind": "mixed",
                         **{f"strategy.{p.name}": _mix_label(p, s) for p, s in zip(game.players, (x, y))},
                         "nash": True, "status": "mixed", "regret": r0, "regret_lo": lo, "regret_hi": hi,
                         "p_nash": np.nan, "best_deviation": "", "gain": np.nan, "gain_lo": np.nan, "gain_hi": np.nan,
                         **{f"payoff.{p.name}": float((mean_u[..., i] * wts).sum()) for i, p in enumerate(game.players)},
                         "welfare": w_eq.mean(), "welfare_gap": gap[0], "welfare_gap_lo": gap[1],
                         "welfare_gap_hi": gap[2], "welfare_max": False, "note": sol.note})
    return pd.DataFrame(rows)


def outcomes_frame(result: GameResult, sols: list[Solution]) -> pd.DataFrame:
    """Every metric of every pure profile and mixed equilibrium: mean and 95% interval."""
    game, rows = result.game, []
    for g, sol in enumerate(sols):
        O = result.outcomes[g]  # [R, *shape, M]
        m, lo, hi = eq.mean_ci(O)
        for prof in game.profiles():
            for j, metric in enumerate(result.metrics):
                rows.append({"regime": sol.regime, "profile": game.label(prof), "kind": "pure", "metric": metric,
                             "mean": m[prof + (j,)], "lo": lo[prof + (j,)], "hi": hi[prof + (j,)]})
        for pt in (p for p in equilibrium_points(result, [sol]) if p["kind"] == "mixed"):
            mix = np.tensordot(O, pt["weights"], axes=(tuple(range(1, O.ndim - 1)), tuple(range(len(game.shape)))))
            mm, ml, mh = eq.mean_ci(mix)
            for j, metric in enumerate(result.metrics):
                rows.append({"regime": sol.regime, "profile": pt["profile"], "kind": "mixed", "metric": metric,
                             "mean": mm[j], "lo": ml[j], "hi": mh[j]})
    return pd.DataFrame(rows)


def welfare_frame(result: GameResult, sols: list[Solution]) -> pd.DataFrame:
    """The cost of walled gardens: outcomes at each equilibrium against the welfare-maximising profile,
    per regime (welfare gap paired by replication)."""
    game, rows = result.game, []
    wi = result.metrics.index("welfare")
    for g, sol in enumerate(sols):
        O = result.outcomes[g]
        best = np.zeros(game.shape)
        best[sol.welfare_max] = 1.0
        points = [{"kind": "welfare maximum", "profile": game.label(sol.welfare_max), "weights": best,
                   "status": ""}] + [p for p in equilibrium_points(result, sols) if p["g"] == g]
        axes = (tuple(range(1, O.ndim - 1)), tuple(range(len(game.shape))))
        ref = np.tensordot(O, best, axes=axes)[:, wi]
        for pt in points:
            vals = np.tensordot(O, pt["weights"], axes=axes)  # [R, M]
            m, lo, hi = eq.mean_ci(vals)
            gap = eq.mean_ci(ref - vals[:, wi])
            row = {"regime": sol.regime, "role": pt["kind"] if pt["kind"] == "welfare maximum"
                   else f"equilibrium ({pt['kind']}, {pt['status']})", "profile": pt["profile"]}
            for j, metric in enumerate(result.metrics):
                row[metric], row[f"{metric}_lo"], row[f"{metric}_hi"] = m[j], lo[j], hi[j]
            row["welfare_gap"], row["welfare_gap_lo"], row["welfare_gap_hi"] = gap
            rows.append(row)
    return pd.DataFrame(rows)


def write_tables(result: GameResult, out: Path | str) -> list[Solution]:
    out = Path(out)
    sols = result.solutions = solve(result)
    payoffs_frame(result).to_csv(out / PAYOFFS, index=False)
    equilibria_frame(result, sols).to_csv(out / EQUILIBRIA, index=False)
    outcomes_frame(result, sols).to_csv(out / OUTCOMES, index=False)
    welfare_frame(result, sols).to_csv(out / WELFARE, index=False)
    return sols


# --------------------------------------------------------------------------- questions asked of a result
def payoff_matrix(result: GameResult, regime: str, player: str) -> pd.DataFrame:
    """A two-player game's mean payoffs of ``player``: rows the first player's strategies, columns the second's."""
    game = result.game
    if len(game.players) != 2:
        raise ConfigError(f"payoff_matrix: {len(game.players)} players; allowed: two")
    i = game.players.index(game.player(player))
    m = result.payoffs[result.regime_index(regime)].mean(axis=0)[..., i]
    a, b = game.players
    return pd.DataFrame(m, index=pd.Index(a.strategy_names(), name=a.name),
                        columns=pd.Index(b.strategy_names(), name=b.name))


def contrast(result: GameResult, regime: str, player: str, first: Iterable[str], second: Iterable[str],
             against: Mapping[str, str]) -> dict:
    """``player``'s best strategy among ``first`` against its best among ``second`` (each best at the
    means), the others playing ``against``: the paired payoff difference first - second, its 95%
    interval, and which side is the best response ('first', 'second' or 'within noise')."""
    game = result.game
    p = game.player(player)
    i = game.players.index(p)
    fixed = {}
    for name, s in against.items():
        q = game.player(name, "against")
        fixed[game.players.index(q)] = q.index(s, f"against {name}")
    if set(fixed) != set(range(len(game.players))) - {i}:
        raise ConfigError(f"against: give a strategy for every other player: {[q.name for q in game.players if q != p]}")
    U = result.payoffs[result.regime_index(regime)]

    def series(s: int) -> np.ndarray:
        idx = tuple(s if j == i else fixed[j] for j in range(len(game.players)))
        return U[(slice(None), *idx, i)]

    groups = [[p.index(s, f"{player} strategies") for s in side] for side in (first, second)]
    best = [max(side, key=lambda s: series(s).mean()) for side in groups]
    m, lo, hi = eq.mean_ci(series(best[0]) - series(best[1]))
    verdict = "first" if lo > 0 else "second" if hi < 0 else "within noise"
    return {"regime": regime, "best_first": p.strategies[best[0]].name, "best_second": p.strategies[best[1]].name,
            "diff": float(m), "lo": float(lo), "hi": float(hi), "best_response": verdict}


def summary(result: GameResult, sols: Sequence[Solution]) -> list[str]:
    """Lines for the command line: per regime the equilibria and the welfare maximum."""
    game, lines = result.game, []
    frame = welfare_frame(result, list(sols))
    for sol in sols:
        w = frame[frame.regime == sol.regime]
        lines.append(f"regime {sol.regime}:")
        eqs = w[w.role != "welfare maximum"]
        if eqs.empty:
            lines.append("  no pure equilibrium at the mean payoffs" + (f"; {sol.note}" if sol.note else ""))
        for r in eqs.itertuples():
            lines.append(f"  {r.role}: {r.profile}; welfare gap {_fmt(r.welfare_gap)} "
                         f"[{_fmt(r.welfare_gap_lo)}, {_fmt(r.welfare_gap_hi)}]")
        near = sol.deviations.status == "within noise"
        if near.any():
            lines.append(f"  {int(near.sum())} profile(s) within noise of an equilibrium (see {EQUILIBRIA})")
        top = w[w.role == "welfare maximum"].iloc[0]
        lines.append(f"  welfare maximum: {top.profile} (welfare {_fmt(top.welfare)})")
    return lines


def _fmt(x: float) -> str:
    return "nan" if x is None or not math.isfinite(x) else f"{x:.4g}"
