"""Transforms applied to one value on its way into the hub (inbound) and back out (outbound).

Each transform is declared in a mapping as a name (``trim``) or a one-key object with arguments
(``{decimal: {places: 2}}``). Inbound failures raise TransformError, which quarantines the record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry


class TransformError(ValueError):
    """A value cannot be transformed; the message says why, for the failed-record report."""


class Transform:
    """Identity in both directions; subclasses override what they change."""

    name = "identity"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        self.args = dict(args)

    def inbound(self, value: Any) -> Any:
        return value

    def outbound(self, value: Any) -> Any:
        return value


class _StrTransform(Transform):
    fn: Callable[[str], str] = staticmethod(lambda s: s)

    def inbound(self, value: Any) -> Any:
        return type(self).fn(value) if isinstance(value, str) else value


class Trim(_StrTransform):
    name = "trim"
    fn = staticmethod(str.strip)


class Upper(_StrTransform):
    name = "upper"
    fn = staticmethod(str.upper)


class Lower(_StrTransform):
    name = "lower"
    fn = staticmethod(str.lower)


class Title(_StrTransform):
    name = "title"
    fn = staticmethod(str.title)


class CollapseSpaces(_StrTransform):
    name = "collapse_spaces"
    fn = staticmethod(lambda s: " ".join(s.split()))


class NullIf(Transform):
    """Treat placeholder values ("", "N/A", "-") as missing."""

    name = "null_if"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        self.values = set(self.args.get("values", ["", "N/A", "n/a", "-", "null", "NULL"]))

    def inbound(self, value: Any) -> Any:
        if isinstance(value, str) and value.strip() in self.values:
            return None
        return value


class ToStr(Transform):
    name = "str"

    def inbound(self, value: Any) -> Any:
        return None if value is None else str(value)


class ToInt(Transform):
    name = "int"

    def inbound(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise TransformError(f"'{value}' is not an integer") from None
        if number != number.to_integral_value():
            raise TransformError(f"'{value}' is not a whole number")
        return int(number)


class ToBool(Transform):
    name = "bool"
    TRUE = {"true", "yes", "y", "1", "on", "t"}
    FALSE = {"false", "no", "n", "0", "off", "f", ""}

    def inbound(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise TransformError(f"'{value}' is not a yes/no value")


class ToDecimal(Transform):
    """Parse a number exactly (never through float); optional fixed places. Canonical form is a string."""

    name = "decimal"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        places = self.args.get("places")
        self.quantum = Decimal(1).scaleb(-int(places)) if places is not None else None
        self.decimal_comma = bool(self.args.get("decimal_comma", False))
        self.out_number = self.args.get("out") == "number"

    def inbound(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        text = str(value).strip().replace(" ", "")
        if self.decimal_comma:
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise TransformError(f"'{value}' is not a number") from None
        if not number.is_finite():
            raise TransformError(f"'{value}' is not a finite number")
        if self.quantum is not None:
            try:  # more digits than the context holds (1e26 to 2 places): InvalidOperation
                number = number.quantize(self.quantum, rounding=ROUND_HALF_UP)
            except InvalidOperation:
                raise TransformError(f"'{value}' is too large a number") from None
        return str(number)

    def outbound(self, value: Any) -> Any:
        if value is None:
            return None
        return float(Decimal(str(value))) if self.out_number else str(value)


UNIT_FACTORS: dict[str, tuple[str, Decimal]] = {
    # unit -> (dimension, factor to the dimension's base unit)
    "g": ("mass", Decimal("0.001")),
    "kg": ("mass", Decimal(1)),
    "lb": ("mass", Decimal("0.45359237")),
    "oz": ("mass", Decimal("0.028349523125")),
    "mm": ("length", Decimal("0.001")),
    "cm": ("length", Decimal("0.01")),
    "m": ("length", Decimal(1)),
    "in": ("length", Decimal("0.0254")),
    "ft": ("length", Decimal("0.3048")),
    "ml": ("volume", Decimal("0.001")),
    "l": ("volume", Decimal(1)),
}


class Unit(Transform):
    """Convert a number between units of one dimension, e.g. ``{unit: {from: lb, to: kg, places: 3}}``."""

    name = "unit"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        src, dst = str(self.args.get("from", "")).lower(), str(self.args.get("to", "")).lower()
        if src not in UNIT_FACTORS or dst not in UNIT_FACTORS:
            raise ValueError(f"unit needs 'from' and 'to' among {', '.join(UNIT_FACTORS)}")
        if UNIT_FACTORS[src][0] != UNIT_FACTORS[dst][0]:
            raise ValueError(f"cannot convert {src} to {dst}")
        self.factor = UNIT_FACTORS[src][1] / UNIT_FACTORS[dst][1]
        self.quantum = Decimal(1).scaleb(-int(self.args.get("places", 3)))

    def _convert(self, value: Any, factor: Decimal) -> Any:
        if value is None or value == "":
            return None
        try:
            number = Decimal(str(value))
            return str((number * factor).quantize(self.quantum, rounding=ROUND_HALF_UP))
        except InvalidOperation:
            raise TransformError(f"'{value}' is not a number of a size we can convert") from None

    def inbound(self, value: Any) -> Any:
        return self._convert(value, self.factor)

    def outbound(self, value: Any) -> Any:
        return self._convert(value, 1 / self.factor)


class DateTime(Transform):
    """Parse a timestamp to ISO 8601 UTC. Naive input is read in ``tz`` (default UTC).

    ``format`` is a strptime pattern, ``iso`` (default) or ``epoch``; ``out_format``/``out_tz``
    shape the outbound value.
    """

    name = "datetime"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        self.format = self.args.get("format", "iso")
        try:
            self.tz = ZoneInfo(self.args.get("tz", "UTC"))
            self.out_tz = ZoneInfo(self.args.get("out_tz", self.args.get("tz", "UTC")))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone: {exc}") from None
        self.out_format = self.args.get("out_format", self.format)

    def inbound(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            if self.format == "epoch":
                moment = datetime.fromtimestamp(float(value), tz=UTC)
            elif self.format == "iso":
                moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            else:
                moment = datetime.strptime(str(value).strip(), self.format)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=self.tz)
            moment = moment.astimezone(UTC)  # 0001-01-01T00:00+01:00 has no UTC moment: OverflowError
        except (ValueError, OverflowError, OSError):
            raise TransformError(f"'{value}' is not a date/time in format {self.format}") from None
        return moment.isoformat().replace("+00:00", "Z")

    def outbound(self, value: Any) -> Any:
        if value is None:
            return None
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(self.out_tz)
        if self.out_format == "epoch":
            return int(moment.timestamp())
        if self.out_format == "iso":
            return moment.isoformat()
        return moment.strftime(self.out_format)


class Date(Transform):
    name = "date"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        self.format = self.args.get("format", "%Y-%m-%d")

    def inbound(self, value: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            return datetime.strptime(str(value).strip()[:32], self.format).date().isoformat()
        except ValueError:
            raise TransformError(f"'{value}' is not a date in format {self.format}") from None

    def outbound(self, value: Any) -> Any:
        return None if value is None else date.fromisoformat(str(value)).strftime(self.format)


class ValueMap(Transform):
    """Translate codes through a named or inline map; the inverse map is used outbound.

    ``strict`` (default true): a value not in the map is an error rather than passed through.
    """

    name = "value_map"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        table = self.args.get("map")
        if isinstance(table, str):
            if table not in value_maps:
                raise ValueError(f"unknown value map '{table}'")
            table = value_maps[table]
        if not isinstance(table, Mapping):
            raise ValueError("value_map needs 'map': a name under value_maps or an inline mapping")
        self.case_insensitive = bool(self.args.get("case_insensitive", True))
        self.strict = bool(self.args.get("strict", True))
        self.default = self.args.get("default")
        self.forward = {self._norm(k): v for k, v in table.items()}
        self.backward: dict[Any, Any] = {}
        for k, v in table.items():
            self.backward.setdefault(v, k)

    def _norm(self, value: Any) -> Any:
        return str(value).strip().lower() if self.case_insensitive else str(value)

    def inbound(self, value: Any) -> Any:
        if value is None or value == "":
            return self.default
        found = self.forward.get(self._norm(value), _MISSING)
        if found is not _MISSING:
            return found
        if self.default is not None:
            return self.default
        if self.strict:
            raise TransformError(f"'{value}' is not a known value ({', '.join(map(str, self.forward))})")
        return value

    def outbound(self, value: Any) -> Any:
        return self.backward.get(value, value)


_MISSING = object()


class Country(Transform):
    """Country name, alpha-3 or alpha-2 -> ISO 3166-1 alpha-2 (``out``: alpha2, alpha3 or name)."""

    name = "country"
    ALIASES = {"usa": "US", "uk": "GB", "great britain": "GB", "england": "GB", "holland": "NL"}

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        self.out = self.args.get("out", "alpha2")

    def inbound(self, value: Any) -> Any:
        if value is None or str(value).strip() == "":
            return None
        text = str(value).strip()
        alias = self.ALIASES.get(text.lower())
        if alias:
            return alias
        try:
            return pycountry.countries.lookup(text).alpha_2
        except LookupError:
            raise TransformError(f"'{value}' is not a known country") from None

    def outbound(self, value: Any) -> Any:
        if value is None or self.out == "alpha2":
            return value
        country = pycountry.countries.get(alpha_2=str(value))
        if country is None:
            return value
        return country.alpha_3 if self.out == "alpha3" else country.name


class Split(Transform):
    """A delimited string inbound to a list; joined again outbound."""

    name = "split"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        self.sep = self.args.get("sep", ",")

    def inbound(self, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        return [part.strip() for part in str(value).split(self.sep) if part.strip()]

    def outbound(self, value: Any) -> Any:
        return self.sep.join(map(str, value)) if isinstance(value, list) else value


class Prefix(Transform):
    """Strip a prefix inbound (e.g. ``gid://shopify/Product/``) and add it back outbound."""

    name = "prefix"

    def inbound(self, value: Any) -> Any:
        prefix = str(self.args.get("value", ""))
        text = None if value is None else str(value)
        return text[len(prefix) :] if text and text.startswith(prefix) else text

    def outbound(self, value: Any) -> Any:
        return None if value is None else f"{self.args.get('value', '')}{value}"


def _items(value: Any, sep: str) -> list[str]:
    """A list, or a delimited string, as a list of non-empty stripped strings."""
    parts = value if isinstance(value, list) else str(value).split(sep)
    return [str(p).strip() for p in parts if str(p).strip()]


class SortedSet(Transform):
    """A list inbound as sorted, without duplicates: for tag lists whose order no system keeps
    (Shopify returns tags sorted), so the order alone is never a change."""

    name = "sorted_set"

    def inbound(self, value: Any) -> Any:
        if value is None:
            return None
        return sorted({str(v) for v in (value if isinstance(value, list) else [value])})


class Tag(Transform):
    """One value carried as a prefixed tag among others (``segment:wholesale`` in Shopify's tags).

    Inbound: the value of the first tag with the prefix, or nothing. Outbound: the tag; give the
    field map ``join`` so it is added to the other tags at the same path instead of replacing them.
    """

    name = "tag"

    def __init__(self, args: Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__(args, value_maps)
        self.prefix = str(self.args.get("prefix") or "")
        if not self.prefix:
            raise ValueError("transform 'tag' needs a non-empty 'prefix'")
        self.sep = str(self.args.get("sep", ","))

    def inbound(self, value: Any) -> Any:
        if value is None:
            return None
        for item in _items(value, self.sep):
            if item.startswith(self.prefix):
                return item[len(self.prefix) :].strip() or None
        return None

    def outbound(self, value: Any) -> Any:
        return None if value in (None, "") else f"{self.prefix}{value}"


class DropTagged(Transform):
    """Inbound, leave out of a list the tags another field carries (those with ``prefix``)."""

    name = "drop_tagged"

    def inbound(self, value: Any) -> Any:
        prefix = str(self.args.get("prefix") or "")
        if not isinstance(value, list) or not prefix:
            return value
        return [v for v in value if not str(v).startswith(prefix)]


TRANSFORMS: dict[str, type[Transform]] = {
    cls.name: cls
    for cls in (
        Trim,
        Upper,
        Lower,
        Title,
        CollapseSpaces,
        NullIf,
        ToStr,
        ToInt,
        ToBool,
        ToDecimal,
        Unit,
        DateTime,
        Date,
        ValueMap,
        Country,
        Split,
        Prefix,
        SortedSet,
        Tag,
        DropTagged,
    )
}


def build_transform(spec: str | Mapping[str, Any], value_maps: Mapping[str, Mapping[str, Any]]) -> Transform:
    """Instantiate a transform from its mapping declaration; ValueError says what is wrong."""
    if isinstance(spec, str):
        name, args = spec, {}
    elif len(spec) == 1:
        name, args = next(iter(spec.items()))
        args = args or {}
        if not isinstance(args, Mapping):
            raise ValueError(f"arguments of transform '{name}' must be a mapping")
    else:
        raise ValueError("a transform is a name or an object with exactly one key")
    cls = TRANSFORMS.get(name)
    if cls is None:
        raise ValueError(f"unknown transform '{name}'; known: {', '.join(sorted(TRANSFORMS))}")
    return cls(args, value_maps)
