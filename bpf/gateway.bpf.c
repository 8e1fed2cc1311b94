// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpf/gateway.bpf.c - the gateway's kernel side.
 *
 * Two phases per connection:
 *  - hello: the client socket sits in snigate_hello. The stream parser holds
 *    bytes back until the first TLS record is whole, the verdict parses the
 *    ClientHello (include/sni_parse.h), decides against the policy trie and
 *    writes the result into the socket's snigate_sockst entry. The bytes are
 *    passed on to the socket so user space can forward the hello upstream.
 *  - pump: both sockets sit in snigate_pump; every received skb is redirected
 *    to the peer socket. The verdict also measures what the peer has not yet
 *    had acknowledged and asks for a pause of this receiver above
 *    snigate_config.backlog_high (sk_skb redirect has no backpressure of its
 *    own). The pause iterator then takes the receiver out of snigate_pump:
 *    its receive queue fills and TCP flow control reaches the sender.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "snigate_abi.h"

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len)
{
	return bpf_skb_load_bytes(src, off, dst, len);
}

#include "sni_parse.h"
#include "lib/policy.h"
#include "lib/maps.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SK_DROP 0
#define SK_PASS 1

static __always_inline void stat_add(enum snigate_stat idx, __u64 n)
{
	__u32 key = idx;
	__u64 *v = bpf_map_lookup_elem(&snigate_stats, &key);

	if (v)
		*v += n;
}

/* The parser is a global function (as snigate_decide in lib/policy.h): the
 * verifier checks it once, with unknown arguments.
 */
__noinline int snigate_parse(struct __sk_buff *skb, struct sni_result *res)
{
	if (!skb || !res)
		return SNI_BAD;
	return sni_parse(skb, skb->len, res);
}

static __always_inline struct snigate_sock *sock_state(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);

	return bpf_map_lookup_elem(&snigate_sockst, &cookie);
}

/* Stream parser: a message ends only at the end of an skb, and only once the
 * first TLS record is whole (the parser always sees the head skb from byte 0,
 * so a length that ends inside an skb would re-read the hello forever).
 * Returns 0 for "need more", else the message length.
 */
SEC("sk_skb/stream_parser")
int snigate_hello_parser(struct __sk_buff *skb)
{
	struct snigate_sock *st = sock_state(skb);
	__u8 hdr[SNI_RECORD_HDR];
	__u32 rec_len;

	if (!st || (st->flags & SNIGATE_SOCK_DECIDED))
		return skb->len;
	if (skb->len < SNI_RECORD_HDR) {
		st->parse_calls++;
		return 0;
	}
	if (bpf_skb_load_bytes(skb, 0, hdr, sizeof(hdr)) || hdr[0] != 0x16)
		return skb->len;			/* not TLS: let the verdict say so */
	rec_len = (__u32)hdr[3] << 8 | hdr[4];
	if (rec_len > SNI_RECORD_MAX)
		return skb->len;
	if (skb->len < SNI_RECORD_HDR + rec_len) {
		st->parse_calls++;
		return 0;
	}
	return skb->len;
}

/* Copy the message to user space through snigate_hellorb, in chunks, each
 * record only as long as its bytes. Returns 0, or -1 when the ring is full
 * or the client sent too much.
 */
static __always_inline int hello_ship(struct __sk_buff *skb, struct snigate_sock *st,
				      struct snigate_hello_rec *rec, __u64 cookie)
{
	__u32 i, off, n, len = skb->len;

	if (st->hello_len + len > SNIGATE_HELLO_MAX)
		return -1;
	for (i = 0; i < SNIGATE_HELLO_MAX / SNIGATE_CHUNK; i++) {
		off = i * SNIGATE_CHUNK;
		if (off >= len)
			break;
		n = len - off;
		if (n > SNIGATE_CHUNK)
			n = SNIGATE_CHUNK;
		/* 1..SNIGATE_CHUNK in a form the verifier can see (off < len) */
		n = ((n - 1) & (SNIGATE_CHUNK - 1)) + 1;
		rec->cookie = cookie;
		rec->type = SNIGATE_REC_DATA;
		rec->len = n;
		if (bpf_skb_load_bytes(skb, off, rec->data, n) ||
		    bpf_ringbuf_output(&snigate_hellorb, rec,
				       offsetof(struct snigate_hello_rec, data) + n, 0))
			return -1;
	}
	st->hello_len += len;
	return 0;
}

/* The verdict, with the socket's whole state, so user space acts on it
 * without a map lookup.
 */
static __always_inline void hello_notify(struct snigate_sock *st, struct snigate_hello_rec *rec,
					 __u64 cookie)
{
	rec->cookie = cookie;
	rec->type = SNIGATE_REC_VERDICT;
	rec->len = sizeof(*st);
	__builtin_memcpy(rec->data, st, sizeof(*st));
	/* if it does not fit, user space finds the verdict by polling */
	bpf_ringbuf_output(&snigate_hellorb, rec,
			   offsetof(struct snigate_hello_rec, data) + sizeof(*st), 0);
}

/* Hello verdict: decide once; ship every byte of the hello phase to user
 * space (it forwards them upstream) and consume it here. Denied or broken
 * hellos need no bytes: user space sends the alert.
 */
SEC("sk_skb/stream_verdict")
int snigate_hello_verdict(struct __sk_buff *skb)
{
	struct snigate_sock *st = sock_state(skb);
	enum snigate_verdict verdict;
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct snigate_config *cfg;
	enum snigate_reason reason;
	struct snigate_hello_rec *rec;
	struct scratch *s;
	__u32 zero = 0;
	int rc, d;

	if (!st)
		return SK_DROP;		/* being closed */
	s = bpf_map_lookup_elem(&snigate_scratch, &zero);
	rec = bpf_map_lookup_elem(&snigate_recbuf, &zero);
	if (!s || !rec)
		return SK_DROP;
	if (st->flags & SNIGATE_SOCK_DECIDED) {
		if (st->flags & SNIGATE_SOCK_OVERFLOW)
			return SK_DROP;
		/* early data (bytes after an allowed hello, before the upstream
		 * is ready) may fill only half the ring: the other half stays
		 * for other clients' hellos
		 */
		if (!(st->flags & SNIGATE_SOCK_USER_PARSE)) {
			if (st->verdict != SNIGATE_VERDICT_ALLOW)
				return SK_DROP;		/* refused: user space closes it */
			if (bpf_ringbuf_query(&snigate_hellorb, BPF_RB_AVAIL_DATA) >
			    SNIGATE_HELLORB_SIZE / 2) {
				st->flags |= SNIGATE_SOCK_OVERFLOW;
				return SK_DROP;
			}
		}
		if (hello_ship(skb, st, rec, cookie))
			st->flags |= SNIGATE_SOCK_OVERFLOW;
		return SK_DROP;
	}
	__builtin_memset(&s->res, 0, sizeof(s->res));

	rc = snigate_parse(skb, &s->res);
	st->ech = s->res.ech;
	st->shape = st->parse_calls ? SNIGATE_SHAPE_SEGMENTS : SNIGATE_SHAPE_ONE_SEGMENT;
	if (rc == SNI_FRAGMENTED) {
		/* the hello continues in further records: user space reassembles
		 * them and runs this same parser on the result
		 */
		st->shape = SNIGATE_SHAPE_RECORDS;
		st->flags |= SNIGATE_SOCK_USER_PARSE | SNIGATE_SOCK_DECIDED;
		stat_add(SNIGATE_STAT_USER_PARSED, 1);
		if (hello_ship(skb, st, rec, cookie))
			st->flags |= SNIGATE_SOCK_OVERFLOW;
		hello_notify(st, rec, cookie);
		return SK_DROP;
	}
	stat_add(SNIGATE_STAT_HELLOS, 1);
	stat_add(st->parse_calls ? SNIGATE_STAT_SHAPE_SEGMENTS : SNIGATE_STAT_SHAPE_ONE, 1);

	if (rc == SNI_OK) {
		__builtin_memcpy(st->sni, s->res.name, sizeof(st->sni));
		cfg = bpf_map_lookup_elem(&snigate_config, &zero);
		if (cfg && policy_ech_refused(cfg->ech_deny, s->res.ech)) {
			verdict = SNIGATE_VERDICT_DENY;
			reason = SNIGATE_REASON_ECH;
		} else {
			d = snigate_decide(s, policy_default());
			verdict = d & 0xff;
			reason = (d >> 8) & 0xff;
		}
	} else {
		verdict = SNIGATE_VERDICT_DENY;
		reason = sni_rc_reason(rc);
	}

	st->verdict = verdict;
	st->reason = reason;
	st->flags |= SNIGATE_SOCK_DECIDED;
	if (verdict == SNIGATE_VERDICT_ALLOW) {
		stat_add(SNIGATE_STAT_ALLOWED, 1);
		if (hello_ship(skb, st, rec, cookie))
			st->flags |= SNIGATE_SOCK_OVERFLOW;
	} else {
		stat_add(SNIGATE_STAT_DENIED, 1);
		stat_add(SNIGATE_STAT_DENY_BASE + (reason < SNIGATE_REASON__MAX ? reason : 0), 1);
	}
	hello_notify(st, rec, cookie);
	return SK_DROP;
}

/* Bytes redirected to the peer that its receiver has not acknowledged yet:
 * what waits in the peer's psock queue for a kworker (uncharged to any
 * socket) plus the peer's TCP write queue. Keeping this under half the peer's
 * send buffer also keeps the kworker from finding the peer unwritable, which
 * costs a full jiffy of delay each time.
 */
static __always_inline __u32 peer_unacked(struct snigate_sock *st)
{
	struct bpf_sock *peer;
	struct tcp_sock *tp;
	__u32 unacked = 0, una;

	peer = bpf_map_lookup_elem(&snigate_socks, &st->peer_cookie);
	if (!peer)
		return 0;
	tp = bpf_skc_to_tcp_sock(peer);
	if (tp) {
		una = tp->snd_una;
		if (!(st->flags & SNIGATE_SOCK_UNA0)) {
			st->peer_una0 = una;
			st->flags |= SNIGATE_SOCK_UNA0;
		}
		/* 32-bit sequence arithmetic: right while it is < 4 GiB */
		unacked = (__u32)st->redir_bytes - (una - st->peer_una0);
	}
	bpf_sk_release(peer);
	return unacked;
}

/* Pump verdict: redirect to the peer, ask for a pause when it falls behind. */
SEC("sk_skb")
int snigate_pump_verdict(struct __sk_buff *skb)
{
	struct snigate_sock *st = sock_state(skb);
	struct snigate_config *cfg;
	struct snigate_event *ev;
	__u32 zero = 0, len = skb->len, backlog;

	if (!st || !(st->flags & SNIGATE_SOCK_PAIRED))
		return len ? SK_PASS : SK_DROP;	/* torn down: user space is closing it */
	/* a zero-length skb is the FIN: everything before it has been through
	 * here. It must never be redirected: sending 0 bytes counts as a hard
	 * error and breaks the peer's psock.
	 */
	if (len == 0) {
		st->flags |= SNIGATE_SOCK_FIN;
		return SK_DROP;
	}

	backlog = peer_unacked(st);
	st->redir_bytes += len;
	stat_add(st->side == SNIGATE_SIDE_CLIENT ? SNIGATE_STAT_BYTES_UP : SNIGATE_STAT_BYTES_DOWN, len);

	cfg = bpf_map_lookup_elem(&snigate_config, &zero);
	if (cfg && backlog + len > cfg->backlog_high && !(st->flags & SNIGATE_SOCK_PAUSE)) {
		st->flags |= SNIGATE_SOCK_PAUSE;
		stat_add(SNIGATE_STAT_PAUSES, 1);
		ev = bpf_ringbuf_reserve(&snigate_events, sizeof(*ev), 0);
		if (ev) {
			ev->cookie = bpf_get_socket_cookie(skb);
			ev->backlog = backlog + len;
			bpf_ringbuf_submit(ev, 0);
		} else {
			st->flags &= ~SNIGATE_SOCK_PAUSE;	/* ring full: ask again next skb */
		}
	}
	return bpf_sk_redirect_hash(skb, &snigate_socks, &st->peer_cookie, 0);
}

/* Pause iterator (sockmap data path): takes every socket whose verdict
 * asked for a pause out of snigate_pump. It runs over the netns' TCP sockets with each socket locked,
 * so no receive path is inside the socket's verdict loop while its program is
 * detached: a delete from user space can race that loop, and the kernel drops
 * the rest of the skbs it was consuming (measured: lost bytes, stalled
 * streams). User space runs it when the ring buffer reports pause requests.
 */
SEC("iter/tcp")
int snigate_pause_iter(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct snigate_sock *st;
	__u64 cookie;

	if (!skc)
		return 0;
	cookie = bpf_get_socket_cookie(skc);
	st = bpf_map_lookup_elem(&snigate_sockst, &cookie);
	if (!st || !(st->flags & SNIGATE_SOCK_PAUSE) || (st->flags & SNIGATE_SOCK_PAUSED))
		return 0;
	if (bpf_map_delete_elem(&snigate_pump, &cookie) == 0)
		st->flags |= SNIGATE_SOCK_PAUSED;
	return 0;
}
