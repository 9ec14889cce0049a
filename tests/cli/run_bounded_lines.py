#!/usr/bin/env python3
"""parley run's output lines stay bounded: a line lists at most 1,000 expired call ids (the rest
on the lines that follow, each id once, in order, "expired_pending" saying how many are still to
come) and at most 1,000 timer replies ("timers_omitted" counting the others). Usage:
run_bounded_lines.py PATH/TO/parley (run from the repository's root)"""
import json
import os
import subprocess
import sys
import tempfile

PARLEY = sys.argv[1]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)


def run(script, lines, *args):
    given = "".join(json.dumps(line) + "\n" for line in lines)
    r = subprocess.run([PARLEY, "run", script, *args], input=given.encode(), capture_output=True, timeout=120)
    out = r.stdout.decode().splitlines()
    check(len(out) == len(lines), f"{len(out)} output lines for {len(lines)} input lines")
    return [json.loads(line) for line in out], max((len(line) for line in out), default=0)


# 2,500 calls go idle at once; a new call's line notices them all.
calls = [{"call": f"idle-{i:04}", "event": "pickup"} for i in range(2500)]
tail = [{"call": "z", "event": "pickup"}, {"call": "z", "event": "tick", "at": 100}] + [{"call": "z", "event": "tick", "at": 100 + k} for k in range(1, 4)]
answers, longest = run("tests/cli/timers.rules", calls + tail, "--idle-timeout", "10")
listed = [a.get("expired", []) for a in answers[2500:]]
check([len(x) for x in listed] == [0, 1000, 1000, 500, 0], f"ids per line: {[len(x) for x in listed]}")
check([a.get("expired_pending") for a in answers[2500:]] == [None, 1500, 500, None, None],
      f"pending: {[a.get('expired_pending') for a in answers[2500:]]}")
check(sum(listed, []) == [c["call"] for c in calls], "every expired id listed once, in order")
check(longest < 64 << 10, f"a line of {longest} bytes")

# A call whose two states pass it back and forth every second, told it is 4,000,000 s later.
with tempfile.TemporaryDirectory() as tmp:
    loop = os.path.join(tmp, "loop.rules")
    with open(loop, "w") as f:
        f.write("intent hi\nstate a initial\n  on hi -> stay\n  after 1s -> b\nend\nstate b\n  on hi -> stay\n  after 1s -> a\nend\n")
    answers, longest = run(loop, [{"call": "a", "event": "pickup"}, {"call": "a", "event": "tick", "at": 4000000},
                                  {"call": "a", "intent": "hi", "at": 4000000.5}, {"call": "a", "intent": "hi", "at": 4001000.5}])
    tick, quiet, busy = answers[1], answers[2], answers[3]
    check(len(tick["timers"]) == 1000 and tick["timers_omitted"] == 3998999 and tick["state"] == "a", f"tick: {str(tick)[-200:]}")
    check("timers" not in quiet and "timers_omitted" not in quiet, f"no timer: {quiet}")
    check(len(busy["timers"]) == 1000 and "timers_omitted" not in busy, f"1,000 timers: {str(busy)[-200:]}")
    check(longest < 1 << 20, f"a line of {longest} bytes")

for f in failures:
    print("FAILED:", f)
print("bounded lines: all checks passed" if not failures else f"bounded lines: {len(failures)} failed")
sys.exit(1 if failures else 0)
