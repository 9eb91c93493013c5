"""Policy records: what a platform does now, one immutable record per platform.

The validated scenario config never changes during a run.  Everything that does change
(timeline events, regulator orders, strategy moves) replaces a platform's
:class:`PlatformPolicy` with an edited copy, and the market is derived from the records
(:meth:`model.market.Market.build`).  The keys a ``set`` event may change are exactly the
fields of these records and the regulator's settings (:data:`model.config.CHANGEABLE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType

from .config import PlatformConfig

@dataclass(frozen=True)
class MarketplacePolicy:
    """A marketplace's terms as its owner sets them now."""

    commission: float
    accepts: tuple[str, ...]  # wallets accepted at checkout
    quality: float
    fixed_fee: float
    launched: bool = True  # offered by its owner (a guest mini-program may be withdrawn)
    consumer_price: float = 0.0  # charged to buyers, as a share of the goods' value (< 0: a subsidy)

    @classmethod
    def from_config(cls, m) -> MarketplacePolicy:
        return cls(commission=float(m.commission), accepts=tuple(m.accepts), quality=float(m.quality),
                   fixed_fee=float(m.fixed_fee), launched=bool(m.launched), consumer_price=float(m.consumer_price))


@dataclass(frozen=True)
class PlatformPolicy:
    """A platform's policies in force (or wanted, for exclusivity) and the orders binding it."""

    exclusivity: bool  # wants "choose one of two" from its merchants
    admits_rival_links: bool  # super-app: rival links open in chats
    admits_rival_apps: bool  # super-app: approves rival mini-programs
    marketplaces: Mapping[str, MarketplacePolicy]
    wallet_fee: float | None  # fee of its wallet on merchant payments (None: no wallet)
    exclusivity_banned: bool = False  # blanket ban by law or order
    remedy_until: int = -1  # exclusivity forbidden by a remedy until this tick
    mandated: frozenset[str] = field(default_factory=frozenset)  # policies opened for good by an order
    duties: frozenset[str] = field(default_factory=frozenset)  # ex ante duties it may breach (and be fined)

    def __post_init__(self) -> None:
        object.__setattr__(self, "marketplaces", MappingProxyType(dict(self.marketplaces)))

    def __reduce__(self):  # a mapping proxy does not pickle; rebuild from a plain dict
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["marketplaces"] = dict(self.marketplaces)
        return (_rebuild, (values,))

    @classmethod
    def from_config(cls, cfg: PlatformConfig) -> PlatformPolicy:
        return cls(exclusivity=cfg.exclusivity, admits_rival_links=cfg.admits_rival_links,
                   admits_rival_apps=cfg.admits_rival_apps,
                   marketplaces={k: MarketplacePolicy.from_config(m) for k, m in cfg.marketplaces.items()},
                   wallet_fee=cfg.wallet.fee if cfg.wallet is not None else None)

    def exclusivity_in_force(self, tick: int) -> bool:
        """Exclusivity is demanded: wanted, not banned, and no remedy running at ``tick``."""
        return self.exclusivity and not self.exclusivity_banned and tick >= self.remedy_until

    def edit(self, **changes) -> PlatformPolicy:
        """A copy with ``changes`` to the platform-level fields."""
        return replace(self, **changes)

    def edit_marketplace(self, name: str, **changes) -> PlatformPolicy:
        """A copy with ``changes`` to marketplace ``name``'s terms."""
        markets = dict(self.marketplaces)
        markets[name] = replace(markets[name], **changes)
        return replace(self, marketplaces=markets)

    def accepting_all(self, wallets: list[str]) -> PlatformPolicy:
        """A copy whose marketplaces accept every wallet in ``wallets``."""
        markets = {k: replace(m, accepts=tuple(wallets)) for k, m in self.marketplaces.items()}
        return replace(self, marketplaces=markets)


def _rebuild(values: dict) -> PlatformPolicy:
    return PlatformPolicy(**values)
