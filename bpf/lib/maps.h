/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf/lib/maps.h - every map of the gateway, one comment each.
 * Included once, by bpf/gateway.bpf.c. Pinned maps are the operator's view
 * (bpftool, `snigate` CLI); the socket maps live only while the daemon runs.
 * The policy maps, shared with bpf/filter.bpf.c, are in lib/policy.h.
 */
#ifndef __SNIGATE_MAPS_H
#define __SNIGATE_MAPS_H

/* Counters, summed over CPUs by `snigate stats`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SNIGATE_STAT__MAX);
	__type(key, __u32);	/* enum snigate_stat: array keys must be plain ints in BTF */
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snigate_stats SEC(".maps");

/* Socket cookie -> state of that socket (`snigate conns` reads it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SNIGATE_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct snigate_sock);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snigate_sockst SEC(".maps");

/* Every proxied socket, keyed by cookie: the redirect targets. No program is
 * attached, so a socket stays here (and keeps sending what was redirected to
 * it) while its receive side is paused.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SNIGATE_SOCKS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} snigate_socks SEC(".maps");

/* Client sockets waiting for their ClientHello: stream parser + verdict. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SNIGATE_SOCKS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} snigate_hello SEC(".maps");

/* Sockets whose received bytes BPF redirects to the peer (verdict only). A
 * socket leaves this map to pause: its receive queue then fills and TCP flow
 * control reaches the sender.
 */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SNIGATE_SOCKS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} snigate_pump SEC(".maps");

/* Pause requests to user space (struct snigate_event; sockmap mode only). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024);
} snigate_events SEC(".maps");

/* Hello-phase bytes and verdicts, in stream order (struct snigate_hello_rec,
 * each only as long as its payload: a typical hello and its verdict take
 * about 1 KiB). Shared by every client in its hello phase; when it is full,
 * the client whose chunk did not fit is refused (oversize), and early data
 * (after an allowed hello) may fill only half of it. The daemon consumes it
 * on every loop pass and accepts 16 clients a pass, so it holds hundreds
 * of hellos between two passes. Its pages are mapped into the daemon
 * (twice, for wrap-around), so its size counts in the daemon's RSS.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SNIGATE_HELLORB_SIZE);
} snigate_hellorb SEC(".maps");

/* Per-CPU staging for one hello-ring record: too big for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snigate_hello_rec);
} snigate_recbuf SEC(".maps");

#endif /* __SNIGATE_MAPS_H */
