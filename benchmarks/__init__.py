"""Simulation studies of the toolkit's estimators; each writes its result to ``benchmarks/results``."""
