"""Write notebook 04 (will Tencent approve Taobao Deals?) from the cell sources below (unexecuted).

    .venv/bin/python notebooks/make_notebook_04.py

With ``WG_SMALL=1`` (set by tests/test_notebook_04.py) the notebook plays a restricted game at
a small size in a temporary directory; without it, the full game of
``scenarios/games/taobao_deals.toml`` into ``results/game/`` (resumed if already played by
``walled-gardens game``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from make_notebooks import SETUP, _meta

HERE = Path(__file__).resolve().parent
NAME = "04_will_tencent_approve.ipynb"


def will_tencent_approve() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("""# Will Tencent approve Taobao Deals?

Alibaba offers a **Taobao Deals** mini-program inside WeChat, paid with WeChat Pay, and Tencent
must approve it (it had removed an earlier one). This notebook asks the model the question as a
game: the Alibaba group and the Tencent group each choose their walls at the start, and every
combination (a *profile*) is simulated with replications on draws of the calibration posterior,
under three regulatory regimes.

* **Alibaba**: exclusivity on Taobao and Ele.me (`excl` / `open`), WeChat Pay accepted there
  (`own` / `wxpay`), Taobao Deals offered (`offer` / `withdraw`).
* **Tencent** (WeChat, WeChat Pay, JD, Pinduoduo, Meituan): Taobao Deals approved (`approve` /
  `suspend`), rival links open in WeChat (`closed` / `links`), Alipay accepted by its allies
  (`own` / `alipay`).
* **Regimes**: no enforcement, SAMR-like ex post crackdown, DMA-like ex ante duties.

A player's payoff is its group's revenue net of expected fines, discounted over the run. A
profile is an equilibrium when no player gains by switching alone; payoff differences are
paired by sample (a replication's seed on a posterior draw, shared by every profile) and those
within their 95% confidence interval
are flagged, not read as preferences. The game file is `scenarios/games/taobao_deals.toml`;
`walled-gardens game` plays the same game from the command line."""),
        new_code_cell(SETUP),
        new_code_cell('''import tempfile

from plotly.subplots import make_subplots

from model import game as G
from model.game_config import load_game

game = load_game("scenarios/games/taobao_deals.toml")
if SMALL:  # a restricted game at a small size: Taobao Deals and two bundles of the other walls
    game = load_game("scenarios/games/taobao_deals.toml", {"size.consumers": 3000, "size.merchants": 300},
                     replications=1, posterior=2, steps=60)
    game = game.restrict({"alibaba": ["excl+own+offer", "excl+own+withdraw", "open+wxpay+offer", "open+wxpay+withdraw"],
                          "tencent": ["approve+closed+own", "suspend+closed+own", "approve+links+alipay",
                                      "suspend+links+alipay"]})
OUT = Path(tempfile.mkdtemp()) if SMALL else Path("results/game/taobao_deals")
alibaba, tencent = game.players
print(f"{' x '.join(map(str, game.shape))} profiles x {len(game.regimes)} regimes x {game.replications} "
      f"replications x {game.posterior} posterior draws = {game.runs()} runs, {game.steps} ticks each")
result = G.play(game, OUT, workers=2, progress=False)
solutions = {s.regime: s for s in result.solutions}
equilibria = pd.read_csv(OUT / G.EQUILIBRIA)
welfare = pd.read_csv(OUT / G.WELFARE)
G.definitions(game)'''),
        new_markdown_cell("""## The payoff matrices

Rows are Alibaba's strategies, columns Tencent's; each cell is the mean discounted payoff
(revenue net of expected fines per consumer per month). A star marks a pure equilibrium, an
open star a profile that is one only within noise."""),
        new_code_cell('''MARK = {"strict": "★", "weak": "★", "within noise": "☆", "not nash": ""}


def heatmaps(player: str) -> go.Figure:
    names = [r.name for r in game.regimes]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names, horizontal_spacing=0.08)
    for k, regime in enumerate(names):
        m = G.payoff_matrix(result, regime, player)
        status = equilibria[(equilibria.regime == regime) & (equilibria.kind == "pure")].pivot(
            index="strategy.alibaba", columns="strategy.tencent", values="status").loc[m.index, m.columns]
        text = m.map(lambda v: f"{1000 * v:.2f}") + status.map(lambda s: f" {MARK[s]}")
        fig.add_trace(go.Heatmap(z=m.to_numpy(), x=list(m.columns), y=list(m.index), text=text.to_numpy(),
                                 texttemplate="%{text}", coloraxis="coloraxis"), row=1, col=k + 1)
        fig.update_yaxes(autorange="reversed", showticklabels=k == 0, row=1, col=k + 1)
    fig.update_layout(title=f"Payoff of {player} (x 1000) by profile and regime", coloraxis=dict(colorscale="Viridis"),
                      height=260 + 30 * game.shape[0], width=1150)
    return fig


heatmaps("tencent").show()
heatmaps("alibaba").show()'''),
        new_markdown_cell("""## Equilibria per regime

Every pure equilibrium at the mean payoffs, with its status (`strict`: every deviation loses
beyond noise; `weak`: or changes nothing; `within noise`: the status turns on a difference
within its interval), its regret interval and `p_nash` (the share of bootstrap resamples of the
replications in which it is an equilibrium), plus any mixed equilibrium (nashpy) and the
profiles that are equilibria only within noise."""),
        new_code_cell('''cols = ["regime", "kind", "strategy.alibaba", "strategy.tencent", "status", "regret", "regret_hi", "p_nash",
        "best_deviation", "gain", "gain_lo", "gain_hi", "welfare_gap"]
shown = equilibria[equilibria.nash | (equilibria.status == "within noise")][cols]
shown.round(6)'''),
        new_markdown_cell("""## The cost of walled gardens

Consumer surplus, merchant reach and payment shares at each equilibrium against the profile
with the highest total welfare (consumer surplus + merchant profit + platform revenue, gross
of fines) in the same regime; the welfare gap is paired by replication."""),
        new_code_cell('''metrics = ["consumer_surplus", "merchant_profit", "platform_revenue", "welfare", "reach_mean",
           *[c for c in welfare.columns if c.startswith("pay_share_value_") and not c.endswith(("_lo", "_hi"))]]
gap = welfare[welfare.role != "welfare maximum"]
fig = go.Figure(go.Bar(x=[f"{r.regime}: {r.profile}" for r in gap.itertuples()], y=gap.welfare_gap,
                       error_y=dict(type="data", symmetric=False, array=gap.welfare_gap_hi - gap.welfare_gap,
                                    arrayminus=gap.welfare_gap - gap.welfare_gap_lo)))
fig.update_layout(title="Welfare lost at each equilibrium (95% CI)", yaxis_title="per consumer per month")
fig.show()
welfare[["regime", "role", "profile", *metrics, "welfare_gap", "welfare_gap_lo", "welfare_gap_hi"]].round(4)'''),
        new_markdown_cell("""## Is approving Tencent's best response?

Against Alibaba offering Taobao Deals (with the other walls of its equilibrium strategy, or of
its first strategy if no equilibrium exists), Tencent's best strategy that approves is compared
with its best strategy that suspends, paired by replication."""),
        new_code_cell('''def offering(regime: str) -> str:
    """Alibaba's equilibrium strategy in this regime with Taobao Deals offered."""
    sol = solutions[regime]
    nash = list(zip(*np.nonzero(sol.deviations.nash)))
    name = alibaba.strategies[nash[0][0]].name if nash else alibaba.strategies[0].name
    return name.replace("withdraw", "offer")


APPROVE = [s for s in tencent.strategy_names() if s.startswith("approve")]
SUSPEND = [s for s in tencent.strategy_names() if s.startswith("suspend")]
approval = pd.DataFrame([{**G.contrast(result, r.name, "tencent", APPROVE, SUSPEND, {"alibaba": offering(r.name)}),
                          "alibaba": offering(r.name)} for r in game.regimes])
approval.round(6)'''),
        new_markdown_cell("""## Under which fines and detection rates?

The ex post regime swept over the fine (`regulator.fine_rate`, the law allows 1-10% of
annual revenue) and the detection rate (`regulator.strength`, which multiplies the odds of an
investigation), with Alibaba offering Taobao Deals as above. Each cell is Tencent's payoff
from its best approving strategy minus its best suspending one; the mark says whether
approval (A) or suspension (S) is the best response beyond noise, or neither (~)."""),
        new_code_cell('''FINES = [0.01, 0.04, 0.10]
STRENGTHS = [0.5, 3.0, 10.0]
post = game.regime("ex_post").overrides
grid = {f"fine={f:g}, strength={s:g}": {**post, "regulator.fine_rate": f, "regulator.strength": s}
        for f in FINES for s in STRENGTHS}
swept = game.restrict({"alibaba": [offering("ex_post")]}).with_regimes(grid)
sweep_dir = OUT.parent / f"{OUT.name}_sweep"
sweep = G.play(swept, sweep_dir, workers=2, progress=False)
rows = []
for (f, s), name in zip([(f, s) for f in FINES for s in STRENGTHS], grid):
    c = G.contrast(sweep, name, "tencent", APPROVE, SUSPEND, {"alibaba": offering("ex_post")})
    rows.append({"fine_rate": f, "strength": s, **c})
table = pd.DataFrame(rows)
mark = {"first": "A", "second": "S", "within noise": "~"}
z = table.pivot(index="fine_rate", columns="strength", values="diff")
text = table.pivot(index="fine_rate", columns="strength", values="best_response").map(mark.get)
fig = go.Figure(go.Heatmap(z=1000 * z.to_numpy(), x=[str(s) for s in z.columns], y=[f"{f:.0%}" for f in z.index],
                           text=(z.map(lambda v: f"{1000 * v:+.3f} ") + text).to_numpy(), texttemplate="%{text}",
                           colorscale="RdBu", zmid=0))
fig.update_layout(title="Tencent: best approving minus best suspending payoff (x 1000), ex post regime",
                  xaxis_title="detection (regulator.strength)", yaxis_title="fine (share of annual revenue)")
fig.show()
table[["fine_rate", "strength", "best_first", "best_second", "diff", "lo", "hi", "best_response"]].round(6)'''),
        new_markdown_cell("## The answer, in numbers from these runs"),
        new_code_cell('''def verdict(row) -> str:
    if row.best_response == "first":
        return "approves"
    if row.best_response == "second":
        return "suspends"
    return "is indifferent within noise"


def eq_text(regime: str) -> str:
    e = equilibria[(equilibria.regime == regime) & equilibria.nash]
    if e.empty:
        return "no equilibrium at the mean payoffs"
    parts = []
    for r in e.to_dict("records"):
        if r["kind"] == "pure":
            a, t = r["strategy.alibaba"], r["strategy.tencent"]
            deals = "offers" if a.endswith("offer") else "withdraws"
            approve = "approves" if t.startswith("approve") else "suspends"
            parts.append(f"Alibaba `{a}` vs Tencent `{t}` (Alibaba {deals} Taobao Deals, Tencent {approve}; "
                         f"{r['status']}, p_nash {r['p_nash']:.2f})")
        else:
            parts.append(f"a mixed equilibrium {r['profile']}")
    return "; ".join(parts)


lines = []
for r in approval.itertuples():
    lines.append(f"* **{r.regime}**: equilibria: {eq_text(r.regime)}. Against Alibaba offering (`{r.alibaba}`), "
                 f"Tencent {verdict(r)}: best approving minus best suspending payoff {1000 * r.diff:+.3f} "
                 f"(95% CI {1000 * r.lo:+.3f} to {1000 * r.hi:+.3f}, x 1000).")
yes = table[table.best_response == "first"]
n_no, n_noise = (table.best_response == "second").sum(), (table.best_response == "within noise").sum()
where = ", ".join(f"fine {r.fine_rate:.0%} with detection {r.strength:g}" for r in yes.itertuples())
sweep_text = (f"approval is Tencent's best response beyond noise at {where} ({len(yes)} of {len(table)})" if len(yes)
              else f"approval is not Tencent's best response beyond noise at any of the {len(table)} combinations")
sweep_text += f"; suspension is at {n_no}, and at {n_noise} the difference is within noise"
w = welfare[welfare.role != "welfare maximum"]
cost = "; ".join(f"{r.regime}, {r.profile}: {r.welfare_gap:.4f} (95% CI {r.welfare_gap_lo:.4f} to "
                 f"{r.welfare_gap_hi:.4f})" for r in w.itertuples())
display(Markdown(f"""
**Would Tencent approve?** Per regime ({game.replications} replications x {game.posterior} posterior draws
of {game.steps} months,
{game.fixed.get("size.consumers", "the baseline's")} consumers):

{chr(10).join(lines)}

**Fines and detection.** Against Alibaba offering, in the ex post regime swept over fines of 1-10% and three
detection rates, {sweep_text}. In this model the ex post regulator
sanctions exclusivity and blocked links, not a refused mini-program, so fines reach approval only through the
walls it is bundled with; the ex ante regime orders approval for designated gatekeepers.

**The cost of walled gardens** (welfare of the best profile minus welfare at each equilibrium, per consumer
per month): {cost}.

Uncertainty: the intervals are across {game.samples} paired samples, each a replication's seed on a draw of the
calibration posterior (`{Path(game.posterior_file).name}`), so they cover the parameters' uncertainty as well as
seed noise, within the model's mechanisms; a small run (WG_SMALL) has too few samples for much confidence.
"""))'''),
    ]
    return new_notebook(cells=cells, metadata=_meta())


if __name__ == "__main__":
    nbformat.write(will_tencent_approve(), HERE / NAME)
    print("wrote", HERE / NAME)
