// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/loader.c - the skeleton's life: open (pins) -> load -> attach to the
 * socket maps -> destroy. libbpf 1.1 has no sockmap attach API, so the
 * sk_skb programs are attached with bpf_prog_attach on the map fd.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "gateway.skel.h"
#include "loader.h"
#include "log.h"
#include "pin.h"
#include "policy_swap.h"

static int attach_to_map(struct bpf_program *prog, int map_fd, enum bpf_attach_type type,
			 const char *what)
{
	if (bpf_prog_attach(bpf_program__fd(prog), map_fd, type, 0)) {
		int err = -errno;

		pr_warn("cannot attach %s: %s (kernel without CONFIG_BPF_STREAM_PARSER?)", what,
			strerror(errno));
		return err;
	}
	return 0;
}

/* Entries of a previous daemon's sockets, left in the pinned state map. */
static void clear_stale_sockets(int fd)
{
	__u64 key, next;

	while (bpf_map_get_next_key(fd, NULL, &next) == 0) {
		key = next;
		if (bpf_map_delete_elem(fd, &key))
			break;
	}
}

/* An upgrade may change a pinned map's layout. The maps that hold only what
 * a running daemon knows (counters, live sockets) are then replaced by new,
 * empty ones; the policy maps are not: they hold the allowlist as changed at
 * run time, and loading refuses them with a message instead.
 */
static void replace_changed_runtime_pins(struct gateway *skel)
{
	const struct bpf_map *maps[] = { skel->maps.snigate_stats, skel->maps.snigate_sockst };
	struct bpf_map_info info;
	char path[PATH_MAX];
	__u32 len;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		const struct bpf_map *m = maps[i];

		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(m));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;	/* not pinned yet: created at load */
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    (info.type != bpf_map__type(m) || info.key_size != bpf_map__key_size(m) ||
		     info.value_size != bpf_map__value_size(m) ||
		     info.max_entries != bpf_map__max_entries(m))) {
			if (unlink(path) == 0)
				pr_info("%s: layout changed (another snigate version pinned it): "
					"replaced by a new, empty map", path);
		}
		close(fd);
	}
}

int loader_open(struct loader *l, const struct snigate_config *cfg, bool join)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct gateway *skel;
	__u32 zero = 0;
	int err;

	memset(l, 0, sizeof(*l));
	err = pin_prepare_dir();
	if (err)
		return err;
	skel = gateway__open_opts(&opts);
	if (!skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s", strerror(errno));
		return err;
	}
	l->skel = skel;
	if (!join)
		replace_changed_runtime_pins(skel);
	bpf_program__set_expected_attach_type(skel->progs.snigate_pump_verdict, BPF_SK_SKB_VERDICT);
	err = gateway__load(skel);
	if (err) {
		pr_warn("cannot load the BPF programs: %s (stale pins from another version? remove %s)",
			strerror(-err), pin_dir);
		goto fail;
	}
	l->policy_fd = bpf_map__fd(skel->maps.snigate_policy);
	l->polsel_fd = bpf_map__fd(skel->maps.snigate_polsel);
	l->config_fd = bpf_map__fd(skel->maps.snigate_config);
	l->stats_fd = bpf_map__fd(skel->maps.snigate_stats);
	l->sockst_fd = bpf_map__fd(skel->maps.snigate_sockst);
	l->socks_fd = bpf_map__fd(skel->maps.snigate_socks);
	l->hello_fd = bpf_map__fd(skel->maps.snigate_hello);
	l->pump_fd = bpf_map__fd(skel->maps.snigate_pump);
	l->events_fd = bpf_map__fd(skel->maps.snigate_events);
	l->hellorb_fd = bpf_map__fd(skel->maps.snigate_hellorb);

	err = attach_to_map(skel->progs.snigate_hello_parser, l->hello_fd,
			    BPF_SK_SKB_STREAM_PARSER, "the hello stream parser");
	err = err ?: attach_to_map(skel->progs.snigate_hello_verdict, l->hello_fd,
				   BPF_SK_SKB_STREAM_VERDICT, "the hello verdict");
	err = err ?: attach_to_map(skel->progs.snigate_pump_verdict, l->pump_fd,
				   BPF_SK_SKB_VERDICT, "the pump verdict");
	if (err)
		goto fail;
	skel->links.snigate_pause_iter = bpf_program__attach_iter(skel->progs.snigate_pause_iter, NULL);
	if (!skel->links.snigate_pause_iter) {
		err = -errno;
		pr_warn("cannot attach the socket iterator: %s (kernel without BPF iterators?)",
			strerror(errno));
		goto fail;
	}
	if (bpf_map_update_elem(l->config_fd, &zero, cfg, BPF_ANY)) {
		err = -errno;
		pr_warn("cannot write snigate_config: %s", strerror(errno));
		goto fail;
	}
	if (!join)
		clear_stale_sockets(l->sockst_fd);
	return 0;
fail:
	loader_close(l);
	return err;
}

void loader_unpin(struct loader *l)
{
	bpf_object__unpin_maps(l->skel->obj, NULL);
}

void loader_close(struct loader *l)
{
	if (l->policy_fd > 0 && (!l->skel || l->policy_fd != bpf_map__fd(l->skel->maps.snigate_policy)))
		close(l->policy_fd);
	gateway__destroy(l->skel);
	l->skel = NULL;
	l->policy_fd = -1;
}

int loader_run_iter(struct loader *l)
{
	char buf[64];
	int fd, err = 0;
	ssize_t n;

	fd = bpf_iter_create(bpf_link__fd(l->skel->links.snigate_pause_iter));
	if (fd < 0)
		return -errno;
	/* the program runs while the iterator is read; it prints nothing */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* fd (or -errno) from a swap: the trie now in force; the previous one goes */
static int loader_take_policy(struct loader *l, int fd)
{
	if (fd < 0)
		return fd;
	if (l->policy_fd != bpf_map__fd(l->skel->maps.snigate_policy))
		close(l->policy_fd);
	l->policy_fd = fd;
	return 0;
}

int loader_swap_policy(struct loader *l, const struct policy_file *pf)
{
	return loader_take_policy(l, policy_swap(l->skel->obj, l->skel->maps.snigate_policy,
						 l->polsel_fd, pf));
}

int loader_swap_policy_file(struct loader *l, const char *path)
{
	return loader_take_policy(l, policy_swap_file(l->skel->obj, l->skel->maps.snigate_policy,
						      l->polsel_fd, path));
}
