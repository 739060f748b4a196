"""gates:import on Design Compiler style reports the test writes itself, and the gates CLI."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from compress.energy.functions import FUNCTION_NAMES
from compress.energy.gates import load_gate_table
from compress.energy.synthesis import (
    import_reports,
    import_to_csv,
    parse_area_report,
    parse_power_report,
    parse_timing_report,
)
from compress.errors import CompressError
from compress.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, str(REPO / "cmd" / "compress" / "compress.py")]

BANNER = """\
****************************************
Report : {kind}
{options}Design : {design}
Version: T-2022.03-SP5
Date   : Mon Apr 15 10:21:07 2024
****************************************
"""


def power_report(
    design: str, internal: str, switching: str, leakage: str, total: str, time_unit: str = "1ns"
) -> str:
    """report_power layout: unit block, summary, then the power-group table ending in Total."""
    return (
        BANNER.format(kind="power", options="        -analysis_effort low\n", design=design)
        + f"""

Library(s) Used:

    NangateOpenCellLibrary (File: /opt/pdk/NangateOpenCellLibrary_typical.db)


Operating Conditions: typical   Library: NangateOpenCellLibrary
Wire Load Model Mode: top

Design        Wire Load Model            Library
------------------------------------------------
{design:<13} 5K_hvratio_1_1             NangateOpenCellLibrary


Global Operating Voltage = 1.1
Power-specific unit information :
    Voltage Units = 1V
    Capacitance Units = 1.000000ff
    Time Units = {time_unit}
    Dynamic Power Units = 1mW    (derived from V,C,T units)
    Leakage Power Units = 1nW


  Cell Internal Power  =  12.3456 uW   (57%)
  Net Switching Power  =   9.2345 uW   (43%)
                         ---------
Total Dynamic Power    =  21.5801 uW  (100%)

Cell Leakage Power     = 410.2231 nW


                 Internal         Switching           Leakage            Total
Power Group      Power            Power               Power              Power   (   %    )  Attrs
--------------------------------------------------------------------------------------------------
io_pad             0.0000            0.0000            0.0000            0.0000  (   0.00%)
memory             0.0000            0.0000            0.0000            0.0000  (   0.00%)
black_box          0.0000            0.0000            0.0000            0.0000  (   0.00%)
clock_network      0.0000            0.0000            0.0000            0.0000  (   0.00%)
register           0.0000            0.0000            0.0000            0.0000  (   0.00%)
sequential         0.0000            0.0000            0.0000            0.0000  (   0.00%)
combinational  1.2346e-02        9.2345e-03          410.2231        2.1990e-02  ( 100.00%)
--------------------------------------------------------------------------------------------------
Total          {internal}     {switching}       {leakage}     {total}
1
"""
    )


def area_report(design: str, area: str) -> str:
    return (
        BANNER.format(kind="area", options="", design=design)
        + f"""
Library(s) Used:

    NangateOpenCellLibrary (File: /opt/pdk/NangateOpenCellLibrary_typical.db)

Number of ports:                           24
Number of nets:                            61
Number of cells:                           37
Number of combinational cells:             37
Number of sequential cells:                 0
Number of macros/black boxes:               0
Number of buf/inv:                          5
Number of references:                       6

Combinational area:                 {area}
Buf/Inv area:                        2.660000
Noncombinational area:               0.000000
Macro/Black Box area:                0.000000
Net Interconnect area:      undefined  (Wire load has zero net area)

Total cell area:                    {area}
Total area:                 undefined
1
"""
    )


def timing_report(design: str, arrival: str | None) -> str:
    head = BANNER.format(
        kind="timing",
        options="        -path full\n        -delay max\n        -max_paths 1\n",
        design=design,
    )
    if arrival is None:
        return head + "Information: Updating design information... (UID-85)\nNo paths.\n\n1\n"
    return (
        head
        + f"""Operating Conditions: typical   Library: NangateOpenCellLibrary
Wire Load Model Mode: top

  Startpoint: a[0] (input port)
  Endpoint: y[7] (output port)
  Path Group: (none)
  Path Type: max

  Des/Clust/Port     Wire Load Model       Library
  ------------------------------------------------
  {design:<18} 5K_hvratio_1_1        NangateOpenCellLibrary

  Point                                    Incr       Path
  -----------------------------------------------------------
  input external delay                     0.00       0.00 f
  a[0] (in)                                0.00       0.00 f
  U31/ZN (NAND2_X1)                        0.04       0.04 r
  U45/CO (FA_X1)                           0.09       0.13 r
  y[7] (out)                               0.02       {arrival} f
  data arrival time                                   {arrival}
  -----------------------------------------------------------
  (Path is unconstrained)


1
"""
    )


WIRING = {"quarter", "half", "double", *FUNCTION_NAMES[15:27]}


def write_reports(folder: Path, names=FUNCTION_NAMES) -> dict[str, tuple[float, float, float]]:
    """Reports for every gate; returns name -> (total power mW, delay ns, area um2) as written."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {}
    for i, name in enumerate(names):
        if name in WIRING:
            power, arrival, area = "0.0000 mW", None, "0.000000"
            expected[name] = (0.0, 0.0, 0.0)
            leak = "0.0000 nW"
        elif i % 2:  # some gates report their totals in uW, as DC does for small designs
            total_uw = 4.5 + i
            power, arrival, area = f"{total_uw:.4f} uW", f"{0.05 * (i + 1):.2f}", f"{3.5 * i:.6f}"
            expected[name] = (total_uw / 1000, round(0.05 * (i + 1), 2), 3.5 * i)
            leak = "120.5000 nW"
        else:
            total_mw = 0.011 * (i + 1)
            power, arrival, area = f"{total_mw:.4e} mW", f"{0.07 * (i + 1):.2f}", f"{4.25 * i:.6f}"
            expected[name] = (float(f"{total_mw:.4e}"), round(0.07 * (i + 1), 2), 4.25 * i)
            leak = "98.0000 nW"
        (folder / f"{name}_power.txt").write_text(
            power_report(name, "1.0000e-03 mW", "2.0000e-03 mW", leak, power)
        )
        (folder / f"{name}_area.txt").write_text(area_report(name, area))
        (folder / f"{name}_timing.txt").write_text(timing_report(name, arrival))
    return expected


def test_parsers_read_the_report_lines(tmp_path):
    path = tmp_path / "add_power.txt"
    path.write_text(
        power_report("add", "1.8021e-02 mW", "1.2499e-02 mW", "450.1234 nW", "3.0970e-02 mW")
    )
    power = parse_power_report(path)
    assert power.internal_mw == pytest.approx(1.8021e-02)
    assert power.switching_mw == pytest.approx(1.2499e-02)
    assert power.leakage_mw == pytest.approx(450.1234e-6)
    assert power.total_mw == pytest.approx(3.0970e-02)
    assert power.time_unit_ns == 1.0
    (tmp_path / "add_area.txt").write_text(area_report("add", "70.392000"))
    assert parse_area_report(tmp_path / "add_area.txt") == pytest.approx(70.392)
    (tmp_path / "add_timing.txt").write_text(timing_report("add", "0.63"))
    assert parse_timing_report(tmp_path / "add_timing.txt") == pytest.approx(0.63)
    (tmp_path / "half_timing.txt").write_text(timing_report("half", None))
    assert parse_timing_report(tmp_path / "half_timing.txt") == 0.0


def test_import_computes_energy_as_power_times_arrival_time(tmp_path):
    expected = write_reports(tmp_path / "res")
    table, power = import_reports(tmp_path / "res", source="test library")
    assert [g.name for g in table] == list(FUNCTION_NAMES)
    for gate, total_mw in zip(table, power, strict=True):
        want_power, want_delay, want_area = expected[gate.name]
        assert total_mw == pytest.approx(want_power)
        assert gate.delay_ns == pytest.approx(want_delay)
        assert gate.area_um2 == pytest.approx(want_area)
        assert gate.energy_pj == pytest.approx(want_power * want_delay)  # mW x ns = pJ
        assert gate.source.startswith("test library")


def test_import_converts_time_units(tmp_path):
    folder = tmp_path / "res"
    write_reports(folder)
    (folder / "add_power.txt").write_text(
        power_report("add", "0.01 mW", "0.02 mW", "0.1 nW", "0.0400 mW", time_unit="1ps")
    )
    (folder / "add_timing.txt").write_text(timing_report("add", "630.00"))
    table, _ = import_reports(folder)
    add = table.by_name("add")
    assert add.delay_ns == pytest.approx(0.63)
    assert add.energy_pj == pytest.approx(0.04 * 0.63)


def test_import_writes_a_valid_table_with_optional_mux_rows(tmp_path):
    folder = tmp_path / "res"
    write_reports(folder)
    write_reports(folder, names=["mux_2to1"])
    output = tmp_path / "out" / "synthesis.csv"
    table = import_to_csv(folder, output)
    assert table.by_id(27).name == "mux_2to1"
    reread = load_gate_table(output, load_settings())
    assert reread.gates == table.gates
    with output.open() as handle:
        header = next(csv.reader(handle))
    assert header[:6] == ["function_id", "name", "energy_pj", "delay_ns", "area_um2", "source"]
    assert "power_mw" in header


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("bit_xor_power.txt", "Report : power\nTotal power was high\n", "no 'Total"),
        ("bit_xor_power.txt", "Total 1 mW 2 mW 3 nW 4 kW\n", "unknown power unit 'kW'"),
        ("bit_xor_area.txt", "Total cell area:   lots\n", "no 'Total cell area"),
        ("bit_xor_timing.txt", "data arrival time is unknown\n", "data arrival time"),
    ],
)
def test_garbled_report_names_the_file(tmp_path, file, content, message):
    folder = tmp_path / "res"
    write_reports(folder)
    (folder / file).write_text(content)
    with pytest.raises(CompressError, match=message) as caught:
        import_reports(folder)
    assert str(folder / file) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_report_names_the_file(tmp_path):
    folder = tmp_path / "res"
    write_reports(folder)
    (folder / "sub_timing.txt").unlink()
    with pytest.raises(CompressError, match="missing synthesis report .*sub_timing.txt"):
        import_reports(folder)
    # a multiplexer width with only some of its reports is an error too, not silently skipped
    write_reports(tmp_path / "other")
    (tmp_path / "other" / "mux_4to1_area.txt").write_text(area_report("mux_4to1", "40.0"))
    with pytest.raises(CompressError, match="mux_4to1_power.txt"):
        import_reports(tmp_path / "other")


# --- CLI ----------------------------------------------------------------------------------------


def _run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd)


def test_cli_show_default_table_quantized_for_the_largest_grid():
    result = _run("gates:show", "--sources", "--rows", "500", "--cols", "30")
    assert result.returncode == 0, result.stderr
    assert "gates_45nm.csv" in result.stdout
    assert "energy_pj" in result.stdout and "0.02079" in result.stdout
    assert "quantized_energy" in result.stdout and "500x30" in result.stdout
    assert "EvoApprox" in result.stdout and "dram" in result.stdout


def test_cli_import_then_show(tmp_path):
    write_reports(tmp_path / "res")
    output = tmp_path / "mine.csv"
    result = _run("gates:import", str(tmp_path / "res"), "-o", str(output), "--source", "my lib")
    assert result.returncode == 0, result.stderr
    assert output.is_file() and "--gate-table" in result.stdout
    shown = _run("gates:show", "--gate-table", str(output))
    assert shown.returncode == 0, shown.stderr
    assert "bit_xor" in shown.stdout


def test_cli_bad_table_is_one_line(tmp_path):
    (tmp_path / "bad.csv").write_text("function_id,name,energy_uj\n")
    result = _run("gates:show", "--gate-table", str(tmp_path / "bad.csv"))
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "energy_uj" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["gates:import", "{tmp}/nothing"],
        ["gates:show", "--rows", "5"],
        ["gates:import", "{tmp}", "-o", "{tmp}/out.csv"],
    ],
)
def test_cli_user_mistakes_exit_2_with_one_line(tmp_path, capsys, args):
    from compress.cli import main

    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("compress.py: error:")
    assert not (tmp_path / "out.csv").exists()


def test_cli_import_defaults_follow_the_datastore(tmp_path, monkeypatch, capsys):
    from compress.cli import main

    monkeypatch.setenv("datastore", str(tmp_path))
    write_reports(tmp_path / "verilog" / "res")
    assert main(["gates:import"]) == 0
    assert (tmp_path / "gates" / "synthesis.csv").is_file()
    # the datastore has no gates_45nm.csv: the default table falls back to the bundled one
    assert main(["gates:show"]) == 0
    assert str(REPO / "data_store" / "gates" / "gates_45nm.csv") in capsys.readouterr().out
