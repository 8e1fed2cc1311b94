/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* include/policy_match.h - host name -> verdict against the policy LPM trie.
 *
 * Shared by bpf/gateway.bpf.c (the verdict), user/ (`snigate allow test`) and
 * the unit tests. The includer defines the lookup:
 *
 *   static __always_inline const struct snigate_policy_val *
 *   policy_lookup(void *map, const struct snigate_policy_key *key);
 *
 * Keys are reversed names ending in '.', so "a.github.com" is looked up as
 * "moc.buhtig.a." and every stored key that is a prefix of it sits on a label
 * boundary: "moc.buhtig." (github.com) matches, "moc.buhtiglive." never does.
 * The longest match is the most specific rule; when its forms do not apply
 * (an exact rule seen from a subdomain, a "*." rule seen from its own name)
 * the lookup is repeated with a shorter prefix.
 */
#ifndef __POLICY_MATCH_H
#define __POLICY_MATCH_H

#include "snigate_abi.h"

/* Fill key with the reversed name plus '.'. name must be a normalized host
 * name of 1..SNIGATE_HOST_MAX bytes. Returns the key length in bytes.
 */
static __always_inline __u32 policy_make_key(const char *name, __u32 len,
					     struct snigate_policy_key *key)
{
	__u32 i;

	for (i = 0; i < SNIGATE_HOST_MAX; i++) {
		if (i >= len)
			break;
		key->rname[i & 0xff] = name[(len - 1 - i) & 0xff];
	}
	key->rname[len & 0xff] = '.';
	key->prefixlen = (len + 1) * 8;
	return len + 1;
}

/* The rule bits of v that apply to a host whose key is klen bytes long. */
static __always_inline enum snigate_rule policy_applies(const struct snigate_policy_val *v,
							__u32 klen)
{
	if (v->rlen == klen)
		return v->exact | v->domain;		/* the name itself */
	return v->subdomains | v->domain;		/* a subdomain of it */
}

/* Decide for a host whose key policy_make_key() filled. key is clobbered.
 * Sets *reason to MATCH or DEFAULT.
 */
static __always_inline enum snigate_verdict policy_decide(void *map, struct snigate_policy_key *key,
							  enum snigate_verdict dflt,
							  enum snigate_reason *reason)
{
	/* read back from memory: the BPF verifier then treats the length as
	 * unknown and checks the walk once, not once per name length
	 */
	__u32 klen = ((volatile struct snigate_policy_key *)key)->prefixlen / 8;
	const struct snigate_policy_val *v;
	enum snigate_rule rule;
	__u32 i;

	for (i = 0; i < SNIGATE_MAX_LABELS; i++) {
		v = policy_lookup(map, key);
		if (!v)
			break;
		rule = policy_applies(v, klen);
		if (rule) {
			*reason = SNIGATE_REASON_MATCH;
			return (rule & SNIGATE_RULE_DENY) ? SNIGATE_VERDICT_DENY : SNIGATE_VERDICT_ALLOW;
		}
		if (v->rlen < 2 || v->rlen > SNIGATE_NAME_MAX)
			break;
		key->prefixlen = (v->rlen - 1) * 8;	/* strictly shorter: always progresses */
	}
	*reason = SNIGATE_REASON_DEFAULT;
	return dflt;
}

/* The ECH rule, the same in the kernel's verdict and for hellos user space
 * parses: with --ech deny a hello that offers encrypted_client_hello is
 * refused whatever its outer name (the inner one is hidden from us); by
 * default it is judged by the outer name. Returns true to refuse.
 */
static __always_inline int policy_ech_refused(__u32 ech_deny, __u32 ech_offered)
{
	return ech_deny && ech_offered;
}

#endif /* __POLICY_MATCH_H */
