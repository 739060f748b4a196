"""What experiment modules build on, gathered under the name they import it by.

The parts live in their own modules: :mod:`~compress.experiments.experiment` (the
:class:`Experiment` base and planning), :mod:`~compress.experiments.sub_experiment`,
:mod:`~compress.experiments.layout` (folder layout, finished-run rule),
:mod:`~compress.experiments.options` (engine option table, argparse helpers),
:mod:`~compress.experiments.sampling` and :mod:`~compress.experiments.discovery`.
"""

from compress.experiments.experiment import Experiment, engine_base_config
from compress.experiments.options import grid_size
from compress.experiments.sampling import all_filter_channel_pairs, sample_pairs
from compress.experiments.sub_experiment import SubExperiment

__all__ = [
    "Experiment",
    "SubExperiment",
    "all_filter_channel_pairs",
    "engine_base_config",
    "grid_size",
    "sample_pairs",
]
