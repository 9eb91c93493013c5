"""Scheduled policy events (a scenario's timeline), applied at the start of a tick."""

from __future__ import annotations

from .config import Event


def _targets(model, ev: Event) -> list:
    return [model.platform(ev.target)] if ev.target else list(model.platforms)


def apply(model, ev: Event) -> None:
    """Carry out one timeline event on the model's platform agents."""
    if ev.action in ("ban_exclusivity", "lift_exclusivity_ban"):
        for p in _targets(model, ev):
            p.exclusivity_banned = ev.action == "ban_exclusivity"
    elif ev.action == "payment_interop":
        for p in _targets(model, ev):
            p.mandate("payment_openness")
    elif ev.action == "link_interop":
        for p in _targets(model, ev):
            p.mandate("link_openness")
    elif ev.action in ("approve_miniprogram", "suspend_miniprogram"):
        k = model.market.marketplaces.index(ev.target)
        host = model.platforms[model.market.market_host[k]]
        host.admits_rival_apps = ev.action == "approve_miniprogram"
    elif ev.action == "set":
        _set(model, ev.key, ev.value)
    model.regulator.log(f"event:{ev.action}", ev.target or "all", note=ev.note or (ev.key or ""))
    model.policy_changed()


def _set(model, key: str, value) -> None:
    """``platforms.<name>.<field>`` changes a platform agent; ``<section>.<field>`` a parameter."""
    parts = key.split(".")
    if parts[0] == "platforms" and len(parts) == 5:  # platforms.<p>.marketplaces.<k>.<field>
        p, k, field = model.platform(parts[1]), parts[3], parts[4]
        setattr(p.cfg.marketplaces[k], field, value)
        if field == "commission":
            p.commission[k] = float(value)
        elif field == "accepts":
            p.accepts[k] = list(value)
        return
    if parts[0] == "platforms" and len(parts) == 3:
        p, field = model.platform(parts[1]), parts[2]
        setattr(p.cfg, field, value)
        if field in ("exclusivity", "admits_rival_links", "admits_rival_apps"):
            setattr(p, field, value)
        return
    obj = model.cfg
    for part in parts[:-1]:
        obj = obj[part] if isinstance(obj, dict) else getattr(obj, part)
    setattr(obj, parts[-1], value)
