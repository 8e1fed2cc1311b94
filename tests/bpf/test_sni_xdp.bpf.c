// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/bpf/test_sni_xdp.bpf.c - the parser of include/sni_parse.h in an XDP
 * program that takes multi-buffer packets (xdp.frags).
 *
 * skb test runs take linear data only (about a page), so test_sni.bpf.c
 * cannot see a 16 KB hello or a large fuzz input. An XDP test run puts what
 * does not fit the first page into fragments, and bpf_xdp_load_bytes() reads
 * across them the way bpf_skb_load_bytes() reads across an skb's frags.
 * tests/bpf/runner.c compares what this gives with the user-space parse.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "snigate_abi.h"

#define TEST_XDP_HDR_LEN	14	/* Ethernet only: XDP test runs parse no L3 */
#define TEST_RC_SHORT		100	/* packet shorter than the Ethernet header */
#define TEST_RC_NOMEM		101	/* scratch lookup failed */

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len)
{
	return bpf_xdp_load_bytes(src, TEST_XDP_HDR_LEN + off, dst, len);
}

#include "sni_parse.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Per-CPU scratch: struct sni_result does not fit the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sni_result);
} xdp_scratch SEC(".maps");

/* Read back by the runner after each run (the program itself returns
 * XDP_PASS, whatever the verifier thinks of other return values).
 */
struct sni_result xdp_result;
int xdp_rc;

/* A global function, as in the gateway: verified once with unknown arguments. */
__noinline int xdp_parse(struct xdp_md *ctx, struct sni_result *res)
{
	__u64 len;

	if (!ctx || !res)
		return SNI_BAD;
	len = bpf_xdp_get_buff_len(ctx);
	if (len < TEST_XDP_HDR_LEN)
		return TEST_RC_SHORT;
	return sni_parse(ctx, len - TEST_XDP_HDR_LEN, res);
}

SEC("xdp.frags")
int test_sni_xdp_prog(struct xdp_md *ctx)
{
	struct sni_result *res;
	__u32 zero = 0;
	int rc;

	xdp_rc = TEST_RC_NOMEM;
	res = bpf_map_lookup_elem(&xdp_scratch, &zero);
	if (!res)
		return XDP_PASS;
	__builtin_memset(res, 0, sizeof(*res));
	rc = xdp_parse(ctx, res);
	__builtin_memcpy(&xdp_result, res, sizeof(xdp_result));
	xdp_rc = rc;
	return XDP_PASS;
}
