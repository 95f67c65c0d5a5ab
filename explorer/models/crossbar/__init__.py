"""A signed weight matrix on a crossbar: encoded on devices, programmed, read out and calibrated.

`model` holds `CrossbarModel` (the settings) and `ProgrammedCrossbar` (one programmed array), which
delegates its four jobs to `weight_encoding` (weights to conductance targets and back), `state`
(the programmed devices and their faults), `readout` (DAC, analog product, noise, ADC) and
`calibration` (ADC ranges and the drift gain factor); `protocol_data` draws the matrix-vector-product
protocol's weights and inputs. Pulse-level programming is `explorer.models.programming`, which
`CrossbarModel.program` uses (it never imports this package).
"""

from .model import CrossbarModel, ProgrammedCrossbar
from .protocol_data import calibration_inputs, protocol_inputs, protocol_weights

__all__ = ["CrossbarModel", "ProgrammedCrossbar", "calibration_inputs", "protocol_inputs", "protocol_weights"]
