/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* user/percpu.h - counters in a BPF per-CPU array, written from user space. */
#ifndef __SNIGATE_PERCPU_H
#define __SNIGATE_PERCPU_H

#include <linux/types.h>

/* Add n to the counter at key of the per-CPU array behind fd (in CPU 0's
 * value: readers sum them all). A read and a write of every CPU's value, so
 * two writers in user space must not race. Returns 0 or a negative errno.
 */
int percpu_add(int fd, __u32 key, __u64 n);

#endif /* __SNIGATE_PERCPU_H */
