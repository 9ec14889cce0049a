"""Type stubs for parley, the Python binding of the parley dialogue engine."""

import os
from typing import Literal, Mapping, Optional, Union

__version__: str

ActionName = Literal["continue", "hold", "transfer", "hangup", "close"]
# A slot's or a variable's value: a str; an int or a float only for one declared `: number`
# (anything else raises TypeError).
Value = Union[str, int, float]

class Error(Exception):
    """The base of parley's exceptions."""

class CompileError(Error):
    """The rules have errors; str(error) is every diagnostic as a compiler prints them."""

    diagnostics: list[Diagnostic]

class SessionError(Error):
    """A session call a host got wrong; the message says what, as in C++."""

    code: Literal[
        "ended",
        "unknown_label",
        "bad_confidence",
        "bad_language",
        "bad_variable",
        "bad_slot",
        "bad_snapshot",
        "time_backwards",
        "limit",
    ]

class Diagnostic:
    """What the compiler said about the rules; str() prints it with the source line and a caret."""

    @property
    def severity(self) -> Literal["note", "warning", "error"]: ...
    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int:
        """1-based; 0 when it is about the whole file."""
    @property
    def column(self) -> int:
        """1-based, in code points."""
    @property
    def length(self) -> int: ...
    @property
    def message(self) -> str: ...
    @property
    def source_line(self) -> str: ...

class Rule:
    """Where a rule was written; str() is "file:line"."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...

class Action:
    """Something the script asks the host to do: `do validate-purchase(username, email)`."""

    @property
    def name(self) -> str: ...
    @property
    def arguments(self) -> dict[str, str]:
        """Each argument's value as the call has it now."""

class Reply:
    """What the operator should do now. A reply owns its data: it outlives later steps."""

    @property
    def phrase(self) -> str:
        """What to say; empty when the rule says nothing."""
    @property
    def action(self) -> ActionName: ...
    @property
    def state(self) -> int: ...
    @property
    def state_name(self) -> str: ...
    @property
    def hint(self) -> str:
        """Advice for the operator; empty when none."""
    @property
    def rule(self) -> Optional[Rule]:
        """The rule that fired; None when none did."""
    @property
    def ended(self) -> bool:
        """The call reached a terminal state (transfer, hangup, close)."""
    @property
    def actions(self) -> list[Action]:
        """In order: the handler's, then those of the state it entered."""

class Edge:
    @property
    def source(self) -> Optional[int]:
        """The state it leaves; None for a global handler (any state)."""
    @property
    def target(self) -> int: ...
    @property
    def trigger(self) -> str:
        """"insult, threat", "otherwise", "after 55s"."""
    @property
    def guard(self) -> str: ...
    @property
    def is_global(self) -> bool: ...
    @property
    def rule(self) -> Optional[Rule]: ...
    @property
    def host_actions(self) -> list[str]: ...

class Graph:
    """The state graph: states by index (as Reply.state and Edge.source/target), and every transition."""

    @property
    def states(self) -> list[str]: ...
    @property
    def actions(self) -> list[ActionName]: ...
    @property
    def initial(self) -> int: ...
    @property
    def entry_actions(self) -> list[list[str]]: ...
    @property
    def entry_changes(self) -> list[list[str]]: ...
    @property
    def flows(self) -> list[str]: ...
    @property
    def hints(self) -> list[str]: ...
    @property
    def fields(self) -> list[list[str]]: ...
    @property
    def edges(self) -> list[Edge]: ...

class Script:
    """A compiled script: immutable, shared by any number of sessions and threads."""

    def label(self, name: str) -> int:
        """The interned id of an intent or event, for a faster Session.step; SessionError when undeclared."""
    @property
    def labels(self) -> list[str]: ...
    @property
    def states(self) -> list[str]: ...
    @property
    def languages(self) -> list[str]: ...
    @property
    def files(self) -> list[str]: ...
    @property
    def fingerprint(self) -> int: ...
    @property
    def diagnostics(self) -> list[Diagnostic]:
        """The compiler's warnings (a script with errors raises CompileError instead)."""
    def graph(self) -> Graph: ...
    def dot(self) -> str:
        """The state graph as Graphviz DOT, as `parley graph` prints it."""

class Session:
    """One call over a script; used by one thread at a time."""

    def __init__(
        self,
        script: Script,
        *,
        language: Optional[str] = None,
        variables: Optional[Mapping[str, Value]] = None,
        slots: Optional[Mapping[str, Value]] = None,
    ) -> None:
        """language: None for the script's default; variables: NAME or NAME.LANG to its value."""
    def start(self) -> Reply:
        """The pickup: the initial state's entry phrase."""
    def step(self, label: Union[str, int], confidence: float = 1.0, slots: Mapping[str, Value] = {}) -> Reply:
        """One classified utterance: a label's name, or its id from Script.label (faster). A slot's
        value is a str (or a number for a slot declared `: number`); anything else raises TypeError."""
    def advance(self, seconds: float) -> list[Reply]:
        """Moves the clock to `seconds` since pickup; the reply of every timer that fired, in order.
        SessionError "time_backwards" for a time before the current one, "limit" for one that is not
        finite or past 49.7 days of call time."""
    def next_deadline(self) -> Optional[float]:
        """When the next timer falls due, in seconds since pickup; None when none is armed."""
    def reset(
        self,
        *,
        language: Optional[str] = None,
        variables: Optional[Mapping[str, Value]] = None,
        slots: Optional[Mapping[str, Value]] = None,
    ) -> None:
        """A new call on this session."""
    def snapshot(self) -> bytes:
        """Everything the call has accumulated, checksummed, for Session.restore."""
    @staticmethod
    def restore(script: Script, data: bytes, *, by_name: bool = False) -> Session:
        """The call of a snapshot; by_name maps it onto a changed script by names."""
    @property
    def state(self) -> int: ...
    @property
    def state_name(self) -> str: ...
    @property
    def ended(self) -> bool: ...
    @property
    def now(self) -> float: ...
    @property
    def language(self) -> str: ...
    def counter(self, name: str) -> int: ...
    def slot(self, name: str) -> str: ...
    def variable(self, name: str) -> str: ...

def load(path: Union[str, os.PathLike[str]]) -> Script:
    """Compile a .rules file and its includes; CompileError when the rules have errors."""

def compile(text: str, name: str = "<string>") -> Script:
    """Compile rules from a string; `name` is the file name diagnostics show."""
