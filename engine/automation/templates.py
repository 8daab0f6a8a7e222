"""Text templates: the titles and bodies of `notify` (`{{ record.name }}`), rendered safely.

Templates are Jinja2, in a sandbox that cannot reach Python internals or change the values
it is given. `TemplateRenderer` (one per engine) compiles each template text once and keeps
it. `render` makes plain text (nothing escaped: inbox titles, e-mail text); `render_html`
escapes every value (`<` becomes `&lt;`) for HTML bodies.

Names are the values the caller binds (`record`, an action's `as:` names): plain values,
or mappings — lazy ones too, whose relations load on access. `record.name` reads the key
`name` of a mapping before any attribute of the same name, so a field called `items` or
`values` is the field. A name or key that does not exist renders empty, as does NULL
(None), and so does `.x` of either; arithmetic with them gives an empty value too (as NULL
does in expressions), so `{{ (record.attainment * 100) | round(1) }}` stays quiet for a
target without attainment. A syntax error, or a failure while rendering, raises
`TemplateFailed` with the message and the template line.

Filters for business text, on top of Jinja's own: `round` (half away from zero, exact on
Decimal: `{{ x | round(1) }}`), `money` (thousands separators and two decimals: 1,234.50),
`percent` (a fraction as a percentage: 0.125 → 12.5%), `date` (ISO 2026-03-02, or a
strftime format; an aware datetime is taken in the renderer's time zone) and `datetime`
(2026-03-02 09:00 in the renderer's time zone).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Decimal,
    DecimalException,
    InvalidOperation,
    localcontext,
)
from types import TracebackType
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateError, TemplateSyntaxError, Undefined
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.automation.context import ActionFailed

__all__ = ["DEFAULT_CACHE_SIZE", "TemplateFailed", "TemplateRenderer"]

DEFAULT_CACHE_SIZE = 1024
"""Compiled templates kept per renderer and mode (the least recently used go first)."""

_TEMPLATE_FILE = "<template>"  # the file name Jinja gives frames of a template from text
_ROUNDING = {"common": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}


class TemplateFailed(ActionFailed):
    """A template cannot be compiled or rendered: the problem and the template line (1-based;
    None when unknown)."""

    def __init__(self, message: str, line: int | None) -> None:
        where = f"template line {line}" if line is not None else "template"
        super().__init__(f"{where}: {message}")
        self.message = message
        self.line = line


class _Empty(ChainableUndefined):
    """An undefined value: renders empty, `.x` of it is empty too."""

    __slots__ = ()


def _missing(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


class _Environment(ImmutableSandboxedEnvironment):
    """The sandbox with mapping keys before attributes and NULL-propagating arithmetic."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`record.name`: a mapping's key first (lazy mappings load it on access)."""
        if isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except LookupError:
                if not hasattr(type(obj), attribute):
                    return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Arithmetic: empty with an empty operand or a zero divisor; floats meet Decimals
        as Decimals."""
        if _missing(left) or _missing(right):
            return self.undefined()
        if isinstance(left, Decimal) and isinstance(right, float):
            right = Decimal(repr(right))
        elif isinstance(right, Decimal) and isinstance(left, float):
            left = Decimal(repr(left))
        try:
            return self.binop_table[operator](left, right)
        except (ZeroDivisionError, DecimalException):
            return self.undefined()

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        """`-x`: empty when `x` is."""
        if _missing(arg):
            return self.undefined()
        return self.unop_table[operator](arg)


class TemplateRenderer:
    """Compiles and renders templates; one per engine, safe to share between threads."""

    def __init__(
        self, time_zone: tzinfo | None = None, cache_size: int = DEFAULT_CACHE_SIZE
    ) -> None:
        self.time_zone = time_zone
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._text = self._environment(autoescape=False)
        self._html = self._environment(autoescape=True)
        self._compiled: dict[bool, OrderedDict[str, Template]] = {
            False: OrderedDict(),
            True: OrderedDict(),
        }

    def render(self, text: str, names: Mapping[str, Any]) -> str:
        """`text` rendered as plain text with `names` (TemplateFailed on an error)."""
        return self._render(text, names, html=False)

    def render_html(self, text: str, names: Mapping[str, Any]) -> str:
        """`text` rendered as HTML: every value escaped (TemplateFailed on an error)."""
        return self._render(text, names, html=True)

    def check(self, text: str) -> None:
        """Compile `text` (and keep it): TemplateFailed when it has a syntax error."""
        self._template(text, html=False)

    # -- internals -----------------------------------------------------------------------

    def _render(self, text: str, names: Mapping[str, Any], *, html: bool) -> str:
        if "{" not in text:
            return text  # no tags: the text as it is
        template = self._template(text, html=html)
        try:
            return template.render(dict(names))
        except (TemplateError, TypeError, ValueError, ArithmeticError) as error:
            message = getattr(error, "message", None) or str(error) or type(error).__name__
            raise TemplateFailed(message, _template_line(error.__traceback__)) from error

    def _template(self, text: str, *, html: bool) -> Template:
        cache = self._compiled[html]
        with self._lock:
            found = cache.get(text)
            if found is not None:
                cache.move_to_end(text)
                return found
        environment = self._html if html else self._text
        try:
            template = environment.from_string(text)
        except TemplateSyntaxError as error:
            raise TemplateFailed(error.message or "syntax error", error.lineno) from error
        with self._lock:
            cache[text] = template
            while len(cache) > self._cache_size:
                cache.popitem(last=False)
        return template

    def _environment(self, *, autoescape: bool) -> _Environment:
        environment = _Environment(
            autoescape=autoescape, undefined=_Empty, finalize=_finalize, keep_trailing_newline=True
        )
        environment.filters["round"] = _round
        environment.filters["money"] = _money
        environment.filters["percent"] = _percent
        environment.filters["date"] = self._date
        environment.filters["datetime"] = self._datetime
        return environment

    def _date(self, value: Any, format: str | None = None) -> Any:
        """`{{ x | date }}`: a date (or an aware datetime's local date) as ISO, or formatted."""
        if _missing(value):
            return ""
        if isinstance(value, datetime):
            value = self._local(value).date()
        if not isinstance(value, date):
            return value  # text already: shown as it is
        return value.strftime(format) if format else value.isoformat()

    def _datetime(self, value: Any, format: str = "%Y-%m-%d %H:%M") -> Any:
        """`{{ x | datetime }}`: a moment in the renderer's time zone."""
        if _missing(value):
            return ""
        if isinstance(value, datetime):
            return self._local(value).strftime(format)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None or self.time_zone is None:
            return moment
        return moment.astimezone(self.time_zone)


def _finalize(value: Any) -> Any:
    """What `{{ … }}` prints: nothing for NULL, Decimals without exponents."""
    if value is None:
        return ""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    return value


def _decimal(value: Any, filter_name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"{filter_name}: {value!r} is not a number")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int | float | str):
        try:
            number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{filter_name}: {value!r} is not a number") from None
    else:
        raise ValueError(f"{filter_name}: {value!r} is not a number")
    if not number.is_finite():
        raise ValueError(f"{filter_name}: {value!r} is not a finite number")
    return number


def _quantize(number: Decimal, places: int, rounding: str = ROUND_HALF_UP) -> Decimal:
    with localcontext(prec=max(28, number.adjusted() + places + 2)):
        return number.quantize(Decimal(1).scaleb(-places), rounding=rounding)


def _round(value: Any, precision: int = 0, method: str = "common") -> Any:
    """`{{ x | round(1) }}`: half away from zero (`ceil` / `floor` as the method), exact."""
    if _missing(value):
        return value
    if method not in _ROUNDING:
        raise ValueError(f"round: the method is common, ceil or floor, not {method!r}")
    return _quantize(_decimal(value, "round"), int(precision), _ROUNDING[method])


def _money(value: Any, places: int = 2) -> Any:
    """`{{ x | money }}`: 1234.5 → 1,234.50."""
    if _missing(value):
        return ""
    return f"{_quantize(_decimal(value, 'money'), int(places)):,f}"


def _percent(value: Any, places: int = 1) -> Any:
    """`{{ x | percent }}`: the fraction 0.125 → 12.5%."""
    if _missing(value):
        return ""
    return f"{_quantize(_decimal(value, 'percent') * 100, int(places)):f}%"


def _template_line(trace: TracebackType | None) -> int | None:
    """The template line of the innermost template frame of a traceback, if any."""
    line = None
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            line = trace.tb_lineno
        trace = trace.tb_next
    return line
