"""Benchmark: a large fictional clinic, page timings and throughput (`make bench`)."""
