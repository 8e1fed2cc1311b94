/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/proxy_int.h - the daemon's shared state, for proxy.c and conn.c only. */
#ifndef __SNIGATE_PROXY_INT_H
#define __SNIGATE_PROXY_INT_H

#include "busy_poll.h"
#include "conn.h"
#include "loader.h"
#include "proxy.h"

#define CONN_HASH_SIZE 16384
#define STALE_BATCH 256

struct proxy {
	const struct proxy_opts *o;
	int worker;			/* index among --workers; 0 owns the pins */
	char worker_tag[32];		/* "worker 1/2: " in log lines, or "" */
	struct loader l;
	int epfd, timerfd, sigfd, resolvefd;
	int listen_fd[PROXY_MAX_LISTEN];
	int nconns;
	int *all_conns;			/* --workers: every worker's open connections (shared) */
	bool fast_tick;			/* timer at 1 ms while work waits */
	bool heap_freed;		/* malloc_trim() at the next slow tick */
	struct busy_poll busy;		/* --busy-poll */
	bool pause_pending;		/* pause requests wait for the iterator */
	struct conn *conns;		/* every connection */
	struct conn *work;		/* paused / draining ones */
	struct conn *dead;		/* closed in this loop pass; freed after it */
	uint64_t next_deadline_check;	/* ms */
	struct conn *hash[CONN_HASH_SIZE];
	int rcvbuf, sndbuf;		/* per socket, from --conn-mem */
	int up_rcvbuf;			/* the upstream's receive buffer (splice path) */
	int pipe_size;			/* per direction (splice relay) */
	uint64_t bytes_up, bytes_down;	/* relayed by closed connections, not yet in snigate_stats */
	__u64 stale[STALE_BATCH];	/* state entries of closed connections, deleted in a batch */
	int nstale;
	uint64_t closed[CONN_END_DRAIN + 1];	/* closed_* counters, not yet in snigate_stats */
	struct conn_ref listen_ref[PROXY_MAX_LISTEN];	/* epoll cookies of the listeners */
	/* admit.c: refusals over --max-conns or the fd limit */
	int reserve_fd;			/* given up to accept (and reset) when out of fds */
	bool listen_paused;		/* listeners out of epoll until the next tick */
	uint64_t refused;		/* not yet in snigate_stats */
	uint64_t refused_unlogged;	/* since the last log line */
	uint64_t refused_log_ms;
	const char *refused_why;
	/* SIGTERM: listeners closed, live connections finish until the deadline */
	bool draining;
	uint64_t drain_deadline_ms;
};

void proxy_hash_add(struct proxy *p, struct conn *c, __u64 cookie);
void proxy_hash_del(struct proxy *p, __u64 cookie);
struct conn *proxy_hash_find(struct proxy *p, __u64 cookie);
void proxy_work_add(struct proxy *p, struct conn *c);
/* Delete cookie's snigate_sockst entry with the next batch. */
void proxy_forget(struct proxy *p, __u64 cookie);
/* Write out what the loop pass batched (log lines, deletions). */
void proxy_flush(struct proxy *p);
void proxy_stat_add_n(struct proxy *p, enum snigate_stat idx, __u64 n);
#define proxy_stat_add(p, idx) proxy_stat_add_n(p, idx, 1)

#endif /* __SNIGATE_PROXY_INT_H */
