"""Evolved circuits as hardware: export (Verilog, C, DOT, SymPy), proof by simulation, synthesis.

``chromosome`` reads the engine's chromosome text and finds the active gates; ``verilog``,
``c_source``, ``dot`` and ``symbolic`` write the exports; ``simulate`` runs them under Icarus
Verilog and the system C compiler against the engine's weights; ``synth`` runs Yosys;
``costs`` is the gate table's estimate for the same gates; ``source`` resolves a chromosome
string, ``@file`` or an experiment run.
"""

from compress.circuit.chromosome import Circuit, parse_chromosome
from compress.circuit.synth import SynthesisReport, synthesise

__all__ = ["Circuit", "SynthesisReport", "parse_chromosome", "synthesise"]
