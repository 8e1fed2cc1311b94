// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/filter_existing.c - connections the filtered cgroup opened before
 * `snigate filter` attached: its hooks never saw them, so they are not
 * judged. Found from /proc: the processes of the cgroup tree, the socket
 * inodes each holds, and the TCP table of each one's network namespace.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "filter_existing.h"

#define PIDS_MAX 65536

/* nftw has no context argument */
static struct cg_pid {
	pid_t pid;
	__u64 cgroup_id;	/* the cgroup directory's inode, as in snigate_fconn */
} *pids;
static int npids;

static int collect_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	char file[PATH_MAX];
	FILE *f;
	int pid;

	(void)ftw;
	if (type != FTW_D)
		return 0;
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	f = fopen(file, "re");
	if (!f)
		return 0;
	while (npids < PIDS_MAX && fscanf(f, "%d", &pid) == 1) {
		if (pid == getpid())
			continue;
		pids[npids].pid = pid;
		pids[npids].cgroup_id = st->st_ino;
		npids++;
	}
	fclose(f);
	return 0;
}

/* The socket inodes pid holds; *n of them. NULL when there are none. */
static unsigned long *socket_inodes(pid_t pid, size_t *n)
{
	char dir[64], link[PATH_MAX], target[64];
	unsigned long *v = NULL, *nv, ino;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	ssize_t len;

	*n = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (sscanf(target, "socket:[%lu]", &ino) != 1)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = ino;
	}
	closedir(d);
	return v;
}

static bool has_inode(const unsigned long *v, size_t n, unsigned long ino)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == ino)
			return true;
	return false;
}

static bool judged_port(const struct snigate_fport *ports, int nports, unsigned int port)
{
	int i;

	for (i = 0; i < nports; i++)
		if (ports[i].port == port)
			return true;
	return false;
}

/* "0100007F" (IPv4) or 32 hex digits (IPv6): /proc/net/tcp prints each
 * 32-bit word of the address as a host-order number
 */
static int parse_proc_addr(const char *hex, __u8 *out)
{
	size_t len = strlen(hex), i;
	char word[9] = "";
	__u32 w;

	if (len != 8 && len != 32)
		return -1;
	for (i = 0; i < len / 8; i++) {
		memcpy(word, hex + i * 8, 8);
		w = strtoul(word, NULL, 16);
		memcpy(out + i * 4, &w, 4);
	}
	return len == 8 ? AF_INET : AF_INET6;
}

/* Established connections in pid's namespace whose socket is one of pid's
 * inodes and whose remote port is judged.
 */
static int scan_table(const struct cg_pid *cp, const char *table, const unsigned long *inodes,
		      size_t ninodes, const struct snigate_fport *ports, int nports,
		      filter_existing_fn fn, void *ctx)
{
	char path[64], line[512], laddr[40], raddr[40];
	unsigned int lport, rport, state;
	struct snigate_fevent ev;
	unsigned long ino;
	int found = 0, family;
	FILE *f, *comm;

	snprintf(path, sizeof(path), "/proc/%d/net/%s", cp->pid, table);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*d: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*d %*d %lu",
			   laddr, &lport, raddr, &rport, &state, &ino) != 6)
			continue;	/* the header line */
		if (state != 1 /* TCP_ESTABLISHED */ || !ino || !judged_port(ports, nports, rport) ||
		    !has_inode(inodes, ninodes, ino))
			continue;
		memset(&ev, 0, sizeof(ev));
		family = parse_proc_addr(raddr, ev.conn.daddr);
		if (family < 0)
			continue;
		ev.type = SNIGATE_FEVENT_UNJUDGED;
		ev.proto = 6;	/* IPPROTO_TCP */
		ev.conn.family = family;
		ev.conn.dport = rport;
		ev.conn.pid = cp->pid;
		ev.conn.cgroup_id = cp->cgroup_id;
		snprintf(path, sizeof(path), "/proc/%d/comm", cp->pid);
		comm = fopen(path, "re");
		if (comm) {
			if (fgets(ev.conn.comm, sizeof(ev.conn.comm), comm))
				ev.conn.comm[strcspn(ev.conn.comm, "\n")] = 0;
			fclose(comm);
		}
		fn(&ev, ctx);
		found++;
	}
	fclose(f);
	return found;
}

int filter_existing(const char *root, const struct snigate_fport *ports, int nports,
		    filter_existing_fn fn, void *ctx)
{
	unsigned long *inodes, *all = NULL, *na;
	size_t n, nall = 0, i, j;
	int found = 0;

	pids = calloc(PIDS_MAX, sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	npids = 0;
	if (nftw(root, collect_dir, 16, FTW_PHYS)) {
		free(pids);
		return -errno;
	}
	for (i = 0; i < (size_t)npids; i++) {
		inodes = socket_inodes(pids[i].pid, &n);
		if (!inodes)
			continue;
		/* a socket shared with a process seen before (fork) is one
		 * connection: reported with the first
		 */
		for (j = 0; j < n; j++)
			if (has_inode(all, nall, inodes[j]))
				inodes[j] = 0;
		na = realloc(all, (nall + n) * sizeof(*all));
		if (na) {
			all = na;
			memcpy(all + nall, inodes, n * sizeof(*all));
			nall += n;
		}
		found += scan_table(&pids[i], "tcp", inodes, n, ports, nports, fn, ctx);
		found += scan_table(&pids[i], "tcp6", inodes, n, ports, nports, fn, ctx);
		free(inodes);
	}
	free(all);
	free(pids);
	pids = NULL;
	return found;
}
