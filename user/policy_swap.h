/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/policy_swap.h - put a whole allow file in force in one step
 * (`snigate proxy` start and SIGHUP, `snigate filter` start).
 */
#ifndef __SNIGATE_POLICY_SWAP_H
#define __SNIGATE_POLICY_SWAP_H

#include "policy.h"

struct bpf_object;
struct bpf_map;

/* Build a new trie shaped like tmpl (the object's snigate_policy, for its
 * BTF) from pf, pin it as snigate_policy and switch the polsel slot to it:
 * verdicts see the old or the new policy, never a mix. The caller holds
 * pin_lock(). Returns the new trie's fd, or -errno (message printed).
 */
int policy_swap(struct bpf_object *obj, const struct bpf_map *tmpl, int polsel_fd,
		const struct policy_file *pf);

#endif /* __SNIGATE_POLICY_SWAP_H */
