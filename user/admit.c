// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/admit.c - who gets accepted (admit.h).
 *
 * Over --max-conns, or out of file descriptors, a new connection is
 * accepted and reset at once (SO_LINGER 0): the client learns now instead of
 * at its connect timeout, and no connection stays in the backlog, where
 * level-triggered epoll would report the listener again and again (an accept
 * loop at 100% CPU). Out of descriptors (EMFILE/ENFILE), a descriptor kept in
 * reserve is given up for that one accept. Refusals are counted
 * (denied_by_reason.limit, written on the tick: two system calls each would
 * double the cost of a refusal) and logged at most once per ADMIT_LOG_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <bpf/libbpf.h>
#include "admit.h"
#include "log.h"
#include "mono.h"
#include "proxy_int.h"

#define ADMIT_LOG_MS 5000

int admit_init(struct proxy *p)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			pr_info("file descriptor limit raised from %llu to %llu", (unsigned long long)was,
				(unsigned long long)rl.rlim_max);
	}
	/* libbpf reads the CPU count from a file on first use: not at the fd limit */
	libbpf_num_possible_cpus();
	p->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return p->reserve_fd < 0 ? -errno : 0;
}

void admit_fini(struct proxy *p)
{
	if (p->reserve_fd >= 0)
		close(p->reserve_fd);
	p->reserve_fd = -1;
}

static void refuse(struct proxy *p, int fd, const char *why)
{
	struct linger lin = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin));
	close(fd);
	p->refused++;
	p->refused_unlogged++;
	p->refused_why = why;
	if (mono_ms() >= p->refused_log_ms + ADMIT_LOG_MS)
		admit_tick(p);
}

/* Stop (or resume) hearing about new connections on every listener. */
static void listeners_arm(struct proxy *p, bool on)
{
	int i;

	for (i = 0; i < p->o->nlisten; i++) {
		struct epoll_event ev = { .events = on ? EPOLLIN : 0,
					  .data.ptr = &p->listen_ref[i] };

		if (p->listen_fd[i] >= 0)
			epoll_ctl(p->epfd, EPOLL_CTL_MOD, p->listen_fd[i], &ev);
	}
	p->listen_paused = !on;
}

/* Out of descriptors (accept fails so before it looks for a connection):
 * refuse one waiting connection with the reserved descriptor. Returns 1 when
 * one was refused, 0 when none was waiting, -errno when even that failed
 * (then the listeners pause a tick).
 */
static int refuse_without_fds(struct proxy *p, int lfd)
{
	int fd, err;

	if (p->reserve_fd < 0)
		return -EMFILE;
	close(p->reserve_fd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	err = errno;
	if (fd >= 0)
		refuse(p, fd, "out of file descriptors (raise ulimit -n / LimitNOFILE, or set --max-conns)");
	p->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err == EAGAIN || err == EINTR || err == ECONNABORTED ? 0 : -err;
	return p->reserve_fd >= 0 ? 1 : -EMFILE;
}

/* Accept in batches: each accepted client's hello may reach the hello ring
 * at once, and the ring is consumed between batches (the listener is
 * level-triggered, so what is left comes back in the next loop pass).
 */
#define ACCEPT_BATCH 16

void admit_accept(struct proxy *p, int which)
{
	int lfd = p->listen_fd[which], fd, rc, n;
	struct sockaddr_storage peer;
	socklen_t len;

	for (n = 0; n < ACCEPT_BATCH; n++) {
		len = sizeof(peer);
		fd = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			rc = -errno;
			if (rc == -EAGAIN || rc == -EINTR || rc == -ECONNABORTED)
				return;
			if (rc == -EMFILE || rc == -ENFILE) {
				rc = refuse_without_fds(p, lfd);
				if (rc > 0)
					continue;
				if (rc == 0)
					return;
			}
			/* nothing we can do this moment (ENOBUFS, ENOMEM, no
			 * reserve): stop listening until the next tick
			 */
			pr_warn("accept: %s: pausing new connections for a moment", strerror(-rc));
			listeners_arm(p, false);
			return;
		}
		/* with --workers the limit is the gateway's, not each worker's:
		 * the kernel's spreading of connections need not be even
		 */
		if (p->o->max_conns &&
		    (p->all_conns ? __atomic_load_n(p->all_conns, __ATOMIC_RELAXED) : p->nconns) >=
			    p->o->max_conns) {
			refuse(p, fd, "--max-conns reached");
			continue;
		}
		conn_accept(p, fd, &peer, &p->o->listen[which]);
	}
}

void admit_tick(struct proxy *p)
{
	uint64_t now = mono_ms();

	if (p->listen_paused && !p->draining) {
		if (p->reserve_fd < 0)
			p->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		listeners_arm(p, true);
	}
	if (p->refused) {
		proxy_stat_add_n(p, SNIGATE_STAT_DENY_BASE + SNIGATE_REASON_LIMIT, p->refused);
		p->refused = 0;
	}
	if (p->refused_unlogged && now >= p->refused_log_ms + ADMIT_LOG_MS) {
		pr_warn("%s: reset %llu new connection%s (%d open; this message at most every %d s)",
			p->refused_why, (unsigned long long)p->refused_unlogged,
			p->refused_unlogged == 1 ? "" : "s", p->nconns, ADMIT_LOG_MS / 1000);
		p->refused_unlogged = 0;
		p->refused_log_ms = now;
	}
}
