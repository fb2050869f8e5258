"""Typed config values: a TOML value or a `--set` string converted to a dataclass field's declared type, and a
dataclass updated key by key, each failure a ConfigError naming the key."""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from genlab.errors import ConfigError


def coerce_value(value: Any, hint: Any, key: str) -> Any:
    """Convert a TOML value or a --set string to the field's declared type, or raise naming the key."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            return None
        errors = []
        for a in args:
            try:
                return coerce_value(value, a, key)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0])
    if origin is tuple:
        args = typing.get_args(hint)
        if isinstance(value, str):
            value = [v for v in value.strip("()[] ").split(",") if v.strip()]
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce_value(v, args[0], key) for v in value)
        if len(value) != len(args):
            raise ConfigError(f"{key}: expected {len(args)} values, got {len(value)}")
        return tuple(coerce_value(v, a, key) for v, a in zip(value, args, strict=True))
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise ConfigError(f"{key}: expected true/false, got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value.replace("_", ""))
            except ValueError:
                pass
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{key}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        number = None
        if isinstance(value, int | float | str):
            try:
                number = float(value)
            except (ValueError, OverflowError):  # OverflowError: an int beyond float range
                pass
        if number is not None and math.isfinite(number):
            return number
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{key}: expected a string, got {value!r}")
    if dataclasses.is_dataclass(hint):
        if isinstance(value, hint):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a table of {hint.__name__} keys, got {value!r}")
        return update_dataclass(hint(), value, key)
    raise ConfigError(f"{key}: unsupported config type {hint}")


def update_dataclass(obj: Any, values: dict, prefix: str) -> Any:
    """A copy of dataclass `obj` with `values` applied; unknown keys and wrong types raise ConfigError."""
    if not isinstance(values, dict):
        raise ConfigError(f"{prefix}: expected a table of keys, got {short_repr(values)}")
    hints = typing.get_type_hints(type(obj))
    names = {f.name for f in dataclasses.fields(obj)}
    changes: dict = {}
    for k, v in values.items():
        head, dot, rest = k.partition(".")
        if head not in names:
            raise ConfigError(f"unknown config key '{prefix}.{k}' (known: {', '.join(sorted(names))})")
        nested = changes.get(head, getattr(obj, head))
        if dataclasses.is_dataclass(nested) and (dot or isinstance(v, dict)):
            # a nested table (e.g. ldm's model.diffusion): update the current value key by key
            changes[head] = update_dataclass(nested, {rest: v} if dot else v, f"{prefix}.{head}")
        elif dot:
            raise ConfigError(f"unknown config key '{prefix}.{k}' ('{prefix}.{head}' has no sub-keys)")
        else:
            changes[head] = coerce_value(v, hints[head], f"{prefix}.{head}")
    return dataclasses.replace(obj, **changes)


def short_repr(v: Any, n: int = 60) -> str:
    """repr(v) on one line, cut to about n characters."""
    text = " ".join(repr(v).split()) if not isinstance(v, BaseException) else " ".join(str(v).split())
    return text if len(text) <= n else text[: n - 3] + "..."
