"""7.6 Sales and settlement.

Merchants raise their prices to pass on a share pt_k of the commission c_k, and the platform
adds its price to buyers p_k (< 0: a subsidy it pays), both as shares of the goods' value at
base prices; so buyers pay 1 + pt_k c_k + p_k per unit of goods, the price of 7.2.  Buyers'
spending spend_k at k is split as

    goods_k    = spend_k / (1 + pt_k c_k + p_k)        (the goods' value at base prices)
    receipts_k = (1 + pt_k c_k) goods_k                 (merchants' transaction value)
    spend_k    = receipts_k + p_k goods_k               (the rest is the platform's buyer-side take)

Goods are split over k's merchants in proportion to their pull, weight x traffic factor (7.5)
on marketplaces that demand exclusivity, weight elsewhere.  Commission and wallet fees are
charged on the merchant's receipts (the transaction value, as in reality; the platform's
buyer-side price or subsidy is outside it).  With margin_mk the merchant's gross margin at the
base price (cost of goods 1 - margin_mk per unit), a unit of goods earns the gross margin
receipts - cost = margin_mk + pt_k c_k and pays (c_k + fee_k)(1 + pt_k c_k), so

    profit_m = sum_k (margin_mk - e_k) goods_mk - F_k U [listed on k] - kappa U max(n_m - 1, 0),
    e_k      = (c_k + fee_k)(1 + pt_k c_k) - pt_k c_k    (fees net of the pass-through, per unit of goods)

with fee_k the mean wallet fee rate at k (wallet fees paid over receipts), F_k the listing fee
and kappa the multi-homing cost (units U of mean sales per merchant), n_m its listings.  With
pt_k = 0 a merchant bears the whole commission, e_k = c_k + fee_k; with pt_k = 1 only
fee_k + c_k (c_k + fee_k).  A platform's revenue is, on its marketplaces,

    c_k receipts_k + listing fees + p_k goods_k - cost_k goods_k,

(per unit of spending the price to buyers earns p_k / (1 + pt_k c_k + p_k): p_k per unit of
goods), plus wallet fees on the receipts paid with its wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..market import Market


@dataclass
class Settlement:
    """The flows of one tick's sales."""

    profit: np.ndarray  # [M] each merchant's profit
    sold: np.ndarray  # [K] merchants' sales at k (the goods' value at base prices)
    receipts: np.ndarray  # [K] merchants' receipts at k (goods x (1 + pt c): the transaction value)
    commission: np.ndarray  # [K] commissions paid at k (on receipts)
    fixed: np.ndarray  # [K] listing fees paid at k
    wallet_fee_k: np.ndarray  # [K] mean wallet fee rate at k (per unit of receipts)
    wallet_receipts: np.ndarray  # [W] merchants' receipts paid with each wallet (wallet fees are charged on them)
    total_sales: float
    per_pull: np.ndarray  # [K] sales per unit of pull
    listed: np.ndarray  # [M, K] 0/1 listings the sales were split over
    demands: np.ndarray  # [K] exclusivity demanded (pull = weight x factor there)


def markup(market: Market) -> np.ndarray:
    """[K] 1 + pt_k c_k: merchants' receipts per unit of goods (their price after passing on commission)."""
    return 1.0 + market.pass_through * market.commission


def platform_take(market: Market) -> np.ndarray:
    """[K] the platform's take per unit of goods sold: commission on receipts c_k (1 + pt_k c_k) plus its
    price to buyers p_k (the regulator's predation test compares it with the platform's cost)."""
    return market.commission * markup(market) + market.consumer_price


def unit_cost(market: Market, fee: np.ndarray) -> np.ndarray:
    """[K] e_k = (c_k + fee_k)(1 + pt_k c_k) - pt_k c_k: what a merchant's profit per unit of goods falls
    short of its margin, commission and wallet fees (rates ``fee`` [K] on receipts) net of the pass-through."""
    up = markup(market)
    return (market.commission + fee) * up - (up - 1.0)


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


def split_spending(spend: np.ndarray, market_wallet: np.ndarray, market: Market) -> tuple[np.ndarray, np.ndarray]:
    """([K] goods' value at base prices, [K] wallet fee rate per unit of receipts) from spending [K]
    and its split by wallet [K, W]."""
    goods = spend / (markup(market) + market.consumer_price)
    fee_k = np.divide(market_wallet @ market.wallet_fee, spend, out=np.zeros_like(goods), where=spend > 0)
    return goods, fee_k


def reference(listed: np.ndarray, weight: np.ndarray, margins: np.ndarray, factor: np.ndarray,
              n_listings: np.ndarray, market: Market, spend: np.ndarray, market_wallet: np.ndarray, unit: float,
              multihoming_cost: float) -> np.ndarray:
    """[M] merchants' profit written like the money flows, over [M, K] arrays (arguments as :func:`settle`):
    receipts minus cost of goods, commissions and wallet fees on receipts, listing and multi-homing costs."""
    goods, fee_k = split_spending(spend, market_wallet, market)
    pull = np.where(market.demands_exclusivity[None, :], (weight * factor)[:, None], weight[:, None]) * listed
    total = pull.sum(axis=0)
    goods_mk = pull * np.divide(goods, total, out=np.zeros_like(goods), where=total > 0)[None, :]
    receipts_mk = markup(market)[None, :] * goods_mk
    cost_of_goods = (1.0 - margins) * goods_mk
    fees = (market.commission + fee_k)[None, :] * receipts_mk
    listing_fees = listed * market.fixed_fee[None, :] * unit
    extra = multihoming_cost * unit * np.maximum(n_listings - 1, 0)
    return (receipts_mk - cost_of_goods - fees - listing_fees).sum(axis=1) - extra


def settle(listed: np.ndarray, weight: np.ndarray, margins: np.ndarray, factor: np.ndarray, n_listings: np.ndarray,
           market: Market, spend: np.ndarray, market_wallet: np.ndarray, unit: float, multihoming_cost: float
           ) -> Settlement:
    """Split buyers' spending [K] over merchants (listed [M, K] 0/1, margins [M, K], factor [M] traffic
    factor) and settle fees (fast kernel of :func:`reference` for the profit).

    Each merchant's sums over marketplaces (margin earned, fees net of the pass-through) are
    weight x (factor x the sum over demanding marketplaces + the sum over the others), so they
    come from products of the listings with a few columns, not from the [M, K] sales."""
    demands = market.demands_exclusivity
    gmv, fee_k = split_spending(spend, market_wallet, market)  # [K] goods' value, wallet fee rate
    total = np.where(demands, (weight * factor) @ listed, weight @ listed)  # [K] total pull
    per_pull = np.divide(gmv, total, out=np.zeros_like(gmv), where=total > 0)  # sales per unit of pull
    cost = unit_cost(market, fee_k)  # [K] per unit of goods
    fixed = market.fixed_fee * unit  # [K] per listing
    on, off = per_pull * demands, per_pull * ~demands
    sums = listed @ np.stack([on * cost, off * cost, fixed], axis=1)  # [M, 3]
    earned = (listed * margins) @ np.stack([on, off], axis=1)  # [M, 2] margin earned per unit of pull
    gross = weight * (factor * earned[:, 0] + earned[:, 1])
    fees = weight * (factor * sums[:, 0] + sums[:, 1])
    profit = merchant_profit(gross, fees, sums[:, 2], n_listings, multihoming_cost * unit)
    sold = per_pull * total
    receipts = sold * markup(market)
    paid = np.divide(receipts, spend, out=np.zeros_like(gmv), where=spend > 0)  # receipts per unit of spending
    return Settlement(profit=profit, sold=sold, receipts=receipts, commission=receipts * market.commission,
                      fixed=listed.sum(axis=0) * fixed, wallet_fee_k=fee_k, wallet_receipts=paid @ market_wallet,
                      total_sales=float(sold.sum()), per_pull=per_pull, listed=listed, demands=demands)


def platform_revenue(flows: Settlement, spend: np.ndarray, market: Market, n_platforms: int) -> np.ndarray:
    """[P] on own marketplaces: commissions (on receipts), listing fees and the price to buyers (spending
    beyond merchants' receipts, p_k per unit of goods; a subsidy is negative), minus the platform's cost
    per unit of goods; plus wallet fees on the receipts paid with its wallet."""
    per_market = flows.commission + flows.fixed + (spend - flows.receipts) - market.cost * flows.sold
    return (np.bincount(market.market_owner, per_market, minlength=n_platforms)
            + np.bincount(market.wallet_owner, flows.wallet_receipts * market.wallet_fee, minlength=n_platforms))
