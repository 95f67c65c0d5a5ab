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
from .devices_explorer import DevicesExplorer

__all__ = [
    "TECHNOLOGIES", "Device", "DeviceArray", "DeviceModel", "DevicesExplorer", "ECRAMDevice",
    "FlashDevice", "HermesPCMDevice", "PCMDevice", "RRAMDevice", "SoftBoundsDevice",
]
