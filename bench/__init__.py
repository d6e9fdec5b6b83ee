"""Phalanx benchmarks: run ``python -m bench [--quick]`` from the repository root.

See ``bench/README.md`` for what each benchmark measures and its targets.
"""
