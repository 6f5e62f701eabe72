"""Per-type entity configuration (agent-model §1.8), validated and normalised. Pure.

The wire uses camelCase keys. Unknown keys are refused, so a typo never silently does nothing.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from parley.errors import SchemaValidationFailed

EntityType = Literal[
    "number", "date", "time", "phone_number", "email", "name", "yes_no", "free_text", "enum", "regex"
]
PATTERN_MAX_CHARS = 500
OPTION_MAX_CHARS = 200
MAX_OPTIONS = 500
_CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


def _number(value: Any) -> int | float:
    # One check instead of an int|float union, whose errors would name both union members.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[int | float, BeforeValidator(_number)]
Option = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=OPTION_MAX_CHARS)]
Clock = Annotated[str, StringConstraints(pattern=_CLOCK)]


class _Config(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", populate_by_name=False)


class NumberConfig(_Config):
    has_decimal: StrictBool = False
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _range(self) -> NumberConfig:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be greater than max")
        if not self.has_decimal:
            for bound in (self.min, self.max):
                if bound is not None and bound != int(bound):
                    raise ValueError("min and max must be whole numbers unless hasDecimal is true")
        return self


class DateConfig(_Config):
    relative_date: StrictBool = False


class TimeConfig(_Config):
    start_time: Clock | None = None  # "HH:MM", 24-hour
    end_time: Clock | None = None


class PhoneNumberConfig(_Config):
    # ISO 3166-1 alpha-2 regions the number may belong to; empty means any.
    country_codes: list[Annotated[str, StringConstraints(min_length=2, max_length=3)]] = Field(
        default_factory=list, max_length=300
    )

    @field_validator("country_codes")
    @classmethod
    def _regions(cls, codes: list[str]) -> list[str]:
        upper = [code.upper() for code in codes]
        unknown = [code for code in upper if code not in phonenumbers.SUPPORTED_REGIONS]
        if unknown:
            raise ValueError(f"unknown ISO 3166-1 alpha-2 region code(s): {', '.join(unknown[:10])}")
        if len(set(upper)) != len(upper):
            raise ValueError("region codes must be unique")
        return upper


class EnumConfig(_Config):
    options: list[Option] = Field(min_length=1, max_length=MAX_OPTIONS)

    @field_validator("options")
    @classmethod
    def _unique(cls, options: list[str]) -> list[str]:
        seen: set[str] = set()
        for option in options:
            if option.casefold() in seen:
                raise ValueError(f"options must be unique (ignoring case); '{option[:50]}' repeats")
            seen.add(option.casefold())
        return options


class RegexConfig(_Config):
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=PATTERN_MAX_CHARS)]

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return pattern


class NoConfig(_Config):
    """Types that take no configuration."""


CONFIG_MODELS: dict[str, type[_Config]] = {
    "number": NumberConfig,
    "date": DateConfig,
    "time": TimeConfig,
    "phone_number": PhoneNumberConfig,
    "email": NoConfig,
    "name": NoConfig,
    "yes_no": NoConfig,
    "free_text": NoConfig,
    "enum": EnumConfig,
    "regex": RegexConfig,
}


def _pointer(loc: tuple[int | str, ...]) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in loc]
    return "/".join(["/body/config", *parts])


def checked_config(entity_type: str, config: dict[str, Any]) -> dict[str, Any]:
    """The normalised config (defaults filled in), or 400 with every problem and its path."""
    try:
        parsed = CONFIG_MODELS[entity_type].model_validate(config)
    except ValidationError as exc:
        errors = [
            {"path": _pointer(tuple(err["loc"])), "message": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise SchemaValidationFailed(
            f"Invalid config for an entity of type '{entity_type}': {errors[0]['message']}",
            data={"errors": errors},
        ) from None
    return parsed.model_dump(by_alias=True, exclude_none=True)
