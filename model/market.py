"""The market structure seen by consumers and merchants: one immutable object.

Platforms (few Mesa agents) own marketplaces and wallets; consumers and merchants (many,
vectorized) only need small arrays of who owns, hosts and accepts what.  A :class:`Market`
is derived from the validated config and the platforms' policy records at a tick, holds
those arrays read-only, and computes every table derived from them once
(``cached_property``).  When a record changes the model builds a new Market; nothing in
it is ever patched.

Index conventions: ``k`` marketplaces (storefront channels, mini-programs included),
``w`` wallets, ``p`` platforms (firms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .config import MAX_MARKETPLACES, MAX_WALLETS, ScenarioConfig
from .policy import PlatformPolicy


def _frozen(values, dtype=float) -> np.ndarray:
    out = np.array(values, dtype=dtype)
    out.flags.writeable = False
    return out


@dataclass(frozen=True, eq=False)
class Market:
    """Names and indices from the config plus the arrays of the policies in force."""

    cfg: ScenarioConfig
    policies: tuple[PlatformPolicy, ...]  # one record per platform, in config order
    in_force: tuple[bool, ...]  # exclusivity in force per platform at the tick the market was built for
    entered: tuple[bool, ...]  # per marketplace: open by that tick (enters_at)

    @classmethod
    def build(cls, cfg: ScenarioConfig, policies: Sequence[PlatformPolicy], tick: int) -> Market:
        policies = tuple(policies)
        n_markets = sum(len(p.marketplaces) for p in cfg.platforms.values())
        n_wallets = sum(p.wallet is not None for p in cfg.platforms.values())
        if n_markets > MAX_MARKETPLACES or n_wallets > MAX_WALLETS:
            raise ValueError(f"at most {MAX_MARKETPLACES} marketplaces and {MAX_WALLETS} wallets are supported, "
                             f"got {n_markets} and {n_wallets}")
        return cls(cfg, policies, tuple(p.exclusivity_in_force(tick) for p in policies), cls._entered(cfg, tick))

    @staticmethod
    def _entered(cfg: ScenarioConfig, tick: int) -> tuple[bool, ...]:
        return tuple(tick >= m.enters_at for p in cfg.platforms.values() for m in p.marketplaces.values())

    def same_policies(self, policies: Sequence[PlatformPolicy], tick: int) -> bool:
        """The records (and what is in force or open at ``tick``) are those this market was built from."""
        return (tuple(policies) == self.policies
                and tuple(p.exclusivity_in_force(tick) for p in policies) == self.in_force
                and self._entered(self.cfg, tick) == self.entered)

    # -- names and static indices (from the config) ---------------------------------
    @cached_property
    def platforms(self) -> list[str]:
        return list(self.cfg.platforms)

    @cached_property
    def groups(self) -> list[str]:
        return sorted({p.group or n for n, p in self.cfg.platforms.items()})

    @cached_property
    def wallets(self) -> list[str]:
        return self.cfg.wallet_names()

    @cached_property
    def marketplaces(self) -> list[str]:
        return self.cfg.marketplace_names()

    @property
    def n_markets(self) -> int:
        return len(self.marketplaces)

    @property
    def n_wallets(self) -> int:
        return len(self.wallets)

    @cached_property
    def _market_rows(self) -> list[tuple[int, str]]:
        """(owner platform index, name) of each marketplace, in index order."""
        return [(pi, k) for pi, p in enumerate(self.cfg.platforms.values()) for k in p.marketplaces]

    def _market_cfg(self, field: str) -> np.ndarray:
        plats = list(self.cfg.platforms.values())
        return _frozen([getattr(plats[o].marketplaces[k], field) for o, k in self._market_rows])

    def _market_policy(self, field: str) -> np.ndarray:
        return _frozen([getattr(self.policies[o].marketplaces[k], field) for o, k in self._market_rows])

    @cached_property
    def platform_group(self) -> np.ndarray:
        """[P] alliance index of each platform."""
        return _frozen([self.groups.index(p.group or n) for n, p in self.cfg.platforms.items()], int)

    @cached_property
    def wallet_owner(self) -> np.ndarray:
        """[W] platform index owning each wallet."""
        return _frozen([pi for pi, p in enumerate(self.cfg.platforms.values()) if p.wallet is not None], int)

    @cached_property
    def market_owner(self) -> np.ndarray:
        """[K] platform index owning each marketplace."""
        return _frozen([o for o, _ in self._market_rows], int)

    @cached_property
    def market_group(self) -> np.ndarray:
        """[K] alliance index of each marketplace."""
        return _frozen(self.platform_group[self.market_owner], int)

    @cached_property
    def market_host(self) -> np.ndarray:
        """[K] platform index of the super-app hosting a mini-program, -1 for stand-alone marketplaces."""
        return _frozen([self.platforms.index(m.host) if m.host else -1
                        for m in (self.cfg.platforms[self.platforms[o]].marketplaces[k]
                                  for o, k in self._market_rows)], int)

    @cached_property
    def market_source(self) -> np.ndarray:
        """[K] marketplace whose listings appear here, -1 if merchants list directly."""
        return _frozen([self.marketplaces.index(m.listings_from) if m.listings_from else -1
                        for m in (self.cfg.platforms[self.platforms[o]].marketplaces[k]
                                  for o, k in self._market_rows)], int)

    @cached_property
    def social_platforms(self) -> np.ndarray:
        """Indices of the platforms running a super-app."""
        return _frozen([i for i, p in enumerate(self.cfg.platforms.values()) if p.social], int)

    @cached_property
    def wallet_appeal(self) -> np.ndarray:
        return _frozen([p.wallet.appeal for p in self.cfg.platforms.values() if p.wallet is not None])

    @cached_property
    def default_wallet(self) -> np.ndarray:
        """[K, W] bool: the wallet k's checkout preselects: its owner's, or its alliance's if the owner has none."""
        owner_of = np.asarray(self.wallet_owner)
        own = owner_of[None, :] == self.market_owner[:, None]
        allied = self.platform_group[owner_of][None, :] == self.market_group[:, None]
        return _frozen(np.where(own.any(axis=1, keepdims=True), own, allied), bool)

    @cached_property
    def wallet_cost(self) -> np.ndarray:
        return _frozen([p.wallet.adoption_cost for p in self.cfg.platforms.values() if p.wallet is not None])

    @cached_property
    def ticket(self) -> np.ndarray:
        """[K] mean purchase value."""
        return self._market_cfg("ticket")

    @cached_property
    def pass_through(self) -> np.ndarray:
        """[K] share of the commission passed on to prices."""
        return self._market_cfg("pass_through")

    @cached_property
    def listable(self) -> np.ndarray:
        """[K] marketplaces where merchants decide to list (not mirrored mini-programs)."""
        return _frozen(self.market_source < 0, bool)

    @cached_property
    def mirrored(self) -> list[tuple[int, int]]:
        """(mini-program, marketplace whose listings it mirrors) pairs."""
        return [(int(k), int(self.market_source[k])) for k in np.flatnonzero(~self.listable)]

    @cached_property
    def rival(self) -> np.ndarray:
        """[K, K] bool: marketplaces of different alliances."""
        return _frozen(self.market_group[:, None] != self.market_group[None, :], bool)

    # -- the policies in force -------------------------------------------------------
    @cached_property
    def commission(self) -> np.ndarray:
        """[K] commission on merchants' receipts (7.6)."""
        return self._market_policy("commission")

    @cached_property
    def quality(self) -> np.ndarray:
        """[K] v_k."""
        return self._market_policy("quality")

    @cached_property
    def consumer_price(self) -> np.ndarray:
        """[K] charged to buyers on top of the goods' value, as a share of it (< 0: a subsidy)."""
        return self._market_policy("consumer_price")

    @cached_property
    def cost(self) -> np.ndarray:
        """[K] the platform's own cost per unit of sales."""
        return self._market_cfg("cost")

    @cached_property
    def margin(self) -> np.ndarray:
        """[K] mean gross margin of the goods sold at k."""
        default = self.cfg.merchant.margin_mean
        plats = list(self.cfg.platforms.values())
        return _frozen([default if plats[o].marketplaces[k].margin is None else plats[o].marketplaces[k].margin
                        for o, k in self._market_rows])

    @cached_property
    def fixed_fee(self) -> np.ndarray:
        """[K] listing fee per tick, in units of mean sales per merchant."""
        return self._market_policy("fixed_fee")

    @cached_property
    def wallet_fee(self) -> np.ndarray:
        """[W] fee on merchant payments."""
        return _frozen([self.policies[o].wallet_fee for o in self.wallet_owner])

    @cached_property
    def accepts(self) -> np.ndarray:
        """[K, W] bool: wallet w is accepted at marketplace k's checkout."""
        out = np.zeros((self.n_markets, self.n_wallets), bool)
        for k, (o, name) in enumerate(self._market_rows):
            for w in self.policies[o].marketplaces[name].accepts:
                out[k, self.wallets.index(w)] = True
        return _frozen(out, bool)

    @cached_property
    def accepting_f32(self) -> np.ndarray:
        """[W, K] float32 copy of ``accepts.T``, for BLAS products."""
        return _frozen(np.ascontiguousarray(self.accepts.T), np.float32)

    @cached_property
    def accepted_fee(self) -> np.ndarray:
        """[K] mean fee of the wallets accepted at k."""
        return _frozen((self.accepts @ self.wallet_fee) / np.maximum(self.accepts.sum(axis=1), 1))

    @cached_property
    def demands_exclusivity(self) -> np.ndarray:
        """[K] the owner demands "choose one of two" (wanted, not banned, no remedy running)."""
        return _frozen([self.in_force[o] for o in self.market_owner], bool)

    @cached_property
    def links_open(self) -> np.ndarray:
        """[P, K] bool: super-app p lets links to k open (always its own alliance's)."""
        same_group = self.platform_group[:, None] == self.market_group[None, :]
        admits = np.array([p.admits_rival_links for p in self.policies])
        return _frozen(admits[:, None] | same_group, bool)

    @cached_property
    def launched(self) -> np.ndarray:
        """[K] bool: open (entered) and offered by its owner now."""
        return _frozen(self._market_policy("launched").astype(bool) & np.array(self.entered, bool), bool)

    @cached_property
    def active(self) -> np.ndarray:
        """[K] bool: launched, and stand-alone or a mini-program its host approves (always within an alliance)."""
        approved = [h < 0 or self.platform_group[h] == self.market_group[k] or self.policies[h].admits_rival_apps
                    for k, h in enumerate(self.market_host)]
        return _frozen(np.array(approved) & self.launched, bool)

    @cached_property
    def open_to_merchants(self) -> np.ndarray:
        """[K] bool: merchants can list there themselves (a launched marketplace that mirrors nobody)."""
        return _frozen(self.listable & self.active, bool)

    # -- the same as sets (bit k: marketplace k; :mod:`model.bits`) ------------------------
    def _set(self, flags) -> int:
        return sum(1 << k for k, on in enumerate(flags) if on)

    @cached_property
    def demanding_set(self) -> int:
        """The marketplaces demanding exclusivity."""
        return self._set(self.demands_exclusivity)

    @cached_property
    def listable_set(self) -> int:
        return self._set(self.listable)

    @cached_property
    def open_set(self) -> int:
        return self._set(self.open_to_merchants)

    @cached_property
    def rival_sets(self) -> list[int]:
        """[K] the marketplaces of other alliances than k's."""
        return [self._set(row) for row in self.rival]

    @cached_property
    def owner_sets(self) -> list[int]:
        """[P] each platform's marketplaces."""
        return [self._set(self.market_owner == p) for p in range(len(self.platforms))]

    @cached_property
    def reach_by_home(self) -> np.ndarray:
        """[K, P + 1] bool: k reachable for a consumer whose super-app is column - 1 (column 0: none):
        stand-alone marketplaces always, mini-programs only inside their host app, while approved."""
        host = self.market_host[:, None]
        homes = np.arange(-1, len(self.platforms))[None, :]
        return _frozen(((host < 0) | (host == homes)) & self.active[:, None], bool)

    @cached_property
    def links_by_home(self) -> np.ndarray:
        """[K, P + 1] bool: links to k open in the super-app of column - 1 (column 0: none)."""
        out = np.zeros((self.n_markets, len(self.platforms) + 1), bool)
        out[:, 1:] = self.links_open.T
        return _frozen(out, bool)
