/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bpf/lib/policy.h - the policy maps and the name -> verdict decision, shared
 * by bpf/gateway.bpf.c and bpf/filter.bpf.c. The maps are pinned by name, so
 * `snigate proxy` and `snigate filter` started with the same --pin-dir use one
 * policy, whichever started first creates it, and `snigate allow add` changes
 * both. Include after include/sni_parse.h (struct sni_result).
 */
#ifndef __SNIGATE_POLICY_H
#define __SNIGATE_POLICY_H

/* Pattern -> rule, reversed-name LPM trie (include/policy_match.h). */
#define POLICY_TRIE_DEF						\
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);			\
	__uint(max_entries, SNIGATE_POLICY_MAX);		\
	__type(key, struct snigate_policy_key);			\
	__type(value, struct snigate_policy_val);		\
	__uint(map_flags, BPF_F_NO_PREALLOC)

struct policy_trie {
	POLICY_TRIE_DEF;
};

/* The trie in force, pinned: the CLI edits it in place. */
struct {
	POLICY_TRIE_DEF;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snigate_policy SEC(".maps");

/* The slot the verdict reads the trie from: a reload builds a new trie and
 * swaps it in with one update, so no verdict sees a half-loaded policy.
 * Pinned: a reused slot keeps pointing at the trie in force (libbpf fills
 * the initial value only when it creates the map).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct policy_trie);	/* last: a flexible array */
} snigate_polsel SEC(".maps") = {
	.values = { [0] = (struct policy_trie *)&snigate_policy },
};

/* Default verdict and flow-control threshold, written by `snigate proxy` at
 * start. All zero (no proxy yet) reads as default deny.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snigate_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} snigate_config SEC(".maps");

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
} snigate_scratch SEC(".maps");

static __always_inline const struct snigate_policy_val *
policy_lookup(void *map, const struct snigate_policy_key *key)
{
	return bpf_map_lookup_elem(map, key);
}

#include "policy_match.h"

static __always_inline enum snigate_verdict policy_default(void)
{
	struct snigate_config *cfg;
	__u32 zero = 0;

	cfg = bpf_map_lookup_elem(&snigate_config, &zero);
	return cfg && cfg->default_verdict == SNIGATE_VERDICT_ALLOW ? SNIGATE_VERDICT_ALLOW
								      : SNIGATE_VERDICT_DENY;
}

/* Decide for the name in s->res. A global function: the verifier checks the
 * policy walk once, with unknown arguments, instead of once per name length.
 * Returns the verdict in bits 0-7, the reason in bits 8-15.
 */
__noinline int snigate_decide(struct scratch *s, __u32 dflt)
{
	enum snigate_reason reason = SNIGATE_REASON_DEFAULT;
	enum snigate_verdict verdict = SNIGATE_VERDICT_DENY;	/* no policy: fail closed */
	__u32 zero = 0, len;
	void *trie;

	if (!s)
		return verdict | reason << 8;
	len = s->res.name_len;
	if (len == 0 || len > SNIGATE_HOST_MAX)
		return verdict | SNIGATE_REASON_BAD_NAME << 8;
	trie = bpf_map_lookup_elem(&snigate_polsel, &zero);
	if (trie) {
		__builtin_memset(&s->key, 0, sizeof(s->key));
		policy_make_key(s->res.name, len, &s->key);
		verdict = policy_decide(trie, &s->key, dflt, &reason);
	}
	return verdict | reason << 8;
}

#endif /* __SNIGATE_POLICY_H */
