// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpf/filter.bpf.c - `snigate filter`: the gateway's policy on the
 * connections a cgroup opens itself, decided in the kernel, no proxy.
 *
 *  - connect4/6, sendmsg4/6 (cgroup): TCP and UDP only to the ports the
 *    operator named; everything else fails with EPERM. A connect to a
 *    filtered port records who connects (pid, comm, cgroup) by socket cookie.
 *  - sock_ops (cgroup): an established connection to a filtered port goes
 *    into snigate_fsocks, whose sk_msg verdict then sees every sendmsg.
 *  - sk_msg: gathers the first TLS record (cork), parses the ClientHello
 *    (include/sni_parse.h), decides (lib/policy.h). Allowed: the bytes pass;
 *    denied: sendmsg fails with EACCES and so does every later one.
 *  - sock_ops again, on the first RTT sample after an allow: takes the
 *    socket out of snigate_fsocks, so the rest of the connection runs on
 *    plain TCP (sk_msg programs may not delete from a sockhash, sock_ops may).
 *  - iter/tcp: resets denied connections (bpf_sock_destroy) when the daemon
 *    runs it, in the network namespace of the denied process.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "snigate_abi.h"

#define AF_INET		2
#define AF_INET6	10
#define SK_DROP		0
#define SK_PASS		1
#define SOL_TCP		6
#define TCP_FASTOPEN_CONNECT	30

/* Reads of the message, which snigate_filter_msg has made linear
 * (bpf_msg_pull_data) over the whole first record: checked against data_end,
 * then one copy. A byte loop with a verifier-checked read per byte was
 * simpler but over a million instructions to verify (every u8/u16 of the
 * parser inlines it).
 */
static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len)
{
	struct sk_msg_md *msg = src;
	__u8 *data = msg->data, *end = msg->data_end, *p;

	if (off > 5 + 16384 || len == 0 || len > SNIGATE_NAME_MAX)	/* a record, a name */
		return -1;
	p = data + off;
	if ((void *)(p + len) > (void *)end)
		return -1;
	return bpf_probe_read_kernel(dst, len, p);
}

#include "sni_parse.h"
#include "lib/policy.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Written by user space before load: pid of the daemon, tags its entries. */
const volatile __u32 filter_owner;

/* Counters, summed over CPUs by `snigate stats`. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SNIGATE_FSTAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snigate_fstats SEC(".maps");

/* Socket cookie -> who connected where and the verdict (`snigate conns`). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SNIGATE_SOCKS_MAX);
	__type(key, __u64);
	__type(value, struct snigate_fconn);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snigate_fconns SEC(".maps");

/* Socket -> its cookie: sk_msg programs may not ask for a cookie, but they
 * may look up socket storage (written by sock_ops, which may).
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} snigate_fcookie SEC(".maps");

/* (port, protocol) -> enum snigate_port_kind; absent: refused. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct snigate_fport);
	__type(value, __u32);
} snigate_fports SEC(".maps");

/* Connections waiting for their verdict: the sk_msg program is attached here. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, SNIGATE_SOCKS_MAX);
	__type(key, __u64);
	__type(value, __u64);
} snigate_fsocks SEC(".maps");

/* Room for one record: a struct snigate_fconn is too big for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snigate_fconn);
} snigate_fscratch SEC(".maps");

/* Verdicts and refusals to the daemon (struct snigate_fevent). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} snigate_fevents SEC(".maps");

static __always_inline void fstat_add(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&snigate_fstats, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u32 port_kind(__u16 port, __u8 proto)
{
	struct snigate_fport k = { .port = port, .proto = proto };
	__u32 *v = bpf_map_lookup_elem(&snigate_fports, &k);

	return v ? *v : SNIGATE_PORT_NONE;
}

static __always_inline void event_send(enum snigate_fevent_type type, __u32 proto, __u64 cookie,
				       const struct snigate_fconn *c)
{
	struct snigate_fevent *ev = bpf_ringbuf_reserve(&snigate_fevents, sizeof(*ev), 0);

	if (!ev)
		return;		/* the counters still say it */
	ev->type = type;
	ev->proto = proto;
	ev->cookie = cookie;
	__builtin_memcpy(&ev->conn, c, sizeof(*c));
	bpf_ringbuf_submit(ev, 0);
}

/* Fill who and where from a connect or sendto (process context). */
static __always_inline void who_where(struct bpf_sock_addr *ctx, __u16 family, __u16 port,
				      struct snigate_fconn *c)
{
	c->start_ns = bpf_ktime_get_ns();
	c->cgroup_id = bpf_get_current_cgroup_id();
	c->owner = filter_owner;
	c->pid = bpf_get_current_pid_tgid() >> 32;
	c->family = family;
	c->dport = port;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	if (family == AF_INET) {
		__u32 a = ctx->user_ip4;

		__builtin_memcpy(c->daddr, &a, 4);
	} else {
		__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

		__builtin_memcpy(c->daddr, a, 16);
	}
}

/* sendto(MSG_FASTOPEN) connects with the data already attached. */
static __always_inline bool tfo_pending(struct bpf_sock *sk)
{
	struct tcp_sock *tp;

	if (!sk)
		return false;
	tp = bpf_skc_to_tcp_sock(sk);
	return tp && tp->fastopen_req;
}

/* Returns 1 (go on) or 0 (EPERM). */
static __always_inline int port_check(struct bpf_sock_addr *ctx, __u16 family)
{
	__u16 port = bpf_ntohs(ctx->user_port);
	__u32 proto = ctx->protocol, kind, zero = 0;
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct snigate_fconn *c;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return 1;	/* only TCP and UDP have these hooks */
	kind = port_kind(port, proto);
	if (kind == SNIGATE_PORT_PASS) {
		fstat_add(SNIGATE_FSTAT_PORT_PASSED);
		return 1;
	}
	c = bpf_map_lookup_elem(&snigate_fscratch, &zero);
	if (!c)
		return 0;
	__builtin_memset(c, 0, sizeof(*c));
	who_where(ctx, family, port, c);
	if (kind == SNIGATE_PORT_NONE) {
		fstat_add(SNIGATE_FSTAT_PORT_REFUSED);
		event_send(SNIGATE_FEVENT_REFUSED, proto, cookie, c);
		return 0;
	}
	/* TCP Fast Open would put the hello in the SYN (or queue it before the
	 * socket is established and in the sockhash): unjudged. Refused.
	 */
	if (proto == IPPROTO_TCP && tfo_pending(ctx->sk)) {
		fstat_add(SNIGATE_FSTAT_TFO_REFUSED);
		return 0;
	}
	/* a filtered TCP port: remember who, the verdict comes later */
	if (bpf_map_update_elem(&snigate_fconns, &cookie, c, BPF_ANY)) {
		fstat_add(SNIGATE_FSTAT_UNTRACKED);
		return 0;	/* fail closed: a connection we could not judge */
	}
	return 1;
}

SEC("cgroup/connect4")
int sgf_connect4(struct bpf_sock_addr *ctx)
{
	return port_check(ctx, AF_INET);
}

SEC("cgroup/connect6")
int sgf_connect6(struct bpf_sock_addr *ctx)
{
	return port_check(ctx, AF_INET6);
}

/* unconnected UDP: every sendto names its destination */
SEC("cgroup/sendmsg4")
int sgf_sendmsg4(struct bpf_sock_addr *ctx)
{
	return port_check(ctx, AF_INET);
}

SEC("cgroup/sendmsg6")
int sgf_sendmsg6(struct bpf_sock_addr *ctx)
{
	return port_check(ctx, AF_INET6);
}

/* A connection the connect hook did not see (it attaches last at start):
 * where it goes, from the socket.
 */
static __always_inline struct snigate_fconn *fconn_from_sock(struct bpf_sock_ops *skops,
							     __u64 cookie, __u16 port)
{
	struct snigate_fconn *c;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&snigate_fscratch, &zero);
	if (!c)
		return NULL;
	__builtin_memset(c, 0, sizeof(*c));
	c->start_ns = bpf_ktime_get_ns();
	c->owner = filter_owner;
	c->family = skops->family;
	c->dport = port;
	if (skops->family == AF_INET) {
		__u32 a = skops->remote_ip4;

		__builtin_memcpy(c->daddr, &a, 4);
	} else {
		__u32 a[4] = { skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2],
			       skops->remote_ip6[3] };

		__builtin_memcpy(c->daddr, a, 16);
	}
	if (bpf_map_update_elem(&snigate_fconns, &cookie, c, BPF_NOEXIST))
		return NULL;
	return bpf_map_lookup_elem(&snigate_fconns, &cookie);
}

/* setsockopt(TCP_FASTOPEN_CONNECT): connect() then returns at once and the
 * first write goes out with the SYN, before the sockhash. Refused (EPERM).
 */
SEC("cgroup/setsockopt")
int sgf_setsockopt(struct bpf_sockopt *ctx)
{
	if (ctx->level == SOL_TCP && ctx->optname == TCP_FASTOPEN_CONNECT) {
		fstat_add(SNIGATE_FSTAT_TFO_REFUSED);
		return 0;
	}
	return 1;	/* anything else: as asked (optval untouched) */
}

/* sock_ops runs in the socket's cgroup: only sockets created inside the
 * filtered cgroup (or its children) get here.
 */
SEC("sockops")
int sgf_sockops(struct bpf_sock_ops *skops)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	__u16 port = bpf_ntohl(skops->remote_port);
	struct snigate_fconn *c;
	struct bpf_sock *sk;
	__u64 *cp;

	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		/* the close callback keeps snigate_fconns clean, also when
		 * the connection never gets established
		 */
		if (port_kind(port, IPPROTO_TCP) == SNIGATE_PORT_FILTER)
			bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		if (port_kind(port, IPPROTO_TCP) != SNIGATE_PORT_FILTER)
			break;
		fstat_add(SNIGATE_FSTAT_CONNS);
		c = bpf_map_lookup_elem(&snigate_fconns, &cookie);
		if (!c)
			c = fconn_from_sock(skops, cookie, port);
		if (bpf_sock_hash_update(skops, &snigate_fsocks, &cookie, BPF_NOEXIST)) {
			/* not judged: every sendmsg would pass. There is no
			 * reset from here; the verdict is deny, the daemon resets.
			 */
			fstat_add(SNIGATE_FSTAT_UNTRACKED);
			if (c) {
				c->verdict = SNIGATE_VERDICT_DENY;
				c->reason = SNIGATE_REASON_LIMIT;
				event_send(SNIGATE_FEVENT_VERDICT, IPPROTO_TCP, cookie, c);
			}
			break;
		}
		if (!c) {
			fstat_add(SNIGATE_FSTAT_UNTRACKED);
			break;	/* in the sockhash without state: sgf_msg drops all */
		}
		sk = skops->sk;
		cp = sk ? bpf_sk_storage_get(&snigate_fcookie, sk, 0, BPF_SK_STORAGE_GET_F_CREATE) : 0;
		if (cp)
			*cp = cookie;	/* else sgf_msg finds no state and drops */
		c->flags |= SNIGATE_FCONN_ESTABLISHED;
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RTT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		/* an ACK: the hello (if any) has been sent. Once allowed, leave. */
		c = bpf_map_lookup_elem(&snigate_fconns, &cookie);
		if (!c || c->verdict != SNIGATE_VERDICT_ALLOW || (c->flags & SNIGATE_FCONN_LEFT))
			break;
		if (bpf_map_delete_elem(&snigate_fsocks, &cookie) == 0) {
			c->flags |= SNIGATE_FCONN_LEFT;
			fstat_add(SNIGATE_FSTAT_LEFT);
		}
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE)
			bpf_map_delete_elem(&snigate_fconns, &cookie);
		break;
	}
	return 1;
}

/* The parser over the message: a global function, checked once. */
__noinline int sgf_parse(struct sk_msg_md *msg, struct sni_result *res, __u32 len)
{
	if (!msg || !res)
		return SNI_BAD;
	return sni_parse(msg, len, res);
}

static __always_inline int verdict_out(__u64 cookie, struct snigate_fconn *c,
				       enum snigate_verdict v, enum snigate_reason r)
{
	c->verdict = v;
	c->reason = r;
	fstat_add(SNIGATE_FSTAT_HELLOS);
	if (c->sends > 1)
		fstat_add(SNIGATE_FSTAT_SPLIT);
	if (v == SNIGATE_VERDICT_ALLOW) {
		fstat_add(SNIGATE_FSTAT_ALLOWED);
	} else {
		fstat_add(SNIGATE_FSTAT_DENIED);
		fstat_add(SNIGATE_FSTAT_DENY_BASE + (r < SNIGATE_REASON__MAX ? r : 0));
	}
	event_send(SNIGATE_FEVENT_VERDICT, IPPROTO_TCP, cookie, c);
	return v == SNIGATE_VERDICT_ALLOW ? SK_PASS : SK_DROP;
}

/* Runs on every sendmsg while the socket is in snigate_fsocks. With a cork
 * set, the kernel holds the bytes and runs this again on all of them once
 * that many are there; so this always sees the message from byte 0.
 */
SEC("sk_msg")
int sgf_msg(struct sk_msg_md *msg)
{
	__u32 size = msg->size, need, zero = 0;
	struct snigate_fconn *c = NULL;
	__u64 cookie = 0, *cp;
	struct bpf_sock *sk;
	__u8 *data, *end;
	struct scratch *s;
	int rc, d;

	sk = msg->sk;
	if (sk) {
		cp = bpf_sk_storage_get(&snigate_fcookie, sk, 0, 0);
		if (cp) {
			cookie = *cp;
			c = bpf_map_lookup_elem(&snigate_fconns, &cookie);
		}
	}
	if (!c)
		return SK_DROP;		/* no state: fail closed */
	if (c->verdict == SNIGATE_VERDICT_ALLOW) {
		/* until the RTT callback takes us out: no more runs */
		bpf_msg_apply_bytes(msg, 0x7fffffff);
		return SK_PASS;
	}
	if (c->verdict != SNIGATE_VERDICT_NONE)
		return SK_DROP;		/* denied: so is everything after */
	c->sends++;
	if (size < SNI_RECORD_HDR) {
		bpf_msg_cork_bytes(msg, SNI_RECORD_HDR);
		return SK_PASS;
	}
	if (bpf_msg_pull_data(msg, 0, SNI_RECORD_HDR, 0))
		return verdict_out(cookie, c, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MALFORMED);
	data = msg->data;
	end = msg->data_end;
	if ((void *)(data + SNI_RECORD_HDR) > (void *)end)
		return verdict_out(cookie, c, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MALFORMED);
	if (data[0] != 0x16 || data[1] != 3)
		return verdict_out(cookie, c, SNIGATE_VERDICT_DENY, SNIGATE_REASON_NOT_TLS);
	need = SNI_RECORD_HDR + ((__u32)data[3] << 8 | data[4]);
	if (need > SNI_RECORD_HDR + SNI_RECORD_MAX)
		return verdict_out(cookie, c, SNIGATE_VERDICT_DENY, SNIGATE_REASON_OVERSIZE);
	c->hello_len = need;
	if (size < need) {
		bpf_msg_cork_bytes(msg, need);
		return SK_PASS;
	}
	if (bpf_msg_pull_data(msg, 0, need, 0))
		return verdict_out(cookie, c, SNIGATE_VERDICT_DENY, SNIGATE_REASON_MALFORMED);
	s = bpf_map_lookup_elem(&snigate_scratch, &zero);
	if (!s)
		return SK_DROP;
	__builtin_memset(&s->res, 0, sizeof(s->res));
	rc = sgf_parse(msg, &s->res, need);
	if (rc != SNI_OK)
		/* a hello over several records is refused here: real clients
		 * send one record; the gateway reassembles, the filter has no
		 * user space in the path
		 */
		return verdict_out(cookie, c, SNIGATE_VERDICT_DENY, sni_rc_reason(rc));
	__builtin_memcpy(c->sni, s->res.name, sizeof(c->sni));
	d = snigate_decide(s, policy_default());
	if ((d & 0xff) == SNIGATE_VERDICT_ALLOW)
		bpf_msg_apply_bytes(msg, 0x7fffffff);
	return verdict_out(cookie, c, d & 0xff, (d >> 8) & 0xff);
}

extern int bpf_sock_destroy(struct sock_common *sk) __ksym;

/* Reset denied connections: aborts the socket (RST to the server, ECONNABORTED
 * to the client). Runs over the TCP sockets of the reader's network namespace.
 */
SEC("iter/tcp")
int sgf_reset_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct snigate_fconn *c;
	__u64 cookie;

	/* reading a field also puts all of struct sock_common in our BTF:
	 * libbpf 1.1 finds a forward declaration incompatible with the kfunc
	 */
	if (!skc || skc->skc_state != BPF_TCP_ESTABLISHED)
		return 0;
	cookie = bpf_get_socket_cookie(skc);
	c = bpf_map_lookup_elem(&snigate_fconns, &cookie);
	if (!c || c->verdict != SNIGATE_VERDICT_DENY || (c->flags & SNIGATE_FCONN_RESET))
		return 0;
	if (bpf_sock_destroy(skc) == 0) {
		c->flags |= SNIGATE_FCONN_RESET;
		fstat_add(SNIGATE_FSTAT_RESET);
	}
	return 0;
}
