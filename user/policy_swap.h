/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/policy_swap.h - put a whole allow file in force in one step
 * (`snigate proxy` and `snigate filter`, at start and on SIGHUP).
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

/* The allow file at path, read and swapped in as above, under pin_lock();
 * the rule count is logged. Returns the new trie's fd, or -errno (a file
 * that does not parse changes nothing).
 */
int policy_swap_file(struct bpf_object *obj, const struct bpf_map *tmpl, int polsel_fd,
		     const char *path);

#endif /* __SNIGATE_POLICY_SWAP_H */
