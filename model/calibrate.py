"""Calibrate the baseline scenario to the 2016-2020 Chinese payment facts (DOMAIN.md).

Targets (end state: mean over the last 24 ticks of a 120-tick run):

* payment share by value: Alipay 0.545, Tenpay (WeChat Pay) 0.39 - the
  Analysys/iResearch figures for 2016-2020 (50.4-55.4 and 37.0-39.2);
* at least 77% of consumers holding both Alipay and WeChat Pay (92% used
  Alipay and 85% WeChat Pay in the past year, so >= 77% both);
* 98% yearly consumer retention on Alibaba's marketplace (SAMR), measured by
  the model's annualised ``retention_taobao``.

A few free parameters (:data:`FREE`) are fitted by a Latin hypercube search
followed by a Nelder-Mead refinement, both with common random numbers (the
same seeds for every candidate).  The distance is the root mean square of the
deviations in percentage points (one-sided for the "at least" target).

Usage::

    python -m model.calibrate                 # fit and report (about 5 minutes on 2 cores)
    python -m model.calibrate --write         # ... and write the values into scenarios/baseline.toml
    python -m model.calibrate --check         # only report the current baseline's distance
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import optimize
from scipy.stats import qmc

from .model import WalledGardens

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"

#: point targets: metric -> value (DOMAIN.md, facts for calibration)
TARGETS: dict[str, float] = {
    "pay_share_value_alipay": 0.545,
    "pay_share_value_wechat_pay": 0.39,
    "retention_taobao": 0.98,
    "gmv": 0.249,  # online share of retail spending (NBS 2020: online retail of goods 24.9% of retail sales)
}
#: one-sided targets: metric -> lower bound
FLOORS: dict[str, float] = {"both_alipay_wechat_pay": 0.77}
#: reported, not fitted
REPORTED = ("holds_alipay", "holds_wechat_pay", "consumer_wallet_multihoming", "gmv_share_taobao",
            "merchant_exclusive_share", "merchant_multihoming", "reach_mean")

#: free parameters: dotted config key -> (low, high); "a|b" ties several keys to one value.
#: The two giants' wallets share one checkout appeal: the data do not separate a
#: wallet's intrinsic appeal from where it is accepted and from peer transfers, and
#: untied appeals let the fit trade one against the other (a large gap that decides
#: every interoperability scenario).  Differences come from acceptance, p2p and habit.
FREE: dict[str, tuple[float, float]] = {
    "platforms.alibaba.wallet.appeal|platforms.tencent.wallet.appeal": (-0.5, 1.5),
    "platforms.alibaba.marketplaces.taobao.quality": (1.5, 3.5),
    "consumer.p2p_value": (0.0, 0.3),
    "consumer.market_noise": (0.2, 1.5),
    "consumer.market_revision": (0.05, 0.5),
    "consumer.outside_utility": (4.0, 8.0),
}

TAIL = 24  # ticks averaged for the end state


def expand(params: dict | None) -> dict[str, float]:
    """Config overrides for fitted parameters (a tied key "a|b" sets every key it names)."""
    return {k: v for key, v in (params or {}).items() for k in key.split("|")}


def measure(params: dict | None = None, scenario: Path | str = BASELINE, seeds=(1, 2, 3), consumers: int = 5000,
            steps: int = 120, tail: int = TAIL) -> dict[str, float]:
    """End-state outcomes (means over the last ``tail`` ticks and over seeds) for these parameters."""
    out: list[dict[str, float]] = []
    for seed in seeds:
        ov = {"size.consumers": consumers, "size.merchants": max(consumers // 10, 10), **expand(params)}
        m = WalledGardens(scenario, seed=seed, overrides=ov, agents=False)
        wallets = m.market.wallets
        a, w = wallets.index("alipay"), wallets.index("wechat_pay")
        both = []
        for t in range(steps):
            m.step()
            if t >= steps - tail:
                both.append(float((m.consumers.holds[:, a] & m.consumers.holds[:, w]).mean()))
        row = m.results().tail(tail).mean(numeric_only=True)
        res = {k: float(row[k]) for k in (*TARGETS, *REPORTED) if k in row}
        res["both_alipay_wechat_pay"] = float(np.mean(both))
        out.append(res)
    return {k: float(np.mean([o[k] for o in out])) for k in out[0]}


def deviations(outcome: dict[str, float]) -> dict[str, float]:
    """Deviation from each target in percentage points (0 when a floor is met)."""
    dev = {k: 100 * (outcome[k] - v) for k, v in TARGETS.items()}
    dev.update({k: 100 * min(outcome[k] - v, 0.0) for k, v in FLOORS.items()})
    return dev


def distance(outcome: dict[str, float]) -> float:
    """Root mean square deviation from the targets, in percentage points."""
    d = np.array(list(deviations(outcome).values()))
    return float(np.sqrt(np.mean(d**2)))


@dataclass
class Fit:
    params: dict[str, float]
    outcome: dict[str, float]
    distance: float
    evaluations: int
    history: list[tuple[dict[str, float], float]] = field(default_factory=list)


def _to_params(x: np.ndarray, free: dict[str, tuple[float, float]]) -> dict[str, float]:
    lo = np.array([b[0] for b in free.values()])
    hi = np.array([b[1] for b in free.values()])
    v = lo + np.clip(x, 0.0, 1.0) * (hi - lo)
    return {k: float(round(val, 3)) for k, val in zip(free, v)}


def calibrate(samples: int = 24, refine: int = 50, seeds=(1, 2, 3), consumers: int = 5000, steps: int = 120,
              free: dict[str, tuple[float, float]] | None = None, scenario: Path | str = BASELINE,
              rng_seed: int = 0, verbose: bool = True) -> Fit:
    """Latin hypercube search over ``free`` then Nelder-Mead from the best point."""
    free = dict(FREE if free is None else free)
    history: list[tuple[dict[str, float], float]] = []
    cache: dict[tuple, tuple[float, dict]] = {}

    def evaluate(x: np.ndarray) -> float:
        params = _to_params(x, free)
        key = tuple(params.values())
        if key not in cache:
            out = measure(params, scenario, seeds, consumers, steps)
            cache[key] = (distance(out), out)
            history.append((params, cache[key][0]))
            if verbose:
                print(f"[{len(history):3d}] distance {cache[key][0]:6.2f} pp  "
                      + " ".join(f"{k.split('.')[-2]}.{k.split('.')[-1]}={v:g}" for k, v in params.items()),
                      flush=True)
        return cache[key][0]

    start = time.time()
    # the current baseline values are always a candidate
    from .config import load

    cfg = load(scenario).model_dump()
    current = []
    for k, (lo, hi) in free.items():
        obj = cfg
        for part in k.split("|")[0].split("."):
            obj = obj[part]
        current.append((float(obj) - lo) / (hi - lo))
    points = [np.clip(np.array(current), 0, 1)]
    if samples > 0:
        points += list(qmc.LatinHypercube(d=len(free), seed=rng_seed).random(samples))
    scores = [evaluate(p) for p in points]
    best = points[int(np.argmin(scores))]
    if refine > 0:
        simplex = [best] + [np.clip(best + 0.1 * np.eye(len(free))[i], 0, 1) for i in range(len(free))]
        optimize.minimize(evaluate, best, method="Nelder-Mead",
                          options={"maxfev": refine, "initial_simplex": simplex, "xatol": 0.01, "fatol": 0.05})
    params, d = min(history, key=lambda h: h[1])
    outcome = cache[tuple(params.values())][1]
    if verbose:
        print(f"calibration: {len(history)} evaluations in {time.time() - start:.0f} s")
    return Fit(params=params, outcome=outcome, distance=d, evaluations=len(history), history=history)


def write_baseline(params: dict[str, float], dist: float, path: Path | str = BASELINE, note: str = "") -> None:
    """Write fitted values into the scenario file in place, keeping its layout and comments.

    Keys are dotted paths; a key inside an inline table (``wallet = { ... }``)
    is replaced inside that table, otherwise ``key = value`` within its
    ``[section]`` (added after the header when missing).
    """
    path = Path(path)
    text = path.read_text()
    tag = f"calibrated (model.calibrate{note}, distance {dist:.2f} pp)"
    for key, value in expand(params).items():
        parts = key.split(".")
        text = _set_toml(text, parts, value, tag)
    path.write_text(text)


def _section_span(text: str, header: str) -> tuple[int, int]:
    m = re.search(rf"^\[{re.escape(header)}\][^\n]*\n", text, flags=re.M)
    if m is None:
        raise KeyError(f"section [{header}] not found")
    nxt = re.search(r"^\[", text[m.end():], flags=re.M)
    return m.end(), (m.end() + nxt.start()) if nxt else len(text)


def _set_toml(text: str, parts: list[str], value: float, tag: str) -> str:
    val = f"{value:g}"
    # inline table: platforms.<p>.wallet.<field> lives on a "wallet = { ... }" line of [platforms.<p>]
    for depth in (len(parts) - 2,):
        header, table, fieldname = ".".join(parts[:depth]), parts[depth], parts[-1]
        try:
            a, b = _section_span(text, header)
        except KeyError:
            break
        body = text[a:b]
        m = re.search(rf"^{re.escape(table)}\s*=\s*\{{[^\n]*\}}[^\n]*$", body, flags=re.M)
        if m:
            line = m.group(0)
            inline, _, _comment = line.partition("}")
            inline = re.sub(rf"({re.escape(fieldname)}\s*=\s*)[-+0-9.eE]+", rf"\g<1>{val}", inline)
            new = f"{inline}}}  # {fieldname} {tag}"
            return text[:a] + body[:m.start()] + new + body[m.end():] + text[b:]
    header, fieldname = ".".join(parts[:-1]), parts[-1]
    a, b = _section_span(text, header)
    body = text[a:b]
    line = f"{fieldname} = {val}  # {tag}"
    m = re.search(rf"^{re.escape(fieldname)}\s*=[^\n]*$", body, flags=re.M)
    if m:
        body = body[:m.start()] + line + body[m.end():]
    else:
        body = line + "\n" + body
    return text[:a] + body + text[b:]


def report(outcome: dict[str, float]) -> str:
    lines = [f"{'metric':32s} {'model':>8s} {'target':>8s} {'dev pp':>8s}"]
    dev = deviations(outcome)
    for k, v in TARGETS.items():
        lines.append(f"{k:32s} {outcome[k]:8.3f} {v:8.3f} {dev[k]:8.2f}")
    for k, v in FLOORS.items():
        lines.append(f"{k:32s} {outcome[k]:8.3f} {'>=' + format(v, '.2f'):>8s} {dev[k]:8.2f}")
    for k in REPORTED:
        if k in outcome:
            lines.append(f"{k:32s} {outcome[k]:8.3f} {'':>8s} {'':>8s}")
    lines.append(f"distance (RMS, pp): {distance(outcome):.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m model.calibrate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=24, help="Latin hypercube points")
    ap.add_argument("--refine", type=int, default=50, help="Nelder-Mead evaluations after the search")
    ap.add_argument("--consumers", type=int, default=5000)
    ap.add_argument("--steps", type=int, default=120)
    ap.add_argument("--seeds", type=int, default=3, help="replications per candidate (common random numbers)")
    ap.add_argument("--scenario", default=str(BASELINE))
    ap.add_argument("--write", action="store_true", help="write the fitted values into the scenario file")
    ap.add_argument("--check", action="store_true", help="only measure the scenario as it is")
    args = ap.parse_args(argv)
    seeds = tuple(range(1, args.seeds + 1))
    if args.check:
        out = measure(None, args.scenario, seeds, args.consumers, args.steps)
        print(report(out))
        return
    fit = calibrate(args.samples, args.refine, seeds, args.consumers, args.steps, scenario=args.scenario)
    print("fitted parameters:")
    for k, v in fit.params.items():
        print(f"  {k} = {v:g}")
    print(report(fit.outcome))
    if args.write:
        note = f", {args.consumers} consumers x {len(seeds)} seeds"
        write_baseline(fit.params, fit.distance, args.scenario, note=note)
        print(f"written to {args.scenario}")


if __name__ == "__main__":
    main()
