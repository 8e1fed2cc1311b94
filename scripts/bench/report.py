#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""scripts/bench/report.py - merge peerbench's results.json and zerowin.json into
the `make bench` table: text (stdout + results.txt), JSON, markdown, gnuplot chart.

  report.py --peerbench FILE --zerowin FILE --out DIR --md FILE --png FILE [--quick]
"""
import argparse, datetime, json, os, subprocess, sys

ORDER = ['direct', 'haproxy', 'haproxy-redirect', 'nginx-stream', 'sniproxy', 'snigate', 'snigate-workers2',
         'snigate-sockmap']
# rows whose faults are reported, not failed on: data paths documented as experimental
EXPERIMENTAL = ('snigate-sockmap',)

# key, header, format, ratio to direct?, better, chart title
COLS = [
    ('bulk1_GBps', 'thr 1 str GB/s', '%.2f', True, 'higher', 'throughput, 1 stream (GB/s)'),
    ('bulk8_GBps', 'thr 8 str GB/s', '%.2f', True, 'higher', 'throughput, 8 streams (GB/s)'),
    ('rr_p50_us', 'p50 us', '%.0f', True, 'lower', 'latency p50, 1-byte ping-pong (us)'),
    ('rr_p99_us', 'p99 us', '%.0f', True, 'lower', 'latency p99 (us)'),
    ('cps', 'conn/s', '%.0f', True, 'higher', 'new connections per second'),
    ('proxy_cpu_s_per_GB', 'proxy CPU s/GB', '%.2f', False, 'lower', 'CPU s per GB, proxy processes'),
    ('sys_cpu_s_per_GB', 'sys CPU s/GB', '%.2f', False, 'lower', 'CPU s per GB, whole system'),
    ('rss_idle_MB', 'RSS@idle MB', '%.1f', False, 'lower', 'proxy RSS at %(idle)d idle conns (MB)'),
    ('sysmem_delta_idle_MB', 'sysmem@idle MB', '%.1f', False, 'lower', 'whole-system memory at %(idle)d idle conns (MB)'),
    ('gw_kmem_idle_MB', 'gw kmem@idle MB', '%.1f', False, 'lower', 'gateway kernel memory at %(idle)d idle conns (MB, est.)'),
    ('zw_memavail_drop_MB', 'ZW MemAvail MB', '%.1f', False, 'lower', 'zero window: MemAvailable drop, %(zwc)d conns (MB)'),
    ('zw_slab_MB', 'ZW Slab MB', '%.1f', False, 'lower', 'zero window: Slab growth, %(zwc)d conns (MB)'),
]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print('report: cannot read %s: %s' % (path, e), file=sys.stderr)
        return {'meta': {}, 'results': []}


def merge(pb, zw):
    rows = {}
    for r in pb['results']:
        rows[r['system']] = dict(r)
    direct = rows.get('direct', {})
    base_sysmem = direct.get('sysmem_delta_idle_MB') if 'error' not in direct else None
    for name, r in rows.items():
        # kernel memory the gateway holds for the idle connections: the whole-system delta,
        # minus what client + server sockets hold (the direct row, same connection count),
        # minus the proxy's own user-space growth (RSS idle - RSS before)
        if name != 'direct' and base_sysmem is not None and r.get('sysmem_delta_idle_MB') is not None:
            user = (r.get('rss_idle_MB') or 0) - (r.get('rss_base_MB') or 0)
            r['gw_kmem_idle_MB'] = r['sysmem_delta_idle_MB'] - base_sysmem - user
    for z in zw['results']:
        r = rows.setdefault(z['system'], {'system': z['system']})
        zr = {k: v for k, v in z.items() if k != 'system'}
        r['zerowin'] = zr
        if 'error' in z:
            continue
        r['zw_memavail_drop_MB'] = z.get('memavail_drop_MB')
        r['zw_slab_MB'] = z.get('slab_MB')
    names = [n for n in ORDER if n in rows] + [n for n in rows if n not in ORDER]
    return [rows[n] for n in names]


def cell(r, base, key, spec, ratio):
    v = r.get(key)
    if v is None:
        return '-'
    s = spec % v
    if ratio and base and base.get(key) and r is not base:
        s += ' (%.2fx)' % (v / base[key])
    return s


def text_table(rows):
    base = next((r for r in rows if r['system'] == 'direct' and 'error' not in r), None)
    w = max(14, max(len(r['system']) for r in rows) + 1)
    hdr = 'system'.ljust(w) + ''.join(c[1].rjust(16) for c in COLS)
    lines = [hdr, '-' * len(hdr)]
    for r in rows:
        s = r['system'].ljust(w)
        if 'error' in r:
            s += '  peerbench ERROR: ' + r['error'][:100]
            if 'zw_memavail_drop_MB' in r:
                s += '  (zero window: %.1f MB)' % r['zw_memavail_drop_MB']
            lines.append(s)
            continue
        lines.append(s + ''.join(cell(r, base, k, f, ra).rjust(16) for k, _, f, ra, _, _ in COLS))
    return '\n'.join(lines)


def problems(rows, idle_conns):
    out = []
    for r in rows:
        if 'error' not in r and r.get('idle_ok') is not None and r['idle_ok'] < idle_conns:
            out.append('%s: only %d of %d idle connections came up' % (r['system'], r['idle_ok'], idle_conns))
        if r.get('sysmem_delta_idle_MB') is not None and r['sysmem_delta_idle_MB'] < -0.5:
            out.append('note: %s: whole-system memory fell during the idle phase (%.1f MB): memory released then '
                       '(left from earlier phases, or other activity on the machine) hides the idle '
                       'connections; sysmem@idle / gw kmem@idle are not meaningful in this run'
                       % (r['system'], r['sysmem_delta_idle_MB']))
        pre = 'note: (experimental) ' if r['system'] in EXPERIMENTAL else ''
        for e in ([r['error']] if 'error' in r else []) + r.get('errors', []):
            out.append('%s%s: %s' % (pre, r['system'], e))
        if r.get('cps_errors'):
            out.append('%s%s: %d failed connections in conn/s' % (pre, r['system'], r['cps_errors']))
        z = r.get('zerowin', {})
        for e in ([z['error']] if 'error' in z else []) + z.get('errors', []):
            out.append('%s (zero window): %s' % (r['system'], e))
    return out


def scan_log(path, label):
    """what a snigate log says beyond one 'allow' line per connection: warnings/errors and
    denials (every bench connection is allowed, so any denial is a fault)"""
    msgs, denies = {}, {}
    try:
        with open(path, errors='replace') as f:
            for l in f:
                if ' verdict=' in l:
                    kv = dict(t.split('=', 1) for t in l.split() if '=' in t)
                    if kv.get('verdict') != 'allow' or kv.get('reason') != 'match':
                        k = 'verdict=%s reason=%s hello=%s bytes_up=%s' % (kv.get('verdict'), kv.get('reason'),
                                                                          kv.get('hello'), kv.get('bytes_up'))
                        denies[k] = denies.get(k, 0) + 1
                elif l.startswith('snigate: ') and ('error' in l or 'warn' in l or 'fail' in l):
                    m = l.strip()[len('snigate: '):]
                    msgs[m] = msgs.get(m, 0) + 1
    except OSError:
        return []
    return ['snigate log (%s): %d x "%s"' % (label, n, m) for m, n in sorted(msgs.items(), key=lambda x: -x[1])] + \
           ['snigate log (%s): %d connection(s) with %s' % (label, n, k) for k, n in sorted(denies.items(), key=lambda x: -x[1])]


def md_table(rows, stamp, pbm, zwm, notes):
    base = next((r for r in rows if r['system'] == 'direct' and 'error' not in r), None)
    out = ['<!-- generated by `make bench` (scripts/bench.sh); do not edit -->', '',
           '*%s*' % stamp, '',
           '| system | ' + ' | '.join(c[1].replace('us', 'µs') for c in COLS) + ' |',
           '|---|' + '---:|' * len(COLS)]
    for r in rows:
        if 'error' in r:
            out.append('| %s | ERROR: %s |' % (r['system'], r['error'][:100].replace('|', '/')) + ' |' * (len(COLS) - 1))
            continue
        out.append('| %s | ' % r['system'] + ' | '.join(cell(r, base, k, f, ra) for k, _, f, ra, _, _ in COLS) + ' |')
    out += ['', 'Medians of %s run(s); (x) = ratio to `direct` in the same run. Bulk %.2g GB per run '
            '(8 streams share it), ping-pong %d x %d B, conn/s %gs x %d concurrent, %d idle connections '
            '(peerbench, `../shared/bench`). snigate: transparent (nft redirect to :8443), `--upstream sni`, '
            'default data path (splice relay), one worker like every peer; snigate-workers2: the same '
            'with `--workers 2` (RSS sums both workers); snigate-sockmap: the same with `--data-path sockmap` '
            '(experimental, see README "Data path"). haproxy-redirect: peerbench\'s HAProxy configuration '
            'run transparent like snigate (nft redirect: conntrack and NAT for every connection), '
            'the like-for-like peer; the other peers are dialled directly.'
            % (pbm.get('runs'), pbm.get('bulk_bytes', 0) / 1e9, pbm.get('rr_count', 0), pbm.get('rr_size', 0),
               pbm.get('cps_secs', 0), pbm.get('cps_conc', 0), pbm.get('idle_conns', 0)), '',
            '* **proxy CPU** counts the proxy\'s processes only; kernel work outside them (softirq, '
            'the sockmap kworker) only shows in **sys CPU**, which includes client and server.',
            '* **sysmem@idle**: whole-system memory growth (MemTotal - MemAvailable) while the idle '
            'connections are open: client, server, gateway kernel and proxy. **gw kmem@idle** '
            'estimates the gateway kernel\'s share: sysmem@idle - sysmem@idle of `direct` '
            '(client + server sockets) - the proxy\'s RSS growth. Noisy (other activity on the machine).',
            '* **ZW** (zero window): %d clients with SO_RCVBUF %d B send the ClientHello and ask for 2^40 '
            'bytes, then never read; after %g s, the drop of MemAvailable and the growth of Slab '
            '(medians of %d run(s)). Socket buffers at the client and server are included (see `direct`).'
            % (zwm.get('conns', 0), zwm.get('rcvbuf', 0), zwm.get('hold_s', 0), zwm.get('runs', 0))]
    if notes:
        out += ['', 'Problems and notes from this run:', ''] + ['* ' + n for n in notes]
    return '\n'.join(out) + '\n'


def chart(rows, datf, gpf, png, title, idle, zwc):
    names = [r['system'] for r in rows]
    with open(datf, 'w') as f:
        f.write('# system ' + ' '.join(c[0] for c in COLS) + '\n')
        for r in rows:
            f.write('"%s" ' % r['system'] + ' '.join(
                ('%.6g' % r[c[0]]) if r.get(c[0]) is not None else '-' for c in COLS) + '\n')
    colors = ['#7f7f7f', '#1f77b4', '#2ca02c', '#9467bd', '#d62728', '#ff7f0e', '#17becf']
    g = ['set terminal pngcairo noenhanced size 1800,1150 font "sans,10"',
         'set output "%s"' % png,
         'set datafile missing "-"',
         'set style fill solid 0.85 border -1',
         'set boxwidth 0.7',
         'set grid ytics',
         'set yrange [0:*]',
         'set xtics rotate by -30 scale 0',
         'set key off',
         'set offsets 0.5, 0.5, 0, 0',
         'set lmargin 10',
         'set multiplot layout 3,4 title "%s" font "sans,13"' % title.replace('"', "'")]
    for i, (key, _, spec, _, better, t) in enumerate(COLS):
        t = t % {'idle': idle, 'zwc': zwc}
        lo = min([r[key] for r in rows if r.get(key) is not None] + [0])
        g.append('set yrange [%s:*]' % ('0' if lo >= 0 else '%g' % (lo * 1.15)))
        g.append('set title "%s\\n(%s is better)"' % (t, better))
        g.append('plot "%s" using 0:%d:(0.7):(int($0)+1):xticlabels(1) with boxes lc variable, '
                 '"" using 0:%d:(sprintf("%s", $%d)) with labels offset 0,0.6 font "sans,8"'
                 % (datf, i + 2, i + 2, spec, i + 2))
    g.append('unset multiplot')
    # colours per system, in row order (lc variable indexes the line types)
    g = g[:1] + ['set linetype %d lc rgb "%s"' % (k + 1, colors[k % len(colors)]) for k in range(len(names))] + g[1:]
    with open(gpf, 'w') as f:
        f.write('\n'.join(g) + '\n')
    r = subprocess.run(['gnuplot', gpf], capture_output=True, text=True)
    if r.returncode:
        print('report: gnuplot failed: ' + r.stderr.strip()[-500:], file=sys.stderr)
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--peerbench', required=True)
    ap.add_argument('--zerowin', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--md', required=True)
    ap.add_argument('--png', required=True)
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--log', action='append', default=[], metavar='LABEL=FILE', help='snigate log to scan')
    a = ap.parse_args()
    pb, zw = load(a.peerbench), load(a.zerowin)
    rows = merge(pb, zw)
    if not rows:
        print('report: no results', file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    kernel = os.uname().release
    date = datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')
    stamp = 'snigate `make bench`%s: %s, kernel %s, 2 vCPU VM (nproc %d)' % (
        ' (BENCH_QUICK smoke run: not representative)' if a.quick else '', date, kernel, os.cpu_count())
    notes = problems(rows, pb.get('meta', {}).get('idle_conns', 0))
    for lf in a.log:
        label, path = lf.split('=', 1)
        notes += scan_log(path, label)
    t = text_table(rows)
    with open(os.path.join(a.out, 'results.txt'), 'w') as f:
        f.write(stamp.replace('`', '') + '\n' + t + '\n')
    with open(os.path.join(a.out, 'results.json'), 'w') as f:
        json.dump({'meta': {'date': date, 'kernel': kernel, 'machine': '2 vCPU VM', 'nproc': os.cpu_count(),
                            'quick': a.quick, 'peerbench': pb.get('meta', {}), 'zerowin': zw.get('meta', {})},
                   'results': rows}, f, indent=1)
    os.makedirs(os.path.dirname(os.path.abspath(a.md)), exist_ok=True)
    with open(a.md, 'w') as f:
        f.write(md_table(rows, stamp, pb.get('meta', {}), zw.get('meta', {}), notes))
    ok = chart(rows, os.path.join(a.out, 'chart.dat'), os.path.join(a.out, 'chart.gp'), a.png,
               stamp.replace('`', ''), pb.get('meta', {}).get('idle_conns', 0), zw.get('meta', {}).get('conns', 0))
    print()
    print(stamp.replace('`', ''))
    print(t)
    for n in notes:
        print(n if n.startswith('note: ') else 'problem: ' + n)
    print('written: %s/results.{txt,json}, %s, %s' % (a.out, a.md, a.png if ok else '(no chart)'))
    if any(n.startswith('snigate') for n in notes):   # faults of snigate itself (not 'note: ...')
        return 3
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
