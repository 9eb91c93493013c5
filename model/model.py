"""The walled-gardens Mesa model.

One tick is one month.  Order within a tick (every agent type acts each tick):

1. timeline events scheduled for this tick are applied (bans, mandates, approvals);
2. platforms update strategy (commission hill-climbing, every few ticks);
3. merchants revise listings given last tick's sales, commissions, fees and
   exclusivity demands; defiers may be caught and throttled;
4. consumers revise wallets (direct + indirect network effects), then
   marketplaces, then buy: spending splits over usable marketplaces and is paid
   with held-and-accepted wallets;
5. merchants' sales and fees are settled; platforms book revenue;
6. the regulator monitors shares and complaints, investigates, fines, orders;
7. metrics are collected (DataCollector, one row per tick).
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pandas as pd

from . import config as config_mod
from . import events, metrics
from .agents import Consumer, Merchant, Platform, Regulator
from .consumers import ConsumerPopulation, Purchases
from .market import Market
from .merchants import MerchantPopulation


class WalledGardens(mesa.Model):
    """Competing platform ecosystems with exclusivity, interoperability and antitrust.

    Args:
        scenario: a :class:`ScenarioConfig`, or a path to a scenario TOML file.
        seed: run seed (overrides the scenario's ``size.seed``).
        overrides: dotted config keys to change, e.g. ``{"size.consumers": 5000}``.
        agents: create thin Mesa agents for every consumer and merchant (turn
            off for large batch runs: the rules never need them).
    """

    def __init__(self, scenario: config_mod.ScenarioConfig | str | Path = "scenarios/baseline.toml",
                 seed: int | None = None, overrides: dict | None = None, agents: bool = True):
        if isinstance(scenario, (str, Path)):
            cfg = config_mod.load(scenario, overrides)
        else:
            raw = config_mod.with_overrides(scenario.model_dump(), overrides)
            cfg = config_mod.validate(raw, f"scenario {scenario.name!r}")
        seed = cfg.size.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.seed, self.cfg = seed, cfg
        self.market = Market.from_config(cfg)
        self.platforms = [Platform(self, name, p) for name, p in cfg.platforms.items()]
        self.regulator = Regulator(self, cfg.regulator)
        self.market.refresh(self.platforms)
        n, m = cfg.size.consumers, cfg.size.merchants
        self.unit = n * cfg.consumer.budget_mean / m  # mean spend per merchant per tick
        self.consumers = ConsumerPopulation(n, cfg.size.social_degree, cfg.consumer, self.market, self.rng)
        self.merchants = MerchantPopulation(m, cfg.merchant, self.market, self.unit, self.rng)
        if agents:
            Consumer.create_agents(self, n, idx=list(range(n)))
            Merchant.create_agents(self, m, idx=list(range(m)))
        self._timeline: dict[int, list] = {}
        for ev in cfg.events:
            self._timeline.setdefault(ev.tick, []).append(ev)
        self._dirty = False
        # a first purchase round so that metrics and merchant decisions have data at tick 0
        self.last_purchases: Purchases = self.consumers.checkout(self.market, self.sellers(), self.rng)
        self._settle()
        self.current = metrics.collect(self)
        metrics.check_finite(self.current, 0)
        self.datacollector = metrics.MetricsCollector(self.current)
        self.datacollector.collect(self)

    # -- helpers used by agents ----------------------------------------------
    def platform(self, name: str) -> Platform:
        for p in self.platforms:
            if p.name == name:
                return p
        raise KeyError(f"unknown platform {name!r}; allowed: {[p.name for p in self.platforms]}")

    def policy_changed(self) -> None:
        """Mark the market arrays stale; they are rebuilt before the next rule runs."""
        self._dirty = True

    def _sync_market(self) -> None:
        if self._dirty:
            self.market.refresh(self.platforms)
            self.merchants.mirror(self.market)
            self.consumers.refresh(self.market)
            self._dirty = False

    def sellers(self) -> np.ndarray:
        """[K] number of merchants listed on each marketplace."""
        return self.merchants.counts.astype(float)

    def platform_shares(self) -> dict[str, float]:
        """Each platform's larger share: of marketplace GMV or of wallet payment value."""
        buy = self.last_purchases
        g, v = metrics.shares(buy.gmv), metrics.shares(buy.value)
        out = {p.name: 0.0 for p in self.platforms}
        for k, o in enumerate(self.market.market_owner):
            out[self.platforms[o].name] += g[k]
        for w, o in enumerate(self.market.wallet_owner):
            name = self.platforms[o].name
            out[name] = max(out[name], v[w])
        return out

    def complaints(self) -> dict[str, float]:
        """Share of each platform's merchants under exclusivity or throttled by it."""
        hit = self.merchants.exclusive | self.merchants.throttled(int(self.time), self.market)
        out = {}
        for pi, p in enumerate(self.platforms):
            on_p = self.merchants.listed @ (self.market.market_owner == pi) > 0
            out[p.name] = float((hit & on_p).sum() / max(on_p.sum(), 1)) if p.exclusivity_in_force else 0.0
        return out

    # -- the tick --------------------------------------------------------------
    def step(self) -> None:
        tick = int(self.time)
        for ev in self._timeline.get(tick, []):
            events.apply(self, ev)
        self._sync_market()
        for p in self.platforms:
            p.step()
        self._sync_market()
        buy = self.last_purchases
        rate = self.merchants.sales_rate(buy.gmv)
        fee = self._fee_by_market(buy)
        self.merchants.decide(self.market, rate, fee, tick, self.rng)
        sellers = self.sellers()
        wallets_changed = self.consumers.adopt_wallets(self.market, self.rng)
        self.consumers.choose_marketplaces(self.market, sellers, self.rng, wallets_changed)
        self.last_purchases = self.consumers.checkout(self.market, sellers, self.rng)
        self._settle()
        self.regulator.step()
        self._sync_market()
        self.current = metrics.collect(self)
        metrics.check_finite(self.current, tick)
        self.datacollector.collect(self)

    def _fee_by_market(self, buy: Purchases) -> np.ndarray:
        """[K] expected wallet fee rate at each marketplace (accepted wallets' mean if no sales yet)."""
        gmv = buy.market_wallet.sum(axis=1)
        return np.divide(buy.market_wallet @ self.market.wallet_fee, gmv, out=self.market.accepted_fee.copy(),
                         where=gmv > 0)

    def _settle(self) -> None:
        """Pay merchants, collect commissions and wallet fees; platforms book revenue."""
        buy = self.last_purchases
        flows = self.merchants.sell(self.market, buy.gmv, buy.market_wallet, int(self.time))
        self.flows = flows
        P = len(self.platforms)
        revenue = (np.bincount(self.market.market_owner, flows["commission"] + flows["fixed"], minlength=P)
                   + np.bincount(self.market.wallet_owner, buy.commerce_value * self.market.wallet_fee, minlength=P))
        expected = self.regulator.expected_fines()
        spend = float(buy.gmv.sum())
        for p, r in zip(self.platforms, revenue.tolist()):
            p.book(r, spend, expected[p.name])

    # -- output ----------------------------------------------------------------
    def results(self) -> pd.DataFrame:
        """The metric time series as a tidy frame (one row per tick)."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index = df.index.astype(int)
        df.index.name = "tick"
        return df.reset_index()

    def regulator_log(self) -> pd.DataFrame:
        return pd.DataFrame(self.regulator.actions, columns=["tick", "action", "target", "amount", "note"])
