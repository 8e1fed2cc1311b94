#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tests/integration/bulk.py - bulk upload throughput for test_filter.sh.

  bulk.py sink --listen IP:PORT
      Accepts connections; reads each to EOF into one reused buffer (no
      hashing: the receiver must not be the bottleneck), answers the byte
      count and closes.

  bulk.py send --connect IP:PORT --sni NAME --bytes B
      Sends a ClientHello for NAME (peer.py's builder), then B bytes in 1 MiB
      sendall() calls, shuts down writing and reads the count. Prints one
      JSON line: bytes, seconds, gbps (GB/s), outcome ok|short|error.
"""
import argparse, json, os, socket, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402  (hello builder, address parser)

CHUNK = 1 << 20


def serve_one(c):
    buf = bytearray(CHUNK)
    n = 0
    try:
        while True:
            k = c.recv_into(buf)
            if not k:
                break
            n += k
        c.sendall(b"%d\n" % n)
    except OSError:
        pass
    c.close()


def cmd_sink(a):
    fam, sa = peer.parse_addr(a.listen)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(sa)
    ls.listen(16)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


def cmd_send(a):
    fam, sa = peer.parse_addr(a.connect)
    hello = peer.records(peer.build_handshake(a.sni))
    data = memoryview(bytes(CHUNK))
    res = {"bytes": a.bytes}
    try:
        s = socket.create_connection(sa, timeout=60)
        t0 = time.monotonic()
        s.sendall(hello)
        left = a.bytes
        while left > 0:
            k = min(left, CHUNK)
            s.sendall(data[:k])
            left -= k
        s.shutdown(socket.SHUT_WR)
        got = s.recv(64).split()
        dt = time.monotonic() - t0
        want = a.bytes + len(hello)
        res["outcome"] = "ok" if got and int(got[0]) == want else "short"
        res["seconds"] = round(dt, 3)
        res["gbps"] = round(a.bytes / dt / 1e9, 3)
        s.close()
    except OSError as e:
        res["outcome"] = "error"
        res["detail"] = str(e)
    print(json.dumps(res), flush=True)
    sys.exit(0 if res["outcome"] == "ok" else 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    sp = sub.add_parser("sink")
    sp.add_argument("--listen", required=True)
    cp = sub.add_parser("send")
    cp.add_argument("--connect", required=True)
    cp.add_argument("--sni", default="exact.test")
    cp.add_argument("--bytes", type=int, default=1 << 30)
    a = ap.parse_args()
    cmd_sink(a) if a.mode == "sink" else cmd_send(a)


if __name__ == "__main__":
    main()
