"""Benchmarks of the AutoScribe server, run on demand with `python -m bench` (see bench/README.md).

Nothing here is imported by the server or collected by pytest.
"""
