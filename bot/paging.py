"""Long lists in Slack, a page at a time: which slice a page is, how it is labelled, its buttons, and `page=N`.

A page's state (its filters and where it starts) travels in the button's value, so any replica can draw the
next page; the listener that draws it is guarded by a declared rule of its own, no wider than the command's
(the pending queue's buttons are for approvers, whose queue it is).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.blockkit import button
from bot.errors import BadInput
from bot.wording import count

# Far past any real list, and small enough that offset arithmetic never needs a big integer in SQL.
MAX_PAGE = 100_000
EN_DASH = "\u2013"
# `page=N` as a word of its own anywhere in the command text.
_PAGE_WORD = re.compile(r"(?<!\S)page=(\S*)(?!\S)", re.IGNORECASE)

T = TypeVar("T")
State = TypeVar("State", bound=BaseModel)


def take_page(text: str, usage: str) -> tuple[str, int | None]:
    """`text` without its `page=N` word, and N (None when not given); BadInput for a page that is not a number.

    Only the word itself is cut out, so the rest (an asset name with its spacing) reaches its parser as typed.
    """
    found = _PAGE_WORD.findall(text)
    if not found:
        return text.strip(), None
    if len(found) > 1:
        raise BadInput(f"`page=` is given twice.\nUsage: `{usage}`")
    value = found[0]
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_PAGE):
        shown = value.replace("`", "'")[:20]
        raise BadInput(
            f"`page={shown}` is not a page number: use a whole number from 1 up, e.g. `page=2`.\nUsage: `{usage}`"
        )
    return _PAGE_WORD.sub(" ", text).strip(), int(value)


@dataclass(frozen=True)
class Window:
    """One page of a list of `total` items: `size` a page, starting at `offset`."""

    offset: int
    size: int
    total: int

    @classmethod
    def numbered(cls, page: int | None, size: int, total: int, *, command: str, noun: tuple[str, str]) -> Window:
        """Page `page` (1 when None); BadInput naming the last page when the list is shorter.

        `command` shows a page when `page=N` is added to it; `noun` is one item and many, as the answer reads.
        """
        window = cls(offset=((page or 1) - 1) * size, size=size, total=total)
        if total and window.offset >= total:
            pages = window.pages
            raise BadInput(
                f"There is no page {page}: there {'is' if total == 1 else 'are'} {count(total, *noun)} "
                f"on {count(pages, 'page')}. "
                f"`{command} page={pages}` shows the last."
            )
        return window

    @classmethod
    def at(cls, offset: int, size: int, total: int) -> Window:
        """The page starting at `offset`, or the last page when the list has shrunk since the button was drawn."""
        if offset >= total:
            offset = max(0, (total - 1) // size * size)
        return cls(offset=offset, size=size, total=total)

    @property
    def first(self) -> int:
        """The 1-based position of the page's first item."""
        return self.offset + 1

    @property
    def last(self) -> int:
        """The 1-based position of the page's last item."""
        return min(self.offset + self.size, self.total)

    @property
    def number(self) -> int:
        """Which page this is, from 1."""
        return self.offset // self.size + 1

    @property
    def pages(self) -> int:
        """How many pages the list fills (at least one, the empty list's)."""
        return max(1, -(-self.total // self.size))

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last page."""
        return self.offset + self.size if self.offset + self.size < self.total else None

    @property
    def previous_offset(self) -> int | None:
        """Where the previous page starts, or None on the first page."""
        return max(0, self.offset - self.size) if self.offset > 0 else None

    def label(self) -> str:
        """`41\u201380 of 120, page 2 of 3` (with an en dash, as a range is printed): where the reader is."""
        span = f"{self.first}" if self.first == self.last else f"{self.first}{EN_DASH}{self.last}"
        return f"{span} of {self.total}, page {self.number} of {self.pages}"

    def cut(self, items: Sequence[T]) -> list[T]:
        """This page's items, from a list that is not paged at its source (DataZone counts nothing)."""
        return list(items[self.offset : self.offset + self.size])


@dataclass(frozen=True)
class PageButtons:
    """The action ids of one list's Previous and Next buttons."""

    next: str
    previous: str

    @property
    def action_ids(self) -> tuple[str, str]:
        """Both ids, to register one listener under each."""
        return self.next, self.previous

    def block(self, window: Window, state_at: Callable[[int], BaseModel]) -> dict[str, Any] | None:
        """An actions block with the buttons that lead somewhere; None for a list that fits on one page.

        `state_at(offset)` is the button's state for the page starting at `offset`.
        """
        elements = []
        if window.previous_offset is not None:
            elements.append(_state_button(self.previous, "Previous page", state_at(window.previous_offset)))
        if window.next_offset is not None:
            elements.append(_state_button(self.next, "Next page", state_at(window.next_offset)))
        return {"type": "actions", "elements": elements} if elements else None

    def state(self, model: type[State], body: dict[str, Any], command: str) -> State:
        """The state the clicked button carries; BadInput when it cannot be read (a button of an older opsbot)."""
        raw = ((body.get("actions") or [{}])[0] or {}).get("value")
        try:
            return model.model_validate_json(raw if isinstance(raw, str) else "")
        except ValidationError:
            raise BadInput(f"That page button is from an older opsbot; run `{command}` again.") from None


def _state_button(action_id: str, text: str, state: BaseModel) -> dict[str, Any]:
    # Page states are bounded models: one past Slack's value limit is a bug here, and button() says so.
    return button(action_id, text, state.model_dump_json())
