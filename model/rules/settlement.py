"""7.6 Sales and settlement.

Buyers' spending at k pays for the goods and the platform's price to buyers p_k (a share of
the goods' value; < 0: a subsidy the platform pays), so merchants sell goods worth
spend_k / (1 + p_k).  Those sales are split over k's merchants in proportion to their pull,
weight x traffic factor (7.5) on marketplaces that demand exclusivity, weight elsewhere.
A merchant's profit is

    profit_m = sum_k (margin_mk - c_k - fee_k) sales_mk - F_k U [listed on k] - kappa U max(n_m - 1, 0),

with margin_mk its gross margin on the goods it sells at k, c_k the commission, fee_k the
wallet fees paid at k per unit of sales, F_k the listing fee and kappa the multi-homing cost
(units U of mean sales per merchant), n_m its listings.  A platform's revenue is, on its
marketplaces, commissions, listing fees and the price to buyers, minus its own cost per
unit of sales, plus wallet fees on payments with its wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..market import Market


@dataclass
class Settlement:
    """The flows of one tick's sales."""

    profit: np.ndarray  # [M] each merchant's profit
    sold: np.ndarray  # [K] merchants' sales at k (the goods' value)
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


def merchant_profit(gross: np.ndarray, fees: np.ndarray, listing_fees: np.ndarray, n_listings: np.ndarray,
                    extra: float) -> np.ndarray:
    """[M] profit: the gross margin earned on sales minus commissions and wallet fees ``fees``, listing
    fees and the cost ``extra`` of each listing beyond the first."""
    return gross - fees - listing_fees - extra * np.maximum(n_listings.astype(np.int64) - 1, 0)


def settle(listed: np.ndarray, weight: np.ndarray, margins: np.ndarray, factor: np.ndarray, n_listings: np.ndarray,
           market: Market, spend: np.ndarray, market_wallet: np.ndarray, unit: float, multihoming_cost: float
           ) -> Settlement:
    """Split buyers' spending [K] over merchants (listed [M, K] 0/1, margins [M, K], factor [M] traffic
    factor) and settle fees.

    Each merchant's sums over marketplaces (margin earned, commissions and wallet fees paid) are
    weight x (factor x the sum over demanding marketplaces + the sum over the others), so they
    come from products of the listings with a few columns, not from the [M, K] sales."""
    demands = market.demands_exclusivity
    gmv = spend / (1 + market.consumer_price)  # [K] the goods' value sold
    total = np.where(demands, (weight * factor) @ listed, weight @ listed)  # [K] total pull
    per_pull = np.divide(gmv, total, out=np.zeros_like(gmv), where=total > 0)  # sales per unit of pull
    fee_k = np.divide(market_wallet @ market.wallet_fee, gmv, out=np.zeros_like(gmv), where=gmv > 0)
    cost = market.commission + fee_k  # [K] per unit of sales
    fixed = market.fixed_fee * unit  # [K] per listing
    on, off = per_pull * demands, per_pull * ~demands
    sums = listed @ np.stack([on * cost, off * cost, fixed], axis=1)  # [M, 3]
    earned = (listed * margins) @ np.stack([on, off], axis=1)  # [M, 2] margin earned per unit of pull
    gross = weight * (factor * earned[:, 0] + earned[:, 1])
    fees = weight * (factor * sums[:, 0] + sums[:, 1])
    profit = merchant_profit(gross, fees, sums[:, 2], n_listings, multihoming_cost * unit)
    sold = per_pull * total
    return Settlement(profit=profit, sold=sold, commission=sold * market.commission,
                      fixed=listed.sum(axis=0) * fixed, wallet_fee_k=fee_k, total_sales=float(sold.sum()),
                      per_pull=per_pull, listed=listed, demands=demands)


def platform_revenue(flows: Settlement, spend: np.ndarray, commerce_value: np.ndarray, market: Market,
                     n_platforms: int) -> np.ndarray:
    """[P] on own marketplaces: commissions, listing fees and the price to buyers (spending beyond the
    goods' value; a subsidy is negative), minus the platform's cost per unit of sales; plus wallet
    fees on own-wallet commerce."""
    per_market = flows.commission + flows.fixed + (spend - flows.sold) - market.cost * flows.sold
    return (np.bincount(market.market_owner, per_market, minlength=n_platforms)
            + np.bincount(market.wallet_owner, commerce_value * market.wallet_fee, minlength=n_platforms))
