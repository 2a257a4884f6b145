"""The scenario's stage settings cannot drift from the constructors they feed.

Every field of ``TerritorySettings``, ``ForecastSettings``, ``QuotaSettings`` and
``CompSettings`` is a keyword of its estimator (same name, same default, same bounds), unless
``spmopt.scenario.config.DERIVED`` lists it as scenario-only or owned elsewhere.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import pytest
from pydantic import BaseModel

from spmopt.errors import ConfigError
from spmopt.scenario import Scenario
from spmopt.scenario.config import (
    DEFAULT_EXCEPTIONS,
    DERIVED,
    CompSettings,
    ForecastSettings,
    QuotaSettings,
    TerritorySettings,
    _import,
)

SETTINGS: dict[str, type[BaseModel]] = {
    "territory": TerritorySettings,
    "forecast": ForecastSettings,
    "quota": QuotaSettings,
    "comp": CompSettings,
}


def _estimator_default(stage: str, name: str) -> Any:
    """The default the estimator applies for keyword ``name`` (None resolved where the
    estimator documents what None means)."""
    target = _import(DERIVED[stage]["target"])
    default = inspect.signature(target.__init__).parameters[name].default
    if (stage, name) == ("territory", "balance") and default is None:
        return target()._balance()  # None means {"potential": 0.05}
    return default


def _owner_default(owner: str, name: str) -> Any:
    obj = _import(owner.rsplit(".", 1)[0]) if owner.endswith(".revenue_change") else _import(owner)
    if owner.endswith(".revenue_change"):
        return obj.model_fields["revenue_change"].default
    if inspect.isfunction(obj):
        return inspect.signature(obj).parameters[name].default
    return getattr(obj, name)


@pytest.mark.parametrize("stage", list(DERIVED))
def test_fields_are_constructor_keywords_with_their_defaults(stage: str) -> None:
    cls, derived = SETTINGS[stage], DERIVED[stage]
    target = _import(derived["target"])
    params = inspect.signature(target.__init__).parameters
    assert set(derived["scenario_only"]) | set(derived["elsewhere"]) <= set(cls.model_fields)
    for name, field in cls.model_fields.items():
        if name in derived["scenario_only"]:
            continue
        got = field.get_default(call_default_factory=True)
        if name in derived["elsewhere"]:
            want = _owner_default(derived["elsewhere"][name], name)
        else:
            assert name in params, f"{stage}.{name} is not a keyword of {derived['target']}"
            want = _estimator_default(stage, name)
        if f"{stage}.{name}" in DEFAULT_EXCEPTIONS:
            assert got != want, f"{stage}.{name} agrees again: drop it from DEFAULT_EXCEPTIONS"
            continue
        assert got == want, f"{stage}.{name} defaults to {got!r}, {derived['target']} to {want!r}"


def _estimator_accepts(stage: str, name: str, value: Any) -> bool:
    target = _import(DERIVED[stage]["target"])
    try:
        est = target(**{name: value})
        check = getattr(est, "_validate", None) or getattr(est, "_check", None)
        if callable(check):
            check()
    except ConfigError:
        return False
    return True


def _settings_accept(stage: str, name: str, value: Any) -> bool:
    try:
        Scenario.from_dict({stage: {name: value}})
    except ConfigError:
        return False
    return True


PROBES: list[tuple[str, str, list[Any]]] = [
    (
        "territory",
        "balance",
        [{"potential": -0.1}, {"potential": 0}, {"potential": 10}, {"potential": 10.5}],
    ),
    ("territory", "max_disruption", [-0.1, 0.0, 1.0, 1.1, None]),
    ("forecast", "horizon", [0, 1, 60, 61]),
    ("forecast", "model", ["auto", "snaive", "nosuch"]),
    ("quota", "over_assignment", [-0.1, 0.0, 1.0, 1.5, None]),
    ("quota", "company_target", [-1.0, 0.0, 1e6, None]),
    ("quota", "increment", [-1.0, 0.0, 1.0]),
    ("comp", "n_draws", [0, 1, 99, 100, 10_000_001]),
]  # fmt: skip


@pytest.mark.parametrize(("stage", "name", "values"), PROBES)
def test_bounds_are_the_estimators(stage: str, name: str, values: list[Any]) -> None:
    for v in values:
        est, scen = _estimator_accepts(stage, name, v), _settings_accept(stage, name, v)
        assert est == scen, (
            f"{stage}.{name}={v!r}: the estimator {'accepts' if est else 'rejects'} it, the "
            f"scenario {'accepts' if scen else 'rejects'} it"
        )


def test_solver_knobs_reach_solver_options() -> None:
    t = TerritorySettings(time_limit=12, options={"solver": {"mip_rel_gap": 0.001, "threads": 2}})
    kw = t.aligner_kwargs(seed=7)
    assert "time_limit" not in kw and "mip_rel_gap" not in kw
    s = kw["solver"]
    assert (s.time_limit, s.mip_rel_gap, s.threads, s.seed) == (12, 0.001, 2, 7)
    with pytest.raises(ConfigError, match="unknown SolverOptions field 'gap'"):
        Scenario.from_dict({"territory": {"options": {"solver": {"gap": 0.1}}}})
    with pytest.raises(ConfigError, match=r"territory.time_limit.*seconds > 0"):
        Scenario.from_dict({"territory": {"time_limit": 0}})


def test_unknown_option_names_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown setting 'candidate'.*did you mean 'candidates'"
    ):
        Scenario.from_dict({"territory": {"options": {"candidate": 4}}})


def test_backtest_windows_is_read_with_a_deprecation() -> None:
    with pytest.warns(DeprecationWarning, match="renamed forecast.n_windows"):
        s = Scenario.from_dict({"forecast": {"backtest_windows": 1}})
    assert s.forecast.n_windows == 1
    with pytest.warns(DeprecationWarning, match="renamed forecast.n_windows"):
        t = Scenario().with_updates({"forecast.backtest_windows": 0})
    assert t.forecast.n_windows == 0
    with warnings.catch_warnings(), pytest.raises(ConfigError, match="n_windows only"):
        warnings.simplefilter("ignore", DeprecationWarning)
        Scenario.from_dict({"forecast": {"backtest_windows": 1, "n_windows": 2}})


def test_old_yaml_key_still_loads(tmp_path: Any) -> None:
    p = tmp_path / "old.yaml"
    p.write_text("forecast:\n  backtest_windows: 0\n", encoding="utf-8")
    with pytest.warns(DeprecationWarning, match="rename it in the scenario file"):
        s = Scenario.from_yaml(p)
    assert s.forecast.n_windows == 0
