"""The economics audit of issue 16, measured: one number (or a few) per finding.

Run by hand, before and after a change of mechanisms, to see each finding move:
``python scripts/economics_audit.py [--out FILE.json]``.  Sizes are small (5,000 consumers)
and seeds few, so figures carry seed noise; each is a mean over the seeds stated.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.model import WalledGardens  # noqa: E402

SC = ROOT / "scenarios"
SIZE = {"size.consumers": 5000, "size.merchants": 500}


def run(name: str, seed: int, steps: int, **overrides) -> WalledGardens:
    m = WalledGardens(SC / f"{name}.toml" if "/" not in name else ROOT / name, seed=seed,
                      overrides={**SIZE, **overrides}, agents=False)
    m.run_for(steps)
    return m


def tail(m: WalledGardens, col: str, n: int = 24) -> float:
    return float(m.results()[col].iloc[-n:].mean())


def paired(a: list[float], b: list[float]) -> dict:
    d = np.array(b) - np.array(a)
    half = 1.96 * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else float("nan")
    return {"mean": round(float(d.mean()), 4), "ci95": [round(float(d.mean() - half), 4), round(float(d.mean() + half), 4)]}


def finding_1(seeds) -> dict:
    out = {}
    comm, nowhere, gmv, late = {120: [], 300: []}, [], [], []
    for s in seeds:
        m = WalledGardens(SC / "adaptive_commissions.toml", seed=s, overrides=SIZE, agents=False)
        m.run_for(120)
        comm[120].append(m.current["commission_taobao"])
        m.run_for(180)
        comm[300].append(m.current["commission_taobao"])
        nowhere.append(float((m.merchants.n_listings == 0).mean()))
        gmv.append(tail(m, "gmv"))
        m.run_for(180)
        late.append({k: float(m.results()[f"commission_{k}"].iloc[-120:].mean()) for k in m.market.marketplaces})
    out["adaptive: taobao commission at 120 / 300"] = [round(float(np.mean(comm[120])), 3), round(float(np.mean(comm[300])), 3)]
    out["adaptive: merchants listing nowhere at 300"] = round(float(np.mean(nowhere)), 3)
    out["adaptive: gmv per consumer, last 24 of 300"] = round(float(np.mean(gmv)), 3)
    out["adaptive: commissions, mean of months 360-480 (min-max over seeds)"] = {
        k: [round(min(r[k] for r in late), 3), round(max(r[k] for r in late), 3)] for k in late[0]}
    base = [tail(run("baseline", s, 90), "consumer_surplus") for s in seeds]
    ban = [tail(run("exclusivity_ban", s, 90), "consumer_surplus") for s in seeds]
    out["exclusivity ban: consumer surplus effect (paired)"] = paired(base, ban)
    many = [tail(run("baseline", s, 90, **{"size.merchants": 8000}), "consumer_surplus") for s in seeds]
    out["16x merchants: consumer surplus effect"] = paired(base, many)
    closed = [tail(run("scenarios/docking/two_networks.toml", s, 60), "gmv") for s in seeds]
    opened = [tail(run("scenarios/docking/two_networks.toml", s, 60, **{
        "platforms.big.marketplaces.bigmart.accepts": ["bigpay", "smallpay"],
        "platforms.small.marketplaces.smallmart.accepts": ["bigpay", "smallpay"]}), "gmv") for s in seeds]
    out["two networks: gmv closed -> open"] = [round(float(np.mean(closed)), 3), round(float(np.mean(opened)), 3)]
    return out


def finding_2(seeds) -> dict:
    loss, below, ratio = [], [], []
    for s in seeds:
        m = run("baseline", s, 60)
        mer, mk = m.merchants, m.market
        loss.append(float((mer.profit < 0).mean()))
        food = [mk.marketplaces.index(k) for k in ("eleme", "meituan")]
        fee = mk.accepted_fee
        on = mer.lists[:, food]
        margins = getattr(mer, "margins", np.broadcast_to(mer.margin[:, None], mer.lists.shape))  # per marketplace
        under = (margins[:, food] < (mk.commission + fee)[food][None, :]) & on
        below.append(float(under.sum() / max(on.sum(), 1)))
        ratio.append(float(mer.cfg.choice_noise / (mer.profit.mean() / m.unit)))
    return {"merchants making a loss": round(float(np.mean(loss)), 3),
            "food-delivery sellers with margin below commission + wallet fee": round(float(np.mean(below)), 3),
            "choice noise / mean profit (units)": round(float(np.mean(ratio)), 2)}


def finding_3(seeds) -> dict:
    base = [tail(run("baseline", s, 90), "consumer_surplus") for s in seeds]
    no_links = [tail(run("baseline", s, 90, **{"consumer.g_links": 0.0}), "consumer_surplus") for s in seeds]
    jump = []
    for s in seeds:
        df = run("link_interop", s, 72).results().set_index("tick")
        jump.append(float(df.loc[62:72, "consumer_surplus"].mean() - df.loc[48:59, "consumer_surplus"].mean()))
    return {"consumer surplus, baseline": round(float(np.mean(base)), 3),
            "... without the links term (g_links = 0)": round(float(np.mean(no_links)), 3),
            "link_interop: surplus jump at tick 60 (Taobao Deals approved)": round(float(np.mean(jump)), 3)}


def finding_6(seeds) -> dict:
    out = {}
    dma = [run("dma_ex_ante", s, 120) for s in seeds]
    out["dma: designated"] = sorted({a["target"] for m in dma for a in m.regulator.actions
                                      if a["action"] == "designate_gatekeeper"})
    out["dma: WeChat Pay / Alipay end share"] = [round(float(np.mean([tail(m, "pay_share_value_wechat_pay") for m in dma])), 3),
                                                round(float(np.mean([tail(m, "pay_share_value_alipay") for m in dma])), 3)]
    other = [run("dma_ex_ante", s, 120, **{"regulator.fine_rate": 0.01}) for s in seeds]
    out["dma: fine_rate 0.10 vs 0.01 identical"] = all(a.results().equals(b.results()) for a, b in zip(dma, other))
    first, fines = [], []
    for s in range(1, 21):
        m = run("regulator_crackdown", s, 120, **{"size.consumers": 2000, "size.merchants": 200})
        inv = [a["tick"] for a in m.regulator.actions if a["action"] == "investigate" and a["target"] == "alibaba"]
        first.append(inv[0] if inv else None)
        fines.append(sum(a["action"] == "fine" and a["target"] == "alibaba" for a in m.regulator.actions))
    out["crackdown: runs with Alibaba investigated within 6 ticks (of 20)"] = sum(t is not None and t <= 6 for t in first)
    out["crackdown: Alibaba fines per run"] = round(float(np.mean(fines)), 2)
    return out


def finding_7(seeds) -> dict:
    base = [run("baseline", s, 120) for s in seeds]
    links = [run("link_interop", s, 120) for s in seeds]
    out = {"links only: merchant multi-homing effect": paired([tail(m, "merchant_multihoming") for m in base],
                                                               [tail(m, "merchant_multihoming") for m in links]),
           "links only: exclusive share effect": paired([tail(m, "merchant_exclusive_share") for m in base],
                                                        [tail(m, "merchant_exclusive_share") for m in links])}
    # the mechanism: links bring WeChat's users to Taobao, whose exclusive deal then pays more merchants;
    # without exclusivity the same links should raise multi-homing instead
    if "merchant_cross_alliance" in base[0].results():  # newer commits: listing with both alliances
        out["links only: cross-alliance listing effect"] = paired([tail(m, "merchant_cross_alliance") for m in base],
                                                                   [tail(m, "merchant_cross_alliance") for m in links])
    out["links only: Taobao buyers effect"] = paired([tail(m, "buyers_taobao") for m in base],
                                                     [tail(m, "buyers_taobao") for m in links])
    free = {"platforms.alibaba.exclusivity": False}
    base_free = [run("baseline", s, 120, **free) for s in seeds]
    links_free = [run("link_interop", s, 120, **free) for s in seeds]
    out["links, no exclusivity: merchant multi-homing effect"] = paired(
        [tail(m, "merchant_multihoming") for m in base_free], [tail(m, "merchant_multihoming") for m in links_free])
    ends = sorted(round(tail(run("strategic_platforms", s, 120), "pay_share_value_alipay"), 3) for s in range(1, 11))
    out["strategic: Alipay end share over 10 seeds"] = ends
    try:
        from model.regimes import split
        n_low = split(np.array(ends))
        out["strategic: regimes (runs in the lower one)"] = n_low
    except ImportError:  # older commits have no regimes module
        pass
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    seeds = list(range(1, args.seeds + 1))
    t0 = time.time()
    results = {}
    for name, fn in (("1 outside option", finding_1), ("2 merchants", finding_2), ("3 consumer surplus", finding_3),
                     ("6 regulator", finding_6), ("7 links and strategy", finding_7)):
        results[name] = fn(seeds)
        for k, v in results[name].items():
            print(f"[{name}] {k}: {v}", flush=True)
    results["seconds"] = round(time.time() - t0)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
