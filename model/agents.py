"""Mesa agents of walled-gardens.

Platforms and the regulator are few and carry rich state and their own
``step``.  Consumers and merchants are many: their state lives in the
populations' numpy arrays (see ``consumers.py`` / ``merchants.py``) and the
agents here are thin views onto one row, so Mesa tools (AgentSet queries,
visualization, notebooks) can still look at individuals.
"""

from __future__ import annotations

from collections import deque

import mesa
import numpy as np

from .config import PlatformConfig, RegulatorConfig


class Platform(mesa.Agent):
    """A firm running marketplaces, a super-app and/or a wallet, with its policies.

    Strategy, every ``strategy_interval`` ticks, on one score: revenue minus
    expected antitrust fines, as a share of all spending (the share removes
    the common growth of online spending).

    * commissions (``adaptive``): hill-climbing: keep moving in the last
      direction while the score rose over the interval, reverse otherwise;
    * policies listed in ``strategic`` (exclusivity, payment openness: own
      marketplaces accept every wallet, link openness: rival links open in the
      super-app): trial and error: with probability ``exploration`` flip one
      policy (in turn) for an interval and keep the flip only if the score did
      not fall; policies opened by an order or a mandate cannot be closed again.

    With both, intervals alternate between a commission step and a policy move.
    """

    def __init__(self, model, name: str, cfg: PlatformConfig):
        super().__init__(model)
        self.name, self.cfg = name, cfg
        self.group = cfg.group or name
        self.wallet = cfg.wallet.name if cfg.wallet else None
        self.commission = {k: m.commission for k, m in cfg.marketplaces.items()}
        self.accepts = {k: list(m.accepts) for k, m in cfg.marketplaces.items()}
        self.exclusivity = cfg.exclusivity  # what the platform wants
        self.exclusivity_banned = False  # blanket ban by law or order
        self.remedy_until = -1  # exclusivity forbidden by a remedy until this tick
        self.admits_rival_links = cfg.admits_rival_links
        self.admits_rival_apps = cfg.admits_rival_apps
        self.revenue = 0.0  # this tick
        self.revenue_history: deque[float] = deque(maxlen=12)
        self.cash = 0.0
        self.fines = 0.0
        self.practised_exclusivity: list[int] = []  # ticks with exclusivity in force
        self.mandated: set[str] = set()  # policies an order or mandate has opened for good
        self.expected_fine = 0.0  # this tick, as estimated from the regulator's rule
        self._direction = {k: 1.0 for k in self.commission}
        self._last_commission_score: float | None = None
        self._interval_score = 0.0
        self._phase = 0  # position in the cycle of strategy moves
        self._trial: tuple[str, float] | None = None  # policy on trial and the score before it
        self._next_policy = 0

    @property
    def exclusivity_in_force(self) -> bool:
        return self.exclusivity and not self.exclusivity_banned and self.model.time >= self.remedy_until

    def annual_revenue(self) -> float:
        """Revenue over the last 12 ticks (months), the base of antitrust fines."""
        return float(sum(self.revenue_history))

    def book(self, revenue: float, total_spend: float, expected_fine: float = 0.0) -> None:
        """Record this tick's revenue (commissions, listing fees, wallet fees) and expected fine."""
        self.revenue = revenue
        self.revenue_history.append(revenue)
        self.cash += revenue
        self.expected_fine = expected_fine
        self._interval_score += (revenue - expected_fine) / max(total_spend, 1e-12)
        if self.exclusivity_in_force:
            self.practised_exclusivity.append(int(self.model.time))

    def pay_fine(self, amount: float) -> float:
        """Pay a fine out of cash; never more than the cash held (no negative money)."""
        amount = min(amount, max(self.cash, 0.0))
        self.cash -= amount
        self.fines += amount
        return amount

    def step(self) -> None:
        t = int(self.model.time)
        if t == 0 or t % self.cfg.strategy_interval:
            return
        score, self._interval_score = self._interval_score, 0.0
        moves = (["commission"] if self.cfg.adaptive and self.commission else []) + \
            (["policy"] if self.cfg.strategic else [])
        if not moves:
            return
        move = moves[self._phase % len(moves)]
        self._phase += 1
        if move == "commission":
            self._climb_commissions(score)
        elif self._trial is not None:
            self._judge_trial(score)
        elif self.model.rng.random() < self.cfg.exploration:
            self._start_trial(score)

    def _climb_commissions(self, score: float) -> None:
        if self._last_commission_score is not None and score < self._last_commission_score:
            self._direction = {k: -d for k, d in self._direction.items()}
        for k in self.commission:
            step = self._direction[k] * self.cfg.commission_step
            self.commission[k] = float(np.clip(self.commission[k] + step, 0.005, 0.3))
        self._last_commission_score = score
        self.model.policy_changed()

    def _start_trial(self, score: float) -> None:
        open_to_change = [p for p in self.cfg.strategic if p not in self.mandated]
        if not open_to_change:
            return
        policy = open_to_change[self._next_policy % len(open_to_change)]
        self._next_policy += 1
        self._trial = (policy, score)
        self.flip(policy)

    def _judge_trial(self, score: float) -> None:
        if self._trial is None:
            return
        policy, before = self._trial
        self._trial = None
        if score < before and policy not in self.mandated:
            self.flip(policy)  # the flip did not pay: back to the old policy

    def flip(self, policy: str) -> None:
        """Switch one policy: exclusivity on/off, rival wallets accepted or not, rival links open or not
        (mini-program approval is a separate decision, taken through timeline events)."""
        if policy == "exclusivity":
            self.exclusivity = not self.exclusivity
        elif policy == "payment_openness":
            open_all = any(set(w) != set(self.model.market.wallets) for w in self.accepts.values())
            for k, m in self.cfg.marketplaces.items():
                self.accepts[k] = list(self.model.market.wallets) if open_all else list(m.accepts)
        elif policy == "link_openness":
            self.admits_rival_links = not self.admits_rival_links
        self.model.policy_changed()

    def mandate(self, policy: str) -> None:
        """An order or mandate opens a policy for good (payments or links)."""
        self.mandated.add(policy)
        if policy == "payment_openness":
            for k in self.accepts:
                self.accepts[k] = list(self.model.market.wallets)
        elif policy == "link_openness":
            self.admits_rival_links = True
        self.model.policy_changed()


class Regulator(mesa.Agent):
    """Antitrust authority.

    ex_post (SAMR-like): each tick, for every platform not already under
    investigation or remedy, opens an investigation with probability
    strength * logistic(psi0 + psi1 (share - 0.5) + psi2 complaints), where
    share is the platform's largest share (marketplace GMV or wallet value) and
    complaints the share of its merchants under exclusivity or throttled.
    After ``delay`` ticks: if exclusivity was practised during the
    investigation, a fine of ``fine_rate`` x last 12 months' revenue and a
    remedy (no exclusivity for ``remedy_ticks``; link blocking ordered open).
    ex_ante (DMA-like): platforms above ``gatekeeper_share`` are designated
    and bound at once, without detection lag.
    """

    def __init__(self, model, cfg: RegulatorConfig):
        super().__init__(model)
        self.cfg = cfg
        self.investigations: dict[str, int] = {}  # platform -> tick opened
        self.actions: list[dict] = []  # log of what the regulator did
        self.fines_total = 0.0
        self._monitored_for = None  # the Purchases the cached shares and complaints belong to

    def log(self, action: str, target: str, amount: float = 0.0, note: str = "") -> None:
        self.actions.append({"tick": int(self.model.time), "action": action, "target": target,
                             "amount": amount, "note": note})

    def step(self) -> None:
        if self.cfg.mode == "off" or self.cfg.strength == 0:
            return
        shares, complaints = self.monitor()
        if self.cfg.mode == "ex_ante":
            self._designate(shares)
        else:
            self._investigate(shares, complaints)
        self._decide()

    def monitor(self) -> tuple[dict[str, float], dict[str, float]]:
        """Each platform's share and merchants' complaints as seen this tick (computed once per
        round of purchases: settlement and the regulator's step both read them)."""
        buy = self.model.last_purchases
        if self._monitored_for is not buy:
            self._monitored = self.model.platform_shares(), self.model.complaints()
            self._monitored_for = buy
        return self._monitored

    def investigation_probability(self, share: float, complaints: float) -> float:
        """strength x logistic(psi0 + psi1 (share - 0.5) + psi2 complaints), capped at 1."""
        c = self.cfg
        z = c.psi0 + c.psi1 * (share - 0.5) + c.psi2 * complaints
        return min(1.0, c.strength / (1.0 + np.exp(-z)))

    @staticmethod
    def violating(p: Platform) -> bool:
        """What an investigation would sanction: exclusivity, or a super-app blocking rival links."""
        return p.exclusivity_in_force or (p.cfg.social and not p.admits_rival_links)

    def expected_fines(self) -> dict[str, float]:
        """Per platform, this tick's expected fine: P(investigation) x fine, if it is violating.

        Platforms weigh this against revenue in their strategy (ex post regime only)."""
        out = {p.name: 0.0 for p in self.model.platforms}
        if self.cfg.mode != "ex_post" or self.cfg.strength == 0:
            return out
        shares, complaints = self.monitor()
        for p in self.model.platforms:
            if self.violating(p):
                prob = self.investigation_probability(shares[p.name], complaints[p.name])
                out[p.name] = prob * self.cfg.fine_rate * p.annual_revenue()
        return out

    def _designate(self, shares: dict[str, float]) -> None:
        for p in self.model.platforms:
            if shares[p.name] >= self.cfg.gatekeeper_share and not p.exclusivity_banned:
                p.exclusivity_banned = True
                p.mandate("payment_openness")
                p.mandate("link_openness")
                p.admits_rival_apps = True
                self.log("designate_gatekeeper", p.name, note="ex ante duties: no exclusivity, open links and payments")
                self.model.policy_changed()

    def _investigate(self, shares: dict[str, float], complaints: dict[str, float]) -> None:
        for p in self.model.platforms:
            if p.name in self.investigations or self.model.time < p.remedy_until:
                continue
            prob = self.investigation_probability(shares[p.name], complaints[p.name])
            if self.model.rng.random() < prob:
                self.investigations[p.name] = int(self.model.time)
                self.log("investigate", p.name, note=f"share {shares[p.name]:.2f}, complaints {complaints[p.name]:.2f}")

    def _decide(self) -> None:
        now = int(self.model.time)
        for name, opened in list(self.investigations.items()):
            if now - opened < self.cfg.delay:
                continue
            del self.investigations[name]
            p = self.model.platform(name)
            blocking_links = p.cfg.social and not p.admits_rival_links
            if not any(t >= opened for t in p.practised_exclusivity) and not blocking_links:
                self.log("close", name, note="no violation found")
                continue
            fine = p.pay_fine(self.cfg.fine_rate * p.annual_revenue())
            self.fines_total += fine
            p.remedy_until = now + self.cfg.remedy_ticks
            if p.cfg.social:
                p.mandate("link_openness")
            self.log("fine", name, amount=fine, note=f"{self.cfg.fine_rate:.0%} of annual revenue")
            self.log("order", name, note=f"no exclusivity for {self.cfg.remedy_ticks} ticks; open links")
            self.model.policy_changed()


class Consumer(mesa.Agent):
    """One consumer: a view onto row ``idx`` of the consumer arrays."""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = idx

    @property
    def wallets(self) -> list[str]:
        held = self.model.consumers.holds[self.idx]
        return [w for w, h in zip(self.model.market.wallets, held) if h]

    @property
    def marketplaces(self) -> list[str]:
        used = self.model.consumers.uses[self.idx]
        return [k for k, u in zip(self.model.market.marketplaces, used) if u]

    @property
    def main_wallet(self) -> str | None:
        last = int(self.model.consumers.last_wallet[self.idx])
        return self.model.market.wallets[last] if last >= 0 else None

    @property
    def contacts(self) -> np.ndarray:
        return self.model.consumers.contacts[self.idx]


class Merchant(mesa.Agent):
    """One merchant: a view onto row ``idx`` of the merchant arrays."""

    def __init__(self, model, idx: int):
        super().__init__(model)
        self.idx = idx

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
