#!/usr/bin/env python3
"""A scripted editor speaking JSON-RPC to `parley lsp`: the features, with exact ranges (UTF-16),
and bad frames that must not bring the server down. Usage: lsp_client.py PATH/TO/parley"""
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.parse

PARLEY = sys.argv[1]

COMMON = """intent greet: en "you say hello" ru "вы здороваетесь"
intent insult
"""

# Three errors: a duplicate slot (with a note), a placeholder after a character outside the
# BMP (two UTF-16 units, one code point), and an undefined state.
BROKEN = """include "common.rules"
slot name
slot name
counter insults
flow ask_again(done)
  state asking
    say "Again?"
    on greet -> done
  end
end
state intake initial
  say "😀 {nme|friend}"
  on greet -> nowhere
  on insult if insults >= 1 -> bye
  on insult -> ask_again(done -> intake)
    increment insults
end
state bye action hangup
"""


class failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise failure(what)


class client:
    def __init__(self):
        self.proc = subprocess.Popen([PARLEY, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.messages = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.decode().rstrip("\r\n")
                if not line:
                    break
                key, value = line.split(":", 1)
                headers[key.lower()] = value.strip()
            self.messages.put(json.loads(out.read(int(headers["content-length"]))))

    def send_raw(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message):
        body = json.dumps(message).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def wait(self, matches, what):
        while True:
            try:
                m = self.messages.get(timeout=20)
            except queue.Empty:
                raise failure("timed out waiting for " + what)
            check(m is not None, "the server closed its output while waiting for " + what)
            if matches(m):
                return m

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return self.wait(lambda m: m.get("id") == rid and "method" not in m, method)

    def result(self, method, params):
        reply = self.request(method, params)
        check("result" in reply, f"{method}: {reply}")
        return reply["result"]

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def diagnostics(self, uri, version=None):
        # Diagnostics of an older text may still arrive (each change republishes every open
        # document): with `version`, only those of that text.
        return self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri
                         and (version is None or m["params"].get("version") == version), "diagnostics")["params"]["diagnostics"]


def rng(l1, c1, l2, c2):
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


def main():
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "my scripts")  # a space: %20 in the URI
        os.mkdir(folder)
        with open(os.path.join(folder, "common.rules"), "w", encoding="utf-8") as f:
            f.write(COMMON)
        main_path = os.path.join(folder, "main.rules")  # never on disk: the buffer is the script
        uri = "file://" + urllib.parse.quote(main_path)
        common_uri = "file://" + urllib.parse.quote(os.path.join(folder, "common.rules"))
        doc = {"uri": uri}

        c = client()
        early = c.request("textDocument/hover", {"textDocument": doc, "position": {"line": 0, "character": 0}})
        check(early.get("error", {}).get("code") == -32002, f"a request before initialize: {early}")
        caps = c.result("initialize", {"processId": None, "rootUri": None, "capabilities": {}})["capabilities"]
        check(caps["positionEncoding"] == "utf-16" and caps["textDocumentSync"]["change"] == 2, f"capabilities: {caps}")
        c.notify("initialized", {})

        # Diagnostics, ranges exact.
        c.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "parley", "version": 1, "text": BROKEN}})
        got = c.diagnostics(uri)
        check(len(got) == 3, f"three diagnostics: {json.dumps(got, ensure_ascii=False, indent=1)}")
        dup, placeholder, undefined = got
        check(dup["range"] == rng(2, 5, 2, 9) and dup["severity"] == 1 and "already declared" in dup["message"], f"duplicate: {dup}")
        related = dup["relatedInformation"]
        check(related == [{"location": {"uri": uri, "range": rng(1, 5, 1, 9)}, "message": "first declared here"}], f"note: {related}")
        # '😀' is one code point (the compiler's column 8) and two UTF-16 units.
        check(placeholder["range"] == rng(11, 10, 11, 22), f"placeholder after an astral character: {placeholder}")
        check(undefined["range"] == rng(12, 14, 12, 21) and "undefined state 'nowhere'" in undefined["message"], f"undefined: {undefined}")

        # Hover: an intent from the included file, with its descriptions.
        hover = c.result("textDocument/hover", {"textDocument": doc, "position": {"line": 12, "character": 6}})
        text = hover["contents"]["value"]
        check("**intent** `greet`" in text and "you say hello" in text and "вы здороваетесь" in text and "common.rules:1" in text,
              f"hover on an intent: {text}")
        hover = c.result("textDocument/hover", {"textDocument": doc, "position": {"line": 13, "character": 31}})
        check("**state** `bye`" in hover["contents"]["value"] and "state bye action hangup" in hover["contents"]["value"],
              f"hover on a state: {hover}")
        check(c.result("textDocument/hover", {"textDocument": doc, "position": {"line": 0, "character": 0}}) is None, "hover on a keyword")

        # Definition: across files, inside a flow (its exit), a counter, an include.
        where = c.result("textDocument/definition", {"textDocument": doc, "position": {"line": 12, "character": 7}})
        check(where == {"uri": common_uri, "range": rng(0, 7, 0, 12)}, f"definition of an intent: {where}")
        where = c.result("textDocument/definition", {"textDocument": doc, "position": {"line": 7, "character": 17}})
        check(where == {"uri": uri, "range": rng(4, 15, 4, 19)}, f"definition of a flow's exit: {where}")
        where = c.result("textDocument/definition", {"textDocument": doc, "position": {"line": 13, "character": 16}})
        check(where == {"uri": uri, "range": rng(3, 8, 3, 15)}, f"definition of a counter: {where}")
        where = c.result("textDocument/definition", {"textDocument": doc, "position": {"line": 0, "character": 12}})
        check(where == {"uri": common_uri, "range": rng(0, 0, 0, 0)}, f"definition of an include: {where}")

        # References: a counter's uses, and the state 'intake' (declaration included).
        refs = c.result("textDocument/references",
                        {"textDocument": doc, "position": {"line": 3, "character": 9}, "context": {"includeDeclaration": False}})
        check([r["range"] for r in refs] == [rng(13, 15, 13, 22), rng(15, 14, 15, 21)], f"references of a counter: {refs}")
        refs = c.result("textDocument/references",
                        {"textDocument": doc, "position": {"line": 10, "character": 8}, "context": {"includeDeclaration": True}})
        check([r["range"] for r in refs] == [rng(10, 6, 10, 12), rng(14, 33, 14, 39)], f"references of a state: {refs}")

        # Completion: keywords at a line's start, intents after 'on', states after '->'.
        def labels(line, character):
            items = c.result("textDocument/completion", {"textDocument": doc, "position": {"line": line, "character": character}})["items"]
            return {i["label"] for i in items}
        check({"state", "on", "say", "flow"} <= labels(17, 0), "keywords at the start of a line")
        check(labels(12, 5) == {"greet", "insult"}, f"intents after 'on': {labels(12, 5)}")
        check({"stay", "intake", "bye", "ask_again"} <= labels(12, 14), f"states after '->': {labels(12, 14)}")
        check({"done", "asking", "intake"} <= labels(7, 16), f"a flow's own states and exits after '->': {labels(7, 16)}")
        check("done" not in labels(12, 14), "a flow's exit outside it")
        check({"insults", "name"} <= labels(13, 15), f"values in a guard: {labels(13, 15)}")

        # Completion in every context, on a half-written script.
        contexts = ["slot name", "counter insults", "variable v", "handlers shared", "end", "state s initial action ",
                    "  on greet -> stay", "    keep name, ", "    increment ", "    set v = ", "    set ", "    do notify(name, ",
                    "  handlers ", "setting "]
        other = {"uri": "file://" + urllib.parse.quote(os.path.join(folder, "contexts.rules"))}
        c.notify("textDocument/didOpen", {"textDocument": {**other, "languageId": "parley", "version": 1, "text": "\n".join(contexts)}})
        def offered(line):
            position = {"line": line, "character": len(contexts[line])}
            return {i["label"] for i in c.result("textDocument/completion", {"textDocument": other, "position": position})["items"]}
        check(offered(5) == {"continue", "hold", "transfer", "hangup", "close"}, f"actions: {offered(5)}")
        check(offered(7) == {"name"} and offered(9) == {"name"}, f"slots: {offered(7)} {offered(9)}")
        check(offered(8) == {"insults"}, f"counters: {offered(8)}")
        check(offered(10) == {"v"}, f"variables: {offered(10)}")
        check({"name", "insults", "v", "known"} <= offered(11), f"action arguments: {offered(11)}")
        check(offered(12) == {"shared"}, f"groups: {offered(12)}")
        check({"threshold", "language", "fallback"} <= offered(13), f"settings: {offered(13)}")
        c.notify("textDocument/didClose", {"textDocument": other})

        # Document symbols: the flow with its state, the states.
        symbols = c.result("textDocument/documentSymbol", {"textDocument": doc})
        tops = [(s["name"], s["kind"]) for s in symbols if s["kind"] in (2, 5)]
        check(tops == [("ask_again", 2), ("intake", 5), ("bye", 5)], f"states and flows: {tops}")
        flow = next(s for s in symbols if s["name"] == "ask_again")
        check([s["name"] for s in flow["children"]] == ["done", "asking"], f"the flow's exit and state: {flow}")
        check(flow["range"] == rng(4, 0, 9, 3) and flow["selectionRange"] == rng(4, 5, 4, 14), f"the flow's ranges: {flow}")

        # Formatting: parley fmt's layout, as one edit of the whole text (none when already in it).
        messy = "state  intake initial\n      say \"Hi\"   # kept\n on bye -> stay\nend\n"
        fmt_uri = "file:///virtual/messy.rules"
        c.notify("textDocument/didOpen", {"textDocument": {"uri": fmt_uri, "languageId": "parley", "version": 1, "text": messy}})
        want = subprocess.run([PARLEY, "fmt", "-"], input=messy.encode(), capture_output=True, check=True).stdout.decode()
        edits = c.result("textDocument/formatting", {"textDocument": {"uri": fmt_uri}, "options": {"tabSize": 2, "insertSpaces": True}})
        check(len(edits) == 1 and edits[0]["newText"] == want and want != messy and edits[0]["range"]["start"] == {"line": 0, "character": 0},
              f"formatting: {edits}")
        c.notify("textDocument/didChange", {"textDocument": {"uri": fmt_uri, "version": 2}, "contentChanges": [{"text": want}]})
        edits = c.result("textDocument/formatting", {"textDocument": {"uri": fmt_uri}, "options": {"tabSize": 2, "insertSpaces": True}})
        check(edits == [], f"formatting a formatted text: {edits}")
        c.notify("textDocument/didClose", {"textDocument": {"uri": fmt_uri}})

        # Bad frames and bad messages: answered or ignored, never fatal.
        c.send_raw(b"Content-Length: 5\r\n\r\n{oops")
        bad = c.wait(lambda m: "error" in m, "an answer to a frame that is no JSON")
        check(bad["id"] is None and bad["error"]["code"] == -32700, f"bad JSON: {bad}")
        c.send_raw(b"X-Nothing: 1\r\n\r\n")
        bad = c.wait(lambda m: "error" in m, "an answer to a frame without a length")
        check(bad["error"]["code"] == -32700, f"no Content-Length: {bad}")
        c.send([1, 2, 3])
        unknown = c.request("no/such", {})
        check(unknown["error"]["code"] == -32601, f"unknown method: {unknown}")
        wrong = c.request("textDocument/hover", {"textDocument": {"uri": 7}})
        check(wrong["error"]["code"] == -32602, f"bad parameters: {wrong}")
        wrong = c.request("textDocument/definition", {"textDocument": {}})
        check(wrong["error"]["code"] == -32602, f"missing parameters: {wrong}")
        c.notify("textDocument/didOpen", None)
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri}, "contentChanges": [{"range": {}, "text": "x"}]})

        # Fixing the errors, incrementally: the diagnostics clear.
        edits = [
            {"range": rng(12, 14, 12, 21), "text": "bye"},  # nowhere -> bye
            {"range": rng(11, 11, 11, 14), "text": "name"},  # {nme -> {name (after the astral character)
            {"range": rng(2, 0, 3, 0), "text": ""},  # the second 'slot name'
        ]
        c.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": edits})
        got = c.diagnostics(uri, version=2)
        check(got == [], f"no diagnostics once fixed: {json.dumps(got, ensure_ascii=False, indent=1)}")
        refs = c.result("textDocument/references",
                        {"textDocument": doc, "position": {"line": 12, "character": 31}, "context": {"includeDeclaration": True}})
        check([r["range"] for r in refs] == [rng(16, 6, 16, 9), rng(11, 14, 11, 17), rng(12, 31, 12, 34)],
              f"references after the edit: {refs}")

        # An included file open with unsaved text: the including script compiles against it.
        c.notify("textDocument/didOpen", {"textDocument": {"uri": common_uri, "languageId": "parley", "version": 1,
                                                           "text": "intent greet\n"}})
        got = c.diagnostics(uri)
        check(len(got) == 2 and all("'insult'" in d["message"] for d in got), f"the buffer, not the disk: {got}")
        c.notify("textDocument/didClose", {"textDocument": {"uri": common_uri}})
        got = c.diagnostics(uri)
        check(got == [], f"back to the file on disk once closed: {got}")

        # A hostile folder: includes that lead outside it are refused as 'parley check' refuses
        # them, whatever they are (a symlink to /proc/self/pagemap once ended the server).
        hostile = os.path.join(tmp, "hostile")
        os.makedirs(os.path.join(hostile, "app"))
        os.makedirs(os.path.join(hostile, "secret"))
        with open(os.path.join(hostile, "secret", "x.rules"), "w") as f:
            f.write("THE SECRET LINE\n")
        os.symlink("/etc/passwd", os.path.join(hostile, "app", "passwd.rules"))
        os.symlink("/proc/self/pagemap", os.path.join(hostile, "app", "pagemap.rules"))
        os.symlink(os.path.join(hostile, "secret"), os.path.join(hostile, "app", "shared"))
        hostile_uri = "file://" + urllib.parse.quote(os.path.join(hostile, "app", "main.rules"))
        text = 'include "passwd.rules"\ninclude "pagemap.rules"\ninclude "shared/x.rules"\nintent hi\nstate a initial\n  on hi -> stay\nend\n'
        c.notify("textDocument/didOpen", {"textDocument": {"uri": hostile_uri, "languageId": "parley", "version": 1, "text": text}})
        got = c.diagnostics(hostile_uri)
        check(len(got) == 3 and all("is outside the folders includes may read from" in d["message"] for d in got), f"confined: {got}")
        check("root:" not in json.dumps(got) and "SECRET" not in json.dumps(got), f"nothing of the files: {got}")
        hover = c.result("textDocument/hover", {"textDocument": {"uri": hostile_uri}, "position": {"line": 5, "character": 6}})
        check("**intent** `hi`" in hover["contents"]["value"], f"alive after a hostile include: {hover}")
        c.notify("textDocument/didClose", {"textDocument": {"uri": hostile_uri}})

        # Flows that use flows: refused at once, and hover answered (a 2.3 KB script once blocked
        # hover for 6.7 s and took 1.8 GB).
        flows = ["intent x\nintent y\nflow f0(a, b)\n  state s\n    on x -> a\n    on y -> b\n  end\nend\n"]
        for k in range(1, 40):
            flows.append(f"flow f{k}(a, b)\n  state s\n    on x -> f{k - 1}(a -> t, b -> t)\n    on y -> b\n  end\n"
                         f"  state t\n    on x -> a\n    on y -> b\n  end\nend\n")
        flows.append("state start initial\n  on x -> f39(a -> done, b -> done)\nend\nstate done action close\n")
        flows_uri = "file:///virtual/flows.rules"
        c.notify("textDocument/didOpen", {"textDocument": {"uri": flows_uri, "languageId": "parley", "version": 1, "text": "".join(flows)}})
        c.next_id += 1
        hover_id = c.next_id
        c.send({"jsonrpc": "2.0", "id": hover_id, "method": "textDocument/hover",
                "params": {"textDocument": {"uri": flows_uri}, "position": {"line": 0, "character": 8}}})
        hover, got = None, None  # in either order
        while hover is None or got is None:
            m = c.wait(lambda m: m.get("id") == hover_id or (m.get("method") == "textDocument/publishDiagnostics"
                                                            and m["params"]["uri"] == flows_uri), "the hover and the diagnostics")
            if m.get("id") == hover_id:
                hover = m["result"]
            else:
                got = m["params"]["diagnostics"]
        check("**intent** `x`" in hover["contents"]["value"], f"hover on the flows: {hover}")
        check(any("the uses of flows copy more than" in d["message"] for d in got), f"the flows' limit: {got}")
        c.notify("textDocument/didClose", {"textDocument": {"uri": flows_uri}})

        # A slow compile does not hold up a hover on another document: the hover is answered first.
        big = ["intent i%d\n" % i for i in range(100)]
        for k in range(8000):
            big.append("state s%d%s\n" % (k, " initial" if k == 0 else ""))
            big.extend("  on i%d -> s%d\n" % ((k + j) % 100, (k + j + 1) % 8000) for j in range(10))
            big.append("end\n")
        big_uri = "file:///virtual/big.rules"
        small_uri = "file:///virtual/small.rules"
        c.notify("textDocument/didOpen", {"textDocument": {"uri": big_uri, "languageId": "parley", "version": 1, "text": "".join(big)}})
        c.notify("textDocument/didOpen", {"textDocument": {"uri": small_uri, "languageId": "parley", "version": 1,
                                                           "text": "intent hi\nstate a initial\n  on hi -> stay\nend\n"}})
        c.next_id += 1
        hover_id = c.next_id
        c.send({"jsonrpc": "2.0", "id": hover_id, "method": "textDocument/hover",
                "params": {"textDocument": {"uri": small_uri}, "position": {"line": 0, "character": 8}}})
        first = c.wait(lambda m: m.get("id") == hover_id or (m.get("method") == "textDocument/publishDiagnostics"
                                                            and m["params"]["uri"] == big_uri), "the hover or the big script's diagnostics")
        check(first.get("id") == hover_id, f"the hover waited for the compile: {str(first)[:200]}")
        c.diagnostics(big_uri)
        c.notify("textDocument/didClose", {"textDocument": {"uri": big_uri}})
        c.notify("textDocument/didClose", {"textDocument": {"uri": small_uri}})

        # Frames past the limits: a header line of 64 MiB without its end (it is not kept), a body
        # over 64 MiB (skipped); the server answers each with an error and goes on, its memory
        # not grown by them.
        def peak_kb():
            with open(f"/proc/{c.proc.pid}/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        before = peak_kb()
        c.send_raw(b"X-Long: " + b"x" * (64 << 20) + b"\r\n\r\n")
        bad = c.wait(lambda m: "error" in m, "an answer to a header line too long")
        check(bad["error"]["code"] == -32700 and "header line longer" in bad["error"]["message"], f"a long header line: {bad}")
        c.send_raw(b"Content-Length: %d\r\n\r\n" % (65 << 20) + b" " * (65 << 20))
        bad = c.wait(lambda m: "error" in m, "an answer to a frame too large")
        check("larger than 64 MiB" in bad["error"]["message"], f"a large frame: {bad}")
        check(peak_kb() - before < 32 << 10, f"memory grew by {peak_kb() - before} KB")
        check(c.result("textDocument/hover", {"textDocument": doc, "position": {"line": 0, "character": 0}}) is None, "alive after them")

        check(c.result("shutdown", None) is None, "shutdown")
        c.notify("exit", None)
        status = c.proc.wait(timeout=20)
        check(status == 0, f"exit status {status}")
    print("lsp: all checks passed")


if __name__ == "__main__":
    try:
        main()
    except failure as e:
        print("lsp: FAILED:", e)
        sys.exit(1)
