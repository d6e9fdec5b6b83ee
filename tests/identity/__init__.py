"""Unit tests of phalanx.identity."""
