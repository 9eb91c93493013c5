"""Rewrite the calibration tables from calibration/: the errors per data point in README.md and
docs/ODD.md (from errors_point.csv and errors_posterior.csv, written by ``python -m model.calibrate
--check [--point]``) and the priors table of docs/ODD.md (posterior medians and 90% intervals of
posterior.csv; a row's "why free" is kept, a new parameter's comes from :data:`WHY`).

    python scripts/error_tables.py
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WHY = {"consumer.g_links": "word of mouth through links in the super-app: Pinduoduo's growth by group buying"}
PRIORS_HEADER = "| parameter | prior | posterior median [90% interval] | why free |"
HEADER = "| data point | fitted? | data | point (8 seeds) | miss, pp | posterior predictive mean [90%] | miss, pp |"


def rows() -> list[str]:
    point = pd.read_csv(ROOT / "calibration" / "errors_point.csv").set_index("observation")
    post = pd.read_csv(ROOT / "calibration" / "errors_posterior.csv").set_index("observation")
    out = []
    for name, p in point.iterrows():
        q = post.loc[name]
        kind = {"at_least": " (at least)", "at_most": " (at most)"}.get(p["kind"], "")
        out.append(f"| {name} | {'in' if p['in_sample'] else 'out'} | {p['data']:.3f}{kind} | {p['model']:.3f} | "
                   f"{100 * p['miss']:+.1f} | {q['model']:.3f} [{q['lo90']:.3f}, {q['hi90']:.3f}] | {100 * q['miss']:+.1f} |")
    return out


def _name(key: str) -> str:
    return " = ".join(f"`{k}`" for k in key.split("|"))


def prior_rows(text: str) -> list[str]:
    from model.calibrate import PRIORS

    why = dict(WHY)
    for line in text.split("\n"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            why[cells[0]] = cells[3]
    post = pd.read_csv(ROOT / "calibration" / "posterior.csv")
    out = []
    for key, (lo, hi) in PRIORS.items():
        v = post[key.split("|")[0]]
        out.append(f"| {_name(key)} | U({lo:g}, {hi:g}) | {v.median():.3g} [{v.quantile(0.05):.3g}, {v.quantile(0.95):.3g}] | "
                   f"{why.get(_name(key), why.get(key, ''))} |")
    return out


def rewrite(path: Path, table: list[str], header: str = HEADER) -> None:
    lines = path.read_text().split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == header)
    indent = re.match(r"\s*", lines[start]).group(0)
    end = start + 2
    while end < len(lines) and lines[end].strip().startswith("|"):
        end += 1
    lines[start + 2:end] = [indent + row for row in table]
    path.write_text("\n".join(lines))


if __name__ == "__main__":
    table = rows()
    for path in (ROOT / "README.md", ROOT / "docs" / "ODD.md"):
        rewrite(path, table)
        print(f"rewrote the error table of {path.relative_to(ROOT)} ({len(table)} rows)")
    odd = ROOT / "docs" / "ODD.md"
    priors = prior_rows(odd.read_text())
    rewrite(odd, priors, PRIORS_HEADER)
    print(f"rewrote the priors table of docs/ODD.md ({len(priors)} rows)")
