"""The ``returns:`` section of hub.yaml: return windows and accepted conditions per customer segment."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Condition = Literal["new", "opened", "damaged"]


class ReturnRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    window_days: int = Field(default=30, ge=0, description="Days after the order date a return may be asked.")
    conditions: list[Condition] = Field(
        default_factory=lambda: ["new", "opened"], description="Item conditions accepted back."
    )


class ReturnsPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    default: ReturnRule = Field(default_factory=ReturnRule)
    segments: dict[str, ReturnRule] = Field(
        default_factory=dict, description="Customer segment -> its rule (e.g. wholesale: 14 days, new only)."
    )
    warehouse: str = Field(default="3PL1", description="Where returned goods are received (the 3PL's).")

    def rule(self, segment: str | None) -> ReturnRule:
        return self.segments.get(segment or "", self.default)
