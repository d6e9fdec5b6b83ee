"""Tests of the self-service flows."""
