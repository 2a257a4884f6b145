"""Revenue forecasting per rep, district, region and total: backtested, calibrated, coherent.

- :func:`build_history` turns sales and an alignment into the long table ``unique_id, ds, y,
  level, parent`` (rep → district → region → total; reps = territories).
- :class:`RevenueForecaster` fits every series at once with numba-compiled and vectorised
  models: naive, seasonal naive, drift, the ETS family (15 state-space models, maximum
  likelihood, AICc per series), the Theta family (standard, optimised, dynamic), automatic
  seasonal ARIMA (unit-root tests, stepwise AICc search, CSS fits) and their combinations
  ``comb``, ``comb4`` (with ARIMA) and ``median``; the global gradient-boosting model ``gbm``
  and ``prophet`` on request. ``model="auto"`` chooses per series from the rolling-origin
  backtest, keeping ``comb4`` unless another model or pair is clearly better for the series.
  Forecasts are reconciled
  (MinT-shrink by default; bottom-up, top-down, MinT-OLS/WLS) and 80/95 % intervals come from
  scaled backtest errors pooled across the series of each level, per step ahead.
- :meth:`ForecastResult.samples` draws coherent sample paths with a common shock across series,
  for the comp simulator; :meth:`ForecastResult.annual` gives plan-year totals per series.
- :func:`backtest` scores a forecaster on rolling origins: MASE, sMAPE, revenue-weighted RMSSE,
  bias, pinball loss and interval coverage, by model and level.

>>> import spmopt as spm
>>> data = spm.load_example()                                         # doctest: +SKIP
>>> asg = spm.forecast.current_assignment(data.accounts, data.reps)   # doctest: +SKIP
>>> hist = spm.forecast.build_history(data.sales, asg, data.reps)     # doctest: +SKIP
>>> fc = spm.forecast.RevenueForecaster(horizon=12).fit(hist).predict()  # doctest: +SKIP
>>> paths = fc.samples(1000, seed=0, level="rep")                     # doctest: +SKIP
"""

from spmopt.data.alignment import current_assignment
from spmopt.forecast.backtest import BacktestResult, backtest
from spmopt.forecast.forecaster import ForecastResult, RevenueForecaster, SamplePaths
from spmopt.forecast.history import LEVELS, build_history
from spmopt.forecast.models import BASELINES, COMBOS, MODELS
from spmopt.forecast.plotting import plot_fan
from spmopt.forecast.reconcile import METHODS, reconcile

__all__ = [
    "BASELINES",
    "COMBOS",
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
