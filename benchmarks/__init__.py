"""Benchmarks that back zsync's promises with numbers measured against the local emulator.

Never upload a byte twice, never hold a file in memory, never waste a request against Zenodo's
rate limit: each figure prints its value next to a baseline measured in the same run (md5sum,
curl -T, a bare interpreter, stepup-reprep's srr-sync-zenodo), because these machines are noisy
and only ratios travel. Run `python -m benchmarks [--quick] [--only NAME]`; `--quick` uses small
sizes and fails only on invariants that do not depend on timing (request counts, bytes uploaded,
bytes read, the memory bound).
"""
