"""Cluster fan-out: PBS and Slurm job scripts, status, merge, resubmission."""
