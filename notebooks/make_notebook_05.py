"""Write notebooks/05_where_interop_fails.ipynb from the cell sources below (unexecuted).

    .venv/bin/python notebooks/make_notebook_05.py

The notebook reads ``WG_SMALL=1`` (set by tests/test_notebook_05.py) to run a small design;
without it it runs scenarios/explore/interop_robustness.toml as written.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from make_notebooks import SETUP, _meta

HERE = Path(__file__).resolve().parent


def where_interop_fails() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell("""# Where does payment interoperability fail?

Mandating that every marketplace accept every wallet (as Taobao/Tmall did with WeChat Pay in
2024) is meant to widen **merchant reach**: the share of consumers who can buy from a merchant.
Whether it does depends on things nobody knows well: how strongly consumers follow their
contacts' wallets, how sticky checkout habits are, how costly switching and multi-homing are.

This notebook runs the exploration `scenarios/explore/interop_robustness.toml` with the
[EMA Workbench](https://emaworkbench.readthedocs.io)'s vocabulary: **uncertainties** (config keys
with ranges, sampled by Latin hypercube), one **lever** (the `payment_interop` event at month 60,
on or off) and **outcomes** (metrics). Each scenario runs with and without the lever on the same
seeds, so the reach gain is paired. Then **PRIM** scenario discovery looks for the region of the
uncertainty space where interoperability adds less than 1 percentage point of reach.

The model is not yet calibrated against the posterior of the validation work: read the numbers
as the current model's, not as estimates."""),
        new_code_cell(SETUP),
        new_code_cell('''import dataclasses
import tempfile

from model import discovery, explore, explore_config

spec = explore_config.load("scenarios/explore/interop_robustness.toml")
if SMALL:  # the test suite: a small design at a small size
    spec = dataclasses.replace(spec, n_scenarios=16, steps=72,
                               fixed={"size.consumers": 1500, "size.merchants": 150})
out = Path(tempfile.mkdtemp(prefix="interop_robustness_"))
result = explore.explore(spec, out, route="batch", workers=2 if os.cpu_count() > 1 else 1)
table = result.table
print(f"{len(table)} experiments ({len(explore.make_design(spec).scenarios)} scenarios x 2 policies), "
      f"{result.runs} runs in {result.elapsed:.0f} s")
table.head()'''),
        new_markdown_cell("""## The reach gain across scenarios

One point per scenario: the gain in mean merchant reach (last 12 months) from payment
interoperability against none, the same scenario and seeds. The dashed line is the 1 pp bar."""),
        new_code_cell('''gains = discovery.analysed_rows(table, "reach_gain")
fig = px.histogram(gains, x="reach_gain", nbins=30, title="Reach gain from payment interoperability (share of consumers)")
fig.add_vline(x=0.01, line_dash="dash", annotation_text="1 pp")
fig.show()
found = result.discovery
scores = pd.Series(found["feature_scores"]["reach_gain"]).sort_values()
px.bar(scores, orientation="h", title="Which uncertainties drive the gain (extra-trees feature scores)").show()'''),
        new_markdown_cell("""## PRIM: the region where interoperability fails

PRIM peels away slices of the uncertainty space to leave a box where most experiments are
failures (the box's **density**) while keeping most failures inside (its **coverage**). The
trajectory shows the trade-off; the ringed point is the box chosen: the largest coverage among
the boxes at least 80 % dense."""),
        new_code_cell('''from model.sweep_report import prim_figure

pr = found["prim"]
if pr["boxes"]:
    prim_figure(pr["boxes"]).show()
    limits = pd.DataFrame([{"box": k, **lim} for k, b in enumerate(pr["boxes"], 1) for lim in b["limits"]])
    display(limits)
else:
    print("PRIM found no box:", pr["cases"], "of", pr["experiments"], "experiments are failures")'''),
        new_markdown_cell("## The story in words"),
        new_code_cell('''inside = None
lines = [f"Over {pr['experiments']} scenarios of consumer and merchant behaviour, payment interoperability "
         f"raises mean merchant reach by a median of **{gains['reach_gain'].median() * 100:.1f} pp** "
         f"(from {gains['reach_gain'].min() * 100:.1f} to {gains['reach_gain'].max() * 100:.1f} pp); "
         f"it fails to add 1 pp in **{pr['cases']}** of them ({pr['share']:.0%})."]
top = scores.sort_values(ascending=False).index[:2]
lines.append(f"The gain depends most on `{top[0]}` and `{top[1]}` (feature scores).")
if pr["boxes"]:
    b = pr["boxes"][0]
    lines.append(f"PRIM's first box is **{discovery.box_text(b)}**: there {b['density']:.0%} of scenarios are "
                 f"failures, and the box holds {b['coverage']:.0%} of all failures in {b['mass']:.0%} of the scenarios.")
display(Markdown(" ".join(lines)))'''),
    ]
    return new_notebook(cells=cells, metadata=_meta())


if __name__ == "__main__":
    nbformat.write(where_interop_fails(), HERE / "05_where_interop_fails.ipynb")
