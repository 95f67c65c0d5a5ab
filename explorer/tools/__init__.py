"""Commands for people working on the project: results tables, benchmarks, the classroom load
command, studies, and `served` (the app under a real `panel serve`, seen from headless Chromium,
which the browser tests use too).

Never imported by the app (`explorer.app`, `explorer.cli`, `explorer.sessions`, `explorer.warmup`,
`explorer.views`, `explorer.models`: `tests/test_layout.py` checks it); each command is run as
``python -m explorer.tools.NAME``.
"""
