"""parley: a rule-based dialogue engine for call centers.

Compile a script once (``parley.load`` / ``parley.compile``), run one ``parley.Session`` per
call, and feed it the caller's classified utterances: ``session.step(label)`` returns the
operator's phrase, the action, the state, a hint and the rule that fired.
"""

from ._parley import (
    Action,
    CompileError,
    Diagnostic,
    Edge,
    Error,
    Graph,
    Reply,
    Rule,
    Script,
    Session,
    SessionError,
    __version__,
    compile,
    load,
)

__all__ = [
    "Action",
    "CompileError",
    "Diagnostic",
    "Edge",
    "Error",
    "Graph",
    "Reply",
    "Rule",
    "Script",
    "Session",
    "SessionError",
    "__version__",
    "compile",
    "load",
]
