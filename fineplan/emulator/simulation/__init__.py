"""Simulated training: a job's plan (resolved hyperparameters, durations), its lazy timeline, and its metrics."""
