"""Memory estimate of a run, checked before a run or a batch starts.

A run's peak memory is the larger of two phases:

* building the social graph: int64 contacts, float64 rewiring draws and a bool mask,
  17 bytes per contact (consumers x social degree);
* running: per consumer 30 bytes + 28 per marketplace + 4 per wallet (the [K, N] and
  [W, N] state and their temporaries), 4 bytes per contact (the int32 graph), and per
  merchant 100 bytes + 20 per marketplace, plus 16 per listing set scored (2**L for the L
  marketplaces merchants list on, while L <= 8 and the sets are listed out; beyond, the draw
  is polynomial and small) times the share revising each tick.

The figures were measured on this model with :func:`measure` (the tracemalloc peak of
building a model without Mesa agents and running 3 ticks; numpy reports its buffers to
tracemalloc) at 100k-200k consumers, degree 2-64, 1k-400k merchants, 2-10 marketplaces
and 2-8 wallets, then again after the rules were rewritten, with 6-40 marketplaces and 3-10
wallets (benchmarks/wide_market.py): within 12% of the first set of peaks and at most 20% above the
second at most.  A process adds what
Python, numpy, pandas and Mesa take once imported (its resident size, 170 MB).
For example 10M consumers with degree 64 need about 11 GB for one run.
"""

from __future__ import annotations

from collections.abc import Iterable

from .config import ScenarioConfig
from .config_errors import ConfigError

GRAPH_BYTES_PER_CONTACT = 17
BYTES_PER_CONSUMER = 30
BYTES_PER_CONSUMER_MARKETPLACE = 28
BYTES_PER_CONSUMER_WALLET = 4
BYTES_PER_CONTACT = 4
BYTES_PER_MERCHANT = 100
BYTES_PER_MERCHANT_MARKETPLACE = 20
BYTES_PER_REVISING_MERCHANT_SUBSET = 16
ENUMERATED_UP_TO = 8  # model.rules.listing.ENUMERATE_UP_TO
BYTES_PER_PROCESS = 170_000_000  # resident size of a worker once the model is imported


def run_bytes(cfg: ScenarioConfig) -> int:
    """Estimated peak bytes of one run of ``cfg`` (without the process itself)."""
    n, d, m = cfg.size.consumers, cfg.size.social_degree, cfg.size.merchants
    markets = [mc for p in cfg.platforms.values() for mc in p.marketplaces.values()]
    listable = sum(mc.listings_from is None for mc in markets)
    graph = n * d * GRAPH_BYTES_PER_CONTACT
    consumers = n * (BYTES_PER_CONSUMER + BYTES_PER_CONSUMER_MARKETPLACE * len(markets)
                     + BYTES_PER_CONSUMER_WALLET * len(cfg.wallet_names())) + n * d * BYTES_PER_CONTACT
    scored = 2**listable if listable <= ENUMERATED_UP_TO else 0  # beyond: the polynomial draw, small
    merchants = m * (BYTES_PER_MERCHANT + BYTES_PER_MERCHANT_MARKETPLACE * len(markets)
                     + BYTES_PER_REVISING_MERCHANT_SUBSET * scored * cfg.merchant.revision)
    return int(max(graph, consumers + merchants))


def available_bytes() -> int:
    """Memory the machine can give without swapping (psutil's ``available``)."""
    import psutil

    return int(psutil.virtual_memory().available)


def gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def check_fits(cfgs: Iterable[ScenarioConfig], parallel: int = 1, what: str = "run",
               available: int | None = None) -> int:
    """Raise :class:`ConfigError`, with the figures, if ``parallel`` runs of the largest of
    ``cfgs`` at once (one per process) do not fit in available memory; else return the
    estimated bytes."""
    cfgs = list(cfgs)
    if not cfgs:
        return 0
    big = max(cfgs, key=run_bytes)
    per_run = run_bytes(big) + BYTES_PER_PROCESS
    need = per_run * parallel
    available = available_bytes() if available is None else available
    if need > available:
        fits = available // per_run
        hint = (f"use --workers {fits} or fewer" if parallel > 1 and fits >= 1
                else "use fewer consumers (size.consumers) or a lower size.social_degree")
        raise ConfigError(
            f"{what}: not enough memory: {big.name!r} with {big.size.consumers:,} consumers, degree "
            f"{big.size.social_degree} and {big.size.merchants:,} merchants needs about {gb(per_run)} per run"
            + (f" x {parallel} at once = {gb(need)}" if parallel > 1 else "")
            + f"; {gb(available)} available; {hint}")
    return need


def measure(cfg: ScenarioConfig, steps: int = 3) -> int:
    """Measured peak bytes (tracemalloc) of building ``cfg`` without agents and running ``steps``."""
    import tracemalloc

    from .model import WalledGardens

    tracemalloc.start()
    try:
        model = WalledGardens(cfg, agents=False)
        for _ in range(steps):
            model.step()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
