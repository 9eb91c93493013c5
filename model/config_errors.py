"""One-line messages for bad configuration input.

Every problem with a scenario (a file, an ``extends`` parent, a ``--set``, ``--grid`` or
``--lhs`` override, an event) is reported as one line::

    <file>: key '<dotted.key>': <what is wrong>; allowed: <what is allowed>

naming the file the bad key comes from (the parent file if it is there), with "did you
mean" for misspelt names.  :func:`format_error` turns a pydantic ``ValidationError`` into
that line; checks of our own raise :class:`BadKey` (a location and a message) inside
validators, and the formatter finds its file the same way.
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]


class ConfigError(ValueError):
    """A scenario, override or option that cannot be used; the message is one line."""


class BadKey(ValueError):
    """A problem at a dotted location of the scenario, raised inside validation."""

    def __init__(self, loc: Sequence[str | int] | str, message: str):
        self.loc: Loc = parse_key(loc) if isinstance(loc, str) else tuple(loc)
        self.message = message
        super().__init__(f"{dotted(self.loc)}: {message}")


def dotted(loc: Sequence[str | int]) -> str:
    return ".".join(str(p) for p in loc)


def parse_key(key: str) -> Loc:
    """``"events[0].target"`` or ``"events.0.target"`` -> ``("events", 0, "target")``."""
    parts: list[str | int] = []
    for part in re.split(r"\.|\[(\d+)\]", key):
        if part:
            parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def did_you_mean(name: Any, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), [str(a) for a in allowed], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(what: str, name: Any, allowed: Sequence[str]) -> str:
    """``unknown wallet 'paypl' (did you mean 'paypal'?); allowed: [...]``."""
    return f"unknown {what} {name!r}{did_you_mean(name, allowed)}; allowed: {sorted(allowed)}"


def short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- schema walk
def unwrap(ann: Any) -> Any:
    """Strip ``Annotated`` and ``X | None`` down to the type inside."""
    while True:
        origin = get_origin(ann)
        if origin is Annotated:
            ann = get_args(ann)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(ann) if a is not type(None)]
            if len(args) != 1:
                return ann
            ann = args[0]
        else:
            return ann


def is_model(ann: Any) -> bool:
    return isinstance(ann, type) and issubclass(ann, BaseModel)


def annotation_at(model: type[BaseModel], loc: Sequence[str | int]) -> tuple[Any, list]:
    """(annotation, constraints) of the schema at ``loc``; (None, []) where ``loc`` leaves the
    schema.  Dict keys are free names and list indices any number."""
    ann: Any = model
    constraints: list = []
    for part in loc:
        ann = unwrap(ann)
        if is_model(ann):
            field = ann.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None, []
            ann, constraints = field.annotation, list(field.metadata)
        elif get_origin(ann) is dict:
            ann, constraints = get_args(ann)[1], []
        elif get_origin(ann) is list and isinstance(part, int):
            ann, constraints = get_args(ann)[0], []
        else:
            return None, []
        if get_origin(ann) is Annotated:  # e.g. dict[str, Probability]: bounds on the values
            for meta in get_args(ann)[1:]:
                constraints += list(getattr(meta, "metadata", [meta]))
    return ann, constraints


def free_name_table(ann: Any) -> bool:
    """A table whose keys are names the user chooses (platforms, marketplaces)."""
    ann = unwrap(ann)
    return get_origin(ann) is dict and is_model(unwrap(get_args(ann)[1]))


def bounds_text(constraints: list) -> str:
    """``0 <= x <= 1`` from annotated-types constraints ('' if there are none)."""
    def num(v: float) -> str:
        return str(v) if isinstance(v, int) else f"{v:g}"

    lo = hi = ""
    for c in constraints:
        if isinstance(c, at.Ge):
            lo = f"{num(c.ge)} <= "
        elif isinstance(c, at.Gt):
            lo = f"{num(c.gt)} < "
        elif isinstance(c, at.Le):
            hi = f" <= {num(c.le)}"
        elif isinstance(c, at.Lt):
            hi = f" < {num(c.lt)}"
    return f"{lo}x{hi}" if lo or hi else ""


# --------------------------------------------------------------------------- the line
def blame(origins: Mapping[Loc, str] | None, loc: Sequence[str | int], default: str) -> str:
    """The file (or override) that set the longest prefix of ``loc``."""
    if origins:
        loc = tuple(loc)
        for i in range(len(loc), -1, -1):
            if loc[:i] in origins:
                return origins[loc[:i]]
    return default


def format_error(err: ValidationError | BadKey | Exception, source: Any, model: type[BaseModel],
                 origins: Mapping[Loc, str] | None = None, prefix: Sequence[str | int] = ()) -> str:
    """One line for a validation problem: the file, the dotted key, what is wrong and allowed.

    ``model`` is the schema validated (the scenario, or a part of it at ``prefix``);
    ``origins`` maps locations to the file that set them (see ``config.origins_of``)."""
    if isinstance(err, ValidationError):
        # an unknown key first: a misspelt key is also why a required one is "missing"
        errors = sorted(err.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
        loc, msg = _describe(errors[0], model, tuple(prefix))
        if len(errors) > 1:
            msg += f" (and {len(errors) - 1} more problem{'s' * (len(errors) > 2)})"
    elif isinstance(err, BadKey):
        loc, msg = tuple(prefix) + err.loc, err.message
    else:
        loc, msg = _split_legacy(str(err), tuple(prefix))
    where = blame(origins, loc, str(source))
    return f"{where}: key '{dotted(loc)}': {msg}" if loc else f"{where}: {msg}"


def _split_legacy(msg: str, loc: Loc) -> tuple[Loc, str]:
    """A plain ``"dotted.key: message"`` ValueError -> (location, message)."""
    m = re.match(r"^([A-Za-z_][\w\-]*(?:(?:\.[\w\-]+)|\[\d+\])*): (.+)$", msg)
    if m and ("." in m[1] or "[" in m[1]):
        return loc + parse_key(m[1]), m[2]
    return loc, msg


def _describe(e: dict, model: type[BaseModel], prefix: Loc) -> tuple[Loc, str]:
    loc = prefix + tuple(e["loc"])
    kind, msg = e["type"], e["msg"]
    rel = tuple(e["loc"])
    if kind == "value_error":
        cause = (e.get("ctx") or {}).get("error")
        if isinstance(cause, BadKey):
            return loc + cause.loc, cause.message
        return _split_legacy(str(cause) if cause is not None else msg.removeprefix("Value error, "), loc)
    if kind == "extra_forbidden":
        parent, _ = annotation_at(model, rel[:-1])
        parent = unwrap(parent)
        allowed = sorted(parent.model_fields) if is_model(parent) else []
        return loc, f"unknown key{did_you_mean(rel[-1], allowed)}; allowed: {allowed}"
    if kind == "missing":
        return loc, "required key missing"
    ann, constraints = annotation_at(model, rel)
    ann = unwrap(ann)
    got = f" (got {short(e.get('input'))})"
    if kind == "literal_error" and get_origin(ann) is Literal:
        choices = [str(c) for c in get_args(ann)]
        return loc, f"{short(e.get('input'))} is not allowed{did_you_mean(e.get('input'), choices)}; allowed: {choices}"
    bounds = bounds_text(constraints)
    if bounds and kind in ("finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return loc, f"{msg}{got}; allowed: {bounds}"
    if is_model(ann) and kind in ("model_type", "model_attributes_type", "dict_type"):
        return loc, f"must be a table of {', '.join(sorted(ann.model_fields))}{got}"
    return loc, f"{msg}{got}"
