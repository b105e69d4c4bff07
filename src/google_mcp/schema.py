"""Smaller tool schemas: the same contract in fewer bytes, since every host sends tools/list to its model."""

from __future__ import annotations

from typing import Any

_NULL = {"type": "null"}
_ZERO: dict[object, object] = {"boolean": False, "string": "", "integer": 0}


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
    if "enum" in out and out.get("type") == "string" and all(isinstance(v, str) for v in out["enum"]):
        del out["type"]  # an enum of strings says its type
    props = out.get("properties")
    if isinstance(props, dict):
        required = set(out.get("required", []))
        for name, prop in props.items():
            if name in required or not isinstance(prop, dict):
                continue
            if output or prop.get("default", 0) is None:
                props[name] = _drop_null({k: v for k, v in prop.items() if not (k == "default" and v is None)})
            elif _ZERO.get(prop.get("type")) == prop.get("default", ...):
                # false, "" or 0: what an absent argument means to any reader; the schema needn't say it
                props[name] = {k: v for k, v in prop.items() if k != "default"}
    return out


def _shallow_type(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in prop:
        return {"type": "object"}
    options = prop.get("anyOf")
    if isinstance(options, list):
        kinds = [_shallow_type(o, defs) for o in options]
        unique = [k for i, k in enumerate(kinds) if k not in kinds[:i]]
        return unique[0] if len(unique) == 1 else {"anyOf": unique}
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items", {})
        inner = _shallow_type(items, defs) if isinstance(items, dict) else {}
        return {"type": "array", "items": inner} if inner.get("type") not in ("object", None) else {"type": "array"}
    if kind == "object":
        return {"type": "object"}
    if "enum" in prop:
        return {"enum": prop["enum"]}
    return {"type": kind} if kind else {}


def shallow(schema: dict[str, Any]) -> dict[str, Any]:
    """An output schema of the top-level fields and their types; nested items are objects.

    Every answer still conforms; the field names of nested items are in the answers themselves, and a
    model reads tools/list on every turn, so the deep definitions (half of tools/list) are left out.
    """
    defs = schema.get("$defs", {})
    props = {name: _shallow_type(prop, defs) for name, prop in schema.get("properties", {}).items()}
    return {"type": "object", "properties": props}
