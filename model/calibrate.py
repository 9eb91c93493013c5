"""Calibrate the model to the 2015-2018 history with ABC-SMC (pyabc), and check it against 2019-2020.

The history scenario (``scenarios/history_2015_2024.toml``, tick 0 = January 2015) is run for each
candidate parameter set drawn from the priors (:data:`PRIORS`).  Its predictions of the dated
facts of :mod:`model.calibration_data` (payment shares through each source's measurement model,
online retail's share, and no collapse of Alipay's share after Taobao accepts WeChat Pay) are
compared with the data up to the end of 2018; pyabc's ABC-SMC narrows the priors to a posterior
of parameter sets whose predictions lie close.  Held-out data (2019-2020) are then predicted
from posterior draws, never fitted.

Every evaluation goes through the project's executor (a local process pool, or Dask with
``--scheduler``), and each is seeded from (master seed, generation, evaluation index) with numpy
SeedSequence, so a seed reproduces the posterior whatever the number of workers.

Usage::

    python -m model.calibrate                       # fit; writes calibration/posterior.csv and .json
    python -m model.calibrate --check               # prediction errors of the stored posterior, per data point
    python -m model.calibrate --select-point        # the scenarios' parameter set (calibration/point.json)
    python -m model.calibrate --write-baseline      # that point into scenarios/baseline.toml
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from . import swings
from .calibration_data import OBSERVATIONS, SCOPE, Observation

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "scenarios" / "history_2015_2024.toml"
BASELINE = ROOT / "scenarios" / "baseline.toml"
OUT = ROOT / "calibration"
STEPS = 123  # to March 2025: six months after Taobao accepts WeChat Pay (tick 116)
CONSUMERS = 20000  # large enough (--size-check, 2026-12-06): seed sd <= 0.7 pp, means within 0.7 pp of 40,000 consumers
SEED = 20251
MIN_ACCEPTANCE = 0.2  # stop after the first generation accepting fewer: the budget, without the clock

#: free parameters and their uniform priors (low, high); "a|b" ties several config keys to one value;
#: measurement.* are parameters of the data's measurement model, not of the simulation
PRIORS: dict[str, tuple[float, float]] = {
    "platforms.alibaba.wallet.appeal|platforms.tencent.wallet.appeal": (-1.0, 1.5),  # one appeal for the giants
    "platforms.alibaba.marketplaces.taobao.quality": (1.0, 3.5),
    "platforms.pinduoduo.marketplaces.pinduoduo.quality": (-1.0, 3.5),
    "consumer.p2p_value": (0.0, 0.4),
    "consumer.market_noise": (0.2, 1.5),
    "consumer.g_links": (0.0, 5.0),  # word of mouth through links in the super-app (group buying shared in WeChat; assumed)
    "consumer.market_revision": (0.02, 0.4),  # speed of adjustment: who reconsiders marketplaces each month
    "consumer.wallet_revision": (0.02, 0.4),  # ... and wallets
    "consumer.checkout_habit": (0.0, 6.0),  # bonus of the wallet last used, at checkout
    "consumer.checkout_default": (0.0, 6.0),  # bonus of the wallet a marketplace preselects
    "merchant.revision": (0.02, 0.3),  # share of merchants reconsidering their listings each month
    "consumer.outside_utility": (4.5, 8.5),  # V_0 in January 2020 (the history's outside_trend_origin)
    "consumer.outside_trend": (-0.04, 0.0),
    "consumer.initial_wallet.alipay": (0.4, 0.95),  # January 2015
    "consumer.initial_wallet.wechat_pay": (0.1, 0.8),
    "measurement.scope_iresearch2": (0.0, 1.0),  # share of peer transfers iResearch's second series counts
}


#: posterior columns that belong to the dated history only, never applied to a scenario: parameters
#: of the data's measurement model, and the outside option's trend over the calendar years
HISTORY_ONLY = ("measurement.", "consumer.outside_trend")  # the undated scenarios stand for January 2020


def history_only(column: str) -> bool:
    return any(column == h or (h.endswith(".") and column.startswith(h)) for h in HISTORY_ONLY)


def scenario_columns(draws: pd.DataFrame) -> list[str]:
    """The posterior columns that apply to a scenario (every column but :data:`HISTORY_ONLY`)."""
    return [c for c in draws.columns if not history_only(c)]


def config_overrides(params: dict[str, float]) -> dict[str, float]:
    """Config overrides of a parameter set (tied keys expanded, measurement parameters dropped)."""
    return {k: float(v) for key, v in params.items() if not key.startswith("measurement.") for k in key.split("|")}


def simulate(params: dict[str, float], seed: int, consumers: int = CONSUMERS, steps: int = STEPS,
             scenario: Path | str = HISTORY) -> pd.DataFrame:
    """The history's metrics, one row per tick, for a parameter set."""
    from .model import WalledGardens

    from .config import size_overrides

    ov = {**size_overrides(consumers), **config_overrides(params)}
    model = WalledGardens(scenario, seed=seed, overrides=ov, agents=False)
    a, w = model.market.wallets.index("alipay"), model.market.wallets.index("wechat_pay")
    both = {int(model.time): _holds_both(model, a, w)}  # the survey asks who used both giants' wallets
    for _ in range(steps):
        model.step()
        both[int(model.time)] = _holds_both(model, a, w)
    df = model.results().set_index("tick")
    df["holds_both"] = pd.Series(both)
    df.attrs["largest_swing"] = swings.largest(df, model.cfg)
    return df


def _holds_both(model, a: int, w: int) -> float:
    holds = model.consumers.holds
    return float(np.count_nonzero(holds[:, a] & holds[:, w]) / len(holds))


def measured_share(df: pd.DataFrame, wallet: str, theta: float) -> pd.Series:
    """A wallet's value share as a source with scope ``theta`` sees it (commerce + theta x transfers)."""
    wallets = [c.removeprefix("pay_value_commerce_") for c in df if c.startswith("pay_value_commerce_")]
    seen = {w: df[f"pay_value_commerce_{w}"] + theta * df[f"pay_value_transfers_{w}"] for w in wallets}
    return seen[wallet] / sum(seen.values())


def predict(df: pd.DataFrame, params: dict[str, float]) -> dict[str, float]:
    """The model's value of every observation."""
    out = {}
    for ob in OBSERVATIONS:
        a, b = ob.ticks
        if ob.metric.startswith("share_"):
            scope = SCOPE[ob.source]
            theta = params.get(f"measurement.scope_{ob.source}", 1.0) if scope is None else scope
            out[ob.name] = float(measured_share(df, ob.metric.removeprefix("share_"), theta).loc[a:b].mean())
        elif ob.metric == "online_share":
            out[ob.name] = float(df["gmv"].loc[a:b].mean())
        elif ob.metric == "largest_swing":
            out[ob.name] = float(df.attrs["largest_swing"])
        else:
            out[ob.name] = float(df[ob.metric].loc[a:b].mean())
    return out


def deviation(ob: Observation, predicted: float, observed: float | None = None) -> float:
    """Signed miss in units of the observation's measurement error (0 where a one-sided fact holds);
    ``observed`` replaces the datum (synthetic data, for recovery tests)."""
    miss = predicted - (ob.value if observed is None else observed)
    if ob.kind == "at_least":
        miss = min(miss, 0.0)
    elif ob.kind == "at_most":
        miss = max(miss, 0.0)
    return miss / ob.sd


def distance(predicted: dict[str, float], in_sample: bool = True, observed: dict[str, float] | None = None) -> float:
    """Root mean square of the misses (in measurement errors) over the fitted (or held-out) data."""
    observed = observed or {}
    d = [deviation(ob, predicted[ob.name], observed.get(ob.name)) for ob in OBSERVATIONS if ob.in_sample == in_sample]
    return float(np.sqrt(np.mean(np.square(d))))


# --------------------------------------------------------------------------- ABC-SMC (pyabc)
class _Simulation:
    """pyabc's model: a parameter set -> the predicted observations (picklable, for the workers)."""

    def __init__(self, consumers: int, steps: int, scenario: str):
        self.consumers, self.steps, self.scenario = consumers, steps, scenario

    def __call__(self, pars) -> dict:
        params = {k: float(pars[k]) for k in pars}
        seed = int(np.random.randint(0, 2**62))  # np.random is seeded per evaluation by _SeededExecutor
        return predict(simulate(params, seed, self.consumers, self.steps, self.scenario), params)


def _abc_distance(x: dict, x0: dict) -> float:
    return distance(x, observed=x0)


def _seeded_call(fn: Callable, seed: int, simulate_one_pickle: bytes, *args):
    """Run pyabc's job function with its simulate-one function seeding numpy first."""
    import cloudpickle

    simulate_one = cloudpickle.loads(simulate_one_pickle)

    def seeded():
        np.random.seed(np.random.SeedSequence(seed).generate_state(4))
        return simulate_one()

    return fn(cloudpickle.dumps(seeded), *args)


class _SeededExecutor:
    """Wraps an executor so that each of pyabc's jobs is seeded from (master seed, generation, job id)."""

    def __init__(self, executor, master_seed: int):
        self.executor, self.master_seed, self.generation = executor, master_seed, 0

    def submit(self, fn, simulate_one_pickle, batch_size, job_ids):
        seed = np.random.SeedSequence(self.master_seed, spawn_key=(self.generation + 1, int(job_ids[0])))  # t = -1: calibration sample
        return self.executor.submit(_seeded_call, fn, int(seed.generate_state(1)[0]), simulate_one_pickle,
                                    batch_size, job_ids)


def _sampler(executor, slots: int, master_seed: int):
    from pyabc.sampler import ConcurrentFutureSampler

    class Sampler(ConcurrentFutureSampler):
        """pyabc's executor sampler, seeded per generation and job (see _SeededExecutor)."""

        def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):
            self.client.generation = t
            return super().sample_until_n_accepted(n, simulate_one, t, **kwargs)

    return Sampler(cfuture_executor=_SeededExecutor(executor, master_seed), client_max_jobs=slots)


def _unit_bandwidth(n: int, d: int) -> float:
    return 1.0


def transition():
    """The perturbation kernel: a normal with twice the previous population's weighted covariance
    (Beaumont et al. 2009).  pyabc's default, Silverman's bandwidth, is about half the covariance
    at 15 parameters and 200 particles, and its importance weights collapsed (ESS 1 of 200 by the
    fourth generation)."""
    from pyabc.transition import MultivariateNormalTransition

    return MultivariateNormalTransition(scaling=2.0, bandwidth_selector=_unit_bandwidth)


def priors(free: dict[str, tuple[float, float]] = PRIORS):
    from pyabc import RV, Distribution

    return Distribution(**{k: RV("uniform", lo, hi - lo) for k, (lo, hi) in free.items()})


def fit(seed: int = SEED, population: int = 200, generations: int = 8, consumers: int = CONSUMERS,
        steps: int = STEPS, workers: int = 2, scheduler: str | None = None, minutes: float | None = None,
        min_acceptance: float = MIN_ACCEPTANCE,
        free: dict[str, tuple[float, float]] | None = None, scenario: Path | str = HISTORY,
        observed: dict[str, float] | None = None, db: Path | None = None, verbose: bool = True,
        simulation: Callable | None = None):
    """ABC-SMC over ``free`` (default :data:`PRIORS`) against ``observed`` (default: the data);
    returns (pyabc History, seconds).  ``simulation`` replaces the history model (tests)."""
    import pyabc

    from .batch import open_executor

    free = PRIORS if free is None else free
    np.random.seed(np.random.SeedSequence(seed).generate_state(4))  # pyabc draws its first population here
    db = db or Path(tempfile.mkdtemp()) / "abc.db"
    t0 = time.time()
    with open_executor(workers, scheduler) as (executor, slots):
        simulation = simulation or _Simulation(consumers, steps, str(scenario))
        abc = pyabc.ABCSMC(simulation, priors(free), _abc_distance, population_size=population,
                           transitions=transition(), sampler=_sampler(executor, slots, seed))
        # the observed data enter through the distance (each observation's own error and side)
        abc.new(f"sqlite:///{db}", observed or {ob.name: ob.value for ob in OBSERVATIONS})
        cap = None if minutes is None else pd.Timedelta(minutes=minutes)  # a cap ends by the clock: not reproducible
        history = abc.run(max_nr_populations=generations, max_walltime=cap, min_acceptance_rate=min_acceptance)
    if verbose:
        ess = [float(1 / np.sum(np.square(w / np.sum(w)))) for t in range(history.max_t + 1)
               for w in [np.asarray(history.get_distribution(t=t)[1])]]
        print(f"effective sample size by generation: {[round(e) for e in ess]}")
        print(f"ABC-SMC: {history.n_populations} generations, {history.total_nr_simulations} simulations, "
              f"{time.time() - t0:.0f} s", flush=True)
    return history, time.time() - t0


def posterior_sample(history, n: int, seed: int) -> pd.DataFrame:
    """``n`` equally weighted draws from the last generation (resampled by weight)."""
    frame, weights = history.get_distribution()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    idx = rng.choice(len(frame), size=n, replace=True, p=np.asarray(weights) / np.sum(weights))
    return frame.iloc[idx].reset_index(drop=True)


def expand_columns(draws: pd.DataFrame) -> pd.DataFrame:
    """One column per config key (tied keys repeated), measurement parameters kept as they are."""
    cols = {}
    for key in draws.columns:
        for k in key.split("|"):
            cols[k] = draws[key].to_numpy()
    return pd.DataFrame(cols)


def load_posterior(path: Path | str = OUT / "posterior.csv") -> pd.DataFrame:
    return pd.read_csv(path)


def tied(draws: pd.DataFrame) -> pd.DataFrame:
    """The stored draws as fitted parameters (tied keys folded back into one column)."""
    out = {}
    for key in PRIORS:
        first = key.split("|")[0]
        if first in draws:
            out[key] = draws[first]
    return pd.DataFrame(out)


def errors(draws: pd.DataFrame, seeds: tuple[int, ...] = (101, 102), consumers: int = CONSUMERS,
           n_draws: int | None = None) -> pd.DataFrame:
    """Per observation: data, posterior predictive mean, 90% interval and miss (model - data), over
    posterior draws x seeds the fit did not use."""
    rows = []
    params = tied(draws)
    if n_draws is not None:
        params = params.iloc[:n_draws]
    for _, p in params.iterrows():
        for s in seeds:
            rows.append(predict(simulate(p.to_dict(), s, consumers), p.to_dict()))
    pred = pd.DataFrame(rows)
    out = []
    for ob in OBSERVATIONS:
        v = pred[ob.name]
        out.append({"observation": ob.name, "source": ob.source, "in_sample": ob.in_sample, "kind": ob.kind,
                    "data": ob.value, "model": v.mean(), "lo90": v.quantile(0.05), "hi90": v.quantile(0.95),
                    "miss": deviation(ob, v.mean()) * ob.sd})
    return pd.DataFrame(out)


def predict_at(params: dict[str, float], seed: int, consumers: int) -> dict[str, float]:
    """The model's value of every observation, from one history run of a parameter set."""
    return predict(simulate(params, seed, consumers), params)


def size_check(params: dict[str, float], sizes: tuple[int, ...] = (10000, 20000, 40000), seeds: int = 5,
               workers: int = 2, scheduler: str | None = None) -> pd.DataFrame:
    """Is the population large enough?  Per size: the largest seed sd of any observation's prediction
    and the largest gap of a mean from the largest size's, both in points of the value (pp for shares)."""
    from .batch import open_executor

    with open_executor(workers, scheduler) as (executor, _):
        jobs = {(n, s): executor.submit(predict_at, params, 1000 + s, n) for n in sizes for s in range(seeds)}
        pred = {key: job.result() for key, job in jobs.items()}
    frames = {n: pd.DataFrame([pred[n, s] for s in range(seeds)]) for n in sizes}
    ref = frames[max(sizes)].mean()
    rows = []
    for n, f in frames.items():
        sd, gap = f.std(ddof=1) * 100, (f.mean() - ref).abs() * 100
        rows.append({"consumers": n, "seeds": seeds, "max_sd_pp": sd.max(), "worst_sd": sd.idxmax(),
                     "max_gap_pp": gap.max(), "worst_gap": gap.idxmax(), "rms_gap_pp": float(np.sqrt((gap**2).mean()))})
    return pd.DataFrame(rows)


def write_baseline(draws: pd.DataFrame, path: Path | str = BASELINE, note: str = "",
                   history: Path | str | None = None) -> None:
    """Write the medians of ``draws`` (one row: that point) into the scenario file, keeping its layout;
    the history-only keys (online growth) go into ``history`` when given, the measurement model nowhere."""
    tag = f"calibrated (model.calibrate{note})"
    for target, keep in ((path, lambda k: not history_only(k)),
                         (history, lambda k: history_only(k) and not k.startswith("measurement."))):
        if target is None:
            continue
        text = Path(target).read_text()
        for key in filter(keep, draws.columns):
            text = _set_toml(text, key.split("."), float(np.median(draws[key])), tag)
        Path(target).write_text(text)


def _section_span(text: str, header: str) -> tuple[int, int]:
    m = re.search(rf"^\[{re.escape(header)}\][^\n]*\n", text, flags=re.M)
    if m is None:
        raise KeyError(f"section [{header}] not found")
    nxt = re.search(r"^\[", text[m.end():], flags=re.M)
    return m.end(), (m.end() + nxt.start()) if nxt else len(text)


def _set_toml(text: str, parts: list[str], value: float, tag: str) -> str:
    """``a.b.c = value`` in place: inside an inline table ``b = { ... }`` of section [a] if there is one,
    else as ``c = value`` in section [a.b] (added after the header when missing)."""
    val = f"{value:.4g}"
    header, table, fieldname = ".".join(parts[:-2]), parts[-2], parts[-1]
    try:
        a, b = _section_span(text, header)
        body = text[a:b]
        m = re.search(rf"^{re.escape(table)}\s*=\s*\{{[^\n]*\}}[^\n]*$", body, flags=re.M)
    except KeyError:
        m = None
    if m:
        line = m.group(0)
        inline, _, _comment = line.partition("}")
        if re.search(rf"\b{re.escape(fieldname)}\s*=", inline):
            inline = re.sub(rf"(\b{re.escape(fieldname)}\s*=\s*)[-+0-9.eE]+", rf"\g<1>{val}", inline)
        else:
            inline = inline.rstrip() + f", {fieldname} = {val} "
        new = f"{inline.rstrip()} }}  # {table} {tag}"
        return text[:a] + body[:m.start()] + new + body[m.end():] + text[b:]
    header, fieldname = ".".join(parts[:-1]), parts[-1]
    a, b = _section_span(text, header)
    body = text[a:b]
    line = f"{fieldname} = {val}  # {tag}"
    m = re.search(rf"^{re.escape(fieldname)}\s*=[^\n]*$", body, flags=re.M)
    body = body[:m.start()] + line + body[m.end():] if m else line + "\n" + body
    return text[:a] + body + text[b:]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m model.calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--population", type=int, default=200)
    ap.add_argument("--generations", type=int, default=8)
    ap.add_argument("--min-acceptance", type=float, default=MIN_ACCEPTANCE,
                    help="stop after the first generation whose acceptance rate falls below this")
    ap.add_argument("--minutes", type=float, help="wall-time cap of the ABC run (ends by the clock: not reproducible)")
    ap.add_argument("--consumers", type=int, default=CONSUMERS)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--scheduler", help="Dask scheduler address (tcp://HOST:PORT)")
    ap.add_argument("--draws", type=int, default=200, help="posterior draws stored")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="prediction errors of the stored posterior")
    ap.add_argument("--point", action="store_true", help="with --check: of the calibrated point instead")
    ap.add_argument("--write-baseline", action="store_true", help="the calibrated point (point.json) into scenarios/baseline.toml")
    ap.add_argument("--select-point", action="store_true",
                    help="choose the scenarios' parameter set among the last generation (calibration_point)")
    ap.add_argument("--size-check", action="store_true",
                    help="seed spread and size bias at 10,000 / 20,000 / 40,000 consumers, at the calibrated point")
    args = ap.parse_args(argv)
    from . import calibration_point

    if args.size_check:
        point = calibration_point.load_point(args.out)
        pd.set_option("display.width", 160)
        print(size_check(point, workers=args.workers, scheduler=args.scheduler).round(3).to_string(index=False))
        return
    if args.check:
        if args.point:  # the calibrated point, over eight unseen seeds
            point = expand_columns(pd.DataFrame([calibration_point.load_point(args.out)]))
            table = errors(point, seeds=tuple(range(101, 109)), consumers=args.consumers)
        else:  # the posterior predictive: 20 draws x 2 unseen seeds
            table = errors(load_posterior(args.out / "posterior.csv"), n_draws=20, consumers=args.consumers)
        pd.set_option("display.width", 160)
        print(table.round(4).to_string(index=False))
        target = args.out / f"errors_{'point' if args.point else 'posterior'}.csv"
        table.to_csv(target, index=False, float_format="%.5g")
        print(f"wrote {target}")
        return
    if args.select_point:
        stored = args.out / "point.json"
        point, table = calibration_point.select(pd.read_csv(args.out / "population.csv"), args.workers,
                                                args.scheduler, args.consumers,
                                                previous=calibration_point.load_point(args.out) if stored.exists() else None)
        pd.set_option("display.width", 200)
        print(table[["source", "distance", "unseen_distance", "largest_swing", "unseen_penalised", "chosen"]].round(3).to_string())
        print(f"wrote {calibration_point.write(point, table, args.out)}")
        return
    if args.write_baseline:
        point = expand_columns(pd.DataFrame([calibration_point.load_point(args.out)]))
        write_baseline(point, history=HISTORY, note=", the point of calibration/point.json")
        print(f"the calibrated point written to {BASELINE} (online growth: {HISTORY})")
        return
    history, seconds = fit(args.seed, args.population, args.generations, args.consumers, STEPS, args.workers,
                           args.scheduler, args.minutes, args.min_acceptance)
    draws = expand_columns(posterior_sample(history, args.draws, args.seed))
    args.out.mkdir(parents=True, exist_ok=True)
    draws.to_csv(args.out / "posterior.csv", index=False, float_format="%.6g")
    calibration_point.last_population(history).to_csv(args.out / "population.csv", index=False, float_format="%.8g")
    pops = history.get_all_populations()
    meta = {"seed": args.seed, "date": time.strftime("%Y-%m-%d"), "scenario": str(HISTORY.relative_to(ROOT)),
            "consumers": args.consumers, "steps": STEPS, "population": args.population, "min_acceptance": args.min_acceptance,
            "generations": int(history.n_populations), "simulations": int(history.total_nr_simulations),
            "seconds": round(seconds), "workers": args.workers, "epsilons": pops["epsilon"].dropna().tolist(),
            "priors": {k: list(v) for k, v in PRIORS.items()},
            "observations": [ob.__dict__ | {"in_sample": ob.in_sample} for ob in OBSERVATIONS]}
    (args.out / "posterior.json").write_text(json.dumps(meta, indent=1, default=str))
    print(f"wrote {args.out / 'posterior.csv'} ({len(draws)} draws) and posterior.json")


if __name__ == "__main__":
    main()
