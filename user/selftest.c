// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/selftest.c - `snigate selftest`, also run when `snigate proxy` starts:
 * checks, on loopback and with a private pin directory, the kernel behaviours
 * the gateway relies on. sockmap has regressed before; a gateway that starts
 * on a kernel that broke one of these would lose or leak bytes.
 *
 *  1. the BPF side loads and attaches (stream parser, verdicts, iterator);
 *  2. a ClientHello written in two segments is reassembled and decided in
 *     the kernel, and its bytes (plus what follows) come through the ring;
 *  3. after the socket leaves the parser map, later bytes wait in the socket
 *     and splice() reads them whole: nothing lost to the hand-over;
 *  4. EOF reaches splice() as 0;
 *  5. flow control: splice() into a socket whose peer does not read stops
 *     (EAGAIN) within a bound, so the relay leaves bytes in the source and
 *     TCP holds the sender there.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader.h"
#include "log.h"
#include "main.h"
#include "mono.h"
#include "pattern.h"
#include "pin.h"
#include "policy.h"
#include "selftest.h"

#define ST_NAME		"selftest.snigate.invalid"
#define ST_EARLY	100		/* bytes written right behind the hello */
#define ST_AFTER	65536		/* bytes written after the hand-over */
#define ST_WAIT_MS	2000

struct st_ctx {
	__u64 cookie;
	size_t got;			/* hello-phase bytes through the ring */
	int verdicts;
	uint8_t buf[4096 + ST_EARLY];
};

static int on_record(void *arg, void *data, size_t size)
{
	const struct snigate_hello_rec *rec = data;
	struct st_ctx *ctx = arg;

	if (size < sizeof(*rec) - sizeof(rec->data) || rec->cookie != ctx->cookie)
		return 0;
	if (rec->type == SNIGATE_REC_VERDICT)
		ctx->verdicts++;
	else if (rec->len <= SNIGATE_CHUNK && ctx->got + rec->len <= sizeof(ctx->buf))
		memcpy(ctx->buf + ctx->got, rec->data, rec->len), ctx->got += rec->len;
	return 0;
}

/* A minimal ClientHello for name; returns its length. */
static size_t build_hello(uint8_t *b, const char *name)
{
	size_t n = strlen(name), hs = 4 + 2 + 32 + 1 + 4 + 2 + 2 + 9 + n, i = 0;

	b[i++] = 0x16, b[i++] = 3, b[i++] = 1, b[i++] = hs >> 8, b[i++] = hs & 0xff;
	b[i++] = 1, b[i++] = 0, b[i++] = (hs - 4) >> 8, b[i++] = (hs - 4) & 0xff;
	b[i++] = 3, b[i++] = 3;
	memset(b + i, 0x5a, 32), i += 32;			/* random */
	b[i++] = 0;						/* session id */
	b[i++] = 0, b[i++] = 2, b[i++] = 0x13, b[i++] = 0x01;	/* one cipher suite */
	b[i++] = 1, b[i++] = 0;					/* null compression */
	b[i++] = 0, b[i++] = 9 + n;				/* extensions */
	b[i++] = 0, b[i++] = 0, b[i++] = 0, b[i++] = 5 + n;	/* server_name */
	b[i++] = 0, b[i++] = 3 + n, b[i++] = 0, b[i++] = 0, b[i++] = n;
	memcpy(b + i, name, n), i += n;
	return i;
}

static int fail(const char *what)
{
	pr_warn("selftest: %s", what);
	return -1;
}

/* Steps 2-4 on a connected pair: cli writes, srv is the gateway's side. */
static int check_pair(struct loader *l, int cli, int srv)
{
	static uint8_t out[4096 + ST_EARLY + ST_AFTER], in[ST_AFTER];
	struct snigate_sock st = { .side = SNIGATE_SIDE_CLIENT };
	struct st_ctx ctx = {};
	struct ring_buffer *rb;
	size_t hello, i, got = 0;
	int one = 1, pfd[2] = { -1, -1 }, rc = -1;
	__u64 fd = srv;
	socklen_t len = sizeof(ctx.cookie);
	uint64_t deadline;
	bool eof = false;
	ssize_t n, r = 0;

	getsockopt(srv, SOL_SOCKET, SO_COOKIE, &ctx.cookie, &len);
	rb = ring_buffer__new(l->hellorb_fd, on_record, &ctx, NULL);
	if (!rb)
		return fail("cannot open the hello ring buffer");
	if (bpf_map_update_elem(l->sockst_fd, &ctx.cookie, &st, BPF_ANY) ||
	    bpf_map_update_elem(l->hello_fd, &ctx.cookie, &fd, BPF_ANY)) {
		fail("cannot put a socket in snigate_hello");
		goto out;
	}
	setsockopt(cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	hello = build_hello(out, ST_NAME);
	for (i = 0; i < ST_EARLY + ST_AFTER; i++)
		out[hello + i] = (uint8_t)(i * 7 + 3);
	/* the hello in two segments, then early bytes */
	if (write(cli, out, 20) != 20 || (usleep(30000), 0) ||
	    write(cli, out + 20, hello - 20 + ST_EARLY) != (ssize_t)(hello - 20 + ST_EARLY)) {
		fail("cannot write on loopback");
		goto out;
	}
	deadline = mono_ms() + ST_WAIT_MS;
	while ((ctx.got < hello + ST_EARLY || !ctx.verdicts) && mono_ms() < deadline)
		ring_buffer__poll(rb, 50);
	if (bpf_map_lookup_elem(l->sockst_fd, &ctx.cookie, &st) ||
	    !(st.flags & SNIGATE_SOCK_DECIDED) || st.verdict != SNIGATE_VERDICT_ALLOW ||
	    strcmp(st.sni, ST_NAME) != 0) {
		fail("the kernel did not decide a ClientHello sent in two segments "
		     "(sk_skb stream parser + verdict on a sockhash)");
		goto out;
	}
	if (!ctx.verdicts || ctx.got != hello + ST_EARLY ||
	    memcmp(ctx.buf, out, hello + ST_EARLY) != 0) {
		fail("the hello-phase bytes did not come through the ring buffer whole");
		goto out;
	}

	/* hand-over: out of the parser map, then bytes must wait in the socket */
	bpf_map_delete_elem(l->hello_fd, &ctx.cookie);
	setsockopt(srv, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
	if (write(cli, out + hello + ST_EARLY, ST_AFTER) != ST_AFTER)
		goto out;
	shutdown(cli, SHUT_WR);
	if (pipe2(pfd, O_CLOEXEC))
		goto out;
	fcntl(pfd[1], F_SETPIPE_SZ, ST_AFTER * 2);
	deadline = mono_ms() + ST_WAIT_MS;
	while (!eof && mono_ms() < deadline) {
		struct pollfd p = { .fd = srv, .events = POLLIN };

		poll(&p, 1, 50);
		n = splice(srv, NULL, pfd[1], NULL, sizeof(in), SPLICE_F_NONBLOCK);
		if (n == 0)
			eof = true;
		if (n < 0 && errno != EAGAIN)
			break;
		for (; n > 0 && got < sizeof(in); got += r, n -= r) {
			r = read(pfd[0], in + got, sizeof(in) - got < (size_t)n ? sizeof(in) - got : (size_t)n);
			if (r <= 0)
				break;
		}
		if (n > 0)
			break;			/* more bytes than were written */
	}
	if (!eof || got != ST_AFTER || memcmp(in, out + hello + ST_EARLY, ST_AFTER) != 0) {
		fail("bytes after the hand-over did not reach splice() whole, or EOF did not");
		goto out;
	}
	rc = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]), close(pfd[1]);
	bpf_map_delete_elem(l->sockst_fd, &ctx.cookie);
	ring_buffer__free(rb);
	return rc;
}

/* A connected TCP pair on loopback, fds[0] listener, fds[1] client, fds[2]
 * accepted. buf (0: the defaults) sizes the client's send and the accepted
 * socket's receive buffer (it inherits the listener's) before the handshake.
 */
static int loopback_pair(int fds[3], int buf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fds[2] = -1;
	if (fds[0] < 0 || fds[1] < 0)
		return -1;
	if (buf) {
		setsockopt(fds[0], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	}
	if (bind(fds[0], (struct sockaddr *)&a, sizeof(a)) || listen(fds[0], 1) ||
	    getsockname(fds[0], (struct sockaddr *)&a, &len) ||
	    connect(fds[1], (struct sockaddr *)&a, sizeof(a)))
		return -1;
	fds[2] = accept4(fds[0], NULL, NULL, SOCK_CLOEXEC);
	return fds[2] < 0 ? -1 : 0;
}

static void close_all(int *fds, int n)
{
	while (n--)
		if (fds[n] >= 0)
			close(fds[n]);
}

/* 5: a reader that never reads, behind 64 KiB buffers: how much splice()
 * puts into the writer before it answers EAGAIN. Both buffers, doubled by
 * the kernel, plus skb overhead come to well under ST_FLOW_BOUND.
 */
#define ST_FLOW_BUF	65536
#define ST_FLOW_BOUND	(4 << 20)

static int check_flow(void)
{
	static uint8_t chunk[ST_FLOW_BUF];
	int fds[5] = { -1, -1, -1, -1, -1 }, rc = -1;	/* pair, then the pipe */
	size_t total = 0;
	ssize_t n;

	if (loopback_pair(fds, ST_FLOW_BUF) || pipe2(fds + 3, O_CLOEXEC | O_NONBLOCK))
		goto out;
	fcntl(fds[1], F_SETFL, O_NONBLOCK);	/* as the relay's sockets: EAGAIN, not a wait */
	while (total <= ST_FLOW_BOUND) {
		if (write(fds[4], chunk, sizeof(chunk)) < 0 && errno != EAGAIN)
			goto out;
		n = splice(fds[3], NULL, fds[1], NULL, sizeof(chunk), SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n < 0 && errno == EAGAIN) {
			rc = 0;		/* the writer is full: flow control works */
			break;
		}
		if (n <= 0)
			goto out;
		total += n;
	}
	pr_debug("selftest: splice into a non-reading peer stopped after %zu bytes", total);
out:
	close_all(fds, 5);
	if (rc)
		return fail(total > ST_FLOW_BOUND ?
			    "splice() into a socket whose peer does not read took more than 4 MiB: "
			    "no flow control, a slow reader would grow the gateway's memory" :
			    "no TCP on loopback for the flow-control check");
	return 0;
}

int selftest_run(void)
{
	struct snigate_config cfg = { .default_verdict = SNIGATE_VERDICT_DENY, .backlog_high = 1 << 20 };
	struct policy_rule rule = { .rule = SNIGATE_RULE_ALLOW };
	struct policy_file pf = { .rules = &rule, .n = 1 };
	const char *saved = pin_dir;
	char dir[128], err[128];
	int fds[3] = { -1, -1, -1 }, rc = -1;
	struct loader l;

	/* a private pin directory: the gateway's own pins stay untouched */
	snprintf(dir, sizeof(dir), "%s-selftest-%d", saved, getpid());
	pin_dir = dir;
	if (loader_open(&l, &cfg, false)) {
		pin_dir = saved;
		return fail("the BPF programs do not load or attach (see above)");
	}
	if (pattern_parse(ST_NAME, &rule.pat, err, sizeof(err)) || loader_swap_policy(&l, &pf)) {
		fail("cannot load a policy");
		goto out;
	}
	if (loopback_pair(fds, 0)) {
		fail("no TCP on loopback");
		goto out;
	}
	rc = check_pair(&l, fds[1], fds[2]) ?: check_flow();
out:
	close_all(fds, 3);
	loader_unpin(&l);	/* the private pin directory goes with its pins */
	loader_close(&l);
	rmdir(dir);
	pin_dir = saved;
	return rc;
}

int do_selftest(int argc, char **argv)
{
	(void)argc, (void)argv;
	if (selftest_run())
		return runtime_error("selftest failed: this kernel lacks a behaviour snigate needs");
	if (json_output)
		printf("null\n");
	else
		printf("selftest: ok (hello decided in the kernel from two segments, bytes through "
		       "the ring, hand-over to splice without loss, EOF, splice stops at a "
		       "non-reading peer)\n");
	return EXIT_OK;
}
