"""Property tests on random instances: either exact, bounded quotas or a named diagnosis."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmopt.quota import QuotaSetter

from .helpers import solve, tiny


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 9),
    seed=st.integers(0, 2**31 - 1),
    increment=st.sampled_from([1.0, 500.0, 1000.0, 2500.0]),
    oa=st.floats(0.0, 0.3),
    growth_floor=st.one_of(st.none(), st.floats(-0.2, 0.3)),
    growth_cap=st.one_of(st.none(), st.floats(0.3, 1.0)),
    potential_cap=st.one_of(st.none(), st.floats(0.2, 1.5)),
    method=st.sampled_from(["blend", "potential", "history", "forecast"]),
    period=st.sampled_from(["month", "quarter", "year"]),
    relief=st.sampled_from(["hold", "redistribute"]),
    use_regions=st.booleans(),
    integer_method=st.sampled_from(["mip", "lp_round"]),
)
def test_random_instances(
    n: int,
    seed: int,
    increment: float,
    oa: float,
    growth_floor: float | None,
    growth_cap: float | None,
    potential_cap: float | None,
    method: str,
    period: str,
    relief: str,
    use_regions: bool,
    integer_method: str,
) -> None:
    rng = np.random.default_rng(seed)
    pot = rng.lognormal(12, 1, n).round(-2)
    pot[rng.random(n) < 0.15] = 0.0
    ly = (pot * rng.uniform(0.1, 0.5, n)).round()
    ly[rng.random(n) < 0.15] = 0.0
    fc = np.maximum(ly * rng.uniform(0.8, 1.3, n), pot * 0.05)
    regions = rng.choice(["N", "S"], n).tolist()
    hire = [str(d.date()) for d in rng.choice(pd_dates(), n)]
    vacant = tuple(i for i in range(n) if rng.random() < 0.15)
    inst = tiny(
        pot, ly, fc, regions=regions, districts=[r + "1" for r in regions], hire=hire, vacant=vacant
    )
    target = float(max(fc.sum(), 1.0) * rng.uniform(0.9, 1.2))
    region_targets = None
    if use_regions:
        share = rng.uniform(0.3, 0.7)
        region_targets = {"N": target * share, "S": target * (1 - share)}
        held = {r for i, r in enumerate(regions) if i not in vacant}  # vacant rows have no rep
        region_targets = {k: v for k, v in region_targets.items() if k in held}
        if set(region_targets) != {"N", "S"}:
            region_targets = None
    qs = QuotaSetter(
        company_target=target,
        over_assignment=oa,
        method=method,
        increment=increment,
        period=period,
        growth_floor=growth_floor,
        growth_cap=growth_cap,
        potential_cap=potential_cap,
        relief=relief,
        region_targets=region_targets,
        n_draws=50,
        seed=seed,
    )
    res = solve(qs, inst)
    total = np.floor(target * (1 + oa) / increment + 0.5) * increment
    if not res.ok:
        assert res.status == "infeasible"
        assert len(res.conflicts) >= 1 and res.diagnosis
        named = " ".join(res.conflicts["reps"])
        assert any(f"T{i + 1}" in named for i in range(n)) or "region" in res.diagnosis
        return
    q = res.quotas
    a = res.annual
    assert q["territory_quota"].sum() == total
    vals = q[["quota", "held", "territory_quota"]].to_numpy()
    assert (vals >= 0).all() and (np.mod(vals, increment) == 0).all()
    assert (q["quota"] + q["held"] == q["territory_quota"]).all()
    assert (a["territory_quota"] >= a["lower_bound"]).all()
    assert (a["territory_quota"] <= a["upper_bound"]).all()
    if potential_cap is not None and relief == "hold":
        cap = np.where(a["potential"] > 0, potential_cap * a["potential"] + 1e-6, np.inf)
        assert (a["territory_quota"] <= cap).all()
    if region_targets is not None:
        by_r = a.groupby("region")["territory_quota"].sum()
        assert by_r.sum() == total
    assert (a.loc[a["rep_id"].isna(), "quota"] == 0).all()
    n_per = {"month": 12, "quarter": 4, "year": 1}[period]
    assert len(q) == n * n_per


def pd_dates() -> list[object]:
    import pandas as pd

    return list(
        pd.to_datetime(
            ["2010-01-01", "2026-05-01", "2026-11-15", "2027-03-01", "2027-08-20", "2028-02-01"]
        )
    )
