"""``Scenario``: the settings of one planning cycle, read from YAML and validated.

A scenario names the planning data and overrides the settings of every stage (territories,
forecast, quotas, comp). Anything left out keeps the stage's default, so ``Scenario()`` is the base
case on the example data. A sweep is a grid over dotted setting paths::

    base = Scenario.from_yaml("scenarios/base.yaml")
    sweep = Scenario.grid(base, {"quota.over_assignment": [0.05, 0.10, 0.15],
                                 "territory.balance.potential": [0.03, 0.05]})
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import hashlib
import inspect
import itertools
import json
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from spmopt.errors import ConfigError
from spmopt.settings_errors import format_validation_error

__all__ = [
    "DEFAULT_EXCEPTIONS",
    "DERIVED",
    "CompSettings",
    "ForecastSettings",
    "QuotaSettings",
    "Scenario",
    "TerritorySettings",
    "set_path",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.=,+\-]*$")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---------------------------------------------------------------------- derived from the stages
#: Where each stage's settings come from. Every field of a stage's settings is either the
#: keyword of the same name of ``target`` (same default, checked by the target's own
#: validation: the bounds are the estimator's), one of ``scenario_only`` (what the pipeline
#: does around the estimator), or one of ``elsewhere`` (field -> the object that owns it).
#: ``tests/scenario/test_settings_drift.py`` fails when a field and its constructor drift.
DERIVED: dict[str, dict[str, Any]] = {
    "territory": {
        "target": "spmopt.territory.TerritoryAligner",
        "scenario_only": ("realign", "n_territories", "options"),
        # the solver's safety cap: SolverOptions.time_limit, default that of the aligner's
        # DEFAULT_SOLVER
        "elsewhere": {"time_limit": "spmopt.territory.aligner.DEFAULT_SOLVER"},
    },
    "forecast": {
        "target": "spmopt.forecast.RevenueForecaster",
        "scenario_only": ("options",),
        # the windows of the reported backtest (the forecaster's own selection backtest is
        # forecast.options.n_windows)
        "elsewhere": {"n_windows": "spmopt.forecast.backtest"},
    },
    "quota": {
        "target": "spmopt.quota.QuotaSetter",
        "scenario_only": ("options",),
        "elsewhere": {},
    },
    "comp": {
        "target": "spmopt.comp.CompSimulator",
        "scenario_only": ("plan", "plan_overrides"),
        "elsewhere": {"revenue_shock": "spmopt.comp.Overrides.revenue_change"},
    },
}

#: Scenario defaults that differ from their constructor's on purpose (field -> why); the drift
#: test allows exactly these.
DEFAULT_EXCEPTIONS: dict[str, str] = {
    "forecast.n_windows": "2 reported backtest windows keep a batch of scenarios fast "
    "(spmopt.forecast.backtest defaults to 3)",
    "comp.overrides": "{} is the scenario's spelling of None (no what-ifs), so that dotted "
    "paths can add keys",
}


def _import(path: str) -> Any:
    import importlib

    mod, _, name = path.rpartition(".")
    return getattr(importlib.import_module(mod), name)


def _check_estimator(stage: str, kwargs: Mapping[str, Any]) -> None:
    """Build the stage's estimator from ``kwargs`` and run its own ``_validate``; a bad or
    unknown setting raises ValueError naming the key (pydantic adds the path)."""
    from spmopt.contracts import unknown_key_error

    target = _import(DERIVED[stage]["target"])
    names = list(inspect.signature(target.__init__).parameters)[1:]
    for k in kwargs:
        if k not in names:
            raise ValueError(str(unknown_key_error(f"{stage}.options", k, names)))
    try:
        est = target(**kwargs)
        # the contract's _validate; _check for an estimator not on the contract yet
        validate = getattr(est, "_validate", None) or getattr(est, "_check", None)
        if callable(validate):
            validate()
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


class _StageSettings(_Settings):
    """Settings of one stage: each field that is a keyword of the stage's estimator (see
    :data:`DERIVED`) is checked by the estimator's own validation, and ``options`` with them."""

    _stage: ClassVar[str]

    @field_validator("*")
    @classmethod
    def _check_field(cls, v: Any, info: ValidationInfo) -> Any:
        derived = DERIVED[cls._stage]
        name = str(info.field_name)
        if name not in derived["scenario_only"] and name not in derived["elsewhere"]:
            _check_estimator(cls._stage, {name: v})
        return v

    @model_validator(mode="after")
    def _check_options(self) -> Self:
        if getattr(self, "options", None):
            _check_estimator(self._stage, self.estimator_kwargs())
        return self

    def estimator_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the stage's estimator (seed 0)."""
        return {}


def _check_call(path: str, key: str, value: Any) -> None:
    """Whether function ``path`` accepts ``key=value`` by its own checks, without running it:
    the checks :func:`spmopt.forecast.backtest` makes of ``n_windows`` (at least one)."""
    if key == "n_windows" and (not isinstance(value, int) or value < 1):
        raise ValueError(f"{path}: n_windows={value!r}: at least one window is needed (0 skips)")


class TerritorySettings(_StageSettings):
    """Territory alignment settings (:class:`spmopt.territory.TerritoryAligner`).

    The fields other than ``realign``, ``n_territories`` and ``options`` are the aligner's
    keywords of the same name, with its defaults and checked by its own validation
    (:data:`DERIVED`).

    Attributes
    ----------
    realign : bool
        Redraw territories; ``False`` keeps the current alignment (``accounts.current_territory``).
    n_territories : int or None
        Number of territories (one rep each). Fewer than today removes the territories whose
        reps' home bases are closest to a neighbour's (their accounts are realigned); more adds
        to-be-hired reps based in the largest territories. ``None`` keeps today's count.
    balance : dict of str to float
        Balance tolerance per attribute: each territory's total within ± this share of its target
        (``{"potential": 0.05}`` = ±5%), each in [0, 10].
    max_disruption : float or None
        Largest share of potential allowed to change territory, in [0, 1]; ``None`` for no cap.
    contiguity : bool
        Require contiguous territories (needs basic units with an adjacency).
    time_limit : float or None
        Solver wall-clock safety cap [s] (``SolverOptions.time_limit``; ``None`` for none).
    options : dict
        Further keyword arguments passed to ``TerritoryAligner`` unchanged; ``solver`` may be a
        mapping of :class:`~spmopt.solver.SolverOptions` fields (e.g. ``{"mip_rel_gap":
        0.001, "threads": 4}``).
    """

    _stage: ClassVar[str] = "territory"

    realign: bool = True
    n_territories: int | None = Field(default=None, ge=1)
    balance: dict[str, float] = Field(default_factory=lambda: {"potential": 0.05})
    max_disruption: float | None = None
    contiguity: bool = False
    time_limit: float | None = 60.0
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("time_limit")
    @classmethod
    def _check_time_limit(cls, v: float | None) -> float | None:
        from spmopt.solver import SolverOptions

        try:
            SolverOptions(time_limit=v)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return v

    def estimator_kwargs(self) -> dict[str, Any]:
        return self.aligner_kwargs(seed=0)

    def aligner_kwargs(self, *, seed: int) -> dict[str, Any]:
        """The keyword arguments of the scenario's :class:`~spmopt.territory.TerritoryAligner`
        (``time_limit`` and ``options["solver"]`` become its ``SolverOptions``)."""
        from spmopt.solver import SolverOptions
        from spmopt.territory.aligner import DEFAULT_SOLVER

        options = dict(self.options)
        solver = options.pop("solver", None)
        if isinstance(solver, SolverOptions):
            solver = dataclasses.replace(solver, time_limit=self.time_limit)
        else:
            fields = {"seed": seed, **(solver or {}), "time_limit": self.time_limit}
            known = {f.name for f in dataclasses.fields(SolverOptions)}
            bad = [k for k in fields if k not in known]
            if bad:
                raise ValueError(
                    f"territory.options.solver: unknown SolverOptions field {bad[0]!r}; "
                    f"allowed: {sorted(known)}"
                )
            try:
                solver = dataclasses.replace(DEFAULT_SOLVER, **fields)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return {
            "balance": dict(self.balance),
            "max_disruption": self.max_disruption,
            "contiguity": self.contiguity,
            "seed": seed,
            **options,
            "solver": solver,
        }


class ForecastSettings(_StageSettings):
    """Revenue forecast settings (:class:`spmopt.forecast.RevenueForecaster`).

    ``model``, ``horizon`` and ``levels`` are the forecaster's keywords of the same name, with its
    defaults and checked by its own validation; ``n_windows`` is the keyword of
    :func:`spmopt.forecast.backtest` (:data:`DERIVED`).

    Attributes
    ----------
    model : str
        Forecast model name (``"auto"`` selects per level from backtest error).
    horizon : int
        Months forecast after the last month of history (12 = the plan year).
    levels : list of int
        Prediction interval levels [%].
    n_windows : int
        Rolling-origin windows of the reported backtest that measures forecast error (0 to
        skip). Formerly ``backtest_windows`` (still read, with a DeprecationWarning).
    options : dict
        Further keyword arguments passed to ``RevenueForecaster`` unchanged (its own
        ``n_windows`` of the model-selection backtest among them).
    """

    _stage: ClassVar[str] = "forecast"

    model: str = "auto"
    horizon: int = 12
    levels: tuple[int, ...] = (80, 95)
    n_windows: int = Field(default=2, ge=0)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "backtest_windows" in data:
            data = dict(data)
            if "n_windows" in data:
                raise ValueError(
                    "give forecast.n_windows only (forecast.backtest_windows is its old name)"
                )
            warnings.warn(
                "scenario key forecast.backtest_windows is renamed forecast.n_windows (the "
                "n_windows of spmopt.forecast.backtest); rename it in the scenario file",
                DeprecationWarning,
                stacklevel=2,
            )
            data["n_windows"] = data.pop("backtest_windows")
        return data

    @field_validator("n_windows")
    @classmethod
    def _check_windows(cls, v: int) -> int:
        if v > 0:  # 0 skips the backtest; above, what spmopt.forecast.backtest accepts
            _check_call("spmopt.forecast.backtest", "n_windows", v)
        return v

    def estimator_kwargs(self) -> dict[str, Any]:
        return self.forecaster_kwargs(seed=0)

    def forecaster_kwargs(self, *, seed: int) -> dict[str, Any]:
        """The keyword arguments of the scenario's
        :class:`~spmopt.forecast.RevenueForecaster`."""
        return {
            "model": self.model,
            "horizon": self.horizon,
            "levels": tuple(self.levels),
            "seed": seed,
            **self.options,
        }


class QuotaSettings(_StageSettings):
    """Quota settings (:class:`spmopt.quota.QuotaSetter`).

    Every field but ``options`` is the setter's keyword of the same name, with its default and
    checked by its own validation (:data:`DERIVED`).

    Attributes
    ----------
    method : str
        Quota method (``"blend"``, ``"potential"``, ``"forecast"``, ...).
    over_assignment : float or None
        Share by which rep quotas exceed the company target; ``None`` takes ``targets.yaml``.
    company_target : float or None
        Company revenue target [currency/yr]; ``None`` takes ``targets.yaml``.
    increment : float
        Quotas are whole multiples of this [currency].
    period : str
        ``"month"`` or ``"quarter"``.
    options : dict
        Further keyword arguments passed to ``QuotaSetter`` unchanged.
    """

    _stage: ClassVar[str] = "quota"

    method: str = "blend"
    over_assignment: float | None = Field(default=None, ge=0, le=1)
    company_target: float | None = Field(default=None, gt=0)
    increment: float = Field(default=1000.0, gt=0)
    period: Literal["month", "quarter"] = "month"
    options: dict[str, Any] = Field(default_factory=dict)

    def estimator_kwargs(self) -> dict[str, Any]:
        return self.setter_kwargs(over_assignment=self.over_assignment)

    def setter_kwargs(self, *, over_assignment: float | None) -> dict[str, Any]:
        """The keyword arguments of the scenario's :class:`~spmopt.quota.QuotaSetter`
        (``over_assignment`` resolved by the caller: this one's or the targets')."""
        kwargs: dict[str, Any] = {
            "company_target": self.company_target,
            "method": self.method,
            "increment": self.increment,
            "period": self.period,
            **self.options,
        }
        if over_assignment is not None:
            kwargs["over_assignment"] = over_assignment
        return kwargs


class CompSettings(_StageSettings):
    """Comp plan and cost simulation settings (:class:`spmopt.comp.CompSimulator`).

    ``n_draws`` and ``overrides`` are the simulator's keywords, with its defaults and checked by
    its own validation; ``revenue_shock`` is ``Overrides.revenue_change`` (:data:`DERIVED`).

    Attributes
    ----------
    plan : str or None
        Path of a comp plan YAML file (relative paths are read from the scenario file's folder);
        ``None`` uses the data's ``plan.yaml``.
    plan_overrides : dict
        Changes to the plan as dotted paths to values, e.g.
        ``{"roles.AE.target_incentive": 90000, "roles.AE.measures.0.tiers.1.rate": 2.5}``
        (list items by index). Nested mappings are accepted too.
    n_draws : int
        Monte Carlo draws of the plan year.
    revenue_shock : float
        Relative change of every rep's revenue in every draw (-0.10 = revenue 10% below the
        forecast), a what-if on top of the forecast's own uncertainty; above -1.
    overrides : dict
        Further what-if overrides passed to ``simulate(..., overrides=...)`` unchanged.
    """

    _stage: ClassVar[str] = "comp"

    plan: str | None = None
    plan_overrides: dict[str, Any] = Field(default_factory=dict)
    n_draws: int = 10_000
    revenue_shock: float = Field(default=0.0, gt=-1)
    overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("revenue_shock")
    @classmethod
    def _check_shock(cls, v: float) -> float:
        from spmopt.comp import Overrides

        try:
            Overrides(revenue_change=v)
        except ValidationError as exc:
            raise ValueError(exc.errors()[0]["msg"]) from None
        return v


#: Settings that are free mappings: in a dotted path, everything after them is one key.
_FREE_MAPPINGS = {
    ("territory", "balance"),
    ("territory", "options"),
    ("forecast", "options"),
    ("quota", "options"),
    ("comp", "plan_overrides"),
    ("comp", "overrides"),
}


class Scenario(_Settings):
    """One planning scenario: data, stage settings and seed.

    Parameters
    ----------
    name : str
        Identifier, used as the folder name of its results (letters, digits, ``_.=,+-``).
    description : str
        One line saying what the scenario asks.
    data : str
        Planning data folder (relative paths are read from the scenario file's folder), or
        ``"example"`` for the bundled example.
    seed : int
        Seed of every random step (solver, forecast, simulation): equal seeds, equal results.
    territory, forecast, quota, comp
        Stage settings; see :class:`TerritorySettings`, :class:`ForecastSettings`,
        :class:`QuotaSettings` and :class:`CompSettings`.

    Examples
    --------
    >>> s = Scenario(name="tight", territory={"balance": {"potential": 0.03}})
    >>> s.territory.balance
    {'potential': 0.03}
    """

    name: str = "base"
    description: str = ""
    data: str = "example"
    seed: int = Field(default=0, ge=0)
    territory: TerritorySettings = Field(default_factory=TerritorySettings)
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    quota: QuotaSettings = Field(default_factory=QuotaSettings)
    comp: CompSettings = Field(default_factory=CompSettings)

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        if not _NAME.match(v) or len(v) > 120:
            raise ValueError(
                "name must start with a letter or digit and hold only letters, digits and "
                f"_ . = , + - (at most 120 characters); got {v!r}"
            )
        return v

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: str = "scenario") -> Scenario:
        """Validate a mapping; an error names each bad key and the allowed keys or values."""
        if not isinstance(raw, Mapping):
            raise ConfigError(
                f"{source}: a scenario is a mapping of settings, got {type(raw).__name__}"
            )
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as exc:
            raise ConfigError(
                format_validation_error(exc, source, Scenario, "scenario settings")
            ) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Read a scenario file. Relative ``data`` and ``comp.plan`` paths are resolved against
        the file's folder; a missing ``name`` becomes the file's stem."""
        p = Path(path)
        raw = _read_mapping(p)
        if "base" in raw and "grid" not in raw:
            return _from_base(p, raw)
        raw.setdefault("name", p.stem)
        s = cls.from_dict(raw, source=str(p))
        return s.resolve_paths(p.parent)

    def resolve_paths(self, base: str | Path) -> Scenario:
        """A copy with relative ``data`` and ``comp.plan`` paths made absolute against ``base``."""
        base = Path(base)
        upd: dict[str, Any] = {}
        if self.data != "example" and "://" not in self.data and not Path(self.data).is_absolute():
            upd["data"] = str((base / self.data).resolve())
        if self.comp.plan is not None and not Path(self.comp.plan).is_absolute():
            upd["comp"] = self.comp.model_copy(
                update={"plan": str((base / self.comp.plan).resolve())}
            )
        return self.model_copy(update=upd) if upd else self

    def check(self) -> Scenario:
        """Check the names the stages will be given (forecast model, quota method, comp
        what-if keys) against what the stages accept; returns ``self``.

        Raises
        ------
        ConfigError
            Naming the key and the allowed values.
        """
        from spmopt.forecast.models import MODELS
        from spmopt.quota.setter import METHODS

        models = ["auto", *MODELS]
        if self.forecast.model not in models:
            raise ConfigError(
                f"scenario {self.name!r}: key 'forecast.model' is {self.forecast.model!r}; "
                f"allowed: {', '.join(models)}"
            )
        if self.quota.method not in METHODS:
            raise ConfigError(
                f"scenario {self.name!r}: key 'quota.method' is {self.quota.method!r}; "
                f"allowed: {', '.join(METHODS)}"
            )
        if self.comp.overrides:
            from spmopt.comp import Overrides

            allowed = [k for k in Overrides.model_fields if k != "revenue_change"]
            bad = [k for k in self.comp.overrides if k not in allowed]
            if bad:
                raise ConfigError(
                    f"scenario {self.name!r}: key 'comp.overrides.{bad[0]}' is not known; "
                    f"allowed: {', '.join(allowed)} (a revenue change is comp.revenue_shock)"
                )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain settings (JSON/YAML-safe)."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def key(self) -> str:
        """Content hash of the settings (12 hex digits), name excluded: equal keys, equal
        results."""
        d = self.to_dict()
        d.pop("name")
        d.pop("description")
        return _digest(d)

    def stage_key(self, stage: Literal["data", "territory", "forecast"]) -> str:
        """Hash of what a stage's result depends on: scenarios with equal keys share it.

        ``"data"``: the data path. ``"territory"``: data, territory settings and seed.
        ``"forecast"``: all that plus the forecast settings.
        """
        parts: dict[str, Any] = {"data": self.data}
        if stage in ("territory", "forecast"):
            parts["territory"] = self.territory.model_dump(mode="json")
            parts["seed"] = self.seed
        if stage == "forecast":
            parts["forecast"] = self.forecast.model_dump(mode="json")
        return _digest(parts)

    def with_updates(self, updates: Mapping[str, Any], name: str | None = None) -> Scenario:
        """A copy with settings changed by dotted path (``{"quota.over_assignment": 0.15}``)."""
        d = self.to_dict()
        for path, value in updates.items():
            _set_setting(d, path)(value)
        if name is not None:
            d["name"] = name
        return Scenario.from_dict(d, source=f"scenario {d.get('name', self.name)!r}")

    @classmethod
    def grid(
        cls,
        base: Scenario,
        params: Mapping[str, Sequence[Any]],
        *,
        name: str | None = None,
    ) -> list[Scenario]:
        """Every combination of the values in ``params`` applied to ``base``.

        Parameters
        ----------
        base : Scenario
            Settings shared by every scenario.
        params : mapping of dotted path to list of values
            e.g. ``{"quota.over_assignment": [0.1, 0.15], "comp.revenue_shock": [0, -0.1]}``.
            Inside free mappings (``territory.balance``, ``comp.plan_overrides``, ``*.options``,
            ``comp.overrides``) the rest of the path is one key:
            ``"comp.plan_overrides.roles.AE.target_incentive"``.
        name : str, optional
            Prefix of the scenario names (default ``base.name``); each name adds
            ``__<last key>=<value>`` for every parameter.

        Returns
        -------
        list of Scenario
            In row-major order of ``params`` (the last parameter varies fastest).
        """
        if not isinstance(params, Mapping) or not params:
            raise ConfigError("Scenario.grid needs a mapping {dotted.path: [values, ...]}")
        for path, values in params.items():
            _set_setting(base.to_dict(), path)  # validates the path before any work
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise ConfigError(
                    f"Scenario.grid: values of {path!r} must be a list, got {values!r}"
                )
        prefix = name or base.name
        keys = list(params)
        out: list[Scenario] = []
        seen: set[str] = set()
        for combo in itertools.product(*(list(params[k]) for k in keys)):
            label = "__".join(f"{_short(k)}={_fmt_value(v)}" for k, v in zip(keys, combo))
            nm = f"{prefix}__{label}"
            if len(nm) > 120:
                nm = f"{prefix}__{_digest(list(combo))}"
            if nm in seen:
                raise ConfigError(f"Scenario.grid: two scenarios would be named {nm!r}")
            seen.add(nm)
            out.append(base.with_updates(dict(zip(keys, combo)), name=nm))
        return out

    def __repr__(self) -> str:
        changed = _diff(Scenario().to_dict(), self.to_dict())
        changed.pop("name", None)
        body = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"Scenario(name={self.name!r}{', ' if body else ''}{body})"

    __str__ = __repr__


# ---------------------------------------------------------------------- helpers
def _digest(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _short(path: str) -> str:
    return path.split(".")[-1]


def _fmt_value(v: Any) -> str:
    if isinstance(v, float):
        s = f"{v:g}"
    elif isinstance(v, (dict, list, tuple)):
        s = _digest(v)[:6]
    else:
        s = str(v)
    s = re.sub(r"[^A-Za-z0-9_.=,+\-]", "-", s)
    return s


def _diff(a: dict[str, Any], b: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in b.items():
        p = f"{prefix}{k}"
        if isinstance(v, dict) and isinstance(a.get(k), dict) and (prefix, k) != ("", "data"):
            if (prefix.rstrip("."), k) in _FREE_MAPPINGS:
                if v != a.get(k):
                    out[p] = v
                continue
            out.update(_diff(a[k], v, f"{p}."))
        elif a.get(k) != v:
            out[p] = v
    return out


def _set_setting(d: dict[str, Any], path: str) -> Any:
    """A setter for the setting at dotted ``path`` in the scenario dict ``d``.

    Raises ConfigError naming the unknown key and the allowed keys.
    """
    if not isinstance(path, str) or not path:
        raise ConfigError(f"a setting path is a dotted string, got {path!r}")
    if path == "forecast.backtest_windows":
        warnings.warn(
            "setting forecast.backtest_windows is renamed forecast.n_windows (the n_windows of "
            "spmopt.forecast.backtest); use the new name",
            DeprecationWarning,
            stacklevel=3,
        )
        path = "forecast.n_windows"
    parts = path.split(".")
    node: Any = d
    model: type[BaseModel] = Scenario
    for i, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            close = difflib.get_close_matches(part, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            where = ".".join(parts[:i]) or "scenario"
            raise ConfigError(
                f"setting {path!r}: {where} has no key {part!r}{hint}; allowed keys: "
                f"{', '.join(sorted(fields))}"
            )
        if (*parts[:i], part) in _FREE_MAPPINGS and i < len(parts) - 1:
            rest = ".".join(parts[i + 1 :])
            mapping = node.setdefault(part, {})

            def set_free(value: Any, mapping: dict[str, Any] = mapping, key: str = rest) -> None:
                mapping[key] = value

            return set_free
        if i == len(parts) - 1:

            def set_leaf(value: Any, node: dict[str, Any] = node, key: str = part) -> None:
                node[key] = value

            return set_leaf
        annotation = fields[part].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            raise ConfigError(
                f"setting {path!r}: {'.'.join(parts[: i + 1])} is a value, not a group"
            )
        node = node[part]
        model = annotation
    raise AssertionError("unreachable")  # pragma: no cover


def set_path(obj: Any, path: str, value: Any) -> Any:
    """Set ``value`` at dotted ``path`` in nested dicts and lists (list items by index).

    Returns a changed deep copy of ``obj``; missing dict keys are created, a bad list index or a
    path through a value raises :class:`ConfigError` naming the path and what exists there.
    """
    out = copy.deepcopy(obj)
    parts = path.split(".")
    node: Any = out
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(parts[: i + 1])
        if isinstance(node, list):
            try:
                idx = int(part)
                node[idx]
            except (ValueError, IndexError):
                raise ConfigError(
                    f"plan override {path!r}: {here!r} needs a list index 0..{len(node) - 1}"
                ) from None
            if last:
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
            else:
                if part not in node:
                    keys = ", ".join(map(str, node)) or "(none)"
                    raise ConfigError(
                        f"plan override {path!r}: no key {part!r} at "
                        f"{'.'.join(parts[:i]) or 'top level'}; keys there: {keys}"
                    )
                node = node[part]
        else:
            raise ConfigError(
                f"plan override {path!r}: {'.'.join(parts[:i])!r} is a value ({node!r}), "
                "not a mapping or list"
            )
    return out


def apply_overrides(plan: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The plan dict with ``overrides`` (dotted paths or nested mappings) applied."""
    out: dict[str, Any] = copy.deepcopy(dict(plan))
    for path, value in _flatten(overrides).items():
        out = set_path(out, path, value)
    return out


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        p = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(_flatten(v, f"{p}."))
        else:
            out[p] = v
    return out


def _read_mapping(p: Path) -> dict[str, Any]:
    """The settings mapping of scenario file ``p`` (empty for an empty file)."""
    if not p.is_file():
        raise ConfigError(f"scenario file {p} does not exist")
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{p}: a scenario file holds a mapping of settings")
    return raw


def read_scenarios(path: str | Path) -> list[Scenario]:
    """The scenarios of one YAML file: a single scenario, or a sweep.

    A sweep file holds a ``grid`` of dotted setting paths to lists of values, and either a
    ``base`` scenario file (relative to the sweep file) or inline base settings, or both (inline
    settings then change the base)::

        base: base.yaml
        quota: {method: blend}
        grid:
          quota.over_assignment: [0.05, 0.10, 0.15]
          comp.revenue_shock: [0.0, -0.10]

    Scenario names are ``<name or file stem>__<key>=<value>...``.
    """
    p = Path(path)
    raw = _read_mapping(p)
    if "grid" not in raw:
        return [Scenario.from_yaml(p)]
    raw = dict(raw)
    grid = raw.pop("grid")
    if not isinstance(grid, dict) or not grid:
        raise ConfigError(
            f"{p}: 'grid' must map dotted setting paths to lists of values, e.g. "
            "{'quota.over_assignment': [0.1, 0.15]}"
        )
    base_file = raw.pop("base", None)
    name = raw.pop("name", p.stem)
    if base_file is not None:
        bp = Path(base_file)
        bp = bp if bp.is_absolute() else p.parent / bp
        base = Scenario.from_yaml(bp)
        if raw:
            base = base.with_updates(_flatten_settings(raw), name=name)
        else:
            base = base.model_copy(update={"name": name})
    else:
        raw["name"] = name
        base = Scenario.from_dict(raw, source=str(p)).resolve_paths(p.parent)
    try:
        return Scenario.grid(base, grid)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def _from_base(p: Path, raw: Mapping[str, Any]) -> Scenario:
    """The scenario of file ``p`` that names a ``base`` scenario file and changes it."""
    raw = dict(raw)
    base_file = raw.pop("base")
    if not isinstance(base_file, str):
        raise ConfigError(f"{p}: 'base' names a scenario file, e.g. base: base.yaml")
    bp = Path(base_file)
    bp = bp if bp.is_absolute() else p.parent / bp
    if bp.resolve() == p.resolve():
        raise ConfigError(f"{p}: a scenario cannot be its own base")
    name = raw.pop("name", p.stem)
    if "data" in raw and raw["data"] != "example" and not Path(raw["data"]).is_absolute():
        raw["data"] = str((p.parent / raw["data"]).resolve())
    base = Scenario.from_yaml(bp)
    try:
        return base.with_updates(_flatten_settings(raw), name=name)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def _flatten_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Nested settings as dotted paths, stopping at free mappings and plain values."""
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if isinstance(v, Mapping) and k in ("territory", "forecast", "quota", "comp"):
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out
