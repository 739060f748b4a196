"""Driving the C++ CGP engine: config files, data files, the subprocess."""
