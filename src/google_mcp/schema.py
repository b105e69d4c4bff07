"""Smaller tool schemas: the same contract in fewer bytes, since every host sends tools/list to its model."""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}


def _drop_null(prop: dict[str, Any]) -> dict[str, Any]:
    options = prop.get("anyOf")
    if isinstance(options, list) and _NULL in options:
        rest = [o for o in options if o != _NULL]
        if len(rest) == 1:
            merged = {k: v for k, v in prop.items() if k != "anyOf"}
            return {**rest[0], **merged}
    return prop


def compact(schema: Any, output: bool = False) -> Any:
    """Drop generated titles; an optional property whose absent value is null is spelled as plain optional.

    Inputs: a parameter defaulting to null may simply be left out. Outputs: results omit null fields
    (see models.Result), so a non-required property is either absent or of its type; defaults go too.
    """
    if isinstance(schema, list):
        return [compact(item, output) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if output and key == "default":
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: compact(sub, output) for name, sub in value.items()}
        else:
            out[key] = compact(value, output)
    props = out.get("properties")
    if isinstance(props, dict):
        required = set(out.get("required", []))
        for name, prop in props.items():
            if name in required or not isinstance(prop, dict):
                continue
            if output or prop.get("default", 0) is None:
                props[name] = _drop_null({k: v for k, v in prop.items() if not (k == "default" and v is None)})
    return out
