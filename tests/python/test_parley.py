"""The Python package: every entry point, errors as exceptions with the C++ messages."""

import ast
import inspect
import types
from pathlib import Path

import pytest

import parley

ROOT = Path(__file__).resolve().parents[2]
CALLCENTER = ROOT / "rules" / "callcenter.rules"

RULES = """\
setting language = en
slot name
slot days: number
variable company = "Acme"
intent hello
intent give_name
intent bye
state waiting initial
  say "Hello, this is {company}. Who is calling?"
  on give_name -> stay
    keep name, days
    say "Nice to meet you, {name}."
    do note-name(name)
  on bye -> done
  after 10s -> reminder
end
state reminder
  say "Are you still there?"
  hint "Wait for the caller"
  on hello -> waiting
  after 20 -> done
end
state done action close
  say en "Goodbye." ro "La revedere."
end
"""


@pytest.fixture(scope="module")
def script():
    return parley.compile(RULES, name="call.rules")


def test_compile_error_carries_the_diagnostics():
    with pytest.raises(parley.CompileError) as caught:
        parley.compile("intent hi\nstate a initial\n  on hi -> nowhere\nend\n", name="bad.rules")
    error = caught.value
    assert isinstance(error, parley.Error)
    assert str(error).startswith("bad.rules:3:12: error: undefined state 'nowhere'\n")
    first = error.diagnostics[0]
    assert isinstance(first, parley.Diagnostic)
    assert (first.severity, first.file, first.line, first.column, first.length) == ("error", "bad.rules", 3, 12, 7)
    assert first.message == "undefined state 'nowhere'"
    assert first.source_line == "  on hi -> nowhere"
    assert str(first) in str(error)
    assert "bad.rules:3:12" in repr(first)


def test_load_from_a_path_or_a_str():
    script = parley.load(CALLCENTER)
    assert parley.load(str(CALLCENTER)).fingerprint == script.fingerprint
    assert "give_name" in script.labels and "intake" in script.states and "en" in script.languages
    assert script.files[0].endswith("callcenter.rules")
    assert script.diagnostics == []
    assert "states" in repr(script)
    with pytest.raises(parley.CompileError, match="no/such.rules"):
        parley.load("no/such.rules")


def test_includes_are_confined_as_parley_check_confines_them(tmp_path):
    (tmp_path / "secret.rules").write_text("THE SECRET LINE\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "link.rules").symlink_to(tmp_path / "secret.rules")
    (tmp_path / "app" / "main.rules").write_text('include "link.rules"\nintent hi\nstate a initial\n  on hi -> stay\nend\n')
    with pytest.raises(parley.CompileError, match="is outside the folders includes may read from") as caught:
        parley.load(tmp_path / "app" / "main.rules")
    assert "SECRET" not in str(caught.value)


def test_a_call_by_name_and_by_interned_label(script):
    call = parley.Session(script, language="en", variables={"company": "Initech"})
    assert call.start().phrase == "Hello, this is Initech. Who is calling?"
    reply = call.step("give_name", 0.9, {"name": "Ana"})
    assert isinstance(reply, parley.Reply)
    assert reply.phrase == "Nice to meet you, Ana."
    assert (reply.action, reply.state, reply.state_name, reply.hint, reply.ended) == ("continue", 0, "waiting", "", False)
    assert (reply.rule.file, reply.rule.line, str(reply.rule)) == ("call.rules", 10, "call.rules:10")
    [action] = reply.actions
    assert (action.name, action.arguments) == ("note-name", {"name": "Ana"})
    assert "note-name(name='Ana')" in repr(action)
    assert call.slot("name") == "Ana" and call.variable("company") == "Initech"

    bye = script.label("bye")
    assert isinstance(bye, int)
    end = call.step(bye)
    assert (end.phrase, end.action, end.ended, end.state_name) == ("Goodbye.", "close", True, "done")
    assert call.ended
    # A reply owns its phrase: later steps do not change it.
    assert reply.phrase == "Nice to meet you, Ana."
    assert "done close 'Goodbye.' ended" in repr(end)


def test_step_takes_keywords_and_checks_its_arguments(script):
    call = parley.Session(script)
    assert call.step(label="give_name", slots={"name": "Ed"}, confidence=0.9).phrase == "Nice to meet you, Ed."
    assert call.step(script.label("give_name"), slots={"name": "Al"}).phrase == "Nice to meet you, Al."
    assert list(inspect.signature(call.step).parameters) == ["label", "confidence", "slots"]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        call.step("hello", colour=1)
    with pytest.raises(TypeError, match="multiple values for argument 'label'"):
        call.step("hello", label="hello")
    with pytest.raises(TypeError, match="missing required argument 'label'"):
        call.step()
    with pytest.raises(TypeError, match="at most 3 arguments"):
        call.step("hello", 1.0, {}, None)
    with pytest.raises(TypeError):
        call.step("hello", "high")
    with pytest.raises(TypeError):
        parley.Reply()


def test_slots_of_any_mapping_str_values_and_numbers_for_number_slots(script):
    call = parley.Session(script)
    assert call.step("give_name", slots=types.MappingProxyType({"name": "Bo", "days": 3})).phrase == "Nice to meet you, Bo."
    assert call.slot("days") == "3"
    call.step("give_name", slots={"days": 2.5})
    assert call.slot("days") == "2.5"
    # Anything else is refused, not said as its str(): None would be spoken as "None".
    for slots, message in [({"name": None}, "slot 'name' takes a str, not NoneType"),
                           ({"name": 7}, "slot 'name' takes a str, not int"),
                           ({"days": True}, "slot 'days' takes a str or a number, not bool"),
                           ({"name": object()}, "slot 'name' takes a str, not object"),
                           ({1: "x"}, "slot names are str, not int")]:
        with pytest.raises(TypeError, match=f"^{message}$"):
            call.step("give_name", slots=slots)
    assert call.slot("name") == "Bo"
    with pytest.raises(TypeError, match="^variable 'company' takes a str, not NoneType$"):
        parley.Session(script, variables={"company": None})
    with pytest.raises(TypeError, match="^slot 'name' takes a str, not list$"):
        call.reset(slots={"name": ["Bo"]})


def test_session_errors_say_what_cpp_says(script):
    call = parley.Session(script)
    with pytest.raises(parley.SessionError, match="^the script declares no intent or event 'nope'$") as caught:
        call.step("nope")
    assert caught.value.code == "unknown_label"
    with pytest.raises(parley.SessionError, match="^the script declares no intent or event 'nope'$"):
        script.label("nope")
    with pytest.raises(parley.SessionError, match="^label id 99 is out of range$"):
        call.step(99)
    with pytest.raises(parley.SessionError, match="^label id -1 is out of range$"):
        call.step(-1)
    with pytest.raises(parley.SessionError, match="confidence must be a number from 0 to 1") as caught:
        call.step("hello", 1.5)
    assert caught.value.code == "bad_confidence"
    with pytest.raises(parley.SessionError, match="slot 'days' takes a number, not 'many'"):
        call.step("give_name", slots={"days": "many"})
    with pytest.raises(TypeError, match="label must be a str or an int"):
        call.step(1.5)
    with pytest.raises(parley.SessionError, match="^the script has no language 'xx'$") as caught:
        parley.Session(script, language="xx")
    assert caught.value.code == "bad_language"
    with pytest.raises(parley.SessionError, match="^the script declares no variable 'colour'$"):
        parley.Session(script, variables={"colour": "red"})

    call.step("bye")
    with pytest.raises(parley.SessionError, match=r"^the call has ended in state 'done'; reset\(\) the session or start a new one$") as caught:
        call.step("hello")
    assert caught.value.code == "ended"
    call.reset(language="ro")
    assert call.language == "ro" and not call.ended
    assert call.step("bye").phrase == "La revedere."
    call.reset()
    assert call.language == "en" and call.state_name == "waiting"


def test_advance_returns_every_timer_reply(script):
    call = parley.Session(script)
    assert call.next_deadline() == 10.0
    assert call.advance(5) == []
    first, second = call.advance(40)
    assert (first.phrase, first.state_name, first.hint, first.rule.line) == ("Are you still there?", "reminder", "Wait for the caller", 15)
    assert (second.phrase, second.ended) == ("Goodbye.", True)
    assert call.next_deadline() is None
    assert call.now == 40.0
    with pytest.raises(parley.SessionError, match="time went backwards") as caught:
        call.advance(20)
    assert caught.value.code == "time_backwards"
    for seconds in [1e300, float("nan"), float("inf")]:
        with pytest.raises(parley.SessionError, match=r"^time must be a finite number of seconds up to 4294967.295 \(49.7 days") as caught:
            call.advance(seconds)
        assert caught.value.code == "limit"
    assert call.now == 40.0


def test_snapshots_exact_by_name_and_damaged(script):
    call = parley.Session(script, language="ro")
    call.step("give_name", slots={"name": "Ana"})
    call.advance(12)
    data = call.snapshot()
    assert isinstance(data, bytes) and data.startswith(b"PLY2")

    copy = parley.Session.restore(script, data)
    assert copy.snapshot() == data
    assert (copy.state_name, copy.slot("name"), copy.language) == ("reminder", "Ana", "ro")

    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x10
    with pytest.raises(parley.SessionError, match="^the snapshot is damaged: its checksum does not match$") as caught:
        parley.Session.restore(script, bytes(damaged))
    assert caught.value.code == "bad_snapshot"

    changed = parley.compile(RULES.replace('say "Nice to meet you, {name}."', 'say "Still {name}."').replace("intent bye\n", "intent bye\nintent extra\n"))
    with pytest.raises(parley.SessionError, match="another script"):
        parley.Session.restore(changed, data)
    moved = parley.Session.restore(changed, data, by_name=True)
    moved.step("hello")
    assert moved.step("give_name").phrase == "Still Ana."


def test_graph_for_tools():
    script = parley.load(CALLCENTER)
    graph = script.graph()
    assert graph.states == script.states
    assert graph.states[graph.initial] == "intake"
    assert len(graph.actions) == len(graph.states) and "hangup" in graph.actions
    assert all(isinstance(e, parley.Edge) for e in graph.edges)
    globals_ = [e for e in graph.edges if e.is_global]
    assert globals_ and all(e.source is None for e in globals_)
    local = next(e for e in graph.edges if not e.is_global)
    assert 0 <= local.source < len(graph.states) and 0 <= local.target < len(graph.states)
    assert local.trigger and local.rule.file.endswith("callcenter.rules")
    assert "states" in repr(graph)
    assert script.dot().startswith("digraph parley {")


def test_sessions_are_independent_and_outlive_their_script():
    calls = [parley.Session(parley.compile(RULES)) for _ in range(3)]
    calls[0].step("give_name", slots={"name": "A"})
    assert [c.slot("name") for c in calls] == ["A", "", ""]
    assert calls[1].step("bye").ended and not calls[2].ended


def test_the_type_stub_declares_what_the_module_has():
    stub = ast.parse((Path(parley.__file__).parent / "__init__.pyi").read_text())
    classes = {n.name: n for n in stub.body if isinstance(n, ast.ClassDef)}
    functions = {n.name for n in stub.body if isinstance(n, ast.FunctionDef)}
    assert set(parley.__all__) - {"__version__"} == set(classes) - {"ActionName"} | functions
    for name, node in classes.items():
        declared = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} - {"__init__"}
        public = {a for a in dir(getattr(parley, name)) if not a.startswith("_")}
        if not issubclass(getattr(parley, name), Exception):
            assert declared == public, name
