// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/pin.c - where the gateway's maps live in bpffs, and who may touch them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include "log.h"
#include "pin.h"

const char *pin_dir = SNIGATE_PIN_DIR_DEFAULT;

static int is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int pin_prepare_dir(void)
{
	char parent[PATH_MAX], *slash;
	int err;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (!is_bpffs(parent)) {
		if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("cannot mount bpffs on %s: %s (mount it: mount -t bpf bpf %s)",
				parent, strerror(errno), parent);
			return err;
		}
		pr_info("mounted bpffs on %s", parent);
	}
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("cannot create pin directory %s: %s", pin_dir, strerror(errno));
		return err;
	}
	if (chmod(pin_dir, 0700)) {
		err = -errno;
		pr_warn("cannot make %s root-only: %s", pin_dir, strerror(errno));
		return err;
	}
	return 0;
}

int pin_open_map(const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (errno == ENOENT)
			pr_warn("no map %s: is `snigate proxy` or `snigate filter` running (or was it started with another --pin-dir)?",
				path);
		else if (errno == EACCES || errno == EPERM)
			pr_warn("cannot open %s: %s (the policy is root's: run as root)", path,
				strerror(errno));
		else
			pr_warn("cannot open %s: %s", path, strerror(errno));
		return err;
	}
	return fd;
}

int pin_try_map(const char *name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		return pin_open_map(name);	/* says why */
	return fd < 0 ? -ENOENT : fd;
}

int pin_lock(void)
{
	int fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open %s: %s", pin_dir, strerror(errno));
		return err;
	}
	if (flock(fd, LOCK_EX)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
