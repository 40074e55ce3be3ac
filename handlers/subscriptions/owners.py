"""The owning project a button or modal names: what the project_approver rule checks before a listener runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from handlers.subscriptions import ids


def _typed(model: type[BaseModel], raw: Any) -> Any:
    try:
        return model.model_validate_json(raw) if isinstance(raw, str) else None
    except ValidationError:
        return None


def of_button(
    model: type[ids.RequestRef] | type[ids.AccessRef] | type[ids.ReviewRef],
) -> Callable[[dict[str, Any]], str | None]:
    """Reads the owner from the clicked button's value (a `model`), or None when it says none."""

    def owner(body: dict[str, Any]) -> str | None:
        ref = _typed(model, (body.get("actions") or [{}])[0].get("value"))
        return ref.owner if ref else None

    return owner


def of_modal(body: dict[str, Any]) -> str | None:
    """The owner a decision modal carries in its private metadata, or None when it says none."""
    ref = _typed(ids.RequestRef, (body.get("view") or {}).get("private_metadata"))
    return ref.owner if ref else None
