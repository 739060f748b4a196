"""Figures of a multi-layer experiment (synthetic runs: 3 layers x 3 thresholds x 5 runs), the
path a layer_bypass report does not take: box plots coloured by layer, per-layer bars, a missing
weights regression with r."""

from __future__ import annotations

import numpy as np
from PIL import Image
from report_support import synthetic_data

from compress.report.figures import all_figures


def test_multi_layer_figures_are_drawn(tmp_path):
    data = synthetic_data()
    data.runs["accuracy_loss_pp"] = np.linspace(-0.1, 2.0, len(data.runs))
    figures = all_figures(data, tmp_path, [])
    names = {f.name for f in figures}
    assert {"layers_energy_missing", "missing_weights_energy", "box_circuit_energy_pj"} <= names
    for name in names:
        with Image.open(tmp_path / f"{name}.png") as image:
            assert image.size[0] >= 500
        assert (tmp_path / f"{name}.pdf").stat().st_size > 5_000
    caption = next(f.caption for f in figures if f.name == "box_circuit_energy_pj")
    assert "coloured by layers" in caption
