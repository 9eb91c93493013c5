"""The viz without a browser (as Mesa tests its examples): the model builds from checked
inputs, the figures and panels render, a step sends only new points, policies apply mid-run,
and bad input from the browser is refused inline.  The real-browser test is tests/test_browser.py."""

from __future__ import annotations

import inspect
import json
import shutil
import time

import ipyvuetify as v
import ipywidgets
import pytest
import solara

from model import app, vizcharts, vizmodel
from model.livechart import LiveChart

SMALL = {"consumers": 1000, "merchants": 100}


def test_viz_model_from_checked_flat_params():
    assert set(inspect.signature(app.VizModel.__init__).parameters) >= {"scenario_name", "consumers", "merchants",
                                                                         "regulator_strength", "seed", "rng"}
    assert app.scenario_names()[0] == app.DEFAULT_SCENARIO
    assert {"baseline", "regulator_crackdown", "dma_ex_ante"} <= set(app.scenario_names())
    model = app.VizModel(**app.DEFAULTS)
    assert model.settings == app.check_setup(app.DEFAULTS)
    assert app.VizModel(seed="7", **SMALL).seed == app.VizModel(rng=7, **SMALL).seed == 7
    assert app.VizModel(regulator_strength=0, **SMALL).cfg.regulator.mode == "off"
    assert app.VizModel(scenario_name="dma_ex_ante", regulator_strength=1.0, **SMALL).cfg.regulator.mode == "ex_ante"
    crack = app.VizModel(scenario_name="regulator_crackdown", **SMALL)  # None: the scenario's own regulator
    assert (crack.cfg.regulator.mode, crack.settings["regulator_strength"]) == ("ex_post", 3.0)


@pytest.mark.parametrize("values, message", [
    ({"scenario_name": "../../../../etc/x"}, "is not one of the scenarios offered"),
    ({"scenario_name": "nope"}, "is not one of the scenarios offered"),
    ({"consumers": 25_000}, "consumers must be from 500 to 20,000"),
    ({"consumers": 60_000}, "consumers must be from 500 to 20,000"),
    ({"consumers": "many"}, "consumers must be a whole number"),
    ({"merchants": 10}, "merchants must be from 50 to 2,000"),
    ({"regulator_strength": 7}, "regulator strength must be from 0 to 5"),
    ({"seed": "abc"}, "seed must be a whole number from 0 to 2**63-1"),
    ({"seed": -1}, "seed must be a whole number"),
    ({"seed": 2**70}, "seed must be a whole number"),
])
def test_bad_input_from_the_browser_is_one_line_without_server_paths(values, message):
    with pytest.raises(app.InputError) as err:
        app.check_setup({**app.DEFAULTS, **values})
    text = str(err.value)
    assert message in text and "\n" not in text
    assert str(vizmodel.REPO) not in text and str(vizmodel.SCENARIO_DIR) not in text


def test_figures_draw_the_run_so_far_and_new_points_only_the_new_ticks():
    model = app.VizModel(**SMALL)
    model.run_for(10)
    for spec in vizcharts.CHARTS:
        fig = vizcharts.line_figure(model, spec)
        assert fig["data"] and all(len(t["x"]) == len(t["y"]) == 11 for t in fig["data"]), spec.key
        assert fig["layout"]["yaxis"]["title"]["text"] == spec.yaxis
    fig = vizcharts.line_figure(model, vizcharts.chart("payments"))
    assert {t["name"] for t in fig["data"]} >= {"Alipay", "WeChat Pay", "UnionPay"}
    model.run_for(2)
    traces, xs, ys = vizcharts.new_points(model, vizcharts.chart("payments"), 11)
    assert xs[0] == [11, 12] and ys[0] == model.results()["pay_share_value_alipay"].tolist()[11:]
    net = vizcharts.network_figure(model, model.sample)
    assert len(net["data"][1]["x"]) == vizcharts.SAMPLE_CONSUMERS and len(net["data"][2]["x"]) == vizcharts.SAMPLE_MERCHANTS
    assert len(net["data"][0]["x"]) > 3 * vizcharts.SAMPLE_CONSUMERS  # a connected sample
    state = vizcharts.network_state(model, model.sample)
    assert [len(c) for c in state["marker.color"]] == [vizcharts.SAMPLE_CONSUMERS, vizcharts.SAMPLE_MERCHANTS]


def test_dated_scenarios_show_calendar_years_and_events_are_marked():
    model = app.VizModel(scenario_name="history_2015_2024", **SMALL)
    axis = vizcharts.time_axis(model)
    assert axis["ticktext"][:2] == ["2015", "2016"] and axis["tickvals"][:2] == [0, 12]
    assert "Jan 2015" in axis["title"]["text"]
    shapes = vizcharts.event_shapes(model)
    assert sorted(s["x0"] for s in shapes) == [72, 75, 82, 115, 116, 118]  # still to come: light dashed lines
    assert "(Jan 2015)" in app.month_text(model)


def test_regulator_panel_lists_actions():
    model = app.VizModel(scenario_name="regulator_crackdown", regulator_strength=3.0, **SMALL)
    model.run_for(30)
    table = app.regulator_table(model)
    assert not table.empty and "investigate" in set(table["action"])
    assert table["tick"].is_monotonic_decreasing  # newest first
    assert "<td>investigate</td>" in app.html_table(table, "wg-regulator", "")
    assert list(app.policy_table(model)["platform"]) == [p.name for p in model.platforms]


def test_policies_apply_mid_run_as_events_and_the_switches_show_what_is_in_force():
    model = app.VizModel(**SMALL)
    model.run_for(5)
    assert app.policy_state(model)["exclusivity"]
    app.policy_event(model, "ban_exclusivity")
    app.policy_event(model, "payment_interop")
    assert model.time == 5  # no restart
    log = app.regulator_table(model)
    assert {"event:ban_exclusivity", "event:payment_interop"} <= set(log["action"]) and set(log["tick"]) == {5}
    model.step()
    state = app.policy_state(model)
    assert not state["exclusivity"] and state["payment_interop"] and not state["link_interop"]
    assert not any(p.exclusivity_in_force for p in model.platforms)
    # the scenario's own timeline moves the switches too: link_interop opens links at tick 60
    links = app.VizModel(scenario_name="link_interop", **SMALL)
    links.run_for(61)
    assert app.policy_state(links)["link_interop"] and app.policy_state(links)["miniprograms"]["taobao_deals"]


# -- the page, rendered without a browser ---------------------------------------------

@pytest.fixture
def page():
    box, rc = solara.render(app.Page(), handle_error=False)
    yield rc
    rc.close()


def _month(rc) -> int:
    return int(rc.find(ipywidgets.HTML).widget.value.split()[1])


def _panel(rc) -> str:
    """The text of the regulator panel(s) (solara.HTML widgets)."""
    return " ".join(w.unsafe_innerHTML or "" for w in rc.find(solara.widgets.HTML).widgets)


def _alerts(rc) -> list[str]:
    return [c for w in rc.find(v.Alert).widgets for c in w.children if isinstance(c, str)]


def _click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def _checkbox(rc, label_start: str):
    return next(w for w in rc.find(v.Checkbox).widgets if w.label.startswith(label_start))


def test_page_has_named_tabs_charts_and_controls(page):
    assert [w.children[0] for w in page.find(v.Tab).widgets] == ["Market outcomes", "Network sample"]
    assert len(page.find(LiveChart).widgets) == len(vizcharts.CHARTS)
    assert _month(page) == 0
    assert "Policies in force now" in _panel(page)


def test_a_step_sends_only_new_points(page, monkeypatch):
    sent: list[dict] = []
    real = ipywidgets.Widget._send

    def spy(self, msg, buffers=None):
        sent.append(msg)
        return real(self, msg, buffers)

    monkeypatch.setattr(ipywidgets.Widget, "_send", spy)
    _click(page, "Step")
    _click(page, "Step")
    assert _month(page) == 2
    sent.clear()
    _click(page, "Step")
    custom = [m["content"] for m in sent if m.get("method") == "custom"]
    assert len(custom) == 1 and custom[0]["tick"] == 3  # one message for the tick, the charts' patches in it
    patches = custom[0]["patches"]
    assert sorted(k for k, _ in patches) == sorted(f"chart:{c.key}" for c in vizcharts.CHARTS)
    assert {p["type"] for _, p in patches} == {"extend"} and all(p["x"][0] == [3] for _, p in patches)
    size = sum(len(json.dumps(m, default=str)) for m in sent)
    print(f"\nbytes sent for one step (without the websocket's framing): {size}")
    for chart in page.find(LiveChart).widgets:
        assert all(len(t["x"]) == 4 for t in chart.figure["data"])


def test_policy_switch_applies_mid_run_and_shows_the_policy_in_force(page):
    for _ in range(3):
        _click(page, "Step")
    box = _checkbox(page, "Exclusivity deals in force")
    assert box.v_model is True
    box.v_model = False  # the user unticks it
    assert _month(page) == 3  # applied now, no restart
    assert "event:ban_exclusivity" in _panel(page) and "applied in the viz" in _panel(page)
    assert _checkbox(page, "Exclusivity deals in force").v_model is False
    pay = _checkbox(page, "Payment interoperability")
    pay.v_model = True
    assert _checkbox(page, "Payment interoperability").disabled  # a mandate cannot be undone
    _click(page, "Step")
    assert _month(page) == 4 and "event:payment_interop" in _panel(page)


def test_bad_input_is_reported_inline_and_the_page_keeps_working(page):
    _click(page, "Step")
    seed = page.find(v.TextField, label="Seed").widget
    seed.v_model = "abc"
    seed.fire_event("keyup.enter", None)
    assert any("seed must be a whole number" in a for a in _alerts(page)), _alerts(page)
    _click(page, "Step")
    assert _month(page) == 2  # the model built before the bad input is still there and steps
    # a crafted message naming a path: refused, no server path shown
    page.find(v.Select, class_="wg-scenario").widget.v_model = "../../../../any/dir/x"
    alerts = _alerts(page)
    assert any("is not one of the scenarios offered" in a for a in alerts)
    assert not any(str(vizmodel.REPO) in a for a in alerts)
    # a slider value above its maximum
    slider = next(w for w in page.find(v.Slider).widgets if w.label.startswith("Consumers"))
    slider.v_model = 60_000
    assert any("consumers must be from 500 to 20,000" in a for a in _alerts(page))
    assert _month(page) == 2
    # a good change clears the message and starts a new run
    page.find(v.Select, class_="wg-scenario").widget.v_model = "exclusivity_ban"
    assert not _alerts(page) and _month(page) == 0


def test_scenarios_added_later_appear_without_a_restart(page, tmp_path, monkeypatch):
    for f in vizmodel.SCENARIO_DIR.glob("*.toml"):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.setattr(vizmodel, "SCENARIO_DIR", tmp_path)
    (tmp_path / "my_new_one.toml").write_text(f'extends = "baseline.toml"\nname = "my_new_one"\n')
    select = page.find(v.Select, class_="wg-scenario").widget
    assert "my_new_one" not in select.items
    select.fire_event("focus", None)  # opening the picker reads scenarios/ again
    select = page.find(v.Select, class_="wg-scenario").widget
    assert "my_new_one" in select.items
    select.v_model = "my_new_one"
    assert not _alerts(page) and _month(page) == 0


def test_pause_stops_the_model_within_one_tick(page):
    _click(page, "▶ Play")
    deadline = time.monotonic() + 30
    while _month(page) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _month(page) >= 3
    shown = _month(page)
    _click(page, "❚❚ Pause")
    time.sleep(0.5)
    stopped = _month(page)
    assert stopped - shown <= 1, (shown, stopped)
    time.sleep(0.5)
    assert _month(page) == stopped  # and it stays paused
    assert page.find(v.Btn, children=["▶ Play"]).widget is not None


def test_viz_command_runs_solara_offline_on_localhost(monkeypatch, tmp_path):
    """`walled-gardens viz` becomes `solara run model/app.py` bound to 127.0.0.1 with the vendored assets."""
    import os

    from typer.testing import CliRunner

    from model.cli import SOLARA_ASSETS_MARKER, app as cli

    (tmp_path / SOLARA_ASSETS_MARKER).parent.mkdir(parents=True)
    (tmp_path / SOLARA_ASSETS_MARKER).write_text("10.1.1\n")
    calls = []
    monkeypatch.setattr(os, "execve", lambda exe, args, env: calls.append((args, env)))
    result = CliRunner().invoke(cli, ["viz", "--port", "8790", "--assets", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (args, env), = calls
    assert args[1:4] == ["-m", "solara", "run"] and args[4].endswith("model/app.py")
    assert args[args.index("--host") + 1] == "127.0.0.1" and args[args.index("--port") + 1] == "8790"
    assert {"--production", "--no-check-version", "--no-open"} <= set(args)
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path.resolve())
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
