"""Notebook 04 (will Tencent approve?) executes at a small size and shows what it promises, computed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "04_will_tencent_approve.ipynb"


def test_notebook_is_the_output_of_its_generator():
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, 'notebooks'); import make_notebook_04 as m, nbformat; "
            "print(nbformat.writes(m.will_tencent_approve()))")
    fresh = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    stored = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in nbformat.reads(fresh, as_version=4).cells] == [c.source for c in stored.cells]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("WG_SMALL", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    mp.undo()
    return nb


def outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def test_notebook_executes_without_errors(executed):
    assert not [o for o in outputs(executed) if o.output_type == "error"]


def test_heatmaps_per_regime_and_the_sweep_are_drawn(executed):
    figs = [json.dumps(o["data"]["application/vnd.plotly.v1+json"]) for o in outputs(executed)
            if "application/vnd.plotly.v1+json" in o.get("data", {})]
    heat = [f for f in figs if '"heatmap"' in f]
    assert any("Payoff of tencent" in f for f in heat) and any("Payoff of alibaba" in f for f in heat)
    assert any("ex post regime" in f for f in heat), "the fine x detection sweep"
    for regime in ("none", "ex_post", "ex_ante"):
        assert any(f'"{regime}"' in f for f in heat), regime


def test_the_answer_is_computed_for_every_regime(executed):
    text = "".join(o["data"].get("text/markdown", "") for o in outputs(executed) if "data" in o)
    assert "Would Tencent approve?" in text
    for regime in ("none", "ex_post", "ex_ante"):
        assert f"**{regime}**" in text, regime
    assert "95% CI" in text and ("approves" in text or "suspends" in text or "indifferent within noise" in text)
    assert re.search(r"of (the )?9( combinations|\))", text)  # the sweep's count, from the runs
    assert "{" not in text.split("Would Tencent approve?")[1]  # no unfilled template
