"""Incentive comp plans: the YAML schema (pydantic) and the exact, vectorised payout engine.

A plan has one entry per **role** (``AE``, ``Enterprise AE``, ...). Each role has a base salary
and a target incentive (TI, the incentive paid at 100% on every measure), or an on-target earnings
figure (OTE) and a pay mix such as ``"50/50"`` (base / incentive). Its incentive is split over
**measures** by weight; each measure has a quota source and a pay curve:

* ``threshold``: nothing is paid below this attainment;
* ``tiers`` (``from``, ``to``, ``rate``) in ``tier_mode`` ``marginal`` (each rate pays the
  attainment inside its tier) or ``retroactive`` (the rate of the tier reached pays all
  attainment from the first tier's start); a rate above 1 is an accelerator, below 1 a
  decelerator. ``rate`` is the payout, as a multiple of the measure's target incentive, per unit
  of attainment (``basis: target_incentive``), or a commission rate in currency per currency of
  credited value (``basis: revenue``: the payout is ``quota * f(attainment)``);
* ``cap``: the largest payout of the measure as a multiple of its target incentive;
  ``attainment_cap``: the largest attainment credited.

Between measures: **gates** (below ``min_attainment`` on one measure, the gated measures pay
nothing, or at most ``cap`` times their target incentive: a hurdle) and **linked modifiers**
(the payout of some measures is multiplied by a step function of another measure's
attainment). Around them: **SPIFs** (a fixed bonus when a measure reaches an attainment),
a **draw** (a guaranteed advance for the first months: non-recoverable, or recoverable from
later earnings), **clawbacks** (commission paid on revenue that churns within the window is
taken back) and **proration** of a mid-year hire's incentive and base by the active share of
the year.

Order of the payout of one rep (``payout_detail``):

1. each measure's curve at its credited attainment: ``pay_m = TI * weight_m * f_m(a_m)``;
2. gates, then modifiers, in the order written;
3. clawback: ``recovery * (pay(a) - pay(a - churned))`` on the clawback's measures;
4. proration: measure pay and clawback times the active share;
5. SPIFs (prorated only when ``prorate: true``);
6. draw: ``earned`` = measures + SPIFs - clawback. Non-recoverable: the company tops the
   earnings of the draw months up to the draw, ``max(0, amount * months - earned * months /
   active_months)``; recoverable: the shortfall is advanced and recovered from later earnings,
   and only ``write_off`` of the balance left at year end, ``max(0, amount * months -
   earned)``, is a cost.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from spmopt.comp.curves import PayCurve, build_curve
from spmopt.errors import ConfigError
from spmopt.settings_errors import format_validation_error

__all__ = [
    "AttainmentModel",
    "Clawback",
    "CompPlan",
    "Draw",
    "Gate",
    "Measure",
    "Modifier",
    "ModifierStep",
    "Role",
    "Spif",
    "Tier",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tier(BaseModel):
    """One tier of a pay curve: attainment ``from`` (inclusive) to ``to`` (exclusive, None = open)
    paying ``rate`` per unit of attainment."""

    model_config = _STRICT

    start: float = Field(alias="from", ge=0)
    end: float | None = Field(default=None, alias="to")
    rate: float = Field(ge=0)

    @model_validator(mode="after")
    def _order(self) -> Tier:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"tier 'to' ({self.end}) must be above 'from' ({self.start})")
        return self


class AttainmentModel(BaseModel):
    """How :func:`spmopt.comp.simulate` draws a measure that is not revenue.

    ``a = link * a_revenue + (1 - link) * X``, with ``X`` lognormal of mean ``mean`` and standard
    deviation ``sd``, independent between reps and draws: ``link`` 0 makes the measure
    independent of revenue, 1 makes it move with revenue attainment.
    """

    model_config = _STRICT

    mean: float = Field(default=1.0, gt=0)
    sd: float = Field(default=0.25, ge=0)
    link: float = Field(default=0.5, ge=0, le=1)


class Measure(BaseModel):
    """One measure of a role's plan (see the module docstring)."""

    model_config = _STRICT

    name: str = Field(min_length=1)
    weight: float = Field(gt=0, le=1)
    quota_source: Literal["revenue", "margin", "units"] = "revenue"
    basis: Literal["target_incentive", "revenue"] = "target_incentive"
    threshold: float = Field(default=0.0, ge=0)
    tiers: list[Tier] = Field(min_length=1)
    tier_mode: Literal["marginal", "retroactive"] = "marginal"
    cap: float | None = Field(default=None, gt=0)
    attainment_cap: float | None = Field(default=None, gt=0)
    attainment_model: AttainmentModel | None = None

    @model_validator(mode="after")
    def _contiguous(self) -> Measure:
        for i, (a, b) in enumerate(zip(self.tiers[:-1], self.tiers[1:], strict=True)):
            if a.end is None:
                raise ValueError(
                    f"tier {i} of measure '{self.name}' has no 'to' but is not the last tier: "
                    "only the last tier may be open"
                )
            if abs(a.end - b.start) > 1e-12:
                raise ValueError(
                    f"tiers of measure '{self.name}' must be contiguous: tier {i} ends at "
                    f"{a.end}, tier {i + 1} starts at {b.start}"
                )
        return self

    def curve(self) -> PayCurve:
        """The measure's pay curve (payout factor against attainment)."""
        return build_curve(
            [(t.start, t.end, t.rate) for t in self.tiers],
            threshold=self.threshold,
            mode=self.tier_mode,
            cap=self.cap,
            attainment_cap=self.attainment_cap,
        )


class Gate(BaseModel):
    """Below ``min_attainment`` on ``measure``, the measures in ``applies_to`` (all when None) pay
    nothing (``effect: zero``) or at most ``cap`` times their target incentive (``effect: cap``,
    a hurdle)."""

    model_config = _STRICT

    measure: str
    min_attainment: float = Field(ge=0)
    applies_to: list[str] | None = None
    effect: Literal["zero", "cap"] = "zero"
    cap: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _cap_given(self) -> Gate:
        if self.effect == "cap" and self.cap is None:
            raise ValueError("a gate with effect 'cap' needs 'cap' (payout multiple of TI)")
        return self


class ModifierStep(BaseModel):
    """From attainment ``from`` of the driving measure on, multiply by ``multiplier``."""

    model_config = _STRICT

    start: float = Field(alias="from", ge=0)
    multiplier: float = Field(ge=0)


class Modifier(BaseModel):
    """A linked modifier: the payout of ``applies_to`` (all other measures when None) times a step
    function of ``measure``'s attainment (1 below the first step)."""

    model_config = _STRICT

    measure: str
    applies_to: list[str] | None = None
    steps: list[ModifierStep] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _ascending(cls, v: list[ModifierStep]) -> list[ModifierStep]:
        starts = [s.start for s in v]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValueError(f"modifier steps must have strictly ascending 'from', got {starts}")
        return v


class Spif(BaseModel):
    """A sales incentive: ``amount`` [currency] paid once when ``measure`` reaches
    ``min_attainment``."""

    model_config = _STRICT

    name: str
    amount: float = Field(ge=0)
    measure: str
    min_attainment: float = Field(ge=0)
    prorate: bool = False


class Draw(BaseModel):
    """A draw: ``amount`` [currency/month] advanced for the first ``months`` active months."""

    model_config = _STRICT

    amount: float = Field(ge=0)
    months: int = Field(ge=1, le=12)
    recoverable: bool = False
    write_off: float = Field(default=0.0, ge=0, le=1)


class Clawback(BaseModel):
    """Take back commission on credited value that churns within ``window_months``.

    ``churn_rate`` is the share of credited value expected to churn (used by the simulator when
    no churn is given); ``recovery`` the share of the clawback actually recovered.
    """

    model_config = _STRICT

    window_months: int = Field(default=6, ge=1, le=36)
    churn_rate: float = Field(default=0.0, ge=0, le=1)
    recovery: float = Field(default=1.0, ge=0, le=1)
    applies_to: list[str] | None = None


class Role(BaseModel):
    """The plan of one role."""

    model_config = _STRICT

    base_salary: float | None = Field(default=None, ge=0)
    target_incentive: float | None = Field(default=None, gt=0)
    ote: float | None = Field(default=None, gt=0)
    pay_mix: str | None = None
    measures: list[Measure] = Field(min_length=1)
    gates: list[Gate] = Field(default_factory=list)
    modifiers: list[Modifier] = Field(default_factory=list)
    spifs: list[Spif] = Field(default_factory=list)
    draw: Draw | None = None
    clawback: Clawback | None = None
    proration: Literal["monthly", "daily", "none"] = "monthly"

    @model_validator(mode="after")
    def _check(self) -> Role:
        if self.ote is not None or self.pay_mix is not None:
            if self.ote is None or self.pay_mix is None:
                raise ValueError(
                    "give 'ote' and 'pay_mix' together (e.g. ote: 170000, pay_mix: '50/50')"
                )
            if self.target_incentive is not None or self.base_salary is not None:
                raise ValueError(
                    "give either 'ote' + 'pay_mix' or 'base_salary' + 'target_incentive', not both"
                )
            m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*", self.pay_mix)
            if m is None or abs(float(m[1]) + float(m[2]) - 100) > 1e-9:
                raise ValueError(
                    f"pay_mix must read 'base/incentive' in percent adding to 100, such as "
                    f"'50/50' or '70/30'; got {self.pay_mix!r}"
                )
        elif self.target_incentive is None:
            raise ValueError("give 'target_incentive' (with 'base_salary') or 'ote' + 'pay_mix'")
        names = [m.name for m in self.measures]
        if len(set(names)) != len(names):
            raise ValueError(f"measure names must be unique, got {names}")
        total = sum(m.weight for m in self.measures)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"measure weights must add to 1, got {total:g} ({names})")
        refs: list[tuple[str, str]] = []
        for g in self.gates:
            refs += [("gates.measure", g.measure)] + [
                ("gates.applies_to", x) for x in g.applies_to or []
            ]
        for md in self.modifiers:
            refs += [("modifiers.measure", md.measure)] + [
                ("modifiers.applies_to", x) for x in md.applies_to or []
            ]
        refs += [("spifs.measure", s.measure) for s in self.spifs]
        if self.clawback is not None:
            refs += [("clawback.applies_to", x) for x in self.clawback.applies_to or []]
        for key, ref in refs:
            if ref not in names:
                raise ValueError(f"{key} names measure '{ref}'; allowed: {', '.join(names)}")
        return self

    @property
    def incentive_target(self) -> float:
        """Target incentive [currency/yr] (from OTE and pay mix when given that way)."""
        if self.target_incentive is not None:
            return float(self.target_incentive)
        assert self.ote is not None and self.pay_mix is not None
        base_pct = float(self.pay_mix.split("/")[0])
        return float(self.ote) * (100.0 - base_pct) / 100.0

    @property
    def base(self) -> float:
        """Base salary [currency/yr]."""
        if self.ote is not None and self.pay_mix is not None:
            return float(self.ote) - self.incentive_target
        return float(self.base_salary or 0.0)

    @property
    def measure_names(self) -> list[str]:
        return [m.name for m in self.measures]

    def is_simple(self) -> bool:
        """One measure paid on target incentive, with no gate, modifier, SPIF, draw or clawback:
        the Monte Carlo kernel's fast path."""
        return (
            len(self.measures) == 1
            and self.measures[0].basis == "target_incentive"
            and not self.gates
            and not self.modifiers
            and not self.spifs
            and self.draw is None
            and (self.clawback is None or self.clawback.churn_rate == 0)
        )


class _PlanModel(BaseModel):
    model_config = _STRICT

    name: str = "comp plan"
    currency: str = "USD"
    plan_year: int | None = Field(default=None, ge=1900, le=2200)
    roles: dict[str, Role] = Field(min_length=1)


Array = NDArray[np.float64]


class CompPlan:
    """An incentive comp plan (validated), with an exact vectorised payout.

    Build it with :meth:`from_yaml` or :meth:`from_dict`; the schema is described in the
    module docstring of :mod:`spmopt.comp.plan` and in ``data/example/plan.yaml``.

    Examples
    --------
    >>> plan = CompPlan.from_dict({"roles": {"AE": {"base_salary": 80_000,
    ...     "target_incentive": 80_000, "measures": [{"name": "revenue", "weight": 1,
    ...     "tiers": [{"from": 0, "to": 1, "rate": 1}, {"from": 1, "rate": 2}]}]}}})
    >>> plan.payout([0.5, 1.0, 1.25]).tolist()
    [40000.0, 80000.0, 120000.0]
    """

    def __init__(self, model: _PlanModel) -> None:
        self._m = model
        self._curves = {
            (r, m.name): m.curve() for r, role in model.roles.items() for m in role.measures
        }

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: str = "plan") -> CompPlan:
        """Validate a mapping (as read from ``plan.yaml``).

        Raises
        ------
        spmopt.ConfigError
            Naming each wrong key with the allowed keys or values.
        """
        if not isinstance(raw, Mapping):
            raise ConfigError(f"{source}: a comp plan must be a mapping, got {type(raw).__name__}")
        try:
            return cls(_PlanModel.model_validate(dict(raw)))
        except ValidationError as exc:
            raise ConfigError(
                format_validation_error(exc, source, _PlanModel, "comp plan")
            ) from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> CompPlan:
        """Read and validate a plan YAML file."""
        p = Path(path)
        try:
            raw = yaml.safe_load(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{p}: plan file not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from None
        return cls.from_dict(raw or {}, source=str(p))

    def to_dict(self) -> dict[str, Any]:
        """The plan as a plain mapping (YAML keys), round-trips through :meth:`from_dict`."""
        return self._m.model_dump(by_alias=True, exclude_none=True, exclude_defaults=False)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    # -- accessors ------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._m.name

    @property
    def currency(self) -> str:
        return self._m.currency

    @property
    def plan_year(self) -> int | None:
        return self._m.plan_year

    @property
    def roles(self) -> dict[str, Role]:
        return dict(self._m.roles)

    def role(self, name: str | None = None) -> Role:
        """The plan of role ``name`` (the only role when None)."""
        return self._m.roles[self._role_name(name)]

    def curve(self, role: str | None = None, measure: str | None = None) -> PayCurve:
        """The pay curve of one measure of one role."""
        r = self._role_name(role)
        names = self._m.roles[r].measure_names
        if measure is None:
            if len(names) != 1:
                raise ConfigError(f"role '{r}' has measures {names}: name one (measure=...)")
            measure = names[0]
        if measure not in names:
            raise ConfigError(f"role '{r}' has no measure '{measure}'; allowed: {names}")
        return self._curves[(r, measure)]

    def _role_name(self, name: str | None) -> str:
        roles = list(self._m.roles)
        if name is None:
            if len(roles) != 1:
                raise ConfigError(f"the plan has roles {roles}: name one (role=...)")
            return roles[0]
        if name not in self._m.roles:
            close = difflib.get_close_matches(name, roles, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"role '{name}' is not in the plan{hint}; roles: {roles}")
        return name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CompPlan) and self._m == other._m

    def __hash__(self) -> int:
        return hash(self.to_yaml())

    def __repr__(self) -> str:
        parts = []
        for r, role in self._m.roles.items():
            parts.append(f"{r}: TI {role.incentive_target:,.0f}, {len(role.measures)} measure(s)")
        return f"CompPlan({self.name!r}, {self.currency}; " + "; ".join(parts) + ")"

    # -- variants -------------------------------------------------------------------------------
    def replace_role(self, role: str, **changes: Any) -> CompPlan:
        """A new plan with fields of one role replaced (validated)."""
        d = self.to_dict()
        d["roles"][self._role_name(role)].update(changes)
        return CompPlan.from_dict(d, source=f"{self.name} (variant)")

    def with_accelerator(self, factor: float, above: float = 1.0) -> CompPlan:
        """A variant whose tier rates from attainment ``above`` on are multiplied by ``factor``
        (a steeper accelerator for factor > 1)."""
        if factor < 0:
            raise ConfigError(f"accelerator factor must be >= 0, got {factor}")
        d = self.to_dict()
        for role in d["roles"].values():
            for m in role["measures"]:
                for t in m["tiers"]:
                    if t["from"] >= above - 1e-12:
                        t["rate"] = t["rate"] * factor
        return CompPlan.from_dict(d, source=f"{self.name} (accelerator x{factor:g})")

    # -- payout ---------------------------------------------------------------------------------
    def payout(
        self,
        attainment: ArrayLike | Mapping[str, ArrayLike],
        role: str | None = None,
        *,
        target_incentive: ArrayLike | None = None,
        quota: ArrayLike | Mapping[str, ArrayLike] | None = None,
        active_share: ArrayLike = 1.0,
        churned: ArrayLike | Mapping[str, ArrayLike] | None = None,
    ) -> Array:
        """Incentive cost [currency/yr] of reps of one role at the given attainment.

        Exact (float64) and vectorised: every argument broadcasts against the attainment.

        Parameters
        ----------
        attainment : array_like or mapping of measure name to array_like
            Credited value / quota (1.0 = 100%). An array for a one-measure role.
        role : str, optional
            Role name (the only role when None).
        target_incentive : array_like, optional
            Each rep's target incentive [currency/yr] (default the role's).
        quota : array_like or mapping, optional
            Quota [currency/yr] of the measures paid as commission rates (``basis: revenue``).
        active_share : array_like
            Share of the plan year the rep is active (proration), in [0, 1].
        churned : array_like or mapping, optional
            Credited value churned inside the clawback window, as a share of quota (same units
            as attainment). Default: the clawback's ``churn_rate`` times the attainment.

        Returns
        -------
        ndarray
            Incentive cost per rep, the broadcast shape of the inputs.
        """
        return self.payout_detail(
            attainment,
            role,
            target_incentive=target_incentive,
            quota=quota,
            active_share=active_share,
            churned=churned,
        )["incentive"]

    def payout_detail(
        self,
        attainment: ArrayLike | Mapping[str, ArrayLike],
        role: str | None = None,
        *,
        target_incentive: ArrayLike | None = None,
        quota: ArrayLike | Mapping[str, ArrayLike] | None = None,
        active_share: ArrayLike = 1.0,
        churned: ArrayLike | Mapping[str, ArrayLike] | None = None,
    ) -> dict[str, Array]:
        """Like :meth:`payout`, with the components: ``measure:<name>`` (after gates, modifiers
        and proration), ``clawback``, ``spif``, ``draw`` (cost of the draw beyond earnings),
        ``draw_advance`` (cash advanced beyond earnings), ``earned`` and ``incentive``."""
        rname = self._role_name(role)
        r = self._m.roles[rname]
        att = _as_measure_map(attainment, r.measure_names, "attainment", rname)
        ti = np.asarray(
            r.incentive_target if target_incentive is None else target_incentive, dtype=np.float64
        )
        share = np.asarray(active_share, dtype=np.float64)
        quotas = (
            _as_measure_map(quota, r.measure_names, "quota", rname, partial=True)
            if quota is not None
            else {}
        )
        for m in r.measures:
            if m.basis == "revenue" and m.name not in quotas:
                raise ConfigError(
                    f"measure '{m.name}' of role '{rname}' pays commission rates "
                    "(basis: revenue): pass its quota (quota=...)"
                )
        pays = self._measure_pays(rname, att, ti, quotas)
        shape = np.broadcast_shapes(*(p.shape for p in pays.values()), share.shape)
        clawback = np.zeros(shape)
        if r.clawback is not None:
            cb = r.clawback
            targets = cb.applies_to or r.measure_names
            if churned is None:
                ch = {k: np.asarray(v) * cb.churn_rate for k, v in att.items()}
            else:
                ch = _as_measure_map(churned, r.measure_names, "churned", rname, partial=True)
            if any(np.any(np.asarray(v) != 0) for v in ch.values()):
                net = {k: att[k] - ch.get(k, 0.0) for k in att}
                net_pays = self._measure_pays(rname, net, ti, quotas)
                for k in targets:
                    clawback = clawback + cb.recovery * np.maximum(pays[k] - net_pays[k], 0.0)
        out: dict[str, Array] = {}
        earned = np.zeros(shape)
        for k, v in pays.items():
            out[f"measure:{k}"] = np.broadcast_to(v * share, shape).astype(np.float64)
            earned = earned + out[f"measure:{k}"]
        clawback = clawback * share
        spif = np.zeros(shape)
        for s in r.spifs:
            hit = np.asarray(att[s.measure]) >= s.min_attainment
            spif = spif + np.where(hit, s.amount * (share if s.prorate else 1.0), 0.0)
        earned = earned + spif - clawback
        draw_cost = np.zeros(shape)
        advance = np.zeros(shape)
        if r.draw is not None and r.draw.amount > 0:
            d = r.draw
            active_months = np.maximum(12.0 * share, 1e-12)
            months = np.minimum(float(d.months), active_months)
            guaranteed = d.amount * months
            advance = np.maximum(guaranteed - earned * months / active_months, 0.0)
            if d.recoverable:
                draw_cost = d.write_off * np.maximum(guaranteed - earned, 0.0)
            else:
                draw_cost = advance
            draw_cost = np.where(share > 0, draw_cost, 0.0)
            advance = np.where(share > 0, advance, 0.0)
        out["clawback"] = np.broadcast_to(clawback, shape).astype(np.float64)
        out["spif"] = np.broadcast_to(spif, shape).astype(np.float64)
        out["earned"] = np.broadcast_to(earned, shape).astype(np.float64)
        out["draw"] = np.broadcast_to(draw_cost, shape).astype(np.float64)
        out["draw_advance"] = np.broadcast_to(advance, shape).astype(np.float64)
        out["incentive"] = out["earned"] + out["draw"]
        return out

    def _measure_pays(
        self,
        rname: str,
        att: Mapping[str, Any],
        ti: Array,
        quotas: Mapping[str, Any],
    ) -> dict[str, Array]:
        r = self._m.roles[rname]
        pays: dict[str, Array] = {}
        for m in r.measures:
            f = self._curves[(rname, m.name)](att[m.name])
            if m.basis == "revenue":
                pays[m.name] = np.asarray(quotas[m.name], dtype=np.float64) * f
                if m.cap is not None:
                    pays[m.name] = np.minimum(pays[m.name], m.cap * ti * m.weight)
            else:
                pays[m.name] = ti * m.weight * f
        for g in r.gates:
            below = np.asarray(att[g.measure]) < g.min_attainment
            for k in g.applies_to or r.measure_names:
                w = next(x.weight for x in r.measures if x.name == k)
                limited = 0.0 if g.effect == "zero" else np.minimum(pays[k], (g.cap or 0) * ti * w)
                pays[k] = np.where(below, limited, pays[k])
        for md in r.modifiers:
            starts = np.array([s.start for s in md.steps])
            mult = np.concatenate([[1.0], [s.multiplier for s in md.steps]])
            factor = mult[np.searchsorted(starts, np.asarray(att[md.measure]), side="right")]
            for k in md.applies_to or [n for n in r.measure_names if n != md.measure]:
                pays[k] = pays[k] * factor
        return pays


def _as_measure_map(
    x: Any, names: list[str], what: str, role: str, partial: bool = False
) -> dict[str, Any]:
    if isinstance(x, Mapping):
        unknown = [k for k in x if k not in names]
        if unknown:
            raise ConfigError(
                f"{what}: unknown measure(s) {unknown} for role '{role}'; allowed: {names}"
            )
        missing = [n for n in names if n not in x]
        if missing and not partial:
            raise ConfigError(f"{what}: missing measure(s) {missing} for role '{role}'")
        return {k: np.asarray(v, dtype=np.float64) for k, v in x.items()}
    if len(names) != 1:
        raise ConfigError(
            f"role '{role}' has {len(names)} measures {names}: pass {what} as a mapping "
            "{measure: values}"
        )
    return {names[0]: np.asarray(x, dtype=np.float64)}
