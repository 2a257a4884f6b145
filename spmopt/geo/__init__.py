"""Real geography: basic units from polygons, accounts joined to them, and unit adjacency.

>>> import spmopt as spm
>>> counties = spm.geo.us_counties(states=["GA"])            # doctest: +SKIP
>>> adj = spm.geo.adjacency(counties, rule="rook")            # doctest: +SKIP
"""

from spmopt.geo.units import (
    Geography,
    UnitAdjacency,
    adjacency,
    assign_units,
    build_geography,
    read_units,
    with_geography,
)
from spmopt.geo.us import STATE_FIPS, us_counties, us_states

__all__ = [
    "STATE_FIPS",
    "Geography",
    "UnitAdjacency",
    "adjacency",
    "assign_units",
    "build_geography",
    "read_units",
    "us_counties",
    "us_states",
    "with_geography",
]
