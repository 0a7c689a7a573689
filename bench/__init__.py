"""Benchmarks: each module measures a figure against a same-run baseline and prints the ratio."""
