"""JSON parsing with limits on size and nesting, for bodies that arrive from the network."""

from __future__ import annotations

import json
from typing import Any


class UnreadableJson(ValueError):
    """The text is too large, too deeply nested, not UTF-8 or not JSON."""


def loads_bounded(raw: bytes | str, *, max_bytes: int, max_depth: int) -> Any:
    """The JSON value in `raw`, refused with UnreadableJson past `max_bytes` or `max_depth` levels."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise UnreadableJson(f"larger than {max_bytes} bytes")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text)
    except RecursionError:
        # The C decoder guards its own recursion: deeper than the interpreter's limit is refused, not crashed.
        raise UnreadableJson(f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, and ints past Python's digit limit
        raise UnreadableJson(f"not JSON: {type(exc).__name__}") from None
    if depth_exceeds(value, max_depth):
        raise UnreadableJson(f"nested deeper than {max_depth} levels")
    return value


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """True if lists and objects in `value` nest more than `max_depth` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth + 1 > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
