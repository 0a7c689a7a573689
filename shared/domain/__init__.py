"""The pure domain core of the QSMO performance platform: stdlib and pydantic only.

- ``catalog`` / ``measures``: the framework catalog as validated values;
- ``fiscal``: the federal fiscal calendar and reporting periods;
- ``summaries``: exact, mergeable per-day summaries and period values;
- ``phases``, ``overrides``, ``scoring``: phase gating, admin overrides and scorecards;
- ``open_periods``, ``targets``: the rev. 2 rules (docs/scoring.md §13) — open/closed periods, elapsed share,
  pro-rated and government-wide targets, projections (the services adopt them with #16);
- ``validation``: catalog rules for one observation, as actionable field errors.
- ``framework_changes``: the admin audit log folded into overrides and added QSMOs.

Nothing here does I/O or reads the clock: time is always an argument
(``tests/unit/domain/test_purity.py`` keeps it so).
"""
