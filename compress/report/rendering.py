"""``report.md`` and the self-contained ``report.html`` (figures embedded as data URIs): every
table and figure with a sentence on the data (folders, runs, n) and the method behind it."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from compress.energy.accounting import WIRING_ONLY_NOTE
from compress.report.figures import Figure
from compress.report.tables import html_table, markdown_table


@dataclass
class Section:
    title: str
    text: str
    table: pd.DataFrame | None = None
    figure: Figure | None = None
    more: str = ""
    """A pointer to the full CSV when the table shown is shortened."""


def methods_text(alpha: float, normal_theory: bool, primary_split: str | None) -> str:
    parts = [
        "Each run contributes its best solution, the final row of its statistics file. Error per "
        "weight is the engine error converted back by the run's error metric (RMS int8 steps "
        "for SE/MSE). Circuit energy is the gate table's pJ per evaluation times the dataset "
        f"items; 0 pJ means {WIRING_ONLY_NOTE}.",
        "Energy savings compare whole configurations per inference: fetching every weight "
        "involved without the circuit (inputs ∪ outputs) against fetching the circuit's inputs "
        "plus the circuit (model-metrics columns fetch_inputs_and_outputs_without_circuit_*, "
        "fetch_inputs_plus_circuit_*, energy_saved_per_inference_*).",
        "Tests (tests.csv): two-sided Mann–Whitney U per pair of levels with Vargha–Delaney Â12 "
        "(0.06/0.14/0.21 from 0.5: small/medium/large), Holm-adjusted over the pairs of one "
        "metric, factor and stratum; Kruskal–Wallis (ε²) with Conover's post-hoc (Holm) for three "
        "or more levels; Friedman (Kendall's W) on per-problem medians with Wilcoxon signed-rank "
        "post-hoc (Holm) when a factor is measured across several layers or kernels; Spearman "
        "and Pearson correlations, Holm over all correlations. A stratum in parentheses fixes the "
        f"other varying factors. α = {alpha:g}.",
    ]
    if normal_theory:
        parts.append(
            "Normal-theory path: D'Agostino–Pearson per group (needs 8 runs) and Levene at the "
            "same α, then Student or Welch t (Hedges' g), or ANOVA (η²) with Tukey HSD."
        )
    if primary_split:
        parts.append(f"Accuracy columns use the model-metrics of dataset.split {primary_split}.")
    return " ".join(parts)


def render_markdown(title: str, intro: str, sections: list[Section]) -> str:
    lines = [f"# {title}", "", intro, ""]
    for section in sections:
        lines += [f"## {section.title}", "", section.text, ""]
        if section.figure is not None:
            lines += [
                f"![{section.figure.title}](figures/{section.figure.name}.png)",
                "",
                f"[PDF](figures/{section.figure.name}.pdf)",
                "",
            ]
        if section.table is not None:
            lines += [markdown_table(section.table), ""]
        if section.more:
            lines += [section.more, ""]
    return "\n".join(lines)


STYLE = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f0f0f0}
img{max-width:100%;border:1px solid #eee}
p.note{color:#555}
"""


def render_html(title: str, intro: str, sections: list[Section], figures_dir: Path) -> str:
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2><p>{html.escape(section.text)}</p>")
        if section.figure is not None:
            data = base64.b64encode((figures_dir / f"{section.figure.name}.png").read_bytes())
            parts.append(
                f"<img alt='{html.escape(section.figure.title)}' "
                f"src='data:image/png;base64,{data.decode('ascii')}'>"
            )
        if section.table is not None:
            parts.append(html_table(section.table))
        if section.more:
            parts.append(f"<p class='note'>{html.escape(section.more)}</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
