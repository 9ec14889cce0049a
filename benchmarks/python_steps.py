#!/usr/bin/env python3
"""Steps per second through the Python package, against the CLI, on the default script.

One deterministic stream of classified utterances over interleaved calls (a call that ends is
replaced by a new one), weighted as benchmarks/make_stream.cpp weights them. It is answered:
  - by parley.Session.step with interned labels (Script.label), the fast path, and by name;
  - by `parley run` reading the same stream as a JSON Lines file (its batch throughput);
  - by `parley run` behind a pipe, one line written and its reply read at a time, as a Python
    host that drove the CLI would have to.
Before timing, the first round-trip replies are checked against Python's: same state, action
and phrase.

    PYTHONPATH=build/python python3 benchmarks/python_steps.py --cli build/parley
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import parley

WEIGHTS = {
    "greeting": 8, "state_purpose": 14, "give_name": 8, "complaint": 6, "anger": 5, "venting": 6,
    "unclear": 4, "rambling": 4, "accept": 8, "decline": 5, "didnt_catch": 4, "rapid_questions": 3,
    "no_time": 3, "reject_terms": 3, "reject_all": 2, "call_later": 1, "off_topic": 1,
    "personal_question": 1, "interrupting": 2, "demand_manager_contact": 1, "out_of_script": 2,
    "silence": 1, "thanks": 1, "insult": 1,
}  # fmt: skip


def make_stream(script, steps, calls, seed):
    """[(call slot, call id, intent, confidence, slots)], ending calls as the script ends them."""
    rng = random.Random(seed)
    bag = [name for name, weight in WEIGHTS.items() for _ in range(weight)]
    sessions = [parley.Session(script) for _ in range(calls)]
    generation = [0] * calls
    stream = []
    for _ in range(steps):
        slot = rng.randrange(calls)
        intent = rng.choice(bag)
        confidence = 0.45 if rng.randrange(20) == 0 else 0.9 + rng.randrange(10) / 100
        slots = {}
        if intent == "give_name":
            slots = {"name": f"Name{slot % 97}"}
        elif intent == "complaint":
            slots = {"fault": rng.choice(["company", "caller"])}
        stream.append((slot, f"c{slot}-{generation[slot]}", intent, confidence, slots))
        if sessions[slot].step(intent, confidence, slots).ended:
            sessions[slot].reset()
            generation[slot] += 1
    return stream


def run_python(script, events, calls):
    """Seconds to answer `events` [(slot, label, confidence, slots)] with one session per call."""
    sessions = [parley.Session(script) for _ in range(calls)]
    start = time.perf_counter()
    for slot, label, confidence, slots in events:
        call = sessions[slot]
        if call.step(label, confidence, slots).ended:
            call.reset()
    return time.perf_counter() - start


def json_line(call, intent, confidence, slots):
    line = {"call": call, "intent": intent, "confidence": confidence}
    if slots:
        line["slots"] = slots
    return json.dumps(line, ensure_ascii=False)


def check_and_time_round_trips(cli, rules, script, stream, count):
    """Seconds for `count` lines through a `parley run` pipe, one at a time; checks each reply."""
    sessions = {}
    expected = []
    for slot, call, intent, confidence, slots in stream[:count]:
        reply = sessions.setdefault(call, parley.Session(script)).step(intent, confidence, slots)
        expected.append((reply.state_name, reply.action, reply.phrase))
    process = subprocess.Popen([cli, "run", rules, "--input", "-"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True, encoding="utf-8", bufsize=1)
    start = time.perf_counter()
    for i, (slot, call, intent, confidence, slots) in enumerate(stream[:count]):
        process.stdin.write(json_line(call, intent, confidence, slots) + "\n")
        process.stdin.flush()
        got = json.loads(process.stdout.readline())
        if (got.get("state"), got.get("action"), got.get("phrase")) != expected[i]:
            sys.exit(f"line {i + 1}: parley run answered {got}, Python {expected[i]}")
    seconds = time.perf_counter() - start
    process.stdin.close()
    process.wait()
    return seconds


def main():
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default=str(root / "rules" / "callcenter.rules"))
    parser.add_argument("--cli", help="the parley binary; without it, only Python is timed")
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--round-trips", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the fastest counts")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    script = parley.load(args.rules)
    stream = make_stream(script, args.steps, args.calls, args.seed)
    interned = [(slot, script.label(intent), confidence, slots) for slot, _, intent, confidence, slots in stream]
    by_name = [(slot, intent, confidence, slots) for slot, _, intent, confidence, slots in stream]
    rows = []

    seconds = min(run_python(script, interned, args.calls) for _ in range(args.repeat))
    rows.append(("Python, interned labels", len(stream), seconds))
    seconds = min(run_python(script, by_name, args.calls) for _ in range(args.repeat))
    rows.append(("Python, labels by name", len(stream), seconds))

    if args.cli:
        with tempfile.TemporaryDirectory() as work:
            path = Path(work) / "stream.jsonl"
            with open(path, "w", encoding="utf-8") as out:
                for _, call, intent, confidence, slots in stream:
                    out.write(json_line(call, intent, confidence, slots) + "\n")
            best = None
            for _ in range(args.repeat):
                start = time.perf_counter()
                subprocess.run([args.cli, "run", args.rules, "--input", str(path)], stdout=subprocess.DEVNULL, check=False)
                best = min(best or 1e9, time.perf_counter() - start)
            rows.append(("parley run, a JSON Lines file (batch)", len(stream), best))
        count = min(args.round_trips, len(stream))
        rows.append(("parley run behind a pipe, line by line", count, check_and_time_round_trips(args.cli, args.rules, script, stream, count)))

    print(f"{len(stream):,} steps over {args.calls:,} interleaved calls of {os.path.basename(args.rules)}")
    print(f"{'':<42} {'steps':>10} {'seconds':>9} {'steps/s':>12}")
    for name, steps, seconds in rows:
        print(f"{name:<42} {steps:>10,} {seconds:>9.3f} {steps / seconds:>12,.0f}")


if __name__ == "__main__":
    main()
