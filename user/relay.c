// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/relay.c - the default data path after the kernel's verdict: splice().
 *
 * Each direction is socket -> pipe -> socket with splice(): pages move inside
 * the kernel, no payload passes through this process's memory. Flow control
 * is TCP's own: the pipe and the socket buffers are the only queues, all
 * bounded by --conn-mem, so a reader that stops reading stops its sender.
 *
 * Why not sockmap redirect here (`--data-path sockmap`): on Linux 6.18 it has
 * no backpressure, and every way to add it that we measured moved the socket
 * in and out of a sockmap under load, which lost or duplicated bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include "log.h"
#include "proxy_int.h"
#include "relay.h"

/* A direction holds a pipe only while bytes are in it: an idle or finished
 * direction gives it back here, so a connection costs two descriptors, not
 * six, and idle connections hold no pipe memory. pipe2 + F_SETPIPE_SZ cost
 * three system calls; the pool makes a borrowed pipe free.
 */
#define PIPE_POOL_MAX 256

static struct pooled_pipe {
	int fd[2];
	size_t cap;
} pipe_pool[PIPE_POOL_MAX];
static int pipe_pool_n;

static int relay_open_pipe(struct proxy *p, struct conn_dir *d)
{
	if (pipe_pool_n) {
		struct pooled_pipe *pp = &pipe_pool[--pipe_pool_n];

		d->pipe[0] = pp->fd[0];
		d->pipe[1] = pp->fd[1];
		d->pipe_cap = pp->cap;
		return 0;
	}
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	/* the pipe is this direction's only queue in user context: size it
	 * from the bound (it may stay smaller when pipe-max-size is lower)
	 */
	fcntl(d->pipe[1], F_SETPIPE_SZ, p->pipe_size);
	d->pipe_cap = fcntl(d->pipe[1], F_GETPIPE_SZ);
	if ((int)d->pipe_cap <= 0)
		d->pipe_cap = 65536;
	return 0;
}

void relay_release(struct conn_dir *d)
{
	if (d->pipe[0] < 0)
		return;
	if (!d->in_pipe && d->pipe_cap && pipe_pool_n < PIPE_POOL_MAX) {
		pipe_pool[pipe_pool_n++] = (struct pooled_pipe){ { d->pipe[0], d->pipe[1] },
								 d->pipe_cap };
	} else {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	d->pipe[0] = d->pipe[1] = -1;
}

static int relay_want_client_space(struct proxy *p, struct conn *c)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.ptr = &c->cref,
	};

	/* MOD re-checks readiness: space freed meanwhile still wakes us */
	if (epoll_ctl(p->epfd, EPOLL_CTL_MOD, c->cfd, &ev))
		return -errno;
	c->cfd_out = true;
	return 0;
}

/* Did a splice into the pipe take all src had? Only when it came back short
 * of what it was asked for into an empty pipe, with fewer bytes than the pipe
 * has slots (each slot holds at least one byte, so the slots did not run
 * out). Then the splice that would only answer EAGAIN is saved: bytes that
 * arrive later bring a new edge. Not once src's FIN was announced: the
 * socket stops short of it, and its edge has been seen already.
 */
static bool relay_src_drained(const struct conn_dir *d, size_t want, ssize_t n)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return !d->src_hup && !d->in_pipe && (size_t)n < want && (size_t)n < d->pipe_cap / page;
}

/* Move what can move now in one direction. *blocked: dst took less than
 * there was. Returns 0, or -errno on a dead socket (the caller resets the
 * connection). The FIN goes on as shutdown(), or, when the other direction
 * is done too, as the close() that follows.
 */
static int relay_dir(struct proxy *p, struct conn_dir *d, bool last, bool *blocked)
{
	bool src_dry = d->eof, dst_full = false;
	ssize_t n;
	int err;

	if (d->pipe[0] < 0 && !src_dry) {
		err = relay_open_pipe(p, d);
		if (err)
			return err;
	}

	/* once dst takes no more, src is left alone: its bytes wait in its own
	 * receive buffer (TCP holds the sender there), not in the pipe too
	 */
	while (!dst_full && (!(src_dry || d->in_pipe == d->pipe_cap) || d->in_pipe)) {
		if (!src_dry && d->in_pipe < d->pipe_cap) {
			size_t want = d->pipe_cap - d->in_pipe;

			n = splice(d->src, NULL, d->pipe[1], NULL, want,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				if (relay_src_drained(d, want, n))
					src_dry = true;
				d->in_pipe += n;
			} else if (n == 0) {
				d->eof = src_dry = true;
			} else if (errno == EAGAIN) {
				src_dry = true;
			} else {
				return -errno;
			}
		}
		if (d->in_pipe && !dst_full) {
			n = splice(d->pipe[0], NULL, d->dst, NULL, d->in_pipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->in_pipe -= n;
				d->spliced += n;
				p->busy.moved += n;
			} else if (n < 0 && errno == EAGAIN) {
				dst_full = true;
			} else {
				return n < 0 ? -errno : -EPIPE;
			}
		}
	}
	*blocked = dst_full;
	if (!d->in_pipe)
		relay_release(d);
	/* FIN goes on once everything before it has */
	if (d->eof && !d->in_pipe && !d->shut) {
		if (!last)
			shutdown(d->dst, SHUT_WR);
		d->shut = true;
	}
	return 0;
}

/* The directions an event can move: bytes or FIN on a socket move the
 * direction it is the source of, write space the one it is the destination
 * of (the other direction would only answer EAGAIN).
 */
static unsigned int relay_dirs(int which, uint32_t events)
{
	unsigned int dirs = 0;

	if (events & (EPOLLHUP | EPOLLERR))
		return 3;
	if (events & (EPOLLIN | EPOLLRDHUP))
		dirs |= 1u << which;
	if (events & EPOLLOUT)
		dirs |= 1u << !which;
	return dirs;
}

void relay_start(struct proxy *p, struct conn *c, unsigned int dirs)
{
	int err = 0, i;

	for (i = 0; i < 2 && !err; i++) {
		bool blocked = false;

		if (c->dir[i].shut || !(dirs & (1u << i)))
			continue;
		err = relay_dir(p, &c->dir[i], c->dir[!i].shut, &blocked);
		if (!err && blocked && i == 1 && !c->cfd_out)
			err = relay_want_client_space(p, c);
	}
	if (err) {
		pr_debug("relay %s: %s", c->sni, strerror(-err));
		conn_note_error(c, -err);
		conn_close(p, c, true);
		return;
	}
	if (c->dir[0].shut && c->dir[1].shut)
		conn_close(p, c, false);
	else
		conn_publish_bytes(p, c);
}

void relay_event(struct proxy *p, struct conn *c, int which, uint32_t events)
{
	if (events & EPOLLERR) {
		socklen_t len = sizeof(int);
		int e = 0;

		getsockopt(c->cfd, SOL_SOCKET, SO_ERROR, &e, &len);
		if (!e)
			getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &e, &len);
		if (e) {
			conn_note_error(c, e);
			conn_close(p, c, true);	/* RST: pass it on */
			return;
		}
	}
	if (events & (EPOLLRDHUP | EPOLLHUP))
		c->dir[which].src_hup = true;
	relay_start(p, c, relay_dirs(which, events));
}
