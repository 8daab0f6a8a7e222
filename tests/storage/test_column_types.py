"""Money, exact decimals and aware datetimes, written and read back on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from engine.storage.column_types import (
    AwareDateTime,
    ExactDecimal,
    Money,
    decimal_to_minor,
    minor_to_decimal,
)
from engine.storage.database import Database

METADATA = sa.MetaData()
VALUES = sa.Table(
    "typed_values",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("cny", Money(2)),
    sa.Column("jpy", Money(0)),
    sa.Column("kwd", Money(3)),
    sa.Column("number", ExactDecimal(18, 2)),
    sa.Column("ratio", ExactDecimal(12, 6)),
    sa.Column("moment", AwareDateTime()),
    sa.Column("day", sa.Date),
)


@pytest.fixture
def typed(db: Database) -> Iterator[Database]:
    METADATA.create_all(db.engine)
    yield db


def roundtrip(db: Database, **values: object) -> sa.Row[tuple[object, ...]]:
    with db.begin() as connection:
        row_id = connection.execute(VALUES.insert().values(**values)).inserted_primary_key[0]
    with db.begin(readonly=True) as connection:
        return connection.execute(sa.select(VALUES).where(VALUES.c.id == row_id)).one()


@pytest.mark.parametrize(
    "amount",
    [
        Decimal("0.1") + Decimal("0.2"),
        Decimal("12000000.00"),
        Decimal("-12000000.01"),
        Decimal("-0.01"),
        Decimal("92233720368547758.07"),
        Decimal(0),
    ],
)
def test_money_round_trips_exactly(typed: Database, amount: Decimal) -> None:
    row = roundtrip(typed, cny=amount)
    assert row.cny == amount
    assert str(row.cny) == str(amount.quantize(Decimal("0.01")))
    with typed.begin(readonly=True) as connection:
        raw = connection.execute(sa.text("SELECT cny FROM typed_values")).scalar_one()
    assert raw == int(amount * 100)


def test_money_sums_in_sql_stay_exact(typed: Database) -> None:
    amounts = [Decimal("0.10"), Decimal("0.20"), Decimal("-0.30"), Decimal("12000000.00")]
    with typed.begin() as connection:
        for amount in amounts:
            connection.execute(VALUES.insert().values(cny=amount))
        total = connection.execute(sa.select(sa.func.sum(VALUES.c.cny))).scalar_one()
        found = connection.execute(
            sa.select(VALUES.c.id).where(VALUES.c.cny == Decimal("0.2"))
        ).scalars()
        assert list(found) == [2]
    assert total == Decimal("12000000.00")


def test_the_currency_decides_the_minor_unit(typed: Database) -> None:
    row = roundtrip(typed, jpy=Decimal(1500), kwd=Decimal("1.234"))
    assert (row.jpy, row.kwd) == (Decimal(1500), Decimal("1.234"))
    with typed.begin(readonly=True) as connection:
        raw = connection.execute(sa.text("SELECT jpy, kwd FROM typed_values")).one()
    assert tuple(raw) == (1500, 1234)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (Decimal("0.001"), "more than 2 decimal places"),
        (0.1, "not float"),
        (Decimal("NaN"), "finite"),
        (Decimal("1e30"), "too large"),
    ],
)
def test_money_that_cannot_be_stored_exactly_is_refused(
    typed: Database, value: object, error: str
) -> None:
    with pytest.raises(StatementError, match=error), typed.begin() as connection:
        connection.execute(VALUES.insert().values(cny=value))


def test_minor_unit_conversion_by_hand() -> None:
    assert decimal_to_minor(Decimal("12.3"), 2) == 1230
    assert decimal_to_minor(7, 0) == 7
    assert minor_to_decimal(-5, 2) == Decimal("-0.05")
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        decimal_to_minor(Decimal("1.5"), 0)
    with pytest.raises(TypeError, match="not bool"):
        decimal_to_minor(True, 2)


def test_decimals_come_back_with_their_scale(typed: Database) -> None:
    row = roundtrip(typed, number=Decimal("1234567890123456"), ratio=Decimal("0.125"))
    assert row.number == Decimal("1234567890123456.00")
    assert str(row.ratio) == "0.125000"
    row = roundtrip(typed, number=Decimal("0.1"), ratio=Decimal("1"))
    assert (str(row.number), str(row.ratio)) == ("0.10", "1.000000")


def test_a_decimal_must_be_a_decimal(typed: Database) -> None:
    with pytest.raises(StatementError, match="not float"), typed.begin() as connection:
        connection.execute(VALUES.insert().values(number=0.5))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(2024, 3, 31, 1, 59, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_aware_datetimes_round_trip_as_utc(typed: Database, moment: datetime) -> None:
    row = roundtrip(typed, moment=moment, day=date(2024, 2, 29))
    assert row.moment == moment
    assert row.moment.tzinfo is UTC
    assert row.moment.utcoffset() == timedelta(0)
    assert row.day == date(2024, 2, 29)


def test_naive_datetimes_are_refused(typed: Database) -> None:
    with pytest.raises(StatementError, match="must be timezone-aware"), typed.begin() as c:
        c.execute(VALUES.insert().values(moment=datetime(2024, 1, 1, 12, 0)))


def test_raw_money_arithmetic_stays_in_money_except_quotients(typed: Database) -> None:
    roundtrip(typed, cny=Decimal("2.50"))
    with typed.begin(readonly=True) as connection:
        doubled = connection.execute(sa.select(VALUES.c.cny * 2)).scalar_one()
        plus = connection.execute(sa.select(VALUES.c.cny + Decimal("1.25"))).scalar_one()
        halves = connection.execute(sa.select(VALUES.c.cny / 2)).scalar_one()
    assert (doubled, plus) == (Decimal("5.00"), Decimal("3.75"))
    assert halves == 125  # minor units: a quotient is not money any more
