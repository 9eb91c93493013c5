"""Interactive browser visualization (Solara, on a Mesa model).

Launch with ``walled-gardens viz`` (binds 127.0.0.1:8765, serves vendored front-end
assets, works offline) or ``solara run model/app.py``.

Left: **Run** (Reset, Play/Pause, Step, the least time between ticks), **Policy now**
(switches that show the policy in force and, when changed, apply it at the current
month as an event, logged in the regulator panel: no restart), **Setup** (scenario,
sizes, regulator strength, seed: a change builds a new model at month 0).
Right: a tab of line charts (payment share, merchant reach, wallet reach, multi-homing,
concentration) and a tab with a network sample, each beside the regulator's actions and
the policies in force.

A tick does not re-render the page: the step's new points go straight to the charts
(:class:`model.livechart.LiveChart`, a few hundred bytes each, all in one message with the
tick) and the month to its label; the panels re-render only when what they show changed.  Play keeps pace with
the page (:class:`model.livechart.Pacer`) and Pause is checked before every tick.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

if not __package__:
    # `solara run model/app.py` executes this file as a script with model/ first on
    # sys.path, where `import model` would find model/model.py instead of the package.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]
    sys.path.insert(0, str(_here.parent))
    if getattr(sys.modules.get("model"), "__path__", None) is None:
        sys.modules.pop("model", None)

import ipywidgets
import solara
import solara.lab

from model import vizcharts as charts
from model.livechart import LiveChart, Pacer, PlotlyJS
from model.vizmodel import (  # noqa: F401 (re-exported: the viz's model side)
    DEFAULT_SCENARIO, DEFAULTS, LIMITS, InputError, VizModel, check_setup, html_table, month_text, panel_key,
    policy_event, policy_state, policy_table, regulator_summary, regulator_table, scenario_names)

DEFAULT_DELAY_MS = 10  # least time between ticks while playing
PACE_LAG = 2  # ticks Play may run ahead of what the page shows (the page draws the ticks between at once)
PACE_TIMEOUT = 2.0  # s: how long Play waits for the page before going on
CSS = """
.wg-panel th {text-align:left;border-bottom:1px solid #999;padding:2px 6px;background:#fafafa}
.wg-panel td {border-bottom:1px solid #e4e4e4;padding:2px 6px;vertical-align:top}
.wg-panel h4 {margin:8px 0 2px 0;font-size:13px}
.wg-live {width:100%}
.wg-month {font-size:14px;margin:6px 0}
.wg-main .v-window, .wg-main .v-window__container {overflow: visible !important}
"""


class Live:
    """What follows each tick on one page: the parts shown register a feed; ``tick`` runs them and
    sends their chart patches in one message, through the page's pacer."""

    def __init__(self):
        self.feeds: dict = {}
        self.pacer: Pacer | None = None

    def post(self, key: str, patch: dict) -> bool:
        return self.pacer is not None and self.pacer.post(key, patch)

    def tick(self, model) -> None:
        for push in list(self.feeds.values()):
            push(model)
        if self.pacer is not None:
            self.pacer.mark(int(model.time))


def _feed(live: Live, key: str, el, push):
    """An effect that registers ``push(widget, model)`` to run after every tick while the component
    is shown (the widget is looked up here: outside a render there is no lookup)."""
    def register():
        widget = solara.get_widget(el)
        if isinstance(widget, LiveChart):
            widget.bus = live
        live.feeds[key] = lambda m: push(widget, m)
        return lambda: live.feeds.pop(key, None)
    return register


@solara.component
def LineChart(model, key: str, live: Live):
    """One of vizcharts.CHARTS: drawn once per model, then extended with each new tick."""
    spec = charts.chart(key)
    el = LiveChart.element(key=f"chart:{key}")
    sent = solara.use_ref(0)

    def draw():
        fig = charts.line_figure(model, spec)
        solara.get_widget(el).show(fig["data"], fig["layout"])
        sent.current = charts.n_points(model)

    def push(w: LiveChart, m):
        n = charts.n_points(m)
        if n > sent.current:
            if sent.current == 1:  # a lone point was drawn as a marker; now there is a line
                w.restyle({"mode": ["lines"] * len(w.figure["data"])}, list(range(len(w.figure["data"]))))
            w.extend(*charts.new_points(m, spec, sent.current))
            sent.current = n
        shapes = charts.event_shapes(m)
        if shapes != w.figure["layout"].get("shapes"):
            w.relayout({"shapes": shapes})

    solara.use_effect(draw, [id(model)])
    solara.use_effect(_feed(live, f"chart:{key}", el, push), [id(model)])
    return el


@solara.component
def NetworkChart(model, live: Live):
    el = LiveChart.element(key="network")

    def draw():
        fig = charts.network_figure(model, model.sample)
        solara.get_widget(el).show(fig["data"], fig["layout"])

    def push(w: LiveChart, m):
        w.restyle(charts.network_state(m, m.sample), [1, 2])

    solara.use_effect(draw, [id(model)])
    solara.use_effect(_feed(live, "network", el, push), [id(model)])
    return el


@solara.component
def MonthText(model, live: Live):
    # the value is set by the feed alone (not a prop: a re-render would put back a stale one)
    el = ipywidgets.HTML.element(_dom_classes=["wg-month"])

    def push(w, m):
        w.value = month_text(m)

    def register():
        push(solara.get_widget(el), model)
        return _feed(live, "month", el, push)()

    solara.use_effect(register, [id(model)])
    return el


@solara.component
def RegulatorPanel(model, version: int):
    with solara.Column(gap="2px", style={"padding": "4px 8px"}, classes=["wg-panel"]):
        solara.Text("Regulator: investigations, fines, orders and events", style={"font-weight": "bold"})
        solara.HTML(tag="p", unsafe_innerHTML=regulator_summary(model), classes=["wg-regulator-summary"],
                    style={"font-size": "12px", "margin": "2px 0"})
        solara.HTML(tag="h4", unsafe_innerHTML="Actions and events (newest first)")
        solara.HTML(tag="div", unsafe_innerHTML=html_table(regulator_table(model), "wg-regulator",
                                                           "No regulator actions or events yet."))
        solara.HTML(tag="h4", unsafe_innerHTML="Policies in force now")
        solara.HTML(tag="div", unsafe_innerHTML=html_table(policy_table(model), "wg-policy", ""))


@solara.component
def PolicyControls(model, version: int, apply):
    """Switches bound to the policy in force (re-read whenever it changes: an event, a remedy or a
    strategic platform); a change is applied now, as an event."""
    state = policy_state(model)
    solara.Checkbox(label="Exclusivity deals in force (\"choose one of two\")", value=state["exclusivity"],
                    on_value=lambda on: apply("lift_exclusivity_ban" if on else "ban_exclusivity"),
                    disabled=not state["exclusivity_demanded"])
    solara.Checkbox(label="Payment interoperability (every checkout takes every wallet)",
                    value=state["payment_interop"], on_value=lambda on: on and apply("payment_interop"),
                    disabled=state["payment_interop"])
    solara.Checkbox(label="Rival links open in super-apps", value=state["link_interop"],
                    on_value=lambda on: on and apply("link_interop"), disabled=state["link_interop"])
    for market, approved in state["miniprograms"].items():
        solara.Checkbox(label=f"Mini-program {market} approved by its host", value=approved,
                        on_value=lambda on, m=market: apply("approve_miniprogram" if on else "suspend_miniprogram", m))
    solara.Text("A mandate (payments, links) cannot be undone.", style={"font-size": "11px", "color": "#777"})


@solara.component
def SetupControls(setup: dict, change, error: str | None, run: int):
    """Scenario (the list is read afresh whenever the picker is opened), sizes, regulator, seed."""
    rescan, set_rescan = solara.use_state(0)
    names = solara.use_memo(scenario_names, [rescan])
    select = solara.v.Select(label="Scenario (scenarios/*.toml)", v_model=setup["scenario_name"], items=names,
                             on_v_model=lambda v: change(scenario_name=v), class_="wg-scenario")
    solara.v.use_event(select, "focus", lambda *_: set_rescan(rescan + 1))
    solara.v.use_event(select, "click", lambda *_: set_rescan(rescan + 1))
    for key, label, kind in (("consumers", "Consumers", solara.SliderInt), ("merchants", "Merchants", solara.SliderInt),
                             ("regulator_strength", "Regulator strength (0 = off)", solara.SliderFloat)):
        lo, hi, step = LIMITS[key]
        kind(f"{label}: {setup[key]:,g}", value=setup[key], min=lo, max=hi, step=step,
             on_value=lambda v, k=key: change(**{k: v}))
    # keyed on the run: after a good change the field shows the seed in use, not what was typed before
    solara.InputText("Seed", value=str(setup["seed"]), on_value=lambda v: change(seed=v),
                     continuous_update=False).key(f"seed-{run}")
    if error:
        solara.Error(error, classes=["wg-error"], dense=True)


@solara.component
def Page():
    first = solara.use_memo(lambda: VizModel(**DEFAULTS), [])
    model = solara.use_reactive(first)
    setup = solara.use_reactive(dict(first.settings))
    version = solara.use_reactive(0)  # bumped when the panels' content changed
    playing = solara.use_reactive(False)
    error = solara.use_reactive(None)
    delay = solara.use_reactive(DEFAULT_DELAY_MS)
    tab = solara.use_reactive(0)
    lock = solara.use_memo(threading.Lock, [])  # one step or policy change at a time
    go = solara.use_memo(threading.Event, [])  # set while playing; Pause clears it before the next tick
    live = solara.use_memo(Live, [])  # what follows each tick: charts, the month (see _feed)
    shown = solara.use_ref(None)  # panel_key of what the panels show
    pacer_el = Pacer.element()
    solara.use_effect(lambda: setattr(live, "pacer", solara.get_widget(pacer_el)), [])

    def after_tick(m):
        live.tick(m)
        key = panel_key(m)
        if key != shown.current:  # the panels, switches and buttons re-render only on a change
            shown.current = key
            version.value += 1

    def rebuild(values: dict):
        try:
            new = VizModel(**check_setup(values))
        except InputError as err:
            error.value = str(err)
            return
        pause()
        error.value = None
        setup.value = dict(new.settings)
        with lock:
            model.value = new

    def change(**kw):
        values = {**setup.value, **kw}
        if "scenario_name" in kw:
            values["regulator_strength"] = None  # the new scenario's own regulator
        rebuild(values)

    def step():
        with lock:
            m = model.value
            if m.running:
                m.step()
        after_tick(m)

    def play():
        if model.value.running:
            go.set()
            playing.value = True

    def pause():
        go.clear()  # the loop checks this before every tick
        playing.value = False

    def loop(cancel: threading.Event):
        m = model.value
        while go.is_set() and not cancel.is_set():
            t0 = time.perf_counter()
            with lock:
                if not go.is_set() or not m.running or m is not model.value:
                    break
                m.step()
            after_tick(m)
            if live.pacer is not None:  # keep pace with the page: at most PACE_LAG ticks ahead of it
                live.pacer.wait(int(m.time) - PACE_LAG, PACE_TIMEOUT)
            cancel.wait(max(0.0, delay.value / 1000 - (time.perf_counter() - t0)))
        go.clear()
        playing.value = False

    def apply_policy(action: str, target: str | None = None):
        with lock:
            policy_event(model.value, action, target)
        after_tick(model.value)

    solara.use_thread(loop, dependencies=[playing.value, id(model.value)], intrusive_cancel=False)
    solara.Title("walled-gardens viz")
    solara.Style(CSS)
    PlotlyJS.element()  # plotly.js, once for the page
    Dashboard(model=model.value, version=version.value, live=live, playing=playing.value, setup=setup.value,
              error=error.value, delay=delay, tab=tab, on_reset=lambda: rebuild(setup.value),
              on_play=pause if playing.value else play, on_step=step, on_policy=apply_policy, on_setup=change)


@solara.component
def Dashboard(model, version: int, live: Live, playing: bool, setup: dict, error: str | None,
              delay: solara.Reactive, tab: solara.Reactive, on_reset, on_play, on_step, on_policy, on_setup):
    # controls in a column of their own rather than solara.Sidebar, whose contents re-render the
    # whole app layout
    running = model.running
    with solara.Columns([3, 9], gutters_dense=True, style={"min-height": "100vh"}):
        with solara.Column(gap="8px", style={"padding": "8px"}, classes=["wg-controls"]):
            solara.HTML(tag="h3", unsafe_innerHTML="Walled gardens", style={"margin": "4px 0 0 0"})
            solara.Text("platform ecosystems, exclusivity and interoperability", style={"color": "#666"})
            with solara.Card("Run", margin=0):
                with solara.Row(justify="space-between"):
                    solara.Button("Reset", color="primary", on_click=on_reset)
                    solara.Button("❚❚ Pause" if playing else "▶ Play", color="primary", on_click=on_play,
                                  disabled=not running)
                    solara.Button("Step", color="primary", on_click=on_step, disabled=playing or not running)
                MonthText(model, live)
                solara.SliderInt("Least time between ticks (ms)", value=delay, min=0, max=500, step=10)
            with solara.Card("Policy now", subtitle="applied at the current month, logged as an event", margin=0):
                PolicyControls(model, version, on_policy)
            with solara.Card("Setup", subtitle="a change starts a new run at month 0", margin=0):
                SetupControls(setup, on_setup, error, id(model))
        with solara.Column(style={"padding": "8px"}, classes=["wg-main"]):
            with solara.lab.Tabs(value=tab, lazy=True):
                with solara.lab.Tab("Market outcomes"):
                    with solara.ColumnsResponsive(12, large=6):
                        for spec in charts.CHARTS:
                            LineChart(model, spec.key, live)
                        RegulatorPanel(model, version)
                with solara.lab.Tab("Network sample"):
                    with solara.ColumnsResponsive(12, large=[7, 5]):
                        NetworkChart(model, live)
                        RegulatorPanel(model, version)


page = Page()
