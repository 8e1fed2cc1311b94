/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/loader.h - load, attach and pin the gateway's BPF side. */
#ifndef __SNIGATE_LOADER_H
#define __SNIGATE_LOADER_H

#include <stdbool.h>
#include <linux/types.h>
#include "snigate_abi.h"
#include "policy.h"

struct gateway;
struct ring_buffer;

struct loader {
	struct gateway *skel;
	int policy_fd;		/* the trie in force (changes on reload) */
	int polsel_fd, config_fd, stats_fd, sockst_fd;
	int socks_fd, hello_fd, pump_fd, events_fd, hellorb_fd;
	struct ring_buffer *events;
};

/* Open, load, attach; maps pinned under pin_dir. Returns 0 or -errno
 * (with a message that says what to do). join: another process of this
 * daemon (--workers) owns the pins already, with live sockets in them: use
 * them as they are, clear nothing.
 */
int loader_open(struct loader *l, const struct snigate_config *cfg, bool join);
void loader_close(struct loader *l);

/* Remove the pins of every pinned map (the policy in force included). */
void loader_unpin(struct loader *l);

/* Run the socket iterator (each socket locked while it looks): receivers
 * whose verdict asked for a pause leave snigate_pump. Returns 0 or -errno.
 */
int loader_run_iter(struct loader *l);

/* Build a new trie from pf and make it the policy in force in one step:
 * verdicts see either the old or the new policy, never a mix.
 */
int loader_swap_policy(struct loader *l, const struct policy_file *pf);

/* The same from an allow file, under pin_lock() (start-up and SIGHUP). */
int loader_swap_policy_file(struct loader *l, const char *path);

#endif /* __SNIGATE_LOADER_H */
