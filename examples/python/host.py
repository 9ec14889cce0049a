#!/usr/bin/env python3
"""A call-center host in Python: what the caller says, typed one line per utterance, is labelled
by a keyword classifier and drives rules/callcenter.rules; each reply prints the operator's
phrase and action. An empty line is silence; the call ends when the script ends it.

The classifier is a STAND-IN: a real host calls its intent model here (and passes the model's
confidence, which parley confirms when it is low).

    PYTHONPATH=build/python python3 examples/python/host.py [--lang en] [RULES]
"""

import argparse
import re
import sys
from pathlib import Path

import parley

# Intent -> words that suggest it, first match wins; deliberately naive.
KEYWORDS = [
    ("insult", ["idiot", "stupid", "useless"]),
    ("threat", ["sue", "lawyer", "court"]),
    ("demand_supervisor", ["supervisor", "manager"]),
    ("emergency", ["emergency", "fire", "ambulance"]),
    ("goodbye", ["bye", "goodbye"]),
    ("thanks", ["thanks", "thank"]),
    ("complaint", ["complain", "complaint", "broken"]),
    ("anger", ["angry", "unhappy", "terrible", "awful"]),
    ("call_later", ["later", "busy"]),
    ("didnt_catch", ["pardon", "repeat", "what did you say"]),
    ("greeting", ["hello", "hi", "good morning", "good afternoon"]),
    ("accept", ["yes", "sure", "okay", "ok", "agree"]),
    ("decline", ["no", "nope"]),
    ("state_purpose", ["question", "internet", "bill", "order", "address", "tariff"]),
]
NAME = re.compile(r"\b(?i:my name is|i am|i'm|this is)\s+([A-Z][\w-]*)")


def classify(text):
    """(intent, confidence, slots) for a line of what the caller said."""
    if not text.strip():
        return "silence", 1.0, {}
    name = NAME.search(text)
    if name:
        return "give_name", 0.9, {"name": name.group(1)}
    words = text.lower()
    for intent, keywords in KEYWORDS:
        if any(re.search(r"\b" + re.escape(k) + r"\b", words) for k in keywords):
            return intent, 0.9, {}
    return "unclear", 0.5, {}  # below the script's threshold: the operator confirms first


def main():
    default = Path(__file__).resolve().parents[2] / "rules" / "callcenter.rules"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rules", nargs="?", default=str(default))
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()

    script = parley.load(args.rules)
    call = parley.Session(script, language=args.lang, variables={"company": "Acme"})
    print(f"operator: {call.start().phrase}")
    for line in sys.stdin:
        text = line.rstrip("\n")
        intent, confidence, slots = classify(text)
        reply = call.step(intent, confidence, slots)
        print(f"caller:   {text}\n  ({intent} @{confidence})")
        print(f"operator: {reply.phrase}  [{reply.action}, {reply.state_name}]")
        if reply.ended:
            print(f"call ended: {reply.action}")
            break


if __name__ == "__main__":
    main()
