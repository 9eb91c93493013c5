"""Write the three notebooks of this folder from the cell sources below (unexecuted).

    .venv/bin/python notebooks/make_notebooks.py

Every notebook reads ``WG_SMALL=1`` (set by tests/test_notebooks.py) to run at
small sizes; without it the sizes are the scenarios' own.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''import os
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
from IPython.display import Markdown, display

pio.renderers.default = "plotly_mimetype+notebook"  # works offline and in JupyterLab
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios" / "baseline.toml").exists())
os.chdir(ROOT)
SMALL = os.environ.get("WG_SMALL") == "1"  # the test suite runs every notebook at small sizes

from model import palette  # noqa: E402  (one colour per scenario and wallet, as in the report and the viz)'''


def quickstart() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("""# Quickstart: one scenario, step by step

This notebook builds the **walled-gardens** model from a scenario file, steps it
month by month, and plots the two outcomes people ask about first:

* **payment share by value** of Alipay, WeChat Pay (Tenpay) and UnionPay, and
* **merchant reach**: the share of consumers who can buy from a merchant, i.e.
  who are on one of its marketplaces *and* hold a wallet accepted there.

The baseline is the Chinese walled-garden era (c. 2015-2020): Alibaba demands
"choose one of two" exclusivity, Taobao refuses WeChat Pay, WeChat blocks
Taobao links and has not approved the Taobao Deals mini-program. Its free
parameters are calibrated (`python -m model.calibrate`) to the 2016-2020
payment shares (Alipay about 54.5%, Tenpay about 39% by value)."""),
        new_code_cell(SETUP),
        new_code_cell('''from model.model import WalledGardens

sizes = {"size.consumers": 3000, "size.merchants": 300} if SMALL else {}
steps = 60 if SMALL else 120

model = WalledGardens("scenarios/baseline.toml", seed=1, overrides=sizes)
print(model.cfg.name, "-", model.cfg.description)
print("wallets:", model.market.wallets)
print("marketplaces:", model.market.marketplaces)
print("consumers:", model.consumers.n, "merchants:", model.merchants.m, "platforms:", [p.name for p in model.platforms])'''),
        new_markdown_cell("""## Stepping

`model.step()` advances one month; `model.run_for(n)` advances n months. Every
tick the model records one row of metrics (a Mesa `DataCollector`)."""),
        new_code_cell('''for _ in range(12):
    model.step()
print("after one year, Alipay share by value:", round(model.results()["pay_share_value_alipay"].iloc[-1], 3))
model.run_for(steps - 12)
df = model.results()
df.tail(3)'''),
        new_markdown_cell("## Payment share by value"),
        new_code_cell('''wallets = model.market.wallets
share = df.melt(id_vars="tick", value_vars=[f"pay_share_value_{w}" for w in wallets],
                var_name="wallet", value_name="share")
share["wallet"] = share["wallet"].str.removeprefix("pay_share_value_")
fig = px.line(share, x="tick", y="share", color="wallet", color_discrete_map=palette.WALLETS,
              title="Payment share by value (tick = month)", range_y=[0, 1])
fig.add_hrect(y0=0.504, y1=0.554, fillcolor="blue", opacity=0.08, line_width=0,
              annotation_text="Alipay 2016-2020", annotation_position="top left")
fig.add_hrect(y0=0.370, y1=0.392, fillcolor="green", opacity=0.08, line_width=0,
              annotation_text="Tenpay 2016-2020", annotation_position="bottom left")
fig.show()'''),
        new_markdown_cell("""## Merchant reach

Mean reach and its 10th/50th/90th percentiles across merchants; wallet reach is
the share of merchants a holder of the wallet can pay with it."""),
        new_code_cell('''reach = df.melt(id_vars="tick", value_vars=["reach_p10", "reach_p50", "reach_mean", "reach_p90"],
                var_name="statistic", value_name="reach")
px.line(reach, x="tick", y="reach", color="statistic", title="Merchant reach", range_y=[0, 1]).show()
wr = df.melt(id_vars="tick", value_vars=[f"wallet_reach_{w}" for w in wallets], var_name="wallet", value_name="reach")
wr["wallet"] = wr["wallet"].str.removeprefix("wallet_reach_")
px.line(wr, x="tick", y="reach", color="wallet", color_discrete_map=palette.WALLETS,
        title="Wallet reach: share of merchants payable", range_y=[0, 1]).show()'''),
        new_markdown_cell("""## Looking at individuals

Consumers and merchants are thin Mesa agents over the population arrays, so
one can still inspect individuals."""),
        new_code_cell('''from model.agents import Consumer, Merchant

c = model.agents_by_type[Consumer][0]
m = model.agents_by_type[Merchant][0]
print("consumer 0 holds", c.wallets, "uses", c.marketplaces, "last paid with", c.main_wallet)
print("merchant 0 lists on", m.listings, "exclusive:", m.exclusive)
end = df.tail(12).mean(numeric_only=True)
both = (model.consumers.holds[:, wallets.index("alipay")] & model.consumers.holds[:, wallets.index("wechat_pay")]).mean()
display(Markdown(
    f"Over the last year Alipay carries **{end['pay_share_value_alipay']:.1%}** of payment value and "
    f"WeChat Pay **{end['pay_share_value_wechat_pay']:.1%}**; **{both:.0%}** of consumers hold both. "
    f"A merchant reaches **{end['reach_mean']:.0%}** of consumers on average, and "
    f"**{end['merchant_exclusive_share']:.0%}** of merchants are under an exclusivity deal."))'''),
    ]
    return new_notebook(cells=cells, metadata=_meta())


def scenarios() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("""# Exclusivity versus interoperability

Which remedy opens walled gardens more: **banning exclusivity** ("choose one of
two", fined by SAMR in 2021) or **interoperability** (rival wallets accepted at
checkout; links and mini-programs opened inside the super-app)? Each scenario
below is the baseline plus one policy switched on at tick 60 (month 60):

| scenario | policy at tick 60 |
|---|---|
| `baseline` | none: walled gardens stay |
| `exclusivity_ban` | exclusivity deals prohibited for every platform |
| `payment_interop` | every marketplace accepts every wallet (exclusivity stays) |
| `link_interop` | rival links open in WeChat, Taobao Deals mini-program approved |
| `full_openness` | all of the above |

Every scenario is replicated with the same seeds (common random numbers), so
differences against the baseline are paired. Bands are 95% confidence
intervals of the replication mean (Student t)."""),
        new_code_cell(SETUP),
        new_code_cell('''from scipy import stats

from model.runner import simulate

SCENARIOS = ["baseline", "exclusivity_ban", "payment_interop", "link_interop", "full_openness"]
COLORS = palette.scenario_colors(SCENARIOS)  # the same colour per scenario as in the report and the viz
sizes = {"size.consumers": 3000, "size.merchants": 300} if SMALL else {"size.consumers": 10000, "size.merchants": 1000}
steps = 90 if SMALL else 120
seeds = range(1, 4) if SMALL else range(1, 11)

runs = pd.concat([simulate(f"scenarios/{s}.toml", steps=steps, seed=seed, overrides=sizes)[0]
                  for s in SCENARIOS for seed in seeds], ignore_index=True)
runs.groupby("scenario").size()'''),
        new_code_cell('''def mean_ci(x: pd.Series) -> pd.Series:
    """Mean and 95% t confidence interval of replications."""
    n, m = len(x), x.mean()
    half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
    return pd.Series({"mean": m, "lo": m - half, "hi": m + half})


def band_plot(metric: str, title: str) -> go.Figure:
    g = runs.groupby(["scenario", "tick"])[metric].apply(mean_ci).unstack().reset_index()
    fig = go.Figure()
    for s in SCENARIOS:
        d = g[g.scenario == s]
        c = COLORS[s]
        fig.add_trace(go.Scatter(x=pd.concat([d.tick, d.tick[::-1]]), y=pd.concat([d.hi, d.lo[::-1]]),
                                 fill="toself", fillcolor=c, opacity=0.2, line=dict(width=0),
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=d.tick, y=d["mean"], name=s, line=dict(color=c)))
    fig.add_vline(x=60, line_dash="dot", annotation_text="policy")
    fig.update_layout(title=title, xaxis_title="tick (month)", yaxis_title=metric)
    return fig


band_plot("merchant_multihoming", "Merchants listed on two or more marketplaces").show()
band_plot("reach_mean", "Mean merchant reach").show()
band_plot("wallet_reach_wechat_pay", "WeChat Pay wallet reach (share of merchants payable)").show()
band_plot("pay_share_value_alipay", "Alipay payment share by value").show()
band_plot("consumer_surplus", "Consumer surplus (logit inclusive value)").show()'''),
        new_markdown_cell("""## End state, paired against the baseline

Mean of the last 24 ticks of each run, then the difference from the baseline
run with the same seed; the table shows the mean difference and its 95%
interval across replications."""),
        new_code_cell('''METRICS = ["merchant_multihoming", "merchant_exclusive_share", "reach_mean", "wallet_reach_alipay",
           "wallet_reach_wechat_pay", "pay_share_value_alipay", "pay_share_value_wechat_pay", "hhi_value",
           "consumer_surplus", "merchant_profit", "platform_revenue"]
end = runs[runs.tick > steps - 24].groupby(["scenario", "seed"])[METRICS].mean()
base = end.xs("baseline", level="scenario")
rows = []
for s in SCENARIOS:
    diff = end.xs(s, level="scenario") - base
    for metric in METRICS:
        ci = mean_ci(diff[metric])
        level = end.xs(s, level="scenario")[metric].mean()
        rows.append({"scenario": s, "metric": metric, "level": level, "diff": ci["mean"], "lo": ci["lo"], "hi": ci["hi"]})
table = pd.DataFrame(rows)
table.pivot(index="metric", columns="scenario", values="level")[SCENARIOS].round(3)'''),
        new_code_cell('''effects = table[table.scenario != "baseline"].copy()
effects["significant"] = (effects.lo > 0) | (effects.hi < 0)
effects["ci_half"] = effects["hi"] - effects["diff"]
shown = effects[effects.metric.isin(["merchant_multihoming", "reach_mean", "wallet_reach_wechat_pay",
                                     "consumer_surplus"])]
fig = px.bar(shown, x="metric", y="diff", color="scenario", color_discrete_map=COLORS, barmode="group", error_y="ci_half",
             title="Change against the baseline (95% CI)")
fig.show()
effects.round(4)'''),
        new_markdown_cell("## The story, in numbers from these runs"),
        new_code_cell('''def eff(s, metric):
    r = table[(table.scenario == s) & (table.metric == metric)].iloc[0]
    sig = "" if (r.lo > 0 or r.hi < 0) else " (not distinguishable from zero with these replications)"
    return r, sig


def pp(x):
    return f"{100 * x:+.1f} pp"


b = table[table.scenario == "baseline"].set_index("metric")["level"]
mh, mh_sig = eff("exclusivity_ban", "merchant_multihoming")
rb, rb_sig = eff("exclusivity_ban", "reach_mean")
wr, wr_sig = eff("payment_interop", "wallet_reach_wechat_pay")
rp, rp_sig = eff("payment_interop", "reach_mean")
sa, sa_sig = eff("payment_interop", "pay_share_value_alipay")
lk, lk_sig = eff("link_interop", "reach_mean")
lc, lc_sig = eff("link_interop", "consumer_surplus")
fo, fo_sig = eff("full_openness", "reach_mean")
cs, cs_sig = eff("full_openness", "consumer_surplus")
parts = rb["diff"] + rp["diff"] + lk["diff"]
if fo["diff"] > 1.2 * parts:
    combine = "more than the sum of the separate effects: the remedies reinforce each other"
elif fo["diff"] < 0.8 * parts:
    combine = "less than the sum of the separate effects: the remedies partly overlap"
else:
    combine = "about the sum of the separate effects: the remedies work through different channels"
captive = ("the wallet tied to the bigger marketplace loses its captive checkout" if sa["diff"] < 0 else
           "the wallet tied to the bigger marketplace gains from being accepted everywhere")
display(Markdown(f"""
**Walled gardens.** In the baseline, {b['merchant_exclusive_share']:.0%} of merchants sit under an exclusivity deal
and {b['merchant_multihoming']:.0%} list on more than one marketplace; WeChat Pay can pay at only
{b['wallet_reach_wechat_pay']:.0%} of merchants, and a merchant reaches {b['reach_mean']:.0%} of consumers on average.

**Banning exclusivity** acts on the *merchant* side of the wall: merchant multi-homing changes by
{pp(mh['diff'])} (95% CI {pp(mh['lo'])} to {pp(mh['hi'])}){mh_sig}, and mean merchant reach by {pp(rb['diff'])}{rb_sig}.

**Payment interoperability** acts on the *consumer* side: once every checkout takes every wallet, WeChat Pay's
wallet reach changes by {pp(wr['diff'])}{wr_sig} and mean merchant reach by {pp(rp['diff'])}{rp_sig}. Alipay's
share of payment value changes by {pp(sa['diff'])}{sa_sig}: {captive}.

**Opening links and the Taobao Deals mini-program** inside WeChat changes mean reach by {pp(lk['diff'])}{lk_sig}
and consumer surplus by {lc['diff']:+.3f}{lc_sig}.

**Full openness** changes mean reach by {pp(fo['diff'])}{fo_sig} and consumer surplus by {cs['diff']:+.3f}{cs_sig};
against {pp(parts)} for the three remedies one by one, that is {combine}.
"""))'''),
    ]
    return new_notebook(cells=cells, metadata=_meta())


def sensitivity() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("""# Sensitivity: what drives payment share and reach?

Two outcomes of the baseline (end state, mean of the last 12 ticks):
**Alipay's payment share by value** and **mean merchant reach**.

1. *One at a time* (OAT): each parameter moved to the low and the high end of
   its range, the others at their baseline values (a tornado chart).
2. *Global*: a Latin hypercube over all parameters at once, analysed with
   standardised regression coefficients (SRC; with the regression's R^2) and
   the RBD-FAST first-order sensitivity index of SALib, which captures
   non-linear effects as well."""),
        new_code_cell(SETUP),
        new_code_cell('''from SALib.analyze import rbd_fast
from SALib.sample import latin

from model.config import load
from model.model import WalledGardens

BASE = "scenarios/baseline.toml"
sizes = {"size.consumers": 3000, "size.merchants": 300} if SMALL else {"size.consumers": 8000, "size.merchants": 800}
steps = 60 if SMALL else 120
n_lhs = 32 if SMALL else 256
OUTPUTS = ["pay_share_value_alipay", "reach_mean"]

# parameter: (low, high); ranges bracket the calibrated baseline
PARAMS = {
    "consumer.g_direct": (1.0, 3.0),
    "consumer.g_indirect": (1.0, 3.0),
    "consumer.lam_wallet": (0.5, 2.5),
    "consumer.switching_cost": (1.0, 3.0),
    "consumer.p2p_value": (0.0, 0.3),
    "platforms.alibaba.wallet.appeal": (-0.5, 1.5),
    "platforms.alibaba.marketplaces.taobao.quality": (1.5, 3.5),
    "merchant.exclusivity_bonus": (0.0, 0.6),
    "merchant.throttle_penalty": (0.3, 0.9),
}
cfg = load(BASE).model_dump()


def baseline_value(key):
    obj = cfg
    for part in key.split("."):
        obj = obj[part]
    return obj


def outcome(params: dict, seed: int = 1) -> dict:
    m = WalledGardens(BASE, seed=seed, overrides={**sizes, **params}, agents=False)
    m.run_for(steps)
    end = m.results().tail(12).mean(numeric_only=True)
    return {k: float(end[k]) for k in OUTPUTS}


pd.Series({k: baseline_value(k) for k in PARAMS}, name="baseline value")'''),
        new_markdown_cell("## One at a time"),
        new_code_cell('''ref = outcome({})
rows = []
for key, (lo, hi) in PARAMS.items():
    low, high = outcome({key: lo}), outcome({key: hi})
    for out in OUTPUTS:
        rows.append({"parameter": key.split(".", 1)[1], "output": out, "low": low[out] - ref[out],
                     "high": high[out] - ref[out], "swing": abs(high[out] - low[out])})
oat = pd.DataFrame(rows)
for out in OUTPUTS:
    d = oat[oat.output == out].sort_values("swing")
    fig = go.Figure([go.Bar(y=d.parameter, x=d.low, orientation="h", name="parameter at low end"),
                     go.Bar(y=d.parameter, x=d.high, orientation="h", name="parameter at high end")])
    fig.update_layout(barmode="overlay", title=f"OAT tornado: change in {out} (baseline {ref[out]:.3f})",
                      xaxis_title=f"change in {out}")
    fig.show()
oat.sort_values(["output", "swing"], ascending=[True, False]).round(4)'''),
        new_markdown_cell("""## Global: Latin hypercube, regression and RBD-FAST

All parameters vary at once over a Latin hypercube (256 points; 32 when
`WG_SMALL=1`, where the RBD-FAST estimates are rough and can even come out
slightly negative). Runs cycle through three seeds so that noise is part of
the residual rather than hidden. The standardised regression coefficient (SRC)
is the change in the output, in standard deviations, per standard deviation of
the parameter; with R^2 near 1 the model is close to linear over these ranges
and the SRCs alone rank the parameters."""),
        new_code_cell('''problem = {"num_vars": len(PARAMS), "names": list(PARAMS), "bounds": [list(b) for b in PARAMS.values()]}
X = latin.sample(problem, n_lhs, seed=7)
Y = pd.DataFrame([outcome(dict(zip(PARAMS, map(float, x))), seed=1 + i % 3) for i, x in enumerate(X)])

Z = (X - X.mean(axis=0)) / X.std(axis=0)
rows = []
for out in OUTPUTS:
    y = Y[out].to_numpy()
    A = np.column_stack([np.ones(len(Z)), Z])
    coef, *_ = np.linalg.lstsq(A, (y - y.mean()) / y.std(), rcond=None)
    r2 = 1 - np.sum((A @ coef - (y - y.mean()) / y.std()) ** 2) / len(y)
    fast = rbd_fast.analyze(problem, X, y, M=4 if SMALL else 10, seed=1)
    for i, name in enumerate(PARAMS):
        rows.append({"output": out, "parameter": name.split(".", 1)[1], "SRC": coef[i + 1],
                     "RBD-FAST S1": fast["S1"][i], "R2": r2})
glob = pd.DataFrame(rows)
for out in OUTPUTS:
    d = glob[glob.output == out].sort_values("SRC", key=abs)
    r2 = d.R2.iloc[0]
    px.bar(d, y="parameter", x="SRC", orientation="h",
           title=f"Standardised regression coefficients for {out} (R^2 = {r2:.2f})").show()
glob.round(3)'''),
        new_code_cell('''lines = []
for out in OUTPUTS:
    d = glob[glob.output == out].assign(a=lambda t: t.SRC.abs()).sort_values("a", ascending=False)
    top = d.head(3)
    o = oat[oat.output == out].sort_values("swing", ascending=False).head(3)
    lines.append(f"**{out}**: the largest standardised effects are "
                 + ", ".join(f"`{r.parameter}` ({r.SRC:+.2f})" for r in top.itertuples())
                 + f" (linear R^2 = {d.R2.iloc[0]:.2f}); one at a time, the widest swings come from "
                 + ", ".join(f"`{r.parameter}` ({r.swing:.3f})" for r in o.itertuples()) + ".")
display(Markdown("\\n\\n".join(lines)))'''),
    ]
    return new_notebook(cells=cells, metadata=_meta())


def _meta() -> dict:
    return {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"}}


NOTEBOOKS = {
    "01_quickstart.ipynb": quickstart,
    "02_exclusivity_vs_interoperability.ipynb": scenarios,
    "03_sensitivity.ipynb": sensitivity,
}

if __name__ == "__main__":
    for name, build in NOTEBOOKS.items():
        nbformat.write(build(), HERE / name)
        print("wrote", HERE / name)
