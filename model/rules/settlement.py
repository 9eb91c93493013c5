"""7.6 Sales and settlement.

Marketplace k's sales (GMV) are split over its merchants in proportion to their pull,
weight x traffic factor (7.5) on marketplaces that demand exclusivity, weight elsewhere.
A merchant's profit is

    profit_m = margin_m sum_k sales_mk - sum_k (c_k + fee_k) sales_mk - F_k U [listed on k]
               - kappa U max(n_m - 1, 0),

with c_k the commission, fee_k the mean wallet fee paid at k, F_k the listing fee and kappa
the multi-homing cost (units U of mean sales per merchant), n_m its listings.  Platforms book
commissions and listing fees on their marketplaces and wallet fees on commerce paid with
their wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..market import Market


@dataclass
class Settlement:
    """The flows of one tick's sales."""

    profit: np.ndarray  # [M] each merchant's profit
    commission: np.ndarray  # [K] commissions paid at k
    fixed: np.ndarray  # [K] listing fees paid at k
    wallet_fee_k: np.ndarray  # [K] mean wallet fee rate at k
    total_sales: float
    per_pull: np.ndarray  # [K] sales per unit of pull
    listed: np.ndarray  # [M, K] 0/1 listings the sales were split over
    demands: np.ndarray  # [K] exclusivity demanded (pull = weight x factor there)


def sales(listed: np.ndarray, weight: np.ndarray, factor: np.ndarray, per_pull: np.ndarray,
          demands: np.ndarray) -> np.ndarray:
    """[M, K] sales_mk = listed_mk x pull_mk x (sales per unit of pull at k), with pull = weight x factor
    where k demands exclusivity and weight elsewhere."""
    pull = np.where(demands[None, :], (weight * factor)[:, None], weight[:, None])
    return listed * pull * per_pull[None, :]


def merchant_profit(margin: np.ndarray, sold: np.ndarray, fees: np.ndarray, listing_fees: np.ndarray,
                    n_listings: np.ndarray, extra: float) -> np.ndarray:
    """[M] profit: margin on sales ``sold`` minus commissions and wallet fees ``fees``, listing fees and
    the cost ``extra`` of each listing beyond the first."""
    return margin * sold - fees - listing_fees - extra * np.maximum(n_listings.astype(np.int64) - 1, 0)


def settle(listed: np.ndarray, weight: np.ndarray, margin: np.ndarray, factor: np.ndarray, n_listings: np.ndarray,
           market: Market, gmv: np.ndarray, market_wallet: np.ndarray, unit: float, multihoming_cost: float
           ) -> Settlement:
    """Split the GMV [K] over merchants (listed [M, K] 0/1, factor [M] traffic factor) and settle fees.

    Each merchant's sums over marketplaces, sum_k sales_mk and sum_k (c_k + fee_k) sales_mk, are
    weight x (factor x the sum over demanding marketplaces + the sum over the others), so they
    come from one product of the listings with five columns, not from the [M, K] sales."""
    demands = market.demands_exclusivity
    total = np.where(demands, (weight * factor) @ listed, weight @ listed)  # [K] total pull
    per_pull = np.divide(gmv, total, out=np.zeros_like(gmv), where=total > 0)  # sales per unit of pull
    fee_k = np.divide(market_wallet @ market.wallet_fee, gmv, out=np.zeros_like(gmv), where=gmv > 0)
    cost = market.commission + fee_k  # [K] per unit of sales
    fixed = market.fixed_fee * unit  # [K] per listing
    on, off = per_pull * demands, per_pull * ~demands
    sums = listed @ np.stack([on, off, on * cost, off * cost, fixed], axis=1)  # [M, 5]
    sold = weight * (factor * sums[:, 0] + sums[:, 1])
    fees = weight * (factor * sums[:, 2] + sums[:, 3])
    profit = merchant_profit(margin, sold, fees, sums[:, 4], n_listings, multihoming_cost * unit)
    sold_k = per_pull * total
    return Settlement(profit=profit, commission=sold_k * market.commission, fixed=listed.sum(axis=0) * fixed,
                      wallet_fee_k=fee_k, total_sales=float(sold_k.sum()), per_pull=per_pull, listed=listed,
                      demands=demands)


def platform_revenue(flows: Settlement, commerce_value: np.ndarray, market: Market, n_platforms: int) -> np.ndarray:
    """[P] commissions and listing fees on own marketplaces plus wallet fees on own-wallet commerce."""
    return (np.bincount(market.market_owner, flows.commission + flows.fixed, minlength=n_platforms)
            + np.bincount(market.wallet_owner, commerce_value * market.wallet_fee, minlength=n_platforms))
