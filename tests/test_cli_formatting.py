"""Numbers for people: money with separators, shares in percent, km with one decimal."""

from __future__ import annotations

import pandas as pd

from spmopt.formatting import format_frame, format_value, km, money, share, table


def test_the_three_kinds() -> None:
    assert money(3310311.4) == "3,310,311" and money(float("nan")) == "n/a"
    assert money(-0.2) == "0" and money(12, currency="USD") == "USD 12"
    assert share(0.2312) == "23.1%" and share(None) == "n/a"
    assert km(12.345) == "12.3 km"


def test_names_say_the_kind() -> None:
    assert format_value(63266072113.05746, "weighted_distance") == "63,266,072,113"
    assert format_value(3.088877e06, "expected_cost") == "3,088,877"
    assert format_value(89.58, "coverage_80") == "89.6%"  # the backtest's percent
    assert format_value(0.0378, "bias") == "3.8%"
    assert format_value(0.05, "max_deviation_potential") == "5.0%"
    assert format_value(58.0, "accounts_moved") == "58"
    assert format_value(2027, "plan_year") == "2027"
    assert format_value(1.113, "mase") == "1.113"
    assert format_value(True, "proven_infeasible") == "True"


def test_printed_tables_keep_no_raw_floats() -> None:
    frame = pd.DataFrame(
        {
            "scenario": ["a", "b"],
            "expected_cost": [3.088877e06, float("nan")],
            "share_at_quota": [0.23, 0.4],
            "mean_distance_km": [12.34, 5.0],
            "ds": pd.to_datetime(["2027-01-01", "2027-02-01"]),
        }
    )
    text = table(frame)
    assert "3,088,877" in text and "23.0%" in text and "12.3 km" in text and "2027-01-01" in text
    assert "e+06" not in text and "n/a" in text
    assert list(format_frame(frame).columns) == list(frame.columns)
    assert frame["expected_cost"].iloc[0] == 3.088877e06  # the data itself is untouched
