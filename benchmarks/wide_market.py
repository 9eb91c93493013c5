"""Markets with more marketplaces and wallets than the baseline, for the K and W scan.

The baseline scenario plus ``extra_markets`` niche marketplaces spread over the platforms with
marketplaces (both alliances; low quality, so a consumer uses a few more marketplaces, not all)
and ``extra_wallets`` wallets, each run by a new stand-alone platform and accepted by every
other new marketplace."""

from __future__ import annotations

from pathlib import Path

from model import config

ROOT = Path(__file__).resolve().parent.parent
OWNERS = ["alibaba", "jd", "pinduoduo", "meituan", "alibaba"]


def wide_overrides(extra_markets: int, extra_wallets: int) -> dict:
    out: dict = {}
    wallets = [f"pay_{i}" for i in range(extra_wallets)]
    for i, w in enumerate(wallets):
        out[f"platforms.wallet_{i}"] = {"adaptive": False, "wallet": {"name": w, "appeal": -0.5, "adoption_cost": 0.4}}
    for j in range(extra_markets):
        owner = OWNERS[j % len(OWNERS)]
        accepts = ["wechat_pay" if owner != "alibaba" else "alipay", "unionpay"] + wallets[j % 2::2]
        out[f"platforms.{owner}.marketplaces.shop_{j}"] = {
            "quality": -2.4 + 0.1 * (j % 7), "commission": 0.02 + 0.01 * (j % 5), "ticket": 0.5 + 0.25 * (j % 4),
            "fixed_fee": 0.1,  # a listing deposit, so that merchants list on a few marketplaces, not all
            "accepts": accepts}
    return out


def wide_config(markets: int, wallets: int, consumers: int) -> config.ScenarioConfig:
    """The baseline with ``markets`` marketplaces in all (at least 6) and ``wallets`` wallets (at least 3)."""
    ov = wide_overrides(max(markets - 6, 0), max(wallets - 3, 0))
    ov |= {"size.consumers": consumers, "size.merchants": max(consumers // 10, 10)}
    return config.load(ROOT / "scenarios" / "baseline.toml", ov)
