#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""scripts/bench/zerowin.py - zero-window memory test for `make bench` (root).

N clients open a connection with a tiny SO_RCVBUF, send the pbload ClientHello
plus the command 'D' 2^40 (server: send 2^40 bytes), and never read. Their
TCP window closes at once; the server keeps pushing. Whatever the system
between them buffers shows up as a drop of MemAvailable. Held for --hold s,
sampled every 0.5 s, then the clients close.

Topology: ../shared/bench/netns.sh with prefix zb- (same addresses as peerbench):
  zb-cli 10.0.1.2 -- zb-gw 10.0.1.1 | 10.0.2.1 -- zb-srv 10.0.2.2 (pbload server :443)
Peers use peerbench's own configurations (imported from peerbench.py, not
copied) and listen on 10.0.1.1:8443; snigate is transparent: clients dial
10.0.2.2:443, an nft rule in zb-gw redirects to :8443; `direct` is forwarding.

  zerowin.py run --shared DIR --pbload BIN --out DIR --snigate-cmd CMD
                 [--systems LIST] [--conns N] [--hold S] [--runs R] [--rcvbuf B]
  zerowin.py client --target IP:PORT --preamble FILE --conns N --rcvbuf B --hold-max S
"""
import argparse, fcntl, json, os, re, select, shlex, shutil, signal, socket, statistics, struct, subprocess, sys, termios, time

P = 'zb-'
NS_CLI, NS_GW, NS_SRV = P + 'cli', P + 'gw', P + 'srv'
LISTEN = '10.0.1.1:8443'
SERVER = '10.0.2.2:443'
SNI = 'bench.example'
PEERS = ('haproxy', 'nginx-stream', 'sniproxy')


def log(*a):
    print('zerowin:', *a, file=sys.stderr, flush=True)


def in_ns(ns, argv):
    return ['ip', 'netns', 'exec', ns] + argv


# ------------------------------------------------------------------ client
def client(a):
    with open(a.preamble, 'rb') as f:
        pre = f.read()
    socks, errs = [], []
    for i in range(a.conns):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # before connect(): the advertised window (and its scale) stays tiny
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(5)
            ip, port = a.target.rsplit(':', 1)
            s.connect((ip, int(port)))
            s.sendall(pre)
            socks.append(s)
        except OSError as e:
            errs.append('conn %d: %s' % (i, e))
            s.close()
    print('READY %d' % len(socks), flush=True)
    for e in errs[:5]:
        print('client: ' + e, file=sys.stderr, flush=True)
    # hold (never read) until a line on stdin, EOF, or the deadline
    select.select([sys.stdin], [], [], a.hold_max)
    queued, flowing, closed = 0, 0, 0
    buf = bytearray(4)
    for s in socks:
        try:
            fcntl.ioctl(s.fileno(), termios.FIONREAD, buf)
            n = struct.unpack('i', buf)[0]
            queued += n
            flowing += n > 0
            # a peer that closed/reset shows up as a pending error or EOF only once read; keep it cheap
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            closed += err != 0
        except OSError:
            closed += 1
    print('DONE ok=%d flowing=%d queued=%d errored=%d' % (len(socks), flowing, queued, closed), flush=True)
    for s in socks:
        s.close()
    return 0


# ------------------------------------------------------------------ measuring
def meminfo():
    m = {}
    with open('/proc/meminfo') as f:
        for l in f:
            k, v = l.split(':')
            m[k] = int(v.split()[0]) * 1024
    tcp_pages = 0
    with open('/proc/net/sockstat') as f:      # 'mem' is global (tcp_memory_allocated)
        for l in f:
            if l.startswith('TCP:'):
                t = l.split()
                tcp_pages = int(t[t.index('mem') + 1])
    return {'avail': m['MemAvailable'], 'free': m['MemFree'], 'slab': m['Slab'],
            'used': m['MemTotal'] - m['MemAvailable'], 'tcp': tcp_pages * os.sysconf('SC_PAGE_SIZE')}


def drop(m0, m1):
    """MB: how much less is available/free, how much more slab/used/tcp"""
    return {'memavail_drop_MB': (m0['avail'] - m1['avail']) / 2**20,
            'memfree_drop_MB': (m0['free'] - m1['free']) / 2**20,
            'slab_MB': (m1['slab'] - m0['slab']) / 2**20,
            'used_MB': (m1['used'] - m0['used']) / 2**20,
            'tcp_mem_MB': (m1['tcp'] - m0['tcp']) / 2**20}


def ss_mem(ns):
    """MB held by the TCP sockets of a namespace as socket accounting sees them:
    receive queue (skmem r) + write queue (skmem w)"""
    r = subprocess.run(in_ns(ns, ['ss', '-Htnm']), capture_output=True, text=True)
    tot = 0
    for m in re.finditer(r'skmem:\(([^)]*)\)', r.stdout):
        f = dict(re.match(r'([a-z]+)(\d+)', x).groups() for x in m.group(1).split(',') if re.match(r'[a-z]+\d+$', x))
        tot += int(f.get('r', 0)) + int(f.get('w', 0))
    return tot / 2**20


def session_rss_MB(sid):
    rss = 0
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                st = f.read()
            if int(st[st.rindex(')') + 2:].split()[3]) != sid:
                continue
            with open('/proc/%s/status' % d) as f:
                for l in f:
                    if l.startswith('VmRSS:'):
                        rss += int(l.split()[1])
        except (OSError, ValueError):
            pass
    return rss / 1024


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ------------------------------------------------------------------ systems
class Proc:
    """a process group we started; stopped by its PID (SIGTERM, SIGKILL after 5 s)"""

    def __init__(self, argv, logpath, env=None):
        self.logf = open(logpath, 'a')
        self.p = subprocess.Popen(argv, stdout=self.logf, stderr=subprocess.STDOUT, env=env,
                                  stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
            except ProcessLookupError:
                pass
        self.logf.close()


def listening():
    r = subprocess.run(in_ns(NS_GW, ['ss', '-Hltn', 'sport = :8443']), capture_output=True, text=True)
    return bool(r.stdout.strip())


REDIR = ('table ip zbredir {\n chain pre {\n  type nat hook prerouting priority dstnat; policy accept;\n'
         '  ip daddr 10.0.2.2 tcp dport 443 redirect to :8443\n }\n}\n')


def start_proxy(name, cmd, work, hosts, redirect):
    env = dict(os.environ, PB_LISTEN=LISTEN, PB_LISTEN_IP=LISTEN.split(':')[0], PB_LISTEN_PORT='8443',
               PB_UPSTREAM=SERVER, PB_SNI=SNI, PB_WORKDIR=work, PB_ALLOW_FILE=os.path.join(work, 'allow.txt'))
    inner = 'mount --bind %s /etc/hosts && ulimit -n $(ulimit -Hn) && exec %s' % (shlex.quote(hosts), cmd)
    argv = ['nsenter', '--net=/var/run/netns/' + NS_GW, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', inner]
    p = Proc(argv, os.path.join(work, name + '.log'), env)
    if redirect:
        subprocess.run(in_ns(NS_GW, ['nft', '-f', '-']), input=REDIR, text=True, check=True)
    end = time.time() + 15
    while time.time() < end:
        if not p.alive():
            p.stop()
            raise RuntimeError('%s exited with %s, see %s/%s.log' % (name, p.p.returncode, work, name))
        if listening():
            time.sleep(0.3)
            return p
        time.sleep(0.1)
    p.stop()
    raise RuntimeError('%s did not listen on :8443 within 15 s' % name)


def one_run(a, target, proxy):
    """one zero-window run; the proxy (or nothing, for direct) is up"""
    # baseline: wait (up to 10 s) until memory freed by what ran before has settled
    m0, end = meminfo(), time.time() + 10
    while time.time() < end:
        time.sleep(0.5)
        m1 = meminfo()
        if abs(m1['avail'] - m0['avail']) < 2**20:
            break
        m0 = m1
    m0 = meminfo()
    cl = subprocess.Popen(in_ns(NS_CLI, [sys.executable, os.path.abspath(__file__), 'client', '--target', target,
                                         '--preamble', a.preamble, '--conns', str(a.conns), '--rcvbuf',
                                         str(a.rcvbuf), '--hold-max', str(a.hold + 60)]),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    r = {}
    try:
        line = ''
        if select.select([cl.stdout], [], [], 30)[0]:
            line = cl.stdout.readline()
        if not line.startswith('READY'):
            raise RuntimeError('client not READY within 30 s')
        r['conns_ok'] = int(line.split()[1])
        series = []
        t_end = time.time() + a.hold
        while True:
            time.sleep(0.5)
            series.append(drop(m0, meminfo())['memavail_drop_MB'])
            if time.time() >= t_end:
                break
        d = drop(m0, meminfo())
        r.update(d)
        r['memavail_peak_MB'] = max(series)
        r['series_MB'] = [round(x, 1) for x in series]
        r['ss_MB'] = {'cli': ss_mem(NS_CLI), 'gw': ss_mem(NS_GW), 'srv': ss_mem(NS_SRV)}
        if proxy:
            r['proxy_rss_MB'] = session_rss_MB(proxy.p.pid)
        cl.stdin.write('\n')
        cl.stdin.flush()
        out, _ = cl.communicate(timeout=30)
        for tok in out.split():
            if '=' in tok:
                k, v = tok.split('=', 1)
                r['client_' + k] = int(v)
    finally:
        if cl.poll() is None:
            cl.kill()
            cl.wait()
    time.sleep(2.0)
    r['residual_MB'] = drop(m0, meminfo())['memavail_drop_MB']
    return r


def run(a):
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, lambda n, f: sys.exit(128 + n))
    sys.path.insert(0, a.shared)
    work = os.path.join(a.out, 'work')
    os.makedirs(work, exist_ok=True)
    hosts = os.path.join(work, 'hosts')
    with open(hosts, 'w') as f:
        f.write('127.0.0.1 localhost\n10.0.2.2 %s\n' % SNI)
    with open(os.path.join(work, 'allow.txt'), 'w') as f:
        f.write(SNI + '\n')
    a.preamble = os.path.join(work, 'preamble.bin')
    hello = subprocess.run([a.pbload, 'hello', '--sni', SNI], capture_output=True, check=True).stdout
    with open(a.preamble, 'wb') as f:
        f.write(hello + b'D' + (1 << 40).to_bytes(8, 'big'))
    peers = {}
    wanted = [s for s in a.systems.split(',') if s]
    if any(s in PEERS for s in wanted):
        try:
            sys.dont_write_bytecode = True   # shared/ stays untouched (it may be read-only)
            import peerbench   # the peers' configurations, exactly as peerbench runs them
            peers = peerbench.peer_configs(work)
        except Exception as e:  # noqa: BLE001 - keep going with what we have
            log('cannot take peer configurations from peerbench.py (%s): peers skipped' % e)
    netns = os.path.join(a.shared, 'netns.sh')
    results, srv = [], None
    t0 = time.time()
    subprocess.run([netns, 'up', P], check=True)
    try:
        srv = Proc(in_ns(NS_SRV, ['sh', '-c', 'ulimit -n $(ulimit -Hn) && exec %s server --listen %s' %
                                  (shlex.quote(a.pbload), SERVER)]), os.path.join(work, 'server.log'))
        time.sleep(0.5)
        for name in wanted:
            res = {'system': name}
            results.append(res)
            if name != 'direct' and name != 'snigate' and name not in peers:
                res['error'] = 'not available'
                continue
            log('[%4.0fs] %s: %d conns, hold %g s, %d run(s)' % (time.time() - t0, name, a.conns, a.hold, a.runs))
            proxy = None
            try:
                if name == 'snigate':
                    if a.pin:
                        shutil.rmtree(a.pin, ignore_errors=True)
                    proxy = start_proxy(name, a.snigate_cmd, work, hosts, redirect=True)
                    target = SERVER
                elif name == 'direct':
                    target = SERVER
                else:
                    proxy = start_proxy(name, peers[name], work, hosts, redirect=False)
                    target = LISTEN
                runs = []
                for i in range(a.runs):
                    try:
                        runs.append(one_run(a, target, proxy))
                    except Exception as e:  # noqa: BLE001
                        res.setdefault('errors', []).append('run %d: %s' % (i + 1, e))
                    if proxy and not proxy.alive():
                        res.setdefault('errors', []).append('%s exited (rc %s) during the test' % (name, proxy.p.returncode))
                        break
                res['runs'] = runs
                for k in ('memavail_drop_MB', 'memavail_peak_MB', 'memfree_drop_MB', 'slab_MB', 'used_MB',
                          'tcp_mem_MB', 'proxy_rss_MB', 'residual_MB', 'conns_ok', 'client_flowing',
                          'client_errored'):
                    res[k] = med([r.get(k) for r in runs])
                for ns in ('cli', 'gw', 'srv'):
                    res['ss_%s_MB' % ns] = med([r['ss_MB'][ns] for r in runs if 'ss_MB' in r])
                if res['client_flowing'] is not None and res['client_flowing'] < a.conns:
                    res.setdefault('errors', []).append('only %s of %d connections received data' %
                                                        (res['client_flowing'], a.conns))
            except Exception as e:  # noqa: BLE001
                res['error'] = str(e)
            finally:
                if proxy:
                    proxy.stop()
                if name == 'snigate':
                    subprocess.run(in_ns(NS_GW, ['nft', 'delete', 'table', 'ip', 'zbredir']), capture_output=True)
                    if a.pin:
                        shutil.rmtree(a.pin, ignore_errors=True)
            log('       %s' % json.dumps({k: (round(v, 1) if isinstance(v, float) else v)
                                         for k, v in res.items() if k != 'runs'}))
            time.sleep(1)
    finally:
        if srv:
            srv.stop()
        subprocess.run([netns, 'down', P], check=False)
    meta = {'conns': a.conns, 'hold_s': a.hold, 'runs': a.runs, 'rcvbuf': a.rcvbuf,
            'request_bytes': 1 << 40, 'elapsed_s': round(time.time() - t0, 1)}
    with open(os.path.join(a.out, 'zerowin.json'), 'w') as f:
        json.dump({'meta': meta, 'results': results}, f, indent=1)
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='mode', required=True)
    c = sub.add_parser('client')
    c.add_argument('--target', required=True)
    c.add_argument('--preamble', required=True)
    c.add_argument('--conns', type=int, default=20)
    c.add_argument('--rcvbuf', type=int, default=1024)
    c.add_argument('--hold-max', type=float, default=120)
    r = sub.add_parser('run')
    r.add_argument('--shared', required=True)
    r.add_argument('--pbload', required=True)
    r.add_argument('--out', required=True)
    r.add_argument('--snigate-cmd', required=True)
    r.add_argument('--pin', help='snigate pin dir, removed before and after')
    r.add_argument('--systems', default='direct,haproxy,nginx-stream,sniproxy,snigate')
    r.add_argument('--conns', type=int, default=20)
    r.add_argument('--hold', type=float, default=8)
    r.add_argument('--runs', type=int, default=3)
    r.add_argument('--rcvbuf', type=int, default=1024)
    a = ap.parse_args()
    return client(a) if a.mode == 'client' else run(a)


if __name__ == '__main__':
    sys.exit(main())
