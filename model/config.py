"""Scenario configuration: TOML files validated with pydantic.

A scenario file may name a parent with ``extends = "other.toml"`` (a path
relative to the file).  Tables are merged key by key, child winning; arrays
(e.g. ``events``) are replaced whole.  Platforms are keyed by name so a child
can override one field of one platform:

    extends = "baseline.toml"
    [platforms.alibaba]
    exclusivity = false

Every error is raised as :class:`ConfigError` with a one-line message naming
the file, the dotted key and what is allowed.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]


class ConfigError(ValueError):
    """A scenario file that cannot be used; the message is one line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # validated once, never changed during a run


class SizeConfig(_Strict):
    """Population sizes and run length."""

    consumers: Annotated[int, Field(ge=10, le=10_000_000)] = 20_000
    merchants: Annotated[int, Field(ge=10, le=1_000_000)] = 2_000
    steps: Annotated[int, Field(ge=1, le=10_000)] = 120
    seed: Annotated[int, Field(ge=0)] = 42
    social_degree: Annotated[int, Field(ge=1, le=64)] = 10


class ConsumerConfig(_Strict):
    """Wallet adoption, marketplace choice and checkout (DOMAIN.md, mechanisms)."""

    g_direct: NonNeg = 2.0  # weight of contacts' wallet use
    g_indirect: NonNeg = 2.0  # weight of own spending at sellers accepting the wallet
    wallet_noise: Annotated[float, Field(gt=0)] = 1.0  # logistic scale of adoption noise
    wallet_revision: Probability = 0.2  # share of consumers reconsidering wallets each tick
    tau: NonNeg = 1.0  # price sensitivity
    b_merchants: NonNeg = 1.0  # seller-side network effect b_M
    lam_wallet: NonNeg = 1.5  # bonus for holding a wallet the marketplace accepts
    g_links: NonNeg = 1.0  # word of mouth through links shared in the super-app
    switching_cost: NonNeg = 1.0  # cost of starting on a new marketplace
    multihoming_threshold: float = 0.5  # extra utility needed to add a marketplace
    market_revision: Probability = 0.2
    taste_sd: NonNeg = 1.0  # sd of fixed idiosyncratic marketplace taste
    market_noise: NonNeg = 0.3  # sd of per-tick utility shocks
    checkout_habit: NonNeg = 1.0  # bonus of the last wallet used at checkout
    checkout_scale: Annotated[float, Field(gt=0)] = 1.0
    budget_mean: Annotated[float, Field(gt=0)] = 1.0  # monthly spend, arbitrary units
    budget_sigma: NonNeg = 0.8  # lognormal sigma of budgets
    social_share: Probability = 0.95  # share of consumers on a super-app
    p2p_value: NonNeg = 0.15  # monthly peer transfers (value) via a super-app's wallet
    p2p_count: NonNeg = 4.0  # ... and their count
    initial_wallet: dict[str, Probability] = Field(default_factory=dict)
    initial_market: dict[str, Probability] = Field(default_factory=dict)


class MerchantConfig(_Strict):
    """Listing decisions under exclusivity."""

    margin_mean: Annotated[float, Field(gt=0, le=1)] = 0.15
    margin_sd: NonNeg = 0.05
    multihoming_cost: NonNeg = 0.02  # per extra marketplace, in units of mean sales
    revision: Probability = 0.1
    choice_noise: Annotated[float, Field(gt=0)] = 0.05
    exclusivity_bonus: NonNeg = 0.2  # traffic bonus from an exclusivity deal
    throttle_penalty: Probability = 0.7  # traffic lost when caught multi-homing
    detection_rate: Probability = 0.1  # monthly chance a defier is caught
    throttle_ticks: Annotated[int, Field(ge=0)] = 6
    initial_listing: Probability = 0.5  # chance to start on each marketplace


class RegulatorConfig(_Strict):
    """Antitrust authority (SAMR-like ex post, or DMA-like ex ante)."""

    mode: Literal["off", "ex_post", "ex_ante"] = "ex_post"
    strength: Annotated[float, Field(ge=0, le=10)] = 1.0  # multiplies detection odds
    psi0: float = -6.0
    psi1: float = 4.0
    psi2: float = 4.0
    delay: Annotated[int, Field(ge=0)] = 12  # ticks from investigation to decision
    fine_rate: Annotated[float, Field(ge=0.01, le=0.10)] = 0.04  # law allows 1-10%
    remedy_ticks: Annotated[int, Field(ge=0)] = 36
    gatekeeper_share: Probability = 0.3  # ex ante: who is designated


class MarketplaceConfig(_Strict):
    """A storefront (marketplace or mini-program) owned by a platform."""

    quality: float = 1.0  # v_k
    commission: Annotated[float, Field(ge=0, le=0.5)] = 0.03
    fixed_fee: NonNeg = 0.0  # per listing per tick, in units of mean sales
    ticket: Annotated[float, Field(gt=0)] = 1.0  # mean purchase size (value/count)
    accepts: list[str] = Field(default_factory=list)  # wallets accepted at checkout
    host: str | None = None  # platform whose super-app hosts this mini-program
    listings_from: str | None = None  # marketplace whose merchants appear here
    pass_through: Probability = 0.5  # share of commission passed on to prices


class WalletConfig(_Strict):
    """A payment wallet."""

    name: str  # e.g. "alipay"
    appeal: float = 0.0  # a_w
    adoption_cost: NonNeg = 0.3  # c_w
    fee: Annotated[float, Field(ge=0, le=0.1)] = 0.006


StrategicPolicy = Literal["exclusivity", "payment_openness", "link_openness"]


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
    strategy_interval: Annotated[int, Field(ge=1)] = 6
    commission_step: Annotated[float, Field(ge=0, le=0.05)] = 0.005
    strategic: list[StrategicPolicy] = Field(default_factory=list)  # policies it chooses itself
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
        wallets = self.wallet_names()
        markets = self.marketplace_names()
        names = set(self.platforms)
        if not wallets:
            raise ValueError("at least one platform needs a [wallet]")
        if not markets:
            raise ValueError("at least one platform needs a marketplace")
        for pname, p in self.platforms.items():
            for mname, m in p.marketplaces.items():
                where = f"platforms.{pname}.marketplaces.{mname}"
                for w in m.accepts:
                    if w not in wallets:
                        raise ValueError(f"{where}.accepts: unknown wallet {w!r}; allowed: {sorted(wallets)}")
                if m.host is not None and m.host not in names:
                    raise ValueError(f"{where}.host: unknown platform {m.host!r}; allowed: {sorted(names)}")
                if m.host is not None and not self.platforms[m.host].social:
                    raise ValueError(f"{where}.host: platform {m.host!r} has no super-app (social = false)")
                if m.listings_from is not None and m.listings_from not in markets:
                    raise ValueError(
                        f"{where}.listings_from: unknown marketplace {m.listings_from!r}; allowed: {sorted(markets)}"
                    )
        for key, table in (("consumer.initial_wallet", self.consumer.initial_wallet),
                           ("consumer.initial_market", self.consumer.initial_market)):
            allowed = wallets if key.endswith("wallet") else markets
            for k in table:
                if k not in allowed:
                    raise ValueError(f"{key}.{k}: unknown name; allowed: {sorted(allowed)}")
        for i, ev in enumerate(self.events):
            _check_event(ev, f"events[{i}]", self)
        return self

    def wallet_names(self) -> list[str]:
        return [p.wallet.name for p in self.platforms.values() if p.wallet is not None]

    def marketplace_names(self) -> list[str]:
        return [m for p in self.platforms.values() for m in p.marketplaces]


#: keys a ``set`` event may change mid-run, below ``platforms.<name>.`` (the policy records of
#: :mod:`model.policy`) and ``regulator.``; everything else is fixed for a run
CHANGEABLE = {
    "platform": ("exclusivity", "admits_rival_links", "admits_rival_apps"),
    "marketplace": ("commission", "accepts", "quality", "fixed_fee"),
    "wallet": ("fee",),
    "regulator": tuple(RegulatorConfig.model_fields),
}


def changeable_keys(cfg: ScenarioConfig) -> list[str]:
    """Every dotted key of ``cfg`` that a ``set`` event may change."""
    keys = [f"regulator.{f}" for f in CHANGEABLE["regulator"]]
    for pname, p in cfg.platforms.items():
        keys += [f"platforms.{pname}.{f}" for f in CHANGEABLE["platform"]]
        keys += [f"platforms.{pname}.marketplaces.{k}.{f}" for k in p.marketplaces for f in CHANGEABLE["marketplace"]]
        if p.wallet is not None:
            keys += [f"platforms.{pname}.wallet.{f}" for f in CHANGEABLE["wallet"]]
    return keys


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
        close = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
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


def read_raw(path: Path, _seen: tuple[Path, ...] = ()) -> dict:
    """Read a TOML file and resolve its ``extends`` chain into one dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    if path.resolve() in _seen:
        raise ConfigError(f"{path}: key 'extends': cycle through {[str(p) for p in _seen]}")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    parent = raw.pop("extends", None)
    raw.setdefault("name", path.stem)  # a child is named after its own file, not its parent
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: key 'extends': must be a file name (string), got {type(parent).__name__}")
    base = read_raw(path.parent / parent, _seen + (path.resolve(),))
    return deep_merge(base, raw)


def _one_line(err: ValidationError, path: Path | str) -> str:
    e = err.errors()[0]
    loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
    msg = e["msg"]
    if e["type"] == "extra_forbidden":
        parent = _model_at(ScenarioConfig, e["loc"][:-1])
        allowed = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(e["loc"][-1]), allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        msg = f"unknown key{hint}; allowed: {allowed}"
    elif e["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
        if loc == "(top level)":
            return f"{path}: {msg}"
    return f"{path}: key '{loc}': {msg}"


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Walk the schema along an error location to the model holding the bad key."""
    cur: Any = model
    for part in loc:
        if isinstance(part, int) or cur is None:
            continue
        field = cur.model_fields.get(part) if isinstance(cur, type) and issubclass(cur, BaseModel) else None
        if field is None:
            # inside dict[str, Model]: the key is a free name
            continue
        ann = field.annotation
        cur = _inner_model(ann)
    return cur if isinstance(cur, type) and issubclass(cur, BaseModel) else None


def _inner_model(ann: Any) -> Any:
    for arg in (ann, *getattr(ann, "__args__", ())):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _inner_model(arg) if getattr(arg, "__args__", None) else None
        if inner is not None:
            return inner
    return None


def validate(raw: dict, source: Path | str = "<dict>") -> ScenarioConfig:
    """Validate a raw dict, turning pydantic's report into one clear line."""
    try:
        return ScenarioConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_one_line(err, source)) from None


def with_overrides(raw: dict, overrides: dict | None) -> dict:
    """``raw`` with dotted-key overrides merged in (``{"consumer.g_direct": 3}``), in order."""
    for key, value in (overrides or {}).items():
        raw = deep_merge(raw, dotted_to_nested(key, value))
    return raw


def load(path: Path | str, overrides: dict | None = None) -> ScenarioConfig:
    """Load and validate a scenario file (with ``extends``), applying dotted-key overrides."""
    path = Path(path)
    return validate(with_overrides(read_raw(path), overrides), path)


def dotted_to_nested(key: str, value: Any) -> dict:
    """``"consumer.g_direct", 2`` -> ``{"consumer": {"g_direct": 2}}``."""
    out: dict = {}
    cur = out
    parts = key.split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out
