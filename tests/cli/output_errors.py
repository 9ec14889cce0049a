#!/usr/bin/env python3
"""Every subcommand that writes to stdout fails loudly when the output cannot be written: to
/dev/full, or to a pipe whose reader is gone (SIGPIPE ignored, as a host may leave it: status 2
and a message; SIGPIPE as it is by default: the kernel ends the process, never status 0). And
`parley fmt FILE` replaces a file whole or not at all. Usage: output_errors.py PATH/TO/parley
(run from the repository's root)"""
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

PARLEY = sys.argv[1]
failures = []

COMMANDS = [
    (["check", "--json", "tests/cli/errors.rules"], None),
    (["graph", "tests/cli/timers.rules"], None),
    (["test", "tests/cli/timers.rules", "tests/cli/hints.tests"], None),
    (["screen", "rules/callcenter.rules", "Алло, НЕ КРИЧИТЕ НА МЕНЯ!"], None),
    (["bench", "tests/cli/timers.rules", "--input", "tests/cli/bad_lines.jsonl"], None),
    (["fmt", "-"], "tests/cli/actions.rules"),
    (["fmt", "--check", "tests/cli/actions.rules", "tests/cli/timers.rules"], None),
    (["chat", "tests/cli/timers.rules"], "tests/cli/chat.txt"),
    (["run", "tests/cli/timers.rules", "--input", "tests/cli/bad_lines.jsonl"], None),
    (["--help"], None),
    (["run", "--help"], None),
    (["--version"], None),
]


def run(args, stdin, stdout, ignore_sigpipe):
    def child():
        signal.signal(signal.SIGPIPE, signal.SIG_IGN if ignore_sigpipe else signal.SIG_DFL)
    with open(stdin or os.devnull, "rb") as given:
        return subprocess.run([PARLEY] + args, stdin=given, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=child, timeout=60)


def closed_pipe():
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


for args, stdin in COMMANDS:
    name = " ".join(args)
    with open("/dev/full", "wb") as full:
        r = run(args, stdin, full, False)
    if r.returncode != 2 or b"cannot write" not in r.stderr:
        failures.append(f"{name} >/dev/full: status {r.returncode}, stderr {r.stderr[-200:]!r}")
    for ignore in (True, False):
        fd = closed_pipe()
        try:
            r = run(args, stdin, fd, ignore)
        finally:
            os.close(fd)
        if ignore and (r.returncode != 2 or b"cannot write" not in r.stderr):
            failures.append(f"{name} | closed pipe, SIGPIPE ignored: status {r.returncode}, stderr {r.stderr[-200:]!r}")
        if not ignore and r.returncode == 0:
            failures.append(f"{name} | closed pipe: status 0")

# parley fmt FILE: a write that fails (here past a file size limit, as on a full disk) leaves the
# script as it was and no file beside it; one that succeeds keeps the script's mode.
with tempfile.TemporaryDirectory() as tmp:
    script = os.path.join(tmp, "script.rules")
    shutil.copy("tests/cli/actions.rules", script)
    os.chmod(script, 0o640)
    original = open(script, "rb").read()

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))
    r = subprocess.run([PARLEY, "fmt", script], capture_output=True, preexec_fn=small_files, timeout=60)
    if r.returncode != 2 or b"cannot write" not in r.stderr or b"the file is as it was" not in r.stderr:
        failures.append(f"fmt on a full disk: status {r.returncode}, stderr {r.stderr!r}")
    if open(script, "rb").read() != original:
        failures.append("fmt on a full disk changed the script")
    if os.listdir(tmp) != ["script.rules"]:
        failures.append(f"fmt on a full disk left files behind: {os.listdir(tmp)}")

    r = subprocess.run([PARLEY, "fmt", script], capture_output=True, timeout=60)
    want = subprocess.run([PARLEY, "fmt", "-"], input=original, capture_output=True, timeout=60).stdout
    if r.returncode != 0 or open(script, "rb").read() != want or want == original:
        failures.append(f"fmt: status {r.returncode}, stderr {r.stderr!r}")
    if os.listdir(tmp) != ["script.rules"] or stat.S_IMODE(os.stat(script).st_mode) != 0o640:
        failures.append(f"fmt: {os.listdir(tmp)}, mode {oct(os.stat(script).st_mode)}")

for f in failures:
    print("FAILED:", f)
print("output errors: all checks passed" if not failures else f"output errors: {len(failures)} failed")
sys.exit(1 if failures else 0)
