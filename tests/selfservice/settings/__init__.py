"""Settings flow: unit tests and the helpers its end-to-end suites share."""
