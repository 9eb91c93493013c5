"""The game page: one self-contained, offline plotly HTML file for a solved game directory.

Read from the tables :mod:`model.game` wrote (``game.json``, ``payoffs.csv``,
``equilibria.csv``, ``welfare.csv``), nothing is recomputed.  Per regime: the payoff
matrices as heatmaps and every profile's regret (two players; a regret chart otherwise),
the equilibria with their noise status, and the outcomes at each equilibrium against the
welfare-maximising profile.  plotly.js is embedded once, so the page opens without a network.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from .config_errors import ConfigError
from .equilibria import STATUS
from .game import EQUILIBRIA, GAME_JSON, PAYOFFS, WELFARE

PAGE = "game.html"
MARK = {"strict": "★", "weak": "★", "within noise": "☆", "not nash": ""}
SHOWN = ["consumer_surplus", "merchant_profit", "platform_revenue", "welfare", "reach_mean"]


class _Figures:
    """Figures as HTML fragments; the first one carries plotly.js."""

    def __init__(self) -> None:
        self.first = True

    def html(self, fig) -> str:
        frag = fig.to_html(full_html=False, include_plotlyjs=self.first,
                           config={"responsive": True, "displaylogo": False})
        self.first = False
        return frag


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="", border=0, classes="t",
                      escape=True)


def _heatmaps(figs: _Figures, pay: pd.DataFrame, eqs: pd.DataFrame, players: list[str]) -> str:
    """Both players' payoffs and the regret of every profile (rows: the first player's strategies)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    a, b = players
    rows = list(dict.fromkeys(pay[f"strategy.{a}"]))
    cols = list(dict.fromkeys(pay[f"strategy.{b}"]))
    titles = [f"payoff of {a}", f"payoff of {b}", "regret (★ equilibrium, ☆ within noise)"]
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.12)
    pure = eqs[eqs.kind == "pure"]
    for k, (who, frame, col) in enumerate([(a, pay, "mean"), (b, pay, "mean"), (None, pure, "regret")]):
        data = frame[frame.player == who] if who else frame
        z = data.pivot(index=f"strategy.{a}", columns=f"strategy.{b}", values=col).loc[rows, cols]
        text = z.map(lambda v: f"{v:.4g}")
        if who is None:
            mark = pure.pivot(index=f"strategy.{a}", columns=f"strategy.{b}", values="status").loc[rows, cols]
            text = text + mark.map(lambda s: f" {MARK.get(s, '')}")
        fig.add_trace(go.Heatmap(z=z.to_numpy(), x=cols, y=rows, text=text.to_numpy(), texttemplate="%{text}",
                                 colorscale="Viridis" if who else "Reds", showscale=False,
                                 hovertemplate=f"{a}=%{{y}}<br>{b}=%{{x}}<br>%{{z:.5g}}<extra></extra>"),
                      row=1, col=k + 1)
        fig.update_xaxes(title_text=b, row=1, col=k + 1)
        fig.update_yaxes(title_text=a if k == 0 else None, showticklabels=k == 0, autorange="reversed",
                         row=1, col=k + 1)
    fig.update_layout(height=300 + 28 * len(rows), margin=dict(l=10, r=10, t=40, b=10))
    return figs.html(fig)


def _regret_bars(figs: _Figures, eqs: pd.DataFrame) -> str:
    import plotly.graph_objects as go

    pure = eqs[eqs.kind == "pure"].sort_values("regret")
    fig = go.Figure(go.Bar(x=pure.profile, y=pure.regret, error_y=dict(
        type="data", symmetric=False, array=pure.regret_hi - pure.regret, arrayminus=pure.regret - pure.regret_lo)))
    fig.update_layout(title="Regret of every profile (bootstrap 95% interval)", height=400,
                      margin=dict(l=10, r=10, t=40, b=10))
    return figs.html(fig)


def _gap_chart(figs: _Figures, welfare: pd.DataFrame) -> str:
    """The cost of walled gardens: welfare lost at each equilibrium against the best profile."""
    import plotly.graph_objects as go

    eqs = welfare[welfare.role != "welfare maximum"]
    if eqs.empty:
        return "<p>No equilibrium found in any regime.</p>"
    fig = go.Figure(go.Bar(x=[f"{r.regime}: {r.profile}" for r in eqs.itertuples()], y=eqs.welfare_gap,
                           error_y=dict(type="data", symmetric=False, array=eqs.welfare_gap_hi - eqs.welfare_gap,
                                        arrayminus=eqs.welfare_gap - eqs.welfare_gap_lo)))
    fig.update_layout(title="Welfare gap: welfare-maximising profile minus equilibrium (95% interval, paired)",
                      yaxis_title="per consumer per month", height=420, margin=dict(l=10, r=10, t=40, b=10))
    return figs.html(fig)


def _setup(body: dict) -> str:
    g = body["game"]
    items = []
    for p in g["players"]:
        strategies = "".join(f"<li><code>{html.escape(s['name'])}</code>: {html.escape(_keys(s['overrides']))}</li>"
                             for s in p["strategies"])
        items.append(f"<li><b>{html.escape(p['name'])}</b> (platforms {html.escape(', '.join(p['platforms']))}):"
                     f"<ul>{strategies}</ul></li>")
    regimes = "".join(f"<li><code>{html.escape(r['name'])}</code>: {html.escape(_keys(r['overrides']))}</li>"
                      for r in g["regimes"])
    fixed = html.escape(_keys(g["fixed"])) or "none"
    post = body.get("posterior")
    runs = (f"{_runs(body)} of <code>{html.escape(Path(post['file']).name)}</code> (parameter and seed uncertainty)"
            if post else f"{_runs(body)} (seed noise only: one parameter point)")
    return (f"<p>Base scenario <code>{html.escape(Path(g['base']).name)}</code>; {runs} "
            f"of {g['steps']} ticks per profile and regime; master seed {g['seed']}; keys set in every run: "
            f"{fixed}.</p><h3>Players and strategies</h3><ul>{''.join(items)}</ul>"
            f"<h3>Regimes</h3><ul>{regimes}</ul>")


def _runs(body: dict) -> str:
    """``2 replications x 5 posterior draws`` (or ``10 replications``) of a game.json body."""
    post = body.get("posterior")
    return f"{body['game']['replications']} replications" + (f" x {post['draws']} posterior draws" if post else "")


def _keys(d: dict) -> str:
    return ", ".join(f"{k} = {json.dumps(v)}" for k, v in d.items())


def build_game_page(game_dir: Path | str, path: Path | str | None = None) -> Path:
    """Write ``game_dir/game.html`` (or ``path``) from a solved game directory; returns its path."""
    game_dir = Path(game_dir)
    files = [game_dir / f for f in (GAME_JSON, PAYOFFS, EQUILIBRIA, WELFARE)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise ConfigError(f"{game_dir}: no {', '.join(missing)}: not a solved game directory "
                          f"(run `walled-gardens game GAME.toml --out {game_dir}`)")
    body = json.loads(files[0].read_text())
    pay, eqs, welfare = (pd.read_csv(f) for f in files[1:])
    players = [p["name"] for p in body["game"]["players"]]
    figs = _Figures()
    parts = [f"<h2>The cost of walled gardens</h2>{_gap_chart(figs, welfare)}"]
    for regime in dict.fromkeys(eqs.regime):
        e, w = eqs[eqs.regime == regime], welfare[welfare.regime == regime]
        chart = (_heatmaps(figs, pay[pay.regime == regime], e, players) if len(players) == 2
                 else _regret_bars(figs, e))
        cols = ["profile", "kind", "status", "regret", "regret_lo", "regret_hi", "p_nash", "best_deviation",
                "gain", "gain_lo", "gain_hi", *[f"payoff.{p}" for p in players], "welfare_gap"]
        found = e[e.nash | (e.status == "within noise")][cols]
        shown = [c for c in SHOWN + [c for c in w.columns if c.startswith("pay_share_value_")
                                     and not c.endswith(("_lo", "_hi"))] if c in w.columns]
        wt = w[["role", "profile", *shown, "welfare_gap", "welfare_gap_lo", "welfare_gap_hi"]]
        note = next((n for n in e.get("note", pd.Series(dtype=str)).dropna() if n), "")
        parts.append(f"<h2>Regime <code>{html.escape(str(regime))}</code></h2>{chart}"
                     f"<h3>Equilibria and profiles within noise of one</h3>"
                     f"{_table(found) if len(found) else '<p>None.</p>'}"
                     + (f"<p><i>{html.escape(note)}</i></p>" if note else "")
                     + f"<h3>Outcomes at the equilibria and at the welfare maximum</h3>{_table(wt)}")
    defs = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in body["definitions"].items())
    status = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in STATUS.items())
    g = body["game"]
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Game {html.escape(g['name'])}</title>
<style>body{{font-family:sans-serif;margin:1.5em;max-width:1400px}} table.t{{border-collapse:collapse;font-size:12px}}
table.t td,table.t th{{border-bottom:1px solid #ddd;padding:2px 6px;text-align:right}}</style></head><body>
<h1>Empirical game: {html.escape(g['name'])}</h1><p>{html.escape(g['description'])}</p>
<h2>Definitions</h2><ul>{defs}</ul><p>Status of a profile:</p><ul>{status}</ul>
{_setup(body)}
{''.join(parts)}
<p>All tables are in {PAYOFFS}, {EQUILIBRIA}, {WELFARE} and outcomes.csv beside this page.</p>
</body></html>"""
    target = Path(path) if path is not None else game_dir / PAGE
    target.write_text(page, encoding="utf-8")
    return target


# --------------------------------------------------------------------------- the main report's link
def is_solved(game_dir: Path) -> bool:
    """A directory `walled-gardens game` has run and solved (its game.json and equilibria.csv)."""
    return (game_dir / GAME_JSON).is_file() and (game_dir / EQUILIBRIA).is_file()


def find_games(out: Path | str) -> list[Path]:
    """Solved game directories under a batch directory: ``out/game/*`` (where ``walled-gardens game``
    writes by default, so ``results/report.html`` finds ``results/game/taobao_deals``)."""
    root = Path(out) / "game"
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if is_solved(d))


def games_section(games: list[Path], report: Path) -> str:
    """The main report's section on solved games: a link to each game page (built if missing) and its
    equilibria per regime, in one line each."""
    import os

    if not games:
        return ""
    items = []
    for d in games:
        page = d / PAGE
        if not page.is_file():
            build_game_page(d)
        body = json.loads((d / GAME_JSON).read_text())
        eqs = pd.read_csv(d / EQUILIBRIA)
        lines = []
        for regime in dict.fromkeys(eqs.regime):
            e = eqs[(eqs.regime == regime) & eqs.nash]
            near = int(((eqs.regime == regime) & (eqs.status == "within noise")).sum())
            found = "; ".join(f"<code>{html.escape(str(p))}</code> ({html.escape(str(s))})"
                              for p, s in zip(e.profile, e.status)) or "no equilibrium"
            lines.append(f"<li>regime <code>{html.escape(str(regime))}</code>: {found}"
                         + (f"; {near} profile(s) within noise of one" if near else "") + "</li>")
        href = Path(os.path.relpath(page, report.parent)).as_posix()
        items.append(f"<li><a href='{html.escape(href)}'><b>{html.escape(body['game']['name'])}</b></a>: "
                     f"{html.escape(body['game'].get('description', ''))} ({_runs(body)} per profile)<ul>{''.join(lines)}</ul></li>")
    return ("<h2>The platforms' policy game</h2><p class='meta'>Solved games (<code>walled-gardens game</code>): "
            "each link opens the game's page (payoff matrices, regrets, the cost of walled gardens per "
            f"regime).</p><ul>{''.join(items)}</ul>")
