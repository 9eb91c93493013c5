"""Mesa agents of walled-gardens.

Platforms and the regulator are few and carry their own ``step``.  Consumers and merchants
are many: their state lives in the populations' arrays (``consumers.py``, ``merchants.py``)
and the agents here are read-only views onto one row, so Mesa tools (AgentSet queries,
agent reporters, visualization) can still look at individuals.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from .config import PlatformConfig, RegulatorConfig
from .policy import PlatformPolicy
from .rules import regulation, settlement, strategy


class Platform(mesa.Agent):
    """A firm running marketplaces, a super-app and/or a wallet.

    Its policies are one immutable :class:`PlatformPolicy` record (``policy``); events, orders
    and its own strategy replace it through :meth:`set_policy`.  Strategy (7.7): every
    ``strategy_interval`` ticks it hill-climbs its commissions (``adaptive``) and its price to
    buyers (``adaptive_consumer_price``), and/or tries flipping a policy listed in
    ``strategic``, on its score: revenue minus expected fines, per consumer.  It holds cash
    (``initial_cash`` plus revenue, minus operating costs and fines) and exits when it runs out,
    if its cash is limited."""

    def __init__(self, model, name: str, cfg: PlatformConfig):
        super().__init__(model)
        self.name, self.cfg = name, cfg
        self.group = cfg.group or name
        self.wallet = cfg.wallet.name if cfg.wallet else None
        self.policy = PlatformPolicy.from_config(cfg)
        self.revenue = 0.0  # this tick
        self.revenue_history: deque[float] = deque(maxlen=12)
        n = model.cfg.size.consumers
        self.limited_cash = cfg.initial_cash is not None  # it can run out of cash and exit
        self.cash = (cfg.initial_cash or 0.0) * n
        self.operating_cost = cfg.operating_cost * n  # per tick
        self.subsidy_budget = None if cfg.subsidy_budget is None else cfg.subsidy_budget * n
        self.subsidies = 0.0  # paid so far
        self.exited = False
        self.fines = 0.0
        self.practised_exclusivity: list[int] = []  # ticks with exclusivity in force
        self.expected_fine = 0.0  # this tick, as estimated from the regulator's rule
        self._direction = {k: 1.0 for k in cfg.marketplaces}
        self._price_direction = {k: 1.0 for k in cfg.marketplaces}
        self._last_commission_score: float | None = None
        self._turns = strategy.price_groups(cfg.marketplaces)  # marketplaces whose prices move in turn
        self._turn = {"commission": 0, "consumer_price": 0}
        self._last_price_score: float | None = None
        self._interval_score = 0.0
        self._phase = 0  # position in the cycle of strategy moves
        self._trial: tuple[str, float, tuple] | None = None  # policy on trial, score before, its setting on trial
        self._next_policy = 0

    # -- the policy record and read-only views of it ---------------------------
    def set_policy(self, policy: PlatformPolicy) -> None:
        """Put a new policy record in force (the model rebuilds its market before the next rule)."""
        self.policy = policy

    @property
    def commission(self) -> dict[str, float]:
        return {k: m.commission for k, m in self.policy.marketplaces.items()}

    @property
    def consumer_price(self) -> dict[str, float]:
        return {k: m.consumer_price for k, m in self.policy.marketplaces.items()}

    @property
    def accepts(self) -> dict[str, list[str]]:
        return {k: list(m.accepts) for k, m in self.policy.marketplaces.items()}

    @property
    def exclusivity(self) -> bool:
        """Wants "choose one of two" (in force only without a ban or remedy)."""
        return self.policy.exclusivity

    @property
    def exclusivity_banned(self) -> bool:
        return self.policy.exclusivity_banned

    @property
    def remedy_until(self) -> int:
        return self.policy.remedy_until

    @property
    def admits_rival_links(self) -> bool:
        return self.policy.admits_rival_links

    @property
    def admits_rival_apps(self) -> bool:
        return self.policy.admits_rival_apps

    @property
    def mandated(self) -> frozenset[str]:
        return self.policy.mandated

    @property
    def exclusivity_in_force(self) -> bool:
        return self.policy.exclusivity_in_force(int(self.model.time))

    def annual_revenue(self) -> float:
        """Revenue over the last 12 ticks (months), the base of antitrust fines."""
        return float(sum(self.revenue_history))

    # -- book-keeping ------------------------------------------------------------
    def book(self, revenue: float, subsidies: float, expected_fine: float = 0.0) -> None:
        """Record this tick's revenue (net of its own costs and of the ``subsidies`` it paid buyers)
        and expected fine; pay the operating cost; stop subsidies once their budget is spent, and
        exit when the cash runs out."""
        self.revenue = revenue
        self.revenue_history.append(revenue)
        self.cash += revenue - self.operating_cost
        self.subsidies += subsidies
        self.expected_fine = expected_fine
        # the score of an interval is taken over its second half, once buyers and merchants have
        # had time to respond to the last move
        if int(self.model.time) % self.cfg.strategy_interval >= self.cfg.strategy_interval // 2:
            self._interval_score += (revenue - self.operating_cost - expected_fine) / self.model.cfg.size.consumers
        if self.exclusivity_in_force:
            self.practised_exclusivity.append(int(self.model.time))
        if self.subsidy_budget is not None and self.subsidies >= self.subsidy_budget:
            self.set_policy(self._without_subsidies())
        if self.limited_cash and self.cash < 0 and not self.exited:
            self.exit()

    def _without_subsidies(self) -> PlatformPolicy:
        policy = self.policy
        for k, p in self.consumer_price.items():
            policy = policy.edit_marketplace(k, consumer_price=max(p, 0.0))
        return policy

    def exit(self) -> None:
        """Out of cash: the platform withdraws its marketplaces for good."""
        self.exited = True
        policy = self.policy
        for k in policy.marketplaces:
            policy = policy.edit_marketplace(k, launched=False)
        self.set_policy(policy)
        self.model.regulator.log("exit", self.name, note="out of cash")

    def pay_fine(self, amount: float) -> float:
        """Pay a fine out of cash; never more than the cash held (no negative money)."""
        amount = min(amount, max(self.cash, 0.0))
        self.cash -= amount
        self.fines += amount
        return amount

    # -- strategy (7.7) ------------------------------------------------------------
    def step(self) -> None:
        t = int(self.model.time)
        if t == 0 or t % self.cfg.strategy_interval:
            return
        score, self._interval_score = self._interval_score, 0.0
        has_markets = bool(self.cfg.marketplaces) and not self.exited
        moves = (["commission"] if self.cfg.adaptive and has_markets else []) + \
            (["consumer_price"] if self.cfg.adaptive_consumer_price and has_markets else []) + \
            (["policy"] if self.cfg.strategic and not self.exited else [])
        if not moves:
            return
        move = moves[self._phase % len(moves)]
        self._phase += 1
        if move == "commission":
            self._climb_commissions(score)
        elif move == "consumer_price":
            self._climb_consumer_prices(score)
        elif self._trial is not None:
            self._judge_trial(score)
        elif self.model.rng.random() < self.cfg.exploration:
            self._start_trial(score)

    def _next_turn(self, price: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(the group that moved this price last, the group that moves it now)."""
        n = self._turn[price]
        self._turn[price] += 1
        return self._turns[(n - 1) % len(self._turns)], self._turns[n % len(self._turns)]

    def _climb_commissions(self, score: float) -> None:
        judged, moving = self._next_turn("commission")
        new, self._direction = strategy.climb(self.commission, self._direction, score,
                                              self._last_commission_score, self.cfg.commission_step,
                                              judged=judged, moving=moving)
        policy = self.policy
        for k, c in new.items():
            policy = policy.edit_marketplace(k, commission=c)
        self._last_commission_score = score
        self.set_policy(policy)

    def _climb_consumer_prices(self, score: float) -> None:
        out_of_budget = self.subsidy_budget is not None and self.subsidies >= self.subsidy_budget
        lo, hi = strategy.CONSUMER_PRICE_RANGE
        judged, moving = self._next_turn("consumer_price")
        new, self._price_direction = strategy.climb(self.consumer_price, self._price_direction, score,
                                                    self._last_price_score, self.cfg.commission_step,
                                                    (0.0 if out_of_budget else lo, hi), judged, moving)
        policy = self.policy
        for k, p in new.items():
            policy = policy.edit_marketplace(k, consumer_price=p)
        self._last_price_score = score
        self.set_policy(policy)

    def _start_trial(self, score: float) -> None:
        barred = self.exclusivity_banned or self.model.time < self.remedy_until  # exclusivity is not its to choose
        open_to_change = [p for p in self.cfg.strategic if p not in self.mandated
                          and not (p == "exclusivity" and barred)]
        if not open_to_change:
            return
        policy = open_to_change[self._next_policy % len(open_to_change)]
        self._next_policy += 1
        self.flip(policy)
        self._trial = (policy, score, strategy.setting(self.policy, policy))

    def _judge_trial(self, score: float) -> None:
        policy, before, on_trial = self._trial
        self._trial = None
        if score < before and strategy.setting(self.policy, policy) == on_trial:  # no order changed it since
            self.flip(policy)  # the flip did not pay: back to the old policy

    def flip(self, policy: str) -> None:
        """Switch one strategic policy (exclusivity, payment openness or link openness)."""
        configured = {k: tuple(m.accepts) for k, m in self.cfg.marketplaces.items()}
        guest = [k for k, m in self.cfg.marketplaces.items() if m.host is not None and m.host != self.name]
        self.set_policy(strategy.flipped(self.policy, policy, self.model.market.wallets, configured, guest))

    def mandate(self, policy: str) -> None:
        """An order or mandate opens a policy for good (payments, links or mini-program approval)."""
        self.set_policy(strategy.mandated(self.policy, policy, self.model.market.wallets))


class Regulator(mesa.Agent):
    """Antitrust authority (7.8): ex post investigations, fines and remedies, or ex ante designation.

    Its settings are ``policy`` (a validated :class:`RegulatorConfig`, replaced whole by events)."""

    def __init__(self, model, cfg: RegulatorConfig):
        super().__init__(model)
        self.policy = cfg
        self.investigations: dict[str, int] = {}  # platform -> tick opened
        self.actions: list[dict] = []  # log of what the regulator did (and of timeline events)
        self.fines_total = 0.0
        self.breaches: dict[str, int] = {}  # ex ante: breaches fined so far, per platform
        self._flagged: set[str] = set()  # platforms flagged for predatory pricing, while it lasts

    @property
    def cfg(self) -> RegulatorConfig:
        return self.policy

    def log(self, action: str, target: str, amount: float = 0.0, note: str = "") -> None:
        self.actions.append({"tick": int(self.model.time), "action": action, "target": target,
                             "amount": amount, "note": note})

    @property
    def active(self) -> bool:
        return self.policy.mode != "off" and self.policy.strength > 0

    def step(self) -> None:
        if not self.active:
            return
        seen = self.model.observed
        if self.policy.mode == "ex_ante":
            self._designate(seen)
            self._enforce_duties(seen)
        else:
            self._investigate(seen)
        self._decide()
        self._flag_predation(seen)

    def expected_fines(self, seen: regulation.Observation) -> dict[str, float]:
        """Per platform, this tick's expected fine: P(investigation) x fine, if it is violating
        (ex post regime only).  Platforms weigh it against revenue in their strategy."""
        out = {p.name: 0.0 for p in self.model.platforms}
        if not self.active:
            return out
        tick, wallets = int(self.model.time), self.model.market.wallets
        for p in self.model.platforms:
            if self.policy.mode == "ex_post" and regulation.violating(p.policy, p.cfg.social, tick):
                out[p.name] = regulation.expected_fine(self.policy, seen.share[p.name], seen.complaints[p.name],
                                                       p.annual_revenue())
            elif self.policy.mode == "ex_ante" and regulation.breached(p.policy, wallets, tick):
                out[p.name] = regulation.expected_fine(self.policy, seen.group_share[p.group],
                                                       seen.complaints[p.name], p.annual_revenue())
        return out

    def _designate(self, seen: regulation.Observation) -> None:
        for p in self.model.platforms:
            if seen.group_share[p.group] >= self.policy.gatekeeper_share and not p.policy.duties:
                self._impose_duties(p)
                self.log("designate_gatekeeper", p.name, note=f"alliance {p.group}: share "
                         f"{seen.group_share[p.group]:.2f}; duties: {', '.join(sorted(p.policy.duties))}")

    def _impose_duties(self, p: Platform) -> None:
        """Duties for a designated platform: those it chooses itself it must meet (and may breach);
        the others are opened for good."""
        duties = regulation.duties_for(p.cfg.social)
        p.set_policy(p.policy.edit(duties=duties))
        for duty in sorted(duties):
            chosen = duty in p.cfg.strategic
            if duty == "exclusivity":
                p.set_policy(p.policy.edit(exclusivity=False) if chosen else p.policy.edit(exclusivity_banned=True))
            elif chosen:
                p.set_policy(strategy.mandated(p.policy, duty, self.model.market.wallets).edit(
                    mandated=p.policy.mandated))  # comply now, free to breach later
            else:
                p.mandate(duty)

    def _enforce_duties(self, seen: regulation.Observation) -> None:
        tick, wallets = int(self.model.time), self.model.market.wallets
        for p in self.model.platforms:
            broken = regulation.breached(p.policy, wallets, tick)
            if not broken:
                continue
            prob = regulation.investigation_probability(self.policy, seen.group_share[p.group], seen.complaints[p.name])
            if self.model.rng.random() < prob:
                repeat = self.breaches.get(p.name, 0)
                rate = self.policy.fine_rate * (2 if repeat else 1)
                fine = p.pay_fine(rate * p.annual_revenue())
                self.fines_total += fine
                self.breaches[p.name] = repeat + 1
                self.log("fine", p.name, amount=fine, note=f"ex ante duties breached ({', '.join(broken)}): "
                         f"{rate:.0%} of annual revenue")

    def _flag_predation(self, seen: regulation.Observation) -> None:
        mk = self.model.market
        cost, take = dict(zip(mk.marketplaces, mk.cost)), dict(zip(mk.marketplaces, settlement.platform_take(mk)))
        for p in self.model.platforms:
            below = regulation.below_cost(p.policy, cost, take)
            predatory = seen.share[p.name] >= self.policy.gatekeeper_share and below
            if predatory and p.name not in self._flagged:
                self.log("flag_predatory_pricing", p.name, note=f"share {seen.share[p.name]:.2f}; below cost on "
                         + ", ".join(below))
            (self._flagged.add if predatory else self._flagged.discard)(p.name)

    def _investigate(self, seen: regulation.Observation) -> None:
        for p in self.model.platforms:
            if p.name in self.investigations or self.model.time < p.remedy_until:
                continue
            prob = regulation.investigation_probability(self.policy, seen.share[p.name], seen.complaints[p.name])
            if self.model.rng.random() < prob:
                self.investigations[p.name] = int(self.model.time)
                self.log("investigate", p.name,
                         note=f"share {seen.share[p.name]:.2f}, complaints {seen.complaints[p.name]:.2f}")

    def _decide(self) -> None:
        now = int(self.model.time)
        for name, opened in list(self.investigations.items()):
            if now - opened < self.policy.delay:
                continue
            del self.investigations[name]
            p = self.model.platform(name)
            if not regulation.violated_since(p.policy, p.cfg.social, p.practised_exclusivity, opened):
                self.log("close", name, note="no violation found")
                continue
            fine = p.pay_fine(self.policy.fine_rate * p.annual_revenue())
            self.fines_total += fine
            remedy = p.policy.edit(remedy_until=now + self.policy.remedy_ticks)
            if "exclusivity" in p.cfg.strategic:  # it weighs fines: complies, resumes only if a later trial pays
                remedy = remedy.edit(exclusivity=False)
            p.set_policy(remedy)
            if p.cfg.social:
                p.mandate("link_openness")
                p.mandate("app_approval")
            self.log("fine", name, amount=fine, note=f"{self.policy.fine_rate:.0%} of annual revenue")
            self.log("order", name, note=f"no exclusivity for {self.policy.remedy_ticks} ticks"
                     + ("; open links and mini-programs" if p.cfg.social else ""))


class _View(mesa.Agent):
    """A read-only view onto row ``idx`` of a population's arrays."""

    population = ""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = idx

    def step(self) -> None:
        raise TypeError(f"{type(self).__name__} agents are read-only views of row {self.idx} of "
                        f"model.{self.population}; the population acts as a whole in model.step() "
                        f"(see model/{self.population}.py), so step the model, not these agents")


class Consumer(_View):
    """One consumer: a view onto row ``idx`` of ``model.consumers``."""

    population = "consumers"

    @property
    def wallets(self) -> list[str]:
        held = int(self.model.consumers.held[self.idx])  # this consumer's set only (``holds`` unpacks everybody's)
        return [w for j, w in enumerate(self.model.market.wallets) if held >> j & 1]

    @property
    def marketplaces(self) -> list[str]:
        used = int(self.model.consumers.used[self.idx])
        return [k for j, k in enumerate(self.model.market.marketplaces) if used >> j & 1]

    @property
    def main_wallet(self) -> str | None:
        """The wallet last used where the consumer spends most (the checkout habit there)."""
        last = int(self.model.consumers.main_wallet[self.idx])
        return self.model.market.wallets[last] if last >= 0 else None

    @property
    def contacts(self) -> np.ndarray:
        return self.model.consumers.contacts[self.idx]


class Merchant(_View):
    """One merchant: a view onto row ``idx`` of ``model.merchants``."""

    population = "merchants"

    @property
    def listings(self) -> list[str]:
        lists = self.model.merchants.lists[self.idx]
        return [k for k, on in zip(self.model.market.marketplaces, lists) if on]

    @property
    def exclusive(self) -> bool:
        return bool(self.model.merchants.exclusive[self.idx])

    @property
    def profit(self) -> float:
        return float(self.model.merchants.profit[self.idx])
