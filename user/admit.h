/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/admit.h - who gets accepted: --max-conns and the file descriptor
 * limit (user/admit.c). proxy.c calls these; conn.c never does.
 */
#ifndef __SNIGATE_ADMIT_H
#define __SNIGATE_ADMIT_H

struct proxy;

/* Raise the soft fd limit to the hard one and reserve one descriptor.
 * Returns 0 or -errno.
 */
int admit_init(struct proxy *p);

/* Accept what waits on listener `which` (a batch); over a limit, reset it at once. */
void admit_accept(struct proxy *p, int which);

/* On the slow tick: refusals into snigate_stats, the rate-limited log line,
 * listeners re-armed if they had to be paused.
 */
void admit_tick(struct proxy *p);

void admit_fini(struct proxy *p);

#endif /* __SNIGATE_ADMIT_H */
