// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/workers.c - `snigate proxy --workers N`: N processes, one gateway.
 *
 * One event loop uses one CPU; with several, more connections' relays run
 * at once. Each worker is a whole daemon of its own (BPF object, hello ring,
 * epoll, resolver) with its own listener on the same address
 * (SO_REUSEPORT: the kernel spreads new connections over them). They share
 * only what is pinned: the policy, the counters and the socket states, so
 * `snigate allow|stats|conns` see one gateway. Processes, not threads: no
 * state of a connection is ever touched by two workers.
 *
 * Start: worker 0 first; it owns the pins (clears a previous run's socket
 * states, loads --allow-file). The others start once it listens, and join
 * its pins without clearing them. This process then only supervises:
 * SIGTERM and SIGINT go to every worker (each drains its own connections),
 * SIGHUP to worker 0 (it swaps the shared policy). A worker that dies stops
 * the others too, so the service manager sees the failure and restarts the
 * whole gateway; each worker dies with this process (PR_SET_PDEATHSIG).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "proxy.h"

#define WORKERS_MAX 64

static pid_t pids[WORKERS_MAX];
static int *all_conns;		/* shared: open connections of every worker */

/* Fork worker index; returns its pid, or -errno. ready_fd: its end of the
 * ready pipe, or -1.
 */
static pid_t worker_start(const struct proxy_opts *o, int index, int ready_fd, pid_t parent)
{
	sigset_t none;
	pid_t pid;
	int err;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid < 0 ? -errno : pid;
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(EXIT_FAILURE);	/* the supervisor is already gone */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	err = proxy_worker(o, index, ready_fd, all_conns);
	fflush(stdout);
	_exit(err ? EXIT_FAILURE : EXIT_SUCCESS);
}

static void signal_all(int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], sig);
}

/* Reap what has exited; returns how many are still running. *failed: one
 * exited with an error or by a signal.
 */
static int reap(int n, bool *failed, bool stopping)
{
	int i, status, alive = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n)
			continue;
		pids[i] = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && stopping)
			continue;
		*failed = true;
		if (WIFSIGNALED(status))
			pr_warn("worker %d/%d (pid %d) was killed by signal %d", i + 1, n, pid,
				WTERMSIG(status));
		else
			pr_warn("worker %d/%d (pid %d) exited with status %d", i + 1, n, pid,
				WEXITSTATUS(status));
	}
	for (i = 0; i < n; i++)
		alive += pids[i] > 0;
	return alive;
}

int workers_run(const struct proxy_opts *o)
{
	int n = o->workers, ncpu = libbpf_num_possible_cpus(), ready[2], i, sig;
	bool failed = false, stopping = false;
	pid_t self = getpid();
	sigset_t mask;
	char b;

	if (n > WORKERS_MAX || (ncpu > 0 && n > ncpu)) {
		pr_warn("--workers %d: at most one per CPU (%d here)", n, ncpu > 0 ? ncpu : 1);
		return -EINVAL;
	}
	/* blocked before the first fork: no signal is lost in between */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	/* one page every worker maps: --max-conns counts all their connections */
	all_conns = mmap(NULL, sizeof(*all_conns), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	if (all_conns == MAP_FAILED)
		return -errno;
	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	pids[0] = worker_start(o, 0, ready[1], self);
	close(ready[1]);
	if (pids[0] < 0 || read(ready[0], &b, 1) != 1) {
		/* worker 0 said why; it exits */
		close(ready[0]);
		if (pids[0] > 0)
			waitpid(pids[0], NULL, 0);
		return -EIO;
	}
	close(ready[0]);
	for (i = 1; i < n; i++) {
		pids[i] = worker_start(o, i, -1, self);
		if (pids[i] < 0) {
			pr_warn("cannot start worker %d: %s", i + 1, strerror(-pids[i]));
			pids[i] = 0;
			failed = stopping = true;
			signal_all(n, SIGTERM);
			break;
		}
	}
	if (!failed)
		pr_info("%d workers started", n);

	while (reap(n, &failed, stopping)) {
		if (failed && !stopping) {
			pr_warn("stopping the other workers: the gateway runs whole or not at all");
			stopping = true;
			signal_all(n, SIGTERM);
		}
		sig = sigwaitinfo(&mask, NULL);
		if (sig == SIGHUP) {
			if (pids[0] > 0)
				kill(pids[0], SIGHUP);
		} else if (sig == SIGINT || sig == SIGTERM) {
			/* a second one makes the workers close at once */
			stopping = true;
			signal_all(n, sig);
		}
	}
	return failed ? -EIO : 0;
}
