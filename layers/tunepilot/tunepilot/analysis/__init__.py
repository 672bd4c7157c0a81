"""What a tuning job teaches: trials, importance, boundaries, convergence, cost, the next spec, a report.

Pure domain code over typed models. It imports numpy, optuna, matplotlib and jinja2, which live in the
AnalyzeResults function's own layer (``layers/analysis``): no other function imports this package.
"""
