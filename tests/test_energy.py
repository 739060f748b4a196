"""Energy model: gate table, quantized engine costs, memory-fetch energy, reports, constructive reference."""

from __future__ import annotations

import csv
import itertools
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from compress.energy import (
    WIRING_ONLY_NOTE,
    FetchCounts,
    SummaryRow,
    configuration_energy_columns,
    constructive_reference,
    fetch_counts,
    format_circuit_energy,
    format_summary_table,
    gate_parameters,
    load_gate_table,
    load_memory_table,
    memory_fetch_energy_pj,
    missing_values,
    read_gate_parameters,
    write_gate_parameters,
)
from compress.energy.functions import FUNCTION_NAMES, apply
from compress.energy.gates import COLUMNS, format_gate_table_csv
from compress.energy.quantize import quantize
from compress.errors import CompressError
from compress.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
UINT64_LIMIT = 2**64 - 2  # the top value is the engine's "nan" sentinel


@pytest.fixture(scope="module")
def settings():
    return load_settings()


@pytest.fixture(scope="module")
def table(settings):
    return load_gate_table(None, settings)


def _write_table(path: Path, rows: list[list[str]], header=COLUMNS) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _default_rows(table) -> list[list[str]]:
    return [
        [str(g.function_id), g.name, str(g.energy_pj), str(g.delay_ns), str(g.area_um2), g.source]
        for g in table
    ]


def _custom_table(tmp_path: Path, table, energies: dict[str, float]):
    """The default table with some energies replaced (for hand-checkable constructive cases)."""
    rows = _default_rows(table)
    for row in rows:
        if row[1] in energies:
            row[2] = repr(energies[row[1]])
    return load_gate_table(_write_table(tmp_path / "custom.csv", rows), load_settings())


# --- the default table ------------------------------------------------------------------------


def test_default_table_covers_function_set_in_id_order(table):
    assert [g.name for g in table.base_gates()] == list(FUNCTION_NAMES)
    assert [g.function_id for g in table.base_gates()] == list(range(27))
    assert table.by_id(27).name == "mux_2to1" and table.by_id(28).name == "demux_2to1"
    assert all(g.source for g in table), "every row cites its source"


def test_default_table_measured_rows_match_cited_evoapprox_figures(table):
    add, mul = table.by_name("add"), table.by_name("mul")
    # EvoApprox8b add8u_0FP: 0.033 mW, 0.63 ns, 70.4 um2; mul8s_1KV6: 0.425 mW, 1.48 ns, 729.8 um2
    assert add.energy_pj == pytest.approx(0.033 * 0.63)
    assert (add.delay_ns, add.area_um2) == (0.63, 70.4)
    assert mul.energy_pj == pytest.approx(0.425 * 1.48)
    assert (mul.delay_ns, mul.area_um2) == (1.48, 729.8)
    assert "EvoApprox" in add.source and "EvoApprox" in mul.source


def test_default_table_wiring_is_free_and_logic_is_ordered_by_cell_content(table):
    wiring = ["quarter", "half", "double", *FUNCTION_NAMES[15:27]]
    for name in wiring:
        gate = table.by_name(name)
        assert (gate.energy_pj, gate.delay_ns, gate.area_um2) == (0, 0, 0), name
    e = {g.name: g.energy_pj for g in table}
    assert e["reverse_min_b"] < e["reverse_max_a"] < e["bit_neg"] < e["bit_and"] < e["bit_xor"]
    assert e["bit_xor"] < e["neg"] < e["bit_inc"] < e["add"] < e["sub"] < e["mul"]
    assert e["bit_and"] == e["bit_or"]
    assert e["mux_2to1"] < e["mux_4to1"] < e["mux_8to1"] < e["mux_16to1"]


def test_committed_table_matches_its_derivation_script():
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_gate_table.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_constant_folded_gates_are_the_inverter_circuits_the_table_prices():
    # reverse_max_a and reverse_min_b are priced as 7 and 1 inverters; that is only honest if
    # 127 - a and a - 128 (mod 256) really are a XOR 0x7F and a XOR 0x80 for every int8 a.
    for a in range(-128, 128):
        assert apply(0, a) == a ^ 0x7F
        assert apply(5, a) == (a ^ -128)
        # neg, inc and dec as the prefix-chain netlists in the table's source column
        bits = [(a >> i) & 1 for i in range(8)]
        prefix_or = [int(any(bits[:i])) for i in range(8)]
        prefix_and = [int(all(bits[:i])) for i in range(8)]
        as_int8 = lambda bs: sum(b << i for i, b in enumerate(bs)) - 256 * bs[7]  # noqa: E731
        assert apply(4, a) == as_int8([b ^ p for b, p in zip(bits, prefix_or, strict=True)])
        assert apply(13, a) == as_int8([b ^ p for b, p in zip(bits, prefix_and, strict=True)])
        assert apply(14, a) == as_int8([1 - (b ^ p) for b, p in zip(bits, prefix_or, strict=True)])


def test_function_semantics_wrap_like_the_engine():
    assert apply(0, -128) == -1  # 127 - (-128) = 255 -> -1
    assert apply(4, -128) == -128
    assert apply(3, 16, 16) == 0 and apply(3, -128, -1) == -128 and apply(3, 11, 13) == -113
    assert apply(1, 127, 1) == -128 and apply(2, -128, 1) == 127
    assert apply(6, -7) == -2 and apply(17, -128) == -4 and apply(21, 5) == -96


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda rows: rows.pop(13), r"missing functions: 13 \(bit_inc\)"),
        (lambda rows: rows[2].__setitem__(2, "-0.1"), "non-negative"),
        (lambda rows: rows[2].__setitem__(3, "fast"), "is not a number"),
        (lambda rows: rows[2].__setitem__(4, "inf"), "finite"),
        (lambda rows: rows[1].__setitem__(1, "plus"), "named add"),
        (lambda rows: rows.append(list(rows[5])), "appears twice"),
        (lambda rows: rows[3].__setitem__(0, "x"), "not an integer"),
        (lambda rows: rows.append(["40", "clip", "1", "1", "1", "?"]), "not in the function set"),
    ],
)
def test_bad_tables_name_file_and_line(tmp_path, table, mutate, message):
    rows = _default_rows(table)
    mutate(rows)
    path = _write_table(tmp_path / "bad.csv", rows)
    with pytest.raises(CompressError, match=message) as caught:
        load_gate_table(path, load_settings())
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_row_reports_its_line_number(tmp_path, table):
    rows = _default_rows(table)
    rows[4][2] = "-1"  # data row 5 -> file line 6 (after the header)
    path = _write_table(tmp_path / "bad.csv", rows)
    with pytest.raises(CompressError, match=rf"{path}:6: energy_pj"):
        load_gate_table(path, load_settings())


def test_wrong_unit_column_is_rejected(tmp_path, table):
    header = ["function_id", "name", "energy_uj", "delay_ns", "area_um2", "source"]
    path = _write_table(tmp_path / "uj.csv", _default_rows(table), header=header)
    with pytest.raises(CompressError, match=r"uj.csv:1: column 'energy_uj' has the wrong unit"):
        load_gate_table(path, load_settings())


def test_unitless_column_is_rejected(tmp_path, table):
    header = ["function_id", "name", "energy", "delay_ns", "area_um2", "source"]
    path = _write_table(tmp_path / "bare.csv", _default_rows(table), header=header)
    with pytest.raises(CompressError, match=r"bare.csv:1: column 'energy' has no unit"):
        load_gate_table(path, load_settings())


def test_original_unknown_costs_read_as_never_cheap(tmp_path):
    path = tmp_path / "gate_parameters.txt"
    path.write_text("12 0.5 3.0 7 0.1\ninf inf inf inf inf\n")
    first, unknown = read_gate_parameters(path)
    assert (first.quantized_energy, first.energy_pj, first.quantized_delay) == (12, 0.5, 7)
    assert unknown.quantized_energy == 2**64 - 1 and math.isinf(unknown.energy_pj)
    path.write_text("1 2 3 4\n")
    with pytest.raises(CompressError, match=r"gate_parameters.txt:1: 4 fields, expected 5"):
        read_gate_parameters(path)


def test_missing_and_empty_tables(tmp_path):
    with pytest.raises(CompressError, match="not found"):
        load_gate_table(tmp_path / "none.csv", load_settings())
    (tmp_path / "empty.csv").write_text("\n")
    with pytest.raises(CompressError, match="empty gate table"):
        load_gate_table(tmp_path / "empty.csv", load_settings())


def test_written_table_reads_back_identically(tmp_path, table):
    path = tmp_path / "copy.csv"
    path.write_text(format_gate_table_csv(table.gates))
    assert load_gate_table(path, load_settings()).gates == table.gates


# --- quantization -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "cols"), [(1, 1), (5, 5), (256, 31), (500, 30), (10**6, 10**4), (10**9, 10**6)]
)
@pytest.mark.parametrize("function_count", [27, 29])
def test_quantized_costs_never_overflow_and_keep_order(table, rows, cols, function_count):
    params = gate_parameters(table, rows=rows, cols=cols, function_count=function_count)
    energies = [g.energy_pj for g in params.gates]
    delays = [g.delay_ns for g in params.gates]
    # worst case: every node of the grid active with the costliest gate, or a path through
    # every column with the slowest gate
    assert rows * cols * max(params.energy.values) <= UINT64_LIMIT
    assert cols * max(params.delay.values) <= UINT64_LIMIT
    for real, quantized in ((energies, params.energy.values), (delays, params.delay.values)):
        for (r1, q1), (r2, q2) in itertools.combinations(zip(real, quantized, strict=True), 2):
            assert (r1 < r2) == (q1 < q2) and (r1 == r2) == (q1 == q2)
    assert params.energy.values[FUNCTION_NAMES.index("zero_const")] == 0


def test_quantum_converts_sums_back_to_real_units(table):
    params = gate_parameters(table, rows=256, cols=31)
    quantized_sum = sum(params.energy.values)
    real_sum = sum(g.energy_pj for g in params.gates)
    assert quantized_sum * params.energy.unit_per_quantum == pytest.approx(real_sum, rel=1e-12)


def test_quantization_refuses_to_merge_distinct_costs():
    with pytest.raises(CompressError, match="merging distinct costs"):
        quantize([1.0, 1.0 + 2**-50], 10**12)
    assert quantize([0.0, 0.0], 100).values == (0, 0)


def test_gate_parameter_file_parses_back(tmp_path, table):
    txt, csv_path = tmp_path / "gate_parameters.txt", tmp_path / "gate_parameters.csv"
    written = write_gate_parameters(table, txt, csv_path, rows=16, cols=8)
    lines = read_gate_parameters(txt)
    assert len(lines) == 27
    assert all(len(raw.split()) == 5 for raw in txt.read_text().splitlines())
    for line, gate, qe, qd in zip(
        lines, written.gates, written.energy.values, written.delay.values, strict=True
    ):
        assert (line.energy_pj, line.area_um2, line.delay_ns) == (
            gate.energy_pj,
            gate.area_um2,
            gate.delay_ns,
        )
        assert (line.quantized_energy, line.quantized_delay) == (qe, qd)
    with csv_path.open() as handle:
        records = list(csv.DictReader(handle))
    assert [r["name"] for r in records] == list(FUNCTION_NAMES)
    assert {"energy_pj", "delay_ns", "area_um2", "quantized_energy"} <= set(records[0])
    assert [int(r["quantized_energy"]) for r in records] == [x.quantized_energy for x in lines]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gate_parameters.csv",
        "gate_parameters.txt",
    ]


def test_mux_function_count_writes_grouped_variants_the_engine_reads_by_width(tmp_path, table):
    txt = tmp_path / "gate_parameters.txt"
    written = write_gate_parameters(
        table, txt, tmp_path / "gate_parameters.csv", rows=4, cols=4, function_count=29
    )
    names = [g.name for g in written.gates]
    assert names[:27] == list(FUNCTION_NAMES)
    assert names[27:] == [
        "mux_2to1", "mux_4to1", "mux_8to1", "mux_16to1",
        "demux_2to1", "demux_4to1", "demux_8to1", "demux_16to1",
    ]  # fmt: skip
    lines = read_gate_parameters(txt)
    assert len(lines) == 35
    # the engine (cgp/src/model.cpp) picks MUX of width 2**b on line 27+b-1, DEMUX on 31+b-1
    for bits in range(1, 5):
        width = 2**bits
        assert lines[27 + bits - 1].area_um2 == table.by_name(f"mux_{width}to1").area_um2
        assert lines[31 + bits - 1].area_um2 == table.by_name(f"demux_{width}to1").area_um2


def test_mux_function_count_needs_mux_rows(tmp_path, table):
    rows = [r for r in _default_rows(table) if int(r[0]) < 27]
    small = load_gate_table(_write_table(tmp_path / "t.csv", rows), load_settings())
    with pytest.raises(CompressError, match="mux_2to1"):
        gate_parameters(small, rows=2, cols=2, function_count=29)
    with pytest.raises(CompressError, match="function_count 30"):
        gate_parameters(table, rows=2, cols=2, function_count=30)
    assert len(gate_parameters(small, rows=2, cols=2, function_count=27).gates) == 27


# --- memory model and reports -----------------------------------------------------------------


def test_memory_fetch_energy_matches_horowitz_figures():
    # Horowitz ISSCC 2014, 45 nm: 64-bit reads of 10 / 20 / 100 pJ (SRAM 8 KB / 32 KB / 1 MB)
    # and 1.3-2.6 nJ (DRAM)
    fetch = memory_fetch_energy_pj(2400)
    assert fetch["sram_8kb"] == pytest.approx(2400 * 10 / 8)
    assert fetch["sram_32kb"] == pytest.approx(2400 * 20 / 8)
    assert fetch["sram_1mb"] == pytest.approx(2400 * 100 / 8)
    assert fetch["dram"] == pytest.approx(2400 * 1300 / 8)
    dram = {level.level: level for level in load_memory_table()}["dram"]
    assert (dram.read_energy_min_pj_per_byte, dram.read_energy_max_pj_per_byte) == (
        pytest.approx(1300 / 8),
        pytest.approx(2600 / 8),
    )
    assert memory_fetch_energy_pj(100, bytes_per_weight=4)["sram_8kb"] == pytest.approx(500)
    with pytest.raises(CompressError):
        memory_fetch_energy_pj(-1)


def test_configuration_columns_compare_whole_configurations():
    # layer_bypass: 150 conv1 weights feed the circuit, 2400 conv2 weights are produced
    counts = FetchCounts(inputs=150, inputs_and_outputs=2550)
    columns = configuration_energy_columns(30.0, counts, 2400)
    assert list(columns)[:2] == ["circuit_energy_pj", "circuit_energy_note"]
    assert columns["circuit_energy_note"] == ""
    without = columns["fetch_inputs_and_outputs_without_circuit_sram_8kb_pj"]
    with_circuit = columns["fetch_inputs_plus_circuit_sram_8kb_pj"]
    assert without == pytest.approx(2550 * 1.25)
    assert with_circuit == pytest.approx(150 * 1.25 + 30.0)
    assert columns["energy_saved_per_inference_sram_8kb_pj"] == pytest.approx(
        without - with_circuit
    )
    assert columns["energy_ratio_without_over_with_circuit_dram"] == pytest.approx(
        2550 * 162.5 / (150 * 162.5 + 30)
    )
    for name in columns:
        assert name.endswith("_pj") or "_ratio_" in name or name.endswith("_note")
    wired = configuration_energy_columns(0.0, counts, 2400, wire_energy_pj_per_output=0.01)
    assert wired["circuit_energy_note"] == WIRING_ONLY_NOTE
    assert wired["wire_energy_pj"] == pytest.approx(24.0)
    assert wired["fetch_inputs_plus_circuit_sram_8kb_pj"] == pytest.approx(150 * 1.25 + 24.0)
    with pytest.raises(CompressError):
        configuration_energy_columns(float("nan"), counts, 10)
    with pytest.raises(CompressError, match="wire"):
        configuration_energy_columns(1.0, counts, 10, wire_energy_pj_per_output=-1)


def test_a_free_configuration_has_no_infinite_ratio():
    # le_selector-like: no weight inputs, a wiring-only circuit
    columns = configuration_energy_columns(0.0, FetchCounts(0, 2550), 2550)
    assert math.isnan(columns["energy_ratio_without_over_with_circuit_sram_8kb"])
    assert columns["energy_saved_per_inference_sram_8kb_pj"] == pytest.approx(2550 * 1.25)
    assert not any(isinstance(v, float) and math.isinf(v) for v in columns.values())
    assert format_circuit_energy(0.0) == f"0 pJ ({WIRING_ONLY_NOTE})"


def test_fetch_counts_count_positions_once_and_skip_constants():
    from compress.selection import FilterSelector, Values

    shapes = {"conv1": (6, 1, 5, 5), "conv2": (16, 6, 5, 5)}
    bypass = [[FilterSelector("conv1", inp=[()]), FilterSelector("conv2", out=[()])]]
    assert fetch_counts(bypass, shapes, input_count=150) == FetchCounts(150, 2550)
    # self-approximation: the core feeds the circuit, the whole kernel is produced
    core = [[FilterSelector("conv2", inp=[(0, 0, slice(1, 4), slice(1, 4))], out=[(0, 0)])]]
    assert fetch_counts(core, shapes, input_count=9) == FetchCounts(9, 25)
    no_input = [[FilterSelector("conv1", inp=[Values([0])], out=[()])]]
    assert fetch_counts(no_input, shapes, input_count=1) == FetchCounts(0, 150)
    # two items sharing the same inputs: counted once
    twice = [bypass[0], bypass[0]]
    assert fetch_counts(twice, shapes, input_count=150) == FetchCounts(150, 2550)
    # inputs beyond input_count are cut, as train.data cuts them
    assert fetch_counts(bypass, shapes, input_count=100).inputs == 100


def test_summary_table_lists_every_row_without_inf():
    rows = [
        SummaryRow(0.0, 0.0, 0.985, 0.985, 12.5, 2400, 310, 150, 2550),
        SummaryRow(25.0, 18.2, 0.985, 0.97, 0.0, 2400, 120, 150, 2550),
        SummaryRow(30.0, 20.0, 0.985, 0.96, 0.0, 2550, 40, 0, 2550),
    ]
    text = format_summary_table(rows)
    lines = text.splitlines()
    assert "circuit energy" in lines[0] and "fetch in + circuit" in lines[0]
    assert "98.50%" in lines[2] and "97.00%" in lines[3]
    # 2550 x 1.25 = 3,188 without; 150 x 1.25 + 12.5 = 200 with; saved 2,988, ratio 15.9
    assert "3,188" in lines[2] and "200" in lines[2] and "2,988 pJ saved (x15.9)" in lines[2]
    assert f"0 pJ ({WIRING_ONLY_NOTE})" in lines[3]
    assert "fetch energy avoided: 3,188 pJ" in lines[4]
    assert not re.search(r"\binf\b", text)
    with pytest.raises(CompressError, match="memory level"):
        format_summary_table(rows, levels=("l3",))


# --- constructive reference -------------------------------------------------------------------


def test_missing_values_skips_dont_cares():
    assert missing_values([1, 2, 2], [2, 3, None, 3, -5]) == [-5, 3]
    with pytest.raises(CompressError, match="outside int8"):
        missing_values([300], [1])


def test_constructive_reference_needs_nothing_when_inputs_hold_every_value(table):
    result = constructive_reference([3, -4, 7], [7, 3, 3, None], table)
    assert (result.energy_pj, result.gate_count, result.steps) == (0.0, 0, ())


def test_constructive_reference_uses_free_chains_first(table):
    # 6 = double(3); 12 = l_shift_2(3), 24 = l_shift_3(3): one free gate each
    assert (constructive_reference([3], [6], table).gate_count, 1) == (1, 1)
    result = constructive_reference([3], [12, 24], table)
    assert (result.energy_pj, result.gate_count) == (0.0, 2)
    # 7 is no shift of 5 and no constant, but r_shift_4(expected_value_max = 127) = 7: 2 free gates
    result = constructive_reference([5], [7], table)
    assert (result.energy_pj, result.gate_count) == (0.0, 2)
    assert [s.function_name for s in result.steps] == ["expected_value_max", "r_shift_4"]


def test_constructive_reference_cheapest_single_gate(tmp_path, table):
    # Everything costs 1 pJ except add (0.5) and bit_inc (0.1); shifts and constants also cost,
    # so the only cheap ways are known by hand.
    costly = {name: 1.0 for name in FUNCTION_NAMES}
    custom = _custom_table(tmp_path, table, {**costly, "add": 0.5, "bit_inc": 0.1})
    # 11 = inc(10); then 12 = inc(11) (0.1) beats any 1 pJ gate or add(10, x) needing x
    result = constructive_reference([10], [11, 12], custom)
    assert result.energy_pj == pytest.approx(0.2) and result.gate_count == 2
    # 20 = add(10, 10) at 0.5 pJ beats double(10) at 1 pJ
    result = constructive_reference([10], [20], custom)
    assert result.energy_pj == pytest.approx(0.5) and result.gate_count == 1
    assert (result.steps[0].function_name, result.steps[0].operands) == ("add", (10, 10))


def test_constructive_reference_builds_intermediates_when_no_single_gate_reaches(tmp_path, table):
    costly = {name: 100.0 for name in FUNCTION_NAMES}
    custom = _custom_table(tmp_path, table, {**costly, "bit_inc": 0.1})
    # 13 from 10: inc, inc, inc (0.3 pJ, 3 gates) beats any 100 pJ gate
    result = constructive_reference([10], [13], custom)
    assert result.energy_pj == pytest.approx(0.3) and result.gate_count == 3
    assert [s.value for s in result.steps] == [11, 12, 13]
    # asking for 12 too reuses the intermediate: still 3 gates
    assert constructive_reference([10], [12, 13], custom).gate_count == 3


def test_constructive_reference_respects_function_count(table):
    with pytest.raises(CompressError, match="cannot be built"):
        constructive_reference([0], [5], table, function_count=1)


# --- the real engine reads the file -----------------------------------------------------------

ENGINE = REPO / "bin" / "cgp"


def _engine_statistics(folder: Path, table, rows: int, cols: int, chromosomes: list[str], outputs):
    write_gate_parameters(
        table, folder / "gate_parameters.txt", folder / "gate_parameters.csv", rows=rows, cols=cols
    )
    (folder / "train.data").write_text("3\n" + " ".join(str(v) for v in outputs) + "\n")
    (folder / "list.txt").write_text("\n".join(chromosomes) + "\n")
    (folder / "c.config").write_text(
        "\n".join(
            [
                "function_input_arity: 2",
                "function_output_arity: 1",
                "input_count: 1",
                f"output_count: {len(outputs)}",
                f"row_count: {rows}",
                f"col_count: {cols}",
                f"look_back_parameter: {cols}",
                "function_count: 27",
                "dataset_size: 1",
                "input_file: train.data",
                "output_file: out.csv",
                "cgp_statistics_file: list.txt",
                "gate_parameters_file: gate_parameters.txt",
                "train_weights_file: w.{run}.txt",
            ]
        )
        + "\n"
    )
    result = subprocess.run(
        [str(ENGINE), "evaluate:chromosomes", "c.config", "g.{run}.csv"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    with (folder / "out.csv").open() as handle:
        return list(csv.DictReader(handle))


@pytest.mark.skipif(not ENGINE.is_file(), reason="engine not built (make build)")
def test_engine_sums_our_quantized_costs_without_overflow(tmp_path, table):
    """A 4x5 grid of multipliers, all active, chained through every column: the engine's uint64
    energy and delay sums are exactly the Python sums, and they sit at the top of the range."""
    rows, cols = 4, 5
    params = gate_parameters(table, rows=rows, cols=cols)
    mul = FUNCTION_NAMES.index("mul")
    nodes = []
    for col in range(cols):
        for row in range(rows):
            source = 0 if col == 0 else 1 + (col - 1) * rows + row
            nodes.append(f"([{1 + col * rows + row}]{source},{source},{mul})")
    all_pins = ",".join(str(1 + i) for i in range(rows * cols))
    full = f"{{1,{rows * cols},{cols},{rows},2,{cols},1}}" + "".join(nodes) + f"({all_pins})"
    stats = _engine_statistics(tmp_path, table, rows, cols, [full], [0] * (rows * cols))
    row = stats[0]
    assert int(row["gate_count"]) == rows * cols
    q_mul, qd_mul = params.energy.values[mul], params.delay.values[mul]
    assert int(row["quantized_energy"]) == rows * cols * q_mul <= UINT64_LIMIT
    assert int(row["quantized_delay"]) == cols * qd_mul <= UINT64_LIMIT
    assert int(row["quantized_energy"]) > UINT64_LIMIT * 0.99  # the whole range is used
    assert float(row["energy"]) == pytest.approx(rows * cols * table.by_name("mul").energy_pj)
    assert float(row["delay"]) == pytest.approx(cols * table.by_name("mul").delay_ns)


@pytest.mark.skipif(not ENGINE.is_file(), reason="engine not built (make build)")
def test_constructive_circuit_runs_on_the_engine_with_the_estimated_energy(tmp_path, table):
    """The constructive steps, written as a chromosome, make the engine output exactly the
    expected values at the estimated energy: the Python int8 semantics match the engine's."""
    import random

    rng = random.Random(7)
    inputs = [3]
    expected = [rng.randint(-128, 127) for _ in range(24)]
    estimate = constructive_reference(inputs, expected, table)
    pin = {3: 0}
    nodes = []
    for index, step in enumerate(estimate.steps):
        operands = [pin[v] for v in step.operands] + [0, 0]
        nodes.append(f"([{index + 1}]{operands[0]},{operands[1]},{step.function_id})")
        pin[step.value] = index + 1
    cols = len(nodes)
    outputs = ",".join(str(pin[v]) for v in expected)
    chromosome = f"{{1,{len(expected)},{cols},1,2,{cols},1}}" + "".join(nodes) + f"({outputs})"
    stats = _engine_statistics(tmp_path, table, 1, cols, [chromosome], expected)
    produced = [int(v) for v in (tmp_path / "w.1.txt").read_text().split()]
    assert produced == expected
    assert int(stats[0]["gate_count"]) == estimate.gate_count
    assert float(stats[0]["energy"]) == pytest.approx(estimate.energy_pj, rel=1e-9, abs=1e-12)
