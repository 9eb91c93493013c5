"""Scenario configuration: TOML files validated with pydantic.

A scenario file may name a parent with ``extends = "other.toml"`` (a path
relative to the file).  Tables are merged key by key, child winning; arrays
(e.g. ``events``) are replaced whole.  Platforms are keyed by name so a child
can override one field of one platform:

    extends = "baseline.toml"
    [platforms.alibaba]
    exclusivity = false

Every error is raised as :class:`ConfigError` with a one-line message naming
the file that set the bad key (an ``extends`` parent, or an override), the dotted
key and what is allowed (see :mod:`model.config_errors`).  Validators raise
:class:`BadKey` (a location and a message) so that their errors are located too;
:func:`format_error` formats any pydantic error of the schema or a part of it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .config_errors import (BadKey, ConfigError, Loc, annotation_at, did_you_mean, format_error, free_name_table,
                            unknown)

__all__ = ["BadKey", "ConfigError", "ScenarioConfig", "format_error", "load", "read_raw", "validate",
           "with_overrides"]

# Bounds keep the model's arithmetic finite (exp of utilities in float32, budgets in float32,
# logits divided by noise scales) for every valid value, not only for sensible ones.
UTILITY_MAX = 100.0  # |weights, costs, thresholds| in utility units
APPEAL_MAX = 20.0  # |wallet appeal|, checkout habit and default: exp((appeal + habit + default) / scale) < 1e261
# Checkout weights are exp(V) in float32 and budgets are divided by their sum: V must stay above
# about -60 for every consumer (taste up to 6 sd below 0, low quality, high price sensitivity)
QUALITY_MAX, TAU_MAX, TASTE_SD_MAX = 10.0, 10.0, 5.0
MAX_TICKS = 10_000  # run length and every duration in ticks
MAX_MARKETPLACES = 64  # consumers' and merchants' marketplace sets are 64-bit integers
MAX_WALLETS = 16  # consumers' wallet sets are 16-bit integers
MAX_PLATFORMS = 64
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_-]*$"  # platform, marketplace and wallet names (dotted keys, columns)

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0, le=UTILITY_MAX)]  # a weight or cost in utility units
Utility = Annotated[float, Field(ge=-UTILITY_MAX, le=UTILITY_MAX)]
Noise = Annotated[float, Field(ge=0.01, le=UTILITY_MAX)]  # a scale that utilities are divided by
Ticks = Annotated[int, Field(ge=0, le=MAX_TICKS)]
Amount = Annotated[float, Field(ge=0.0, le=1e6)]  # money or counts per consumer and month


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # validated once, never changed


class SizeConfig(_Strict):
    """Population sizes and run length."""

    consumers: Annotated[int, Field(ge=10, le=10_000_000)] = 20_000
    merchants: Annotated[int, Field(ge=10, le=1_000_000)] = 2_000
    steps: Annotated[int, Field(ge=1, le=MAX_TICKS)] = 120
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 42
    social_degree: Annotated[int, Field(ge=1, le=64)] = 10
    rewire: Probability = 0.1  # share of ring-lattice contacts rewired at random (1: a random graph)


class ConsumerConfig(_Strict):
    """Wallet adoption, marketplace choice and checkout (DOMAIN.md, mechanisms)."""

    g_direct: NonNeg = 2.0  # weight of contacts' wallet use
    g_indirect: NonNeg = 2.0  # weight of own spending at sellers accepting the wallet
    wallet_noise: Noise = 1.0  # logistic scale of adoption noise
    wallet_revision: Probability = 0.2  # share of consumers reconsidering wallets each tick
    tau: Annotated[float, Field(ge=0, le=TAU_MAX)] = 1.0  # price sensitivity
    outside_utility: Annotated[float, Field(ge=-QUALITY_MAX, le=2 * QUALITY_MAX)] = 0.0  # buying offline, at checkout
    outside_trend: Annotated[float, Field(ge=-0.1, le=0.1)] = 0.0  # its change per month (< 0: online grows)
    outside_trend_origin: Ticks = 0  # the tick at which the outside option's utility is outside_utility
    b_merchants: NonNeg = 1.0  # seller-side network effect b_M, relative: ln(1 + S_k / mean S)
    b_variety: NonNeg = 0.5  # absolute variety effect: ln(1 + S_k / (variety_scale x consumers))
    variety_scale: Annotated[float, Field(ge=1e-3, le=1e3)] = 0.1  # sellers per consumer that double variety
    lam_wallet: NonNeg = 1.5  # bonus for holding a wallet the marketplace accepts
    g_links: NonNeg = 1.0  # word of mouth through links in the super-app: sways use, not what buying is worth
    switching_cost: NonNeg = 1.0  # cost of starting on a new marketplace
    multihoming_threshold: Utility = 0.5  # extra utility needed to add a marketplace
    market_revision: Probability = 0.2
    spend_adjustment: Annotated[float, Field(gt=0, le=1)] = 1.0  # share of the gap to this month's split closed (1: at once)
    taste_sd: Annotated[float, Field(ge=0, le=TASTE_SD_MAX)] = 1.0  # sd of fixed idiosyncratic marketplace taste
    # docking (Armstrong 2006): "hotelling" spreads consumers on [0, 1] with taste -taste_sd x distance to k
    taste_distribution: Literal["normal", "hotelling"] = "normal"
    market_noise: NonNeg = 0.3  # sd of per-tick utility shocks
    checkout_habit: Annotated[float, Field(ge=0, le=APPEAL_MAX)] = 1.0  # bonus of the last wallet used at checkout
    checkout_default: Annotated[float, Field(ge=0, le=APPEAL_MAX)] = 0.0  # bonus of the wallet a marketplace preselects
    checkout_scale: Annotated[float, Field(ge=0.1, le=UTILITY_MAX)] = 1.0  # logit scale of the checkout wallet
    budget_mean: Annotated[float, Field(ge=1e-3, le=1e6)] = 1.0  # monthly spend, arbitrary units
    budget_sigma: Annotated[float, Field(ge=0, le=3)] = 0.8  # lognormal sigma of budgets (float32 budgets stay finite)
    social_share: Probability = 0.95  # share of consumers on a super-app
    p2p_value: Amount = 0.15  # monthly peer transfers (value) via a super-app's wallet
    p2p_count: Amount = 4.0  # ... and their count
    initial_wallet: dict[str, Probability] = Field(default_factory=dict)
    initial_market: dict[str, Probability] = Field(default_factory=dict)


class FixedBenefitConfig(_Strict):
    """Docking restriction (Armstrong 2006): what a merchant expects from listing on k, in units U of mean
    sales per merchant, in place of its margin on a share of k's last sales: ``value`` +
    ``per_buyer_share`` x k's share of all buyers' spending (not split among k's sellers), minus
    ``hotelling_cost`` x its distance to k on the Hotelling line (:mod:`model.hotelling`)."""

    value: NonNeg = 0.0  # gain from any listing
    per_buyer_share: NonNeg = 0.0  # Armstrong's a_2: gain per unit of k's share of buyers
    hotelling_cost: NonNeg = 0.0  # Armstrong's t_2: cost per unit of distance


class MerchantConfig(_Strict):
    """Listing decisions under exclusivity."""

    margin_mean: Annotated[float, Field(gt=0, le=1)] = 0.15
    margin_sd: Annotated[float, Field(ge=0, le=1)] = 0.05
    multihoming_cost: NonNeg = 0.005  # per extra marketplace, in units of mean spending per merchant
    revision: Probability = 0.1
    choice_noise: Annotated[float, Field(ge=1e-3, le=UTILITY_MAX)] = 0.02  # Gumbel scale, x the merchant's expected sales
    exclusivity_bonus: Annotated[float, Field(ge=0, le=10)] = 0.2  # traffic bonus from an exclusivity deal
    throttle_penalty: Probability = 0.7  # traffic lost when caught multi-homing
    detection_rate: Probability = 0.1  # monthly chance a defier is caught
    throttle_ticks: Ticks = 6
    initial_listing: Probability = 0.5  # chance to start on each marketplace
    fixed_benefit: FixedBenefitConfig | None = None  # docking only (None: merchants expect sales)


class RegulatorConfig(_Strict):
    """Antitrust authority (SAMR-like ex post, or DMA-like ex ante)."""

    mode: Literal["off", "ex_post", "ex_ante"] = "ex_post"
    strength: Annotated[float, Field(ge=0, le=10)] = 1.0  # multiplies detection odds
    psi0: Utility = -7.6  # a monthly investigation hazard near 1/70 at Alibaba's share and complaints
    psi1: Utility = 4.0
    psi2: Utility = 4.0
    delay: Ticks = 12  # ticks from investigation to decision
    fine_rate: Annotated[float, Field(ge=0.01, le=0.10)] = 0.04  # law allows 1-10%
    remedy_ticks: Ticks = 36
    gatekeeper_share: Probability = 0.3  # ex ante: who is designated


class MarketplaceConfig(_Strict):
    """A storefront (marketplace or mini-program) owned by a platform."""

    quality: Annotated[float, Field(ge=-QUALITY_MAX, le=QUALITY_MAX)] = 1.0  # v_k
    commission: Annotated[float, Field(ge=0, le=0.5)] = 0.03
    fixed_fee: NonNeg = 0.0  # per listing per tick, in units of mean sales
    ticket: Annotated[float, Field(ge=1e-3, le=1e6)] = 1.0  # mean purchase size (value/count)
    accepts: list[str] = Field(default_factory=list)  # wallets accepted at checkout
    host: str | None = None  # platform whose super-app hosts this mini-program
    listings_from: str | None = None  # marketplace whose merchants appear here
    pass_through: Probability = 0.5  # share of commission passed on to prices (merchants receive 1 + pt c, 7.6)
    consumer_price: Annotated[float, Field(ge=-0.5, le=1.0)] = 0.0  # charged to buyers, share of goods value (< 0: subsidy)
    margin: Annotated[float, Field(gt=0, le=1)] | None = None  # mean gross margin of goods sold here (None: merchant.margin_mean)
    cost: Annotated[float, Field(ge=0, le=0.5)] = 0.0  # the platform's own cost per unit of sales
    launched: bool = True  # the owner offers it (false: withdrawn, e.g. a guest's mini-program)
    enters_at: Ticks = 0  # the tick it opens (market entry); before it nobody can use or list on it


class WalletConfig(_Strict):
    """A payment wallet."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)]  # e.g. "alipay"
    appeal: Annotated[float, Field(ge=-APPEAL_MAX, le=APPEAL_MAX)] = 0.0  # a_w
    adoption_cost: NonNeg = 0.3  # c_w
    fee: Annotated[float, Field(ge=0, le=0.1)] = 0.006


StrategicPolicy = Literal["exclusivity", "payment_openness", "link_openness", "app_approval", "miniprogram_offer"]


class PlatformConfig(_Strict):
    """A firm: any of marketplaces, a super-app, a wallet; and its policies."""

    group: str | None = None  # alliance; defaults to the platform's own name
    social: bool = False  # runs a super-app (social graph, links, mini-programs)
    wallet: WalletConfig | None = None
    marketplaces: dict[str, MarketplaceConfig] = Field(default_factory=dict)
    exclusivity: bool = False  # demands "choose one of two" from its merchants
    admits_rival_links: bool = True  # super-app: rival links open in chats
    admits_rival_apps: bool = True  # super-app: approves rival mini-programs
    adaptive: bool = True  # hill-climbs its commissions
    strategy_interval: Annotated[int, Field(ge=2, le=MAX_TICKS)] = 12  # months between moves; judged on the 2nd half
    commission_step: Annotated[float, Field(ge=0, le=0.05)] = 0.01  # first step of a price; halved on each reversal
    strategic: list[StrategicPolicy] = Field(default_factory=list)  # policies it chooses itself
    adaptive_consumer_price: bool = False  # hill-climbs the price (or subsidy) its marketplaces charge buyers
    subsidy_budget: Amount | None = None  # money per consumer it may spend on buyer subsidies (None: no limit)
    operating_cost: Amount = 0.0  # fixed cost per tick, per consumer
    initial_cash: Amount | None = None  # exits when its cash falls below 0 (None: deep pockets, never)
    exploration: Probability = 0.25  # chance per strategy interval to try flipping one of them


EventAction = Literal[
    "ban_exclusivity",
    "lift_exclusivity_ban",
    "payment_interop",
    "link_interop",
    "approve_miniprogram",
    "suspend_miniprogram",
    "set",
]


class Event(_Strict):
    """A timeline entry applied at the start of ``tick``."""

    tick: Annotated[int, Field(ge=0)]
    action: EventAction
    target: str | None = None  # platform or mini-program name, where the action needs one
    key: str | None = None  # for "set": platforms.<name>.<field> or <section>.<field>
    value: Any = None
    note: str = ""


class ScenarioConfig(_Strict):
    """One scenario: sizes, behaviour parameters, actors and a timeline."""

    name: str = "unnamed"
    description: str = ""
    start: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")] | None = None  # "YYYY-MM": calendar month of tick 0
    size: SizeConfig = Field(default_factory=SizeConfig)
    consumer: ConsumerConfig = Field(default_factory=ConsumerConfig)
    merchant: MerchantConfig = Field(default_factory=MerchantConfig)
    regulator: RegulatorConfig = Field(default_factory=RegulatorConfig)
    platforms: dict[str, PlatformConfig] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_references(self) -> ScenarioConfig:
        _check_names(self)
        _check_marketplaces(self)
        _check_size(self)
        for i, ev in enumerate(self.events):
            _check_event(ev, f"events[{i}]", self)
        return self

    def wallet_names(self) -> list[str]:
        return [p.wallet.name for p in self.platforms.values() if p.wallet is not None]

    def marketplace_names(self) -> list[str]:
        return [m for p in self.platforms.values() for m in p.marketplaces]


def _check_names(cfg: ScenarioConfig) -> None:
    """Platform, marketplace and wallet names: well formed, wallets and marketplaces unique."""
    if len(cfg.platforms) > MAX_PLATFORMS:
        raise BadKey(("platforms",), f"{len(cfg.platforms)} platforms; allowed: at most {MAX_PLATFORMS}")
    seen_wallet: dict[str, str] = {}
    seen_market: dict[str, str] = {}
    for pname, p in cfg.platforms.items():
        _check_name(("platforms", pname), "platform", pname)
        if p.wallet is not None:
            other = seen_wallet.setdefault(p.wallet.name, pname)
            if other != pname:
                raise BadKey(("platforms", pname, "wallet", "name"),
                             f"wallet name {p.wallet.name!r} is also the wallet of platforms.{other}; "
                             "wallet names must be unique")
        for mname in p.marketplaces:
            _check_name(("platforms", pname, "marketplaces", mname), "marketplace", mname)
            other = seen_market.setdefault(mname, pname)
            if other != pname:
                raise BadKey(("platforms", pname, "marketplaces", mname),
                             f"marketplace name {mname!r} is also used by platforms.{other}; "
                             "marketplace names must be unique")
    if not seen_wallet:
        raise BadKey(("platforms",), "at least one platform needs a [wallet]")
    if not seen_market:
        raise BadKey(("platforms",), "at least one platform needs a marketplace")
    if len(seen_wallet) > MAX_WALLETS:
        raise BadKey(("platforms",), f"{len(seen_wallet)} wallets; allowed: at most {MAX_WALLETS}")
    if len(seen_market) > MAX_MARKETPLACES:
        raise BadKey(("platforms",), f"{len(seen_market)} marketplaces; allowed: at most {MAX_MARKETPLACES}")
    for key, table, what, allowed in (("initial_wallet", cfg.consumer.initial_wallet, "wallet", seen_wallet),
                                      ("initial_market", cfg.consumer.initial_market, "marketplace", seen_market)):
        for k in table:
            if k not in allowed:
                raise BadKey(("consumer", key, k), unknown(what, k, list(allowed)))


def _check_name(loc: Loc, what: str, name: str) -> None:
    if not re.match(NAME_PATTERN, name):
        raise BadKey(loc, f"{what} name {name!r} not allowed; allowed: letters, digits, '_' and '-' (not first)")


def _check_marketplaces(cfg: ScenarioConfig) -> None:
    """Accepted wallets exist; hosts are super-apps; ``listings_from`` names a marketplace that
    merchants list on directly (so no self-reference, chain or cycle)."""
    wallets, names = cfg.wallet_names(), list(cfg.platforms)
    markets = {m: mc for p in cfg.platforms.values() for m, mc in p.marketplaces.items()}
    direct = [m for m, mc in markets.items() if mc.listings_from is None]
    for pname, p in cfg.platforms.items():
        for mname, m in p.marketplaces.items():
            where = ("platforms", pname, "marketplaces", mname)
            for w in m.accepts:
                if w not in wallets:
                    raise BadKey(where + ("accepts",), unknown("wallet", w, wallets))
            if m.host is not None:
                if m.host not in cfg.platforms:
                    raise BadKey(where + ("host",), unknown("platform", m.host, names))
                if not cfg.platforms[m.host].social:
                    social = [n for n, q in cfg.platforms.items() if q.social]
                    raise BadKey(where + ("host",), f"platform {m.host!r} has no super-app (social = false); "
                                                    f"allowed: {sorted(social)}")
            src = m.listings_from
            if src is None:
                continue
            if src == mname:
                raise BadKey(where + ("listings_from",), f"{src!r} is this marketplace itself; allowed: {sorted(direct)}")
            if src not in markets:
                raise BadKey(where + ("listings_from",), unknown("marketplace", src, list(markets)))
            if markets[src].listings_from is not None:
                raise BadKey(where + ("listings_from",),
                             f"{src!r} takes its own listings from {markets[src].listings_from!r} (a chain or cycle); "
                             f"allowed: marketplaces that merchants list on directly: {sorted(direct)}")


def _check_size(cfg: ScenarioConfig) -> None:
    if cfg.size.social_degree >= cfg.size.consumers:
        raise BadKey(("size", "social_degree"), f"{cfg.size.social_degree} contacts for {cfg.size.consumers} "
                                                f"consumers; allowed: fewer than size.consumers")


#: keys a ``set`` event may change mid-run, below ``platforms.<name>.`` (the policy records of
#: :mod:`model.policy`) and ``regulator.``; everything else is fixed for a run
CHANGEABLE = {
    "platform": ("exclusivity", "admits_rival_links", "admits_rival_apps"),
    "marketplace": ("commission", "accepts", "quality", "fixed_fee", "launched", "consumer_price"),
    "wallet": ("fee",),
    "regulator": tuple(RegulatorConfig.model_fields),
}


def size_overrides(consumers: int) -> dict[str, int]:
    """Overrides for a run of ``consumers`` with the baseline's ten consumers per merchant."""
    return {"size.consumers": consumers, "size.merchants": max(consumers // 10, 10)}


def changeable_keys(cfg: ScenarioConfig) -> list[str]:
    """Every dotted key of ``cfg`` that a ``set`` event may change."""
    keys = [f"regulator.{f}" for f in CHANGEABLE["regulator"]]
    for pname, p in cfg.platforms.items():
        keys += [f"platforms.{pname}.{f}" for f in CHANGEABLE["platform"]]
        keys += [f"platforms.{pname}.marketplaces.{k}.{f}" for k in p.marketplaces for f in CHANGEABLE["marketplace"]]
        if p.wallet is not None:
            keys += [f"platforms.{pname}.wallet.{f}" for f in CHANGEABLE["wallet"]]
    return keys


def late_events(cfg: ScenarioConfig, steps: int | None = None) -> str | None:
    """A warning if some timeline events come after the run's last tick (they would never fire)."""
    steps = cfg.size.steps if steps is None else steps
    late = sorted({ev.tick for ev in cfg.events if ev.tick > steps})
    if not late:
        return None
    return (f"{cfg.name}: events at tick{'s' * (len(late) > 1)} {', '.join(map(str, late))} come after the "
            f"run's last tick {steps} and never fire")


def _check_event(ev: Event, where: str, cfg: ScenarioConfig) -> None:
    needs_platform = {"approve_miniprogram", "suspend_miniprogram"}
    if ev.action in needs_platform:
        minis = [m for p in cfg.platforms.values() for m, mc in p.marketplaces.items() if mc.host]
        if ev.target not in minis:
            raise ValueError(f"{where}.target: {ev.action} needs a mini-program; allowed: {sorted(minis)}")
    elif ev.action in {"ban_exclusivity", "lift_exclusivity_ban", "payment_interop", "link_interop"}:
        if ev.target is not None and ev.target not in cfg.platforms:
            raise ValueError(f"{where}.target: unknown platform {ev.target!r}; allowed: {sorted(cfg.platforms)}")
    elif ev.action == "set":
        _check_set(cfg, ev.key, ev.value, where)


def _check_set(cfg: ScenarioConfig, key: str | None, value: Any, where: str) -> None:
    """A ``set`` event names a changeable key, and the config with its value is valid as a whole."""
    allowed = changeable_keys(cfg)
    if key not in allowed:
        hint = did_you_mean(str(key), allowed)
        raise ValueError(f"{where}.key: {key!r} cannot be set mid-run{hint}; allowed: "
                         "platforms.<name>.{" + ", ".join(CHANGEABLE["platform"]) + "}, "
                         "platforms.<name>.marketplaces.<marketplace>.{" + ", ".join(CHANGEABLE["marketplace"])
                         + "}, platforms.<name>.wallet.fee, regulator.<field>")
    raw = with_overrides(cfg.model_dump(exclude={"events"}), {key: value})
    try:
        ScenarioConfig.model_validate(raw)
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise ValueError(f"{where}.value: {value!r} for {key!r}: {e['msg'].removeprefix('Value error, ')}"
                         + (f" (at {loc})" if loc and loc != key else "")) from None


def deep_merge(base: dict, child: dict) -> dict:
    """Merge ``child`` over ``base``: tables recursively, everything else replaced."""
    out = dict(base)
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


Layer = tuple[str, dict]  # (file or override that wrote it, its raw content)


def read_layers(path: Path | str) -> list[Layer]:
    """A scenario file and its ``extends`` parents, root first, each as (file name, raw content
    without ``extends``).  Any depth of chain; every problem is one line naming the file."""
    path = Path(path)
    layers: list[Layer] = []
    seen: list[Path] = []
    cur, child, ref = path, None, None
    while True:
        _check_file(cur, child, ref)
        real = cur.resolve()
        if real in seen:
            chain = " -> ".join(p.name for p in [*seen, real])
            raise ConfigError(f"{child}: key 'extends': {ref!r} makes a cycle ({chain})")
        seen.append(real)
        raw = _read_toml(cur)
        ref = raw.pop("extends", None)
        layers.append((str(cur), raw))
        if ref is None:
            break
        if not isinstance(ref, str) or not ref.strip():
            raise ConfigError(f"{cur}: key 'extends': must be a file name (string), got {ref!r}")
        child, cur = cur, cur.parent / ref
    layers[0][1].setdefault("name", path.stem)  # a child is named after its own file, not its parent
    return layers[::-1]


def _check_file(path: Path, child: Path | None, ref: str | None) -> None:
    if path.is_file():
        return
    if path.is_dir():
        problem = "is a directory, not a scenario file"
    elif path.exists():
        problem = "is not a regular file (a FIFO, socket or device?)"
    else:
        problem = "file not found"
    if child is None:
        raise ConfigError(f"{path}: {problem}")
    siblings = sorted(p.name for p in path.parent.glob("*.toml")) if path.parent.is_dir() else []
    raise ConfigError(f"{child}: key 'extends': {ref!r}: {problem}{did_you_mean(Path(ref).name, siblings)} "
                      f"(looked for {path})")


def _read_toml(path: Path) -> dict:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {data[err.start]:#04x} at offset {err.start}); "
                          "save the file as UTF-8") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {' '.join(str(err).split())}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


def merge_layers(layers: list[Layer]) -> dict:
    out: dict = {}
    for _, raw in layers:
        out = deep_merge(out, raw)
    return out


def read_raw(path: Path | str) -> dict:
    """Read a TOML file and resolve its ``extends`` chain into one dict."""
    return merge_layers(read_layers(path))


def origins_of(layers: list[Layer]) -> dict[Loc, str]:
    """Which layer (file or override) set each location of the merged content."""
    out: dict[Loc, str] = {}

    def record(node: Any, loc: Loc, label: str) -> None:
        if not isinstance(node, dict):  # replaces whatever an earlier layer had below it
            for k in [k for k in out if len(k) > len(loc) and k[: len(loc)] == loc]:
                del out[k]
        if loc:
            out[loc] = label
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in items:
            record(v, loc + (k,), label)

    for label, raw in layers:
        record(raw, (), label)
    return out


def override_layers(overrides: Mapping[str, Any] | None, source: Path | str) -> list[Layer]:
    """Dotted-key overrides as layers over the scenario (for naming them in errors)."""
    return [(f"{source} (override)", dotted_to_nested(k, v)) for k, v in (overrides or {}).items()]


def validate(raw: dict, source: Path | str = "<dict>", layers: list[Layer] | None = None) -> ScenarioConfig:
    """Validate a raw dict, turning pydantic's report into one clear line (naming the layer,
    i.e. file or override, that set the bad key when ``layers`` are given)."""
    try:
        return ScenarioConfig.model_validate(raw)
    except ValidationError as err:
        origins = origins_of(layers) if layers else None
        raise ConfigError(format_error(err, source, ScenarioConfig, origins)) from None
    except RecursionError:  # pydantic-core guards its own recursion; this is a validator of ours
        raise ConfigError(f"{source}: cannot be validated: recursion too deep (a 'set' event on a "
                          "top-level key?)") from None


def with_overrides(raw: dict, overrides: Mapping[str, Any] | None, source: Path | str = "<overrides>") -> dict:
    """``raw`` with dotted-key overrides merged in (``{"consumer.g_direct": 3}``), in order.

    A key that goes through a platform or marketplace that does not exist is an error (a
    misspelt name would otherwise add an empty one); setting a whole new table is allowed."""
    for key, value in (overrides or {}).items():
        _check_through(raw, key, source)
        raw = deep_merge(raw, dotted_to_nested(key, value))
    return raw


def _check_through(raw: dict, key: str, source: Path | str) -> None:
    parts = key.split(".")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        ann, _ = annotation_at(ScenarioConfig, parts[:i])
        if ann is None or not isinstance(node, dict):
            return  # leaves the schema: validation names the unknown key
        if free_name_table(ann) and part not in node:
            what = {"platforms": "platform", "marketplaces": "marketplace"}.get(parts[i - 1], "name")
            table = ".".join(parts[: i + 1])
            raise ConfigError(f"{source} (override): key {key!r}: {unknown(what, part, list(node))}; "
                              f"to add one, set the whole table {table}")
        node = node.get(part)


def load(path: Path | str, overrides: dict | None = None) -> ScenarioConfig:
    """Load and validate a scenario file (with ``extends``), applying dotted-key overrides."""
    path = Path(path)
    layers = read_layers(path)
    raw = with_overrides(merge_layers(layers), overrides, path)
    return validate(raw, path, layers + override_layers(overrides, path))


def dotted_to_nested(key: str, value: Any) -> dict:
    """``"consumer.g_direct", 2`` -> ``{"consumer": {"g_direct": 2}}``."""
    out: dict = {}
    cur = out
    parts = key.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out
