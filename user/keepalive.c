// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/keepalive.c - see keepalive.h. No TCP_USER_TIMEOUT: it would also
 * kill a client that keeps its window closed (a slow reader) for that long;
 * a peer that vanishes with data in flight is --idle-timeout's job.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "keepalive.h"

int keepalive_set(int fd, int idle_s)
{
	int on = 1, intvl = idle_s / 6 > 0 ? idle_s / 6 : 1, cnt = KEEPALIVE_PROBES;

	if (idle_s <= 0)
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle_s, sizeof(idle_s)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) ||
	    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)))
		return -errno;
	return 0;
}
