"""Commands for people working on the project: results tables, benchmarks, load tools.

Never imported by the app (`explorer.app`, `explorer.views`, `explorer.models`); each module is run
as ``python -m explorer.tools.NAME``.
"""
