"""The `panel serve` entry: a header bar, an overview and one tab per dashboard.

Run with ``panel serve explorer/app.py`` (or ``analog-explorer``). Each browser
session executes this script and gets its own models and views; what the sessions of a server
share is results that are pure functions of their settings (`SharedResults`, the Reliability
tab's trained networks, both in `pn.state.cache`) and the compiled kernels.
"""

import panel as pn

from explorer.sessions import never_cdn_style_sheets, serve_resources_locally, session_created, session_destroyed
from explorer.views import CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView

OVERVIEW = """
## Analog AI weight-encoding explorer

Analog in-memory computing stores each neural-network weight as the conductance
of one or more memory devices and computes a matrix-vector product with Ohm's
and Kirchhoff's laws. The devices are imperfect: programming is noisy, reads are
noisy, conductances drift with time and temperature. This app lets you change
those imperfections and watch what happens.

**Devices**: PCM (Joshi et al. 2020 and the 14 nm HERMES chip), filamentary
RRAM with telegraph noise, NOR Flash in subthreshold, ECRAM-like and soft-bounds
pulse-update devices. Drag the time slider from one second to ten years and
watch the programmed levels of PCM sink and merge; switch to Flash and change
the temperature.

**Encoding**: how several devices hold one signed weight: differential pairs
(one-sided, two-sided, set-only), offset mappings, bit slicing with a
significance base F. See the MVM error fall as slices are added (and by how
much, for F = 1, 2 and 16), split the error into its sources, and watch a
common-mode shift cancel (or not).

**Crossbar**: the matrix-vector product on an array up to 1024 x 1024: DAC,
read noise, IR drop on the wires, stuck devices and an ADC per column and
slice. Compare ideal and analog outputs, and how the error moves with ADC bits
and wire resistance.

**Programming**: write a matrix with one-shot pulses, program-and-verify device by
device, or gradient-descent programming through the array's own read-out; press
Start and watch the errors, pulses and chip time converge, switch on IR drop and
see which method learns around it, and compare the methods in one table.

**Reliability**: a handwritten-digits network (97.2 % in floating point) deployed on
simulated chips; drag time, the drift and noise scales, switch on drift
compensation, narrow the ADC, train the network hardware-aware, and watch accuracy
against time with its Monte-Carlo band; below it, RRAM read disturb (unipolar against
bipolar reading), Flash wear, or every technology in one plot.

**Training**: the same network trained on the chip itself, on devices with few states and
an up/down asymmetry: press Start and watch floating-point SGD, in-memory SGD and the
Tiki-Taka variants learn side by side; move the asymmetry, the number of states or the
reference offset and see which algorithm still learns, with the tiles' histograms and the
device's update curve with its symmetry point.

Every plot states what it shows, with its equation and its source. The same seed
gives the same numbers here and in a notebook:

```python
from explorer.models import DeviceModel
dev = DeviceModel(technology="PCM")
arr = dev.program([5.0, 12.5, 25.0], seed=0)
g = arr.read(t=3600.0, seed=1)   # µS, one hour after programming

from explorer.models import CrossbarModel, protocol_inputs, protocol_weights
W, X = protocol_weights(256, 256, seed=0), protocol_inputs(64, 256, seed=1)
prog = CrossbarModel(technology="PCM", n_slices=2, adc_bits=8).program(W, seed=0)
Y = prog.mvm(X, t=3600.0, seed=2)    # read noise drawn anew at each call
prog.error(X, t=3600.0, seed=2)      # mean ||y - y_ideal|| / ||y_ideal||
```
"""


HEADER = (
    "<div style='background:#3f51b5;color:white;padding:12px 20px;font-size:1.45em;"
    "font-family:sans-serif'>Analog AI weight-encoding explorer</div>"
)

DASHBOARDS = (
    # (tab title, URL prefix of its parameters, view class): tab k + 1 of the app, after the overview.
    ("Devices", "dev", DevicesView),
    ("Encoding", "enc", EncodingView),
    ("Crossbar", "xb", CrossbarView),
    ("Programming", "prog", ProgrammingView),
    ("Reliability", "rel", ReliabilityView),
    ("Training", "train", TrainingView),
)


def build_app():
    """A fresh page with fresh models (one per browser session).

    Tabs are dynamic and each dashboard renders lazily: opening the app builds the figures and
    computes the data of the visible tab only.
    """
    pn.extension("mathjax", sizing_mode="stretch_width")
    views = [(title, prefix, cls()) for title, prefix, cls in DASHBOARDS]
    tabs = pn.Tabs(
        ("Overview", pn.pane.Markdown(OVERVIEW, max_width=900)),
        *[(title, view) for title, _, view in views],
        active=1,
        dynamic=True,
        sizing_mode="stretch_width",
    )
    if pn.state.location is not None:
        # Each tab's parameters in the URL under a prefix, so a shared link restores the view.
        for _, prefix, view in views:
            for obj, names in view.synced():
                pn.state.location.sync(obj, {n: f"{prefix}.{n}" for n in names})
        pn.state.location.sync(tabs, {"active": "tab"})
    # A plain column with a header bar rather than a Panel template: the template added Bootstrap's
    # scripts and style sheets, Font Awesome and server time to every page (measured in
    # docs/results/benchmarks.md, "Server and kernel settings").
    header = pn.pane.HTML(HEADER, sizing_mode="stretch_width", margin=0)
    template = pn.Column(header, tabs, sizing_mode="stretch_width", margin=0)
    return template


if pn.state.served:
    never_cdn_style_sheets()
    build_app().servable()
    serve_resources_locally(pn.state.curdoc)
    # One line per session in the server's output: the load command counts sessions cleaned up.
    session_created(pn.state.curdoc.session_context)
    pn.state.on_session_destroyed(session_destroyed)
