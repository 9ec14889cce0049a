"""Processes and traffic for parley serve's tests and its load benchmark (benchmarks/serve_load.py).

A Redis server and parley serve replicas on free loopback ports in a temporary directory, a
stream of many calls made from the example calls, the same stream answered by `parley run`,
and a client that sends each call's turns in order, one at a time, spread across replicas.
"""
import collections
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time

# Example calls on rules/callcenter.rules (with the variables below); interleaved has two calls,
# an unknown intent and a line for an ended call.
TEMPLATES = ["angry_customer", "abusive_caller", "child", "silent_line", "supervisor_request", "interleaved"]
SETS = ["--set", "company=Acme", "--set", "operator_name=Anna"]


failures = []  # the checks that failed, for the test's exit status


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what, flush=True)


def post(replica, body, path="/v1/turns", **kw):
    return replica.request("POST", path, body.encode() if isinstance(body, str) else body, **kw)


def without_redis():
    """0 when redis-server is installed; else says so and gives the exit status: 77 (skipped), or
    1 under CI=true, where it must be there."""
    if shutil.which("redis-server") is not None:
        return 0
    ci = os.environ.get("CI") == "true"
    print(("FAIL" if ci else "SKIP") + ": redis-server is missing (apt-get install redis-server)")
    return 1 if ci else 77


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """redis-server on a free loopback port (or `port`), by default nothing saved to disk; `config`
    adds redis-server options (say "--appendonly", "yes")."""

    def __init__(self, workdir, config=(), port=None):
        self.port = port or free_port()
        self.workdir = workdir
        self.config = ["--save", "", "--appendonly", "no", *config]
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.workdir, *self.config],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(400):
            if self.cli("PING").strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def restart(self, kill=True):
        """Stopped (SIGKILL: as a crash; else SIGTERM) and started again on the same port."""
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.proc.wait(timeout=10)
        self.start()

    def info(self, field):
        for line in self.cli("INFO", "memory").splitlines():
            if line.startswith(field + ":"):
                return int(line.split(":")[1])
        raise KeyError(field)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True)
        return r.stdout

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)


class Replica:
    """One `parley serve` on a free port (it picks the port and logs it)."""

    def __init__(self, parley, script, store, workdir, extra=(), listen="127.0.0.1:0", **popen):
        self.log = open(os.path.join(workdir, f"serve-{time.monotonic_ns()}.log"), "w+")
        self.token = None  # sent as a bearer token when set
        self.proc = subprocess.Popen([parley, "serve", script, "--listen", listen, "--store", store, *SETS, *extra],
                                     stdout=subprocess.DEVNULL, stderr=self.log, **popen)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.log.seek(0)
            for line in self.log:
                if '"listening"' in line:
                    self.port = json.loads(line)["port"]
                    return
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"parley serve exited with {self.proc.returncode}: {self.log.read()}")
            time.sleep(0.05)
        raise RuntimeError("parley serve did not start")

    def request(self, method, path, body=None, timeout=30, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = dict(headers or {})
        if self.token and "Authorization" not in headers:
            headers["Authorization"] = "Bearer " + self.token
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, r.read().decode()
        finally:
            c.close()

    def events(self, name=None):
        """The JSON lines of its log (those of event `name`)."""
        self.log.seek(0)
        out = []
        for line in self.log:
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if name is None or o.get("event") == name:
                out.append(o)
        return out

    def metric(self, name):
        for line in self.request("GET", "/metrics")[1].splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        raise KeyError(name)

    def status(self, field):
        """A field of /proc/PID/status, in kB for the memory ones (VmRSS, VmHWM), or a count (Threads)."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise KeyError(field)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


def raw(port, data, timeout=10, half_close=True):
    """`data` sent on a new connection as it is (then half-closed); everything the server sends
    until it closes, or until `timeout`."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def parse_response(data):
    """(status, headers as a lowercase dict, body) of the first HTTP response in `data`."""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", len(rest)))
    return status, headers, rest[:length]


def make_stream(root, calls, seed=1):
    """`calls` calls made from the example calls (each id made unique, each turn numbered with
    `seq`), interleaved at random; returns the JSON lines in stream order."""
    rng = random.Random(seed)
    per_call = []
    for k in range(calls):
        name = TEMPLATES[k % len(TEMPLATES)]
        by_id = collections.OrderedDict()
        with open(os.path.join(root, "examples", "calls", name + ".jsonl"), encoding="utf-8") as f:
            for text in f:
                try:
                    line = json.loads(text)
                except ValueError:
                    continue  # a line without a call cannot be routed to one
                line["call"] = f"{line['call']}-{k}"
                by_id.setdefault(line["call"], []).append(line)
        for turns in by_id.values():
            for seq, line in enumerate(turns, 1):
                line["seq"] = seq
            per_call.append(turns)
    stream = []
    pending = [list(t) for t in per_call]
    while pending:
        i = rng.randrange(len(pending))
        stream.append(json.dumps(pending[i].pop(0), ensure_ascii=False))
        if not pending[i]:
            pending[i] = pending[-1]
            pending.pop()
    return stream


def normalise(line, keys=None):
    """An answer without its line number (parley run numbers lines in its stream, serve in its
    body), or only its `keys`."""
    o = json.loads(line)
    o.pop("line", None)
    if keys:
        o = {k: v for k, v in o.items() if k in keys}
    return json.dumps(o, ensure_ascii=False, sort_keys=True)


def run_answers(parley, script, stream, workdir):
    """`parley run` on the stream: each call's answers, in order."""
    path = os.path.join(workdir, "stream.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(stream) + "\n")
    out = subprocess.run([parley, "run", script, "--input", path, *SETS], capture_output=True, text=True).stdout.splitlines()
    assert len(out) == len(stream), (len(out), len(stream))
    answers = collections.defaultdict(list)
    for line, answer in zip(stream, out):
        answers[json.loads(line)["call"]].append(normalise(answer))
    return answers


class Client:
    """Sends every call's turns in order, one at a time per call, `workers` at once, each turn to
    replica (call + turn) mod live replicas; a turn whose replica fails (refused, reset, timeout)
    is sent again, same line and seq, to another. Records each turn's answer and latency."""

    def __init__(self, replicas, stream, workers=16, timeout=10, retry_statuses=()):
        self.replicas = list(replicas)
        self.retry_statuses = set(retry_statuses)  # answers that are sent again (say 503), same line and seq
        self.dead = set()
        self.timeout = timeout
        self.workers = workers
        self.turns = collections.OrderedDict()
        for line in stream:
            self.turns.setdefault(json.loads(line)["call"], []).append(line)
        self.answers = collections.defaultdict(list)
        self.statuses = collections.Counter()
        self.latencies = []
        self.retries = 0
        self.errors = collections.Counter()  # why turns were sent again
        self.sent = 0
        self.lock = threading.Lock()
        self.ready = collections.deque(self.turns.keys())
        self.in_flight = 0
        self.total = len(stream)
        self.answered = 0
        self.on_progress = None  # called with the number of turns answered so far, under a lock
        self.progress_lock = threading.Lock()

    def _next(self):
        with self.lock:
            if self.ready:
                self.in_flight += 1
                return self.ready.popleft()
            return None if self.in_flight == 0 else ""

    def _worker(self):
        conns = {}
        while True:
            call = self._next()
            if call is None:
                break
            if call == "":
                time.sleep(0.001)
                continue
            turn = len(self.answers[call])
            line = self.turns[call][turn]
            attempt = 0
            while True:
                live = [r for r in self.replicas if r not in self.dead]
                replica = live[(hash(call) + turn + attempt) % len(live)]
                start = time.perf_counter()
                try:
                    c = conns.get(replica)
                    if c is None:
                        c = conns[replica] = http.client.HTTPConnection("127.0.0.1", replica.port, timeout=self.timeout)
                    c.request("POST", "/v1/turns", body=line.encode())
                    r = c.getresponse()
                    body = r.read().decode()
                    status = r.status
                    if status in self.retry_statuses and attempt < 200:
                        self.errors[f"HTTP {status}"] += 1
                        attempt += 1
                        with self.lock:
                            self.retries += 1
                        time.sleep(0.05)
                        continue
                    break
                except (OSError, http.client.HTTPException) as e:
                    self.errors[type(e).__name__] += 1
                    conns.pop(replica, None)
                    if replica.proc.poll() is not None:
                        self.dead.add(replica)
                    attempt += 1
                    with self.lock:
                        self.retries += 1
                    if attempt > 20:
                        raise
            elapsed = time.perf_counter() - start
            with self.lock:
                self.latencies.append(elapsed)
                self.statuses[status] += 1
                self.answers[call].append(body.rstrip("\n"))
                self.in_flight -= 1
                self.answered += 1
                if len(self.answers[call]) < len(self.turns[call]):
                    self.ready.append(call)
                answered = self.answered
            if self.on_progress:
                with self.progress_lock:
                    self.on_progress(answered)

    def run(self):
        start = time.perf_counter()
        threads = [threading.Thread(target=self._worker) for _ in range(self.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - start

    def percentile(self, p):
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(p / 100 * len(s)))]


def compare(expected, client, keys=None):
    """The calls whose answers (or their `keys`) differ from parley run's, at most 3, as text;
    empty if none."""
    problems = []
    for call, turns in client.turns.items():
        got = [normalise(a, keys) for a in client.answers[call]]
        want = [normalise(a, keys) for a in expected[call]]
        if len(got) != len(turns):
            problems.append(f"{call}: {len(got)} answers for {len(turns)} turns")
        elif got != want:
            wrong = next(i for i in range(len(got)) if got[i] != want[i])
            problems.append(f"{call}, turn {wrong + 1}: serve {got[wrong]} != run {want[wrong]}")
        if len(problems) == 3:
            break
    return "\n".join(problems)
