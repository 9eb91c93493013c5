"""The model side of the viz: the scenarios offered, checked setup values, the model built from
them, the policy in force and how to change it mid-run, and the regulator panel's tables.

Every value that comes from the browser goes through :func:`check_setup`: scenario names are
looked up in the list offered (never turned into a path otherwise), numbers are checked
against the inputs' bounds, and an error is one line without server paths.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from . import config as config_mod
from . import events
from . import vizcharts as charts
from .model import WalledGardens
from .report_metrics import month_label

REPO = Path(__file__).resolve().parent.parent
SCENARIO_DIR = REPO / "scenarios"
DEFAULT_SCENARIO = "baseline"
# bounds of the setup inputs, enforced on the server too: (min, max, step)
LIMITS = {"consumers": (500, 20_000, 500), "merchants": (50, 2_000, 50), "regulator_strength": (0.0, 5.0, 0.5)}
SEED_MAX = 2**63 - 1
DEFAULTS = {"scenario_name": DEFAULT_SCENARIO, "regulator_strength": None, "consumers": 3000, "merchants": 300,
            "seed": 42}


class InputError(ValueError):
    """A setup value from the browser that cannot be used (one line, no server paths)."""


def scenario_names() -> list[str]:
    """Scenario files offered in the viz, read afresh: scenarios/*.toml (not sub-folders), default first."""
    names = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(names, key=lambda n: n != DEFAULT_SCENARIO)


def scenario_path(name: str) -> Path:
    """The file of a scenario offered in the viz; any other name is refused (never turned into a path)."""
    offered = scenario_names()
    if name not in offered:
        raise InputError(f"scenario {str(name)[:60]!r} is not one of the scenarios offered: {offered}")
    return SCENARIO_DIR / f"{name}.toml"


def scenario_strength(name: str) -> float:
    """The regulator strength a scenario itself uses (0 when its regulator is off)."""
    cfg = load_scenario(name)
    return float(cfg.regulator.strength) if cfg.regulator.mode != "off" else 0.0


def load_scenario(name: str) -> config_mod.ScenarioConfig:
    try:
        return config_mod.load(scenario_path(name))
    except config_mod.ConfigError as err:  # name the scenario, not the server's path
        raise InputError(f"scenario {name!r}: {str(err).split(': ', 1)[-1]}") from None


def _number(key: str, value, kind=int):
    lo, hi, _ = LIMITS[key]
    label = key.replace("_", " ")
    try:
        v = kind(value)
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{label} must be a {'whole ' if kind is int else ''}number from {lo:,g} to {hi:,g}, "
                         f"got {str(value)[:40]!r}") from None
    if not lo <= v <= hi:
        raise InputError(f"{label} must be from {lo:,g} to {hi:,g}, got {v:,g}")
    return v


def parse_seed(value) -> int:
    try:
        v = int(str(value).strip())
    except ValueError:
        v = -1
    if not 0 <= v <= SEED_MAX:
        raise InputError(f"seed must be a whole number from 0 to 2**63-1, got {str(value)[:40]!r}")
    return v


def check_setup(values: dict) -> dict:
    """The setup values, checked and normalised; raises :class:`InputError` (one line)."""
    name = values.get("scenario_name", DEFAULT_SCENARIO)
    scenario_path(name)
    strength = values.get("regulator_strength")
    return {"scenario_name": name,
            "regulator_strength": scenario_strength(name) if strength is None else _number(
                "regulator_strength", strength, float),
            "consumers": _number("consumers", values.get("consumers", DEFAULTS["consumers"])),
            "merchants": _number("merchants", values.get("merchants", DEFAULTS["merchants"])),
            "seed": parse_seed(values.get("seed", DEFAULTS["seed"]))}


class VizModel(WalledGardens):
    """WalledGardens built from the viz's flat, checked parameters (Mesa style: ``VizModel(**params)``).

    ``regulator_strength`` None keeps the scenario's regulator; 0 turns it off; above 0 sets
    that strength, in the scenario's mode (ex_post when it has none).  ``rng`` is the seed,
    the Mesa 3 way.  Runs stop at the scenario's ``size.steps``.
    """

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, regulator_strength: float | None = None,
                 consumers: int = 3000, merchants: int = 300, seed: int | str = 42, rng: int | None = None):
        self.settings = check_setup({"scenario_name": scenario_name, "regulator_strength": regulator_strength,
                                     "consumers": consumers, "merchants": merchants,
                                     "seed": seed if rng is None else rng})
        s = self.settings
        cfg = load_scenario(s["scenario_name"])
        overrides: dict = {"size.consumers": s["consumers"], "size.merchants": s["merchants"]}
        if s["regulator_strength"] <= 0:
            overrides["regulator.mode"] = "off"
        else:
            overrides["regulator.strength"] = s["regulator_strength"]
            if cfg.regulator.mode == "off":
                overrides["regulator.mode"] = "ex_post"
        super().__init__(scenario_path(s["scenario_name"]), seed=s["seed"], overrides=overrides, agents=True)
        self.horizon = self.cfg.size.steps
        self.sample = charts.NetworkSample.build(self)

    def step(self) -> None:
        super().step()
        if self.time >= self.horizon:
            self.running = False


# -- policy in force, and changing it mid-run -------------------------------------

def _social(model) -> list:
    return [p for p in model.platforms if model.cfg.platforms[p.name].social]


def miniprograms(model) -> list[tuple[str, str]]:
    """(mini-program marketplace, host platform) pairs."""
    return [(m, mc.host) for p in model.cfg.platforms.values() for m, mc in p.marketplaces.items() if mc.host]


def policy_state(model) -> dict:
    """What the policy switches show: the policy in force now (read from the platforms)."""
    wallets = set(model.market.wallets)
    demanders = [p for p in model.platforms if p.exclusivity]
    hosts = {p.name: p for p in model.platforms}
    return {
        "exclusivity": any(p.exclusivity_in_force for p in model.platforms),
        "exclusivity_demanded": bool(demanders),
        "payment_interop": all(set(ws) >= wallets for p in model.platforms for ws in p.accepts.values()),
        "link_interop": bool(_social(model)) and all(p.admits_rival_links for p in _social(model)),
        "miniprograms": {m: hosts[h].admits_rival_apps for m, h in miniprograms(model)},
    }


def policy_event(model, action: str, target: str | None = None) -> config_mod.Event:
    """Apply a policy at the current month, as a timeline event would (logged by the regulator)."""
    ev = config_mod.Event(tick=int(model.time), action=action, target=target, note="applied in the viz")
    events.apply(model, ev)
    return ev


# -- regulator panel -----------------------------------------------------------------

def policy_table(model) -> pd.DataFrame:
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
                 + ("open" if p.admits_rival_apps else "blocked")) if model.cfg.platforms[p.name].social else ""
        rows.append({"platform": p.name, "exclusivity": excl, "accepts": accepts, "super-app": links,
                     "fines": p.fines})
    return pd.DataFrame(rows)


def regulator_table(model, limit: int = 60) -> pd.DataFrame:
    """The regulator's actions and timeline events, newest first."""
    return model.regulator_log().iloc[::-1].head(limit).reset_index(drop=True)


def html_table(df: pd.DataFrame, cls: str, empty: str) -> str:
    if df.empty:
        return f'<p class="{cls} wg-empty" style="color:#777;margin:4px 0">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for _, row in df.iterrows():
        cells = []
        for v in row.tolist():
            if isinstance(v, float):
                v = f"{v:,.2f}" if v else ""
            cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="{cls}" style="border-collapse:collapse;width:100%;font-size:12px">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")




def regulator_summary(model) -> str:
    reg = model.regulator
    mode = reg.cfg.mode if reg.cfg.strength > 0 else "off"
    open_inv = ", ".join(f"{n} (since {t})" for n, t in reg.investigations.items()) or "none"
    out = f"regulator: <b>{html.escape(mode)}</b>"
    if mode != "off":
        out += f", strength {reg.cfg.strength:g}"
    return out + f"; fines so far {reg.fines_total:,.2f}; open investigations: {html.escape(open_inv)}"


def month_text(model) -> str:
    when = month_label(model.cfg.start, int(model.time))
    return f"Month: {int(model.time)} of {model.horizon}" + (f" ({when})" if when else "")


def panel_key(model) -> tuple:
    """Changes whenever the panels (actions, policies in force, regulator summary) would change."""
    reg = model.regulator
    return (len(reg.actions), repr(policy_state(model)), round(reg.fines_total, 6), tuple(reg.investigations),
            tuple(p.exclusivity_in_force for p in model.platforms), model.running)
