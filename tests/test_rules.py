"""Each rule's fast kernel equals its plain reference form on the same random draws (model.rules).

Float32 kernels and float64 references can only disagree where a uniform or a shock lies
within rounding of its threshold; those few draws are left out, and every test checks that
almost all draws were compared."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from model import bits, config
from model.rules import checkout, enforcement, listing, marketplaces, reach, settlement, wallets

from rule_inputs import consumer_state, synthetic_config, synthetic_market

SETTINGS = dict(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
seeds = st.integers(0, 2**32 - 1)


def shape(groups=st.integers(1, 4), markets=st.integers(1, 8), wallets_=st.integers(1, 6)):
    return st.tuples(groups, markets, wallets_)


@settings(**SETTINGS)
@given(seed=seeds, dims=shape(), g_direct=st.floats(0, 5), g_indirect=st.floats(0, 5), noise=st.floats(0.2, 3))
def test_wallet_adoption_kernel_equals_reference(seed, dims, g_direct, g_indirect, noise):
    rng = np.random.default_rng(seed)
    cfg = synthetic_config(rng, *dims, g_direct=g_direct, g_indirect=g_indirect, wallet_noise=noise)
    mk, c = synthetic_market(cfg), cfg.consumer
    s = consumer_state(rng, 300, 10, mk)
    n = len(s["budget"])
    revising = rng.random(n) < 0.5
    rows = np.flatnonzero(revising)
    u = rng.random((n, mk.n_wallets), dtype=np.float32)
    ref = wallets.reference(s["holds"], s["network"].contacts, s["spend"], s["budget"], mk, c, revising, u)
    held = np.ascontiguousarray(s["holds"].T)
    fast = wallets.adopt(held[:, rows], s["network"].count(bits.pack(held), mk.n_wallets, rows), np.ascontiguousarray(s["spend"].T[:, rows]),
                         s["budget"][rows], mk, c, 10, np.ascontiguousarray(u[rows].T))
    p = wallets.probability(s["holds"], s["network"].contacts, s["spend"], s["budget"], mk, c)
    clear = (np.abs(u - p) > 1e-5)[rows]
    assert clear.mean() > 0.99
    assert (fast.T == ref[rows])[clear].all()
    assert (ref[~revising] == s["holds"][~revising]).all()


@settings(**SETTINGS)
@given(seed=seeds, dims=shape(), noise=st.floats(0.1, 2), switching=st.floats(0, 3), threshold=st.floats(-1, 2),
       g_links=st.floats(0, 3))
def test_marketplace_choice_kernel_equals_reference(seed, dims, noise, switching, threshold, g_links):
    rng = np.random.default_rng(seed)
    cfg = synthetic_config(rng, *dims, market_noise=noise, switching_cost=switching,
                           multihoming_threshold=threshold, g_links=g_links)
    mk, c = synthetic_market(cfg), cfg.consumer
    s = consumer_state(rng, 300, 10, mk)
    n, K = s["uses"].shape
    sellers = rng.integers(0, 50, K).astype(float)
    revising = rng.random(n) < 0.4
    rows = np.flatnonzero(revising)
    z = rng.standard_normal((n, K)).astype(np.float32)
    ref_uses, ref_social = marketplaces.reference(s["uses"], s["holds"], s["network"].contacts, s["taste"],
                                                  s["social"], s["home"], mk, c, sellers, revising, z)
    # the kernel: perceive word of mouth, then revise (column layout, revisers only)
    used = np.ascontiguousarray(s["uses"].T)
    gain = marketplaces.link_gain(mk, c, 10).take(s["home"][rows], axis=1)
    social = s["network"].count(bits.pack(used), K, rows) * gain
    np.testing.assert_allclose(social, ref_social[rows].T, rtol=1e-5, atol=1e-6)
    pay_ok = wallets.can_pay(np.ascontiguousarray(s["holds"].T[:, rows]), mk)
    own = marketplaces.own_utility(np.ascontiguousarray(s["taste"].T[:, rows]), pay_ok, c)
    base = marketplaces.base_utility(mk, c, sellers, n)
    reachable = mk.reach_by_home.take(s["home"][rows], axis=1)
    fast = marketplaces.revise(used[:, rows], own, social, base, reachable, c, np.ascontiguousarray(z.T[:, rows]))
    V, _ = marketplaces.utility(s["uses"], s["holds"], s["network"].contacts, s["taste"], s["social"], s["home"], mk,
                                c, sellers, revising)
    shocked = V + c.market_noise * z
    cut = np.where(s["uses"], 0.0, c.switching_cost + np.where(s["uses"].any(axis=1), threshold, 0.0)[:, None])
    clear = (np.abs(shocked - cut) > 1e-4)[rows]
    assert clear.mean() > 0.99
    assert (fast.T == ref_uses[rows])[clear].all()
    assert (ref_uses[~revising] == s["uses"][~revising]).all()


@settings(**SETTINGS)
@given(seed=seeds, dims=shape(), habit=st.floats(0, 3), scale=st.floats(0.3, 3), lam=st.floats(0, 3),
       adjust=st.floats(0.05, 1))
def test_checkout_kernel_equals_reference(seed, dims, habit, scale, lam, adjust):
    rng = np.random.default_rng(seed)
    cfg = synthetic_config(rng, *dims, checkout_habit=habit, checkout_scale=scale, lam_wallet=lam,
                           spend_adjustment=adjust)
    mk, c = synthetic_market(cfg), cfg.consumer
    s = consumer_state(rng, 400, 10, mk)
    n, K = s["uses"].shape
    sellers = rng.integers(0, 4, K).astype(float)
    base = marketplaces.base_utility(mk, c, sellers, n)
    reach_ = mk.reach_by_home[:, s["home"]].T
    uses = s["uses"] | ((rng.random((n, K)) < 0.5) & (mk.market_host >= 0))  # some use the mini-program too
    u_wallet = rng.random((n, K), dtype=np.float32)  # this month's purchase at each marketplace
    previous = (rng.random((n, K)) * s["budget"][:, None] / K).astype(np.float32)  # last month's spending
    ref = checkout.reference(uses, s["holds"], s["last"], s["taste"], reach_, s["budget"], mk, c,
                             base, sellers, u_wallet, previous=previous)
    held = np.ascontiguousarray(s["holds"].T)
    pay_ok = wallets.can_pay(held, mk)
    usable = np.ascontiguousarray(uses.T) & pay_ok & reach_.T
    own = marketplaces.own_utility(np.ascontiguousarray(s["taste"].T), pay_ok, c)
    spent = checkout.spending(checkout.own_weight(own, usable), checkout.common_weight(base, sellers), s["budget"], mk)
    spent = checkout.keep_habit(spent, np.ascontiguousarray(previous.T), c.spend_adjustment)
    paid = checkout.pay(spent, bits.pack(held), np.ascontiguousarray(s["last"].T), mk, c, bits.lanes(n),
                        np.ascontiguousarray(u_wallet.T))
    np.testing.assert_allclose(spent.spend.T, ref["spend"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(paid.market_wallet, ref["market_wallet"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(paid.gmv, ref["spend"].sum(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ref["surplus"], (s["budget"] @ np.log1p(spent.total)) / n / c.tau, rtol=1e-4)
    online = ref["spend"].sum(axis=1)
    assert (online < s["budget"] + 1e-6).all()  # the rest goes offline
    # the wallet used at each marketplace: compare where the uniform is not within rounding of a boundary
    cum_w = np.cumsum(checkout.wallet_probabilities(s["holds"], s["last"], mk, c), axis=2)  # [N, K, W]
    clear = (np.abs(cum_w - u_wallet[..., None]) > 1e-5).all(axis=2)
    assert clear.mean() > 0.95
    assert (paid.last_wallet.T == ref["last_wallet"])[clear].all()
    bought = ref["spend"] > 0
    assert (ref["last_wallet"][~bought] == s["last"][~bought]).all()  # no purchase at k: the habit there stays
    assert (ref["last_wallet"][bought] >= 0).all()  # a purchase sets it


def listing_inputs(rng, L_groups, L, wallets_, R, **merchant):
    cfg = synthetic_config(rng, L_groups, L, wallets_)
    cfg = cfg.model_copy(update={"merchant": cfg.merchant.model_validate({**cfg.merchant.model_dump(), **merchant})})
    mk = synthetic_market(cfg)
    K = mk.n_markets
    margin = np.clip(rng.normal(0.15, 0.08, (R, 1)) + rng.normal(0, 0.05, K), 0.01, 0.9)  # [R, K]
    weight = rng.lognormal(-0.18, 0.6, R)
    rate = rng.random(K) * 2
    fee = rng.random(K) * 0.01
    return cfg, mk, margin, weight, rate, fee


@settings(**SETTINGS)
@given(seed=seeds, dims=shape(markets=st.integers(1, 9)), noise=st.floats(0.01, 0.5),
       kappa=st.floats(0, 0.2), bonus=st.floats(0, 1), penalty=st.floats(0, 1))
def test_listing_kernel_draws_the_reference_set(seed, dims, noise, kappa, bonus, penalty):
    rng = np.random.default_rng(seed)
    cfg, mk, margin, weight, rate, fee = listing_inputs(rng, dims[0], dims[1], dims[2], 200, choice_noise=noise,
                                                        multihoming_cost=kappa, exclusivity_bonus=bonus,
                                                        throttle_penalty=penalty)
    u = rng.random(200)
    ref = listing.reference(margin, weight, rate, fee, mk, cfg.merchant, 1.0, u)
    fast = listing.choose(margin, weight, rate, fee, mk, cfg.merchant, 1.0, u, enumerate_up_to=0)  # the walk
    _, p = listing.probabilities(margin, weight, rate, fee, mk, cfg.merchant, 1.0)
    clear = (np.abs(np.cumsum(p, axis=0) - u) > 1e-9).all(axis=0)
    assert clear.mean() > 0.99
    assert (fast == ref)[clear].all()


def test_listing_kernel_draws_the_reference_set_with_fixed_gains():
    """The docking restriction's fixed gains (merchant.fixed_benefit): the walk and the list of all sets
    pick the same set from the same uniform, for 9 marketplaces (2^9 sets)."""
    rng = np.random.default_rng(3)
    fixed = {"value": 0.3, "per_buyer_share": 0.5, "hotelling_cost": 0.4}
    cfg, mk, margin, weight, rate, fee = listing_inputs(rng, 3, 9, 2, 300, choice_noise=0.2, multihoming_cost=0.1,
                                                        fixed_benefit=fixed)
    gain = listing.fixed_gain(rng.random(mk.n_markets) / mk.n_markets, rng.random(300), mk, cfg.merchant)
    u = rng.random(300)
    ref = listing.reference(margin, weight, rate, fee, mk, cfg.merchant, 1.0, u, gain=gain)
    fast = listing.choose(margin, weight, rate, fee, mk, cfg.merchant, 1.0, u, enumerate_up_to=0, gain=gain)
    _, p = listing.probabilities(margin, weight, rate, fee, mk, cfg.merchant, 1.0, gain=gain)
    clear = (np.abs(np.cumsum(p, axis=0) - u) > 1e-9).all(axis=0)
    assert clear.mean() > 0.99
    assert (fast == ref)[clear].all()
    assert ref.any(axis=1).mean() > 0.5  # sets were chosen, not only the empty one


def test_fixed_gain_is_value_plus_buyers_minus_distance():
    rng = np.random.default_rng(4)
    cfg, mk, *_ = listing_inputs(rng, 2, 3, 1, 1, fixed_benefit={"value": 1.0, "per_buyer_share": 0.5,
                                                                 "hotelling_cost": 2.0})
    share, y = np.array([0.2, 0.3, 0.5] + [0.0] * (mk.n_markets - 3)), np.array([0.0, 0.75])
    gain = listing.fixed_gain(share, y, mk, cfg.merchant)
    where = np.arange(mk.n_markets) / (mk.n_markets - 1)  # evenly spaced on [0, 1]
    for k in range(mk.n_markets):
        for r in range(2):
            assert gain[k, r] == pytest.approx(1.0 + 0.5 * share[k] - 2.0 * abs(y[r] - where[k]))


def test_listing_kernel_frequencies_follow_the_logit():
    rng = np.random.default_rng(5)
    cfg, mk, margin, weight, rate, fee = listing_inputs(rng, 3, 5, 2, 1, choice_noise=0.2)
    sets, p = listing.probabilities(margin, weight, rate, fee, mk, cfg.merchant, 1.0)
    n = 60_000
    picks = listing.choose(np.repeat(margin, n, axis=0), np.repeat(weight, n), rate, fee, mk, cfg.merchant, 1.0,
                           rng.random(n), enumerate_up_to=0)
    codes = bits.pack(picks.T).astype(np.int64)
    index = {int(c): i for i, c in enumerate(bits.pack(sets.T))}
    observed = np.bincount([index[int(c)] for c in codes], minlength=len(sets))
    keep = p[:, 0] * n > 5
    expected = p[keep, 0] * n
    assert stats.chisquare(observed[keep], expected * observed[keep].sum() / expected.sum()).pvalue > 1e-3


def test_listing_kernel_scales_to_many_marketplaces():
    """40 marketplaces (2^40 sets): with no exclusivity and no multi-homing cost each marketplace is
    listed independently with probability logistic(profit / noise)."""
    rng = np.random.default_rng(11)
    cfg, mk, margin, weight, rate, fee = listing_inputs(rng, 4, 40, 3, 1, choice_noise=0.3, multihoming_cost=0.0,
                                                        exclusivity_bonus=0.0, throttle_penalty=0.0)
    n = 20_000
    picks = listing.choose(np.repeat(margin, n, axis=0), np.repeat(weight, n), rate, fee, mk, cfg.merchant, 1.0,
                           rng.random(n))
    s = listing.sales_profit(margin, weight, rate, fee, mk, 1.0)[:, 0]
    for k, source in mk.mirrored:
        if mk.active[k]:
            s[source] += s[k]
    p = 1 / (1 + np.exp(-(s - mk.fixed_fee) / listing.noise_scale(weight, rate, mk, cfg.merchant, 1.0)[0]))
    listable = mk.listable
    assert np.abs(picks.mean(axis=0)[listable] - p[listable]).max() < 4 * np.sqrt(0.25 / n)


@settings(**SETTINGS)
@given(seed=seeds, K=st.integers(1, 40), n=st.integers(1, 400), m=st.integers(1, 200))
def test_reach_by_pattern_equals_reference(seed, K, n, m):
    rng = np.random.default_rng(seed)
    can_buy = rng.random((n, K)) < rng.random()
    lists = rng.random((m, K)) < rng.random() * 0.5
    masks, levels, counts = reach.by_pattern(bits.pack(can_buy.T), bits.pack(lists.T), K)
    per_merchant = dict(zip(masks.tolist(), levels.tolist()))
    got = np.array([per_merchant[int(x)] for x in bits.pack(lists.T)])
    np.testing.assert_array_equal(got, reach.reference(can_buy, lists))
    assert counts.sum() == m
    # the bitset way, whichever the cost rule picked
    np.testing.assert_array_equal(reach._by_avoiders(bits.pack(can_buy.T), masks, K), levels)


@settings(max_examples=60, deadline=None)
@given(levels=st.lists(st.floats(0, 1), min_size=1, max_size=16),
       index=st.lists(st.integers(0, 15), min_size=1, max_size=200))
def test_reach_percentiles_from_the_histogram_equal_numpy(levels, index):
    table = np.array(levels)
    idx = np.array([i % len(levels) for i in index])
    counts = np.bincount(idx, minlength=len(table))
    q = (0, 10, 50, 90, 100)
    assert np.allclose(reach.level_percentiles(table, counts, q), np.percentile(table[idx], q), rtol=0, atol=1e-12)


@settings(**SETTINGS)
@given(seed=seeds, dims=shape())
def test_defying_and_traffic_factor_follow_their_definitions(seed, dims):
    rng = np.random.default_rng(seed)
    cfg = synthetic_config(rng, *dims)
    mk = synthetic_market(cfg)
    lists = rng.random((100, mk.n_markets)) < 0.4
    plain = [any(lists[m, k] and mk.demands_exclusivity[k] and any(lists[m, j] and mk.market_group[j] != mk.market_group[k]
                                                                 for j in range(mk.n_markets)) for k in range(mk.n_markets))
             for m in range(len(lists))]
    assert (enforcement.defying(lists.astype(float), mk) == np.array(plain)).all()
    assert (enforcement.defying_sets(bits.pack(lists.T), mk) == np.array(plain)).all()
    c = cfg.merchant
    assert enforcement.traffic_factor(c, True, 1.0) == pytest.approx(1 + c.exclusivity_bonus)
    assert enforcement.traffic_factor(c, False, 1.0) == pytest.approx(1 - c.throttle_penalty)
    assert enforcement.traffic_factor(c, False, 0.0) == 1.0


def _settlement_case(rng, mk, M=150):
    K, W = mk.n_markets, mk.n_wallets
    listed = (rng.random((M, K)) < 0.5).astype(float)
    weight, margins = rng.lognormal(0, 0.6, M), rng.random((M, K)) * 0.3
    factor = rng.choice([0.3, 1.0, 1.3], M)
    market_wallet = rng.random((K, W)) * mk.accepts
    return listed, weight, margins, factor, market_wallet, market_wallet.sum(axis=1), listed.sum(axis=1)


@settings(**SETTINGS)
@given(seed=seeds, dims=shape())
def test_settlement_kernel_equals_reference_and_splits_all_sales(seed, dims):
    rng = np.random.default_rng(seed)
    cfg = synthetic_config(rng, *dims, prices=True)
    mk = synthetic_market(cfg)
    listed, weight, margins, factor, market_wallet, spend, n_listings = _settlement_case(rng, mk)
    flows = settlement.settle(listed, weight, margins, factor, n_listings, mk, spend, market_wallet, 2.0, 0.02)
    ref = settlement.reference(listed, weight, margins, factor, n_listings, mk, spend, market_wallet, 2.0, 0.02)
    np.testing.assert_allclose(flows.profit, ref, rtol=1e-10, atol=1e-12)
    price = 1 + mk.pass_through * mk.commission + mk.consumer_price  # buyers' price per unit of goods (7.2)
    goods = spend / price
    split = settlement.sales(listed, weight, factor, flows.per_pull, flows.demands)  # [M, K]
    sold = listed.sum(axis=0) > 0
    np.testing.assert_allclose(split.sum(axis=0)[sold], goods[sold], rtol=1e-12)
    assert (split[listed == 0] == 0).all()
    fee_k = np.divide(market_wallet @ mk.wallet_fee, spend, out=np.zeros(mk.n_markets), where=spend > 0)
    for m in range(0, len(listed), 17):  # profit of a few merchants written out per unit of goods
        up = 1 + mk.pass_through * mk.commission
        per_unit = margins[m] + up - 1 - (mk.commission + fee_k) * up
        expected = (per_unit @ split[m] - listed[m] @ (mk.fixed_fee * 2.0)
                    - 0.02 * 2.0 * max(n_listings[m] - 1, 0))
        assert flows.profit[m] == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(**SETTINGS)
@given(seed=seeds, dims=shape())
def test_settlement_conserves_money(seed, dims):
    """Buyers' spending = merchants' receipts + the platform's buyer-side take (p_k per unit of goods),
    and the wallet fees merchants pay are the wallet fees their owners book."""
    rng = np.random.default_rng(seed)
    cfg = synthetic_config(rng, *dims, prices=True)
    mk = synthetic_market(cfg)
    listed, weight, margins, factor, market_wallet, spend, n_listings = _settlement_case(rng, mk)
    flows = settlement.settle(listed, weight, margins, factor, n_listings, mk, spend, market_wallet, 2.0, 0.02)
    sold = listed.sum(axis=0) > 0
    np.testing.assert_allclose((flows.receipts + mk.consumer_price * flows.sold)[sold], spend[sold], rtol=1e-12)
    np.testing.assert_allclose(flows.receipts, (1 + mk.pass_through * mk.commission) * flows.sold, rtol=1e-12)
    np.testing.assert_allclose(flows.commission, mk.commission * flows.receipts, rtol=1e-12)
    np.testing.assert_allclose(flows.wallet_receipts @ mk.wallet_fee, flows.wallet_fee_k @ flows.receipts,
                               rtol=1e-10, atol=1e-14)
    # all buyers spent went to merchants (profit + cost of goods + multi-homing costs) or platforms
    # (revenue before their own cost: commissions, listing and wallet fees, buyer-side take)
    split = settlement.sales(listed, weight, factor, flows.per_pull, flows.demands)
    cost_of_goods = ((1 - margins) * split).sum()
    multihoming = 0.02 * 2.0 * np.maximum(n_listings - 1, 0).sum()
    platforms = settlement.platform_revenue(flows, spend * sold, mk, len(cfg.platforms)).sum() + mk.cost @ flows.sold
    assert flows.profit.sum() + cost_of_goods + multihoming + platforms == pytest.approx(spend[sold].sum(), rel=1e-10)


def test_passed_on_commission_is_paid_by_buyers_not_merchants():
    """One merchant, one marketplace, buyers spend 1.2 at commission 0.1, no wallet fee, price to buyers
    0.05: buyers pay 1 + pt c + p per unit of goods.  pt = 0: goods 1.2 / 1.05, the merchant's profit per
    unit of goods is margin - c = 0.1; pt = 1: goods 1.2 / 1.15, receipts 1.1 per unit, profit per unit
    margin + c - c (1 + c) = margin - c^2 = 0.19 (it no longer falls by the whole commission)."""
    one = np.ones((1, 1))
    for pt, goods, per_unit in ((0.0, 1.2 / 1.05, 0.1), (1.0, 1.2 / 1.15, 0.19)):
        market = {"commission": 0.1, "consumer_price": 0.05, "pass_through": pt, "accepts": ["w"]}
        cfg = config.validate({"platforms": {"p": {"wallet": {"name": "w", "fee": 0.0}, "marketplaces": {"k": market}}},
                               "regulator": {"mode": "off"}})
        mk = synthetic_market(cfg)
        flows = settlement.settle(one, np.ones(1), 0.2 * one, np.ones(1), np.ones(1), mk, np.array([1.2]),
                                  np.array([[1.2]]), 1.0, 0.0)
        assert flows.sold[0] == pytest.approx(goods)
        assert flows.receipts[0] == pytest.approx(goods * (1 + pt * 0.1))
        assert flows.profit[0] == pytest.approx(per_unit * goods)
        assert flows.profit[0] / flows.sold[0] == pytest.approx(per_unit)
        revenue = settlement.platform_revenue(flows, np.array([1.2]), mk, 1)[0]
        assert revenue == pytest.approx(goods * (0.1 * (1 + pt * 0.1) + 0.05))  # c on receipts + p per unit of goods
        assert revenue + flows.receipts[0] - flows.commission[0] == pytest.approx(1.2)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), flags=st.integers(1, 64), seed=seeds)
def test_sets_hold_bit_j_for_flag_j_and_count_their_flags(n, flags, seed):
    x = np.random.default_rng(seed).random((flags, n)) < 0.5
    expected = [sum(int(x[j, i]) << j for j in range(flags)) for i in range(n)]
    sets = bits.pack(x)
    assert sets.tolist() == expected
    assert (bits.unpack(sets, flags) == x).all()
    assert (bits.flag_counts(sets, flags) == x.sum(axis=1)).all()
    assert (bits.sizes(sets) == x.sum(axis=0)).all()


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(0, 2**40), max_size=300), small=st.booleans())
def test_histogram_equals_numpy_unique(values, small):
    v = np.array(values, np.uint64) % (np.uint64(64) if small else np.uint64(2**40))
    bound = 64 if small else 2**40
    got = bits.histogram(v, bound)
    want = np.unique(v, return_counts=True)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 500), groups=st.integers(1, 40), cols=st.integers(1, 8), seed=seeds)
def test_group_sums_equal_adding_each_column_into_its_group(n, groups, cols, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n).astype(np.int32)
    x = rng.random((cols, n), dtype=np.float32)
    expected = np.zeros((groups, cols))
    np.add.at(expected, group, x.T.astype(np.float64))
    assert np.allclose(bits.group_sums(group, groups, x, bits.lanes(n)), expected, rtol=1e-12, atol=1e-12)


@settings(**SETTINGS)
@given(seed=seeds, rate=st.floats(0.01, 1))
def test_the_shopping_habit_closes_a_share_of_the_gap(seed, rate):
    """7.3: spending moves ``rate`` of the way to this month's split, is 0 where i cannot buy,
    and never exceeds the budget (the rest is spent offline)."""
    rng = np.random.default_rng(seed)
    budget = rng.lognormal(0, 0.8, 50).astype(np.float32)
    def split():
        w = rng.random((50, 4)) * (rng.random((50, 4)) < 0.7)
        return (w / (1 + w.sum(axis=1, keepdims=True)) * budget[:, None]).astype(np.float32)
    previous, target = split(), split()
    out = checkout.habit(previous, target, rate)
    assert (out >= 0).all() and (out.sum(axis=1) <= budget * (1 + 1e-5)).all()
    assert (out[target == 0] == 0).all()
    on = target > 0
    np.testing.assert_allclose((out - previous)[on], rate * (target - previous)[on], rtol=1e-4, atol=1e-6)
