import parley

script = parley.load("rules/callcenter.rules")  # raises parley.CompileError with .diagnostics
call = parley.Session(script, language="en", variables={"company": "Acme"})
print(call.start().phrase)
reply = call.step("give_name", 0.93, {"name": "Olga"})
print(reply.phrase, f"[{reply.state_name}, {reply.action}]", reply.rule)
thanks = script.label("thanks")  # interned: the fast path
reply = call.step(thanks)
print(reply.phrase, f"[{reply.state_name}, {reply.action}]", reply.ended)
try:
    call.step(thanks)
except parley.SessionError as error:
    print(f"{error.code}: {error}")
snapshot = call.snapshot()  # bytes: store them, restore the call anywhere
print(parley.Session.restore(script, snapshot).state_name)
