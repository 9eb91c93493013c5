"""The walled-gardens Mesa model.

One tick is one month.  Order within a tick (every agent type acts each tick):

1. timeline events scheduled for this tick are applied (bans, mandates, approvals);
2. platforms update strategy (commission hill-climbing, policy trials, every few ticks);
3. merchants revise listings given last tick's sales, commissions, fees and exclusivity
   demands; defiers may be caught and throttled (7.4, 7.5);
4. consumers revise wallets (7.1), then marketplaces (7.2), then buy (7.3);
5. merchants' sales and fees are settled; platforms book revenue (7.6);
6. the regulator observes shares and complaints, investigates, fines, orders (7.8);
7. metrics are collected (DataCollector, one row per tick).

The validated config never changes during a run.  Policies live in one record per platform
(``Platform.policy``); the :class:`~model.market.Market` is derived from the records and
rebuilt whole whenever one changes.
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
from .rules import marketplaces, regulation, settlement

DEFAULT_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"
SCENARIO_SEED = "scenario"  # the default seed: the scenario's size.seed


def fresh_seed() -> int:
    """A new seed below 2**63 from numpy's SeedSequence (operating-system entropy)."""
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))


class WalledGardens(mesa.Model):
    """Competing platform ecosystems with exclusivity, interoperability and antitrust.

    Args:
        scenario: a :class:`ScenarioConfig`, or a path to a scenario TOML file (default: the
            baseline scenario shipped with the package).
        seed: run seed; by default the scenario's ``size.seed``.  ``rng`` is the same, Mesa's spelling.
            ``None``, as Mesa's ``batch_run`` passes for each iteration, draws a fresh seed
            (numpy SeedSequence), kept in ``model.seed`` and in every results row; for reproducible
            batch_run iterations pass ``rng=WalledGardens.seeds(n)`` (see :meth:`seeds`).
        overrides: dotted config keys to change, e.g. ``{"size.consumers": 5000}``.
        agents: create read-only Mesa agents for every consumer and merchant (turn off for large
            batch runs: the rules never need them).
        agent_reporters: also collect, every tick, each consumer's main wallet and marketplaces and
            each merchant's listings and exclusivity (``get_agent_vars_dataframe()``); off by default, as
            it costs 105-165 ms a tick at the default 20,000 consumers against 4-6 ms without (25-35x;
            :data:`model.metrics.AGENT_REPORTERS`).
    """

    def __init__(self, scenario: config_mod.ScenarioConfig | str | Path = DEFAULT_SCENARIO,
                 seed: int | None = SCENARIO_SEED, overrides: dict | None = None, agents: bool = True, *,
                 rng: int | None = SCENARIO_SEED, agent_reporters: bool = False):
        if seed is None and rng not in (None, SCENARIO_SEED):  # mesa.batch_run(parameters={"rng": ...}, iterations=N)
            raise ValueError(f"seed=None and rng={rng} disagree: mesa.batch_run passes seed=None to every "
                             f"iteration; for N reproducible runs derived from {rng}, pass "
                             f"rng=WalledGardens.seeds(N, {rng}) to batch_run instead of iterations=N")
        if seed != SCENARIO_SEED and rng != SCENARIO_SEED and seed != rng:
            raise ValueError(f"seed={seed} and rng={rng} disagree; give one of them")
        seed = rng if seed == SCENARIO_SEED else seed
        if isinstance(scenario, (str, Path)):
            cfg = config_mod.load(scenario, overrides)
        else:
            raw = config_mod.with_overrides(scenario.model_dump(), overrides)
            cfg = config_mod.validate(raw, f"scenario {scenario.name!r}")
        seed = cfg.size.seed if seed == SCENARIO_SEED else fresh_seed() if seed is None else int(seed)
        super().__init__(rng=seed)
        self.seed, self.cfg = seed, cfg
        self.platforms = [Platform(self, name, p) for name, p in cfg.platforms.items()]
        self.regulator = Regulator(self, cfg.regulator)
        self.market = Market.build(cfg, self.policies(), 0)
        n, m = cfg.size.consumers, cfg.size.merchants
        self.unit = n * cfg.consumer.budget_mean / m  # mean spend per merchant per tick
        self.consumers = ConsumerPopulation(n, cfg.size.social_degree, cfg.consumer, self.market, self.rng,
                                            cfg.size.rewire)
        self.merchants = MerchantPopulation(m, cfg.merchant, self.market, self.unit, self.rng)
        if agents or agent_reporters:
            Consumer.create_agents(self, n, idx=list(range(n)))
            Merchant.create_agents(self, m, idx=list(range(m)))
        self._timeline: dict[int, list] = {}
        for ev in cfg.events:
            self._timeline.setdefault(ev.tick, []).append(ev)
        self.first_reached: dict[str, int] = {}  # metric -> tick a share level was first reached
        # a first purchase round so that metrics and merchant decisions have data at tick 0
        self.last_purchases: Purchases = self.consumers.checkout(self.market, self.base_utility(), self.sellers(),
                                                                 self.rng)
        self._settle()
        self.current = metrics.collect(self)
        metrics.check_finite(self.current, 0)
        self.datacollector = metrics.MetricsCollector(self.current, agent_reporters)
        self.datacollector.collect(self)

    @staticmethod
    def seeds(n: int, seed: int | None = None, scenario: config_mod.ScenarioConfig | str | Path = DEFAULT_SCENARIO
              ) -> list[int]:
        """``n`` run seeds derived from ``seed`` (default: the scenario's ``size.seed``) with numpy
        SeedSequence, for ``mesa.batch_run(WalledGardens, parameters, rng=WalledGardens.seeds(n))``:
        n different runs, the same n every time.  (``iterations=n``, Mesa's deprecated spelling,
        passes ``seed=None``: n different runs on fresh seeds, recorded in every row, not reproducible.)
        They are the seeds of replications 0..n-1 of ``walled-gardens batch --common-seeds --seed SEED``."""
        if seed is None:
            cfg = scenario if isinstance(scenario, config_mod.ScenarioConfig) else config_mod.load(scenario)
            seed = cfg.size.seed
        # model.batch.derive_seed(seed, _, r, common=True), not imported: the run ids hash what a run imports
        return [int(np.random.SeedSequence(int(seed), spawn_key=(0, r)).generate_state(1)[0]) for r in range(int(n))]

    # -- helpers used by agents ----------------------------------------------
    def platform(self, name: str) -> Platform:
        for p in self.platforms:
            if p.name == name:
                return p
        raise KeyError(f"unknown platform {name!r}; allowed: {[p.name for p in self.platforms]}")

    def policies(self) -> list:
        """Every platform's policy record, in config order."""
        return [p.policy for p in self.platforms]

    def sync_market(self) -> bool:
        """Rebuild the market if a policy record, or what is in force at this tick (a remedy ends),
        differs from what it was built from; consumers then re-perceive it.  True if rebuilt."""
        tick = int(self.time)
        if self.market.same_policies(self.policies(), tick):
            return False
        self.market = Market.build(self.cfg, self.policies(), tick)
        self.merchants.derive(self.market)
        self.consumers.refresh(self.market)
        return True

    def sellers(self) -> np.ndarray:
        """[K] number of merchants listed on each marketplace."""
        return self.merchants.counts.astype(float)

    def base_utility(self) -> np.ndarray:
        """[K] the common part of every consumer's utility (7.2), for this tick's sellers."""
        return marketplaces.base_utility(self.market, self.cfg.consumer, self.sellers(), self.cfg.size.consumers)

    def observe(self) -> regulation.Observation:
        """Each platform's share and merchants' complaints, as the regulator sees them now."""
        buy, mer, mk = self.last_purchases, self.merchants, self.market
        names = [p.name for p in self.platforms]
        share = regulation.platform_shares(names, buy.gmv, buy.value, mk.market_owner, mk.wallet_owner)
        groups = regulation.group_shares(sorted({p.group for p in self.platforms}), [p.group for p in self.platforms],
                                         buy.gmv, buy.value, mk.market_owner, mk.wallet_owner)
        hit = mer.exclusive | mer.throttled(int(self.time), mk)
        in_force = [p.exclusivity_in_force for p in self.platforms]
        return regulation.Observation(share, regulation.complaints(names, in_force, hit, mer.pattern, mk.owner_sets),
                                      groups)

    # -- the tick --------------------------------------------------------------
    def step(self) -> None:
        tick = int(self.time)
        for ev in self._timeline.get(tick, []):
            events.apply(self, ev)
        self.sync_market()
        for p in self.platforms:
            p.step()
        self.sync_market()
        rate = self.merchants.sales_rate(self.flows.sold)
        fee = self._fee_by_market()
        self.merchants.revise_listings(self.market, rate, fee, tick, self.rng, self._buyer_share())
        sellers, base = self.sellers(), self.base_utility()
        wallets_changed = self.consumers.revise_wallets(self.market, self.rng)
        self.consumers.revise_marketplaces(self.market, base, self.rng, wallets_changed)
        self.last_purchases = self.consumers.checkout(self.market, base, sellers, self.rng, tick)
        self._settle()
        self.regulator.step()
        self.sync_market()
        self.current = metrics.collect(self)
        metrics.check_finite(self.current, tick)
        self.datacollector.collect(self)

    def _fee_by_market(self) -> np.ndarray:
        """[K] expected wallet fees per unit of sales at each marketplace (accepted wallets' mean if no sales yet)."""
        return np.where(self.flows.sold > 0, self.flows.wallet_fee_k, self.market.accepted_fee)

    def _buyer_share(self) -> np.ndarray | None:
        """[K] last tick's spending at each marketplace over all consumers' budgets, which merchants
        with a ``fixed_benefit`` weigh (None otherwise)."""
        if self.cfg.merchant.fixed_benefit is None:
            return None
        return self.last_purchases.gmv / float(self.consumers.budget.sum())

    def _settle(self) -> None:
        """Pay merchants, collect commissions and wallet fees; platforms book revenue."""
        buy = self.last_purchases
        self.flows = self.merchants.sell(self.market, buy.gmv, buy.market_wallet, int(self.time))
        revenue = settlement.platform_revenue(self.flows, buy.gmv, self.market, len(self.platforms))
        self.observed = self.observe()
        expected = self.regulator.expected_fines(self.observed)
        subsidies = np.bincount(self.market.market_owner, np.maximum(self.flows.receipts - buy.gmv, 0),
                                minlength=len(self.platforms))  # paid to buyers: receipts beyond their spending
        for p, r, s in zip(self.platforms, revenue.tolist(), subsidies.tolist()):
            p.book(r, s, expected[p.name])

    # -- output ----------------------------------------------------------------
    def results(self) -> pd.DataFrame:
        """The metric time series as a tidy frame (one row per tick)."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index = df.index.astype(int)
        df.index.name = "tick"
        return df.reset_index()

    def regulator_log(self) -> pd.DataFrame:
        return pd.DataFrame(self.regulator.actions, columns=["tick", "action", "target", "amount", "note"])
