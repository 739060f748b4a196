"""Experiment actions that fan out over a cluster (train-pbs, train-slurm, status, ...)."""

CLUSTER_ACTIONS: dict = {}
