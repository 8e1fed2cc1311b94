/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* include/snigate_abi.h - map keys, values and constants shared by bpf/ and user/.
 *
 * Include order: the BPF side includes "vmlinux.h" first, user space
 * <linux/types.h> first. This header includes nothing and uses only __u8..__u64,
 * char arrays and enums, so `bpftool map dump` prints names and verdicts.
 */
#ifndef __SNIGATE_ABI_H
#define __SNIGATE_ABI_H

#define SNIGATE_NAME_MAX	256	/* DNS name (253) + '.' + NUL, fits the LPM data limit */
#define SNIGATE_HOST_MAX	253	/* longest host name we accept (RFC 1035) */
#define SNIGATE_POLICY_MAX	65536	/* policy rules */
#define SNIGATE_SOCKS_MAX	65536	/* sockets in the data path (two per connection) */
#define SNIGATE_MAX_LABELS	128	/* a 253-byte name has at most 127 labels */

/* Map names, also the file names under the pin directory (<= 15 chars). */
#define SNIGATE_MAP_POLICY	"snigate_policy"
#define SNIGATE_MAP_CONFIG	"snigate_config"
#define SNIGATE_MAP_STATS	"snigate_stats"
#define SNIGATE_MAP_SOCKS	"snigate_socks"
#define SNIGATE_MAP_SOCKSTATE	"snigate_sockst"
#define SNIGATE_MAP_POLSEL	"snigate_polsel"
#define SNIGATE_MAP_FSTATS	"snigate_fstats"	/* `snigate filter` counters */
#define SNIGATE_MAP_FCONNS	"snigate_fconns"	/* `snigate filter` connections */

/* What a policy rule says; for one pattern both bits may be set (deny wins). */
enum snigate_rule {
	SNIGATE_RULE_NONE = 0,
	SNIGATE_RULE_ALLOW = 1,
	SNIGATE_RULE_DENY = 2,
	SNIGATE_RULE_ALLOW_DENY = 3,
};

enum snigate_verdict {
	SNIGATE_VERDICT_NONE = 0,	/* not decided yet */
	SNIGATE_VERDICT_ALLOW = 1,
	SNIGATE_VERDICT_DENY = 2,
};

/* Why a hello was decided as it was. Also indexes the per-reason counters. */
enum snigate_reason {
	SNIGATE_REASON_MATCH = 0,	/* a rule matched (allow or deny) */
	SNIGATE_REASON_DEFAULT,		/* no rule matched: the default verdict */
	SNIGATE_REASON_NO_SNI,		/* valid ClientHello without server_name */
	SNIGATE_REASON_NOT_TLS,		/* first record is not a TLS handshake */
	SNIGATE_REASON_MALFORMED,	/* lengths or fields do not add up */
	SNIGATE_REASON_OVERSIZE,	/* record or hello larger than we accept */
	SNIGATE_REASON_BAD_NAME,	/* server_name is not a valid host name */
	SNIGATE_REASON_TIMEOUT,		/* no complete hello in time */
	SNIGATE_REASON_UPSTREAM,	/* allowed, but the upstream could not be reached */
	SNIGATE_REASON_LIMIT,		/* --max-conns reached, or a map is full */
	SNIGATE_REASON_ABORTED,		/* the client went away before its hello was forwarded */
	SNIGATE_REASON_ECH,		/* offers encrypted_client_hello and --ech deny */
	SNIGATE_REASON_IP_SNI,		/* server_name is an IP literal (--upstream sni) */
	SNIGATE_REASON_UPSTREAM_ADDR,	/* the name resolves only to addresses we never dial:
					 * loopback, link-local, multicast, the gateway's own */
	SNIGATE_REASON_DNS_MISMATCH,	/* --verify-dns: the name does not resolve to the
					 * original destination (SNI spoofing) */
	SNIGATE_REASON__MAX,
};

/* How the hello reached the parser: tells evasion tools from normal clients. */
enum snigate_shape {
	SNIGATE_SHAPE_UNKNOWN = 0,
	SNIGATE_SHAPE_ONE_SEGMENT = 1,
	SNIGATE_SHAPE_SEGMENTS = 2,	/* one record over several TCP segments */
	SNIGATE_SHAPE_RECORDS = 3,	/* handshake split over several TLS records */
};

/* LPM key: the pattern's host name reversed, with a trailing '.', e.g.
 * "github.com" -> "moc.buhtig.". A host matches a key when the key is a
 * prefix of the reversed host plus '.', which lands on label boundaries only.
 */
struct snigate_policy_key {
	__u32 prefixlen;		/* bits: 8 * strlen(rname) */
	char rname[SNIGATE_NAME_MAX];
};

/* One entry carries the three pattern forms of one name. */
struct snigate_policy_val {
	enum snigate_rule exact;	/* "github.com" */
	enum snigate_rule subdomains;	/* "*.github.com": any depth, not github.com */
	enum snigate_rule domain;	/* ".github.com": github.com and every subdomain */
	__u32 rlen;			/* strlen(rname): LPM lookups do not say what matched */
	char name[SNIGATE_NAME_MAX];	/* the forward name, for people and `allow list` */
};

/* snigate_config: one array slot, written by the daemon at start. */
struct snigate_config {
	enum snigate_verdict default_verdict;
	__u32 backlog_high;		/* pause a receiver when more than this many bytes
					 * it sent on are not yet acked by the peer's receiver */
	__u32 ech_deny;			/* --ech deny: refuse hellos that offer ECH */
};

/* Per-CPU counters. */
enum snigate_stat {
	SNIGATE_STAT_HELLOS = 0,	/* hellos judged in the kernel */
	SNIGATE_STAT_ALLOWED,
	SNIGATE_STAT_DENIED,
	SNIGATE_STAT_USER_PARSED,	/* hellos the kernel left to user space (several records) */
	SNIGATE_STAT_BYTES_UP,		/* client -> upstream (splice relay: added at close) */
	SNIGATE_STAT_BYTES_DOWN,	/* upstream -> client (sockmap path: counted in BPF) */
	SNIGATE_STAT_PAUSES,		/* receivers paused by flow control */
	SNIGATE_STAT_SHAPE_ONE,		/* hello in one segment */
	SNIGATE_STAT_SHAPE_SEGMENTS,	/* hello over several segments */
	SNIGATE_STAT_SHAPE_RECORDS,	/* hello over several records */
	SNIGATE_STAT_CLOSED_RESET,	/* relayed connections ended by a reset (either side) */
	SNIGATE_STAT_CLOSED_IDLE,	/* closed by --idle-timeout or TCP keepalive */
	SNIGATE_STAT_CLOSED_DRAIN,	/* still open at the end of --drain-timeout */
	SNIGATE_STAT_DENY_BASE,		/* + enum snigate_reason: denials by reason */
	SNIGATE_STAT__MAX = SNIGATE_STAT_DENY_BASE + SNIGATE_REASON__MAX,
};

/* Which side of a connection a socket is. */
enum snigate_side {
	SNIGATE_SIDE_CLIENT = 0,
	SNIGATE_SIDE_UPSTREAM = 1,
};

/* Per-socket state keyed by socket cookie. User space creates it at accept
 * (hello phase) and completes it when the connection is paired; the BPF side
 * writes the verdict and counts the bytes it redirects.
 */
struct snigate_sock {
	__u64 peer_cookie;		/* redirect target in snigate_socks; 0 until paired */
	__u64 redir_bytes;		/* bytes received here and redirected to the peer */
	__u32 peer_una0;		/* peer's tcp snd_una when redirecting started */
	__u32 flags;			/* SNIGATE_SOCK_* */
	enum snigate_side side;
	enum snigate_verdict verdict;	/* hello verdict (client side) */
	enum snigate_reason reason;
	enum snigate_shape shape;
	__u32 hello_len;		/* hello-phase bytes shipped through snigate_hellorb */
	__u32 parse_calls;		/* stream parser calls before the hello was whole */
	__u64 start_ns;			/* CLOCK_MONOTONIC at accept / connect */
	__u8 raddr[16];			/* remote address: IPv4 in the first 4 bytes */
	__u16 rport;			/* remote port, host order */
	__u16 family;			/* AF_INET or AF_INET6 */
	__u32 ech;			/* encrypted_client_hello offered */
	__u64 down_bytes;		/* client side, splice relay: upstream -> client */
	__u8 uaddr[16];			/* client side, once paired: where it went */
	__u16 uport;
	__u16 ufamily;
	char sni[SNIGATE_NAME_MAX];	/* server name as sent, lower-cased */
};

#define SNIGATE_SOCK_PAIRED	(1U << 0)	/* peer_cookie valid: redirect */
#define SNIGATE_SOCK_UNA0	(1U << 1)	/* peer_una0 recorded */
#define SNIGATE_SOCK_PAUSE	(1U << 2)	/* backlog above high water: user space pauses us */
#define SNIGATE_SOCK_DECIDED	(1U << 3)	/* hello verdict written */
#define SNIGATE_SOCK_USER_PARSE	(1U << 4)	/* kernel could not finish: user space parses */
#define SNIGATE_SOCK_FIN	(1U << 5)	/* the verdict saw FIN: every byte before it is redirected */
#define SNIGATE_SOCK_PAUSED	(1U << 6)	/* out of snigate_pump (by the pause iterator) */
#define SNIGATE_SOCK_OVERFLOW	(1U << 7)	/* hello-phase bytes did not fit the ring: refuse */

/* Hello-phase bytes travel to user space in snigate_hellorb, in order, and
 * the stream is consumed (SK_DROP) in the kernel: passing them to the socket
 * instead (SK_PASS) lost a hello's worth of later bytes on 6.18 whenever two
 * parser rounds ran before user space read the first (tcp_bpf copied_seq).
 */
#define SNIGATE_CHUNK		4096
#define SNIGATE_HELLO_MAX	(1536 * 1024)	/* bytes a client may send before its upstream is ready */
#define SNIGATE_HELLORB_SIZE	(256 * 1024)

enum snigate_rec_type {
	SNIGATE_REC_DATA = 1,		/* len bytes of the client's stream */
	SNIGATE_REC_VERDICT = 2,	/* data: the socket's struct snigate_sock, verdict in it */
};

/* In the ring a record is offsetof(data) + len bytes long. */
struct snigate_hello_rec {
	__u64 cookie;
	enum snigate_rec_type type;
	__u32 len;
	__u8 data[SNIGATE_CHUNK];
};

/* Ring buffer event: a receiver asks to be paused. */
struct snigate_event {
	__u64 cookie;
	__u64 backlog;
};

/* --- `snigate filter`: the policy on a cgroup's own connections ------------ */

/* Per-CPU counters of the filter (snigate_fstats). */
enum snigate_fstat {
	SNIGATE_FSTAT_CONNS = 0,	/* connections to a filtered port, established */
	SNIGATE_FSTAT_HELLOS,		/* hellos judged in the kernel */
	SNIGATE_FSTAT_ALLOWED,
	SNIGATE_FSTAT_DENIED,
	SNIGATE_FSTAT_SPLIT,		/* hellos gathered from several sendmsg calls */
	SNIGATE_FSTAT_LEFT,		/* allowed connections taken out of the sockhash */
	SNIGATE_FSTAT_RESET,		/* denied connections reset by the daemon */
	SNIGATE_FSTAT_PORT_REFUSED,	/* connect/sendto to a port that is not allowed */
	SNIGATE_FSTAT_PORT_PASSED,	/* connect/sendto to an --allow-port port */
	SNIGATE_FSTAT_UNTRACKED,	/* no room in the maps: the connection is refused */
	SNIGATE_FSTAT_TFO_REFUSED,	/* TCP Fast Open: data before the verdict could see it */
	SNIGATE_FSTAT_DENY_BASE,	/* + enum snigate_reason: denials by reason */
	SNIGATE_FSTAT__MAX = SNIGATE_FSTAT_DENY_BASE + SNIGATE_REASON__MAX,
};

/* What a port is to the filter (snigate_fports value). */
enum snigate_port_kind {
	SNIGATE_PORT_NONE = 0,		/* refused at connect */
	SNIGATE_PORT_FILTER = 1,	/* TCP: the ClientHello is judged (--ports) */
	SNIGATE_PORT_PASS = 2,		/* let through unjudged (--allow-port) */
};

struct snigate_fport {
	__u16 port;			/* host order */
	__u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad;
};

/* One filtered connection, keyed by socket cookie (snigate_fconns). The
 * connect hook fills who and where (process context); the sk_msg verdict
 * fills the rest.
 */
struct snigate_fconn {
	__u64 start_ns;			/* CLOCK_MONOTONIC at connect */
	__u64 cgroup_id;		/* the connecting task's cgroup (v2 inode number) */
	__u32 owner;			/* pid of the `snigate filter` that tracks it */
	__u32 pid;			/* tgid of the connecting task */
	__u8 daddr[16];			/* IPv4 in the first 4 bytes */
	__u16 dport;			/* host order */
	__u16 family;			/* AF_INET or AF_INET6 */
	__u32 flags;			/* SNIGATE_FCONN_* */
	enum snigate_verdict verdict;
	enum snigate_reason reason;
	__u32 sends;			/* verdict runs until the hello was whole */
	__u32 hello_len;		/* bytes of the first TLS record */
	char comm[16];
	char sni[SNIGATE_NAME_MAX];
};

#define SNIGATE_FCONN_ESTABLISHED	(1U << 0)	/* in the sockhash */
#define SNIGATE_FCONN_LEFT		(1U << 1)	/* allowed and out of the sockhash */
#define SNIGATE_FCONN_RESET		(1U << 2)	/* denied and reset */

enum snigate_fevent_type {
	SNIGATE_FEVENT_VERDICT = 1,	/* a hello was decided: conn says how */
	SNIGATE_FEVENT_REFUSED = 2,	/* a connect/sendto to a port that is not allowed */
	SNIGATE_FEVENT_UNJUDGED = 3,	/* user space only: open before the filter started */
};

/* Filter ring buffer record. */
struct snigate_fevent {
	enum snigate_fevent_type type;
	__u32 proto;			/* IPPROTO_TCP or IPPROTO_UDP (REFUSED) */
	__u64 cookie;
	struct snigate_fconn conn;
};

#endif /* __SNIGATE_ABI_H */
