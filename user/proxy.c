// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/proxy.c - the daemon: BPF side up, listeners, one epoll loop over
 * sockets, BPF pause requests, resolver answers, signals and a timer.
 */
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "addr.h"
#include "admit.h"
#include "keepalive.h"
#include "log.h"
#include "mono.h"
#include "percpu.h"
#include "pin.h"
#include "policy.h"
#include "proxy_int.h"
#include "resolve.h"

#define RESOLVER_THREADS 4
#define SLOW_TICK_MS	100	/* deadlines */
#define FAST_TICK_US	500	/* paused / draining connections */

/* epoll cookies of the non-connection fds */
static struct conn_ref ref_timer, ref_signal, ref_resolve, ref_events;

static inline size_t hash_slot(__u64 cookie)
{
	return (cookie * 0x9e3779b97f4a7c15ULL) >> 50;	/* top 14 bits: CONN_HASH_SIZE */
}

/* A connection is filed under each of its two cookies; the chain link
 * belongs to the client cookie, so the upstream cookie has its own node.
 */
struct cookie_node {
	struct cookie_node *next;
	__u64 cookie;
	struct conn *c;
};

static struct cookie_node *cookie_hash[CONN_HASH_SIZE];

void proxy_hash_add(struct proxy *p, struct conn *c, __u64 cookie)
{
	struct cookie_node *n = malloc(sizeof(*n));
	size_t s = hash_slot(cookie);

	(void)p;
	if (!n)
		return;
	n->cookie = cookie;
	n->c = c;
	n->next = cookie_hash[s];
	cookie_hash[s] = n;
}

void proxy_hash_del(struct proxy *p, __u64 cookie)
{
	struct cookie_node **pp, *n;

	(void)p;
	for (pp = &cookie_hash[hash_slot(cookie)]; (n = *pp); pp = &n->next) {
		if (n->cookie == cookie) {
			*pp = n->next;
			free(n);
			return;
		}
	}
}

struct conn *proxy_hash_find(struct proxy *p, __u64 cookie)
{
	struct cookie_node *n;

	(void)p;
	for (n = cookie_hash[hash_slot(cookie)]; n; n = n->next)
		if (n->cookie == cookie)
			return n->c;
	return NULL;
}

static void set_tick(struct proxy *p, bool fast)
{
	struct itimerspec its = {};

	if (fast) {
		its.it_interval.tv_nsec = FAST_TICK_US * 1000;
	} else {
		its.it_interval.tv_nsec = SLOW_TICK_MS * 1000000L;
	}
	its.it_value = its.it_interval;
	timerfd_settime(p->timerfd, 0, &its, NULL);
	p->fast_tick = fast;
}

void proxy_work_add(struct proxy *p, struct conn *c)
{
	if (c->on_work)
		return;
	c->on_work = true;
	c->wnext = p->work;
	p->work = c;
	if (!p->fast_tick)
		set_tick(p, true);
}

/* Add to a per-CPU counter from user space (hellos finished here, timeouts,
 * bytes the splice relay moved). A read and a write of every CPU's value:
 * with --workers, under the pin directory's lock, or two workers' adds
 * between them would lose one.
 */
void proxy_stat_add_n(struct proxy *p, enum snigate_stat idx, __u64 n)
{
	int lock = p->o->workers > 1 ? pin_lock() : -1;

	percpu_add(p->l.stats_fd, idx, n);
	if (lock >= 0)
		close(lock);
}

static void run_work(struct proxy *p);

/* Once per event batch, when pauses were asked for (sockmap data path): the
 * socket iterator takes those receivers out of snigate_pump.
 */
static void run_iterator(struct proxy *p)
{
	int rc;

	if (!p->pause_pending)
		return;
	rc = loader_run_iter(&p->l);
	if (rc)
		pr_warn("socket iterator: %s", strerror(-rc));
	p->pause_pending = false;
	run_work(p);
}

static void run_work(struct proxy *p)
{
	struct conn *list = p->work, *c, *next;

	p->work = NULL;
	for (c = list; c; c = next) {
		next = c->wnext;
		c->on_work = false;
		if (conn_work(p, c))	/* may close c */
			proxy_work_add(p, c);
	}
	if (!p->work && p->fast_tick)
		set_tick(p, false);
}

/* Relayed bytes and closes into snigate_stats (two system calls each: batched). */
static void flush_byte_stats(struct proxy *p)
{
	static const enum snigate_stat closed_stat[] = {
		[CONN_END_RESET] = SNIGATE_STAT_CLOSED_RESET,
		[CONN_END_IDLE] = SNIGATE_STAT_CLOSED_IDLE,
		[CONN_END_KEEPALIVE] = SNIGATE_STAT_CLOSED_IDLE,	/* a dead peer: idle too */
		[CONN_END_DRAIN] = SNIGATE_STAT_CLOSED_DRAIN,
	};
	int i;

	if (p->bytes_up)
		proxy_stat_add_n(p, SNIGATE_STAT_BYTES_UP, p->bytes_up);
	if (p->bytes_down)
		proxy_stat_add_n(p, SNIGATE_STAT_BYTES_DOWN, p->bytes_down);
	p->bytes_up = p->bytes_down = 0;
	for (i = CONN_END_RESET; i <= CONN_END_DRAIN; i++) {
		if (p->closed[i])
			proxy_stat_add_n(p, closed_stat[i], p->closed[i]);
		p->closed[i] = 0;
	}
}

static void check_deadlines(struct proxy *p)
{
	uint64_t now = mono_ms();
	struct conn *c, *next;

	flush_byte_stats(p);
	/* hello buffers and connections freed since the last tick leave holes
	 * between live connections that malloc keeps; give their pages back
	 * (measured: 1000 connections opened at once, then idle: RSS 5.1 MB
	 * before, 4.1 after)
	 */
	if (p->heap_freed) {
		malloc_trim(0);
		p->heap_freed = false;
	}
	admit_tick(p);
	for (c = p->conns; c; c = next) {
		next = c->next;
		conn_check_deadline(p, c, now);
	}
}

/* Hello-phase bytes and verdict notices from the hello verdict. */
static int on_hello_record(void *ctx, void *data, size_t size)
{
	const struct snigate_hello_rec *rec = data;
	const size_t hdr = offsetof(struct snigate_hello_rec, data);
	struct proxy *p = ctx;
	struct conn *c;

	if (size < hdr || rec->len > size - hdr)
		return 0;
	c = proxy_hash_find(p, rec->cookie);
	if (!c || c->closed)
		return 0;
	if (rec->type == SNIGATE_REC_DATA) {
		if (rec->len > SNIGATE_CHUNK || conn_append(c, rec->data, rec->len)) {
			c->reason = SNIGATE_REASON_OVERSIZE;
			conn_close(p, c, true);
			return 0;
		}
		if (c->state == CONN_HELLO && c->user_parse)
			conn_check_verdict(p, c);	/* more records of a split hello */
	} else if (rec->type == SNIGATE_REC_VERDICT) {
		struct snigate_sock st;

		if (rec->len == sizeof(st)) {
			memcpy(&st, rec->data, sizeof(st));
			conn_on_state(p, c, &st);
		} else {
			conn_check_verdict(p, c);
		}
	}
	return 0;
}

static int on_pause_event(void *ctx, void *data, size_t size)
{
	struct proxy *p = ctx;
	const struct snigate_event *ev = data;
	struct conn *c;

	if (size < sizeof(*ev))
		return 0;
	c = proxy_hash_find(p, ev->cookie);
	if (c) {
		conn_pause_request(p, c, ev->cookie);
		p->pause_pending = true;
	}
	return 0;
}

static void on_resolved(struct proxy *p)
{
	struct resolve_result r;
	struct conn *c;

	while (resolve_take(&r)) {
		c = proxy_hash_find(p, r.id);
		if (c)
			conn_resolved(p, c, r.gai_err, r.ai);
		else if (r.ai)
			freeaddrinfo(r.ai);
	}
}

void proxy_forget(struct proxy *p, __u64 cookie)
{
	if (p->nstale == STALE_BATCH)
		proxy_flush(p);
	p->stale[p->nstale++] = cookie;
}

/* What the loop pass left for later: the log lines, and the state entries
 * of closed connections, in one batch.
 */
void proxy_flush(struct proxy *p)
{
	__u32 n = p->nstale;
	int i;

	fflush(stdout);
	if (!n)
		return;
	if (bpf_map_delete_batch(p->l.sockst_fd, p->stale, &n, NULL) && errno != ENOENT)
		for (i = 0; i < p->nstale; i++)
			bpf_map_delete_elem(p->l.sockst_fd, &p->stale[i]);
	p->nstale = 0;
}

static int reload_policy(struct proxy *p)
{
	return loader_swap_policy_file(&p->l, p->o->allow_file);
}

static int open_listener(struct proxy *p, const struct sockaddr_storage *ss)
{
	char a[ADDR_STRLEN];
	int one = 1, fd;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* --workers: each has its own listener; the kernel spreads connections */
	if (p->o->workers > 1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* accepted sockets inherit the buffer sizes and keepalive (the sockmap path sets
	 * the receive side after the handshake: see setup())
	 */
	conn_set_sndbuf(p, fd);
	if (p->o->data_path == DATA_PATH_SPLICE)
		conn_set_rcvbuf(fd, p->rcvbuf);
	keepalive_set(fd, p->o->keepalive_s);
	if (p->o->transparent &&
	    setsockopt(fd, ss->ss_family == AF_INET6 ? SOL_IPV6 : SOL_IP,
		       ss->ss_family == AF_INET6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one,
		       sizeof(one))) {
		pr_warn("cannot set IP_TRANSPARENT on %s: %s (needs CAP_NET_ADMIN)",
			addr_format(ss, a), strerror(errno));
		close(fd);
		return -EPERM;
	}
	if (bind(fd, (const struct sockaddr *)ss, addr_len(ss)) || listen(fd, 4096)) {
		int err = -errno;

		pr_warn("cannot listen on %s: %s", addr_format(ss, a), strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

static int setup(struct proxy *p)
{
	struct snigate_config cfg = {
		.default_verdict = p->o->default_verdict,
		.backlog_high = p->o->conn_mem / 20,
		.ech_deny = p->o->ech_deny,
	};
	char a[ADDR_STRLEN];
	sigset_t mask;
	int i, fd, err;

	/* per socket (setsockopt's values are doubled): receive buffer 1/16
	 * of the bound, send buffer 1/8. sockmap path: bytes redirected and not
	 * yet acked stay under 1/20, under half the send buffer, or the psock
	 * kworker stalls a jiffy on an unwritable socket.
	 * The upstream's receive buffer (splice path) is 1/8: downloads cross
	 * the long, wide path there, and its window is what a far server gets
	 * (~0.6 MiB at the default bound: ~12 MB/s per connection at 50 ms RTT);
	 * measured here, a larger one is no faster on a LAN and uses more cache
	 */
	p->rcvbuf = p->o->conn_mem / 32;
	p->up_rcvbuf = p->o->conn_mem / 16;
	p->sndbuf = p->o->conn_mem / 16;
	/* splice relay: a pipe per direction. Worst case per connection, both
	 * directions full: (1/8 + 1/8 + 1/8) down + (1/16 + 1/8 + 1/8) up =
	 * 11/16 of the bound, which leaves room for skb overhead (truesize)
	 */
	p->pipe_size = p->o->conn_mem / 8;

	err = admit_init(p);
	if (err)
		return err;
	err = loader_open(&p->l, &cfg, p->worker > 0);
	if (err)
		return err;
	if (p->o->allow_file && p->worker == 0) {
		err = reload_policy(p);
		if (err)
			return err;
	}

	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	p->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	p->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	p->resolvefd = resolve_init(RESOLVER_THREADS);
	if (p->epfd < 0 || p->timerfd < 0 || p->sigfd < 0 || p->resolvefd < 0) {
		pr_warn("cannot set up the event loop: %s", strerror(errno));
		return -EIO;
	}
	p->l.events = ring_buffer__new(p->l.events_fd, on_pause_event, p, NULL);
	if (!p->l.events || ring_buffer__add(p->l.events, p->l.hellorb_fd, on_hello_record, p)) {
		pr_warn("cannot open the event ring buffer: %s", strerror(errno));
		return -EIO;
	}

	struct {
		int fd;
		struct conn_ref *ref;
	} fixed[] = {
		{ p->timerfd, &ref_timer },
		{ p->sigfd, &ref_signal },
		{ p->resolvefd, &ref_resolve },
		{ ring_buffer__epoll_fd(p->l.events), &ref_events },
	};
	for (i = 0; i < (int)(sizeof(fixed) / sizeof(fixed[0])); i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = fixed[i].ref };

		epoll_ctl(p->epfd, EPOLL_CTL_ADD, fixed[i].fd, &ev);
	}
	for (i = 0; i < p->o->nlisten; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &p->listen_ref[i] };

		fd = open_listener(p, &p->o->listen[i]);
		if (fd < 0)
			return fd;
		p->listen_fd[i] = fd;
		p->listen_ref[i].which = i;
		epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
		pr_info("%slistening on %s%s, upstream by %s, default %s", p->worker_tag,
			addr_format(&p->o->listen[i], a),
			p->o->transparent ? " (transparent)" : "",
			p->o->upstream == UPSTREAM_SNI ? "sni" : "origdst",
			p->o->default_verdict == SNIGATE_VERDICT_ALLOW ? "allow" : "deny");
	}
	set_tick(p, false);
	pr_info("BPF loaded: hello parser+verdict on snigate_hello%s; maps pinned in %s",
		p->o->data_path == DATA_PATH_SOCKMAP ? ", pump verdict on snigate_pump" : "", pin_dir);
	pr_info("data path: %s", p->o->data_path == DATA_PATH_SOCKMAP ?
		"sockmap redirect (experimental: see README, 'Data path')" : "splice relay");
	return 0;
}

static void free_dead(struct proxy *p)
{
	struct conn *c;

	while ((c = p->dead)) {
		p->dead = c->wnext;
		conn_free(c);
		p->heap_freed = true;
	}
}

static void teardown(struct proxy *p)
{
	int i;

	while (p->conns) {
		if (p->conns->end == CONN_END_NONE)
			p->conns->end = CONN_END_DRAIN;	/* closed by the stop */
		conn_close(p, p->conns, false);
	}
	proxy_flush(p);
	flush_byte_stats(p);
	free_dead(p);
	for (i = 0; i < p->o->nlisten; i++)
		if (p->listen_fd[i] > 0)
			close(p->listen_fd[i]);
	admit_fini(p);
	if (p->l.events)
		ring_buffer__free(p->l.events);
	if (p->resolvefd > 0)
		resolve_fini();
	loader_close(&p->l);
}

/* SIGTERM with live connections: no new ones (the listeners close, so a
 * new daemon can bind at once), the live ones may finish until
 * --drain-timeout. Another signal stops at once.
 */
static void drain_start(struct proxy *p)
{
	int i;

	for (i = 0; i < p->o->nlisten; i++) {
		if (p->listen_fd[i] <= 0)
			continue;
		epoll_ctl(p->epfd, EPOLL_CTL_DEL, p->listen_fd[i], NULL);
		close(p->listen_fd[i]);
		p->listen_fd[i] = -1;
	}
	p->draining = true;
	p->drain_deadline_ms = mono_ms() + p->o->drain_timeout_ms;
	pr_info("stopping: listeners closed; %d connection%s may finish within %.1f s "
		"(--drain-timeout; another signal closes them now)",
		p->nconns, p->nconns == 1 ? "" : "s", p->o->drain_timeout_ms / 1000.0);
}

/* Returns true when the drain is over: nothing left, or the deadline. */
static bool drain_done(struct proxy *p)
{
	int n = p->nconns;

	if (!n)
		return true;
	if (mono_ms() < p->drain_deadline_ms)
		return false;
	while (p->conns) {
		p->conns->end = CONN_END_DRAIN;
		conn_close(p, p->conns, false);
	}
	pr_info("drain timeout: closed %d connection%s still open", n, n == 1 ? "" : "s");
	return true;
}

int proxy_run(const struct proxy_opts *o)
{
	return o->workers > 1 ? workers_run(o) : proxy_worker(o, 0, -1, NULL);
}

int proxy_worker(const struct proxy_opts *o, int index, int ready_fd, int *all_conns)
{
	struct epoll_event evs[256];
	struct proxy *p;
	bool stop = false;
	int n, i, err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->o = o;
	p->worker = index;
	p->all_conns = all_conns;
	if (o->workers > 1)
		snprintf(p->worker_tag, sizeof(p->worker_tag), "worker %d/%d: ", index + 1, o->workers);
	p->reserve_fd = -1;
	p->busy.max_ns = (uint64_t)o->busy_poll_us * 1000;
	err = setup(p);
	if (err)
		goto out;
	malloc_trim(0);	/* what loading the BPF object freed goes back */
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) != 1)
			pr_debug("ready pipe: %s", strerror(errno));
		close(ready_fd);
	}

	/* connection log lines go out once per loop pass, not one write each;
	 * with workers a line at a time, so lines of two workers never mix
	 */
	if (o->workers > 1)
		setvbuf(stdout, NULL, _IOLBF, 1 << 12);
	else
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (!stop) {
		proxy_flush(p);
		n = busy_poll_wait(&p->busy, p->epfd, evs, sizeof(evs) / sizeof(evs[0]));
		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn_ref *ref = evs[i].data.ptr;

			if (ref == &ref_timer) {
				uint64_t ticks;

				if (read(p->timerfd, &ticks, sizeof(ticks)) < 0)
					continue;
				run_work(p);
				if (mono_ms() >= p->next_deadline_check) {
					check_deadlines(p);
					p->next_deadline_check = mono_ms() + SLOW_TICK_MS;
				}
			} else if (ref == &ref_signal) {
				struct signalfd_siginfo si;

				while (read(p->sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						/* worker 0 swaps the policy all share */
						if (o->allow_file && p->worker == 0 && reload_policy(p))
							pr_warn("reload failed: the previous policy stays in force");
					} else if (!p->draining && o->drain_timeout_ms && p->nconns) {
						drain_start(p);
					} else {
						pr_info("signal %d: stopping", si.ssi_signo);
						stop = true;
					}
				}
			} else if (ref == &ref_resolve) {
				on_resolved(p);
			} else if (ref == &ref_events) {
				ring_buffer__consume(p->l.events);
			} else if (ref >= p->listen_ref && ref < p->listen_ref + PROXY_MAX_LISTEN) {
				if (p->listen_fd[ref->which] >= 0)
					admit_accept(p, ref->which);
			} else {
				conn_event(p, ref, evs[i].events);
			}
		}
		run_iterator(p);
		free_dead(p);
		if (p->draining && !stop && drain_done(p))
			stop = true;
	}
out:
	teardown(p);
	free(p);
	return err;
}
