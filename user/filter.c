// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/filter.c - `snigate filter`: bpf/filter.bpf.c on a cgroup.
 *
 * Start: refuse a cgroup that already has a snigate filter, load the object
 * with the policy maps shared through the pin directory (created here when no
 * `snigate proxy` made them), attach the sk_msg verdict to its sockhash, then
 * sock_ops and the connect/sendmsg hooks to the cgroup through bpf_links.
 * Run: one log line per verdict and refusal from the ring buffer; denied
 * connections are reset by the socket iterator in the process's network
 * namespace. Stop (SIGINT/SIGTERM, or death): closing the links and the
 * sockhash detaches everything; no pin keeps a program alive.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/magic.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "filter.skel.h"
#include "addr.h"
#include "filter.h"
#include "filter_existing.h"
#include "json.h"
#include "log.h"
#include "main.h"
#include "mono.h"
#include "percpu.h"
#include "pin.h"
#include "policy_swap.h"

struct filterd {
	const struct filter_opts *o;
	struct filter *skel;
	int cg_fd;
	int self_ns;		/* our network namespace, to come back to */
	struct ring_buffer *rb;
};

static volatile sig_atomic_t stop_signal, reload_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_reload(int sig)
{
	reload_signal = sig;
}

static int cgroup_open(const char *path)
{
	struct statfs st;
	int fd, err;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open cgroup %s: %s (create it: mkdir %s)", path, strerror(errno), path);
		return err;
	}
	if (fstatfs(fd, &st) || st.f_type != CGROUP2_SUPER_MAGIC) {
		pr_warn("%s is not a cgroup v2 directory (cgroup2 is often mounted at /sys/fs/cgroup "
			"or /sys/fs/cgroup/unified)", path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* A snigate filter already in force on the cgroup (attached to it or to a
 * parent): its sock_ops program is called sgf_sockops.
 */
static int already_filtered(int cg_fd, const char *path)
{
	__u32 ids[64], cnt = 64, i;
	struct bpf_prog_info info;
	__u32 len;
	int fd;

	if (bpf_prog_query(cg_fd, BPF_CGROUP_SOCK_OPS, BPF_F_QUERY_EFFECTIVE, NULL, ids, &cnt))
		return 0;	/* nothing attached, or cannot tell: attaching will say */
	for (i = 0; i < cnt; i++) {
		fd = bpf_prog_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strcmp(info.name, "sgf_sockops") == 0) {
			close(fd);
			pr_warn("cgroup %s is already filtered by snigate (sock_ops program id %u, on it or "
				"on a parent): stop that `snigate filter` first; filters do not stack",
				path, ids[i]);
			return -EEXIST;
		}
		close(fd);
	}
	return 0;
}

static int ports_fill(struct filterd *f)
{
	int fd = bpf_map__fd(f->skel->maps.snigate_fports), i;
	__u32 kind;

	for (i = 0; i < f->o->nports; i++) {
		kind = SNIGATE_PORT_FILTER;
		if (bpf_map_update_elem(fd, &f->o->ports[i], &kind, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < f->o->npass; i++) {
		kind = SNIGATE_PORT_PASS;
		if (bpf_map_update_elem(fd, &f->o->pass[i], &kind, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int policy_load(struct filterd *f)
{
	int fd;

	if (!f->o->allow_file)
		return 0;
	fd = policy_swap_file(f->skel->obj, f->skel->maps.snigate_policy,
			      bpf_map__fd(f->skel->maps.snigate_polsel), f->o->allow_file);
	if (fd < 0)
		return fd;
	close(fd);	/* the polsel slot and the pin hold it */
	return 0;
}

#define ATTACH_CG(f, prog)                                                                     \
	((f)->skel->links.prog = bpf_program__attach_cgroup((f)->skel->progs.prog, (f)->cg_fd)) \
		? 0 : -errno

static int attach(struct filterd *f)
{
	struct filter *s = f->skel;
	int err;

	/* the verdict first, then what feeds it: no socket enters the
	 * sockhash before its program is there
	 */
	if (bpf_prog_attach(bpf_program__fd(s->progs.sgf_msg), bpf_map__fd(s->maps.snigate_fsocks),
			    BPF_SK_MSG_VERDICT, 0)) {
		err = -errno;
		pr_warn("cannot attach the sk_msg verdict: %s (kernel without CONFIG_BPF_STREAM_PARSER?)",
			strerror(errno));
		return err;
	}
	err = ATTACH_CG(f, sgf_sockops);
	err = err ?: ATTACH_CG(f, sgf_connect4);
	err = err ?: ATTACH_CG(f, sgf_connect6);
	err = err ?: ATTACH_CG(f, sgf_sendmsg4);
	err = err ?: ATTACH_CG(f, sgf_sendmsg6);
	err = err ?: ATTACH_CG(f, sgf_setsockopt);
	if (err) {
		pr_warn("cannot attach to cgroup %s: %s", f->o->cgroup, strerror(-err));
		return err;
	}
	if (!f->o->no_reset) {
		s->links.sgf_reset_iter = bpf_program__attach_iter(s->progs.sgf_reset_iter, NULL);
		if (!s->links.sgf_reset_iter) {
			err = -errno;
			pr_warn("cannot attach the reset iterator: %s (--no-reset runs without it)",
				strerror(errno));
			return err;
		}
	}
	return 0;
}

/* Run the reset iterator over the TCP sockets of pid's network namespace
 * (an iterator walks the namespace of whoever creates it).
 */
static void reset_denied(struct filterd *f, __u32 pid)
{
	char path[64], buf[64];
	int ns = -1, it;

	if (!f->skel->links.sgf_reset_iter)
		return;
	if (pid) {
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns >= 0 && setns(ns, CLONE_NEWNET)) {
			pr_debug("cannot enter the network namespace of pid %u: %s", pid, strerror(errno));
			close(ns);
			ns = -1;
		}
	}
	it = bpf_iter_create(bpf_link__fd(f->skel->links.sgf_reset_iter));
	if (it >= 0) {
		while (read(it, buf, sizeof(buf)) > 0)
			;
		close(it);
	}
	if (ns >= 0) {
		if (setns(f->self_ns, CLONE_NEWNET))
			pr_warn("cannot return to our network namespace: %s", strerror(errno));
		close(ns);
	}
}

/* cgroup id (the directory's inode number) -> path, within the filtered tree */
static __u64 want_ino;
static char found_path[4096];

static int match_ino(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && st->st_ino == want_ino) {
		snprintf(found_path, sizeof(found_path), "%s", path);
		return 1;
	}
	return 0;
}

static const char *cgroup_path(struct filterd *f, __u64 id)
{
	if (id == 0)
		return "-";
	want_ino = id;
	found_path[0] = '\0';
	if (nftw(f->o->cgroup, match_ino, 8, FTW_PHYS) == 1)
		return found_path;
	snprintf(found_path, sizeof(found_path), "cgroup id %llu", (unsigned long long)id);
	return found_path;
}

static void dest_of(const struct snigate_fconn *c, char *buf)
{
	struct sockaddr_storage ss = {};

	ss.ss_family = c->family;
	if (c->family == AF_INET6)
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, c->daddr, 16);
	else
		memcpy(&((struct sockaddr_in *)&ss)->sin_addr, c->daddr, 4);
	addr_set_port(&ss, c->dport);
	addr_format(&ss, buf);
}

static void log_event(struct filterd *f, const struct snigate_fevent *ev)
{
	const struct snigate_fconn *c = &ev->conn;
	const char *proto = ev->proto == IPPROTO_UDP ? "udp" : "tcp";
	const char *cg = cgroup_path(f, c->cgroup_id);
	char dest[ADDR_STRLEN], comm[17];
	struct timespec wall;

	dest_of(c, dest);
	snprintf(comm, sizeof(comm), "%s", c->comm);
	if (log_json) {
		struct jw w;

		clock_gettime(CLOCK_REALTIME, &wall);
		jw_init(&w, stdout);
		jw_start_object(&w);
		jw_float_field(&w, "ts", wall.tv_sec + wall.tv_nsec / 1e9);
		if (ev->type == SNIGATE_FEVENT_REFUSED) {
			jw_string_field(&w, "event", "refused");
			jw_string_field(&w, "proto", proto);
		} else if (ev->type == SNIGATE_FEVENT_UNJUDGED) {
			jw_string_field(&w, "event", "unjudged");
		} else {
			jw_string_field(&w, "event", "hello");
			jw_string_field(&w, "sni", c->sni[0] ? c->sni : "-");
			jw_string_field(&w, "verdict", verdict_name(c->verdict));
			jw_string_field(&w, "reason", reason_name(c->reason));
			jw_uint_field(&w, "sends", c->sends);
			jw_uint_field(&w, "hello_len", c->hello_len);
		}
		jw_string_field(&w, "destination", dest);
		jw_uint_field(&w, "pid", c->pid);
		jw_string_field(&w, "comm", comm);
		jw_string_field(&w, "cgroup", cg);
		jw_end_object(&w);
		fputc('\n', stdout);
	} else if (ev->type == SNIGATE_FEVENT_REFUSED) {
		printf("refused %s to %s: port not allowed (pid %u %s, %s)\n", proto, dest, c->pid,
		       comm, cg);
	} else if (ev->type == SNIGATE_FEVENT_UNJUDGED) {
		printf("unjudged tcp to %s: open before the filter started (pid %u %s, %s)\n", dest,
		       c->pid, comm, cg);
	} else {
		printf("%s %s (%s) to %s (pid %u %s, %s)\n", verdict_name(c->verdict),
		       c->sni[0] ? c->sni : "-", reason_name(c->reason), dest, c->pid, comm, cg);
	}
	fflush(stdout);
}

static void on_unjudged(const struct snigate_fevent *ev, void *ctx)
{
	log_event(ctx, ev);
}

/* Connections to judged ports the cgroup opened before we attached: told,
 * not touched (ending them is the operator's call). Run after the attach:
 * one opened during start-up may be listed although it was judged.
 */
static void report_existing(struct filterd *f)
{
	int n = filter_existing(f->o->cgroup, f->o->ports, f->o->nports, on_unjudged, f);

	if (n < 0)
		pr_warn("cannot list the connections open before the filter: %s", strerror(-n));
	else if (n > 0)
		pr_warn("%d connection%s to judged ports %s open before the filter started and %s "
			"not judged (logged as unjudged): end %s, or restart the processes, to have "
			"every connection judged", n, n == 1 ? "" : "s", n == 1 ? "was" : "were",
			n == 1 ? "is" : "are", n == 1 ? "it" : "them");
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct snigate_fevent *ev = data;
	struct filterd *f = ctx;

	if (size < sizeof(*ev))
		return 0;
	log_event(f, ev);
	if (ev->type == SNIGATE_FEVENT_VERDICT && ev->conn.verdict == SNIGATE_VERDICT_DENY)
		reset_denied(f, ev->conn.pid);
	return 0;
}

/* Connections established longer than --hello-timeout ago without a whole
 * hello (silent, or a part held by the cork): denied with reason timeout,
 * logged, counted and reset like any denial, as the gateway closes them.
 * Otherwise each would hold its socket and sockhash slot for as long as the
 * process waits. A hello decided between our read and our write is
 * overwritten: it came at the timeout.
 */
static void expire_hellos(struct filterd *f)
{
	int fd = bpf_map__fd(f->skel->maps.snigate_fconns);
	int stats = bpf_map__fd(f->skel->maps.snigate_fstats);
	__u64 key, next, *prev = NULL, now = mono_ns();
	__u64 limit = (__u64)f->o->hello_timeout_ms * 1000000;
	struct snigate_fevent ev = { .type = SNIGATE_FEVENT_VERDICT, .proto = IPPROTO_TCP };
	__u32 me = getpid(), reset_pids[16];
	int i, n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &ev.conn) || ev.conn.owner != me ||
		    !(ev.conn.flags & SNIGATE_FCONN_ESTABLISHED) ||
		    ev.conn.verdict != SNIGATE_VERDICT_NONE || ev.conn.start_ns > now ||
		    now - ev.conn.start_ns < limit)
			continue;
		ev.conn.verdict = SNIGATE_VERDICT_DENY;
		ev.conn.reason = SNIGATE_REASON_TIMEOUT;
		if (bpf_map_update_elem(fd, &key, &ev.conn, BPF_EXIST))
			continue;	/* closed meanwhile */
		ev.cookie = key;
		percpu_add(stats, SNIGATE_FSTAT_DENIED, 1);
		percpu_add(stats, SNIGATE_FSTAT_DENY_BASE + SNIGATE_REASON_TIMEOUT, 1);
		log_event(f, &ev);
		/* one iterator run resets every denied socket of a namespace */
		for (i = 0; i < n && reset_pids[i] != ev.conn.pid; i++)
			;
		if (i < n)
			continue;
		if (n < (int)(sizeof(reset_pids) / sizeof(reset_pids[0])))
			reset_pids[n++] = ev.conn.pid;
		else
			reset_denied(f, ev.conn.pid);
	}
	for (i = 0; i < n; i++)
		reset_denied(f, reset_pids[i]);
}

/* Our entries in the shared connection map: their sockets are no longer watched. */
static void forget_own(struct filterd *f)
{
	int fd = bpf_map__fd(f->skel->maps.snigate_fconns);
	__u64 key, next, *prev = NULL;
	struct snigate_fconn c;
	__u32 me = getpid();

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &c) == 0 && c.owner == me &&
		    bpf_map_delete_elem(fd, &key) == 0)
			continue;	/* deleted: restart after the same predecessor */
		prev = &key;
	}
}

static int setup(struct filterd *f)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	f->cg_fd = cgroup_open(f->o->cgroup);
	if (f->cg_fd < 0)
		return f->cg_fd;
	err = already_filtered(f->cg_fd, f->o->cgroup);
	if (err)
		return err;
	f->self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	err = pin_prepare_dir();
	if (err)
		return err;
	f->skel = filter__open_opts(&opts);
	if (!f->skel) {
		err = -errno;
		pr_warn("cannot open the BPF object: %s", strerror(errno));
		return err;
	}
	f->skel->rodata->filter_owner = getpid();
	err = filter__load(f->skel);
	if (err) {
		pr_warn("cannot load the BPF programs: %s (stale pins from another version? remove %s)",
			strerror(-err), pin_dir);
		return err;
	}
	err = ports_fill(f);
	if (err) {
		pr_warn("cannot write the port table: %s", strerror(-err));
		return err;
	}
	err = policy_load(f);
	if (err)
		return err;
	err = attach(f);
	if (err)
		return err;
	f->rb = ring_buffer__new(bpf_map__fd(f->skel->maps.snigate_fevents), on_event, f, NULL);
	if (!f->rb) {
		err = -errno;
		pr_warn("cannot open the event ring: %s", strerror(errno));
		return err;
	}
	return 0;
}

static void teardown(struct filterd *f)
{
	ring_buffer__free(f->rb);
	if (f->skel) {
		forget_own(f);
		filter__destroy(f->skel);	/* links, sockhash: all detached */
	}
	if (f->cg_fd >= 0)
		close(f->cg_fd);
	if (f->self_ns >= 0)
		close(f->self_ns);
}

int filter_run(const struct filter_opts *o)
{
	struct sigaction sa = { .sa_handler = on_stop }, hup = { .sa_handler = on_reload };
	struct filterd f = { .o = o, .cg_fd = -1, .self_ns = -1 };
	char ports[256] = "";
	__u64 next_expiry = 0;
	int err, i, n = 0;

	/* no SA_RESTART: the poll returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	err = setup(&f);
	if (err) {
		teardown(&f);
		return err;
	}
	for (i = 0; i < o->nports && n < (int)sizeof(ports) - 8; i++)
		n += snprintf(ports + n, sizeof(ports) - n, "%s%u", i ? "," : "", o->ports[i].port);
	pr_info("filtering %s: TLS to tcp/%s judged by the policy in %s, hello within %.1f s; "
		"other ports refused (%d allowed by --allow-port)", o->cgroup, ports, pin_dir,
		o->hello_timeout_ms / 1000.0, o->npass);
	report_existing(&f);
	while (!stop_signal) {
		if (reload_signal) {
			/* the allow file again, swapped in whole; a bad one changes nothing */
			reload_signal = 0;
			if (policy_load(&f))
				pr_warn("reload failed: the previous policy stays in force");
		}
		err = ring_buffer__poll(f.rb, 1000);
		if (err < 0 && err != -EINTR) {
			pr_warn("event ring: %s", strerror(-err));
			break;
		}
		err = 0;
		if (mono_ns() >= next_expiry) {
			expire_hellos(&f);
			next_expiry = mono_ns() + 1000000000ULL;	/* a second late at most */
		}
	}
	teardown(&f);
	pr_info("detached from %s", o->cgroup);
	return err;
}
