"""Phalanx test suite."""
