/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/keepalive.h - TCP keepalive on the gateway's sockets (--keepalive). */
#ifndef __SNIGATE_KEEPALIVE_H
#define __SNIGATE_KEEPALIVE_H

#define KEEPALIVE_PROBES 3	/* unanswered probes before the kernel gives up */

/* Probe fd's peer after idle_s seconds of silence, then every idle_s / 6
 * (at least 1 s); after KEEPALIVE_PROBES unanswered probes the socket fails
 * with ETIMEDOUT and the relay closes the connection. On a listener the
 * settings are inherited by accepted sockets. idle_s 0: nothing is set.
 * Returns 0 or -errno.
 */
int keepalive_set(int fd, int idle_s);

#endif /* __SNIGATE_KEEPALIVE_H */
