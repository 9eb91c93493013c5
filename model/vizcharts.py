"""What the viz draws, as plain plotly dicts: line charts over the model's metrics, a network
sample of consumers and merchants, and markers at policy events.

Each chart is described once (:class:`Chart`: which metric columns, names, colours); the
same description gives the whole figure (:func:`line_figure`) and, each step, only the new
points (:func:`new_points`), which :class:`model.livechart.LiveChart` appends in the browser.
The functions work on any :class:`model.model.WalledGardens` (``go.Figure(line_figure(...))``
in a notebook).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx
import numpy as np

from . import palette
from .report_metrics import month_label

HEIGHT = 330
MARKED_ACTIONS = ("fine", "designate_gatekeeper")
SAMPLE_CONSUMERS = 150
SAMPLE_MERCHANTS = 30
BASE_LAYOUT = {"paper_bgcolor": "white", "plot_bgcolor": "white", "hovermode": "x unified",
               "font": {"family": "Roboto, system-ui, sans-serif", "size": 11}, "uirevision": "keep"}
GRID = {"gridcolor": "#ececec", "zeroline": False, "linecolor": "#bbb"}


@dataclass(frozen=True)
class Line:
    column: str  # metric column of model.results()
    name: str
    color: str
    width: float = 2.0
    dash: str | None = None
    legend: bool = True
    fill: str | None = None  # "tonexty": a band down to the previous trace


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    yaxis: str
    lines: Callable  # model -> list[Line]
    yrange: tuple[float, float] | None = (0.0, 1.0)
    percent: bool = True


def _payment_lines(model) -> list[Line]:
    out = []
    for i, w in enumerate(model.market.wallets):
        c, name = palette.wallet_color(w, i), palette.display_name(w)
        out += [Line(f"pay_share_value_{w}", name, c, 2.5),
                Line(f"pay_share_count_{w}", f"{name} (count)", c, 1, "dot", legend=False)]
    return out


def _reach_lines(model) -> list[Line]:
    return [Line("reach_p90", "p90", "#7f7f7f", 0, legend=False),
            Line("reach_p10", "p10-p90", "#7f7f7f", 0, fill="tonexty"),
            Line("reach_p50", "median", "#1f77b4", 1.5, "dash"),
            Line("reach_mean", "mean", "#1f77b4", 2.5)]


def _wallet_reach_lines(model) -> list[Line]:
    return [Line(f"wallet_reach_{w}", palette.display_name(w), palette.wallet_color(w, i), 2)
            for i, w in enumerate(model.market.wallets)]


def _hhi_lines(model) -> list[Line]:
    return [Line("hhi_value", "payments (value)", "#1f77b4", 2.5),
            Line("hhi_count", "payments (count)", "#1f77b4", 1.5, "dot"),
            Line("hhi_marketplace", "marketplaces (GMV)", "#ff6a00", 2.5)]


def _multihoming_lines(model) -> list[Line]:
    return [Line("consumer_wallet_multihoming", "consumers: 2+ wallets", "#07c160"),
            Line("consumer_market_multihoming", "consumers: 2+ marketplaces", "#1677ff"),
            Line("merchant_multihoming", "merchants: 2+ marketplaces", "#9467bd"),
            Line("merchant_exclusive_share", "merchants under exclusivity", "#ff6a00")]


CHARTS = [
    Chart("payments", "Payment share by wallet (dotted: by count)", "% of payment value", _payment_lines),
    Chart("reach", "Merchant reach: share of consumers who can buy", "% of consumers", _reach_lines),
    Chart("wallet_reach", "Wallet reach: share of merchants a holder can pay", "% of merchants", _wallet_reach_lines),
    Chart("multihoming", "Multi-homing and exclusivity", "% of consumers or merchants", _multihoming_lines),
    Chart("hhi", "Concentration (HHI)", "HHI (0-10,000)", _hhi_lines, (0.0, 10_000.0), False),
]


def chart(key: str) -> Chart:
    return next(c for c in CHARTS if c.key == key)


def _series(model, column: str, start: int = 0) -> list[float]:
    return list(model.datacollector.model_vars[column][start:])


def n_points(model) -> int:
    """Ticks collected so far (tick 0 included): one row per tick in every metric column."""
    return len(next(iter(model.datacollector.model_vars.values())))


def line_figure(model, spec: Chart) -> dict:
    """The whole figure of one chart up to now: {"data": [...], "layout": {...}}."""
    n = n_points(model)
    x = list(range(n))
    data = []
    for ln in spec.lines(model):
        tr = {"type": "scatter", "mode": "lines" if n > 1 else "markers", "x": list(x), "y": _series(model, ln.column),
              "name": ln.name, "showlegend": ln.legend, "line": {"color": ln.color, "width": ln.width},
              "marker": {"color": ln.color, "size": 5}, "hovertemplate": "%{y:.1%}" if spec.percent else "%{y:,.0f}"}
        if ln.dash:
            tr["line"]["dash"] = ln.dash
        if ln.fill:
            tr.update(fill=ln.fill, fillcolor="rgba(31,119,180,0.16)")
        data.append(tr)
    layout = {**BASE_LAYOUT, "height": HEIGHT, "title": {"text": spec.title, "x": 0.02, "font": {"size": 13}},
              "margin": {"l": 56, "r": 12, "t": 36, "b": 34},
              "legend": {"orientation": "h", "x": 0, "y": -0.16, "font": {"size": 10}},
              "xaxis": {**GRID, **time_axis(model)},
              "yaxis": {**GRID, "title": {"text": spec.yaxis, "font": {"size": 11}},
                        **({"range": list(spec.yrange)} if spec.yrange else {}),
                        **({"tickformat": ".0%"} if spec.percent else {})},
              "shapes": event_shapes(model)}
    return {"data": data, "layout": layout}


def new_points(model, spec: Chart, sent: int) -> tuple[list[int], list[list], list[list]]:
    """(trace indices, x lists, y lists) of the ticks after the first ``sent``."""
    n = n_points(model)
    lines = spec.lines(model)
    x = list(range(sent, n))
    return list(range(len(lines))), [x] * len(lines), [_series(model, ln.column, sent) for ln in lines]


def time_axis(model) -> dict:
    """x axis over the whole run: months, with calendar years for a dated scenario."""
    horizon = max(int(model.cfg.size.steps), int(model.time), 1)
    axis = {"range": [0, horizon], "title": {"text": "month (tick)", "font": {"size": 11}, "standoff": 4}}
    start = model.cfg.start
    if start:
        first = (13 - int(start.split("-")[1])) % 12  # tick of the first January
        ticks = list(range(first, horizon + 1, 12))
        axis.update(tickvals=ticks, ticktext=[month_label(start, t)[-4:] for t in ticks],
                    title={"text": f"month (tick 0 = {month_label(start, 0)})", "font": {"size": 11}, "standoff": 4})
    return axis


def event_shapes(model) -> list[dict]:
    """Dotted lines at timeline events, fines and designations that happened; light dashed
    lines at the scenario's timeline events still to come."""
    done = sorted({a["tick"] for a in model.regulator.actions
                   if a["action"] in MARKED_ACTIONS or str(a["action"]).startswith("event:")})
    planned = sorted({ev.tick for ev in model.cfg.events if ev.tick > model.time} - set(done))
    line = {"type": "line", "y0": 0, "y1": 1, "yref": "paper"}
    return ([{**line, "x0": t, "x1": t, "line": {"color": "#666", "width": 1, "dash": "dot"}} for t in done]
            + [{**line, "x0": t, "x1": t, "line": {"color": "#bbb", "width": 1, "dash": "dash"}} for t in planned])


# -- network sample ----------------------------------------------------------------

class NetworkSample:
    """A fixed sample for the network view: a connected neighbourhood of consumers
    (breadth-first over social contacts) and evenly spread merchants, laid out once."""

    def __init__(self, consumers: np.ndarray, edges: list[tuple[int, int]], pos: np.ndarray,
                 merchants: np.ndarray, merchant_pos: np.ndarray):
        self.consumers, self.edges, self.pos = consumers, edges, pos
        self.merchants, self.merchant_pos = merchants, merchant_pos

    @classmethod
    def build(cls, model, n_consumers: int = SAMPLE_CONSUMERS, n_merchants: int = SAMPLE_MERCHANTS) -> NetworkSample:
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
        lo, hi = pos.min(axis=0), pos.max(axis=0)
        pos = (pos - lo) / np.maximum(hi - lo, 1e-9) * 2 - 1  # consumers fill [-1, 1]^2, merchants in a row below
        merchant_pos = np.column_stack([np.linspace(-1, 1, len(merchants)), np.full(len(merchants), -1.3)])
        return cls(np.array(order), edges, pos, merchants, merchant_pos)


def merchant_category(model, lists_row: np.ndarray) -> str:
    """'not listed', the alliance a merchant sells through, or 'multi-homing' (2+ alliances)."""
    groups = {model.market.groups[g] for g in model.market.market_group[lists_row]}
    if not groups:
        return "not listed"
    return groups.pop() if len(groups) == 1 else "multi-homing"


def _names(names: list[str], mask: np.ndarray) -> str:
    return ", ".join(palette.display_name(n) for n, on in zip(names, mask) if on) or "-"


def network_state(model, sample: NetworkSample) -> dict:
    """Per-point colours, symbols and hover texts of the consumer (trace 1) and merchant (trace 2) markers."""
    mk, cons, mer = model.market, model.consumers, model.merchants
    main = cons.main_wallet[sample.consumers].astype(int)
    holds, uses = cons.holds[sample.consumers], cons.uses[sample.consumers]
    wallets = mk.wallets
    c_color = [palette.wallet_color(wallets[w], w) if w >= 0 else palette.NO_WALLET for w in main]
    c_text = [f"consumer {c}<br>main wallet: {palette.display_name(wallets[w]) if w >= 0 else 'no purchase'}"
              f"<br>holds: {_names(wallets, h)}<br>uses: {_names(mk.marketplaces, u)}"
              for c, w, h, u in zip(sample.consumers.tolist(), main.tolist(), holds, uses)]
    lists, exclusive = mer.lists[sample.merchants], mer.exclusive[sample.merchants]
    cats = [merchant_category(model, row) for row in lists]
    m_color = [palette.group_color(cat, i) for i, cat in enumerate(cats)]
    m_text = [f"merchant {m}<br>lists on: {_names(mk.marketplaces, row)}{'<br>under exclusivity' if ex else ''}"
              for m, row, ex in zip(sample.merchants.tolist(), lists, exclusive)]
    return {"marker.color": [c_color, m_color], "text": [c_text, m_text],
            "marker.symbol": ["circle", ["diamond" if ex else "square" for ex in exclusive]]}


def network_figure(model, sample: NetworkSample) -> dict:
    """Consumers (circles, coloured by main wallet) with their contacts, and merchants (squares,
    coloured by the alliance(s) they list with; diamonds: under an exclusivity deal)."""
    xs, ys = [], []
    for a, b in sample.edges:
        xs += [float(sample.pos[a, 0]), float(sample.pos[b, 0]), None]
        ys += [float(sample.pos[a, 1]), float(sample.pos[b, 1]), None]
    state = network_state(model, sample)
    data = [
        {"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": "contacts", "hoverinfo": "skip",
         "showlegend": False, "line": {"color": "rgba(120,120,120,0.35)", "width": 0.7}},
        {"type": "scatter", "mode": "markers", "name": "consumers", "showlegend": False, "hoverinfo": "text",
         "x": sample.pos[:, 0].tolist(), "y": sample.pos[:, 1].tolist(), "text": state["text"][0],
         "marker": {"size": 8, "color": state["marker.color"][0], "line": {"width": 0.5, "color": "white"}}},
        {"type": "scatter", "mode": "markers", "name": "merchants", "showlegend": False, "hoverinfo": "text",
         "x": sample.merchant_pos[:, 0].tolist(), "y": sample.merchant_pos[:, 1].tolist(), "text": state["text"][1],
         "marker": {"size": 11, "color": state["marker.color"][1], "symbol": state["marker.symbol"][1],
                    "line": {"width": 1, "color": "#333"}}},
    ]
    # legend entries only (the markers above carry per-point colours)
    for i, w in enumerate(model.market.wallets):
        data.append(_legend_entry(f"consumer: {palette.display_name(w)}", palette.wallet_color(w, i), "circle"))
    data.append(_legend_entry("consumer: no purchase", palette.NO_WALLET, "circle"))
    for cat, color in palette.GROUPS.items():
        data.append(_legend_entry(f"merchant: {palette.display_name(cat)}", color, "square"))
    data.append(_legend_entry("merchant under exclusivity", "#999", "diamond"))
    layout = {**BASE_LAYOUT, "hovermode": "closest", "height": 420,
              "title": {"text": f"Network sample: {len(sample.consumers)} consumers, {len(sample.merchants)} merchants",
                        "x": 0.02, "font": {"size": 13}},
              "margin": {"l": 10, "r": 10, "t": 36, "b": 10},
              "xaxis": {"visible": False}, "yaxis": {"visible": False},
              "legend": {"orientation": "v", "x": 1.0, "y": 1, "font": {"size": 10}}}
    return {"data": data, "layout": layout}


def _legend_entry(name: str, color: str, symbol: str) -> dict:
    return {"type": "scatter", "mode": "markers", "x": [None], "y": [None], "name": name, "hoverinfo": "skip",
            "marker": {"size": 9, "color": color, "symbol": symbol, "line": {"width": 0.5, "color": "#333"}}}
