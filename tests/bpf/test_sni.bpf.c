// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/bpf/test_sni.bpf.c - BPF_PROG_TEST_RUN wrapper for the shared code.
 *
 * sk_skb programs cannot be test-run, so this tc program runs the same
 * include/sni_parse.h and include/policy_match.h the gateway runs, shaped
 * like bpf/gateway.bpf.c (global parse and decide functions, per-CPU
 * scratch), on a packet whose payload starts after a fake Ethernet + IPv4 +
 * TCP header. tests/bpf/runner.c seeds test_policy, runs the vectors and
 * reads result/verdict/reason back through the skeleton's bss.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "snigate_abi.h"

#define TEST_HDR_LEN	54	/* Ethernet 14 + IPv4 20 + TCP 20 */
#define TEST_RC_SHORT	100	/* packet shorter than the fake headers */
#define TEST_RC_NOMEM	101	/* scratch lookup failed */

static __always_inline int sni_load(void *src, __u32 off, void *dst, __u32 len)
{
	return bpf_skb_load_bytes(src, TEST_HDR_LEN + off, dst, len);
}

#include "sni_parse.h"

/* Policy rules, same key/value and flags as snigate_policy. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__type(key, struct snigate_policy_key);
	__type(value, struct snigate_policy_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} test_policy SEC(".maps");

/* Per-CPU scratch: too big for the 512-byte stack. */
struct scratch {
	struct sni_result res;
	struct snigate_policy_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} test_scratch SEC(".maps");

static __always_inline const struct snigate_policy_val *
policy_lookup(void *map, const struct snigate_policy_key *key)
{
	return bpf_map_lookup_elem(map, key);
}

#include "policy_match.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Read back by the runner after each run. */
struct sni_result result;
int verdict, reason;
__u32 default_verdict;		/* set by the runner */

/* Global functions, as in the gateway: verified once with unknown arguments. */
__noinline int test_parse(struct __sk_buff *skb, struct sni_result *res)
{
	if (!skb || !res)
		return SNI_BAD;
	if (skb->len < TEST_HDR_LEN)
		return TEST_RC_SHORT;
	return sni_parse(skb, skb->len - TEST_HDR_LEN, res);
}

/* Returns the verdict in bits 0-7, the reason in bits 8-15. */
__noinline int test_decide(struct scratch *s, __u32 dflt)
{
	enum snigate_reason why = SNIGATE_REASON_DEFAULT;
	enum snigate_verdict v;
	__u32 len;

	if (!s)
		return SNIGATE_VERDICT_DENY | SNIGATE_REASON_DEFAULT << 8;
	len = s->res.name_len;
	if (len == 0 || len > SNIGATE_HOST_MAX)
		return SNIGATE_VERDICT_DENY | SNIGATE_REASON_BAD_NAME << 8;
	__builtin_memset(&s->key, 0, sizeof(s->key));
	policy_make_key(s->res.name, len, &s->key);
	v = policy_decide(&test_policy, &s->key, dflt, &why);
	return v | why << 8;
}

SEC("tc")
int test_sni_prog(struct __sk_buff *skb)
{
	struct scratch *s;
	__u32 zero = 0;
	int rc, d;

	verdict = SNIGATE_VERDICT_NONE;
	reason = -1;
	s = bpf_map_lookup_elem(&test_scratch, &zero);
	if (!s)
		return TEST_RC_NOMEM;
	__builtin_memset(&s->res, 0, sizeof(s->res));

	rc = test_parse(skb, &s->res);
	__builtin_memcpy(&result, &s->res, sizeof(result));
	if (rc == SNI_OK) {
		d = test_decide(s, default_verdict);
		verdict = d & 0xff;
		reason = (d >> 8) & 0xff;
	} else if (rc != SNI_FRAGMENTED && rc != SNI_AGAIN) {
		verdict = SNIGATE_VERDICT_DENY;	/* as the gateway: no name, no entry */
		reason = sni_rc_reason(rc);
	}
	return rc;
}
