"""Readable messages for settings that fail validation: YAML plans, scenarios and targets."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

__all__ = ["format_validation_error"]


def _unwrap(tp: Any) -> Any:
    """Strip Optional / list / dict to the inner model type."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _unwrap(args[0]) if args else tp
    if origin in (list, tuple):
        return _unwrap(typing.get_args(tp)[0])
    if origin is dict:
        return _unwrap(typing.get_args(tp)[1])
    return tp


def _model_at(loc: tuple[Any, ...], root: type[BaseModel]) -> type[BaseModel] | None:
    model: Any = root
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        if isinstance(part, str) and part in model.model_fields:
            model = _unwrap(model.model_fields[part].annotation)
        elif isinstance(part, str):
            alias = {f.alias: f for f in model.model_fields.values() if f.alias}
            if part in alias:
                model = _unwrap(alias[part].annotation)
            # a dict key (role name) or list index: stay on the element type
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _keys(model: type[BaseModel]) -> list[str]:
    return sorted(f.alias or name for name, f in model.model_fields.items())


def format_validation_error(
    exc: ValidationError, source: str, root: type[BaseModel], what: str = "settings"
) -> str:
    """One readable message for settings that failed validation against ``root``: each bad
    key with its dotted path, and for an unknown key the keys allowed there (looked up through
    nested models, optional, list and dict fields, and aliases) with the closest match."""
    lines = [f"{source}: invalid {what}"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(x) for x in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            model = _model_at(loc[:-1], root)
            allowed = _keys(model) if model is not None else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            lines.append(f"  - key '{where}' is not known{hint} Allowed keys: {', '.join(allowed)}")
        elif err["type"] == "missing":
            lines.append(f"  - key '{where}' is required")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"  - key '{where}': {msg} (got {err.get('input')!r})")
    return "\n".join(lines)
