"""Lint: a registry of rules, one small class per code, run over a loaded project and its datasets."""
