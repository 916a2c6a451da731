#!/usr/bin/env python3
"""Run a command in a VM through its QEMU guest agent (qemu-guest-agent's guest-exec).

    qga.py [--wait SECS] [--timeout SECS] SOCKET CMD

CMD runs as `sh -c CMD` in the guest; its standard output and error are printed here and
its exit status is ours. --wait: first retry until the agent answers (a booting guest).
Exit 124 when CMD does not end within --timeout (default 120 s), 125 when the agent
cannot be reached.
"""
import base64
import json
import random
import socket
import sys
import time


class Agent:
    def __init__(self, path, wait):
        end = time.monotonic() + wait
        while True:
            try:
                self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.s.settimeout(5)
                self.s.connect(path)
                self.buf = b""
                self.sync()
                return
            except (OSError, ValueError):
                self.s.close()
                if time.monotonic() >= end:
                    raise
                time.sleep(0.5)

    def send(self, cmd, args=None):
        m = {"execute": cmd}
        if args is not None:
            m["arguments"] = args
        self.s.sendall(json.dumps(m).encode() + b"\n")

    def reply(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise OSError("the agent closed the connection")
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.strip(b"\xff \r")
        if not line:
            return self.reply()
        return json.loads(line)

    def sync(self):
        # Whatever an earlier client left unread is skipped until our own id comes back.
        n = random.randrange(1, 1 << 30)
        self.send("guest-sync", {"id": n})
        while True:
            r = self.reply()
            if r.get("return") == n:
                return

    def call(self, cmd, args=None):
        self.send(cmd, args)
        r = self.reply()
        if "error" in r:
            raise RuntimeError(f"{cmd}: {r['error']}")
        return r.get("return")


def main(argv):
    wait, timeout = 0.0, 120.0
    while argv and argv[0].startswith("--"):
        if argv[0] == "--wait":
            wait = float(argv[1])
        elif argv[0] == "--timeout":
            timeout = float(argv[1])
        argv = argv[2:]
    path, cmd = argv[0], argv[1]
    try:
        a = Agent(path, wait)
    except (OSError, ValueError) as e:
        print(f"qga: no agent at {path}: {e}", file=sys.stderr)
        return 125
    pid = a.call("guest-exec", {"path": "/bin/sh", "arg": ["-c", cmd], "capture-output": True})["pid"]
    end = time.monotonic() + timeout
    while True:
        st = a.call("guest-exec-status", {"pid": pid})
        if st.get("exited"):
            break
        if time.monotonic() > end:
            print(f"qga: '{cmd}' did not end within {timeout:.0f} s", file=sys.stderr)
            return 124
        time.sleep(0.05)
    sys.stdout.write(base64.b64decode(st.get("out-data", "")).decode(errors="replace"))
    sys.stderr.write(base64.b64decode(st.get("err-data", "")).decode(errors="replace"))
    if "signal" in st:
        return 128 + st["signal"]
    return st.get("exitcode", 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
