"""The `panel serve` entry: a template with an overview and one tab per dashboard.

Run with ``panel serve explorer/app.py`` (or ``analog-explorer``). Each browser
session executes this script and gets its own models; nothing is shared.
"""

import panel as pn

from explorer.models import DevicesExplorer
from explorer.views import DevicesView

OVERVIEW = """
## Analog AI weight-encoding explorer

Analog in-memory computing stores each neural-network weight as the conductance
of one or more memory devices and computes a matrix-vector product with Ohm's
and Kirchhoff's laws. The devices are imperfect: programming is noisy, reads are
noisy, conductances drift with time and temperature. This app lets you change
those imperfections and watch what happens.

**Devices** (this release): PCM (Joshi et al. 2020 and the 14 nm HERMES chip),
filamentary RRAM with telegraph noise, NOR Flash in subthreshold, ECRAM-like and
soft-bounds pulse-update devices. Drag the time slider from one second to ten
years and watch the programmed levels of PCM sink and merge; switch to Flash and
change the temperature.

Coming in later releases: weight encodings (differential pairs, bit slicing),
the crossbar with DAC/ADC and IR drop, programming algorithms, reliability over
time on a real network, and on-chip training.

Every plot states what it shows, with its equation and its source. The same seed
gives the same numbers here and in a notebook:

```python
from explorer.models import DeviceModel
dev = DeviceModel(technology="PCM")
arr = dev.program([5.0, 12.5, 25.0], seed=0)
g = arr.read(t=3600.0, seed=1)   # µS, one hour after programming
```
"""


def build_app():
    """A fresh template with fresh models (one per browser session)."""
    pn.extension("mathjax", sizing_mode="stretch_width", notifications=True)
    devices = DevicesView(model=DevicesExplorer())
    tabs = pn.Tabs(("Overview", pn.pane.Markdown(OVERVIEW, max_width=900)), ("Devices", devices),
                   active=1, dynamic=False, sizing_mode="stretch_width")
    if pn.state.location is not None:
        pn.state.location.sync(devices.model, {
            name: name for name in ("technology", "drift_scale", "prog_noise_scale", "read_noise_scale",
                                    "temperature_K", "n_levels", "log10_time", "n_devices", "seed")})
        pn.state.location.sync(tabs, {"active": "tab"})
    template = pn.template.BootstrapTemplate(
        title="Analog AI weight-encoding explorer", main=[tabs], header_background="#3f51b5")
    return template


if pn.state.served:
    build_app().servable()
