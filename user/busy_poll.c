// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/busy_poll.c - adaptive polling of the event loop (--busy-poll).
 *
 * A relayed round trip wakes the daemon twice, and on a VM waking an idle
 * vCPU costs tens of microseconds: more than the relay's own work, and the
 * whole of snigate's latency above direct TCP. So a wait first polls epoll
 * without sleeping for a short window. The window adapts the way KVM's halt
 * polling does: it grows while events come soon after a sleep began (within
 * twice the maximum: a longer poll would have caught them) and halves when
 * one came later than that. A gateway whose events are further apart than
 * that, idle or lightly loaded, stops polling and sleeps as before; one that
 * always has events never waits at all. Polls that caught nothing may cost
 * at most half a core: a load whose events come just after the window,
 * again and again, would otherwise keep a core busy for nothing. (Measured
 * on the bench's ping-pong: such polls take 30-50% of a core there, and a
 * smaller budget gave back most of the latency gained.)
 *
 * Waits sleep at once for a millisecond after a round that moved bulk
 * (BUSY_POLL_BULK_BYTES or more). There the next event is the peer's ACK or
 * next window of data, and a poll only takes the CPU the client and server
 * need: measured on a 1-stream download, polling cost the gateway 20% more
 * CPU per byte and no throughput. Not only the wait right after the big
 * round: between two of them come small ones (a FIN, write space with
 * nothing left to write). Request and answer traffic keeps polling.
 */
#include "busy_poll.h"
#include "mono.h"

#define WIN_START_NS	10000		/* first window after a short sleep */
#define WIN_MIN_NS	2000		/* below this a window is not worth a poll */
#define BUDGET_PERIOD_NS 100000000ULL	/* polls that caught nothing may cost at most */
#define BUDGET_NS	50000000ULL	/* 50% of a core per 100 ms */

void busy_poll_adapt(struct busy_poll *bp, uint64_t slept_ns)
{
	/* what a sleep measures includes the wake-up itself, which is what
	 * polling saves: judge against twice the maximum, or a window that
	 * once closed could never open again
	 */
	if (slept_ns > 2 * bp->max_ns) {
		bp->win_ns /= 2;
		if (bp->win_ns < WIN_MIN_NS)
			bp->win_ns = 0;
	} else if (slept_ns > bp->win_ns) {
		bp->win_ns = bp->win_ns ? bp->win_ns * 2 : WIN_START_NS;
		if (bp->win_ns > bp->max_ns)
			bp->win_ns = bp->max_ns;
	}
}

int busy_poll_wait(struct busy_poll *bp, int epfd, struct epoll_event *evs, int n)
{
	uint64_t start, now;
	int got;

	if (!bp->max_ns)
		return epoll_wait(epfd, evs, n, -1);
	start = mono_ns();
	if (bp->moved >= BUSY_POLL_BULK_BYTES)
		bp->bulk_until = start + BUSY_POLL_BULK_NS;
	bp->moved = 0;
	if (start - bp->period_start >= BUDGET_PERIOD_NS) {
		bp->period_start = start;
		bp->wasted_ns = 0;
	}
	if (bp->win_ns && start >= bp->bulk_until && bp->wasted_ns < BUDGET_NS) {
		do {
			got = epoll_wait(epfd, evs, n, 0);
			if (got)
				return got;	/* caught (or EINTR): the window stays */
			now = mono_ns();
		} while (now - start < bp->win_ns);
		bp->wasted_ns += now - start;
	}
	got = epoll_wait(epfd, evs, n, -1);
	busy_poll_adapt(bp, mono_ns() - start);
	return got;
}
