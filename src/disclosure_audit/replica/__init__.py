"""A faithful local replica of the LonSun disclosure platform, for demo, tests and benchmarks."""
