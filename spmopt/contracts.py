"""The contract every spmopt estimator and result follows.

Estimators (:class:`~spmopt.territory.TerritoryAligner`,
:class:`~spmopt.forecast.RevenueForecaster`, :class:`~spmopt.quota.QuotaSetter`,
:class:`~spmopt.comp.CompSimulator`) keep their settings as the keyword arguments of
``__init__`` and take data only in ``solve`` / ``fit`` / ``simulate`` (keyword-only after the
first table). :class:`Estimator` gives them the scikit-learn parameter protocol:

* ``get_params()`` returns the settings as given, read from the ``__init__`` signature;
* ``set_params(**settings)`` changes settings **in place** and returns the estimator, dropping
  anything fitted (attributes ending in ``_``); an unknown setting raises
  :class:`~spmopt.errors.ConfigError` naming the key, the closest known key and every allowed
  key;
* ``repr`` shows the settings that differ from their defaults.

Results (frozen dataclasses) share one status vocabulary, :data:`STATUSES`:

================  =====  ========================================================
status            ok     meaning
================  =====  ========================================================
``optimal``       yes    the optimiser proved its answer best (within its gap)
``feasible``      yes    every constraint holds; optimality not proven
``time_limit``    yes    the wall-clock safety cap bound; best answer with its gap
``ok``            yes    a result without an optimiser (forecast, simulation) that passed
``infeasible``    no     the constraints cannot all hold; best compromise attached
``failed``        no     the result exists but fails its checks (e.g. comp cost targets)
``error``         no     a bug or a solver crash; nothing to plan on
================  =====  ========================================================

and the :class:`ResultContract` methods: ``ok``, ``raise_for_status()``, ``summary_row()``
(one flat dict of headline figures, what :func:`spmopt.scenario.summarise` puts in a batch
table) and ``to_frame()`` (the main table).
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import pandas as pd

from spmopt.errors import ConfigError, InfeasibleError

__all__ = [
    "OK_STATUSES",
    "STATUSES",
    "Estimator",
    "Result",
    "ResultContract",
    "check_status",
    "unknown_key_error",
]

STATUSES: tuple[str, ...] = (
    "optimal",
    "feasible",
    "time_limit",
    "ok",
    "infeasible",
    "failed",
    "error",
)
OK_STATUSES: frozenset[str] = frozenset({"optimal", "feasible", "time_limit", "ok"})


def check_status(status: str) -> str:
    """Return ``status`` if it belongs to :data:`STATUSES`, else raise ``ValueError`` (a bug)."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {list(STATUSES)}")
    return status


def unknown_key_error(kind: str, key: str, allowed: list[str] | tuple[str, ...]) -> ConfigError:
    """A :class:`ConfigError` for an unknown setting ``key`` of ``kind``, with the closest match."""
    close = difflib.get_close_matches(key, list(allowed), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{kind}: unknown setting {key!r}{hint}; allowed: {sorted(allowed)}")


class Estimator:
    """Base class giving an estimator scikit-learn's parameter protocol.

    Subclasses store every ``__init__`` argument under the same attribute name, unchanged, and
    validate in ``solve``/``fit`` (or in :meth:`_validate`, which they override), so that
    ``set_params`` followed by ``solve`` sees the new settings.
    """

    #: attributes (besides those ending in ``_``) that hold fitted state, dropped by set_params
    _fitted: ClassVar[tuple[str, ...]] = ()
    #: settings that moved elsewhere: old key -> where it lives now (said in the error)
    _moved: ClassVar[dict[str, str]] = {}

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    @classmethod
    def _defaults(cls) -> dict[str, Any]:
        sig = inspect.signature(cls.__init__)
        return {
            p.name: p.default
            for p in sig.parameters.values()
            if p.name != "self" and p.default is not inspect.Parameter.empty
        }

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The settings as given to ``__init__`` (``deep`` is accepted for scikit-learn)."""
        del deep
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change settings in place and return the estimator; fitted state is dropped.

        Raises
        ------
        ConfigError
            For a setting the estimator does not have (the message names it and the allowed
            keys).
        """
        names = self._param_names()
        for k in params:
            if k in self._moved:
                raise ConfigError(
                    f"{type(self).__name__}: setting {k!r} moved to {self._moved[k]}; "
                    f"allowed: {sorted(names)}"
                )
            if k not in names:
                raise unknown_key_error(type(self).__name__, k, names)
        for k, v in params.items():
            setattr(self, k, v)
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)
        for attr in self._fitted:
            if hasattr(self, attr):
                delattr(self, attr)
        self._validate()
        return self

    def _validate(self) -> None:
        """Check the settings; raise :class:`ConfigError` naming the key. Override."""

    def __repr__(self) -> str:
        defaults = self._defaults()
        parts = []
        for k, v in self.get_params().items():
            if k in defaults and _same(defaults[k], v):
                continue
            parts.append(f"{k}={v!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (ValueError, TypeError):  # arrays, frames: compare identity only
        return a is b


@runtime_checkable
class Result(Protocol):
    """What every spmopt result offers (see the module docstring)."""

    @property
    def status(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    def raise_for_status(self) -> Any: ...

    def summary_row(self) -> dict[str, Any]: ...

    def to_frame(self) -> pd.DataFrame: ...


class ResultContract:
    """Mixin for result dataclasses with a ``status`` field (one of :data:`STATUSES`).

    Subclasses implement :meth:`summary_row` and :meth:`to_frame`, and may override
    :meth:`_problem` to say in words why a result is not ok.
    """

    status: str
    #: what error messages call the result (default: the class name)
    _label: ClassVar[str | None] = None

    @property
    def ok(self) -> bool:
        """Whether the result can be planned on (status optimal, feasible, time_limit or ok)."""
        return self.status in OK_STATUSES

    def _problem(self) -> str:
        """Why the result is not ok, in words (the default names the status)."""
        return f"status {self.status}"

    def raise_for_status(self) -> Self:
        """Return ``self`` when :attr:`ok`; else raise :class:`~spmopt.errors.InfeasibleError`."""
        if not self.ok:
            problem = self._problem()
            raise InfeasibleError(
                f"{self._label or type(self).__name__} is {self.status}: {problem}",
                diagnosis=problem,
            )
        return self

    def summary_row(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """Headline figures as one flat dict (numbers, strings, booleans)."""
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """The result's main table."""
        raise NotImplementedError
