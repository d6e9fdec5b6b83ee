"""End-to-end tests against real ``phalanx serve`` processes."""
