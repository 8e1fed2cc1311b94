/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/tls_hello.h - the user-space side of the hello: records the kernel
 * could not finish, and the alert that refuses a client.
 */
#ifndef __SNIGATE_TLS_HELLO_H
#define __SNIGATE_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* sni_load() for a memory buffer */
struct sni_mem {
	const uint8_t *data;
	size_t len;
};

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len)
{
	const struct sni_mem *m = src;

	if ((size_t)off + len > m->len)
		return -1;
	__builtin_memcpy(dst, m->data + off, len);
	return 0;
}

#include "sni_parse.h"

#define TLS_ALERT_ACCESS_DENIED		49
#define TLS_ALERT_INTERNAL_ERROR	80

struct tls_hello {
	struct sni_result res;
};

/* Join a ClientHello split over several handshake records and run the one
 * parser on it. Returns SNI_AGAIN while records are missing, else sni_parse's
 * result.
 */
enum sni_rc tls_hello_reassemble(const uint8_t *buf, size_t len, struct tls_hello *h);

/* Send a fatal alert (no-op for desc 0). */
void tls_send_alert(int fd, uint8_t desc);

#endif /* __SNIGATE_TLS_HELLO_H */
