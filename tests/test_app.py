"""The SolaraViz app without a browser (as Mesa tests its examples): the page exists,
the model builds from the viz parameters, the figures and panels render, and the
switches reach the model.  The real-browser test is tests/test_browser.py."""

from __future__ import annotations

import inspect
import re

import ipywidgets
import pytest
import solara
from mesa.visualization.solara_viz import _check_model_params

from model import app
from model.model import WalledGardens

SMALL = {"consumers": 1000, "merchants": 100}


@pytest.fixture
def fresh_settings():
    """The sidebar's reactive variables are module globals: restore them after a test."""
    yield app.settings
    for key, value in app.DEFAULTS.items():
        app.settings[key].value = value


def test_page_and_params():
    assert app.page is not None
    assert set(app.model_params) <= set(inspect.signature(app.VizModel.__init__).parameters)
    _check_model_params(app.VizModel(**SMALL), app.model_params)  # what SolaraViz checks
    assert app.scenario_names()[0] == app.DEFAULT_SCENARIO
    assert set(app.model_params["scenario_name"]["values"]) >= {"baseline", "regulator_crackdown", "dma_ex_ante"}
    # SolaraViz's Reset passes the inputs' values, which may still be the reactive variables
    model = app.VizModel(**{k: v["value"] for k, v in app.model_params.items()})
    assert model.settings == app.DEFAULTS


def test_model_runs_and_components_build():
    model = app.VizModel(**SMALL)
    assert model.time == 0
    model.run_for(10)
    assert model.time == 10
    for build in (app.payment_share_figure, app.reach_figure, app.hhi_figure, app.multihoming_figure):
        fig = build(model)
        assert fig.data and all(len(trace.x) == 11 for trace in fig.data if trace.name), build.__name__
    fig = app.payment_share_figure(model)
    assert {t.name for t in fig.data} >= set(model.market.wallets)
    net = app.network_figure(model)
    consumers = sum(len(t.x) for t in net.data if t.name.startswith("consumer:"))
    merchants = sum(len(t.x) for t in net.data if t.name.startswith("merchant:"))
    assert consumers == app.SAMPLE_CONSUMERS and merchants == app.SAMPLE_MERCHANTS
    assert any(t.name == "contacts" and len(t.x) > 3 * app.SAMPLE_CONSUMERS for t in net.data)  # a connected sample
    html = app.regulator_panel_html(model)
    assert "Policies in force at tick 10" in html and "No regulator actions" in html
    assert list(app.policy_table(model)["platform"]) == [p.name for p in model.platforms]


def test_regulator_panel_lists_actions():
    model = app.VizModel(scenario_name="regulator_crackdown", regulator_strength=3.0, **SMALL)
    model.run_for(30)
    table = app.regulator_table(model)
    assert not table.empty and "investigate" in set(table["action"])
    assert table["tick"].is_monotonic_decreasing  # newest first
    assert "<td>investigate</td>" in app.regulator_panel_html(model)


def test_switches_become_config():
    model = app.VizModel(exclusivity=False, payment_interop=True, link_interop=True, regulator_strength=2.0, **SMALL)
    cfg = model.cfg
    wallets = set(cfg.wallet_names())
    assert not any(p.exclusivity for p in cfg.platforms.values())
    assert all(set(m.accepts) == wallets for p in cfg.platforms.values() for m in p.marketplaces.values())
    assert all(p.admits_rival_links and p.admits_rival_apps for p in cfg.platforms.values() if p.social)
    assert (cfg.regulator.mode, cfg.regulator.strength) == ("ex_post", 2.0)
    assert not any(p.exclusivity_in_force for p in model.platforms)
    assert app.VizModel(regulator_strength=0, **SMALL).cfg.regulator.mode == "off"
    # a scenario's own regulator mode is kept (DMA-like ex ante)
    assert app.VizModel(scenario_name="dma_ex_ante", regulator_strength=1.0, **SMALL).cfg.regulator.mode == "ex_ante"
    assert app.VizModel(seed="7", **SMALL).seed == app.VizModel(rng=7, **SMALL).seed == 7
    with pytest.raises(ValueError, match="seed"):
        app.VizModel(seed="abc", **SMALL)


@pytest.mark.parametrize("name", app.scenario_names())
def test_untouched_switches_reproduce_the_scenario(name):
    """With the switches at a scenario's own policy, the viz model is the scenario file."""
    sizes = {"size.consumers": SMALL["consumers"], "size.merchants": SMALL["merchants"]}
    viz = app.VizModel(scenario_name=name, **app.scenario_policy(name), **SMALL)
    plain = WalledGardens(app.scenario_path(name), overrides=sizes, agents=False)
    assert viz.cfg.model_dump() == plain.cfg.model_dump()


def test_run_stops_at_the_scenario_horizon():
    model = app.VizModel(consumers=500, merchants=50)
    model.run_for(model.cfg.size.steps - 1)
    assert model.running
    model.step()
    assert not model.running


def _widgets(root) -> list:
    out, todo = [], [root]
    while todo:
        w = todo.pop()
        out.append(w)
        for attr in ("children", "items"):
            todo += [c for c in (getattr(w, attr, None) or []) if isinstance(c, ipywidgets.Widget)]
    return out


def _panel(root) -> str:
    return next(w.unsafe_innerHTML for w in _widgets(root) if "Policies in force" in getattr(w, "unsafe_innerHTML", ""))


def test_page_renders_and_a_switch_rebuilds_the_model(fresh_settings):
    box, rc = solara.render(app.Page(), handle_error=False)
    try:
        kinds = [type(w).__name__ for w in _widgets(box)]
        assert kinds.count("FigureWidget") == 5
        alibaba = re.compile(r"<td>alibaba</td><td>([^<]*)</td>")
        assert alibaba.search(_panel(box)).group(1) == "in force"
        fresh_settings["exclusivity"].value = False
        assert alibaba.search(_panel(box)).group(1) == "off"
        # choosing a scenario sets the switches to its own policy
        fresh_settings["scenario_name"].value = "regulator_crackdown"
        assert fresh_settings["exclusivity"].value is True
        assert fresh_settings["regulator_strength"].value == 3.0
        assert "strength 3" in _panel(box)
        # a bad input is reported on the page and the last good model stays
        fresh_settings["seed"].value = "abc"
        alerts = [c for w in _widgets(box) if type(w).__name__ == "Alert" for c in w.children if isinstance(c, str)]
        assert any("seed must be a whole number" in a for a in alerts), alerts
        assert "strength 3" in _panel(box)
    finally:
        rc.close()


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
