"""Interactive browser visualization (Mesa SolaraViz).

Launch with ``walled-gardens viz`` (binds 127.0.0.1:8765, serves vendored
front-end assets, works offline) or ``solara run model/app.py``.

The sidebar holds Mesa's controls (Reset, Play, Step) and the model
parameters: a scenario file, switches for exclusivity, payment and
link/mini-program interoperability, the regulator's strength, sizes and seed.
Changing a parameter builds a new model at once (time back to 0); choosing a
scenario first sets the switches to that scenario's own starting policy, so
with untouched switches the model is exactly the scenario file.

The main view: plotly line charts (payment share per wallet, merchant reach,
concentration, multi-homing), a network view of a sample of consumers and
merchants, and the regulator's actions and the policies in force.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

if not __package__:
    # `solara run model/app.py` executes this file as a script with model/ first on
    # sys.path, where `import model` would find model/model.py instead of the package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))
    if getattr(sys.modules.get("model"), "__path__", None) is None:
        sys.modules.pop("model", None)

import ipyvuetify
import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import solara
import traitlets
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from model import config as config_mod
from model.model import WalledGardens

REPO = Path(__file__).resolve().parent.parent
SCENARIO_DIR = REPO / "scenarios"
DEFAULT_SCENARIO = "baseline"
DEFAULTS = {
    "scenario_name": DEFAULT_SCENARIO,
    "exclusivity": True,
    "payment_interop": False,
    "link_interop": False,
    "regulator_strength": 0.0,
    "consumers": 3000,
    "merchants": 300,
    "seed": "42",
}
SAMPLE_CONSUMERS = 150
SAMPLE_MERCHANTS = 30

WALLET_COLORS = {"alipay": "#1677ff", "wechat_pay": "#07c160", "unionpay": "#d62728"}
GROUP_COLORS = {"alibaba": "#ff6a00", "tencent": "#17becf", "multi-homing": "#9467bd", "not listed": "#b0b0b0"}
PALETTE = ["#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#2ca02c", "#ff7f0e", "#1f77b4"]
NO_WALLET = "#c8c8c8"


def scenario_names() -> list[str]:
    """Scenario files offered in the viz: scenarios/*.toml (not sub-folders)."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: n != DEFAULT_SCENARIO)  # default first


def scenario_path(name: str) -> Path:
    path = SCENARIO_DIR / f"{name}.toml"
    if not path.is_file():
        raise config_mod.ConfigError(f"{path}: file not found; allowed: {scenario_names()}")
    return path


def scenario_policy(name: str) -> dict:
    """The switches' values that reproduce a scenario's own starting policy."""
    cfg = config_mod.load(scenario_path(name))
    wallets = set(cfg.wallet_names())
    markets = [m for p in cfg.platforms.values() for m in p.marketplaces.values()]
    social = [p for p in cfg.platforms.values() if p.social]
    return {
        "exclusivity": any(p.exclusivity for p in cfg.platforms.values()),
        "payment_interop": bool(markets) and all(set(m.accepts) >= wallets for m in markets),
        "link_interop": bool(social) and all(p.admits_rival_links and p.admits_rival_apps for p in social),
        "regulator_strength": float(cfg.regulator.strength) if cfg.regulator.mode != "off" else 0.0,
    }


def policy_overrides(name: str, exclusivity: bool, payment_interop: bool, link_interop: bool,
                     regulator_strength: float) -> dict:
    """Dotted config overrides that put the switches into a scenario.

    exclusivity off: no platform demands exclusivity (on: the scenario's demands);
    payment interop on: every marketplace accepts every wallet from tick 0;
    link interop on: every super-app admits rival links and mini-programs from tick 0;
    regulator strength 0: regulator off; > 0: that strength, in the scenario's mode
    (ex_post when the scenario has none).  Switches left at the scenario's own
    values change nothing; later timeline events still apply.
    """
    cfg = config_mod.load(scenario_path(name))
    out: dict = {}
    wallets = cfg.wallet_names()
    for pname, p in cfg.platforms.items():
        if not exclusivity and p.exclusivity:
            out[f"platforms.{pname}.exclusivity"] = False
        if payment_interop:
            for mname in p.marketplaces:
                out[f"platforms.{pname}.marketplaces.{mname}.accepts"] = list(wallets)
        if link_interop and p.social:
            out[f"platforms.{pname}.admits_rival_links"] = True
            out[f"platforms.{pname}.admits_rival_apps"] = True
    strength = float(regulator_strength)
    if strength <= 0:
        out["regulator.mode"] = "off"
    else:
        out["regulator.strength"] = strength
        if cfg.regulator.mode == "off":
            out["regulator.mode"] = "ex_post"
    return out


def _plain(value):
    """Parameter values may arrive as the sidebar's reactive variables (see model_params)."""
    return value.value if isinstance(value, solara.Reactive) else value


def _seed(value) -> int:
    try:
        return max(int(str(value).strip()), 0)
    except ValueError:
        raise ValueError(f"seed must be a whole number >= 0, got {value!r}") from None


class VizModel(WalledGardens):
    """WalledGardens built from the viz's flat parameters.

    Mesa's SolaraViz re-creates the model as ``VizModel(**params)``.  (The
    scenario parameter is called ``scenario_name`` because SolaraViz treats a
    ``scenario`` argument as a mesa Scenario object.)  Runs stop at the
    scenario's ``size.steps``.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, exclusivity: bool = True,
                 payment_interop: bool = False, link_interop: bool = False, regulator_strength: float = 0.0,
                 consumers: int = 3000, merchants: int = 300, seed: int | str = 42, rng: int | None = None):
        name = _plain(scenario_name)
        seed = _seed(_plain(rng) if _plain(rng) is not None else _plain(seed))
        self.settings = {
            "scenario_name": name,
            "exclusivity": bool(_plain(exclusivity)),
            "payment_interop": bool(_plain(payment_interop)),
            "link_interop": bool(_plain(link_interop)),
            "regulator_strength": float(_plain(regulator_strength)),
            "consumers": int(_plain(consumers)),
            "merchants": int(_plain(merchants)),
            "seed": str(seed),
        }
        s = self.settings
        overrides = policy_overrides(name, s["exclusivity"], s["payment_interop"], s["link_interop"],
                                     s["regulator_strength"])
        overrides |= {"size.consumers": s["consumers"], "size.merchants": s["merchants"]}
        super().__init__(scenario_path(name), seed=seed, overrides=overrides, agents=True)
        self.horizon = self.cfg.size.steps
        self.sample = NetworkSample.build(self)

    def step(self) -> None:
        super().step()
        if self.time >= self.horizon:
            self.running = False


# -- figures (plain functions: usable in notebooks and tests) ------------------

def wallet_color(name: str, i: int) -> str:
    return WALLET_COLORS.get(name, PALETTE[i % len(PALETTE)])


def _line_figure(model: WalledGardens, title: str, yaxis: str, height: int = 360) -> go.Figure:
    """An empty line chart whose x axis spans the scenario's run (lines grow left to right)."""
    horizon = max(int(model.cfg.size.steps), int(model.time), 1)
    fig = go.Figure()
    fig.update_layout(title=dict(text=title, x=0.02, y=0.98, font=dict(size=14)), height=height,
                      margin=dict(l=55, r=10, t=32, b=30), template="plotly_white",
                      legend=dict(orientation="h", yanchor="top", y=-0.12, x=0, font=dict(size=10)),
                      yaxis_title=yaxis, uirevision="keep")
    fig.update_xaxes(range=[0, horizon], title=dict(text="tick (month)", standoff=2, font=dict(size=11)))
    return fig


def _series(model: WalledGardens) -> pd.DataFrame:
    return model.results()


def _mode(df: pd.DataFrame) -> str:
    return "lines" if len(df) > 1 else "markers"  # a lone tick-0 point is invisible as a line


def payment_share_figure(model: WalledGardens) -> go.Figure:
    """Share of payment value per wallet over time (dotted: share of transaction count)."""
    df = _series(model)
    fig = _line_figure(model, "Payment share by wallet", "share of payment value")
    for i, w in enumerate(model.market.wallets):
        color = wallet_color(w, i)
        fig.add_scatter(x=df["tick"], y=df[f"pay_share_value_{w}"], mode=_mode(df), name=w,
                        line=dict(color=color, width=2.5))
        fig.add_scatter(x=df["tick"], y=df[f"pay_share_count_{w}"], mode=_mode(df), name=f"{w} (count)",
                        line=dict(color=color, width=1, dash="dot"), showlegend=False)
    fig.update_yaxes(range=[0, 1])
    _mark_actions(fig, model)
    return fig


MARKED_ACTIONS = ("fine", "designate_gatekeeper")


def _mark_actions(fig: go.Figure, model: WalledGardens) -> None:
    """Dotted vertical lines at fines, gatekeeper designations and timeline events."""
    ticks = sorted({a["tick"] for a in model.regulator.actions
                    if a["action"] in MARKED_ACTIONS or a["action"].startswith("event:")})
    for t in ticks:
        fig.add_vline(x=t, line=dict(color="#888", width=1, dash="dot"))


def reach_figure(model: WalledGardens) -> go.Figure:
    """Merchant reach: mean and 10-90% band of the share of consumers able to buy from a merchant."""
    df = _series(model)
    fig = _line_figure(model, "Merchant reach", "share of consumers reachable")
    fig.add_scatter(x=df["tick"], y=df["reach_p90"], mode=_mode(df), line=dict(width=0, color="#7f7f7f"),
                    name="p90", showlegend=False)
    fig.add_scatter(x=df["tick"], y=df["reach_p10"], mode=_mode(df), line=dict(width=0, color="#7f7f7f"),
                    fill="tonexty", fillcolor="rgba(31,119,180,0.18)", name="p10-p90")
    fig.add_scatter(x=df["tick"], y=df["reach_p50"], mode=_mode(df), name="median",
                    line=dict(color="#1f77b4", dash="dash"))
    fig.add_scatter(x=df["tick"], y=df["reach_mean"], mode=_mode(df), name="mean", line=dict(color="#1f77b4", width=2.5))
    fig.update_yaxes(range=[0, 1])
    return fig


def hhi_figure(model: WalledGardens) -> go.Figure:
    """Herfindahl-Hirschman index (0-10,000) of payments and of marketplaces."""
    df = _series(model)
    fig = _line_figure(model, "Concentration (HHI)", "HHI (0-10,000)")
    fig.add_scatter(x=df["tick"], y=df["hhi_value"], mode=_mode(df), name="payments (value)",
                    line=dict(color="#1f77b4", width=2.5))
    fig.add_scatter(x=df["tick"], y=df["hhi_count"], mode=_mode(df), name="payments (count)",
                    line=dict(color="#1f77b4", dash="dot"))
    fig.add_scatter(x=df["tick"], y=df["hhi_marketplace"], mode=_mode(df), name="marketplaces (GMV)",
                    line=dict(color="#ff6a00", width=2.5))
    fig.update_yaxes(range=[0, 10_000])
    return fig


def multihoming_figure(model: WalledGardens) -> go.Figure:
    """Multi-homing of consumers (wallets, marketplaces) and merchants; merchants under exclusivity."""
    df = _series(model)
    fig = _line_figure(model, "Multi-homing", "share")
    for col, label, color in (("consumer_wallet_multihoming", "consumers: 2+ wallets", "#07c160"),
                              ("consumer_market_multihoming", "consumers: 2+ markets", "#1677ff"),
                              ("merchant_multihoming", "merchants: 2+ markets", "#9467bd"),
                              ("merchant_exclusive_share", "merchants exclusive", "#ff6a00")):
        fig.add_scatter(x=df["tick"], y=df[col], mode=_mode(df), name=label, line=dict(color=color, width=2))
    fig.update_yaxes(range=[0, 1])
    return fig


class NetworkSample:
    """A fixed sample for the network view: a connected neighbourhood of consumers
    (breadth-first over social contacts) and evenly spread merchants, laid out once."""

    def __init__(self, consumers: np.ndarray, edges: list[tuple[int, int]], pos: np.ndarray,
                 merchants: np.ndarray, merchant_pos: np.ndarray):
        self.consumers, self.edges, self.pos = consumers, edges, pos
        self.merchants, self.merchant_pos = merchants, merchant_pos

    @classmethod
    def build(cls, model: WalledGardens, n_consumers: int = SAMPLE_CONSUMERS,
              n_merchants: int = SAMPLE_MERCHANTS) -> NetworkSample:
        contacts = model.consumers.contacts
        n = contacts.shape[0]
        start = int(np.random.default_rng(model.seed).integers(n))
        seen, order, frontier = {start}, [start], [start]
        while frontier and len(order) < n_consumers:
            nxt = []
            for i in frontier:
                for j in contacts[i]:
                    j = int(j)
                    if j not in seen and len(order) < n_consumers:
                        seen.add(j)
                        order.append(j)
                        nxt.append(j)
            frontier = nxt
        sample = np.array(order)
        index = {c: k for k, c in enumerate(order)}
        edges = sorted({(min(index[i], index[int(j)]), max(index[i], index[int(j)]))
                        for i in order for j in contacts[i] if int(j) in index and int(j) != i})
        g = nx.Graph()
        g.add_nodes_from(range(len(order)))
        g.add_edges_from(edges)
        layout = nx.spring_layout(g, seed=model.seed % (2**32), iterations=60)
        pos = np.array([layout[k] for k in range(len(order))])
        m = model.merchants.lists.shape[0]
        merchants = np.unique(np.linspace(0, m - 1, min(n_merchants, m)).astype(int))
        # merchants in a row below the consumer cloud
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        pos = (pos - lo) / np.maximum(hi - lo, 1e-9) * 2 - 1  # consumers fill [-1, 1]^2
        merchant_pos = np.column_stack([np.linspace(-1, 1, len(merchants)), np.full(len(merchants), -1.3)])
        return cls(sample, edges, pos, merchants, merchant_pos)


def merchant_category(model: WalledGardens, lists_row: np.ndarray) -> str:
    """'not listed', the alliance a merchant sells through, or 'multi-homing' (2+ alliances)."""
    groups = {model.market.groups[g] for g in model.market.market_group[lists_row]}
    if not groups:
        return "not listed"
    return groups.pop() if len(groups) == 1 else "multi-homing"


def network_figure(model: WalledGardens, sample: NetworkSample | None = None) -> go.Figure:
    """Consumers (circles, colored by main wallet) with their contacts, and merchants
    (squares, colored by the alliance(s) whose marketplaces they list on; diamonds:
    under an exclusivity deal)."""
    sample = sample or getattr(model, "sample", None) or NetworkSample.build(model)
    mk, cons, mer = model.market, model.consumers, model.merchants
    fig = go.Figure()
    fig.update_layout(title=dict(text=f"Network sample: {len(sample.consumers)} consumers, "
                                      f"{len(sample.merchants)} merchants", x=0.02, y=0.98, font=dict(size=14)),
                      height=360, margin=dict(l=10, r=10, t=32, b=10), template="plotly_white",
                      xaxis=dict(visible=False), yaxis=dict(visible=False), uirevision="keep",
                      legend=dict(font=dict(size=10), orientation="h", x=0, y=0, yanchor="top"))
    xs, ys = [], []
    for a, b in sample.edges:
        xs += [sample.pos[a, 0], sample.pos[b, 0], None]
        ys += [sample.pos[a, 1], sample.pos[b, 1], None]
    fig.add_scatter(x=xs, y=ys, mode="lines", line=dict(color="rgba(120,120,120,0.35)", width=0.7),
                    hoverinfo="skip", showlegend=False, name="contacts")
    main = cons.last_wallet[sample.consumers].astype(int)
    holds, uses = cons.holds[sample.consumers], cons.uses[sample.consumers]
    for w in [*range(mk.n_wallets), -1]:
        sel = np.flatnonzero(main == w)
        name = mk.wallets[w] if w >= 0 else "no purchase"
        text = [f"consumer {sample.consumers[k]}<br>main wallet: {name}<br>holds: "
                f"{', '.join(np.array(mk.wallets)[holds[k]]) or '-'}<br>uses: "
                f"{', '.join(np.array(mk.marketplaces)[uses[k]]) or '-'}" for k in sel]
        fig.add_scatter(x=sample.pos[sel, 0], y=sample.pos[sel, 1], mode="markers", name=f"consumer: {name}",
                        marker=dict(size=8, color=wallet_color(name, w) if w >= 0 else NO_WALLET,
                                    line=dict(width=0.5, color="white")),
                        text=text, hoverinfo="text", legendgroup="consumers")
    lists = mer.lists[sample.merchants]
    cats = [merchant_category(model, row) for row in lists]
    exclusive = mer.exclusive[sample.merchants]
    order = list(dict.fromkeys([*GROUP_COLORS, *sorted(set(cats))]))
    for i, cat in enumerate(order):
        sel = np.array([k for k, c in enumerate(cats) if c == cat], dtype=int)
        if sel.size == 0:
            continue
        color = GROUP_COLORS.get(cat, PALETTE[i % len(PALETTE)])
        text = [f"merchant {sample.merchants[k]}<br>lists on: "
                f"{', '.join(np.array(mk.marketplaces)[lists[k]]) or '-'}"
                f"{'<br>under exclusivity' if exclusive[k] else ''}" for k in sel]
        fig.add_scatter(x=sample.merchant_pos[sel, 0], y=sample.merchant_pos[sel, 1], mode="markers",
                        name=f"merchant: {cat}", text=text, hoverinfo="text", legendgroup="merchants",
                        marker=dict(size=11, color=color, line=dict(width=1, color="#333"),
                                    symbol=["diamond" if exclusive[k] else "square" for k in sel]))
    return fig


# -- regulator panel -----------------------------------------------------------

def policy_table(model: WalledGardens) -> pd.DataFrame:
    """The policies in force now, one row per platform."""
    rows = []
    now = int(model.time)
    for p in model.platforms:
        if p.exclusivity_in_force:
            excl = "in force"
        elif p.exclusivity and p.exclusivity_banned:
            excl = "banned"
        elif p.exclusivity and now < p.remedy_until:
            excl = f"remedy until {p.remedy_until}"
        else:
            excl = "off"
        accepts = "; ".join(f"{k}: {'+'.join(ws) or '-'}" for k, ws in p.accepts.items())
        links = ("links " + ("open" if p.admits_rival_links else "blocked") + ", mini-programs "
                 + ("open" if p.admits_rival_apps else "blocked")) if p.cfg.social else ""
        rows.append({"platform": p.name, "exclusivity": excl, "accepts": accepts, "super-app": links,
                     "fines": p.fines})
    return pd.DataFrame(rows)


def regulator_table(model: WalledGardens, limit: int = 60) -> pd.DataFrame:
    """The regulator's actions and timeline events, newest first."""
    log = model.regulator_log()
    return log.iloc[::-1].head(limit).reset_index(drop=True)


def _html_table(df: pd.DataFrame, cls: str, empty: str) -> str:
    if df.empty:
        return f'<p class="{cls} wg-empty" style="color:#777;margin:4px 0">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for _, row in df.iterrows():
        cells = []
        for c, v in row.items():
            if isinstance(v, float):
                v = f"{v:,.2f}" if v else ""
            cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="{cls}" style="border-collapse:collapse;width:100%;font-size:12px">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


TABLE_CSS = """
<style>
.wg-panel th {text-align:left;border-bottom:1px solid #999;padding:2px 6px;position:sticky;top:0;background:#fafafa}
.wg-panel td {border-bottom:1px solid #e4e4e4;padding:2px 6px;vertical-align:top}
.wg-panel h4 {margin:6px 0 2px 0;font-size:13px}
</style>
"""


def regulator_panel_html(model: WalledGardens) -> str:
    reg = model.regulator
    mode = reg.cfg.mode if reg.cfg.strength > 0 else "off"
    open_inv = ", ".join(f"{n} (since {t})" for n, t in reg.investigations.items()) or "none"
    summary = f"regulator: <b>{html.escape(mode)}</b>"
    if mode != "off":
        summary += f", strength {reg.cfg.strength:g}"
    summary += f"; fines so far {reg.fines_total:,.2f}; open investigations: {html.escape(open_inv)}"
    return (TABLE_CSS + f'<div class="wg-panel" style="height:340px;overflow:auto">'
            f'<p class="wg-regulator-summary" style="margin:2px 0;font-size:12px">{summary}</p>'
            f"<h4>Actions (newest first)</h4>"
            + _html_table(regulator_table(model), "wg-regulator", "No regulator actions or events yet.")
            + f"<h4>Policies in force at tick {int(model.time)}</h4>"
            + _html_table(policy_table(model), "wg-policy", "")
            + "</div>")


# -- Solara components ---------------------------------------------------------

class _CellWidth(ipyvuetify.VuetifyTemplate):
    """Reports the width of the grid cell it sits in (``width``, synced to Python).

    SolaraViz lays components out in a draggable, resizable grid.  Outside
    JupyterLab a plotly widget never re-fits its container, so the charts take
    the cell width from this invisible element and set it in their layout.
    """

    width = traitlets.Int(0).tag(sync=True)
    template = traitlets.Unicode("""
<template><span style="display: none"></span></template>
<script>
module.exports = {
  mounted() {
    const cell = this.$el.closest('.vue-grid-item') || this.$el.parentElement;
    if (!cell) return;
    const report = () => {
      const w = Math.floor(cell.clientWidth);
      if (w > 0 && Math.abs(w - this.width) > 4) this.width = w;
    };
    report();
    if (typeof ResizeObserver === 'undefined') return;
    let timer = null;
    this.observer = new ResizeObserver(() => { clearTimeout(timer); timer = setTimeout(report, 150); });
    this.observer.observe(cell);
  },
  destroyed() {
    if (this.observer) this.observer.disconnect();
  },
};
</script>
""").tag(sync=True)


def _plotly_component(build, name: str):
    @solara.component
    def Chart(model):
        update_counter.get()  # rerender on every step, as Mesa's own components do
        width, set_width = solara.use_state(0)
        fig = build(model)
        if width > 100:
            fig.update_layout(width=width - 16)
        with solara.Column(gap="0px"):
            solara.FigurePlotly(fig, dependencies=[id(model), model.steps, update_counter.value, width])
            _CellWidth.element(on_width=set_width)

    Chart.__name__ = name
    return Chart


PaymentShareChart = _plotly_component(payment_share_figure, "PaymentShareChart")
ReachChart = _plotly_component(reach_figure, "ReachChart")
HHIChart = _plotly_component(hhi_figure, "HHIChart")
MultihomingChart = _plotly_component(multihoming_figure, "MultihomingChart")
NetworkView = _plotly_component(network_figure, "NetworkView")


@solara.component
def RegulatorPanel(model):
    update_counter.get()
    with solara.Column(style={"padding": "4px 8px"}):
        solara.Text("Regulator: investigations, fines, orders and timeline events",
                    style={"font-weight": "bold", "font-size": "14px"})
        solara.HTML(tag="div", unsafe_innerHTML=regulator_panel_html(model))


COMPONENTS = [PaymentShareChart, ReachChart, HHIChart, MultihomingChart, NetworkView, RegulatorPanel]

# -- parameters and page ----------------------------------------------------------

# One reactive variable per parameter (Solara keeps a value per browser session).
# They are handed to SolaraViz as the inputs' values, so the sidebar widgets are
# bound to them: a change rebuilds the model at once (see Page), and choosing a
# scenario sets the switches to that scenario's own policy.
settings: dict[str, solara.Reactive] = {k: solara.reactive(v) for k, v in DEFAULTS.items()}

model_params = {
    "scenario_name": {"type": "Select", "value": settings["scenario_name"], "values": scenario_names(),
                      "label": "Scenario (scenarios/*.toml)"},
    "exclusivity": {"type": "Checkbox", "value": settings["exclusivity"],
                    "label": "Exclusivity deals (\"choose one of two\")"},
    "payment_interop": {"type": "Checkbox", "value": settings["payment_interop"],
                        "label": "Payment interoperability (all wallets accepted)"},
    "link_interop": {"type": "Checkbox", "value": settings["link_interop"],
                     "label": "Link / mini-program interoperability"},
    "regulator_strength": {"type": "SliderFloat", "value": settings["regulator_strength"], "min": 0.0,
                           "max": 5.0, "step": 0.5, "label": "Regulator strength (0 = off)"},
    "consumers": {"type": "SliderInt", "value": settings["consumers"], "min": 500, "max": 20000, "step": 500,
                  "label": "Consumers"},
    "merchants": {"type": "SliderInt", "value": settings["merchants"], "min": 50, "max": 2000, "step": 50,
                  "label": "Merchants"},
    "seed": {"type": "InputText", "value": settings["seed"], "label": "Seed"},
}


def current_settings() -> dict:
    return {k: r.value for k, r in settings.items()}


@solara.component
def Page():
    initial = solara.use_memo(lambda: VizModel(**current_settings()), [])
    model = solara.use_reactive(initial)
    error = solara.use_reactive(None)
    values = current_settings()  # reading them subscribes this page to the sidebar inputs

    def rebuild():
        wanted = dict(values)
        have = getattr(model.value, "settings", {})
        if wanted == have:
            return
        try:
            if wanted["scenario_name"] != have.get("scenario_name"):
                policy = scenario_policy(wanted["scenario_name"])
                wanted |= policy
                for key, value in policy.items():
                    settings[key].value = value  # the switches show the scenario's own policy
            model.value = VizModel(**wanted)
            error.value = None
        except (ValueError, config_mod.ConfigError) as err:
            error.value = str(err)

    solara.use_effect(rebuild, list(values.values()))
    solara.Title("walled-gardens")
    if error.value:
        solara.Error(f"{error.value} (the model shown was built before this change)", classes=["wg-error"])
    SolaraViz(model, components=COMPONENTS, model_params=model_params,
              name="Walled gardens: platform ecosystems, exclusivity and interoperability", play_interval=150)


page = Page()
