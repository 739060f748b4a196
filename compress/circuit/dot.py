"""Graphviz export of the active part of a circuit, and rendering it with ``dot`` when installed.

Inputs are boxes on the left, gates ellipses labelled with their function, outputs grouped by
the pin that drives them (a 2,400-output layer has far fewer distinct output pins than outputs).
Edges into two-input gates whose order matters carry ``a``/``b``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from compress.circuit.chromosome import Circuit, function_name
from compress.circuit.tools import require_tool
from compress.circuit.verilog import identifier
from compress.errors import CompressError

_ORDERED = {2: ("a", "b")}
RENDER_FORMATS = ("png", "svg")


def _node_id(circuit: Circuit, pin: int) -> str:
    return f"i{pin}" if pin < circuit.input_count else f"n{circuit.node_of_pin(pin)}"


def _output_label(outputs: list[int]) -> str:
    shown = ", ".join(str(k) for k in outputs[:8])
    more = f" … (+{len(outputs) - 8})" if len(outputs) > 8 else ""
    return f"out {shown}{more}"


def to_dot(circuit: Circuit, *, name: str = "circuit") -> str:
    """The DOT text of the circuit's active gates."""
    lines = [f"digraph {identifier(name)} {{", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for pin in sorted(p for p in circuit.used_pins if p < circuit.input_count):
        lines.append(f'  i{pin} [shape=box, label="in {pin}"];')
    for index in circuit.active_nodes:
        node = circuit.nodes[index]
        label = f"{function_name(node.function)}\\n#{circuit.pin(index)}"
        lines.append(f'  n{index} [shape=ellipse, label="{label}"];')
        ports = _ORDERED.get(node.function)
        for k, pin in enumerate(circuit.operands(node)):
            attributes = []
            if ports:
                attributes.append(f'label="{ports[k]}"')
            if circuit.output_arity > 1 and pin >= circuit.input_count:
                attributes.append(f'taillabel="{circuit.pin_index(pin)}"')
            suffix = f" [{', '.join(attributes)}]" if attributes else ""
            lines.append(f"  {_node_id(circuit, pin)} -> n{index}{suffix};")
    by_pin: dict[int, list[int]] = {}
    for k, pin in enumerate(circuit.outputs):
        by_pin.setdefault(pin, []).append(k)
    for pin, outputs in by_pin.items():
        lines.append(f'  o{pin} [shape=box, style=rounded, label="{_output_label(outputs)}"];')
        lines.append(f"  {_node_id(circuit, pin)} -> o{pin};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, image_format: str, path: Path) -> None:
    """Render DOT text to ``path`` with Graphviz ``dot`` (``png`` or ``svg``)."""
    if image_format not in RENDER_FORMATS:
        raise CompressError(f"--render must be one of {', '.join(RENDER_FORMATS)}")
    dot = require_tool("dot")
    result = subprocess.run(
        [str(dot), f"-T{image_format}", "-o", str(path)],
        input=dot_text,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise CompressError(f"dot could not render the circuit: {result.stderr.strip()[:300]}")
