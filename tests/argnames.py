"""`naming(name)`: the `match` pattern for an error that names argument `name`.

`pytest.raises(match=...)` searches the message anywhere, so a bare one-letter name ("t", "g",
"X") matches nearly every message. The project's messages begin with the argument's name ("t must
be a real number ...") or quote it as Param does ("Number parameter 'OnChipTraining.lr' ..."), so
the pattern asks for exactly that: the name at the start of the message, followed by a non-word
character, or the name in quotes, optionally after its class.
"""

import re


def naming(name):
    """Regular expression matching a message that names argument `name` (see the module)."""
    n = re.escape(name)
    return rf"^{n}(?!\w)|'(?:\w+\.)?{n}'"
