"""Revenue forecasting per rep, district, region and total: backtested, calibrated, coherent.

>>> import spmopt as spm
>>> data = spm.load_example()                                         # doctest: +SKIP
>>> asg = spm.forecast.current_assignment(data.accounts, data.reps)   # doctest: +SKIP
>>> hist = spm.forecast.build_history(data.sales, asg, data.reps)     # doctest: +SKIP
>>> fc = spm.forecast.RevenueForecaster(horizon=12).fit(hist).predict()  # doctest: +SKIP
>>> paths = fc.samples(1000, seed=0, level="rep")                     # doctest: +SKIP
"""

from spmopt.forecast.backtest import BacktestResult, backtest
from spmopt.forecast.forecaster import ForecastResult, RevenueForecaster, SamplePaths
from spmopt.forecast.history import LEVELS, build_history, current_assignment
from spmopt.forecast.models import BASELINES, MODELS
from spmopt.forecast.plotting import plot_fan
from spmopt.forecast.reconcile import METHODS, reconcile

__all__ = [
    "BASELINES",
    "LEVELS",
    "METHODS",
    "MODELS",
    "BacktestResult",
    "ForecastResult",
    "RevenueForecaster",
    "SamplePaths",
    "backtest",
    "build_history",
    "current_assignment",
    "plot_fan",
    "reconcile",
]
