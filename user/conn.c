// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/conn.c - one connection from accept to close (states in conn.h).
 *
 * The hello phase is the kernel's: its verdict decides and ships the bytes
 * it consumed through the hello ring (proxy.c hands them to conn_append()).
 * Once the upstream is connected the client leaves the parser map, the
 * buffered bytes go upstream, and a data path takes over:
 *  - the splice relay (relay.c, the default): pages move in the kernel;
 *  - sockmap redirect (experimental, the rest of this file): BPF redirects
 *    every byte; user space pauses receivers BPF reports as backlogged,
 *    passes FIN on once every byte before it is in the peer's write queue
 *    (the kernel does not splice FIN) and passes RST on.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "addr.h"
#include "json.h"
#include "keepalive.h"
#include "log.h"
#include "main.h"
#include "mono.h"
#include "pattern.h"
#include "proxy_int.h"
#include "resolve.h"
#include "relay.h"
#include "tls_hello.h"
#include "upstream_guard.h"

#define HELLO_POLL_MS	200		/* look for a verdict without a wake-up after this */
#define PUBLISH_MS	1000		/* `snigate conns` byte counts: this fresh */

static const char *const shape_names[] = { "unknown", "one_segment", "segments", "records" };
static const char *const end_names[] = {
	[CONN_END_NONE] = "eof",
	[CONN_END_RESET] = "reset",
	[CONN_END_IDLE] = "idle",
	[CONN_END_KEEPALIVE] = "keepalive",
	[CONN_END_DRAIN] = "drain",
};

/* The log line's "end": how the connection finished. */
static const char *end_name(const struct conn *c)
{
	if (c->end == CONN_END_NONE && c->verdict != SNIGATE_VERDICT_ALLOW)
		return "refused";
	if (c->end == CONN_END_NONE && c->state != CONN_SPLICED)
		return "aborted";
	return end_names[c->end <= CONN_END_DRAIN ? c->end : 0];
}

/* What c->sni is until a name is known; never freed. */
static char no_sni[1];

/* The name, in a buffer of its own length: most are far shorter than the
 * 256 bytes a name may have, and every connection keeps one.
 */
static void conn_set_sni(struct conn *c, const char *name)
{
	char *s = strndup(name, SNIGATE_NAME_MAX - 1);

	if (!s)
		return;		/* keeps the previous one */
	if (c->sni != no_sni)
		free(c->sni);
	c->sni = s;
}

void conn_free(struct conn *c)
{
	if (c->sni != no_sni)
		free(c->sni);
	free(c);
}

static __u64 sock_cookie(int fd)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len);
	return cookie;
}

static void fill_addr(__u8 addr[16], __u16 *port, __u16 *family, const struct sockaddr_storage *ss)
{
	*family = ss->ss_family;
	*port = addr_port(ss);
	if (ss->ss_family == AF_INET6)
		memcpy(addr, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

static void fill_remote(struct snigate_sock *st, const struct sockaddr_storage *ss)
{
	fill_addr(st->raddr, &st->rport, &st->family, ss);
}

static int ep_set(struct proxy *p, int op, int fd, uint32_t events, struct conn_ref *ref)
{
	struct epoll_event ev = { .events = events, .data.ptr = ref };

	return epoll_ctl(p->epfd, op, fd, &ev);
}

/* Bound what one socket holds: the send buffer before connect/listen; the
 * receive buffer before it too on the splice path (inherited from the
 * listener, set before connect), once established on the sockmap path (the
 * window scale is chosen from the receive buffer at the handshake, and a
 * small scale (4) left its paused senders stuck on 16-byte windows). A locked
 * receive buffer keeps TCP's autotuning from raising the window past the
 * bound.
 */
void conn_set_sndbuf(struct proxy *p, int fd)
{
	int snd = p->sndbuf;

	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
}

void conn_set_rcvbuf(int fd, int bytes)
{
	int rcv = bytes;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/* Counters of fd's TCP send side, each up to a constant: bytes that ever
 * entered the write queue, and bytes the receiver acknowledged.
 */
static void send_counters(int fd, uint64_t *written, uint64_t *acked)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);
	int outq = 0;

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) || ioctl(fd, SIOCOUTQ, &outq)) {
		*written = *acked = 0;
		return;
	}
	*acked = ti.tcpi_bytes_acked;
	*written = ti.tcpi_bytes_acked + (uint64_t)outq;
}

static void log_conn(struct proxy *p, struct conn *c, uint64_t up, uint64_t down)
{
	char caddr[ADDR_STRLEN], uaddr[ADDR_STRLEN];
	const char *verdict = c->verdict == SNIGATE_VERDICT_ALLOW ? "allow" : "deny";
	uint64_t dur = mono_ms() - c->start_ms;
	struct timespec wall;
	struct jw w;

	(void)p;
	addr_format(&c->client, caddr);
	if (c->ufd >= 0 || c->upstream.ss_family)
		addr_format(&c->upstream, uaddr);
	else
		strcpy(uaddr, "-");
	clock_gettime(CLOCK_REALTIME, &wall);
	if (log_json) {
		jw_init(&w, stdout);
		jw_start_object(&w);
		jw_float_field(&w, "ts", wall.tv_sec + wall.tv_nsec / 1e9);
		jw_string_field(&w, "event", "close");
		jw_string_field(&w, "client", caddr);
		jw_string_field(&w, "sni", c->sni[0] ? c->sni : "-");
		jw_string_field(&w, "verdict", verdict);
		jw_string_field(&w, "reason", reason_name(c->reason));
		jw_string_field(&w, "upstream", uaddr);
		jw_uint_field(&w, "bytes_up", up);
		jw_uint_field(&w, "bytes_down", down);
		jw_uint_field(&w, "duration_ms", dur);
		jw_string_field(&w, "hello", shape_names[c->shape & 3]);
		jw_bool_field(&w, "ech", c->ech);
		jw_string_field(&w, "end", end_name(c));
		jw_end_object(&w);
		fputc('\n', stdout);
	} else {
		struct tm tm;
		char when[32];

		gmtime_r(&wall.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		printf("%s.%03ldZ client=%s sni=%s verdict=%s reason=%s upstream=%s bytes_up=%llu "
		       "bytes_down=%llu duration_ms=%llu hello=%s ech=%d end=%s\n",
		       when, wall.tv_nsec / 1000000, caddr, c->sni[0] ? c->sni : "-", verdict,
		       reason_name(c->reason), uaddr, (unsigned long long)up,
		       (unsigned long long)down, (unsigned long long)dur, shape_names[c->shape & 3],
		       c->ech, end_name(c));
	}
	/* stdout is flushed once per loop pass (proxy.c) */
}

static uint64_t redir_bytes(struct proxy *p, __u64 cookie)
{
	struct snigate_sock st;

	if (!cookie || bpf_map_lookup_elem(p->l.sockst_fd, &cookie, &st))
		return 0;
	return st.redir_bytes;
}

void conn_close(struct proxy *p, struct conn *c, bool reset)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };
	uint64_t up, down;
	int i;

	if (reset && c->state == CONN_SPLICED && c->end == CONN_END_NONE)
		c->end = CONN_END_RESET;
	if (c->state == CONN_SPLICED && c->end != CONN_END_NONE)
		p->closed[c->end]++;	/* into snigate_stats with the byte counts */
	up = c->dir[0].user_bytes + c->dir[0].spliced;
	down = c->dir[1].spliced;
	if (!c->relay) {	/* BPF counted what it redirected */
		up += redir_bytes(p, c->ccookie);
		down += redir_bytes(p, c->ucookie);
	}
	log_conn(p, c, up, down);
	/* what the log line says, counted here and written to the map by the
	 * proxy's tick (the sockmap path's BPF already counted its part)
	 */
	p->bytes_up += c->dir[0].user_bytes + c->dir[0].spliced;
	p->bytes_down += c->dir[1].spliced;

	if (c->ccookie) {
		proxy_forget(p, c->ccookie);
		proxy_hash_del(p, c->ccookie);
	}
	if (c->ucookie) {
		proxy_forget(p, c->ucookie);
		proxy_hash_del(p, c->ucookie);
	}
	if (reset) {
		setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
		if (c->ufd >= 0)
			setsockopt(c->ufd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	}
	for (i = 0; i < 2; i++)
		relay_release(&c->dir[i]);
	/* close() also takes the sockets out of every sockhash */
	close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	free(c->buf);
	c->buf = NULL;
	free(c->addrs);
	c->addrs = NULL;

	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->on_work) {
		struct conn **pp;

		for (pp = &p->work; *pp; pp = &(*pp)->wnext)
			if (*pp == c) {
				*pp = c->wnext;
				break;
			}
	}
	p->nconns--;
	if (p->all_conns)
		__atomic_sub_fetch(p->all_conns, 1, __ATOMIC_RELAXED);
	c->closed = true;
	c->wnext = p->dead;
	p->dead = c;
}

/* Refuse the client: drain what it sent (so close sends FIN, not RST), send
 * a fatal alert if it speaks TLS, close.
 */
static void conn_refuse(struct proxy *p, struct conn *c, enum snigate_reason reason, __u8 alert)
{
	char junk[4096];

	c->verdict = SNIGATE_VERDICT_DENY;
	c->reason = reason;
	while (recv(c->cfd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	if (reason != SNIGATE_REASON_NOT_TLS && reason != SNIGATE_REASON_TIMEOUT)
		tls_send_alert(c->cfd, alert);
	shutdown(c->cfd, SHUT_WR);
	conn_close(p, c, false);
}

int conn_accept(struct proxy *p, int fd, const struct sockaddr_storage *peer,
		const struct sockaddr_storage *listen_addr)
{
	struct snigate_sock st = {};
	socklen_t len = sizeof(struct sockaddr_storage);
	struct sockaddr_storage local;
	__u64 fd64 = fd;
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->cfd = fd;
	c->ufd = -1;
	c->sni = no_sni;
	c->dir[0].pipe[0] = c->dir[0].pipe[1] = -1;	/* no pipe until the relay starts */
	c->dir[1].pipe[0] = c->dir[1].pipe[1] = -1;
	c->client = *peer;
	c->start_ms = mono_ms();
	c->deadline_ms = c->start_ms + p->o->hello_timeout_ms;
	c->cref = (struct conn_ref){ c, 0 };
	c->uref = (struct conn_ref){ c, 1 };
	c->ccookie = sock_cookie(fd);
	if (p->o->data_path == DATA_PATH_SOCKMAP)
		conn_set_rcvbuf(fd, p->rcvbuf);	/* after the handshake: see above */

	/* where the client was going: the redirect's original destination,
	 * or with TPROXY the local address itself
	 */
	if (p->o->transparent) {
		getsockname(fd, (struct sockaddr *)&c->odst, &len);
		c->have_odst = true;
	} else {
		len = sizeof(c->odst);
		if (peer->ss_family == AF_INET6)
			c->have_odst = !getsockopt(fd, SOL_IPV6, 80 /* IP6T_SO_ORIGINAL_DST */,
						   &c->odst, &len);
		else
			c->have_odst = !getsockopt(fd, SOL_IP, 80 /* SO_ORIGINAL_DST */, &c->odst, &len);
		/* dialled us directly (no redirect): conntrack names our own
		 * address. Only a destination on our port can be that.
		 */
		if (c->have_odst && addr_port(&c->odst) == addr_port(listen_addr)) {
			len = sizeof(local);
			getsockname(fd, (struct sockaddr *)&local, &len);
			if (addr_equal(&c->odst, &local))
				c->have_odst = false;
		}
	}

	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	p->nconns++;
	if (p->all_conns)
		__atomic_add_fetch(p->all_conns, 1, __ATOMIC_RELAXED);
	proxy_hash_add(p, c, c->ccookie);

	st.side = SNIGATE_SIDE_CLIENT;
	st.start_ns = c->start_ns = mono_ns();
	fill_remote(&st, peer);
	/* state first: the parser and the verdict look it up */
	if (bpf_map_update_elem(p->l.sockst_fd, &c->ccookie, &st, BPF_ANY) ||
	    bpf_map_update_elem(p->l.hello_fd, &c->ccookie, &fd64, BPF_ANY)) {
		pr_warn("cannot add a client socket to the BPF maps: %s", strerror(errno));
		c->reason = SNIGATE_REASON_LIMIT;
		conn_close(p, c, true);
		return -ENOSPC;
	}
	/* bytes that arrived before the insert wait in the receive queue, and
	 * the parser runs only on the next data-ready call: make one now
	 */
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &(int){ 1 }, sizeof(int));
	if (ep_set(p, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, &c->cref)) {
		conn_close(p, c, true);
		return -errno;
	}
	return 0;
}

/* Bytes of the hello phase, shipped by the verdict through the ring, in
 * order: the hello and whatever the client sent before its upstream was
 * ready. Returns 0, or -1 past SNIGATE_HELLO_MAX.
 */
int conn_append(struct conn *c, const void *data, size_t len)
{
	if (c->buf_len + len > c->buf_cap) {
		size_t cap = c->buf_cap ? c->buf_cap : 2048;	/* most hellos fit */
		uint8_t *nb;

		while (cap < c->buf_len + len)
			cap *= 2;
		if (cap > SNIGATE_HELLO_MAX + SNIGATE_CHUNK)
			return -1;
		nb = realloc(c->buf, cap);
		if (!nb)
			return -1;
		c->buf = nb;
		c->buf_cap = cap;
	}
	memcpy(c->buf + c->buf_len, data, len);
	c->buf_len += len;
	return 0;
}

static void conn_dial_next(struct proxy *p, struct conn *c);

/* Refused by upstream_guard: logged with what and why, counted, alert. */
static void conn_guard_refuse(struct proxy *p, struct conn *c, enum snigate_reason reason,
			      const char *what)
{
	char caddr[ADDR_STRLEN];

	pr_info("refusing %s from %s: %s (%s)", c->sni, addr_format(&c->client, caddr), what,
		reason_name(reason));
	proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + reason);
	conn_refuse(p, c, reason, TLS_ALERT_ACCESS_DENIED);
}

/* The name's addresses are in c->addrs: keep the ones we may dial (sni), or
 * check that the client's destination is among them (origdst --verify-dns).
 */
static void conn_addrs_ready(struct proxy *p, struct conn *c)
{
	char a[ADDR_STRLEN], what[ADDR_STRLEN + 96];
	struct sockaddr_storage first;
	const char *why;

	if (p->o->upstream == UPSTREAM_ORIGDST) {
		if (!guard_addrs_include(c->addrs, &c->odst)) {
			snprintf(what, sizeof(what), "the name does not resolve to %s, where the client went",
				 addr_format(&c->odst, a));
			conn_guard_refuse(p, c, SNIGATE_REASON_DNS_MISMATCH, what);
			return;
		}
		c->addrs->n = 1;
		c->addrs->a[0] = c->odst;
	} else if (!guard_filter(p->o, c->addrs, &why, &first)) {
		snprintf(what, sizeof(what), "it resolves to %s, %s (--allow-upstream-net permits a block)",
			 addr_format(&first, a), why ? why : "nothing");
		conn_guard_refuse(p, c, SNIGATE_REASON_UPSTREAM_ADDR, what);
		return;
	}
	c->state = CONN_CONNECTING;
	conn_dial_next(p, c);
}

static void conn_start_upstream(struct proxy *p, struct conn *c)
{
	uint16_t port = c->have_odst ? addr_port(&c->odst) : 443;

	/* only while dialling: a connection's memory stays small */
	c->addrs = calloc(1, sizeof(*c->addrs));
	if (!c->addrs) {
		proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_LIMIT);
		conn_refuse(p, c, SNIGATE_REASON_LIMIT, TLS_ALERT_INTERNAL_ERROR);
		return;
	}
	if (p->o->upstream == UPSTREAM_ORIGDST) {
		if (!c->have_odst) {
			pr_info("no original destination for %s (not redirected?): refusing", c->sni);
			proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_UPSTREAM);
			conn_refuse(p, c, SNIGATE_REASON_UPSTREAM, TLS_ALERT_INTERNAL_ERROR);
			return;
		}
		if (!p->o->verify_dns) {
			c->addrs->n = 1;
			c->addrs->a[0] = c->odst;
			c->state = CONN_CONNECTING;
			conn_dial_next(p, c);
			return;
		}
	} else if (!p->o->allow_ip_sni && guard_name_is_ip(c->sni)) {
		conn_guard_refuse(p, c, SNIGATE_REASON_IP_SNI,
				  "the server name is an IP address (--allow-ip-sni permits it)");
		return;
	}
	if (resolve_cache_get(c->sni, port, mono_ms(), c->addrs)) {
		conn_addrs_ready(p, c);
		return;
	}
	c->state = CONN_RESOLVING;
	c->deadline_ms = mono_ms() + p->o->connect_timeout_ms;
	c->upstream_port = port;
	if (resolve_submit(c->ccookie, c->sni, port)) {
		conn_refuse(p, c, SNIGATE_REASON_UPSTREAM, TLS_ALERT_INTERNAL_ERROR);
		return;
	}
}

/* The kernel (or, for a hello over several records, the same parser here)
 * has decided: act on it.
 */
static void conn_on_verdict(struct proxy *p, struct conn *c, const struct snigate_sock *st)
{
	c->shape = st->shape;
	c->ech = st->ech;
	conn_set_sni(c, st->sni);

	if (st->flags & SNIGATE_SOCK_USER_PARSE) {
		struct policy_map_source src;
		struct tls_hello h;
		int rc;

		rc = tls_hello_reassemble(c->buf, c->buf_len, &h);
		if (rc == SNI_AGAIN && !c->client_eof) {
			c->user_parse = true;	/* the next ring chunk checks again */
			return;
		}
		if (rc == SNI_OK) {
			conn_set_sni(c, h.res.name);
			c->ech = h.res.ech;
			policy_map_source_init(&src, p->l.policy_fd);
			if (pattern_ech_refused(p->o->ech_deny, h.res.ech)) {
				c->verdict = SNIGATE_VERDICT_DENY;
				c->reason = SNIGATE_REASON_ECH;
			} else {
				c->verdict = pattern_decide(&src.src, h.res.name,
							    p->o->default_verdict, &c->reason);
			}
		} else {
			c->verdict = SNIGATE_VERDICT_DENY;
			c->reason = sni_rc_reason(rc == SNI_AGAIN ? SNI_BAD : rc);
		}
		proxy_stat_add(p, SNIGATE_STAT_HELLOS);
		proxy_stat_add(p, SNIGATE_STAT_SHAPE_RECORDS);
		if (c->verdict == SNIGATE_VERDICT_ALLOW) {
			proxy_stat_add(p, SNIGATE_STAT_ALLOWED);
		} else {
			proxy_stat_add(p, SNIGATE_STAT_DENIED);
			proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + c->reason);
		}
	} else {
		c->verdict = st->verdict;
		c->reason = st->reason;
	}

	if (c->verdict != SNIGATE_VERDICT_ALLOW) {
		conn_refuse(p, c, c->reason, TLS_ALERT_ACCESS_DENIED);
		return;
	}
	conn_start_upstream(p, c);
}

void conn_on_state(struct proxy *p, struct conn *c, const struct snigate_sock *st)
{
	if (c->state != CONN_HELLO)
		return;
	if (!(st->flags & SNIGATE_SOCK_DECIDED)) {
		if (c->client_eof) {
			c->reason = SNIGATE_REASON_MALFORMED;
			conn_close(p, c, false);
		}
		return;
	}
	if (st->flags & SNIGATE_SOCK_OVERFLOW) {
		proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_OVERSIZE);
		conn_refuse(p, c, SNIGATE_REASON_OVERSIZE, TLS_ALERT_ACCESS_DENIED);
		return;
	}
	conn_on_verdict(p, c, st);
}

void conn_check_verdict(struct proxy *p, struct conn *c)
{
	struct snigate_sock st;

	if (c->state == CONN_HELLO && bpf_map_lookup_elem(p->l.sockst_fd, &c->ccookie, &st) == 0)
		conn_on_state(p, c, &st);
}

static void conn_fail_upstream(struct proxy *p, struct conn *c, const char *why)
{
	pr_info("upstream for %s failed: %s", c->sni, why);
	proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_UPSTREAM);
	conn_refuse(p, c, SNIGATE_REASON_UPSTREAM, TLS_ALERT_INTERNAL_ERROR);
}

void conn_resolved(struct proxy *p, struct conn *c, int gai_err, struct addrinfo *ai)
{
	if (c->state != CONN_RESOLVING) {
		if (ai)
			freeaddrinfo(ai);
		return;
	}
	if (gai_err && p->o->upstream == UPSTREAM_ORIGDST) {
		char what[128];

		snprintf(what, sizeof(what), "--verify-dns: the name does not resolve (%s)",
			 gai_strerror(gai_err));
		conn_guard_refuse(p, c, SNIGATE_REASON_DNS_MISMATCH, what);
		return;
	}
	if (gai_err) {
		conn_fail_upstream(p, c, gai_strerror(gai_err));
		return;
	}
	resolve_addrs_from(ai, c->addrs);
	freeaddrinfo(ai);
	resolve_cache_put(c->sni, c->upstream_port, mono_ms(), c->addrs);
	conn_addrs_ready(p, c);
}

/* Connect to the next candidate address. */
static void conn_dial_next(struct proxy *p, struct conn *c)
{
	int fd;

	for (;;) {
		if (c->next_addr >= c->addrs->n) {
			conn_fail_upstream(p, c, c->dial_err ? strerror(c->dial_err) :
							       "no address answered");
			return;
		}
		c->upstream = c->addrs->a[c->next_addr++];
		fd = socket(c->upstream.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			c->dial_err = errno;
			continue;
		}
		conn_set_sndbuf(p, fd);
		if (p->o->data_path == DATA_PATH_SPLICE)
			conn_set_rcvbuf(fd, p->up_rcvbuf);	/* keepalive: the tick sets it */
		else
			keepalive_set(fd, p->o->keepalive_s);
		c->deadline_ms = mono_ms() + p->o->connect_timeout_ms;
		if (connect(fd, (struct sockaddr *)&c->upstream, addr_len(&c->upstream)) == 0 ||
		    errno == EINPROGRESS) {
			c->ufd = fd;
			/* data and EOF too: the relay then needs no epoll_ctl */
			if (ep_set(p, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				   &c->uref)) {
				conn_fail_upstream(p, c, strerror(errno));
				return;
			}
			return;
		}
		c->dial_err = errno;
		close(fd);
	}
}

/* The two directions of a connection about to join a data path. */
static void conn_init_dirs(struct conn *c)
{
	c->dir[0] = (struct conn_dir){ .src = c->cfd, .dst = c->ufd, .src_cookie = c->ccookie,
				       .user_bytes = c->buf_len, .eof = c->client_eof,
				       .src_hup = c->early_io & 1, .pipe = { -1, -1 } };
	c->dir[1] = (struct conn_dir){ .src = c->ufd, .dst = c->cfd, .src_cookie = c->ucookie,
				       .src_hup = c->early_io & 2, .pipe = { -1, -1 } };
}

/* The upstream socket's state entry: what `snigate conns` shows. */
static void conn_upstream_state(struct conn *c, struct snigate_sock *ust)
{
	memset(ust, 0, sizeof(*ust));
	ust->side = SNIGATE_SIDE_UPSTREAM;
	ust->peer_cookie = c->ccookie;
	ust->flags = SNIGATE_SOCK_PAIRED;
	ust->start_ns = mono_ns();
	fill_remote(ust, &c->upstream);
	strncpy(ust->sni, c->sni, sizeof(ust->sni) - 1);
}

/* Both sockets join the data path; BPF moves every byte from here on. */
static int conn_splice(struct proxy *p, struct conn *c)
{
	struct snigate_sock cst, ust;
	__u64 cfd = c->cfd, ufd = c->ufd;
	int one = 1, i;

	if (bpf_map_lookup_elem(p->l.sockst_fd, &c->ccookie, &cst))
		return -ENOENT;
	conn_upstream_state(c, &ust);
	cst.peer_cookie = c->ucookie;
	cst.flags |= SNIGATE_SOCK_PAIRED;
	fill_addr(cst.uaddr, &cst.uport, &cst.ufamily, &c->upstream);
	strncpy(cst.sni, c->sni, sizeof(cst.sni) - 1);

	conn_init_dirs(c);
	send_counters(c->ufd, &c->dir[0].dst_base, &c->dir[0].acked_base);
	send_counters(c->cfd, &c->dir[1].dst_base, &c->dir[1].acked_base);

	if (bpf_map_update_elem(p->l.sockst_fd, &c->ucookie, &ust, BPF_ANY) ||
	    bpf_map_update_elem(p->l.sockst_fd, &c->ccookie, &cst, BPF_ANY) ||
	    bpf_map_update_elem(p->l.socks_fd, &c->ucookie, &ufd, BPF_ANY) ||
	    bpf_map_update_elem(p->l.socks_fd, &c->ccookie, &cfd, BPF_ANY) ||
	    bpf_map_update_elem(p->l.pump_fd, &c->ucookie, &ufd, BPF_ANY) ||
	    bpf_map_update_elem(p->l.pump_fd, &c->ccookie, &cfd, BPF_ANY)) {
		int err = -errno;

		if (err != -EOPNOTSUPP)
			pr_warn("cannot add a connection to the data path: %s", strerror(-err));
		return err;
	}
	proxy_hash_add(p, c, c->ucookie);
	/* bytes that arrived before the insert wait in the receive queue: a
	 * SO_RCVLOWAT update runs the data-ready path, which now is BPF's
	 */
	for (i = 0; i < 2; i++)
		setsockopt(c->dir[i].src, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	c->state = CONN_SPLICED;
	c->deadline_ms = 0;
	ep_set(p, EPOLL_CTL_MOD, c->cfd, EPOLLRDHUP | EPOLLET, &c->cref);
	ep_set(p, EPOLL_CTL_MOD, c->ufd, EPOLLRDHUP | EPOLLET, &c->uref);
	if (c->client_eof)
		proxy_work_add(p, c);
	return 0;
}

/* A relayed connection's one state entry (the client's; BPF no longer
 * writes it): what `snigate conns` shows, written whole from what we know.
 */
static void conn_client_state(struct conn *c, struct snigate_sock *st)
{
	memset(st, 0, sizeof(*st));
	st->side = SNIGATE_SIDE_CLIENT;
	st->flags = SNIGATE_SOCK_DECIDED | SNIGATE_SOCK_PAIRED;
	st->verdict = c->verdict;
	st->reason = c->reason;
	st->shape = c->shape;
	st->ech = c->ech;
	st->hello_len = c->buf_len;
	st->start_ns = c->start_ns;
	st->redir_bytes = c->dir[0].user_bytes + c->dir[0].spliced;
	st->down_bytes = c->dir[1].spliced;
	fill_remote(st, &c->client);
	fill_addr(st->uaddr, &st->uport, &st->ufamily, &c->upstream);
	strncpy(st->sni, c->sni, sizeof(st->sni) - 1);
}

/* The splice relay takes over (the default data path). Both sockets are
 * already registered for what it waits on; bytes or EOF that came before
 * this point without an epoll edge are moved now.
 */
static int conn_relay(struct proxy *p, struct conn *c)
{
	struct snigate_sock cst;

	conn_init_dirs(c);
	conn_client_state(c, &cst);
	bpf_map_update_elem(p->l.sockst_fd, &c->ccookie, &cst, BPF_EXIST);
	c->relay = true;
	c->state = CONN_SPLICED;
	c->deadline_ms = 0;
	if (c->early_io || c->client_eof)
		relay_start(p, c, c->early_io | c->client_eof);
	return 0;
}

/* Publish the relay's byte counts for `snigate conns`: at most once a
 * second, and not for connections younger than that (most are short).
 */
void conn_publish_bytes(struct proxy *p, struct conn *c)
{
	uint64_t now, moved = c->dir[0].spliced + c->dir[1].spliced;
	struct snigate_sock st;

	if (moved == c->published_bytes)
		return;		/* idle: the tick calls this for every relayed connection */
	now = mono_ms();
	if (now < c->start_ms + PUBLISH_MS || now < c->published_ms + PUBLISH_MS)
		return;
	c->published_ms = now;
	c->published_bytes = moved;
	conn_client_state(c, &st);
	bpf_map_update_elem(p->l.sockst_fd, &c->ccookie, &st, BPF_EXIST);
}

/* Write the buffered hello upstream; splice when all of it is out. */
static void conn_handover(struct proxy *p, struct conn *c)
{
	ssize_t n;
	int err;

	while (c->buf_off < c->buf_len) {
		n = send(c->ufd, c->buf + c->buf_off, c->buf_len - c->buf_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				return;		/* EPOLLOUT brings us back */
			conn_fail_upstream(p, c, strerror(errno));
			return;
		}
		c->buf_off += n;
	}
	err = p->o->data_path == DATA_PATH_SPLICE ? conn_relay(p, c) : conn_splice(p, c);
	if (err) {
		/* a socket that is no longer ESTABLISHED cannot join a sockmap */
		c->reason = err == -EOPNOTSUPP ? SNIGATE_REASON_ABORTED : SNIGATE_REASON_LIMIT;
		conn_close(p, c, true);
		return;
	}
	free(c->buf);
	c->buf = NULL;
	c->buf_cap = 0;
	p->heap_freed = true;
}

static void conn_leave_hello(struct proxy *p, struct conn *c);

static void conn_on_connected(struct proxy *p, struct conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* a failed connect always reports EPOLLERR */
	if (events & (EPOLLERR | EPOLLHUP))
		getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err) {
		char a[ADDR_STRLEN];

		pr_debug("connect %s: %s", addr_format(&c->upstream, a), strerror(err));
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->ufd, NULL);
		close(c->ufd);
		c->ufd = -1;
		c->dial_err = err;
		conn_dial_next(p, c);
		return;
	}
	free(c->addrs);
	c->addrs = NULL;
	if (p->o->data_path == DATA_PATH_SOCKMAP) {
		c->ucookie = sock_cookie(c->ufd);	/* its own sockmap and state entries */
		conn_set_rcvbuf(c->ufd, p->rcvbuf);
	}
	conn_leave_hello(p, c);
}

/* How many bytes the kernel consumed from fd: received minus still queued
 * (FIN counts as one received byte, never as a queued one). *inq: queued.
 */
static int64_t consumed_bytes(int fd, bool eof, int *inq)
{
	struct tcp_info ti = {};
	socklen_t len = sizeof(ti);

	*inq = 0;
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) || ioctl(fd, SIOCINQ, inq))
		return -1;
	return (int64_t)ti.tcpi_bytes_received - *inq - (eof ? 1 : 0);
}

/* The client leaves the hello parser; the data path reads the socket from
 * here on. A map delete can race a parser round that is consuming bytes on
 * another CPU: those the kernel then drops, unshipped. So: delete, take the
 * socket lock once (any setsockopt does) so no round is left running, and
 * check that every byte the kernel consumed came through the ring. A loss
 * (a client writing exactly then) resets the connection instead of
 * corrupting it.
 */
static void conn_leave_hello(struct proxy *p, struct conn *c)
{
	struct snigate_sock st;
	int64_t consumed;
	int inq, tries;

	bpf_map_delete_elem(p->l.hello_fd, &c->ccookie);
	for (tries = 0;; tries++) {
		setsockopt(c->cfd, SOL_SOCKET, SO_RCVLOWAT, &(int){ 1 }, sizeof(int));
		ring_buffer__consume(p->l.events);	/* every chunk shipped so far */
		if (c->closed)
			return;
		consumed = consumed_bytes(c->cfd, c->client_eof, &inq);
		/* fewer consumed than shipped: a round on another CPU has
		 * shipped its bytes but not yet moved the socket's read
		 * pointer; it finishes within microseconds
		 */
		if (consumed < 0 || consumed >= (int64_t)c->buf_len || tries == 3)
			break;
		sched_yield();
	}
	if (consumed != (int64_t)c->buf_len && !(c->client_eof && consumed == (int64_t)c->buf_len + 1)) {
		/* a chunk that did not fit the ring, or one the kernel dropped */
		if (bpf_map_lookup_elem(p->l.sockst_fd, &c->ccookie, &st) == 0 &&
		    (st.flags & SNIGATE_SOCK_OVERFLOW)) {
			c->reason = SNIGATE_REASON_OVERSIZE;
			proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_OVERSIZE);
		} else {
			pr_info("%s: %lld bytes consumed in the kernel, %zu reached the daemon: resetting",
				c->sni, (long long)consumed, c->buf_len);
			c->reason = SNIGATE_REASON_ABORTED;
		}
		conn_close(p, c, true);
		return;
	}
	/* bytes that came after the delete are announced by epoll, but those
	 * queued while the parser let go of the socket may not be
	 */
	if (inq > 0)
		c->early_io |= 1;
	c->state = CONN_HANDOVER;
	conn_handover(p, c);
}

/* What each socket of a spliced connection waits for: always EOF and
 * errors; write space too while it is the destination of a paused direction
 * (that is when the paused receiver may resume).
 */
static void conn_update_events(struct proxy *p, struct conn *c)
{
	uint32_t base = EPOLLRDHUP | EPOLLET;

	ep_set(p, EPOLL_CTL_MOD, c->cfd,
	       base | (c->dir[1].paused ? EPOLLOUT : 0) | (c->dir[0].splicing ? EPOLLIN : 0),
	       &c->cref);
	ep_set(p, EPOLL_CTL_MOD, c->ufd,
	       base | (c->dir[0].paused ? EPOLLOUT : 0) | (c->dir[1].splicing ? EPOLLIN : 0),
	       &c->uref);
}

void conn_pause_request(struct proxy *p, struct conn *c, __u64 cookie)
{
	struct conn_dir *d = cookie == c->ccookie ? &c->dir[0] : &c->dir[1];

	if (c->state != CONN_SPLICED || d->paused || d->shut)
		return;
	d->pause_req = true;
	proxy_work_add(p, c);
}

struct dir_counts {
	int64_t unacked;	/* redirected, not yet acked by dst's receiver */
	int64_t queued;		/* redirected, not yet in dst's write queue */
};

static void dir_count(struct proxy *p, struct conn_dir *d, struct snigate_sock *st,
		      struct dir_counts *n)
{
	uint64_t written, acked;

	if (bpf_map_lookup_elem(p->l.sockst_fd, &d->src_cookie, st)) {
		memset(st, 0, sizeof(*st));
		memset(n, 0, sizeof(*n));
		return;
	}
	send_counters(d->dst, &written, &acked);
	n->unacked = (int64_t)st->redir_bytes - (int64_t)(acked - d->acked_base);
	n->queued = (int64_t)st->redir_bytes - (int64_t)(written - d->dst_base);
}

/* Back into the pump. A socket that has sent its FIN (the other direction
 * closed meanwhile) is past ESTABLISHED and a sockmap refuses it: that
 * direction goes on by splice().
 */
static void dir_resume(struct proxy *p, struct conn *c, struct conn_dir *d,
		       struct snigate_sock *st)
{
	__u64 fd = d->src;
	int one = 1;

	st->flags &= ~(SNIGATE_SOCK_PAUSE | SNIGATE_SOCK_PAUSED);
	bpf_map_update_elem(p->l.sockst_fd, &d->src_cookie, st, BPF_EXIST);
	if (bpf_map_update_elem(p->l.pump_fd, &d->src_cookie, &fd, BPF_ANY) == 0) {
		d->paused = false;
		conn_update_events(p, c);
		/* what queued up while paused waits for a data-ready call */
		setsockopt(d->src, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	} else {
		pr_debug("resume %s: %s: splicing the rest", c->sni, strerror(errno));
		d->splicing = true;
		conn_update_events(p, c);
	}
}

enum drain_rc { DRAIN_DONE, DRAIN_WAIT, DRAIN_FAIL };

/* A paused src that cannot go back into the pump (it got or sent FIN: past
 * ESTABLISHED, a sockmap refuses it): its bytes go to dst by splice() (pages
 * move in the kernel; no copy through this process), and only once
 * everything redirected before is in dst's write queue, so nothing is
 * reordered. DONE at src's EOF.
 */
static enum drain_rc dir_splice(struct conn_dir *d)
{
	ssize_t n;

	if (d->pipe[0] < 0 && pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC))
		return DRAIN_FAIL;
	for (;;) {
		if (d->in_pipe == 0) {
			n = splice(d->src, NULL, d->pipe[1], NULL, 1 << 20,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n == 0)
				return DRAIN_DONE;
			if (n < 0)
				return errno == EAGAIN ? DRAIN_WAIT : DRAIN_FAIL;
			d->in_pipe = n;
		}
		n = splice(d->pipe[0], NULL, d->dst, NULL, d->in_pipe,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN ? DRAIN_WAIT : DRAIN_FAIL;
		d->in_pipe -= n;
		d->spliced += n;
	}
}

bool conn_work(struct proxy *p, struct conn *c)
{
	int64_t low = p->o->conn_mem / 20;	/* half of backlog_high */
	struct snigate_sock st;
	struct dir_counts n;
	bool busy = false;
	int i;

	if (c->state != CONN_SPLICED)
		return false;
	for (i = 0; i < 2; i++) {
		struct conn_dir *d = &c->dir[i];

		if (d->shut)
			continue;
		dir_count(p, d, &st, &n);
		pr_debug("dir %d: unacked %lld queued %lld paused %d eof %d flags %x", i,
			 (long long)n.unacked, (long long)n.queued, d->paused, d->eof, st.flags);
		if (d->pause_req) {
			/* the iterator ran since the request: did it take src out? */
			d->pause_req = false;
			if (st.flags & SNIGATE_SOCK_PAUSED) {
				d->paused = true;
				conn_update_events(p, c);
			}
		}
		if (d->paused && (d->eof || d->splicing)) {
			enum drain_rc rc = DRAIN_WAIT;

			if (n.queued <= 0)
				rc = dir_splice(d);
			if (rc == DRAIN_FAIL) {
				conn_close(p, c, true);
				return false;
			}
			if (rc == DRAIN_WAIT) {
				busy = true;
				continue;
			}
			shutdown(d->dst, SHUT_WR);
			d->shut = true;
			continue;
		}
		if (d->paused) {
			if (n.unacked <= low)
				dir_resume(p, c, d, &st);
			busy = true;
			continue;
		}
		if (!d->eof)
			continue;
		/* FIN passes once every byte before it has entered dst's write
		 * queue: the verdict has seen the FIN (all data consumed) and
		 * nothing redirected is still waiting for the kworker
		 */
		if (n.queued > 0 || (!(st.flags & SNIGATE_SOCK_FIN) && !(i == 0 && c->client_eof))) {
			busy = true;
			continue;
		}
		shutdown(d->dst, SHUT_WR);
		d->shut = true;
	}
	if (c->dir[0].shut && c->dir[1].shut) {
		conn_close(p, c, false);
		return false;
	}
	return busy;
}

static void conn_on_spliced_event(struct proxy *p, struct conn *c, int which, uint32_t events)
{
	struct conn_dir *d = &c->dir[which];
	int fd = which ? c->ufd : c->cfd, err = 0;
	socklen_t len = sizeof(err);

	if (events & (EPOLLERR | EPOLLHUP)) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			/* RST or a dead peer: pass the reset on */
			conn_note_error(c, err);
			conn_close(p, c, true);
			return;
		}
	}
	if (events & (EPOLLRDHUP | EPOLLHUP)) {
		d->eof = true;
		proxy_work_add(p, c);
	}
	/* write space for a paused direction, or data for a spliced one */
	if ((events & (EPOLLOUT | EPOLLIN)) && (c->dir[0].paused || c->dir[1].paused) &&
	    conn_work(p, c))
		proxy_work_add(p, c);
}

void conn_event(struct proxy *p, struct conn_ref *ref, uint32_t events)
{
	struct conn *c = ref->conn;

	if (c->closed)
		return;
	/* before the data path: bytes come through the ring, the socket only
	 * tells about EOF and errors
	 */
	if (c->state != CONN_SPLICED && c->state != CONN_HANDOVER && ref->which == 0) {
		if (events & EPOLLERR) {
			c->reason = c->state == CONN_HELLO ? SNIGATE_REASON_MALFORMED :
							    SNIGATE_REASON_ABORTED;
			conn_close(p, c, true);
			return;
		}
		if (events & (EPOLLRDHUP | EPOLLHUP)) {
			c->client_eof = true;
			conn_check_verdict(p, c);
		}
		return;
	}
	switch (c->state) {
	case CONN_HELLO:
	case CONN_RESOLVING:
		break;
	case CONN_CONNECTING:
		if (events & (EPOLLIN | EPOLLRDHUP))
			c->early_io |= 1u << ref->which;	/* the relay looks when it starts */
		if (ref->which == 1 && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			conn_on_connected(p, c, events);
		break;
	case CONN_HANDOVER:
		if (events & (EPOLLIN | EPOLLRDHUP))
			c->early_io |= 1u << ref->which;
		if (ref->which == 1 && (events & EPOLLOUT))
			conn_handover(p, c);
		else if (events & EPOLLERR)
			conn_close(p, c, true);
		break;
	case CONN_SPLICED:
		if (c->relay)
			relay_event(p, c, ref->which, events);
		else
			conn_on_spliced_event(p, c, ref->which, events);
		break;
	}
}

void conn_note_error(struct conn *c, int err)
{
	if (c->end == CONN_END_NONE)
		c->end = err == ETIMEDOUT ? CONN_END_KEEPALIVE : CONN_END_RESET;
}

/* --idle-timeout: from the relay's byte counters, on the deadline tick (no
 * clock read or system call per byte). Returns true when c was closed.
 */
static bool conn_idle_check(struct proxy *p, struct conn *c, uint64_t now)
{
	uint64_t moved = c->dir[0].spliced + c->dir[1].spliced;

	if (!c->idle_since_ms || moved != c->idle_bytes) {
		c->idle_bytes = moved;
		c->idle_since_ms = now;
		return false;
	}
	if (now - c->idle_since_ms < (uint64_t)p->o->idle_timeout_ms)
		return false;
	c->end = CONN_END_IDLE;
	conn_close(p, c, false);
	return true;
}

void conn_check_deadline(struct proxy *p, struct conn *c, uint64_t now)
{
	if (c->relay) {
		if (p->o->idle_timeout_ms && conn_idle_check(p, c, now))
			return;
		/* keepalive on the upstream costs four system calls, and most
		 * connections end long before it could matter: only for those
		 * that live a second
		 */
		if (!c->upstream_ka && now >= c->start_ms + PUBLISH_MS) {
			keepalive_set(c->ufd, p->o->keepalive_s);
			c->upstream_ka = true;
		}
		conn_publish_bytes(p, c);	/* idle ones too */
		return;
	}
	/* a verdict whose wake-up got lost (seen about once in a thousand
	 * hellos on 6.18): look for it, not only for the timeout
	 */
	if (c->state == CONN_HELLO && now - c->start_ms >= HELLO_POLL_MS) {
		conn_check_verdict(p, c);
		if (c->closed || c->state != CONN_HELLO)
			return;
	}
	if (!c->deadline_ms || now < c->deadline_ms)
		return;
	if (c->state == CONN_HELLO) {
		proxy_stat_add(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_TIMEOUT);
		conn_refuse(p, c, SNIGATE_REASON_TIMEOUT, 0);
	} else {
		conn_fail_upstream(p, c, "connect timeout");
	}
}
