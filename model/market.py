"""The market structure seen by consumers and merchants in one tick.

Platforms (few, rich Mesa agents) own marketplaces and wallets; consumers and
merchants (many, vectorized) only need a handful of small arrays describing
who accepts what.  :class:`Market` holds those arrays and is rebuilt from the
platform agents whenever a policy changes, so the rules never look at agents.

Index conventions: ``k`` marketplaces (storefront channels, mini-programs
included), ``w`` wallets, ``p`` platforms (firms).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .config import ScenarioConfig

MAX_MARKETPLACES = 10  # reach uses 2**K listing patterns


@dataclass
class Market:
    """Static names and indices plus the policy arrays in force this tick."""

    platforms: list[str]
    wallets: list[str]
    marketplaces: list[str]
    groups: list[str]
    wallet_owner: np.ndarray  # [W] platform index
    market_owner: np.ndarray  # [K] platform index
    market_group: np.ndarray  # [K] alliance index
    market_host: np.ndarray  # [K] platform index of the hosting super-app, -1 for stand-alone
    market_source: np.ndarray  # [K] marketplace whose listings appear here, -1 if merchants list directly
    social_platforms: np.ndarray  # indices of platforms running a super-app
    platform_group: np.ndarray  # [P] alliance index
    wallet_appeal: np.ndarray  # [W] a_w
    wallet_cost: np.ndarray  # [W] c_w
    wallet_fee: np.ndarray  # [W]
    quality: np.ndarray  # [K] v_k
    ticket: np.ndarray  # [K] mean purchase value
    pass_through: np.ndarray  # [K]
    fixed_fee: np.ndarray  # [K]
    # policy arrays, refreshed by refresh()
    commission: np.ndarray | None = None  # [K]
    accepts: np.ndarray | None = None  # [K, W] bool
    accepting_f32: np.ndarray | None = None  # [W, K] float32 copy of accepts.T, for BLAS products
    accepted_fee: np.ndarray | None = None  # [K] mean fee of the wallets accepted at k
    active: np.ndarray | None = None  # [K] bool: mini-program approved by its host
    demands_exclusivity: np.ndarray | None = None  # [K] bool
    links_open: np.ndarray | None = None  # [P, K] bool: super-app p lets links to k open
    version: int = 0  # bumped by every refresh: tables derived from the policy arrays key on it

    @classmethod
    def from_config(cls, cfg: ScenarioConfig) -> Market:
        platforms = list(cfg.platforms)
        groups = sorted({p.group or n for n, p in cfg.platforms.items()})
        wallets, wallet_owner, appeal, cost, fee = [], [], [], [], []
        markets, owner, host, source, rows = [], [], [], [], []
        for pi, (pname, p) in enumerate(cfg.platforms.items()):
            if p.wallet is not None:
                wallets.append(p.wallet.name)
                wallet_owner.append(pi)
                appeal.append(p.wallet.appeal)
                cost.append(p.wallet.adoption_cost)
                fee.append(p.wallet.fee)
            for mname, m in p.marketplaces.items():
                markets.append(mname)
                owner.append(pi)
                host.append(platforms.index(m.host) if m.host else -1)
                rows.append(m)
        for m in rows:
            source.append(markets.index(m.listings_from) if m.listings_from else -1)
        if len(markets) > MAX_MARKETPLACES:
            raise ValueError(f"at most {MAX_MARKETPLACES} marketplaces are supported, got {len(markets)}")
        pgroup = np.array([groups.index(p.group or n) for n, p in cfg.platforms.items()])
        owner_a = np.array(owner)
        return cls(
            platforms=platforms,
            wallets=wallets,
            marketplaces=markets,
            groups=groups,
            wallet_owner=np.array(wallet_owner),
            market_owner=owner_a,
            market_group=pgroup[owner_a],
            market_host=np.array(host),
            market_source=np.array(source),
            social_platforms=np.array([i for i, p in enumerate(cfg.platforms.values()) if p.social], dtype=int),
            platform_group=pgroup,
            wallet_appeal=np.array(appeal, float),
            wallet_cost=np.array(cost, float),
            wallet_fee=np.array(fee, float),
            quality=np.array([m.quality for m in rows], float),
            ticket=np.array([m.ticket for m in rows], float),
            pass_through=np.array([m.pass_through for m in rows], float),
            fixed_fee=np.array([m.fixed_fee for m in rows], float),
        )

    @property
    def n_markets(self) -> int:
        return len(self.marketplaces)

    @property
    def n_wallets(self) -> int:
        return len(self.wallets)

    @cached_property
    def listable(self) -> np.ndarray:
        """Marketplaces where merchants decide to list (not mirrored mini-programs)."""
        return self.market_source < 0

    @cached_property
    def mirrored(self) -> list[tuple[int, int]]:
        """(mini-program, marketplace whose listings it mirrors) pairs."""
        return [(int(k), int(self.market_source[k])) for k in np.flatnonzero(~self.listable)]

    def refresh(self, platforms: list) -> None:
        """Rebuild the policy arrays from the platform agents' current policies."""
        self.version += 1
        K, W = self.n_markets, self.n_wallets
        cfgs = [platforms[o].cfg.marketplaces[name] for name, o in zip(self.marketplaces, self.market_owner)]
        for field in ("quality", "ticket", "pass_through", "fixed_fee"):
            setattr(self, field, np.array([getattr(m, field) for m in cfgs], float))
        self.commission = np.array([platforms[o].commission[name]
                                    for name, o in zip(self.marketplaces, self.market_owner)])
        self.accepts = np.zeros((K, W), bool)
        for k, (name, o) in enumerate(zip(self.marketplaces, self.market_owner)):
            for w in platforms[o].accepts[name]:
                self.accepts[k, self.wallets.index(w)] = True
        self.accepting_f32 = np.ascontiguousarray(self.accepts.T, dtype=np.float32)
        self.accepted_fee = (self.accepts @ self.wallet_fee) / np.maximum(self.accepts.sum(axis=1), 1)
        self.demands_exclusivity = np.array([platforms[o].exclusivity_in_force for o in self.market_owner])
        same_group = self.platform_group[:, None] == self.market_group[None, :]
        self.links_open = np.array([p.admits_rival_links for p in platforms])[:, None] | same_group
        approved = np.array([
            h < 0 or same_group[h, k] or platforms[h].admits_rival_apps
            for k, h in enumerate(self.market_host)
        ])
        self.active = approved

    @cached_property
    def rival(self) -> np.ndarray:
        """[K, K] bool: marketplaces of different alliances (alliances never change)."""
        return self.market_group[:, None] != self.market_group[None, :]
