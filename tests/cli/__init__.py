"""Tests of the ``phalanx`` command line."""
