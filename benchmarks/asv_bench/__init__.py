"""nncore's asv suite (see ../asv.conf.json and BENCHMARKS.md at the repository root)."""
