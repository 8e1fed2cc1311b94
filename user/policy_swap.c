// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/policy_swap.c - a new trie from an allow file, pinned and swapped in. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "pin.h"
#include "policy_swap.h"

/* A new, empty trie with the BTF of the loaded one, so bpftool prints it alike. */
static int trie_create(struct bpf_object *obj, const struct bpf_map *m)
{
	struct btf *btf = bpf_object__btf(obj);
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int fd;

	if (btf) {
		opts.btf_fd = btf__fd(btf);
		opts.btf_key_type_id = bpf_map__btf_key_type_id(m);
		opts.btf_value_type_id = bpf_map__btf_value_type_id(m);
	}
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "snigate_policy", bpf_map__key_size(m),
			    bpf_map__value_size(m), bpf_map__max_entries(m), &opts);
	return fd < 0 ? -errno : fd;
}

int policy_swap(struct bpf_object *obj, const struct bpf_map *tmpl, int polsel_fd,
		const struct policy_file *pf)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	__u32 zero = 0;
	int fd, err;

	fd = trie_create(obj, tmpl);
	if (fd < 0) {
		pr_warn("cannot create a policy trie: %s", strerror(-fd));
		return fd;
	}
	err = policy_file_apply(fd, pf);
	if (err)
		goto fail;
	/* pin first, under a temporary name (bpffs refuses dots): the rename
	 * makes the CLI's view and the verdict's view change together
	 */
	snprintf(path, sizeof(path), "%s/snigate_policy", pin_dir);
	snprintf(tmp, sizeof(tmp), "%s/snigate_policy_new", pin_dir);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp)) {
		err = -errno;
		pr_warn("cannot pin the new policy at %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (bpf_map_update_elem(polsel_fd, &zero, &fd, BPF_ANY)) {
		err = -errno;
		pr_warn("cannot switch to the new policy: %s", strerror(errno));
		unlink(tmp);
		goto fail;
	}
	if (rename(tmp, path))
		pr_warn("new policy in force, but cannot pin it as %s: %s (`snigate allow` edits the old one)",
			path, strerror(errno));
	return fd;
fail:
	close(fd);
	return err;
}

int policy_swap_file(struct bpf_object *obj, const struct bpf_map *tmpl, int polsel_fd,
		     const char *path)
{
	struct policy_file pf;
	int lock, fd;

	fd = policy_file_read(path, &pf);
	if (fd)
		return fd;
	lock = pin_lock();
	fd = policy_swap(obj, tmpl, polsel_fd, &pf);
	if (lock >= 0)
		close(lock);
	if (fd >= 0)
		pr_info("policy: %zu rules from %s in force", pf.n, path);
	policy_file_free(&pf);
	return fd;
}
