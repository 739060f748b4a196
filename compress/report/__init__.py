"""``report``: experiment folders -> statistics tables, Pareto fronts, figures, report.md/.html.

Modules, one concept each: :mod:`~compress.report.loading` (folders -> one row per run),
:mod:`~compress.report.statistics` (hypothesis tests, effect sizes, Holm),
:mod:`~compress.report.pareto` (non-dominated runs), :mod:`~compress.report.tables` (summary,
sensitivity and their Markdown/LaTeX/HTML forms), :mod:`~compress.report.figures` (every plot, one
style), :mod:`~compress.report.rendering` (report.md and the self-contained report.html) and
:mod:`~compress.report.command` (the CLI and writing the report folder).
"""
