/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* tests/bpf/pkt.h - what tests/bpf/runner.c and tests/bpf/diff.c share: the
 * user-space sni_load() over a buffer (so both include the one parser,
 * include/sni_parse.h) and the fake packet an skb test run needs.
 * Include after <string.h>, <stdlib.h> and <linux/types.h>.
 */
#ifndef __SNIGATE_TEST_PKT_H
#define __SNIGATE_TEST_PKT_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define TEST_HDR_LEN	54	/* Ethernet 14 + IPv4 20 + TCP 20, as test_sni.bpf.c */
#define TEST_ETH_LEN	14	/* Ethernet only, as test_sni_xdp.bpf.c */
/* skb test_run takes linear data only: PAGE_SIZE minus headroom and
 * skb_shared_info, 3712 bytes on x86-64 6.18. An EINVAL above this size is
 * that limit, not a failure.
 */
#define TEST_RUN_SMALL	3000

/* User-space side of the differential check: a buffer behind sni_load(). */
struct mem {
	const __u8 *p;
	__u32 len;
};

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 n)
{
	struct mem *m = src;

	if (off > m->len || n > m->len - off)
		return -1;
	memcpy(dst, m->p + off, n);
	return 0;
}

#include "sni_parse.h"

static inline __u16 ip_csum(const __u8 *p, __u32 len)
{
	__u32 sum = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Ethernet + IPv4 + TCP (10.0.0.1:40000 -> 10.0.0.2:443, PSH|ACK), then
 * payload; or, with eth_only, just an Ethernet header (XDP runs).
 */
static inline __u8 *make_pkt(const __u8 *payload, __u32 len, int eth_only, __u32 *pkt_len)
{
	__u32 hdr = eth_only ? TEST_ETH_LEN : TEST_HDR_LEN;
	__u8 *p = calloc(1, hdr + len + 1);
	__u8 *ip = p + 14, *tcp = p + 34;
	__u32 tot = 20 + 20 + len;
	__u16 csum;

	if (!p)
		abort();
	memcpy(p, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
	if (!eth_only) {
		ip[0] = 0x45;			/* version 4, IHL 5 */
		ip[2] = tot >> 8;
		ip[3] = tot;
		ip[6] = 0x40;			/* DF */
		ip[8] = 64;			/* TTL */
		ip[9] = 6;			/* TCP */
		memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		csum = ip_csum(ip, 20);
		ip[10] = csum >> 8;
		ip[11] = csum;
		memcpy(tcp, "\x9c\x40\x01\xbb\x00\x00\x00\x01\x00\x00\x00\x01\x50\x18\xff\xff",
		       16);
	}
	if (len)
		memcpy(p + hdr, payload, len);
	*pkt_len = hdr + len;
	return p;
}

#endif /* __SNIGATE_TEST_PKT_H */
