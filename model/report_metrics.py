"""The metrics the report shows: title, unit and how a level or a difference is written; calendar months."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .palette import display_name


@dataclass(frozen=True)
class Metric:
    column: str
    title: str  # figure title
    short: str  # table row / sentence name
    kind: str  # "share" (0-1, shown in %, differences in pp), "index" (HHI points) or "level"
    axis: str  # y-axis title (with the unit)
    unit: str = ""  # unit of a level or a difference ("" for shares and HHI)

    @property
    def diff_unit(self) -> str:
        return {"share": "pp", "index": "HHI points"}.get(self.kind, self.unit)

    def level(self, v: float) -> str:
        """A level: 54.1%, 4,812, 0.0123."""
        if v is None or not np.isfinite(v):
            return "–"
        return f"{100 * v:.1f}%" if self.kind == "share" else _num(v)

    def diff(self, v: float) -> str:
        """A difference in its unit, without the unit: +8.0 (pp), +0.43 (pp), -312 (HHI points)."""
        if v is None or not np.isfinite(v):
            return "–"
        if self.kind == "share":
            x = 100 * v
            return f"{x:+.1f}" if abs(x) >= 1 else f"{x:+.2f}"
        if self.kind == "index":
            return f"{v:+,.0f}"
        return _num(v, signed=True)


def _num(v: float, signed: bool = False) -> str:
    sign = "+" if signed else ""
    a = abs(v)
    if a >= 100:
        return f"{v:{sign},.0f}"
    if a >= 1:
        return f"{v:{sign}.2f}"
    if a >= 0.01 or a == 0:
        return f"{v:{sign}.3f}"
    return f"{v:{sign}.2g}"


# payment shares and wallet reach come first, one per wallet (see metric_list)
FIXED: list[Metric] = [
    Metric("reach_mean", "Merchant reach: mean share of consumers who can buy from a merchant", "merchant reach",
           "share", "% of consumers"),
    Metric("hhi_value", "Concentration of payments by value (HHI)", "HHI of payments", "index", "HHI (0-10,000)"),
    Metric("consumer_wallet_multihoming", "Consumers holding two or more wallets", "wallet multi-homing",
           "share", "% of consumers"),
    Metric("consumer_market_multihoming", "Consumers using two or more marketplaces", "marketplace multi-homing",
           "share", "% of consumers"),
    Metric("merchant_multihoming", "Merchants listed on two or more marketplaces", "merchant multi-homing",
           "share", "% of merchants"),
    Metric("merchant_cross_alliance", "Merchants listed with both alliances", "cross-alliance listing",
           "share", "% of merchants"),
    Metric("merchant_exclusive_share", "Merchants under an exclusivity deal", "merchants under exclusivity",
           "share", "% of merchants"),
    Metric("consumer_surplus", "Consumer surplus (logit inclusive value)", "consumer surplus", "level",
           "utility per consumer per month", "utility per consumer per month"),
    Metric("merchant_profit", "Merchant profit", "merchant profit", "level",
           "per merchant per month (units of mean sales)", "units of mean monthly sales per merchant"),
    Metric("platform_revenue", "Platform revenue", "platform revenue", "level",
           "per consumer per month (spend units)", "spend units per consumer per month"),
    Metric("fines_total", "Fines, cumulative", "fines (cumulative)", "level", "per consumer (spend units)",
           "spend units per consumer"),
]


def metric_list(columns: Sequence[str]) -> list[Metric]:
    """The report's metrics among ``columns``: payment share by value and wallet reach per wallet, then FIXED."""
    wallets = [c.removeprefix("pay_share_value_") for c in columns if c.startswith("pay_share_value_")]
    out = [Metric(f"pay_share_value_{w}", f"Payment share by value: {display_name(w)}",
                  f"{display_name(w)} share of payment value", "share", "% of payment value") for w in wallets]
    out += [Metric(f"wallet_reach_{w}", f"Wallet reach: share of merchants a {display_name(w)} holder can pay",
                   f"{display_name(w)} wallet reach", "share", "% of merchants")
            for w in wallets if f"wallet_reach_{w}" in columns]
    return out + [m for m in FIXED if m.column in columns]


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def month_label(start: str | None, tick: int) -> str:
    """'2015-01', 75 -> 'Apr 2021'; '' without a start."""
    if not start:
        return ""
    y, m = (int(x) for x in start.split("-"))
    k = m - 1 + int(tick)
    return f"{MONTHS[k % 12]} {y + k // 12}"
