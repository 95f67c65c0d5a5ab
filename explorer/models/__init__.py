"""Param models: the scripting API used in notebooks. No Panel import here."""

from .devices import (
    TECHNOLOGIES,
    Device,
    DeviceArray,
    DeviceModel,
    ECRAMDevice,
    FlashDevice,
    HermesPCMDevice,
    PCMDevice,
    RRAMDevice,
    SoftBoundsDevice,
)
from .crossbar import CrossbarModel, ProgrammedCrossbar, protocol_inputs, protocol_weights
from .crossbar_explorer import CrossbarExplorer
from .devices_explorer import DevicesExplorer
from .encoding_explorer import EncodingExplorer

__all__ = [
    "TECHNOLOGIES", "CrossbarExplorer", "CrossbarModel", "Device", "DeviceArray", "DeviceModel",
    "DevicesExplorer", "ECRAMDevice", "EncodingExplorer", "FlashDevice", "HermesPCMDevice", "PCMDevice",
    "ProgrammedCrossbar", "RRAMDevice", "SoftBoundsDevice", "protocol_inputs", "protocol_weights",
]
