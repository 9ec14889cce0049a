#!/usr/bin/env python3
"""parley serve against hostile clients and failing stores, through the real binary:

    hostile_test.py PARLEY ROOT http     one replica on the memory store: a request that used to end the
                                         process, framing as RFC 9112 says, call ids and duplicate keys,
                                         auth, seq conflicts, the memory store's cap and hash, metrics,
                                         threads and connections
    hostile_test.py PARLEY ROOT slow     slow and greedy clients: a thousand slow connections, every
                                         timeout, SIGTERM with a client that does not read
    hostile_test.py PARLEY ROOT bounds   the answer and the memory of a request are bounded
    hostile_test.py PARLEY ROOT redis    Redis of its own: lost state refused, AOF always loses nothing,
                                         OOM writes nothing, a store not up at start, a paused Redis,
                                         the warnings at start, metrics

Each check names the concern it covers (the points of "never dies, never forgets a call
silently, lets in only whom it should" in the README's parley serve section). Without
redis-server the redis case is skipped (exit 77), except under CI=true, where it fails.
"""
import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

from harness import check, failures, post  # noqa: E402


def line(**fields):
    return json.dumps(fields, ensure_ascii=False)


def error_of(body):
    try:
        return json.loads(body.splitlines()[0])["error"]
    except (ValueError, KeyError, IndexError):
        return body


def script_path(args):
    return os.path.join(args.root, "rules", "callcenter.rules")


# ---- http: one replica, memory store ---------------------------------------------------------------

def test_http(args, work):
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--max-calls", "40", "--threads", "2"])
    try:
        # 1. A chunked body whose trailer has a field of 64 KiB used to throw std::length_error in
        # Beast and end the process, losing every call of the memory store.
        post(r, line(call="kept", event="pickup", seq=1))
        big = b"POST /v1/turns HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Trailer: " + b"a" * 70000 + b"\r\n\r\n"
        status, headers, body = harness.parse_response(harness.raw(r.port, big))
        check(status == 431 and json.loads(body)["error"] and headers.get("connection") == "close",
              f"1: a 70,000-byte trailer field is answered 431 and closed: {status} {headers} {body}")
        status, body = r.request("GET", "/v1/calls/kept")
        check(r.proc.poll() is None and status == 200, f"1: the process and its calls outlive the trailer: {status} {body}")

        # 12. Malformed requests get their 4xx with a short JSON body, then the connection closes.
        host = b"Host: t\r\n"
        cases = [
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Transfer-Encoding: xchunked\r\nContent-Length: 2\r\n\r\n{}", 400, "not both"),
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400, "malformed"),
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Transfer-Encoding: xchunked\r\n\r\n{}", 400, "does not end in 'chunked'"),
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "only 'chunked'"),
            (b"POST /v1/turns HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "HTTP/1.0"),
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", 400, "malformed"),
            (b"GET /healthz HTTP/1.1\r\n\r\n", 400, "Host"),
            (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n" + host + b"\r\n", 414, "request line"),
            (b"GET /healthz HTTP/1.1\r\n" + host + b"X-Big: " + b"b" * 9000 + b"\r\n\r\n", 431, "header"),
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Content-Length: 99999999\r\n\r\n", 413, "body longer"),
            (b"NOT HTTP AT ALL\r\n\r\n", 400, "malformed"),
            (b"GET /healthz HTTP/1.1\r\n" + host + b"Bad Field\r\n\r\n", 400, "malformed"),
            (b"POST /v1/turns HTTP/1.1\r\n" + host + b"Content-Length: 10\r\n\r\n{}", 400, "ended before"),
        ]
        for request, want, words in cases:
            status, headers, body = harness.parse_response(harness.raw(r.port, request))
            ok = status == want and headers.get("connection") == "close" and words in json.loads(body or b'{"error": ""}')["error"]
            check(ok, f"12: {request[:60]!r}... answered {want} ({words}) and closed: {status} {headers} {body[:200]}")
        check(r.request("GET", "/healthz")[0] == 200, "12: the server goes on after malformed requests")

        # 9. One rule for call ids (1 to 256 bytes) everywhere; a key given twice is refused.
        for call_id in ["", "x" * 257]:
            status, body = post(r, line(call=call_id, event="pickup", seq=1))
            check(status == 400 and f"a call id has 1 to 256 bytes, not {len(call_id)}" in body, f"9: POST with a {len(call_id)}-byte id: {status} {body}")
            for method in ["GET", "DELETE"]:
                status, body = r.request(method, "/v1/calls/" + call_id)
                check(status == 400 and f"a call id has 1 to 256 bytes, not {len(call_id)}" in body,
                      f"9: {method} with a {len(call_id)}-byte id: {status} {body}")
        status, body = post(r, line(call="x" * 256, event="pickup", seq=1))
        check(status == 200 and r.request("GET", "/v1/calls/" + "x" * 256)[0] == 200, f"9: a 256-byte id: {status} {body}")
        for text, key in [('{"call": "d1", "call": "d2", "event": "pickup"}', "key 'call'"),
                          ('{"call": "d1", "event": "pickup", "event": "tick"}', "key 'event'"),
                          ('{"call": "d1", "intent": "give_name", "slots": {"name": "A", "name": "B"}}', "slot 'name'"),
                          ('{"call": "d1", "event": "pickup", "vars": {"company": "A", "company": "B"}}', "variable 'company'"),
                          ('{"call": "d1", "event": "pickup", "seq": 1, "seq": 2}', "key 'seq'")]:
            status, body = post(r, text)
            check(status == 400 and f"{key} is given twice" in body, f"9: {text}: {status} {body}")
        check(r.request("GET", "/v1/calls/d1")[0] == 404 and r.request("GET", "/v1/calls/d2")[0] == 404, "9: no call was started by them")

        # 6. An applied seq with another line is refused (422, naming the conflict); the same line,
        # however its JSON is spaced or ordered, is a retry and gets the stored reply.
        post(r, line(call="s6", event="pickup", seq=1))
        first = post(r, line(call="s6", intent="give_name", slots={"name": "Ana"}, seq=2))
        retry = post(r, '{ "seq":2,"slots":{"name":"Ana"},  "intent":"give_name","call":"s6"}')
        check(first[0] == 200 and retry == first, f"6: the same line again is a replay: {first} {retry}")
        status, body = post(r, line(call="s6", intent="give_name", slots={"name": "Bob"}, seq=2))
        check(status == 422 and "seq 2 of call 's6' was applied to another line" in error_of(body) and "seq 3" in error_of(body),
              f"6: another line with an applied seq: {status} {body}")
        status, body = r.request("GET", "/v1/calls/s6")
        check(json.loads(body)["slots"] == {"name": "Ana"} and json.loads(body)["version"] == 2, f"6: the call is as the first line left it: {body}")
        check(r.metric("parley_seq_conflicts_total") == 1, "6: counted in parley_seq_conflicts_total")

        # 7 (the rule, on any store): a line for a call the store does not hold starts it only
        # with a pickup or seq 1; otherwise it is refused as lost.
        for text in [line(call="gone", intent="give_name", seq=4), line(call="gone", intent="give_name")]:
            status, body = post(r, text)
            check(status == 410 and "the state of call 'gone' was lost" in body, f"7: {text}: {status} {body}")
        check(r.request("GET", "/v1/calls/gone")[0] == 404, "7: the refused line started nothing")
        check(post(r, line(call="new7", intent="give_name", slots={"name": "Ana"}, seq=1))[0] == 200, "7: seq 1 starts a call")

        # 13. Live calls and remembered (ended) calls are reported apart.
        before_live, before_ended = r.metric("parley_live_calls"), r.metric("parley_ended_calls")
        for k in range(3):
            post(r, line(call=f"m{k}", event="pickup", seq=1))
        post(r, line(call="m0", event="caller_hangup", seq=2))
        live, ended = r.metric("parley_live_calls"), r.metric("parley_ended_calls")
        check(live == before_live + 2 and ended == before_ended + 1, f"13: 2 more live and 1 more ended: {before_live}/{before_ended} -> {live}/{ended}")

        # 5. --max-calls: a new call past it is answered 503 and counted; one deleted makes room.
        held = int(r.metric("parley_live_calls") + r.metric("parley_ended_calls"))
        statuses = [post(r, line(call=f"cap{k}", event="pickup", seq=1))[0] for k in range(40 - held + 1)]
        status, body = post(r, line(call="one-more", event="pickup", seq=1))
        check(statuses[:-1] == [200] * (40 - held) and statuses[-1] == 503 and status == 503 and "memory store is full" in body,
              f"5: --max-calls 40: {statuses} {status} {body}")
        check(r.metric("parley_store_full_total") == 2, "5: counted in parley_store_full_total")
        r.request("DELETE", "/v1/calls/cap0")
        check(post(r, line(call="one-more", event="pickup", seq=1))[0] == 200, "5: a deleted call makes room")
        check(r.metric("parley_turns_total") > 0 and r.proc.poll() is None, "the replica is up")
    finally:
        check(r.stop() == 0, "SIGTERM: exit status 0")

    test_hash(args, work)
    test_connections(args, work)
    test_auth(args, work)


# 5. The memory store's table is keyed by a secret hash: ids made to collide under std::hash are
# stored as fast as others.
def test_hash(args, work):
    if not args.colliding_ids:
        print("5: no --colliding-ids: the hash is not tested")
        return
    made = subprocess.run([args.colliding_ids, "20000"], capture_output=True, text=True)
    if made.returncode == 77:
        print("5: this standard library's std::hash is not libstdc++'s: the hash is not tested")
        return
    colliding = [json.loads(s) for s in made.stdout.splitlines()]
    check(len(colliding) == 20000, "5: 20,000 colliding ids made")
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--max-calls", "100000"])
    try:
        def pick_up(ids):
            start = time.perf_counter()
            for k in range(0, len(ids), 1000):
                status, _ = post(r, "\n".join(line(call=i, event="pickup", seq=1) for i in ids[k:k + 1000]))
                check(status == 200, f"5: a batch of pickups: {status}")
            return time.perf_counter() - start
        plain = pick_up([f"call-{k:011d}" for k in range(20000)])
        crafted = pick_up(colliding)
        print(f"5: 20,000 new calls: ordinary ids {plain:.2f} s, ids colliding under std::hash {crafted:.2f} s", flush=True)
        check(crafted < 3 * plain + 1, f"5: colliding ids are not slower: {crafted:.2f} s against {plain:.2f} s")
    finally:
        r.stop()


# 2. Connections cost no threads: more connections than the old thread-per-connection limit are
# all served by the same few threads; past --max-connections, one more is answered 503; with
# fewer file descriptors than connections, the limit is lowered and the rest answered 503; with
# fewer threads allowed than asked, it serves on those it has.
def test_connections(args, work):
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--threads", "2", "--max-connections", "1100"])
    socks = []
    try:
        threads = r.status("Threads")
        for _ in range(1100):
            socks.append(socket.create_connection(("127.0.0.1", r.port)))
        for s in socks:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        answered = 0
        for s in socks:
            s.settimeout(30)
            answered += s.recv(4096).startswith(b"HTTP/1.1 200")
        check(answered == 1100, f"2: 1,100 connections at once, all answered: {answered}")
        check(r.status("Threads") == threads, f"2: the threads stay {threads} with 1,100 connections: {r.status('Threads')}")
        extra = socket.create_connection(("127.0.0.1", r.port))
        extra.settimeout(30)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        got = extra.recv(4096)
        extra.close()
        check(got.startswith(b"HTTP/1.1 503") and b"--max-connections" in got, f"2: connection 1,101 is answered 503: {got[:200]}")
    finally:
        for s in socks:
            s.close()
        r.stop()

    limit = 128
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--threads", "2"],
                        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
    socks = []
    try:
        lowered = r.events("max_connections_lowered")
        check(lowered and lowered[0]["max_connections"] < limit, f"2: --max-connections lowered to fit {limit} descriptors: {lowered}")
        statuses = []
        for _ in range(limit + 20):
            s = socket.create_connection(("127.0.0.1", r.port))
            socks.append(s)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        for s in socks:
            s.settimeout(30)
            try:
                statuses.append(s.recv(4096)[9:12])
            except OSError:
                statuses.append(b"reset")
        check(set(statuses) <= {b"200", b"503"} and b"503" in statuses and r.proc.poll() is None,
              f"2: more connections than descriptors: 200 or 503, the process lives: {sorted(set(statuses))}")
        for s in socks:
            s.close()
        socks = []
        time.sleep(0.2)
        check(r.request("GET", "/healthz")[0] == 200, "2: served again once the connections are gone")
    finally:
        for s in socks:
            s.close()
        r.stop()

    if os.geteuid() != 0:
        print("2: not root: the thread limit (RLIMIT_NPROC as another user) is not tested")
        return

    def few_threads():  # as nobody, who runs nothing else: 3 threads in all
        resource.setrlimit(resource.RLIMIT_NPROC, (3, 3))
        os.setgid(65534)
        os.setuid(65534)
    try:
        r = harness.Replica(args.parley, script_path(args), "memory", work, ["--threads", "8"], preexec_fn=few_threads)
    except (OSError, RuntimeError) as e:  # the build is not readable by nobody
        print(f"2: cannot run parley as nobody here: the thread limit is not tested ({e})")
        return
    try:
        limited = r.events("threads_limited")
        check(limited and limited[0]["running"] < 8, f"2: fewer threads than asked are logged: {limited}")
        statuses = [post(r, line(call=f"t{k}", event="pickup", seq=1))[0] for k in range(20)]
        check(statuses == [200] * 20, f"2: and it serves on those it has: {statuses}")
    finally:
        check(r.stop() == 0, "2: SIGTERM with fewer threads")


# 11. Bearer tokens: 401 without, the admin token for reload and metrics, health open; beyond
# loopback without a token file, parley serve refuses to start.
def test_auth(args, work):
    tokens = os.path.join(work, "tokens")
    admin = os.path.join(work, "admin-tokens")
    with open(tokens, "w") as f:
        f.write("# client tokens\nclient-token-0123456789\nsecond-token-abcdefghij\n")
    with open(admin, "w") as f:
        f.write("admin-token-0123456789abc\n")
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--auth-token-file", tokens, "--admin-token-file", admin])
    try:
        def ask(method, path, token, body=None):
            headers = {"Authorization": "Bearer " + token} if token else {}
            return r.request(method, path, body.encode() if body else None, headers=headers)[0]
        pickup = line(call="a1", event="pickup", seq=1)
        check(ask("POST", "/v1/turns", None, pickup) == 401, "11: no token: 401")
        check(ask("POST", "/v1/turns", "client-token-012345678", pickup) == 401, "11: a wrong token: 401")
        check(ask("POST", "/v1/turns", "client-token-0123456789x", pickup) == 401, "11: a longer token: 401")
        c = socket.create_connection(("127.0.0.1", r.port))
        c.sendall(b"GET /v1/calls/a1 HTTP/1.1\r\nHost: t\r\nAuthorization: Basic eDp5\r\n\r\n")
        got = c.recv(4096)
        c.close()
        check(got.startswith(b"HTTP/1.1 401") and b'WWW-Authenticate: Bearer realm="parley"' in got, f"11: 401 says how: {got[:300]}")
        check(ask("POST", "/v1/turns", "second-token-abcdefghij", pickup) == 200, "11: a client token: 200")
        check(ask("GET", "/v1/calls/a1", "client-token-0123456789") == 200, "11: GET with a client token")
        check(ask("DELETE", "/v1/calls/a1", None) == 401, "11: DELETE without a token: 401")
        check(ask("POST", "/v1/reload", "client-token-0123456789") == 403, "11: reload with a client token: 403")
        check(ask("GET", "/metrics", "client-token-0123456789") == 403, "11: metrics with a client token: 403")
        check(ask("POST", "/v1/reload", "admin-token-0123456789abc") == 200, "11: reload with the admin token")
        check(ask("GET", "/metrics", "admin-token-0123456789abc") == 200, "11: metrics with the admin token")
        check(ask("GET", "/v1/calls/a1", "admin-token-0123456789abc") == 200, "11: the admin token opens every endpoint")
        check(ask("GET", "/healthz", None) == 200 and ask("GET", "/readyz", None) == 200, "11: health and readiness need no token")
    finally:
        r.stop()

    def refused(extra, words):
        p = subprocess.run([args.parley, "serve", script_path(args), *extra], capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and words in p.stderr, f"11: parley serve {' '.join(extra)} refuses to start ({words}): {p.returncode} {p.stderr}")
    refused(["--listen", "0.0.0.0:0"], "without --auth-token-file anyone who reaches it")
    refused(["--listen", "[::]:0"], "without --auth-token-file anyone who reaches it")
    weak = os.path.join(work, "weak")
    with open(weak, "w") as f:
        f.write("short\n")
    refused(["--auth-token-file", weak], "weak:1: a token has 16 to 4096 visible ASCII characters")
    refused(["--auth-token-file", os.path.join(work, "missing")], "cannot read the token file")
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--allow-unauthenticated"], listen="0.0.0.0:0")
    check(r.request("GET", "/healthz")[0] == 200, "11: --allow-unauthenticated listens beyond loopback")
    r.stop()
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--auth-token-file", tokens], listen="0.0.0.0:0")
    r.token = "client-token-0123456789"
    check(post(r, line(call="far", event="pickup", seq=1))[0] == 200, "11: with a token file it listens beyond loopback")
    r.stop()


# ---- slow: slow and greedy clients -----------------------------------------------------------------

def test_slow(args, work):
    for flag, value in [("--header-timeout", "inf"), ("--body-timeout", "nan"), ("--send-timeout", "-1"), ("--drain-timeout", "1e9"),
                        ("--keepalive-timeout", "soon"), ("--header-timeout", "0")]:
        p = subprocess.run([args.parley, "serve", script_path(args), flag, value], capture_output=True, text=True, timeout=30)
        check(p.returncode != 0 and "must be a finite number of seconds from" in p.stderr and value in p.stderr, f"3: {flag} {value} is refused: {p.stderr}")

    # 1,024 connections that send one byte a second: a normal client is still answered at once,
    # and the header timeout closes them.
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--header-timeout", "3", "--threads", "2"])
    slow = []
    try:
        for _ in range(1024):
            s = socket.create_connection(("127.0.0.1", r.port))
            s.setblocking(False)
            slow.append(s)
        stop = threading.Event()
        request = b"POST /v1/turns HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n"

        def trickle():
            for k in range(len(request)):
                if stop.wait(1):
                    return
                for s in slow:
                    try:
                        s.send(request[k:k + 1])
                    except OSError:
                        pass
        t = threading.Thread(target=trickle)
        t.start()
        latencies = []
        start = time.monotonic()
        k = 0
        while time.monotonic() - start < 2.5:
            t0 = time.perf_counter()
            status, _ = post(r, line(call=f"n{k}", event="pickup", seq=1))
            latencies.append(time.perf_counter() - t0)
            check(status == 200, f"3: a normal turn among slow connections: {status}")
            k += 1
            time.sleep(0.02)
        print(f"3: {len(latencies)} turns among 1,024 slow connections, slowest {max(latencies) * 1000:.0f} ms", flush=True)
        check(max(latencies) < 1.0, f"3: every turn answered within a second: {max(latencies):.3f} s")
        time.sleep(2.0)  # past the header timeout of the slow ones
        closed = 0
        for s in slow:
            try:
                closed += s.recv(1) == b""
            except BlockingIOError:
                pass
            except OSError:
                closed += 1
        stop.set()
        t.join()
        check(closed == 1024, f"3: the header timeout closed the 1,024 slow connections: {closed}")
        check(r.metric("parley_connection_timeouts_total") >= 1024, "3: counted in parley_connection_timeouts_total")
    finally:
        for s in slow:
            s.close()
        r.stop()

    # The body, keep-alive and send timeouts.
    r = harness.Replica(args.parley, script_path(args), "memory", work,
                        ["--body-timeout", "1", "--keepalive-timeout", "1", "--send-timeout", "1"])
    try:
        def closed_within(s, seconds):
            s.settimeout(seconds + 3)
            start = time.monotonic()
            try:
                while s.recv(65536):
                    pass
            except OSError:
                pass
            return time.monotonic() - start
        s = socket.create_connection(("127.0.0.1", r.port))
        s.sendall(b"POST /v1/turns HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"call\"")
        took = closed_within(s, 1)
        check(0.5 < took < 3, f"3: a body that stops coming is cut after --body-timeout 1: {took:.2f} s")
        s.close()
        s = socket.create_connection(("127.0.0.1", r.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        took = closed_within(s, 1)
        check(0.5 < took < 3, f"3: an idle keep-alive connection is closed after --keepalive-timeout 1: {took:.2f} s")
        s.close()
        before = r.metric("parley_connection_timeouts_total")
        reader = greedy_client(r.port, work)
        time.sleep(3)
        check(r.metric("parley_connection_timeouts_total") > before, "3: a client that does not read is cut after --send-timeout 1")
        reader.close()
    finally:
        r.stop()

    # SIGTERM with a client that never reads its answer: done within the drain timeout.
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--send-timeout", "600", "--drain-timeout", "2"])
    try:
        reader = greedy_client(r.port, work)
        time.sleep(1)
        start = time.monotonic()
        status = r.stop()
        took = time.monotonic() - start
        reader.close()
        print(f"3: SIGTERM with a client that does not read: exit {status} after {took:.2f} s", flush=True)
        check(status == 0 and took < 2 + 2, f"3: SIGTERM finishes within --drain-timeout 2: exit {status} after {took:.2f} s")
        check(r.events("stopped"), "3: logged 'stopped'")
    finally:
        if r.proc.poll() is None:
            r.kill()


def greedy_client(port, work):
    """A connection that sends many requests with long answers and reads none of them."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    body = "\n".join(line(call=f"g{k}", event="tick", seq=9) for k in range(1000)).encode()
    request = b"POST /v1/turns HTTP/1.1\r\nHost: t\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    s.setblocking(False)
    for _ in range(100):
        try:
            s.send(request)
        except BlockingIOError:
            break
    return s


# ---- bounds: the answer and the memory of a request ------------------------------------------------

def test_bounds(args, work):
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--threads", "2"])
    try:
        blank = b"\n" * (1 << 20)
        status, body = post(r, blank)
        check(status == 413 and len(body) < 200 and "--max-lines" in body, f"4: a 1 MiB body of blank lines: one short 413: {status} {body[:200]}")
        status, body = post(r, b"\n" * 1000)
        check(status == 400 and body.count("\n") == 1000 and len(body) < 100 * 1000, f"4: 1,000 blank lines: {status}, {len(body)} bytes")
        post(r, line(call="warm", event="pickup", seq=1))
        before = r.status("VmRSS")
        results = []

        def send():
            results.append(post(r, blank)[0])
        threads = [threading.Thread(target=send) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        grown = (r.status("VmHWM") - before) / 1024
        print(f"4: 16 bodies of 1 MiB of blank lines at once: peak RSS {before / 1024:.0f} MB + {grown:.0f} MB", flush=True)
        check(results == [413] * 16, f"4: all 413: {results}")
        check(grown < 160, f"4: the peak RSS grows by less than 160 MB: {grown:.0f} MB")
    finally:
        r.stop()

    # --max-answer: a line whose answer does not fit is refused whole (nothing applied), and the
    # lines after it are not answered; every line gets its line.
    r = harness.Replica(args.parley, script_path(args), "memory", work, ["--max-answer", "4096"])
    try:
        body = "\n".join(line(call=f"b{k}", event="pickup", seq=1) for k in range(40))
        status, got = post(r, body)
        lines = [json.loads(s) for s in got.splitlines()]
        answered = [o for o in lines if "error" not in o]
        cut = next(i for i, o in enumerate(lines) if "error" in o)
        check(status == 413 and len(lines) == 40 and len(got) < 4096 + 40 * 200, f"4: 40 lines, --max-answer 4096: {status}, {len(got)} bytes")
        check(all("error" in o for o in lines[cut:]) and "nothing was applied" in lines[cut]["error"]
              and all("not answered" in o["error"] for o in lines[cut + 1:]), f"4: the lines past the limit: {lines[cut:cut + 2]}")
        stored = [r.request("GET", f"/v1/calls/b{k}")[0] for k in range(40)]
        check(stored == [200] * len(answered) + [404] * (40 - len(answered)), f"4: only the answered lines were applied: {stored}")
        check(r.metric("parley_answer_limited_total") >= 1, "4: counted in parley_answer_limited_total")
    finally:
        r.stop()


# ---- redis -----------------------------------------------------------------------------------------

def test_redis(args, work):
    missing = harness.without_redis()
    if missing:
        return missing
    script = script_path(args)
    replicas, servers = [], []

    def replica(redis, extra=()):
        r = harness.Replica(args.parley, script, redis.url if not isinstance(redis, str) else redis, work, ["--store-timeout", "0.5", *extra])
        replicas.append(r)
        return r

    def redis_server(*config, port=None):
        d = tempfile.mkdtemp(dir=work)
        s = harness.Redis(d, config, port=port)
        servers.append(s)
        return s

    try:
        # 10. Redis not up at start: parley serve listens, says not ready, refuses turns with 503,
        # and is ready once Redis answers.
        port = harness.free_port()
        r = replica(f"redis://127.0.0.1:{port}")
        check(r.request("GET", "/healthz")[0] == 200, "10: /healthz while Redis is not up")
        status, body = r.request("GET", "/readyz")
        check(status == 503 and "cannot connect" in body, f"10: /readyz 503 while Redis is not up: {status} {body}")
        status, body = post(r, line(call="early", event="pickup", seq=1))
        check(status == 503 and "redis" in body, f"10: a turn 503 while Redis is not up: {status} {body}")
        late = redis_server(port=port)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and r.request("GET", "/readyz")[0] != 200:
            time.sleep(0.1)
        check(r.request("GET", "/readyz")[0] == 200, "10: ready once Redis answers")
        check(post(r, line(call="early", event="pickup", seq=1))[0] == 200, "10: turns answered once Redis answers")
        check(r.events("store_unavailable") and r.events("store_ready"), f"10: logged while waiting and when ready: {r.events()}")

        # 7 (warnings): a Redis that loses calls on a restart or evicts them is named at start.
        warning = r.events("store_warning")
        check(warning and "appendonly is no" in warning[0]["warning"], f"7: no persistence is warned about: {warning}")

        # A paused Redis: turns are refused within the store timeout, health answers at once.
        late.proc.send_signal(signal.SIGSTOP)
        start = time.monotonic()
        status, body = post(r, line(call="paused", event="pickup", seq=1))
        took = time.monotonic() - start
        check(status == 503 and took < 2, f"10: a paused Redis: 503 after {took:.2f} s: {body}")
        start = time.monotonic()
        check(r.request("GET", "/healthz")[0] == 200 and time.monotonic() - start < 1, "10: /healthz with Redis paused")
        late.proc.send_signal(signal.SIGCONT)
        time.sleep(0.3)
        statuses = [post(r, line(call="paused", event="pickup", seq=1))[0] for _ in range(30)]
        check(200 in statuses, f"10: turns answered again after Redis resumes: {statuses}")

        # 13 on Redis: live and remembered calls apart.
        late.cli("FLUSHDB")
        for k in range(3):
            post(r, line(call=f"m{k}", event="pickup", seq=1))
        post(r, line(call="m0", event="caller_hangup", seq=2))
        check(r.metric("parley_live_calls") == 2 and r.metric("parley_ended_calls") == 1,
              f"13: on Redis, live {r.metric('parley_live_calls')} and ended {r.metric('parley_ended_calls')}")
        r.request("DELETE", "/v1/calls/m1")
        check(r.metric("parley_live_calls") == 1, "13: a deleted call is no longer counted")

        # 7. Redis restarted without persistence: every call in progress is refused as lost on its
        # next turn, none restarted silently; a new call starts as ever.
        late.cli("FLUSHDB")
        calls = [f"lost-{k}" for k in range(60)]
        for c in calls:
            post(r, line(call=c, event="pickup", seq=1))
            post(r, line(call=c, intent="give_name", slots={"name": "Ana"}, seq=2))
        late.restart()
        answers = {}
        for c in calls:
            for _ in range(100):
                status, body = post(r, line(call=c, intent="thanks", seq=3))
                if status != 503:
                    break
                time.sleep(0.05)
            answers[c] = (status, body)
        refused = [c for c, (s, b) in answers.items() if s == 410 and f"the state of call '{c}' was lost: seq 3" in b]
        print(f"7: Redis restarted without persistence: {len(refused)} of {len(calls)} calls refused as lost", flush=True)
        check(len(refused) == len(calls), f"7: every lost call refused: {[a for a in answers.values() if a[0] != 410][:3]}")
        check(all(r.request("GET", f"/v1/calls/{c}")[0] == 404 for c in calls), "7: and none was started again")
        check(post(r, line(call="after", event="pickup", seq=1))[0] == 200, "7: a new call starts")

        # 7 (eviction): at maxmemory with an evicting policy, evicted calls are refused as lost,
        # never restarted; the policy is warned about at start.
        evicting = redis_server("--maxmemory-policy", "allkeys-lru")
        evicting.cli("CONFIG", "SET", "maxmemory", str(evicting.info("used_memory") + 400_000))
        e = replica(evicting)
        wait_for(lambda: e.events("store_warning"))
        check(any("maxmemory-policy is allkeys-lru" in w["warning"] for w in e.events("store_warning")), "7: eviction is warned about")
        calls = [f"ev-{k}" for k in range(1500)]
        for k in range(0, len(calls), 100):
            post(e, "\n".join(line(call=c, event="pickup", seq=1) for c in calls[k:k + 100]))
        statuses, bodies = [], []
        for k in range(0, len(calls), 100):
            status, body = post(e, "\n".join(line(call=c, intent="give_name", slots={"name": "Ana"}, seq=2) for c in calls[k:k + 100]))
            bodies += body.splitlines()
        outcomes = [("lost" if "was lost: seq 2" in b else "answered" if "error" not in json.loads(b) else b) for b in bodies]
        print(f"7: 1,500 calls at maxmemory with allkeys-lru: {outcomes.count('lost')} evicted and refused as lost", flush=True)
        check(set(outcomes) <= {"lost", "answered"} and outcomes.count("lost") > 0, f"7: evicted calls refused, none restarted: {set(outcomes)}")

        # 7. AOF always: Redis killed and restarted under load loses nothing: every call's answers
        # are parley run's.
        durable = redis_server("--appendonly", "yes", "--appendfsync", "always")
        a, b = replica(durable), replica(durable)
        time.sleep(0.3)
        check(not a.events("store_warning"), f"7: no warning for AOF always and noeviction: {a.events('store_warning')}")
        stream = harness.make_stream(args.root, 100, seed=5)
        expected = harness.run_answers(args.parley, script, stream, work)
        restarted = threading.Event()

        def restart(answered, total=len(stream)):
            if answered >= total // 3 and not restarted.is_set():
                restarted.set()
                durable.restart(kill=True)
        client = harness.Client([a, b], stream, workers=8, retry_statuses={503})
        client.on_progress = restart
        client.run()
        problems = harness.compare(expected, client)
        print(f"7: AOF always, Redis SIGKILLed and restarted a third of the way: {len(stream)} turns, {client.retries} retried", flush=True)
        check(restarted.is_set() and not problems, f"7: nothing lost with AOF always:\n{problems}")
        check(client.statuses.keys() <= {200, 400}, f"7: statuses {dict(client.statuses)}")

        # 8. Out of memory (noeviction): a turn is refused with 503 and nothing is written.
        full = redis_server("--maxmemory-policy", "noeviction")
        f = replica(full)
        check(post(f, line(call="oom-warm", event="pickup", seq=1))[0] == 200, "8: a call before the cap")
        cap = full.info("used_memory") + 300_000
        full.cli("CONFIG", "SET", "maxmemory", str(cap))
        refused_at = None
        for k in range(3000):
            status, body = post(f, line(call=f"oom-{k}", event="pickup", seq=1, slots={"name": "x" * 200}))
            if status == 503:
                refused_at = k
                check("out of memory" in body and "nothing was written" in body, f"8: the 503 says why: {body}")
                break
            check(status == 200, f"8: below maxmemory: {status} {body}")
        check(refused_at is not None, "8: maxmemory is reached")
        if refused_at is not None:
            check(f.request("GET", f"/v1/calls/oom-{refused_at}")[0] == 404 and full.cli("EXISTS", f"parley:call:oom-{refused_at}").strip() == "0",
                  "8: the refused call was not written")
            status, body = post(f, line(call="oom-0", intent="give_name", slots={"name": "Ana"}, seq=2))
            shown = json.loads(f.request("GET", "/v1/calls/oom-0")[1])
            check(status == 503 and shown["version"] == 1 and shown["seq"] == 1, f"8: a turn of a stored call under OOM changes nothing: {status} {shown}")
            # Redis checks at a script's start, so the last write admitted may pass the cap by what
            # it allocates (a hash table growing); after it, nothing more is written.
            used = full.info("used_memory")
            check(used <= cap + 65_536, f"8: Redis stays at maxmemory: {used} of {cap}")
            more = [post(f, line(call=f"oom-more-{k}", event="pickup", seq=1, slots={"name": "x" * 200}))[0] for k in range(50)]
            check(more == [503] * 50 and full.info("used_memory") <= used + 4096,
                  f"8: 50 more new calls refused, Redis no fuller: {set(more)} {full.info('used_memory')} after {used}")
            full.cli("CONFIG", "SET", "maxmemory", "0")
            check(post(f, line(call="oom-0", intent="give_name", slots={"name": "Ana"}, seq=2))[0] == 200, "8: the retry is applied once Redis has room")
            print(f"8: maxmemory reached after {refused_at} calls; used_memory {used} of {cap}", flush=True)
        for r in replicas:
            check(r.stop() == 0, "SIGTERM: exit status 0")
    finally:
        for r in replicas:
            if r.proc.poll() is None:
                r.kill()
        for s in servers:
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGCONT)
            s.stop()
    return 0


def wait_for(condition, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("parley")
    p.add_argument("root")
    p.add_argument("case", choices=["http", "slow", "bounds", "redis"])
    p.add_argument("--colliding-ids", help="tests/serve/colliding_ids.cpp, built")
    args = p.parse_args()
    status = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="parley-hostile-") as work:
        if args.case == "http":
            test_http(args, work)
        elif args.case == "slow":
            test_slow(args, work)
        elif args.case == "bounds":
            test_bounds(args, work)
        else:
            status = test_redis(args, work)
    print(f"{args.case}: {time.monotonic() - start:.1f} s")
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("ok" if status == 0 else "skipped")
    return status


if __name__ == "__main__":
    sys.exit(main())
