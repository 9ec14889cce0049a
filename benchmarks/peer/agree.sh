#!/usr/bin/env bash
# The twin must answer as the peers' reference interpreter does: on a fresh stream of the
# peers' generator, peer_graph's RESULT line (checksum, action counts, phrase bytes) equals
# ref.py's. Skipped (status 77) where ../shared/peers is not beside the checkout.
# usage: agree.sh PEER_GRAPH PEERS_DIR
set -euo pipefail
peer_graph=$1 peers=$2
[ -f "$peers/ref.py" ] && [ -f "$peers/gen_stream.py" ] || { echo "no peers at $peers: skipped"; exit 77; }
command -v python3 > /dev/null || { echo "no python3 for the peers' generator: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$peers/gen_stream.py" --n 100000 --m 300 --seed 7 --out "$work/stream.jsonl" > /dev/null
signature() { grep '^RESULT' | sed -e 's/^RESULT peer=[^ ]* //' -e 's/passes=[^ ]* //' -e 's/seconds=[^ ]* //' -e 's/steps_per_sec=[^ ]* //'; }
expected=$(cd "$peers" && python3 ref.py "$work/stream.jsonl" | signature)
actual=$("$peer_graph" "$work/stream.jsonl" | signature)
echo "reference: $expected"
echo "parley:    $actual"
[ "$expected" = "$actual" ] && echo "peer_graph agrees with the reference"
