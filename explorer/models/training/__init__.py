"""Training weights for analog hardware: on the chip, and off the chip, hardware-aware (the network
that `explorer.models.deployment` puts on simulated arrays).

* `on_chip`: `OnChipTraining`, on-chip training on analog tiles by the tile kernels
  (`kernels.tile_training`): the digits MLP or the 5 x 5 correlation task, SGD or Tiki-Taka, with
  device presets and the read-out.
* `python_tile`: the 5 x 5 correlation task on a tile modelled in Python (`SoftBoundsTile`,
  `TikiTaka`, `train_correlation`; soft bounds only, ideal read-out), the model of the 5 x 5 studies.
* `mlp`: the digits MLP (64-32-10) and its training in NumPy, digital or hardware-aware
  (`train_mlp`, `HWAConfig`, `load_mlp` for the shipped network).
* `mlp_background`: that training one epoch at a time, for a server thread (`NetworkTraining`).
"""

from .mlp import MLP, HWAConfig, load_mlp, train_mlp
from .mlp_background import NetworkTraining
from .on_chip import OnChipTraining
from .python_tile import SoftBoundsTile, TikiTaka, train_correlation

__all__ = [
    "MLP",
    "HWAConfig",
    "NetworkTraining",
    "OnChipTraining",
    "SoftBoundsTile",
    "TikiTaka",
    "load_mlp",
    "train_correlation",
    "train_mlp",
]
