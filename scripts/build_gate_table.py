"""Derive the default 45 nm gate cost table (data_store/gates/gates_45nm.csv) from published figures.

Two gates are measured circuits from EvoApprox8b (Mrazek et al., DATE 2017, PDK45 synthesis):
the exact 8-bit adder ``add8u_0FP`` and the exact 8x8 signed multiplier ``mul8s_1KV6``
(energy = power x delay, the method the thesis used). Every other gate is scaled from the adder
by its standard-cell content, because no published per-circuit figure exists for an 8-bit XOR,
incrementer or multiplexer:

* energy and area scale with the **cell-area-weighted cell count** (switched capacitance grows
  with cell area, to first order): ratio = cell area of the gate's netlist / cell area of an
  8-bit ripple-carry adder built from the same cells (8 x (2 XOR2 + 2 AND2 + OR2) = 51.072 um2);
* delay scales with **logic levels** on the critical path: the ripple-carry reference has 16
  (AND + OR per carry stage), so one level = 0.63 ns / 16 = 0.039 ns, within the range of the
  library's own X1 cell delays (about 0.02–0.05 ns at light load);
* cell areas are those of the NanGate FreePDK45 Open Cell Library, X1 drive (INV 0.532,
  AND2/OR2 1.064, XOR2/XNOR2 1.596, MUX2 1.862 um2; multiples of its 0.266 um2 site);
* shifts by a constant and constants are wiring or tie-offs: 0 pJ, 0 ns, 0 um2.

Run ``python scripts/build_gate_table.py`` to rewrite the table, ``--check`` to verify that
the committed file matches this derivation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compress.energy.functions import (  # noqa: E402
    DEMUX_ID,
    FUNCTION_NAMES,
    MUX_ID,
    demux_name,
    mux_name,
)
from compress.energy.gates import Gate, format_gate_table_csv  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[1] / "data_store" / "gates" / "gates_45nm.csv"

EVOAPPROX = "EvoApprox8b (Mrazek et al., DATE 2017), PDK45"
ADD_POWER_MW, ADD_DELAY_NS, ADD_AREA_UM2 = 0.033, 0.63, 70.4
MUL_POWER_MW, MUL_DELAY_NS, MUL_AREA_UM2 = 0.425, 1.48, 729.8

CELL_AREA_UM2 = {
    "INV": 0.532,
    "AND2": 1.064,
    "OR2": 1.064,
    "XOR2": 1.596,
    "XNOR2": 1.596,
    "MUX2": 1.862,
}
NANGATE = "NanGate FreePDK45 X1 cell areas"
REFERENCE_CELLS = {"XOR2": 16, "AND2": 16, "OR2": 8}
REFERENCE_LEVELS = 16


def cell_area(cells: dict[str, int]) -> float:
    return sum(CELL_AREA_UM2[name] * count for name, count in cells.items())


REFERENCE_AREA = cell_area(REFERENCE_CELLS)


def _round(value: float) -> float:
    """Six significant digits: the estimates are not more precise than that."""
    return float(f"{value:.6g}")


def scaled(function_id: int, name: str, cells: dict[str, int], levels: int, netlist: str) -> Gate:
    ratio = cell_area(cells) / REFERENCE_AREA
    energy = ADD_POWER_MW * ADD_DELAY_NS * ratio
    cell_text = " + ".join(f"{n} {c}" for c, n in cells.items())
    source = (
        f"estimate: {netlist} = {cell_text} ({cell_area(cells):.4g} um2 of {NANGATE}); "
        f"energy and area = exact 8-bit adder ({EVOAPPROX}: {ADD_POWER_MW} mW x "
        f"{ADD_DELAY_NS} ns, {ADD_AREA_UM2} um2) x {ratio:.4f} (cell area relative to an 8-bit "
        f"ripple-carry adder of the same cells, {REFERENCE_AREA:.5g} um2); delay = {levels} "
        f"logic levels x {ADD_DELAY_NS} ns / {REFERENCE_LEVELS}"
    )
    return Gate(
        function_id,
        name,
        _round(energy),
        _round(ADD_DELAY_NS * levels / REFERENCE_LEVELS),
        _round(ADD_AREA_UM2 * ratio),
        source,
    )


def wiring(function_id: int, name: str, what: str) -> Gate:
    return Gate(function_id, name, 0.0, 0.0, 0.0, f"wiring: {what}; no cell switches")


def build_gates() -> list[Gate]:
    add = Gate(
        1,
        "add",
        _round(ADD_POWER_MW * ADD_DELAY_NS),
        ADD_DELAY_NS,
        ADD_AREA_UM2,
        f"{EVOAPPROX} add8u_0FP exact 8-bit adder: {ADD_POWER_MW} mW x {ADD_DELAY_NS} ns, "
        f"{ADD_AREA_UM2} um2 (its carry-out is unused by the mod-256 add, so a slight "
        "overestimate); Horowitz ISSCC 2014 gives 0.03 pJ",
    )
    mul = Gate(
        3,
        "mul",
        _round(MUL_POWER_MW * MUL_DELAY_NS),
        MUL_DELAY_NS,
        MUL_AREA_UM2,
        f"{EVOAPPROX} mul8s_1KV6 exact 8x8 signed multiplier: {MUL_POWER_MW} mW x "
        f"{MUL_DELAY_NS} ns, {MUL_AREA_UM2} um2 (the engine keeps only the low 8 bits, which a "
        "smaller circuit computes: an upper bound); Horowitz ISSCC 2014 gives 0.2 pJ",
    )
    gates = {
        0: scaled(
            0, "reverse_max_a", {"INV": 7}, 1, "127-a mod 256 = a XOR 0x7F, inverters on bits 0-6"
        ),
        1: add,
        2: scaled(
            2,
            "sub",
            {"XOR2": 16, "AND2": 16, "OR2": 8, "INV": 8},
            17,
            "a + ~b + 1: the ripple-carry adder plus 8 inverters on b, carry-in 1",
        ),
        3: mul,
        4: scaled(
            4,
            "neg",
            {"OR2": 6, "XOR2": 7},
            7,
            "-a = ~a + 1: bit i = a_i XOR (a_0 OR ... OR a_i-1), an OR prefix chain",
        ),
        5: scaled(
            5,
            "reverse_min_b",
            {"INV": 1},
            1,
            "a-128 mod 256 = a XOR 0x80, one inverter on the sign bit",
        ),
        6: wiring(6, "quarter", "a >> 2 (arithmetic shift by a constant, sign bit fans out)"),
        7: wiring(7, "half", "a >> 1 (arithmetic shift by a constant, sign bit fans out)"),
        8: scaled(8, "bit_and", {"AND2": 8}, 1, "8 bitwise AND"),
        9: scaled(9, "bit_or", {"OR2": 8}, 1, "8 bitwise OR"),
        10: scaled(10, "bit_xor", {"XOR2": 8}, 1, "8 bitwise XOR"),
        11: scaled(11, "bit_neg", {"INV": 8}, 1, "8 inverters"),
        12: wiring(12, "double", "a << 1 (shift by a constant, LSB tied to 0)"),
        13: scaled(
            13,
            "bit_inc",
            {"INV": 1, "AND2": 6, "XOR2": 7},
            7,
            "a + 1: bit i = a_i XOR (a_0 AND ... AND a_i-1), an AND prefix chain",
        ),
        14: scaled(
            14,
            "bit_dec",
            {"INV": 1, "OR2": 6, "XNOR2": 7},
            7,
            "a - 1: bit i = a_i XNOR (a_0 OR ... OR a_i-1), an OR prefix chain",
        ),
    }
    for shift, function_id in zip((3, 4, 5), (15, 16, 17), strict=True):
        name = FUNCTION_NAMES[function_id]
        gates[function_id] = wiring(function_id, name, f"a >> {shift} (arithmetic, by a constant)")
    for shift, function_id in zip((2, 3, 4, 5), (18, 19, 20, 21), strict=True):
        name = FUNCTION_NAMES[function_id]
        gates[function_id] = wiring(function_id, name, f"a << {shift} (by a constant)")
    constants = {22: "1", 23: "-1", 24: "0", 25: "-128", 26: "127"}
    for function_id, value in constants.items():
        name = FUNCTION_NAMES[function_id]
        gates[function_id] = wiring(function_id, name, f"constant {value} (tie cells, neglected)")
    table = [gates[i] for i in range(len(FUNCTION_NAMES))]

    for width, levels in zip((2, 4, 8, 16), (1, 2, 3, 4), strict=True):
        count = 8 * (width - 1)
        table.append(
            scaled(
                MUX_ID,
                mux_name(width),
                {"MUX2": count},
                levels,
                f"8-bit {width}-to-1 multiplexer, a tree of {width - 1} MUX2 per bit",
            )
        )
    decoders = {
        2: ({"INV": 1, "AND2": 16}, 2),
        4: ({"INV": 2, "AND2": 36}, 3),
        8: ({"INV": 3, "AND2": 80}, 4),
        16: ({"INV": 4, "AND2": 176}, 4),
    }
    for width, (cells, levels) in decoders.items():
        decoder_ands = cells["AND2"] - 8 * width
        table.append(
            scaled(
                DEMUX_ID,
                demux_name(width),
                cells,
                levels,
                f"8-bit 1-to-{width} demultiplexer: {8 * width} AND2 gating the data "
                f"by a select decoder of {cells['INV']} INV + {decoder_ands} AND2",
            )
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=OUTPUT, help=f"where to write the table (default {OUTPUT})"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write; exit 1 if the file differs from the derivation",
    )
    args = parser.parse_args(argv)
    text = format_gate_table_csv(build_gates())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(
                f"{args.output} differs from scripts/build_gate_table.py; rerun it", file=sys.stderr
            )
            return 1
        print(f"{args.output} matches the derivation")
        return 0
    from compress.atomic import write_text_atomic

    write_text_atomic(args.output, text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
