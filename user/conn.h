/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/conn.h - one proxied connection: its states and what the event loop
 * calls on it. user/conn.c owns the logic, user/proxy.c the loop.
 *
 *   HELLO ------> RESOLVING -> CONNECTING -> HANDOVER -> SPLICED -> closed
 *     | denied / timeout / malformed                        ^
 *     +---------------------------> alert + close           | both FINs passed on
 */
#ifndef __SNIGATE_CONN_H
#define __SNIGATE_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "snigate_abi.h"
#include "resolve.h"

struct proxy;

enum conn_state {
	CONN_HELLO,		/* waiting for the kernel's hello verdict */
	CONN_RESOLVING,		/* allowed; upstream name being resolved */
	CONN_CONNECTING,	/* non-blocking connect in progress */
	CONN_HANDOVER,		/* writing the hello (and early bytes) upstream */
	CONN_SPLICED,		/* the data path moves every byte (relay.c or BPF) */
};

/* How a connection ended: the log line's "end", and closed_* counters. */
enum conn_end {
	CONN_END_NONE = 0,	/* not decided at close: "eof", or "refused" before the relay */
	CONN_END_RESET,		/* a reset, from either side or ours (passed on) */
	CONN_END_IDLE,		/* --idle-timeout: nothing moved */
	CONN_END_KEEPALIVE,	/* TCP keepalive: a peer stopped answering */
	CONN_END_DRAIN,		/* still open when --drain-timeout ran out */
};

/* epoll cookie: which socket of which connection */
struct conn_ref {
	struct conn *conn;
	int which;		/* 0 client, 1 upstream */
};

/* One direction of a spliced connection: src's bytes go to dst. */
struct conn_dir {
	int src, dst;
	__u64 src_cookie;
	uint64_t user_bytes;	/* moved by user space before the splice (the hello) */
	uint64_t dst_base;	/* dst's write-queue counter when BPF took over */
	uint64_t acked_base;	/* dst's tcpi_bytes_acked then */
	bool eof;		/* src sent FIN */
	bool src_hup;		/* epoll announced src's FIN (maybe not read yet) */
	bool shut;		/* FIN passed on to dst */
	uint64_t spliced;	/* moved by splice() (see conn.c, dir_splice) */
	int pipe[2];		/* for that splice; -1 until needed */
	size_t in_pipe;		/* bytes in the pipe, not yet in dst */
	size_t pipe_cap;	/* the pipe's size */
	bool pause_req;		/* BPF asked; the pause iterator acts on it */
	bool paused;		/* src out of snigate_pump: TCP flow control holds the sender */
	bool splicing;		/* src cannot re-enter the pump: splice() relays the rest */
};

struct conn {
	struct conn *hnext;		/* cookie hash chain */
	struct conn *prev, *next;	/* proxy's list of all connections */
	struct conn *wnext;		/* proxy's work list (paused / draining) */
	bool on_work;
	bool closed;			/* fds gone; freed after this epoll batch */
	bool relay;			/* data path: splice relay, not sockmap */
	bool user_parse;		/* hello over several records: parsed here */
	enum conn_state state;
	int cfd, ufd;
	__u64 ccookie, ucookie;
	struct conn_ref cref, uref;
	struct sockaddr_storage client, odst, upstream;
	bool have_odst;
	uint64_t start_ms, deadline_ms;	/* deadline: hello or connect timeout, 0 = none */
	__u64 start_ns;			/* CLOCK_MONOTONIC at accept, as in snigate_sockst */
	uint64_t published_ms;		/* last byte counts written for `snigate conns` */
	uint64_t published_bytes;
	char *sni;			/* the server name, "" until decided (conn_set_sni) */
	enum snigate_verdict verdict;
	enum snigate_reason reason;
	enum snigate_shape shape;
	bool ech;
	struct resolve_addrs *addrs;	/* upstream candidates, tried in order; while dialling */
	int next_addr;
	int dial_err;			/* errno of the last failed candidate */
	uint16_t upstream_port;		/* for the resolver's answer cache */
	uint8_t *buf;			/* hello + early bytes, forwarded at handover */
	size_t buf_len, buf_off, buf_cap;
	bool client_eof;		/* client FIN seen before the splice */
	uint8_t early_io;		/* sides (bit 0 client, 1 upstream) whose bytes or EOF
					 * may wait unannounced when the relay starts */
	bool cfd_out;			/* client socket registered for EPOLLOUT (relay) */
	bool upstream_ka;		/* keepalive set on the upstream socket */
	enum conn_end end;		/* set by whoever closes for a reason of its own */
	uint64_t idle_bytes;		/* --idle-timeout: bytes moved at idle_since_ms */
	uint64_t idle_since_ms;
	struct conn_dir dir[2];		/* 0: client -> upstream, 1: upstream -> client */
};

/* Free c (closed, off every list). */
void conn_free(struct conn *c);

/* Create state for an accepted client socket and start its hello phase.
 * Returns 0, or -errno (fd closed).
 */
int conn_accept(struct proxy *p, int fd, const struct sockaddr_storage *peer,
		const struct sockaddr_storage *listen_addr);

/* epoll said something about one of c's sockets. */
void conn_event(struct proxy *p, struct conn_ref *ref, uint32_t events);

/* A hello-phase chunk from the ring (conn_append) and the verdict notice. */
int conn_append(struct conn *c, const void *data, size_t len);
void conn_check_verdict(struct proxy *p, struct conn *c);
/* The same, with the state the verdict record carried. */
void conn_on_state(struct proxy *p, struct conn *c, const struct snigate_sock *st);

/* A resolver answer for c. */
void conn_resolved(struct proxy *p, struct conn *c, int gai_err, struct addrinfo *ai);

/* BPF asks to pause the receiver with this cookie: noted here, done by the
 * pause iterator, which the caller runs before the next conn_work().
 */
void conn_pause_request(struct proxy *p, struct conn *c, __u64 cookie);

/* Periodic work on a paused or draining connection. Returns true while it
 * still needs the fast tick.
 */
bool conn_work(struct proxy *p, struct conn *c);

/* Deadline check; closes c when it has passed. */
void conn_check_deadline(struct proxy *p, struct conn *c, uint64_t now_ms);

/* Byte counts of a relayed connection into its state entries (rate-limited). */
void conn_publish_bytes(struct proxy *p, struct conn *c);

/* Close everything of c and log it; the memory goes once the current
 * epoll batch, which may still name c, is done.
 */
void conn_close(struct proxy *p, struct conn *c, bool reset);

/* A reset on a relayed connection: ETIMEDOUT (keepalive gave up) is an
 * end of its own, anything else a reset. Sets c->end unless already set.
 */
void conn_note_error(struct conn *c, int err);

/* The send-buffer bound from --conn-mem (set before connect/listen). */
void conn_set_sndbuf(struct proxy *p, int fd);
/* A receive-buffer bound (locked: no autotuning past it). */
void conn_set_rcvbuf(int fd, int bytes);

#endif /* __SNIGATE_CONN_H */
