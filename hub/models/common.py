"""Value objects shared by the canonical entities."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class CanonicalModel(BaseModel):
    """Base of every canonical model: unknown fields are errors, so a mapping typo cannot hide."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_default=False)


class Money(CanonicalModel):
    """An amount in one currency. Never a float."""

    amount: Decimal = Field(description="Exact amount, in the currency's major unit.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 alphabetic code, e.g. USD.")


class Quantity(CanonicalModel):
    """A quantity together with its unit of measure (UN/ECE rec. 20 or X12 355 codes: EA, CS, KGM, LBR...)."""

    value: Decimal
    uom: str = Field(default="EA", min_length=1, max_length=8)


class Address(CanonicalModel):
    """A postal address; ``country`` is ISO 3166-1 alpha-2."""

    kind: Literal["billing", "shipping", "both"] = "both"
    name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    phone: str | None = None
    location_code: str | None = Field(default=None, description="Partner or warehouse location id.")

    @field_validator("country", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class Contact(CanonicalModel):
    """A person at a B2B account."""

    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    role: str | None = None
    primary: bool = False
