"""One look per series, shared by the report, the notebooks and the viz.

Every known scenario has a fixed colour (the baseline is dark grey, the reference
every effect is measured against); a scenario added later gets a colour from a
fallback list chosen by a hash of its name, so it keeps that colour from one report
to the next, and never one already used in the same figure.  Wallets and alliances
have their brand-like colours, and display names.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

SCENARIOS = {
    "baseline": "#3b3b3b",
    "exclusivity_ban": "#f28e2b",
    "payment_interop": "#4e79a7",
    "link_interop": "#59a14f",
    "full_openness": "#b07aa1",
    "regulator_crackdown": "#e15759",
    "dma_ex_ante": "#76b7b2",
    "adaptive_commissions": "#9c755f",
    "strategic_platforms": "#c9a400",
    "history_2015_2024": "#d37295",
}
# for scenarios without a fixed colour (distinct from the above and from each other)
FALLBACK = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d",
            "#31a354", "#756bb1", "#636363", "#ad494a"]

WALLETS = {"alipay": "#1677ff", "wechat_pay": "#07c160", "unionpay": "#d62728"}
GROUPS = {"alibaba": "#ff6a00", "tencent": "#17becf", "multi-homing": "#9467bd", "not listed": "#b0b0b0"}
NO_WALLET = "#c8c8c8"
OTHER = ["#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#2ca02c", "#ff7f0e", "#1f77b4"]

NAMES = {"alipay": "Alipay", "wechat_pay": "WeChat Pay", "unionpay": "UnionPay", "taobao": "Taobao",
         "eleme": "Ele.me", "taobao_deals": "Taobao Deals", "jd": "JD", "pinduoduo": "Pinduoduo",
         "meituan": "Meituan", "alibaba": "Alibaba", "tencent": "Tencent"}


def display_name(name: str) -> str:
    """'wechat_pay' -> 'WeChat Pay'; unknown names are shown as they are."""
    return NAMES.get(name, name)


def scenario_colors(names: Iterable[str]) -> dict[str, str]:
    """A colour for each name: the fixed one if known, else a stable fallback not used by the others."""
    names = list(dict.fromkeys(names))
    out = {n: SCENARIOS[n] for n in names if n in SCENARIOS}
    used = set(out.values())
    for n in sorted((n for n in names if n not in out), key=lambda n: (zlib.crc32(n.encode()), n)):
        free = [c for c in FALLBACK if c not in used] or FALLBACK
        out[n] = free[zlib.crc32(n.encode()) % len(free)]
        used.add(out[n])
    return {n: out[n] for n in names}


def scenario_color(name: str) -> str:
    """The colour of one scenario shown alone (known: fixed; other: from its name's hash)."""
    return scenario_colors([name])[name]


def wallet_color(name: str, i: int = 0) -> str:
    return WALLETS.get(name, OTHER[i % len(OTHER)])


def group_color(name: str, i: int = 0) -> str:
    return GROUPS.get(name, OTHER[i % len(OTHER)])


def rgba(hex_color: str, alpha: float) -> str:
    """'#1f77b4', 0.2 -> 'rgba(31,119,180,0.2)' (for bands)."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"
