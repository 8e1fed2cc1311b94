// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/percpu.c - counters in a BPF per-CPU array, written from user space. */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "percpu.h"

int percpu_add(int fd, __u32 key, __u64 n)
{
	int ncpu = libbpf_num_possible_cpus(), err;
	__u64 vals[ncpu > 0 ? ncpu : 1];

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	err = bpf_map_lookup_elem(fd, &key, vals);
	if (err)
		return err;
	vals[0] += n;
	return bpf_map_update_elem(fd, &key, vals, BPF_ANY);
}
