"""The alignment in force: which territory and rep hold each account today."""

from __future__ import annotations

import pandas as pd

from spmopt.errors import DataError

__all__ = ["current_assignment"]


def current_assignment(
    accounts: pd.DataFrame, reps: pd.DataFrame, *, require_complete: bool = False
) -> pd.DataFrame:
    """The inherited alignment as an assignment table.

    Built from ``accounts.current_territory`` and the rep holding each territory in ``reps``.

    Parameters
    ----------
    accounts : DataFrame
        Needs ``account_id`` and ``current_territory``.
    reps : DataFrame
        Needs ``territory_id`` and ``rep_id``.
    require_complete : bool
        Raise when an account has no current territory (instead of leaving it unassigned).

    Returns
    -------
    DataFrame
        ``account_id, territory_id, rep_id``, one row per account in the order of ``accounts``.
        ``territory_id`` is missing for an account without a current territory; ``rep_id`` is
        missing for such an account and for a territory no rep holds (vacant).
    """
    if "current_territory" not in accounts.columns:
        raise DataError(
            "no current_territory column: the current alignment is unknown",
            table="accounts",
            column="current_territory",
            fix="add current_territory (the territory each account belongs to today), or pass "
            "an alignment (AlignmentResult or assignment table)",
        )
    rep_of = dict(zip(reps["territory_id"].astype(str), reps["rep_id"].astype(str), strict=True))
    terr = accounts["current_territory"].astype("string")
    out = pd.DataFrame(
        {
            "account_id": accounts["account_id"].astype(str).to_numpy(),
            "territory_id": terr.to_numpy(dtype=object, na_value=None),
            "rep_id": terr.map(rep_of).to_numpy(dtype=object, na_value=None),
        }
    )
    if require_complete:
        missing = out["territory_id"].isna().to_numpy()
        if missing.any():
            raise DataError(
                "accounts without a current territory",
                table="accounts",
                column="current_territory",
                rows=out.loc[missing, "account_id"].tolist(),
                n_rows=int(missing.sum()),
                fix="give every account a current_territory, or pass a complete alignment",
            )
    return out
