"""The scorecard service: balanced scorecards per QSMO and government-wide, with history."""
