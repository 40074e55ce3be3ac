"""The published payloads of tests/conformance/payloads, with our ids put into their `{{name}}` slots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"


def _fill(value: Any, slots: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {key: _fill(item, slots) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, slots) for item in value]
    if isinstance(value, str) and "{{" in value:
        name = value[2:-2] if value.startswith("{{") and value.endswith("}}") else None
        if name is not None and name in slots:
            return slots[name]  # a whole value: may be an object (view.state.values)
        for key, item in slots.items():
            value = value.replace("{{" + key + "}}", str(item))
        if "{{" in value:
            raise KeyError(f"unfilled slot in {value!r}")
    return value


def load(name: str, **slots: Any) -> dict[str, Any]:
    """The payload `payloads/<name>` with its slots filled; an unfilled slot is an error, not a silent blank."""
    return _fill(json.loads((PAYLOADS / name).read_text(encoding="utf-8")), slots)


def names(folder: str, prefix: str = "") -> list[str]:
    """Every payload file under `payloads/<folder>` whose name starts with `prefix`."""
    return sorted(f"{folder}/{p.name}" for p in (PAYLOADS / folder).glob(f"{prefix}*.json"))
