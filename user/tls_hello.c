// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/tls_hello.c - hello reassembly across records, fatal alerts. */
#include <string.h>
#include <sys/socket.h>
#include "tls_hello.h"

enum sni_rc tls_hello_reassemble(const uint8_t *buf, size_t len, struct tls_hello *h)
{
	/* record header + the handshake message, which the parser accepts
	 * only within one TLS plaintext record
	 */
	static uint8_t msg[SNI_RECORD_HDR + SNI_RECORD_MAX];
	size_t off = 0, have = 0, need = 0;
	struct sni_mem m;

	memset(h, 0, sizeof(*h));
	while (off + SNI_RECORD_HDR <= len) {
		size_t rec = (size_t)buf[off + 3] << 8 | buf[off + 4];

		if (buf[off] != 0x16 || buf[off + 1] != 3)
			return have ? SNI_BAD : SNI_NOT_TLS;
		if (rec == 0 || rec > SNI_RECORD_MAX)
			return SNI_BAD;
		if (off + SNI_RECORD_HDR + rec > len)
			return SNI_AGAIN;
		if (have + rec > SNI_RECORD_MAX)
			return SNI_OVERSIZE;
		memcpy(msg + SNI_RECORD_HDR + have, buf + off + SNI_RECORD_HDR, rec);
		have += rec;
		off += SNI_RECORD_HDR + rec;
		if (have >= SNI_HS_HDR) {
			const uint8_t *hs = msg + SNI_RECORD_HDR;

			need = SNI_HS_HDR + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (need > SNI_RECORD_MAX)
				return SNI_OVERSIZE;
			if (have >= need)
				break;
		}
	}
	if (!need || have < need)
		return SNI_AGAIN;
	if (have > need)
		return SNI_BAD;		/* another message after the hello */
	msg[0] = 0x16;
	msg[1] = 3;
	msg[2] = 1;
	msg[3] = need >> 8;
	msg[4] = need & 0xff;
	m.data = msg;
	m.len = SNI_RECORD_HDR + need;
	return sni_parse(&m, m.len, &h->res);
}

void tls_send_alert(int fd, uint8_t desc)
{
	const uint8_t alert[7] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02 /* fatal */, desc };

	if (desc)
		send(fd, alert, sizeof(alert), MSG_DONTWAIT | MSG_NOSIGNAL);
}
