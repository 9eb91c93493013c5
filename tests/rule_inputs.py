"""Random markets and population states for the kernel-versus-reference tests of model.rules."""

from __future__ import annotations

import numpy as np

from model import config
from model.market import Market
from model.network import SmallWorld
from model.policy import PlatformPolicy


def synthetic_config(rng: np.random.Generator, groups: int, markets: int, wallets: int,
                     mini: bool = True, prices: bool = False, **consumer) -> config.ScenarioConfig:
    """A scenario of ``groups`` alliances (one platform each, the first running a super-app),
    ``markets`` stand-alone marketplaces spread over them, ``wallets`` wallets, and optionally a
    mini-program inside the super-app mirroring another alliance's marketplace; with ``prices``
    random pass-through and prices to buyers (subsidies too) on the stand-alone marketplaces."""
    wallet_names = [f"w{i}" for i in range(wallets)]
    platforms: dict = {}
    for g in range(max(groups, wallets)):
        p = {"group": f"g{g % groups}", "exclusivity": bool(rng.random() < 0.5), "adaptive": False}
        if g < wallets:
            p["wallet"] = {"name": wallet_names[g], "appeal": float(rng.normal(0, 1)),
                           "adoption_cost": float(rng.random()), "fee": float(rng.random() * 0.01)}
        platforms[f"p{g}"] = p
    platforms["p0"] |= {"social": True, "admits_rival_links": bool(rng.random() < 0.5),
                        "admits_rival_apps": bool(rng.random() < 0.5)}
    owners = [f"p{j % groups}" for j in range(markets)]
    for j, owner in enumerate(owners):
        accepts = [w for w in wallet_names if rng.random() < 0.6] or [wallet_names[int(rng.integers(wallets))]]
        platforms[owner].setdefault("marketplaces", {})[f"m{j}"] = {
            "quality": float(rng.normal(1, 1)), "commission": float(rng.random() * 0.2), "accepts": accepts,
            "ticket": float(0.2 + rng.random() * 2), "fixed_fee": float(rng.random() * 0.05 * (rng.random() < 0.3))}
        if prices:
            platforms[owner]["marketplaces"][f"m{j}"] |= {"pass_through": float(rng.random()),
                                                          "consumer_price": float(rng.uniform(-0.3, 0.3))}
    if mini and groups > 1:
        source = next((j for j, o in enumerate(owners) if o != "p0"), None)
        if source is not None:
            platforms[owners[source]]["marketplaces"]["mini"] = {
                "quality": 1.0, "commission": 0.03, "accepts": [wallet_names[0]], "host": "p0",
                "listings_from": f"m{source}"}
    return config.validate({"platforms": platforms, "consumer": consumer, "regulator": {"mode": "off"}})


def synthetic_market(cfg: config.ScenarioConfig) -> Market:
    return Market.build(cfg, [PlatformPolicy.from_config(p) for p in cfg.platforms.values()], 0)


def consumer_state(rng: np.random.Generator, n: int, degree: int, market: Market) -> dict:
    """Random consumer state in both layouts' raw form ([N, ...] arrays)."""
    K, W = market.n_markets, market.n_wallets
    home = np.where(rng.random(n) < 0.8, 1 + market.social_platforms[0], 0) if len(market.social_platforms) \
        else np.zeros(n, int)
    holds = rng.random((n, W)) < 0.6
    uses = (rng.random((n, K)) < 0.4) & (market.market_host[None, :] < 0)
    budget = rng.lognormal(-0.32, 0.8, n).astype(np.float32)
    spend = (rng.random((n, K)) * uses * budget[:, None]).astype(np.float32)
    return {
        "network": SmallWorld(n, degree, rng),
        "home": home.astype(np.intp),
        "holds": holds, "uses": uses, "budget": budget, "spend": spend,
        "taste": rng.normal(0, 1.5, (n, K)).astype(np.float32),
        "social": (rng.random((n, K)) * 0.5).astype(np.float32),
        "last": rng.integers(-1, W, (n, K)).astype(np.int8),
    }
