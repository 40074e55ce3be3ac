"""The toy capability's one table, declared on the kernel's Base like every capability's models."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base


class ToyNote(Base):
    """Something a toy task wrote down."""

    __tablename__ = "toy_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(String(200))
