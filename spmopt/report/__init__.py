"""The HTML report of a scenario or a batch, and its figures.

>>> import spmopt as spm
>>> res = spm.scenario.run(spm.Scenario())                      # doctest: +SKIP
>>> spm.report.write_html(res, "out/report.html")              # doctest: +SKIP
"""

from spmopt.report.figures import (
    attainment_figure,
    balance_figure,
    cost_figure,
    fan_figure,
    map_figure,
    tradeoff_figure,
)
from spmopt.report.html import render_html, write_html

__all__ = [
    "attainment_figure",
    "balance_figure",
    "cost_figure",
    "fan_figure",
    "map_figure",
    "render_html",
    "tradeoff_figure",
    "write_html",
]
