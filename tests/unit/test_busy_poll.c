// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/unit/test_busy_poll.c - user/busy_poll.c, no root: how the polling
 * window grows, caps and falls back to plain sleeping, and that a wait
 * returns what epoll has (an eventfd, a timerfd that fires later), the
 * budget of polls that caught nothing, and no polling after bulk rounds.
 * Prints `[unit/busy_poll <check>] PASS|FAIL: why`.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include "busy_poll.h"

static int failed, passed;

static void report(const char *name, const char *bad)
{
	if (bad[0]) {
		printf("[unit/busy_poll %s] FAIL: %s\n", name, bad);
		failed++;
	} else {
		printf("[unit/busy_poll %s] PASS\n", name);
		passed++;
	}
}

static void check_adapt(void)
{
	struct busy_poll bp = { .max_ns = 50000 };
	char bad[160] = "";
	int i;

	busy_poll_adapt(&bp, 1000000);		/* idle: a long sleep */
	if (bp.win_ns)
		snprintf(bad, sizeof(bad), "long sleep opened a window of %llu ns",
			 (unsigned long long)bp.win_ns);
	busy_poll_adapt(&bp, 45000);		/* an event 45 us after the sleep began */
	if (!bad[0] && bp.win_ns != 10000)
		snprintf(bad, sizeof(bad), "first window %llu ns, want 10000",
			 (unsigned long long)bp.win_ns);
	for (i = 0; i < 5; i++)
		busy_poll_adapt(&bp, 45000);
	if (!bad[0] && bp.win_ns != 50000)
		snprintf(bad, sizeof(bad), "window %llu ns after short sleeps, want the maximum 50000",
			 (unsigned long long)bp.win_ns);
	busy_poll_adapt(&bp, 20000);		/* inside the window: stays */
	if (!bad[0] && bp.win_ns != 50000)
		snprintf(bad, sizeof(bad), "window moved to %llu ns on a caught event",
			 (unsigned long long)bp.win_ns);
	busy_poll_adapt(&bp, 90000);		/* wake-up included: still soon */
	if (!bad[0] && bp.win_ns != 50000)
		snprintf(bad, sizeof(bad), "window %llu ns after a 90 us sleep, want 50000 kept",
			 (unsigned long long)bp.win_ns);
	busy_poll_adapt(&bp, 200000);
	if (!bad[0] && bp.win_ns != 25000)
		snprintf(bad, sizeof(bad), "window %llu ns after a long sleep, want halved to 25000",
			 (unsigned long long)bp.win_ns);
	for (i = 0; i < 5; i++)
		busy_poll_adapt(&bp, 200000);
	if (!bad[0] && bp.win_ns)
		snprintf(bad, sizeof(bad), "window %llu ns after long sleeps, want 0 (sleep only)",
			 (unsigned long long)bp.win_ns);
	report("adapt", bad);

	memset(bad, 0, sizeof(bad));
	bp = (struct busy_poll){ .max_ns = 0 };
	busy_poll_adapt(&bp, 10);
	if (bp.win_ns)
		snprintf(bad, sizeof(bad), "--busy-poll 0 opened a window");
	report("off", bad);
}

static void check_wait(void)
{
	struct itimerspec its = { .it_value.tv_nsec = 2000000 };	/* 2 ms */
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	struct busy_poll bp = { .max_ns = 50000, .win_ns = 50000 };
	int ep = epoll_create1(0), efd = eventfd(1, 0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	char bad[160] = "";
	int n;

	ev.data.fd = efd;
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	n = busy_poll_wait(&bp, ep, out, 4);
	if (n != 1 || out[0].data.fd != efd)
		snprintf(bad, sizeof(bad), "pending eventfd: got %d events", n);
	else if (bp.win_ns != 50000)
		snprintf(bad, sizeof(bad), "window changed to %llu on a pending event",
			 (unsigned long long)bp.win_ns);
	report("wait_pending", bad);

	memset(bad, 0, sizeof(bad));
	epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	timerfd_settime(tfd, 0, &its, NULL);
	n = busy_poll_wait(&bp, ep, out, 4);	/* polls 50 us, then sleeps to the timer */
	if (n != 1 || out[0].data.fd != tfd)
		snprintf(bad, sizeof(bad), "timer 2 ms away: got %d events", n);
	else if (bp.win_ns != 25000)
		snprintf(bad, sizeof(bad), "window %llu ns after a 2 ms sleep, want 25000",
			 (unsigned long long)bp.win_ns);
	report("wait_sleeps", bad);

	/* the budget: a poll that caught nothing is counted; once 50 ms of
	 * them are spent in the current 100 ms, waits sleep at once
	 */
	memset(bad, 0, sizeof(bad));
	bp = (struct busy_poll){ .max_ns = 50000, .win_ns = 50000 };
	timerfd_settime(tfd, 0, &its, NULL);
	n = busy_poll_wait(&bp, ep, out, 4);
	if (n != 1 || bp.wasted_ns < 50000)
		snprintf(bad, sizeof(bad), "a 50 us poll that caught nothing counted %llu ns",
			 (unsigned long long)bp.wasted_ns);
	bp.win_ns = 50000;
	bp.wasted_ns = 50000000;
	timerfd_settime(tfd, 0, &its, NULL);
	n = busy_poll_wait(&bp, ep, out, 4);
	if (!bad[0] && (n != 1 || bp.wasted_ns != 50000000))
		snprintf(bad, sizeof(bad), "budget spent, yet it polled: %llu ns counted",
			 (unsigned long long)bp.wasted_ns);
	report("budget", bad);

	/* bulk: after a round that moved 64 KiB, waits sleep at once for 1 ms,
	 * also after small rounds in between; then polling comes back
	 */
	memset(bad, 0, sizeof(bad));
	bp = (struct busy_poll){ .max_ns = 50000, .win_ns = 50000, .moved = BUSY_POLL_BULK_BYTES };
	its.it_value.tv_nsec = 200000;		/* 0.2 ms: both waits end inside the 1 ms */
	timerfd_settime(tfd, 0, &its, NULL);
	n = busy_poll_wait(&bp, ep, out, 4);
	if (n != 1 || bp.wasted_ns || bp.moved)
		snprintf(bad, sizeof(bad), "after a bulk round: polled %llu ns, moved left at %llu",
			 (unsigned long long)bp.wasted_ns, (unsigned long long)bp.moved);
	bp.win_ns = 50000;
	bp.moved = 100;
	timerfd_settime(tfd, 0, &its, NULL);
	n = busy_poll_wait(&bp, ep, out, 4);
	if (!bad[0] && (n != 1 || bp.wasted_ns))
		snprintf(bad, sizeof(bad), "small round inside the bulk millisecond polled %llu ns",
			 (unsigned long long)bp.wasted_ns);
	bp.win_ns = 50000;
	bp.bulk_until = 0;		/* the millisecond is over */
	timerfd_settime(tfd, 0, &its, NULL);
	n = busy_poll_wait(&bp, ep, out, 4);
	if (!bad[0] && (n != 1 || bp.wasted_ns < 50000))
		snprintf(bad, sizeof(bad), "after the bulk millisecond it did not poll (%llu ns)",
			 (unsigned long long)bp.wasted_ns);
	report("bulk", bad);
	close(ep), close(efd), close(tfd);
}

int main(void)
{
	check_adapt();
	check_wait();
	printf("unit/busy_poll: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
