/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __SNIGATE_BUSY_POLL_H
#define __SNIGATE_BUSY_POLL_H

#include <stdint.h>
#include <sys/epoll.h>

struct busy_poll {
	uint64_t max_ns;	/* --busy-poll; 0: always sleep in epoll_wait */
	uint64_t win_ns;	/* how long the next wait polls before it sleeps */
	uint64_t period_start;	/* the budget's current 100 ms */
	uint64_t wasted_ns;	/* spent in it on polls that caught nothing */
	uint64_t moved;		/* bytes the event loop moved since its last wait */
	uint64_t bulk_until;	/* no polling before this: bulk moved lately */
};

/* A round that relayed this many bytes is bulk: waits sleep at once for
 * BUSY_POLL_BULK_NS after it.
 */
#define BUSY_POLL_BULK_BYTES	65536
#define BUSY_POLL_BULK_NS	1000000

/* epoll_wait(epfd, evs, n, -1), polling first for the adaptive window. */
int busy_poll_wait(struct busy_poll *bp, int epfd, struct epoll_event *evs, int n);

/* The window after a wait of slept_ns; exposed for the unit test. */
void busy_poll_adapt(struct busy_poll *bp, uint64_t slept_ns);

#endif /* __SNIGATE_BUSY_POLL_H */
