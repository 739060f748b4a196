"""Experiments: which weights feed the circuit and which it must produce."""
