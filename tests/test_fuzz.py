"""Generated bad and valid configurations (hypothesis over the pydantic schema).

Every case must end in a one-line ConfigError, or validate and run to the end with every
metric finite.  The cases:

* typos: a key of any table renamed by one edit, in the file or its ``extends`` parent,
  or passed as a ``--set`` override; the error must name that file (or the override),
  the dotted key and "did you mean";
* wrong types, NaN and infinities at any leaf (file or override);
* structures: duplicate wallet and marketplace names, ``listings_from`` self-references,
  chains and cycles, unknown hosts, platforms and wallets, missing wallet names;
* valid values: many fields at once drawn anywhere within their bounds (hypothesis
  favours the bounds themselves), cross-references drawn from the names that exist,
  and a policy timeline; the run (at a small size, 4 ticks) must stay finite.

The counts of each outcome are printed (``pytest -s``) and checked to be non-trivial.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from typing import Any, Literal, get_args, get_origin

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model import config as config_mod
from model.config import ConfigError, ScenarioConfig
from model.config_errors import annotation_at, dotted, is_model, unwrap
from model.runner import simulate

from conftest import SCENARIOS

BASE_FILE = SCENARIOS / "baseline.toml"
BASE = config_mod.read_raw(BASE_FILE)
PARENT, CHILD = "parent.toml", "child.toml"  # labels of the two layers of a generated file
FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
OUTCOMES: Counter = Counter()


# --------------------------------------------------------------------------- helpers
def leaves(node: Any, loc: tuple = ()) -> list[tuple]:
    """Locations of the scalar and list values in a raw config."""
    if isinstance(node, dict):
        return [x for k, v in node.items() for x in leaves(v, loc + (k,))]
    return [loc]


def tables(node: Any, loc: tuple = ()) -> list[tuple]:
    """Locations of schema tables (models, not name-keyed dicts) in a raw config."""
    out = []
    if isinstance(node, dict):
        if is_model(unwrap(annotation_at(ScenarioConfig, loc)[0])):
            out.append(loc)
        for k, v in node.items():
            out += tables(v, loc + (k,))
    return out


def get(raw: dict, loc: tuple) -> Any:
    for part in loc:
        raw = raw[part]
    return raw


def put(raw: dict, loc: tuple, value: Any) -> None:
    for part in loc[:-1]:
        raw = raw.setdefault(part, {})
    raw[loc[-1]] = value


def one_edit(word: str) -> st.SearchStrategy[str]:
    """A typo: one character dropped, doubled, swapped or replaced."""
    n = len(word)
    return st.one_of(
        st.integers(0, n - 1).map(lambda i: word[:i] + word[i + 1:]),
        st.integers(0, n - 1).map(lambda i: word[:i] + word[i] + word[i:]),
        st.integers(0, max(n - 2, 0)).map(lambda i: word[:i] + word[i + 1:i + 2] + word[i:i + 1] + word[i + 2:]),
        st.tuples(st.integers(0, n - 1), st.sampled_from("aeiouxz")).map(lambda t: word[:t[0]] + t[1] + word[t[0] + 1:]),
    ).filter(lambda w: w != word and w)


def two_layers(split: bool) -> list[tuple[str, dict]]:
    """The baseline as one file, or as a parent with a child overriding some of its keys."""
    parent = copy.deepcopy(BASE)
    if not split:
        return [(CHILD, parent)]
    child = {"name": "child", "consumer": {"tau": 1.2}, "platforms": {"alibaba": {"exclusivity": False},
                                                                     "jd": {"marketplaces": {"jd": {"ticket": 2.5}}}}}
    return [(PARENT, parent), (CHILD, child)]


def check_error(err: ConfigError) -> str:
    msg = str(err)
    assert "\n" not in msg and 0 < len(msg) < 2000, msg
    assert msg.split(":", 1)[0] in (PARENT, CHILD, f"{CHILD} (override)", str(BASE_FILE),
                                    f"{BASE_FILE} (override)"), msg
    return msg


def run_finite(cfg: ScenarioConfig) -> None:
    """Run at a small size (the bounds, not the size, decide whether the arithmetic is finite)."""
    n = min(cfg.size.consumers, 300)
    small = config_mod.validate(config_mod.with_overrides(cfg.model_dump(), {
        "size.consumers": n, "size.merchants": min(cfg.size.merchants, 40),
        "size.social_degree": min(cfg.size.social_degree, n - 1)}))
    df, _ = simulate(small, steps=4)
    values = df.select_dtypes("number").to_numpy(dtype=float)
    assert np.isfinite(values).all(), df.columns[~np.isfinite(values).all(axis=0)].tolist()


def outcome(kind: str, layers: list, overrides: dict | None = None) -> str | None:
    """Validate (and run if valid): None for a finite run, else the one-line error."""
    raw = config_mod.merge_layers(layers)
    try:
        raw = config_mod.with_overrides(raw, overrides, CHILD)
        cfg = config_mod.validate(raw, CHILD, layers + config_mod.override_layers(overrides, CHILD))
    except ConfigError as err:
        OUTCOMES[f"{kind}: one-line error"] += 1
        return check_error(err)
    run_finite(cfg)
    OUTCOMES[f"{kind}: finite run"] += 1
    return None


# --------------------------------------------------------------------------- typos
TYPO_TARGETS = [(layer, loc) for layer in (0, 1) for loc in tables(two_layers(True)[layer][1])
                if get(two_layers(True)[layer][1], loc)]


@FUZZ
@given(data=st.data())
def test_typos_name_the_file_the_key_and_a_suggestion(data):
    split = data.draw(st.booleans(), "extends")
    layers = two_layers(split)
    candidates = [(i, loc) for i, loc in TYPO_TARGETS if i < len(layers)]
    layer, table = data.draw(st.sampled_from(candidates), "table")
    node = get(layers[layer][1], table) if table else layers[layer][1]
    key = data.draw(st.sampled_from(sorted(k for k in node if isinstance(k, str))), "key")
    typo = data.draw(one_edit(key), "typo")
    fields = unwrap(annotation_at(ScenarioConfig, table)[0]).model_fields
    assume(typo not in fields)  # another real key ("psi1" -> "psi2") is not a typo
    via_override = data.draw(st.booleans(), "as --set")
    overrides = None
    if via_override:
        overrides = {dotted(table + (typo,)): node[key]}
    else:
        node[typo] = node.pop(key)
    msg = outcome("typo", layers, overrides)
    assert msg is not None, f"typo {typo!r} accepted"
    where = f"{CHILD} (override)" if via_override else layers[layer][0]
    assert msg.startswith(f"{where}: key '{dotted(table + (typo,))}'"), msg
    assert "unknown key" in msg and "allowed:" in msg


# --------------------------------------------------------------------------- wrong values
BAD_VALUES = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, 2**63, -(2**63) - 1, 10**30, -1e300, 1e300]),
    st.text(max_size=8), st.booleans(), st.none(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2), st.floats(),
)


@FUZZ
@given(data=st.data())
def test_wrong_types_nan_and_infinities_anywhere(data):
    layers = two_layers(data.draw(st.booleans(), "extends"))
    layer = data.draw(st.integers(0, len(layers) - 1), "layer")
    loc = data.draw(st.sampled_from(leaves(layers[layer][1])), "leaf")
    value = data.draw(BAD_VALUES, "value")
    if data.draw(st.booleans(), "as --set"):
        outcome("wrong value", layers, {dotted(loc): value})
    else:
        put(layers[layer][1], loc, value)
        outcome("wrong value", layers)


# --------------------------------------------------------------------------- structures
MARKETS = [(p, m) for p, pc in BASE["platforms"].items() for m in pc.get("marketplaces", {})]
WALLET_OWNERS = [p for p, pc in BASE["platforms"].items() if "wallet" in pc]
PLATFORMS = list(BASE["platforms"])


def structural(data) -> dict:
    """Overrides that break a cross-reference (or, drawn at random, sometimes keep it)."""
    kind = data.draw(st.sampled_from(["dup_wallet", "dup_market", "self", "chain", "cycle", "host", "accepts",
                                      "nowallet", "noname", "platform"]), "kind")
    p, m = data.draw(st.sampled_from(MARKETS), "marketplace")
    base = f"platforms.{p}.marketplaces.{m}"
    if kind == "dup_wallet":
        a, b = data.draw(st.permutations(WALLET_OWNERS), "owners")[:2]
        return {f"platforms.{b}.wallet.name": BASE["platforms"][a]["wallet"]["name"]}
    if kind == "dup_market":
        q = data.draw(st.sampled_from([x for x in PLATFORMS if x != p]), "other")
        return {f"platforms.{q}.marketplaces.{m}": {"quality": 0.5}}
    if kind == "self":
        return {f"{base}.listings_from": m}
    if kind in ("chain", "cycle"):
        (p2, m2) = data.draw(st.sampled_from([x for x in MARKETS if x[1] != m]), "second")
        out = {f"{base}.listings_from": m2, f"platforms.{p2}.marketplaces.{m2}.listings_from":
               m if kind == "cycle" else data.draw(st.sampled_from([x[1] for x in MARKETS]), "third")}
        return out
    if kind == "host":
        return {f"{base}.host": data.draw(st.sampled_from([*PLATFORMS, "nobody", "tencnet"]), "host")}
    if kind == "accepts":
        return {f"{base}.accepts": data.draw(st.lists(st.sampled_from(["alipay", "wechat_pay", "unionpay", "paypal",
                                                                       "alipy"]), max_size=3), "wallets")}
    if kind == "nowallet":
        return {f"platforms.{w}.wallet": None for w in WALLET_OWNERS}
    if kind == "noname":
        w = data.draw(st.sampled_from(WALLET_OWNERS), "owner")
        return {f"platforms.{w}.wallet": {"appeal": 1.0}}
    name = data.draw(st.sampled_from(["amazon", "alibab", "jd", "bad name", "_x"]), "platform")
    return {f"platforms.{name}.exclusivity": True}


@FUZZ
@given(data=st.data())
def test_duplicates_cycles_and_dangling_names(data):
    layers = two_layers(data.draw(st.booleans(), "extends"))
    outcome("structure", layers, structural(data))


# --------------------------------------------------------------------------- valid values
def value_for(loc: tuple) -> st.SearchStrategy | None:
    """A valid value for the schema field at ``loc`` (None where the field takes names)."""
    ann, constraints = annotation_at(ScenarioConfig, loc)
    ann = unwrap(ann)
    lo = hi = None
    for c in constraints:
        lo = getattr(c, "ge", getattr(c, "gt", lo))
        hi = getattr(c, "le", getattr(c, "lt", hi))
    if ann is bool:
        return st.booleans()
    if ann is int:
        return st.integers(lo, hi)
    if ann is float:
        strict_lo = any(hasattr(c, "gt") for c in constraints)
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False, exclude_min=strict_lo)
    if get_origin(ann) is Literal:
        return st.sampled_from(get_args(ann))
    if get_origin(ann) is list and get_origin(get_args(ann)[0]) is Literal:
        return st.lists(st.sampled_from(get_args(get_args(ann)[0])), max_size=3, unique=True)
    return None


def field_locs() -> list[tuple]:
    out = []
    for section in ("size", "consumer", "merchant", "regulator"):
        out += [(section, f) for f in getattr(ScenarioConfig.model_fields[section].annotation, "model_fields")]
    for p, pc in BASE["platforms"].items():
        out += [("platforms", p, f) for f in config_mod.PlatformConfig.model_fields]
        if "wallet" in pc:
            out += [("platforms", p, "wallet", f) for f in config_mod.WalletConfig.model_fields if f != "name"]
    for p, m in MARKETS:
        out += [("platforms", p, "marketplaces", m, f) for f in config_mod.MarketplaceConfig.model_fields]
    return [loc for loc in out if value_for(loc) is not None]


FIELDS = field_locs()
WALLETS = [BASE["platforms"][p]["wallet"]["name"] for p in WALLET_OWNERS]


FIELDS_WITH_NAMES = [loc for loc in [("platforms", p, "marketplaces", m, f) for p, m in MARKETS
                                     for f in ("accepts", "host", "listings_from")]
                     + [("platforms", p, "group") for p in PLATFORMS]]


def names_for(loc: tuple) -> st.SearchStrategy | None:
    """Valid names for the cross-reference fields."""
    field = loc[-1]
    if field == "accepts":
        return st.lists(st.sampled_from(WALLETS), max_size=3, unique=True)
    if field == "host":
        return st.sampled_from([None, "tencent"])
    if field == "listings_from":
        return st.sampled_from([None, "taobao", "jd", "meituan"])
    if field == "group":
        return st.sampled_from([None, "alibaba", "tencent", "other"])
    return None


def events(data) -> list[dict]:
    minis = [m for p, m in MARKETS if BASE["platforms"][p]["marketplaces"][m].get("host")]
    actions = ["ban_exclusivity", "lift_exclusivity_ban", "payment_interop", "link_interop",
               "approve_miniprogram", "suspend_miniprogram"]
    out = []
    for action in data.draw(st.lists(st.sampled_from(actions), max_size=4), "events"):
        target = (data.draw(st.sampled_from(minis), "mini") if action.endswith("miniprogram")
                  else data.draw(st.sampled_from([None, *PLATFORMS]), "target"))
        out.append({"tick": data.draw(st.integers(0, 3), "tick"), "action": action, "target": target})
    return out


@FUZZ
@given(data=st.data())
def test_valid_values_anywhere_in_their_bounds_run_finite(data):
    locs = data.draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=25, unique=True), "fields")
    overrides = {dotted(loc): data.draw(value_for(loc), dotted(loc)) for loc in locs}
    for loc in data.draw(st.lists(st.sampled_from(FIELDS_WITH_NAMES), max_size=3, unique=True), "refs"):
        overrides[dotted(loc)] = data.draw(names_for(loc), dotted(loc))
    overrides["events"] = events(data)
    outcome("valid values", two_layers(data.draw(st.booleans(), "extends")), overrides)


MARKET_KEYS = [f"platforms.{p}.marketplaces.{m}" for p, m in MARKETS]


def corner(sign: int) -> dict:
    """Every bound that pushes utilities, budgets and logits to one extreme at once."""
    ov = {"size.consumers": 300_000, "size.merchants": 2000, "size.social_degree": 16, "consumer.taste_sd": 5.0,
          "consumer.tau": 10.0 if sign < 0 else 0.0, "consumer.budget_mean": 1e6 if sign < 0 else 1e-3,
          "consumer.budget_sigma": 3.0, "consumer.checkout_scale": 0.1, "consumer.checkout_habit": 20.0,
          "consumer.g_direct": 100.0, "consumer.g_indirect": 100.0, "consumer.wallet_noise": 0.01,
          "consumer.lam_wallet": 0.0 if sign < 0 else 100.0, "consumer.g_links": 100.0,
          "consumer.b_merchants": 100.0 if sign > 0 else 0.0, "consumer.market_noise": 100.0,
          "consumer.multihoming_threshold": -100.0 * sign, "consumer.switching_cost": 0.0,
          "consumer.p2p_value": 1e6, "consumer.p2p_count": 1e6, "merchant.choice_noise": 1e-3,
          "merchant.multihoming_cost": 100.0, "merchant.margin_sd": 1.0, "merchant.exclusivity_bonus": 10.0,
          "merchant.revision": 1.0, "regulator.mode": "ex_post", "regulator.strength": 10.0,
          "regulator.psi0": 100.0 * sign, "regulator.psi1": 100.0, "regulator.psi2": -100.0, "regulator.delay": 0}
    for key in MARKET_KEYS:
        ov.update({f"{key}.quality": 10.0 * sign, f"{key}.ticket": 1e-3 if sign < 0 else 1e6, f"{key}.commission": 0.5,
                   f"{key}.pass_through": 1.0, f"{key}.fixed_fee": 100.0 if sign > 0 else 0.0})
    for p, appeal in zip(WALLET_OWNERS, (20.0, -20.0, 20.0 * sign)):
        ov.update({f"platforms.{p}.wallet.appeal": appeal, f"platforms.{p}.wallet.adoption_cost": 100.0 * (sign > 0)})
    return ov


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no overflow or invalid value on the way either
@pytest.mark.parametrize("sign", [-1, 1])
def test_the_corners_of_the_bounds_stay_finite_at_a_large_size(sign):
    """Deep taste tails need many consumers: 300k x 6 marketplaces reach about 5 sd."""
    df, _ = simulate(config_mod.load(BASE_FILE, corner(sign)), steps=4)
    assert np.isfinite(df.select_dtypes("number").to_numpy(dtype=float)).all()


def test_the_fuzz_covered_every_outcome():
    """Runs after the fuzz tests in this module: each kind of case was generated, and
    valid configurations really ran (the counts are printed)."""
    if not OUTCOMES:
        pytest.skip("run together with the fuzz tests above")
    total = sum(OUTCOMES.values())
    print(f"\nfuzz: {total} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(OUTCOMES.items())))
    assert OUTCOMES["typo: one-line error"] >= 250
    assert OUTCOMES["wrong value: one-line error"] >= 150 and OUTCOMES["structure: one-line error"] >= 150
    assert OUTCOMES["valid values: finite run"] >= 150
