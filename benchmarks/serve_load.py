#!/usr/bin/env python3
"""parley serve under load, as the README reports it:

    benchmarks/serve_load.py BUILD [--calls 2000] [--connections 32]

prints turns/s and p50/p99 latency for one replica on the memory store and for two replicas on
one Redis (started here on a free loopback port), Redis bytes per live call (MEMORY USAGE), and
the HTTP layer alone in cpp-httplib and Boost.Beast, thread per connection, and on parley serve's
own asynchronous HTTP side (bench_http_echo). BUILD holds parley,
benchmarks/bench_serve_load and benchmarks/bench_http_echo (configure with
-DPARLEY_BUILD_BENCHMARKS=ON and build those targets).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "serve"))
import harness  # noqa: E402


def load(build, stream_path, connections, ports, label):
    out = subprocess.run([os.path.join(build, "benchmarks", "bench_serve_load"), stream_path, str(connections),
                          *[f"127.0.0.1:{p}" for p in ports]], capture_output=True, text=True)
    print(f"{label}: {out.stdout.strip()}{out.stderr.strip()}", flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--connections", type=int, default=32)
    args = p.parse_args()
    parley = os.path.join(args.build, "parley")
    script = os.path.join(ROOT, "rules", "callcenter.rules")
    with tempfile.TemporaryDirectory(prefix="parley-serve-load-") as work:
        stream = harness.make_stream(ROOT, args.calls)
        path = os.path.join(work, "stream.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(stream) + "\n")
        print(f"{len(stream)} turns of {args.calls} example calls (rules/callcenter.rules), {os.cpu_count()} cores", flush=True)

        for lib in ["httplib", "beast", "serve"]:
            port = harness.free_port()
            echo = subprocess.Popen([os.path.join(args.build, "benchmarks", "bench_http_echo"), lib, str(port)])
            time.sleep(0.3)
            load(args.build, path, args.connections, [port], f"HTTP alone, {lib}")
            echo.kill()
            echo.wait()

        r = harness.Replica(parley, script, "memory", work)
        load(args.build, path, args.connections, [r.port], "1 replica, memory store")
        r.stop()

        redis = harness.Redis(work)
        try:
            a = harness.Replica(parley, script, redis.url, work)
            b = harness.Replica(parley, script, redis.url, work)
            load(args.build, path, args.connections, [a.port, b.port], "2 replicas, redis")
            # Bytes per live call: calls picked up and answered once, none ended.
            redis.cli("FLUSHDB")
            live = 2000
            for k in range(live):
                body = json.dumps({"call": f"live-{k}", "event": "pickup", "seq": 1}) + "\n" + \
                    json.dumps({"call": f"live-{k}", "intent": "give_name", "slots": {"name": "Ольга"}, "seq": 2})
                a.request("POST", "/v1/turns", body.encode())
            keys = [f"parley:call:live-{k}" for k in range(0, live, 20)]
            usage = [int(redis.cli("MEMORY", "USAGE", key, "SAMPLES", "0")) for key in keys]  # every field, not 5
            snapshot = [int(redis.cli("HSTRLEN", key, "s")) for key in keys]
            print(f"redis: {sum(usage) / len(usage):.0f} bytes per live call (MEMORY USAGE, mean of {len(usage)} of {live} "
                  f"calls picked up and answered once), of which the snapshot {sum(snapshot) / len(snapshot):.0f}", flush=True)
            a.stop()
            b.stop()
        finally:
            redis.stop()


if __name__ == "__main__":
    main()
