// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/integration/loadgen.c - many concurrent connections through the
 * gateway, every byte checked (test_load.sh runs both ends).
 *
 *   loadgen serve --listen IP:PORT
 *   loadgen client --connect IP:PORT --sni NAME --conns N [--bytes B]
 *                  [--src IP]... [--pending K] [--release-file F]
 *                  [--hold-max S] [--timeout S]
 *
 * --src spreads the connections over several source addresses (when one
 * runs out of ports); --pending bounds connects in flight (default 256), so
 * no listen queue overflows into SYN retries.
 *
 * Per connection, client -> server:
 *   a real ClientHello record (server_name NAME), then
 *   "SGLD" | u32 id | u32 up | u32 down          (big endian)
 *   ... once the server answered: up payload bytes | sha256(payload)
 * and server -> client:
 *   "SGOK" | down payload bytes | sha256(payload) | 'Y' (upload arrived
 *   whole: count and digest) or 'N'
 * Each payload is a window of a pseudo-random block that depends on the
 * connection id and the direction, so bytes crossing connections show too.
 * Like a TLS client, the client sends its payload only once the server
 * answered; then both directions flow at once.
 *
 * The client keeps every connection open once it is complete, prints
 *   {"event":"ready",...}
 * when all N are (or when it gives up), waits until the release file exists
 * (or hold-max seconds), shuts down writing on all of them, expects a clean
 * EOF on each and prints {"event":"done",...}. Exit 0 only when every
 * connection completed and closed cleanly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#define BLOCK		(1u << 20)	/* payloads are windows of this block */
#define DIGEST		32
#define HDR		16
#define MAX_SRC		16
#define SHOW_ERRORS	5

enum { UP = 0, DOWN = 1 };

static uint8_t block[BLOCK];
static uint8_t rbuf[1 << 16];

/* Where the payload of connection id in direction dir starts in block. */
static uint32_t stream_start(uint32_t id, int dir)
{
	return (id * 2654435761u + (dir ? 0x9e3779b9u : 0)) & (BLOCK - 1);
}

static void block_init(void)
{
	uint64_t x = 0x5eed5eed5eed5eedull;
	uint32_t i;

	for (i = 0; i < BLOCK; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(block + i, &x, 8);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "loadgen: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon && (size_t)(colon - s) < sizeof(host)) {
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
		sa->sin_port = htons(atoi(colon + 1));
	} else {
		snprintf(host, sizeof(host), "%s", s);
	}
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("not an IPv4 address: %s", s);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- one direction of payload: send or receive, hashed as it goes ---- */

struct flow {
	uint32_t id;
	int dir;
	uint32_t len;		/* payload bytes */
	uint32_t done;		/* payload bytes sent or received */
	EVP_MD_CTX *md;
	uint8_t digest[DIGEST];	/* sender: ours once done; receiver: what arrived */
	uint32_t digest_done;	/* digest bytes sent or received */
};

static void flow_init(struct flow *f, uint32_t id, int dir, uint32_t len)
{
	f->id = id;
	f->dir = dir;
	f->len = len;
	f->done = f->digest_done = 0;
	if (!f->md)
		f->md = EVP_MD_CTX_new();
	if (!f->md || !EVP_DigestInit_ex(f->md, EVP_sha256(), NULL))
		die("EVP_DigestInit failed");
}

static void flow_free(struct flow *f)
{
	EVP_MD_CTX_free(f->md);
	f->md = NULL;
}

/* Send payload then digest. Returns 1 when all is out, 0 on EAGAIN, -errno. */
static int flow_send(int fd, struct flow *f)
{
	ssize_t n;

	while (f->done < f->len) {
		uint32_t pos = (stream_start(f->id, f->dir) + f->done) & (BLOCK - 1);
		uint32_t k = f->len - f->done;

		if (k > BLOCK - pos)
			k = BLOCK - pos;
		n = send(fd, block + pos, k, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		EVP_DigestUpdate(f->md, block + pos, n);
		f->done += n;
		if (f->done == f->len)
			EVP_DigestFinal_ex(f->md, f->digest, NULL);
	}
	if (f->len == 0 && f->digest_done == 0)
		EVP_DigestFinal_ex(f->md, f->digest, NULL);
	while (f->digest_done < DIGEST) {
		n = send(fd, f->digest + f->digest_done, DIGEST - f->digest_done,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		f->digest_done += n;
	}
	return 1;
}

/* Take received bytes for payload then digest. Returns bytes used;
 * *verdict becomes 1 (count and digest match) or -1 once the digest is in.
 */
static size_t flow_recv(struct flow *f, const uint8_t *p, size_t n, int *verdict)
{
	uint8_t want[DIGEST];
	size_t used = 0, k;

	if (f->done < f->len) {
		k = f->len - f->done;
		if (k > n)
			k = n;
		EVP_DigestUpdate(f->md, p, k);
		f->done += k;
		used += k;
	}
	if (f->done == f->len && f->digest_done < DIGEST && used < n) {
		k = DIGEST - f->digest_done;
		if (k > n - used)
			k = n - used;
		memcpy(f->digest + f->digest_done, p + used, k);
		f->digest_done += k;
		used += k;
		if (f->digest_done == DIGEST) {
			EVP_DigestFinal_ex(f->md, want, NULL);
			*verdict = memcmp(want, f->digest, DIGEST) ? -1 : 1;
		}
	}
	return used;
}

/* ---- server ------------------------------------------------------------ */

enum srv_in { S_REC_HDR, S_HELLO, S_HDR, S_UP, S_EOF };

struct sconn {
	int fd;
	enum srv_in in;
	uint8_t hdr[HDR];
	uint32_t have, skip;
	int up_ok;		/* 0 not yet, 1 whole, -1 wrong */
	int out_started, status_sent;
	uint32_t ok_sent;	/* bytes of "SGOK" sent */
	struct flow up, down;
};

static void sconn_close(int ep, struct sconn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	flow_free(&c->up);
	flow_free(&c->down);
	free(c);
}

/* Write what is due: "SGOK", the download, its digest, the status byte. */
static int sconn_write(struct sconn *c)
{
	ssize_t n;
	int rc;

	if (!c->out_started)
		return 0;
	while (c->ok_sent < 4) {
		n = send(c->fd, "SGOK" + c->ok_sent, 4 - c->ok_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->ok_sent += n;
	}
	rc = flow_send(c->fd, &c->down);
	if (rc <= 0)
		return rc;
	if (c->up_ok && !c->status_sent) {
		n = send(c->fd, c->up_ok > 0 ? "Y" : "N", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		c->status_sent = 1;
	}
	return 0;
}

/* Returns 1 when the connection is finished (clean EOF), -1 on error. */
static int sconn_read(struct sconn *c)
{
	ssize_t n;
	size_t off, k;

	for (;;) {
		n = recv(c->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return c->in == S_EOF && c->status_sent ? 1 : -1;
		for (off = 0; off < (size_t)n;) {
			switch (c->in) {
			case S_REC_HDR:		/* TLS record header of the hello */
				c->hdr[c->have++] = rbuf[off++];
				if (c->have == 5) {
					if (c->hdr[0] != 0x16)
						return -1;
					c->skip = (uint32_t)c->hdr[3] << 8 | c->hdr[4];
					c->have = 0;
					c->in = S_HELLO;
				}
				break;
			case S_HELLO:
				k = n - off < c->skip ? n - off : c->skip;
				off += k;
				c->skip -= k;
				if (!c->skip)
					c->in = S_HDR;
				break;
			case S_HDR:
				c->hdr[c->have++] = rbuf[off++];
				if (c->have == HDR) {
					if (memcmp(c->hdr, "SGLD", 4))
						return -1;
					flow_init(&c->up, get32(c->hdr + 4), UP, get32(c->hdr + 8));
					flow_init(&c->down, get32(c->hdr + 4), DOWN,
						  get32(c->hdr + 12));
					c->out_started = 1;
					c->in = S_UP;
				}
				break;
			case S_UP:
				off += flow_recv(&c->up, rbuf + off, n - off, &c->up_ok);
				if (c->up_ok)
					c->in = S_EOF;
				break;
			case S_EOF:
				return -1;	/* bytes after the upload */
			}
		}
	}
}

static int serve(const char *listen_addr)
{
	struct epoll_event evs[256], ev;
	struct sockaddr_in sa;
	int ep, lfd, one = 1, i, n, errors = 0;

	parse_addr(listen_addr, &sa);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 65535))
		die("listen %s: %s", listen_addr, strerror(errno));
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening %s\n", listen_addr);
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			int rc = 0, fd;

			if (!c) {
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c)
						die("out of memory");
					c->fd = fd;
					ev = (struct epoll_event){
						.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						.data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				rc = sconn_read(c);
			if (rc == 0 && sconn_write(c) < 0)
				rc = -1;
			if (rc < 0 && errors++ < SHOW_ERRORS)
				fprintf(stderr, "serve: connection failed (in stage %d, up %u/%u)\n",
					c->in, c->up.done, c->up.len);
			if (rc)
				sconn_close(ep, c);
		}
	}
	return 0;
}

/* ---- client -------------------------------------------------------------- */

enum cli_state { C_CONNECTING, C_WAIT_OK, C_FLOWING, C_COMPLETE, C_CLOSING, C_CLOSED, C_FAILED };

struct cconn {
	int fd;
	uint32_t id;
	enum cli_state st;
	uint32_t pre_sent;	/* hello + header bytes sent */
	uint32_t ok_have;
	int down_ok, status;	/* status: 'Y', 'N' or 0 */
	struct flow up, down;
};

struct client {
	struct sockaddr_in dst, src[MAX_SRC];
	int nsrc, ep;
	uint32_t conns, bytes, pending_max;
	uint8_t pre[512];	/* hello record + header template */
	uint32_t pre_len;
	struct cconn *c;
	uint32_t opened, pending, complete, failed, closed;
	char errors[SHOW_ERRORS][160];
	uint32_t nerrors;
};

/* A ClientHello record (TLS 1.3 shape) with server_name = sni. */
static uint32_t build_hello(uint8_t *out, const char *sni)
{
	static const uint8_t tail_exts[] = {
		0x00, 0x0a, 0x00, 0x04, 0x00, 0x02, 0x00, 0x1d,		/* groups: x25519 */
		0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03,		/* sig algs */
		0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,		/* versions: 1.3 */
	};
	uint32_t sl = strlen(sni), p = 0, ext_len, body_len, i;

	if (sl > 253)
		die("sni too long");
	ext_len = 9 + sl + sizeof(tail_exts) + 4 + 2 + 4 + 32;
	body_len = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + ext_len;
	out[p++] = 0x16, out[p++] = 3, out[p++] = 1;
	out[p++] = (body_len + 4) >> 8, out[p++] = body_len + 4;
	out[p++] = 1, out[p++] = 0, out[p++] = body_len >> 8, out[p++] = body_len;
	out[p++] = 3, out[p++] = 3;
	for (i = 0; i < 32; i++)
		out[p++] = block[i];			/* random */
	out[p++] = 0;					/* session id */
	out[p++] = 0, out[p++] = 2, out[p++] = 0x13, out[p++] = 0x01;
	out[p++] = 1, out[p++] = 0;			/* compression: null */
	out[p++] = ext_len >> 8, out[p++] = ext_len;
	out[p++] = 0, out[p++] = 0;			/* server_name */
	out[p++] = (sl + 5) >> 8, out[p++] = sl + 5;
	out[p++] = (sl + 3) >> 8, out[p++] = sl + 3;
	out[p++] = 0, out[p++] = sl >> 8, out[p++] = sl;
	memcpy(out + p, sni, sl);
	p += sl;
	memcpy(out + p, tail_exts, sizeof(tail_exts));
	p += sizeof(tail_exts);
	out[p++] = 0x00, out[p++] = 0x33;		/* key_share: x25519 */
	out[p++] = 0, out[p++] = 38, out[p++] = 0, out[p++] = 36;
	out[p++] = 0, out[p++] = 0x1d, out[p++] = 0, out[p++] = 32;
	for (i = 0; i < 32; i++)
		out[p++] = block[64 + i];
	return p;
}

static void cconn_fail(struct client *cl, struct cconn *c, const char *what, int err)
{
	if (cl->nerrors < SHOW_ERRORS)
		snprintf(cl->errors[cl->nerrors], sizeof(cl->errors[0]),
			 "conn %u: %s%s%s (up %u/%u, down %u/%u, state %d)", c->id, what,
			 err ? ": " : "", err ? strerror(err) : "", c->up.done, c->up.len,
			 c->down.done, c->down.len, c->st);
	cl->nerrors++;
	if (c->st == C_CONNECTING)
		cl->pending--;
	if (c->st == C_COMPLETE)
		cl->complete--;
	c->st = C_FAILED;
	cl->failed++;
	epoll_ctl(cl->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	flow_free(&c->up);
	flow_free(&c->down);
}

static void cconn_open(struct client *cl, uint32_t id)
{
	struct cconn *c = &cl->c[id];
	struct epoll_event ev;
	int one = 1;

	c->id = id;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket: %s (raise ulimit -n)", strerror(errno));
	if (cl->nsrc) {
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(c->fd, (struct sockaddr *)&cl->src[id % cl->nsrc], sizeof(cl->src[0])))
			die("bind: %s", strerror(errno));
	}
	flow_init(&c->up, id, UP, cl->bytes);
	flow_init(&c->down, id, DOWN, cl->bytes);
	c->st = C_CONNECTING;
	cl->pending++;
	cl->opened++;
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				   .data.ptr = c };
	epoll_ctl(cl->ep, EPOLL_CTL_ADD, c->fd, &ev);
	if (connect(c->fd, (struct sockaddr *)&cl->dst, sizeof(cl->dst)) && errno != EINPROGRESS)
		cconn_fail(cl, c, "connect", errno);
}

static void cconn_write(struct client *cl, struct cconn *c)
{
	uint8_t pre[sizeof(cl->pre)];
	ssize_t n;
	int rc;

	while (c->pre_sent < cl->pre_len) {
		memcpy(pre, cl->pre, cl->pre_len);
		put32(pre + cl->pre_len - HDR + 4, c->id);
		n = send(c->fd, pre + c->pre_sent, cl->pre_len - c->pre_sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN)
				cconn_fail(cl, c, "send hello", errno);
			return;
		}
		c->pre_sent += n;
	}
	if (c->st != C_FLOWING)
		return;
	rc = flow_send(c->fd, &c->up);
	if (rc < 0)
		cconn_fail(cl, c, "send payload", -rc);
}

static void cconn_read(struct client *cl, struct cconn *c)
{
	ssize_t n;
	size_t off;

	for (;;) {
		n = recv(c->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN)
				cconn_fail(cl, c, "recv", errno);
			return;
		}
		if (n == 0) {
			if (c->st != C_CLOSING) {
				cconn_fail(cl, c, "early EOF", 0);
				return;
			}
			epoll_ctl(cl->ep, EPOLL_CTL_DEL, c->fd, NULL);
			close(c->fd);
			c->fd = -1;
			c->st = C_CLOSED;
			cl->closed++;
			flow_free(&c->up);
			flow_free(&c->down);
			return;
		}
		for (off = 0; off < (size_t)n;) {
			if (c->st == C_WAIT_OK) {
				if (rbuf[off] != "SGOK"[c->ok_have++]) {
					char what[64];

					snprintf(what, sizeof(what), "answer starts 0x%02x, not SGOK",
						 rbuf[off]);
					cconn_fail(cl, c, what, 0);
					return;
				}
				off++;
				if (c->ok_have == 4) {
					c->st = C_FLOWING;
					cconn_write(cl, c);
					if (c->st == C_FAILED)
						return;
				}
			} else if (c->st == C_FLOWING && !c->down_ok) {
				off += flow_recv(&c->down, rbuf + off, n - off, &c->down_ok);
				if (c->down_ok < 0) {
					cconn_fail(cl, c, "download digest mismatch", 0);
					return;
				}
			} else if (c->st == C_FLOWING && !c->status) {
				c->status = rbuf[off++];
				if (c->status != 'Y') {
					cconn_fail(cl, c, "server: upload count or digest mismatch", 0);
					return;
				}
			} else {
				cconn_fail(cl, c, "bytes after the status", 0);
				return;
			}
		}
		if (c->st == C_FLOWING && c->status == 'Y' && c->up.digest_done == DIGEST) {
			c->st = C_COMPLETE;
			cl->complete++;
		}
	}
}

static void cconn_event(struct client *cl, struct cconn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->st == C_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			cconn_fail(cl, c, "connect", err);
			return;
		}
		cl->pending--;
		c->st = C_WAIT_OK;
	}
	if (events & EPOLLOUT)
		cconn_write(cl, c);
	if (c->st != C_FAILED && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		cconn_read(cl, c);
}

static void client_poll(struct client *cl, int timeout_ms)
{
	struct epoll_event evs[512];
	int i, n;

	n = epoll_wait(cl->ep, evs, 512, timeout_ms);
	for (i = 0; i < n; i++) {
		struct cconn *c = evs[i].data.ptr;

		if (c->st != C_FAILED && c->st != C_CLOSED)
			cconn_event(cl, c, evs[i].events);
	}
}

static void print_errors(struct client *cl)
{
	uint32_t i;

	printf("\"failed\":%u,\"errors\":[", cl->failed);
	for (i = 0; i < cl->nerrors && i < SHOW_ERRORS; i++)
		printf("%s\"%s\"", i ? "," : "", cl->errors[i]);
	printf("]");
}

static int run_client(struct client *cl, const char *release, double hold_max, double timeout)
{
	double t0 = now_s(), t_ready, t_end;
	struct stat sb;
	uint32_t i;

	while (cl->complete + cl->failed < cl->conns && now_s() - t0 < timeout) {
		while (cl->opened < cl->conns && cl->pending < cl->pending_max)
			cconn_open(cl, cl->opened);
		client_poll(cl, 50);
	}
	t_ready = now_s();
	printf("{\"event\":\"ready\",\"conns\":%u,\"complete\":%u,\"seconds\":%.2f,"
	       "\"prefix_bytes\":%u,", cl->conns, cl->complete, t_ready - t0, cl->pre_len);
	print_errors(cl);
	printf("}\n");
	fflush(stdout);

	/* hold every connection open until the test has measured */
	while (now_s() - t_ready < hold_max && !(release && stat(release, &sb) == 0))
		client_poll(cl, 50);
	for (i = 0; i < cl->opened; i++) {
		struct cconn *c = &cl->c[i];

		if (c->st == C_COMPLETE) {
			c->st = C_CLOSING;
			shutdown(c->fd, SHUT_WR);
		}
	}
	while (cl->closed + cl->failed < cl->opened && now_s() - t_ready < hold_max + timeout)
		client_poll(cl, 50);
	t_end = now_s();
	printf("{\"event\":\"done\",\"conns\":%u,\"closed_clean\":%u,"
	       "\"bytes_each_way\":%u,\"seconds_to_complete\":%.2f,\"seconds_to_close\":%.2f,",
	       cl->conns, cl->closed, cl->bytes, t_ready - t0, t_end - t_ready);
	print_errors(cl);
	printf("}\n");
	return cl->closed == cl->conns && cl->failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "sni", required_argument, NULL, 's' },
		{ "conns", required_argument, NULL, 'n' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "src", required_argument, NULL, 'S' },
		{ "pending", required_argument, NULL, 'p' },
		{ "release-file", required_argument, NULL, 'r' },
		{ "hold-max", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 't' },
		{}
	};
	const char *listen_addr = NULL, *connect_addr = NULL, *sni = "exact.test", *release = NULL;
	struct client cl = { .conns = 1, .bytes = 65536, .pending_max = 256 };
	double hold_max = 60, timeout = 60;
	int o;

	if (argc < 2 || (strcmp(argv[1], "serve") && strcmp(argv[1], "client")))
		die("usage: loadgen serve|client ... (see tests/integration/loadgen.c)");
	while ((o = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': listen_addr = optarg; break;
		case 'c': connect_addr = optarg; break;
		case 's': sni = optarg; break;
		case 'n': cl.conns = strtoul(optarg, NULL, 10); break;
		case 'b': cl.bytes = strtoul(optarg, NULL, 10); break;
		case 'S':
			if (cl.nsrc == MAX_SRC)
				die("at most %d --src", MAX_SRC);
			parse_addr(optarg, &cl.src[cl.nsrc++]);
			break;
		case 'p': cl.pending_max = strtoul(optarg, NULL, 10); break;
		case 'r': release = optarg; break;
		case 'H': hold_max = atof(optarg); break;
		case 't': timeout = atof(optarg); break;
		default: die("bad option");
		}
	}
	signal(SIGPIPE, SIG_IGN);
	block_init();
	if (!strcmp(argv[1], "serve")) {
		if (!listen_addr)
			die("serve needs --listen IP:PORT");
		return serve(listen_addr);
	}
	if (!connect_addr || !cl.conns || !cl.pending_max)
		die("client needs --connect IP:PORT and --conns N > 0");
	parse_addr(connect_addr, &cl.dst);
	cl.pre_len = build_hello(cl.pre, sni);
	memcpy(cl.pre + cl.pre_len, "SGLD", 4);
	put32(cl.pre + cl.pre_len + 8, cl.bytes);
	put32(cl.pre + cl.pre_len + 12, cl.bytes);
	cl.pre_len += HDR;
	cl.c = calloc(cl.conns, sizeof(*cl.c));
	cl.ep = epoll_create1(0);
	if (!cl.c || cl.ep < 0)
		die("out of memory");
	return run_client(&cl, release, hold_max, timeout);
}
