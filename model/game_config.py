"""GAME.toml: the file of an empirical game, validated with pydantic.

A game names a base scenario, players (groups of the scenario's platforms), each player's
strategies and the regimes (regulator settings) to solve it under::

    base = "../baseline.toml"         # scenario file, relative to this file
    replications = 10
    posterior = 10                    # optional: each replication on 10 calibration posterior draws
    posterior_file = "../../calibration/posterior.csv"  # optional, relative to this file
    discount_rate = 0.05              # a year; a tick is a month
    [size]                            # optional size.* keys of every run
    consumers = 20000
    [players.alibaba]
    platforms = ["alibaba"]           # default: the platforms whose group is the player's name
    [players.alibaba.choices.deals]   # options whose product makes the strategies ...
    offer = { platforms.alibaba.marketplaces.taobao_deals.launched = true }
    withdraw = { platforms.alibaba.marketplaces.taobao_deals.launched = false }
    [players.tencent.strategies.approve]  # ... or named strategies
    platforms.tencent.admits_rival_apps = true
    [regimes.none]
    regulator.mode = "off"

A strategy, a regime and ``set`` are tables of config keys (nested or dotted) applied at tick
0 for the whole run.  A strategy may only set its player's policy keys (those a ``set`` event
may change, :data:`model.config.CHANGEABLE`); each key is set in one place (a strategy, a
regime or ``set``), never two.  Every problem is one line naming the file, the key and what is
allowed, as for scenario files (:mod:`model.config_errors`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import config as config_mod
from .batch import MASTER_SEED, MAX_REPLICATIONS
from .config_errors import ConfigError, format_error, unknown

MAX_PROFILES = 10_000  # strategy profiles of one game (times regimes and replications in runs)
Name = Annotated[str, Field(pattern=config_mod.NAME_PATTERN)]
Table = dict[str, Any]  # config keys, nested tables or dotted


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class PlayerSpec(_Strict):
    platforms: list[str] | None = None
    choices: dict[str, dict[str, Table]] = Field(default_factory=dict)
    strategies: dict[str, Table] = Field(default_factory=dict)


class GameSpec(_Strict):
    name: Name | None = None
    description: str = ""
    base: str
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 10
    posterior: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] | None = None
    posterior_file: str | None = None
    steps: Annotated[int, Field(ge=1, le=config_mod.MAX_TICKS)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = MASTER_SEED
    discount_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.05
    fines: Literal["expected", "paid"] = "expected"
    size: Table = Field(default_factory=dict)
    set: Table = Field(default_factory=dict)
    players: dict[Name, PlayerSpec]
    regimes: dict[Name, Table]


# --------------------------------------------------------------------------- resolved game
@dataclass(frozen=True)
class Strategy:
    name: str
    overrides: dict[str, Any]  # dotted config key -> value


@dataclass(frozen=True)
class Player:
    name: str
    platforms: tuple[str, ...]
    strategies: tuple[Strategy, ...]

    def strategy_names(self) -> list[str]:
        return [s.name for s in self.strategies]

    def index(self, name: str, where: str = "strategy") -> int:
        names = self.strategy_names()
        if name not in names:
            raise ConfigError(f"{where}: {unknown(f'strategy of player {self.name!r}', name, names)}")
        return names.index(name)


@dataclass(frozen=True)
class Regime:
    name: str
    overrides: dict[str, Any]


@dataclass(frozen=True)
class Game:
    """A validated game: every (regime, profile) is a valid scenario."""

    name: str
    description: str
    source: str  # the game file (for messages)
    base: Path  # the base scenario file
    players: tuple[Player, ...]
    regimes: tuple[Regime, ...]
    fixed: dict[str, Any]  # size.* and set keys of every run
    replications: int
    steps: int
    seed: int
    discount_rate: float  # a year
    fines: str  # "expected" or "paid"
    notes: tuple[str, ...] = field(default=())
    posterior: int = 0  # calibration posterior draws crossed with the replications (0: none)
    posterior_file: str = ""  # the draws' CSV (with posterior > 0)

    @property
    def samples(self) -> int:
        """Paired samples of every (regime, profile): replications x posterior draws."""
        return self.replications * max(self.posterior, 1)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(p.strategies) for p in self.players)

    def profiles(self) -> list[tuple[int, ...]]:
        """Every strategy profile (one strategy index per player), in row-major order."""
        return list(itertools.product(*(range(n) for n in self.shape)))

    def profile_overrides(self, profile: Sequence[int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for p, s in zip(self.players, profile):
            out.update(p.strategies[s].overrides)
        return out

    def label(self, profile: Sequence[int]) -> str:
        """``alibaba=open; tencent=approve``."""
        return "; ".join(f"{p.name}={p.strategies[s].name}" for p, s in zip(self.players, profile))

    def player(self, name: str, where: str = "player") -> Player:
        names = [p.name for p in self.players]
        if name not in names:
            raise ConfigError(f"{where}: {unknown('player', name, names)}")
        return self.players[names.index(name)]

    def regime(self, name: str, where: str = "regime") -> Regime:
        names = [r.name for r in self.regimes]
        if name not in names:
            raise ConfigError(f"{where}: {unknown('regime', name, names)}")
        return self.regimes[names.index(name)]

    def restrict(self, only: Mapping[str, Iterable[str]] | None = None, regimes: Iterable[str] | None = None,
                 where: str = "--only") -> Game:
        """The subgame where each player in ``only`` keeps the named strategies, under ``regimes``."""
        players = list(self.players)
        for name, keep in (only or {}).items():
            p = self.player(name, where)
            keep = list(dict.fromkeys(keep))
            if not keep:
                raise ConfigError(f"{where} {name}=: no strategies; allowed: {p.strategy_names()}")
            idx = [p.index(s, f"{where} {name}={','.join(keep)}") for s in keep]
            players[players.index(p)] = replace(p, strategies=tuple(p.strategies[i] for i in idx))
        kept = self.regimes if regimes is None else tuple(self.regime(r, "--regime") for r in dict.fromkeys(regimes))
        return replace(self, players=tuple(players), regimes=kept)

    def with_regimes(self, regimes: Mapping[str, Mapping[str, Any]]) -> Game:
        """The same game under other regimes (e.g. a sweep of fine levels), validated like the file's."""
        game = replace(self, regimes=tuple(Regime(n, dict(o)) for n, o in regimes.items()))
        _check_regimes(game, {n: f"regimes.{n}" for n in regimes}, "with_regimes")
        return game

    def runs(self) -> int:
        return math.prod(self.shape) * len(self.regimes) * self.samples


# --------------------------------------------------------------------------- loading
def flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested tables -> dotted keys (``{"regulator": {"mode": "off"}}`` -> ``{"regulator.mode": "off"}``).
    Tables of free names below a key (``consumer.initial_wallet``) become dotted keys too, which
    the overrides merge the same way."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def load_game(path: Path | str, overrides: Mapping[str, Any] | None = None, replications: int | None = None,
              steps: int | None = None, posterior: int | None = None,
              posterior_file: Path | str | None = None) -> Game:
    """Read and validate a game file.  ``overrides`` (``--set``) are added to every run; they may not
    set a key the game's strategies or regimes choose.  ``posterior`` / ``posterior_file`` (``--posterior``,
    ``--posterior-file``) override the file's keys; the file's ``posterior_file`` is relative to it, the
    default is ``calibration/posterior.csv``.  Raises :class:`ConfigError` (one line)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: {'is a directory, not a game file' if path.is_dir() else 'file not found'}")
    if path.suffix != ".toml":
        raise ConfigError(f"{path}: not a game file (expected a .toml file)")
    raw = config_mod._read_toml(path)
    if replications is not None:
        raw["replications"] = replications
    if steps is not None:
        raw["steps"] = steps
    if posterior == 0:  # --posterior 0: the calibrated point only, whatever the file says
        raw.pop("posterior", None)
        raw.pop("posterior_file", None)
    elif posterior is not None:
        raw["posterior"] = posterior
    try:
        spec = GameSpec.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(format_error(err, path, GameSpec)) from None
    src = str(path)
    base = (path.parent / spec.base).resolve()
    if not base.is_file():
        raise ConfigError(f"{src}: key 'base': {spec.base!r}: scenario file not found (looked for {base})")
    layers = config_mod.read_layers(base)
    content = config_mod.merge_layers(layers)
    fixed, where = _fixed(spec, src, overrides)
    cfg = _validate(content, layers, fixed, where, src)
    players = _players(spec, cfg, src)
    regimes = tuple(Regime(n, flatten(t)) for n, t in spec.regimes.items())
    if not regimes:
        raise ConfigError(f"{src}: key 'regimes': no regimes; allowed: at least one table [regimes.<name>] "
                          "of regulator settings, e.g. regulator.mode = \"off\"")
    game = Game(name=spec.name or path.stem, description=spec.description, source=src, base=base,
                players=players, regimes=regimes, fixed=fixed, replications=spec.replications,
                steps=spec.steps or cfg.size.steps, seed=spec.seed, discount_rate=spec.discount_rate,
                fines=spec.fines, **_posterior(spec, path, posterior_file))
    n = math.prod(game.shape)
    if n > MAX_PROFILES:
        raise ConfigError(f"{src}: key 'players': {n} strategy profiles; allowed: at most {MAX_PROFILES}")
    _check_regimes(game, {r.name: f"regimes.{r.name}" for r in regimes}, src, where)
    return game


def _posterior(spec: GameSpec, path: Path, cli_file: Path | str | None) -> dict[str, Any]:
    """The posterior keys of the resolved game; the draws are read (and checked) when the game is planned."""
    if spec.posterior is None:
        if cli_file is not None or spec.posterior_file is not None:
            where = "--posterior-file" if cli_file is not None else f"{path}: key 'posterior_file'"
            raise ConfigError(f"{where}: allowed with a number of posterior draws only "
                              "(key 'posterior' or --posterior N)")
        return {}
    from .posterior import DEFAULT_FILE

    file = (Path(cli_file) if cli_file is not None else (path.parent / spec.posterior_file).resolve()
            if spec.posterior_file is not None else DEFAULT_FILE)
    return {"posterior": spec.posterior, "posterior_file": str(file)}


def _fixed(spec: GameSpec, src: str, overrides: Mapping[str, Any] | None) -> tuple[dict, dict[str, str]]:
    """The keys of every run (size.*, set, --set) and where each comes from."""
    fixed: dict[str, Any] = {}
    where: dict[str, str] = {}
    for label, table in (("size", {"size": spec.size} if spec.size else {}), ("set", spec.set),
                         ("--set", dict(overrides or {}))):
        for k, v in (flatten(table) if label != "--set" else table).items():
            if k in ("size.seed", "size.steps"):
                raise ConfigError(f"{src}: key {k!r}: set by the game; allowed: the game's "
                                  f"{'seed' if k == 'size.seed' else 'steps'} key")
            if k in fixed:
                raise ConfigError(f"{src}: key {k!r} is set in both {where[k]} and {label}; set it in one place")
            fixed[k], where[k] = v, label
    return fixed, where


def _validate(content: dict, layers: list, keys: Mapping[str, Any], where: Mapping[str, str], src: str):
    """The base scenario with ``keys``; an error names the game file and the table that set the key."""
    for k in keys:  # a key through a platform or marketplace the scenario lacks
        config_mod.with_overrides(content, {k: keys[k]}, f"{src} ({where[k]})")
    raw = config_mod.with_overrides(content, dict(keys), src)
    extra = [(f"{src} ({where[k]})" if where[k] != "--set" else "--set", config_mod.dotted_to_nested(k, v))
             for k, v in keys.items()]
    return config_mod.validate(raw, src, layers + extra)


def _players(spec: GameSpec, cfg: config_mod.ScenarioConfig, src: str) -> tuple[Player, ...]:
    if len(spec.players) < 2:
        raise ConfigError(f"{src}: key 'players': {len(spec.players)} player(s); allowed: at least two "
                          "[players.<name>] tables")
    names = list(cfg.platforms)
    owner: dict[str, str] = {}
    out = []
    for pname, p in spec.players.items():
        loc = f"players.{pname}"
        platforms = p.platforms
        if platforms is None:
            platforms = [n for n, pc in cfg.platforms.items() if (pc.group or n) == pname]
            if not platforms:
                groups = sorted({pc.group or n for n, pc in cfg.platforms.items()})
                raise ConfigError(f"{src}: key '{loc}': no 'platforms' given and no platform of group {pname!r}; "
                                  f"allowed: a list of platforms from {sorted(names)}, or a player named "
                                  f"after a group: {groups}")
        if not platforms:
            raise ConfigError(f"{src}: key '{loc}.platforms': empty; allowed: platforms from {sorted(names)}")
        for i, plat in enumerate(platforms):
            if plat not in names:
                raise ConfigError(f"{src}: key '{loc}.platforms[{i}]': {unknown('platform', plat, names)}")
            if plat in owner:
                raise ConfigError(f"{src}: key '{loc}.platforms[{i}]': platform {plat!r} is also a platform of "
                                  f"player {owner[plat]!r}; a platform belongs to one player")
            owner[plat] = pname
        allowed = [k for k in config_mod.changeable_keys(cfg)
                   if k.startswith("platforms.") and k.split(".")[1] in platforms]
        out.append(Player(pname, tuple(platforms), _strategies(p, loc, allowed, src)))
    return tuple(out)


def _strategies(p: PlayerSpec, loc: str, allowed: list[str], src: str) -> tuple[Strategy, ...]:
    """The player's strategies: the named ones, or the product of its choices' options."""
    if p.choices and p.strategies:
        raise ConfigError(f"{src}: key '{loc}': both 'choices' and 'strategies'; allowed: one of them")
    if not p.choices and not p.strategies:
        raise ConfigError(f"{src}: key '{loc}': no strategies; allowed: a table 'strategies' of named strategies, "
                          "or a table 'choices' whose options' product makes them")
    if p.strategies:
        return tuple(Strategy(n, _policy_keys(t, f"{loc}.strategies.{n}", allowed, src))
                     for n, t in _named(p.strategies, f"{loc}.strategies", src))
    dims = []
    for dim, options in p.choices.items():
        if not options:
            raise ConfigError(f"{src}: key '{loc}.choices.{dim}': no options; allowed: at least one "
                              "table of config keys, e.g. on = { platforms.<name>.exclusivity = true }")
        dims.append([(o, _policy_keys(t, f"{loc}.choices.{dim}.{o}", allowed, src))
                     for o, t in _named(options, f"{loc}.choices.{dim}", src)])
    seen: dict[str, str] = {}
    for dim, options in zip(p.choices, dims):
        for key in {k for _, keys in options for k in keys}:
            if key in seen:
                raise ConfigError(f"{src}: key '{loc}.choices.{dim}': sets {key!r}, also set by choice "
                                  f"{seen[key]!r}; each key belongs to one choice")
            seen[key] = dim
    return tuple(Strategy("+".join(o for o, _ in combo), {k: v for _, keys in combo for k, v in keys.items()})
                 for combo in itertools.product(*dims))


def _named(table: Mapping[str, Table], loc: str, src: str) -> list[tuple[str, Table]]:
    for name, t in table.items():
        if not re.match(config_mod.NAME_PATTERN, name):
            raise ConfigError(f"{src}: key '{loc}.{name}': name not allowed; allowed: letters, digits, '_' and '-'")
        if not isinstance(t, Mapping):
            raise ConfigError(f"{src}: key '{loc}.{name}': must be a table of config keys (got {t!r})")
    return list(table.items())


def _policy_keys(table: Table, loc: str, allowed: list[str], src: str) -> dict[str, Any]:
    keys = flatten(table)
    for k in keys:
        if k not in allowed:
            raise ConfigError(f"{src}: key '{loc}.{k}': {unknown('policy key of this player', k, allowed)}")
    return keys


def _check_regimes(game: Game, locs: Mapping[str, str], src: str, fixed_where: Mapping[str, str] | None = None) -> None:
    """Every (regime, profile) makes a valid scenario, and no key is set in two places."""
    layers = config_mod.read_layers(game.base)
    content = config_mod.merge_layers(layers)
    chosen = {k: p.name for p in game.players for s in p.strategies for k in s.overrides}
    fixed_where = fixed_where or {k: "set" for k in game.fixed}
    for r in game.regimes:
        if not r.overrides:
            raise ConfigError(f"{src}: key '{locs[r.name]}': empty; allowed: regulator settings such as "
                              "regulator.mode = \"off\" | \"ex_post\" | \"ex_ante\"")
        for k in r.overrides:
            if k in chosen:
                raise ConfigError(f"{src}: key '{locs[r.name]}.{k}': chosen by player {chosen[k]!r}; a regime may "
                                  "not set a player's policy")
            if k in game.fixed:
                raise ConfigError(f"{src}: key '{locs[r.name]}.{k}': also set in {fixed_where.get(k, 'set')}; "
                                  "set it in one place")
    for r in game.regimes:
        for profile in game.profiles():
            where = {**{k: fixed_where.get(k, "set") for k in game.fixed}, **{k: locs[r.name] for k in r.overrides}}
            for pl, s in zip(game.players, profile):
                where.update({k: f"players.{pl.name} strategy {pl.strategies[s].name!r}"
                              for k in pl.strategies[s].overrides})
            _validate(content, layers, {**game.fixed, **r.overrides, **game.profile_overrides(profile)}, where, src)
