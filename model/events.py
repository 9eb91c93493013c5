"""Timeline events (7.9), applied at the start of their tick: each edits policy records.

Bans, mandates and approvals edit the target platforms' :class:`~model.policy.PlatformPolicy`;
``set`` changes one changeable key (:data:`model.policy.CHANGEABLE`, or a regulator setting).
Which keys and values are valid is checked when the scenario is loaded
(:func:`model.config.check_event`), so an event never fails at its tick.
"""

from __future__ import annotations

from .config import Event, RegulatorConfig


def _targets(model, ev: Event) -> list:
    return [model.platform(ev.target)] if ev.target else list(model.platforms)


def apply(model, ev: Event) -> None:
    """Carry out one timeline event on the model's policy records, and log it."""
    if ev.action in ("ban_exclusivity", "lift_exclusivity_ban"):
        for p in _targets(model, ev):
            p.set_policy(p.policy.edit(exclusivity_banned=ev.action == "ban_exclusivity"))
    elif ev.action == "payment_interop":
        for p in _targets(model, ev):
            p.mandate("payment_openness")
    elif ev.action == "link_interop":
        for p in _targets(model, ev):
            p.mandate("link_openness")
    elif ev.action in ("approve_miniprogram", "suspend_miniprogram"):
        k = model.market.marketplaces.index(ev.target)
        host = model.platforms[model.market.market_host[k]]
        host.set_policy(host.policy.edit(admits_rival_apps=ev.action == "approve_miniprogram"))
    elif ev.action == "set":
        _set(model, ev.key, ev.value)
    model.regulator.log(f"event:{ev.action}", ev.target or "all", note=ev.note or (ev.key or ""))


def _set(model, key: str, value) -> None:
    """``platforms.<p>.<field>``, ``platforms.<p>.marketplaces.<k>.<field>``, ``platforms.<p>.wallet.fee``
    or ``regulator.<field>``."""
    parts = key.split(".")
    if parts[0] == "regulator":
        reg = model.regulator
        reg.policy = RegulatorConfig.model_validate({**reg.policy.model_dump(), parts[1]: value})
        return
    p = model.platform(parts[1])
    if parts[2] == "marketplaces":
        value = tuple(value) if parts[4] == "accepts" else float(value)
        p.set_policy(p.policy.edit_marketplace(parts[3], **{parts[4]: value}))
    elif parts[2] == "wallet":
        p.set_policy(p.policy.edit(wallet_fee=float(value)))
    else:
        p.set_policy(p.policy.edit(**{parts[2]: bool(value)}))
