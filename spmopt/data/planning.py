"""``PlanningData``: everything one planning cycle starts from, and its readers and writers."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from spmopt.data.targets import PlanningTargets
from spmopt.data.validate import validate_tables
from spmopt.errors import ConfigError, DataError
from spmopt.io_utils import atomic_dir, atomic_write_frame

__all__ = ["PlanningData", "read_planning_data"]

_TABLES = ("accounts", "reps", "sales")


@dataclass(frozen=True, repr=False)
class PlanningData:
    """The inputs of a planning cycle.

    Attributes
    ----------
    accounts : DataFrame
        One row per account (see :data:`spmopt.data.schema.ACCOUNTS`).
    reps : DataFrame
        One row per rep, each holding one territory.
    sales : DataFrame
        Monthly revenue per account, long format (``account_id``, ``period``, ``revenue``).
    plan : dict or None
        The incentive comp plan as read from ``plan.yaml``; validated by
        :class:`spmopt.comp.CompPlan`.
    targets : PlanningTargets or None
        Company revenue target and financial guard-rails (``targets.yaml``).
    source : str
        Where the data came from (a folder, ``"example"`` or ``"synthetic"``).
    """

    accounts: pd.DataFrame
    reps: pd.DataFrame
    sales: pd.DataFrame
    plan: dict[str, Any] | None = None
    targets: PlanningTargets | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        n_months = self.sales["period"].nunique() if "period" in self.sales else 0
        return (
            f"PlanningData(source={self.source!r}, accounts={len(self.accounts):,}, "
            f"reps={len(self.reps):,}, sales={len(self.sales):,} rows over {n_months} months, "
            f"plan={'yes' if self.plan else 'no'}, targets={'yes' if self.targets else 'no'})"
        )

    def issues(self) -> list[DataError]:
        """Every problem found in the tables, without raising."""
        return validate_tables(self.accounts, self.reps, self.sales)[1]

    def validate(self) -> PlanningData:
        """Check every table and return a copy with normalised dtypes.

        Raises
        ------
        spmopt.DataError
            The first problem found, naming table, column, rows and the fix; the message says
            how many further problems exist.
        """
        tables, errors = validate_tables(self.accounts, self.reps, self.sales)
        if errors:
            first = errors[0]
            if len(errors) > 1:
                more = "; ".join(str(e) for e in errors[1:4])
                first.args = (f"{first.args[0]}\n  ({len(errors) - 1} further problem(s): {more})",)
            raise first
        return dataclasses.replace(self, **{k: v for k, v in tables.items() if v is not None})

    def summary(self) -> pd.DataFrame:
        """One-column overview of the data (counts, totals, history span)."""
        a, r, s = self.accounts, self.reps, self.sales
        per = pd.to_datetime(s["period"])
        last12 = s[per > per.max() - pd.DateOffset(months=12)]["revenue"].sum()
        rows: dict[str, object] = {
            "accounts": len(a),
            "reps (territories)": len(r),
            "regions": r["region"].nunique() if "region" in r else None,
            "districts": r["district"].nunique() if "district" in r else None,
            "total potential [/yr]": float(a["potential"].sum()),
            "total workload [h/yr]": float(a["workload"].sum()),
            "sales rows": len(s),
            "history": f"{per.min():%Y-%m} to {per.max():%Y-%m} ({per.nunique()} months)",
            "revenue, last 12 months": float(last12),
        }
        if "current_territory" in a:
            pot = a.groupby("current_territory")["potential"].sum()
            rows["current potential spread (max/min)"] = float(pot.max() / max(pot.min(), 1e-9))
        if "locked_territory" in a:
            rows["locked accounts"] = int(a["locked_territory"].notna().sum())
        if self.targets is not None:
            rows["plan year"] = self.targets.plan_year
            rows["company revenue target"] = self.targets.company_revenue_target
        return pd.DataFrame({"value": pd.Series(rows, dtype=object)})

    def write(self, path: str | Path, format: str = "csv") -> Path:
        """Write the tables (CSV or Parquet), ``plan.yaml`` and ``targets.yaml`` to a folder.

        The folder is built aside and moved into place, so a failed write leaves nothing
        half-written.
        """
        if format not in ("csv", "parquet"):
            raise ConfigError(f"format={format!r}: allowed 'csv' or 'parquet'")
        path = Path(path)
        with atomic_dir(path) as tmp:
            for name in _TABLES:
                frame: pd.DataFrame = getattr(self, name)
                if format == "csv" and "period" in frame:
                    frame = frame.assign(
                        period=pd.to_datetime(frame["period"]).dt.strftime("%Y-%m-%d")
                    )
                atomic_write_frame(frame, tmp / f"{name}.{format}")
            if self.plan is not None:
                (tmp / "plan.yaml").write_text(
                    yaml.safe_dump(self.plan, sort_keys=False), encoding="utf-8"
                )
            if self.targets is not None:
                (tmp / "targets.yaml").write_text(self.targets.to_yaml(), encoding="utf-8")
        return path


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    for suffix in (".parquet", ".csv", ".csv.gz"):
        p = folder / f"{name}{suffix}"
        if p.exists():
            try:
                if suffix == ".parquet":
                    return pd.read_parquet(p)
                return pd.read_csv(
                    p,
                    dtype={
                        "account_id": "str",
                        "rep_id": "str",
                        "territory_id": "str",
                        "current_territory": "str",
                        "locked_territory": "str",
                        "basic_unit": "str",
                    },
                )
            except (OSError, ValueError, pd.errors.ParserError) as exc:
                raise DataError(
                    f"cannot read {p.name}: {exc}",
                    table=name,
                    fix=f"check that {p} is a valid {suffix.lstrip('.')} file",
                ) from None
    raise DataError(
        f"no {name}.csv or {name}.parquet in {folder}",
        table=name,
        fix=f"put the {name} table in {folder}/{name}.csv (or .parquet)",
    )


def read_planning_data(path: str | Path, validate: bool = True) -> PlanningData:
    """Read a planning folder: ``accounts``, ``reps``, ``sales`` (CSV or Parquet), ``plan.yaml``
    and ``targets.yaml`` (both optional).

    Parameters
    ----------
    path : str or Path
        The folder.
    validate : bool
        Validate and normalise the tables (raises :class:`spmopt.DataError` on the first problem).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            f"planning data folder {folder} does not exist",
            table="accounts",
            fix="give the folder holding accounts.csv, reps.csv and sales.csv",
        )
    tables = {name: _read_table(folder, name) for name in _TABLES}
    plan = None
    if (folder / "plan.yaml").exists():
        try:
            plan = yaml.safe_load((folder / "plan.yaml").read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{folder / 'plan.yaml'}: not valid YAML: {exc}") from None
    targets = None
    if (folder / "targets.yaml").exists():
        targets = PlanningTargets.from_yaml(folder / "targets.yaml")
    data = PlanningData(
        accounts=tables["accounts"],
        reps=tables["reps"],
        sales=tables["sales"],
        plan=plan,
        targets=targets,
        source=str(folder),
    )
    return data.validate() if validate else data
