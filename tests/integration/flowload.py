#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tests/integration/flowload.py - loads for the data-path tests (test_flow.sh).

  flowload.py zerowin --connect IP:443 --sni NAME --conns N --bytes B --hold S --memfile F
      N connections ask peer.py's server for B bytes (SOURCE) and do not read
      for S seconds (tiny receive buffer: the window closes at once). Then
      they read everything and check its sha256. Prints one JSON line with
      the lowest MemAvailable seen while holding (read from F) and exits 0
      when every stream arrived whole and in order.

  flowload.py bidi --connect IP:443 --sni NAME --bytes B
      One connection, B bytes each way at once (BIDI): checks both digests.
"""
import argparse, hashlib, json, os, socket, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402  (hello builder, generators, digests)


def connect(addr, sni, cmd, rcvbuf=None):
    fam, sa = peer.parse_addr(addr)
    s = socket.socket(fam, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(60)
    s.connect(sa)
    s.sendall(peer.records(peer.build_handshake(sni)) + cmd.encode() + b"\n")
    return s


def mem_available_kb(path):
    with open(path) as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def read_digest(s, n):
    h, got = peer.read_to_eof(s)
    return h.hexdigest(), got


def zerowin(a):
    before = mem_available_kb(a.memfile)
    socks = [connect(a.connect, a.sni, "SOURCE %d %d" % (a.bytes, i), rcvbuf=4096)
             for i in range(a.conns)]
    low = before
    end = time.time() + a.hold
    while time.time() < end:
        low = min(low, mem_available_kb(a.memfile))
        time.sleep(0.2)
    results, errors = [None] * a.conns, []

    def drain(i):
        try:
            s = socks[i]
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            results[i] = read_digest(s, a.bytes)
        except Exception as e:  # noqa: BLE001 (report any failure)
            errors.append("%d: %r" % (i, e))

    t0 = time.time()
    threads = [threading.Thread(target=drain, args=(i,)) for i in range(a.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [i for i, r in enumerate(results)
           if r is None or r != (peer.gen_digest(a.bytes, i), a.bytes)]
    out = {"conns": a.conns, "bytes": a.bytes, "drop_mb": round((before - low) / 1024, 1),
           "drain_s": round(time.time() - t0, 2), "bad_streams": bad, "errors": errors[:3]}
    print(json.dumps(out))
    return 0 if not bad and not errors else 1


def bidi(a):
    s = connect(a.connect, a.sni, "BIDI %d %d" % (a.bytes, 7))
    res = {}

    def sender():
        peer.send_gen(s, a.bytes, 8)
        s.shutdown(socket.SHUT_WR)

    t0 = time.time()
    h = hashlib.sha256()
    got, buf = 0, bytearray(1 << 20)
    mv = memoryview(buf)
    tail = b""
    t = threading.Thread(target=sender)
    started = False
    while True:
        k = s.recv_into(mv)
        if not started:
            # like a TLS client, write only once the server has answered: a
            # client still writing at the hand-over may be reset (README)
            t.start()
            started = True
        if not k:
            break
        if got < a.bytes:
            take = min(k, a.bytes - got)
            h.update(mv[:take])
            tail += bytes(mv[take:k])
        else:
            tail += bytes(mv[:k])
        got += k
    if started:
        t.join()
    secs = time.time() - t0
    line = tail.decode(errors="replace").split()
    res = {"bytes": a.bytes, "secs": round(secs, 2),
           "down_ok": h.hexdigest() == peer.gen_digest(a.bytes, 7),
           "up_ok": len(line) == 2 and line[0] == peer.gen_digest(a.bytes, 8)
           and int(line[1]) == a.bytes}
    if not res["up_ok"]:
        res["server_saw"] = " ".join(line)[:100]
        res["expected"] = peer.gen_digest(a.bytes, 8)
    print(json.dumps(res))
    return 0 if res["down_ok"] and res["up_ok"] else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    z = sub.add_parser("zerowin")
    z.add_argument("--connect", required=True)
    z.add_argument("--sni", required=True)
    z.add_argument("--conns", type=int, default=20)
    z.add_argument("--bytes", type=int, default=64 << 20)
    z.add_argument("--hold", type=float, default=6)
    z.add_argument("--memfile", default="/proc/meminfo")
    b = sub.add_parser("bidi")
    b.add_argument("--connect", required=True)
    b.add_argument("--sni", required=True)
    b.add_argument("--bytes", type=int, default=1 << 30)
    a = ap.parse_args()
    return zerowin(a) if a.mode == "zerowin" else bidi(a)


if __name__ == "__main__":
    sys.exit(main())
