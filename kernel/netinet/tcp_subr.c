/*
 * tcp_subr.c — TCP's component init and the life of a connection control
 * block: creation (tcp_newtcpcb), the end (tcp_close, tcp_drop) and the
 * reaper that frees it once no timer can run; initial sequence numbers
 * (RFC 6528), replies to segments without a connection (RST), ICMP errors
 * (tcp_ctlinput: PMTU, soft errors), MSS from the route, the tunables with
 * their /proc/sys files, /proc/net/tcp, and the test hooks.
 */
#include "fs/procfs/procfs.h"
#include "kern/proc.h"
#include "netinet/tcp_var.h"

struct inpcbtable *tcbtable;
kmutex_t tcp_lock;
char tcp_default_cc[16] = "cubic";
struct tcp_stats tcpstat;

struct tcp_tunables tcp_tun = {
    .msl_ns = 30ULL * 1000000000,
    .fin_timeout_ns = 60ULL * 1000000000,
    .keepidle_ns = 7200ULL * 1000000000,
    .keepintvl_ns = 75ULL * 1000000000,
    .keepcnt = 9,
    .syn_retries = 6,
    .synack_retries = 5,
    .retries2 = 15,
    .rto_min_ns = 200ULL * 1000000,
    .rto_max_ns = 120ULL * 1000000000,
    .rto_init_ns = 1000ULL * 1000000,
    .delack_ns = 40ULL * 1000000,
    .sack = 1,
    .timestamps = 1,
    .window_scaling = 1,
    .autotune = 1,
    .init_cwnd_segs = 10,
    .challenge_ack_limit = 1000,
};

static struct workqueue *tcp_reapwq;
static uint64_t tcp_challenge_sec; /* [g] */
static int tcp_challenge_count;    /* [g] */

/* ------------------------------------------------------------------ ISNs */

/* SipHash-2-4 of two 64-bit words (the 4-tuple) under netinet's key. */
static uint64_t
tcp_siphash(uint64_t a, uint64_t b)
{
	uint64_t w[2] = {a, b};

	return in_keyedhash(w, sizeof(w));
}

/*
 * RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
 * M a timer ticking every 4 µs, F a keyed hash (SipHash-2-4, in_keyedhash)
 * whose key is drawn from rumpuser_getrandom once.
 */
tcp_seq
tcp_new_isn(in_addr_t laddr, in_port_t lport, in_addr_t faddr, in_port_t fport)
{
	uint64_t h = tcp_siphash(
	    ((uint64_t)laddr << 32) | faddr, ((uint64_t)lport << 16) | fport);

	return (tcp_seq)h + (tcp_seq)(getnanouptime() / 4000);
}

/*
 * The offset of our TSval clock towards faddr: a keyed hash of the two
 * addresses, as Linux does, so that every connection between two hosts
 * uses one clock (RFC 7323 5.4 and 7.1) and a new connection's SYN is
 * newer than what a TIME_WAIT of the same 4-tuple remembers (RFC 6191).
 */
uint32_t
tcp_ts_offset(in_addr_t laddr, in_addr_t faddr)
{
	return (uint32_t)tcp_siphash(
	    ((uint64_t)laddr << 32) | faddr, 0x7473000000000000ULL);
}

/* Our TSval clock: milliseconds, offset per connection (RFC 7323 5.4). */
uint32_t
tcp_tsval(const struct tcpcb *tp)
{
	return (uint32_t)(getnanouptime() / 1000000) + tp->ts_offset;
}

/* ---------------------------------------------------------- tcpcb life */

static const int tcp_linux_states[TCP_NSTATES] = {
    [TCPS_CLOSED] = 7,
    [TCPS_LISTEN] = 10,
    [TCPS_SYN_SENT] = 2,
    [TCPS_SYN_RECEIVED] = 3,
    [TCPS_ESTABLISHED] = 1,
    [TCPS_CLOSE_WAIT] = 8,
    [TCPS_FIN_WAIT_1] = 4,
    [TCPS_CLOSING] = 11,
    [TCPS_LAST_ACK] = 9,
    [TCPS_FIN_WAIT_2] = 5,
    [TCPS_TIME_WAIT] = 6,
};

int
tcp_linux_state(int state)
{
	if (state < 0 || state >= TCP_NSTATES)
		return 7;
	return tcp_linux_states[state];
}

void
tcp_set_state(struct tcpcb *tp, int state)
{
	atomic_store_relaxed(&tp->t_state, state);
}

/* A new control block for inp (so_lock held); NULL if memory is short. */
struct tcpcb *
tcp_newtcpcb(struct inpcb *inp)
{
	struct tcpcb *tp = kmem_zalloc(sizeof(*tp), KM_SLEEP);
	const struct tcp_cc_algo *cc;

	if (tp == NULL)
		return NULL;
	tp->t_inpcb = inp;
	tp->t_socket = inp->inp_socket;
	tp->t_state = TCPS_CLOSED;
	tp->t_maxseg = TCP_DEFAULT_MSS;
	tp->t_peermss = TCP_DEFAULT_MSS;
	tp->t_rto = tcp_tun.rto_init_ns;
	tp->snd_cwnd = 0xffffffff / 2;
	tp->snd_ssthresh = 0x7fffffff;
	tp->t_keepidle = atomic_load_relaxed(&tcp_tun.keepidle_ns);
	tp->t_keepintvl = atomic_load_relaxed(&tcp_tun.keepintvl_ns);
	tp->t_keepcnt = atomic_load_relaxed(&tcp_tun.keepcnt);
	tp->t_syncnt = 0;
	tp->t_quickack = 16;
	mutex_enter(&tcp_lock);
	cc = tcp_cc_find(tcp_default_cc);
	mutex_exit(&tcp_lock);
	tp->t_cc = cc != NULL ? cc : &tcp_cc_cubic;
	if (atomic_load_relaxed(&tcp_tun.window_scaling))
		tp->t_flags |= TF_REQ_SCALE;
	if (atomic_load_relaxed(&tcp_tun.timestamps))
		tp->t_flags |= TF_REQ_TSTMP;
	if (atomic_load_relaxed(&tcp_tun.sack))
		tp->t_flags |= TF_REQ_SACK;
	tp->ts_offset = in_random32();
	tcp_timer_init(tp);
	inp->inp_ppcb = tp;
	return tp;
}

/*
 * The connection is over (so_lock held): CLOSED, timers off, queued data
 * of the reassembly queue freed, the socket disconnected, and the tcpcb
 * handed to the reaper, which frees it with the inpcb once no timer
 * callout can be running.  Idempotent.
 */
void
tcp_close(struct tcpcb *tp)
{
	struct socket *so = tp->t_socket;

	KASSERT(solocked(so));
	if (tp->t_flags & TF_DEAD)
		return;
	tp->t_flags |= TF_DEAD;
	tcp_set_state(tp, TCPS_CLOSED);
	tcp_timer_stopall(tp);
	tcp_reass_flush(tp);
	tcp_sack_clear(tp);
	m_freem(tp->t_held);
	tp->t_held = NULL;
	soisdisconnected(so);
	/* Out of the connection hash at once: a new connection with the
	 * same 4-tuple must not find this one while it waits for the
	 * reaper. */
	if (tp->t_inpcb->inp_faddr != INADDR_ANY)
		in_pcbdisconnect(tp->t_inpcb);
	tp->t_flags |= TF_REAPING;
	workqueue_enqueue(tcp_reapwq, &tp->t_work);
}

/* Aborts the connection with error (RST if synchronized). */
void
tcp_drop(struct tcpcb *tp, int error)
{
	struct socket *so = tp->t_socket;

	KASSERT(solocked(so));
	if (tp->t_flags & TF_DEAD)
		return;
	if (TCPS_HAVERCVDSYN(tp->t_state))
		(void)tcp_send_ctl(
		    tp, tp->snd_nxt, tp->rcv_nxt, TH_RST | TH_ACK);
	TCP_STATINC(tcps_drops);
	if (error == ETIMEDOUT && tp->t_softerror != 0)
		error = tp->t_softerror;
	if (error != 0)
		soseterror(so, error);
	tcp_close(tp);
}

/*
 * The reaper: runs on its own thread with no lock held, so it may wait for
 * a timer callout that is already running (callout_halt).  That callout
 * finds TF_DEAD under so_lock and returns without touching anything else.
 */
static void
tcp_reap(struct work *wk, void *arg __unused)
{
	struct tcpcb *tp = container_of(wk, struct tcpcb, t_work);
	struct inpcb *inp = tp->t_inpcb;
	struct socket *so = tp->t_socket;

	(void)callout_halt(&tp->t_callout);
	solock(so);
	KASSERT(tp->t_flags & TF_DEAD);
	tcp_reass_flush(tp);
	m_freem(tp->t_held);
	callout_destroy(&tp->t_callout);
	inp->inp_ppcb = NULL;
	in_pcbdetach(inp); /* so_pcb = NULL */
	kmem_free(tp, sizeof(*tp));
	sofree(so); /* unlocks */
}

/* ------------------------------------------------------------ replies */

/*
 * Sends a segment that belongs to no connection (a RST answering a stray
 * segment), from src:sport to dst:dport.
 */
void
tcp_respond(in_addr_t src, in_port_t sport, in_addr_t dst, in_port_t dport,
    tcp_seq seq, tcp_seq ack, int flags)
{
	struct mbuf *m;
	struct ip *ip;
	struct tcphdr *th;
	int hlen = (int)(sizeof(struct ip) + sizeof(struct tcphdr));

	m = m_gethdr(M_DONTWAIT, MT_HEADER);
	if (m == NULL)
		return;
	m->m_data = m->m_dat + MLEN - hlen;
	m->m_len = m->m_pkthdr.len = hlen;
	m->m_pkthdr.rcvif = NULL;
	m->m_pkthdr.csum_flags = 0;
	ip = mtod(m, struct ip *);
	th = (struct tcphdr *)(ip + 1);
	memset(ip, 0, (size_t)hlen);
	ip->ip_vhl = 0x45;
	ip->ip_len = htons((uint16_t)hlen);
	ip->ip_ttl = (uint8_t)atomic_load_relaxed(&ip_defttl);
	ip->ip_p = IPPROTO_TCP;
	ip->ip_src.s_addr = src;
	ip->ip_dst.s_addr = dst;
	th->th_sport = sport;
	th->th_dport = dport;
	th->th_seq = htonl(seq);
	th->th_ack = htonl(ack);
	th->th_offx2 = (sizeof(struct tcphdr) / 4) << 4;
	th->th_flags = (uint8_t)flags;
	th->th_sum = in4_cksum(m, IPPROTO_TCP, sizeof(struct ip),
	    (int)sizeof(struct tcphdr), src, dst);
	TCP_STATINC(tcps_sndtotal);
	(void)ip_output(m, NULL, 0, NULL);
}

/*
 * RFC 5961 section 7: challenge ACKs are rate limited, globally, to
 * challenge_ack_limit per second.
 */
bool
tcp_challenge_ack_ok(void)
{
	uint64_t sec = getnanouptime() / 1000000000;
	bool ok;

	mutex_enter(&tcp_lock);
	if (sec != tcp_challenge_sec) {
		tcp_challenge_sec = sec;
		tcp_challenge_count = 0;
	}
	ok = tcp_challenge_count++ <
	    atomic_load_relaxed(&tcp_tun.challenge_ack_limit);
	mutex_exit(&tcp_lock);
	if (ok)
		TCP_STATINC(tcps_challengeack);
	return ok;
}

/* ---------------------------------------------------------------- MSS */

/* The MSS our side of the route allows (IP MTU - 40), capped so a
 * segment's IP length fits in 16 bits. */
uint32_t
tcp_mss_for_route(struct tcpcb *tp)
{
	struct inpcb *inp = tp->t_inpcb;
	int mtu = ip_mtu_to(inp->inp_faddr, &inp->inp_route);
	uint32_t mss;

	if (mtu <= 0)
		mtu = 1500;
	if (tp->t_pmtu != 0 && (int)tp->t_pmtu < mtu)
		mtu = (int)tp->t_pmtu;
	mss = (uint32_t)mtu -
	    (uint32_t)(sizeof(struct ip) + sizeof(struct tcphdr));
	if (mss > IP_MAXPACKET - 40 - TCP_MAXOLEN)
		mss = IP_MAXPACKET - 40 - TCP_MAXOLEN;
	if (mss < 64)
		mss = 64;
	return mss;
}

/* Recomputes t_maxseg from the peer's MSS, the route and TCP_MAXSEG. */
void
tcp_mss_update(struct tcpcb *tp)
{
	uint32_t mss = tcp_mss_for_route(tp);

	if (tp->t_peermss != 0 && tp->t_peermss < mss)
		mss = tp->t_peermss;
	if (tp->t_usermss != 0 && tp->t_usermss < mss)
		mss = tp->t_usermss;
	if (mss < 64)
		mss = 64;
	tp->t_maxseg = mss;
	tp->t_rwin_clamp =
	    ip_maxwin_to(tp->t_inpcb->inp_faddr, &tp->t_inpcb->inp_route);
}

/* ---------------------------------------------------------- ICMP errors */

/*
 * An ICMP error about a segment we sent (ip: its IP header, followed by at
 * least 8 bytes of our TCP header).  Fragmentation needed lowers the path
 * MTU and resends; the others are soft errors (RFC 1122 4.2.3.9): kept and
 * reported if the connection attempt then times out.
 */
void
tcp_ctlinput(int cmd, in_addr_t dst __unused, const struct ip *ip, int iplen,
    uint32_t mtu)
{
	const struct tcphdr *th;
	struct inpcb *inp;
	struct socket *so;
	struct tcpcb *tp;
	int hl;
	tcp_seq seq;

	if (ip == NULL || iplen < (int)sizeof(struct ip))
		return;
	hl = IP_HL(ip);
	if (hl < IP_MINHDR || iplen < hl + 8)
		return;
	th = (const struct tcphdr *)(const void *)((const char *)ip + hl);
	inp = in_pcblookup(tcbtable, ip->ip_dst.s_addr, th->th_dport,
	    ip->ip_src.s_addr, th->th_sport, false);
	if (inp == NULL)
		return;
	so = inp->inp_socket;
	solock(so);
	tp = inp->inp_ppcb;
	if ((inp->inp_flags & INP_DEAD) || tp == NULL ||
	    (tp->t_flags & TF_DEAD))
		goto out;
	seq = ntohl(th->th_seq);
	/* RFC 5927: only errors about data in flight are believed. */
	if (SEQ_LT(seq, tp->snd_una) || SEQ_GT(seq, tp->snd_max))
		goto out;
	if (cmd == EMSGSIZE) {
		if (mtu < 296 || mtu >= 65536)
			goto out;
		if (tp->t_pmtu == 0 || mtu < tp->t_pmtu) {
			uint32_t old = tp->t_maxseg;

			tp->t_pmtu = mtu;
			tcp_mss_update(tp);
			if (tp->t_maxseg < old) {
				tp->snd_nxt = tp->snd_una;
				tp->t_rtt_start = 0;
				(void)tcp_output(tp);
			}
		}
		goto out;
	}
	if (cmd == EHOSTUNREACH || cmd == ENETUNREACH || cmd == ECONNREFUSED ||
	    cmd == EHOSTDOWN || cmd == ENETDOWN || cmd == ENOPROTOOPT) {
		/*
		 * Soft errors (RFC 1122 4.2.3.9): remembered, and reported
		 * if the connection then times out.  A connection attempt
		 * that has already retransmitted its SYN several times gives
		 * up at once (as BSD's tcp_notify does).
		 */
		tp->t_softerror = cmd;
		if (tp->t_state < TCPS_ESTABLISHED && tp->t_rxtshift > 3)
			tcp_drop(tp, cmd);
	}
out:
	sounlock(so);
	in_pcbunref(inp);
}

/* -------------------------------------------------------- /proc/net/tcp */

struct tcp_proc_walk {
	struct inpcb **pcbs;
	int n, max;
};

static void
tcp_proc_count(struct inpcb *inp __unused, void *arg)
{
	(*(int *)arg)++;
}

/* Takes a reference to each pcb (table lock held: no socket locks). */
static void
tcp_proc_collect(struct inpcb *inp, void *arg)
{
	struct tcp_proc_walk *w = arg;

	if (w->n < w->max) {
		in_pcbref(inp);
		w->pcbs[w->n++] = inp;
	}
}

/* One line of /proc/net/tcp (so_lock held). */
static void
tcp_proc_line(struct pfs_buf *b, int sl, struct inpcb *inp, struct tcpcb *tp)
{
	struct socket *so = inp->inp_socket;
	int st = tp->t_state, tr = 0;
	uint32_t txq, rxq, mss = tp->t_maxseg ? tp->t_maxseg : 1;
	uint64_t when = 0, now = getnanouptime();

	if (st == TCPS_LISTEN) {
		rxq = (uint32_t)so->so_qlen;
		txq = (uint32_t)so->so_qlimit;
	} else {
		txq = (uint32_t)so->so_snd.sb_cc;
		rxq = (uint32_t)so->so_rcv.sb_cc;
	}
	if (tp->t_timer[TCPT_REXMT] != 0) {
		tr = 1;
		when = tp->t_timer[TCPT_REXMT];
	} else if (tp->t_timer[TCPT_2MSL] != 0) {
		tr = 3;
		when = tp->t_timer[TCPT_2MSL];
	} else if (tp->t_timer[TCPT_KEEP] != 0) {
		tr = 2;
		when = tp->t_timer[TCPT_KEEP];
	} else if (tp->t_timer[TCPT_PERSIST] != 0) {
		tr = 4;
		when = tp->t_timer[TCPT_PERSIST];
	}
	/* Times in clock ticks of USER_HZ 100, as Linux prints them. */
	when = when > now ? (when - now) / 10000000 : 0;
	pfs_printf(b,
	    "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d "
	    "%lu %d 0000000000000000 %u %u %u %u %d\n",
	    sl, inp->inp_laddr, ntohs(inp->inp_lport), inp->inp_faddr,
	    ntohs(inp->inp_fport), tcp_linux_state(st), txq, rxq, tr,
	    (unsigned long)when, (unsigned)tp->t_rxtshift, 0u, tp->t_keepprobes,
	    (unsigned long)((uintptr_t)so >> 6) & 0xffffffffUL, 1,
	    (unsigned)(tp->t_rto / 10000000), 4u, 0u, tp->snd_cwnd / mss,
	    st == TCPS_LISTEN || tp->snd_ssthresh >= 0x7fffffff
	        ? -1
	        : (int)(tp->snd_ssthresh / mss));
}

/*
 * /proc/net/tcp: the pcbs are collected with a reference each under the
 * table lock, then each is read under its socket's lock.
 */
static int
tcp_proc_read(void *arg __unused, struct pfs_buf *b)
{
	struct tcp_proc_walk w = {NULL, 0, 0};
	int count = 0, sl = 0;

	pfs_printf(b, "%-149s\n",
	    "  sl  local_address rem_address   st tx_queue rx_queue tr "
	    "tm->when retrnsmt   uid  timeout inode");
	if (tcbtable == NULL)
		return 0;
	in_pcbforeach(tcbtable, tcp_proc_count, &count);
	w.max = count + 64;
	w.pcbs = kmem_alloc((size_t)w.max * sizeof(*w.pcbs), KM_SLEEP);
	if (w.pcbs == NULL)
		return ENOMEM;
	in_pcbforeach(tcbtable, tcp_proc_collect, &w);
	for (int i = 0; i < w.n; i++) {
		struct inpcb *inp = w.pcbs[i];
		struct socket *so = inp->inp_socket;
		struct tcpcb *tp;

		solock(so);
		tp = inp->inp_ppcb;
		if (!(inp->inp_flags & INP_DEAD) && tp != NULL &&
		    !(tp->t_flags & TF_DEAD))
			tcp_proc_line(b, sl++, inp, tp);
		sounlock(so);
		in_pcbunref(inp);
	}
	kmem_free(w.pcbs, (size_t)w.max * sizeof(*w.pcbs));
	return 0;
}

/* /proc/net/tcpstat: rumpk's TCP counters, one "name value" a line. */
static int
tcp_stat_read(void *arg __unused, struct pfs_buf *b)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
#define TS(x) {#x, offsetof(struct tcp_stats, tcps_##x)}
	    TS(connattempt),
	    TS(accepts),
	    TS(connects),
	    TS(drops),
	    TS(rcvtotal),
	    TS(sndtotal),
	    TS(sndrexmitpack),
	    TS(rcvbadsum),
	    TS(rcvshort),
	    TS(rcvbadoff),
	    TS(rexmttimeo),
	    TS(fastrexmt),
	    TS(sackrexmt),
	    TS(rcvoopack),
	    TS(rcvduppack),
	    TS(predack),
	    TS(preddat),
	    TS(challengeack),
	    TS(listendrop),
	    TS(keepdrops),
	    TS(persisttimeo),
	    TS(timewait_reused),
	    TS(dbgdrop),
	    TS(tlp),
	    TS(lostrexmt),
	    TS(sndtso),
	    TS(rcvbig),
#undef TS
	};

	for (size_t i = 0; i < nitems(f); i++)
		pfs_printf(b, "%s %lu\n", f[i].name,
		    (unsigned long)atomic_load_relaxed(
		        (uint64_t *)((char *)&tcpstat + f[i].off)));
	return 0;
}

/* ------------------------------------------------------------ tunables */

/*
 * Every tunable has a /proc/sys/net/ipv4 file (Linux's name and unit
 * where Linux has it; tcp_rumpk_* are ours), a RUMP_TCP_* boot parameter
 * for some, and rump_pub_tcp_set(name, value) for programs and tests.
 */
struct tcp_knob {
	const char *k_name;  /* below net/ipv4/ */
	const char *k_param; /* boot parameter, or NULL */
	void *k_var;
	int k_int;       /* int variable (else uint64_t) */
	uint64_t k_unit; /* ns per unit for times */
	long k_min, k_max;
};

static const struct tcp_knob tcp_knobs[] = {
    {"tcp_keepalive_time", NULL, &tcp_tun.keepidle_ns, 0, 1000000000ULL, 1,
        32767},
    {"tcp_keepalive_intvl", NULL, &tcp_tun.keepintvl_ns, 0, 1000000000ULL, 1,
        32767},
    {"tcp_keepalive_probes", NULL, &tcp_tun.keepcnt, 1, 1, 1, 127},
    {"tcp_syn_retries", NULL, &tcp_tun.syn_retries, 1, 1, 1, 127},
    {"tcp_synack_retries", NULL, &tcp_tun.synack_retries, 1, 1, 0, 127},
    {"tcp_retries2", NULL, &tcp_tun.retries2, 1, 1, 1, 127},
    {"tcp_fin_timeout", NULL, &tcp_tun.fin_timeout_ns, 0, 1000000000ULL, 0,
        3600},
    {"tcp_sack", NULL, &tcp_tun.sack, 1, 1, 0, 1},
    {"tcp_timestamps", NULL, &tcp_tun.timestamps, 1, 1, 0, 1},
    {"tcp_window_scaling", NULL, &tcp_tun.window_scaling, 1, 1, 0, 1},
    {"tcp_moderate_rcvbuf", NULL, &tcp_tun.autotune, 1, 1, 0, 1},
    {"tcp_challenge_ack_limit", NULL, &tcp_tun.challenge_ack_limit, 1, 1, 0,
        1000000},
    {"tcp_rumpk_msl_ms", "RUMP_TCP_MSL_MS", &tcp_tun.msl_ns, 0, 1000000ULL, 0,
        3600000},
    {"tcp_rumpk_rto_min_ms", "RUMP_TCP_RTO_MIN_MS", &tcp_tun.rto_min_ns, 0,
        1000000ULL, 1, 60000},
    {"tcp_rumpk_delack_ms", NULL, &tcp_tun.delack_ns, 0, 1000000ULL, 1, 1000},
    {"tcp_rumpk_init_cwnd", NULL, &tcp_tun.init_cwnd_segs, 1, 1, 1, 1000},
    {"tcp_rumpk_drop_permille", "RUMP_TCP_DROP_PERMILLE",
        &tcp_tun.drop_permille, 1, 1, 0, 1000},
    {"tcp_rumpk_reorder_permille", "RUMP_TCP_REORDER_PERMILLE",
        &tcp_tun.reorder_permille, 1, 1, 0, 1000},
    {"tcp_rumpk_drop_port", "RUMP_TCP_DROP_PORT", &tcp_tun.drop_port, 1, 1, 0,
        65535},
};

static const struct tcp_knob *
tcp_knob_find(const char *name)
{
	for (size_t i = 0; i < nitems(tcp_knobs); i++)
		if (strcmp(tcp_knobs[i].k_name, name) == 0)
			return &tcp_knobs[i];
	return NULL;
}

static int
tcp_knob_set(const struct tcp_knob *k, long v)
{
	if (v < k->k_min || v > k->k_max)
		return EINVAL;
	if (k->k_int)
		atomic_store_relaxed((int *)k->k_var, (int)v);
	else
		atomic_store_relaxed(
		    (uint64_t *)k->k_var, (uint64_t)v * k->k_unit);
	return 0;
}

static bool
tcp_parse_long(const char *s, size_t len, long *vp)
{
	long v = 0;
	bool neg = false, any = false;
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > 100000000000L)
			return false;
		v = v * 10 + (s[i] - '0');
		any = true;
	}
	while (i < len && (s[i] == '\n' || s[i] == ' ' || s[i] == '\0'))
		i++;
	if (!any || i != len)
		return false;
	*vp = neg ? -v : v;
	return true;
}

static int
tcp_knob_read(void *arg, struct pfs_buf *b)
{
	const struct tcp_knob *k = arg;

	if (k->k_int)
		pfs_printf(b, "%d\n", atomic_load_relaxed((int *)k->k_var));
	else
		pfs_printf(b, "%lu\n",
		    (unsigned long)(atomic_load_relaxed((uint64_t *)k->k_var) /
		        k->k_unit));
	return 0;
}

static int
tcp_knob_write(void *arg, const char *data, size_t len)
{
	long v;

	if (!tcp_parse_long(data, len, &v))
		return EINVAL;
	return tcp_knob_set(arg, v);
}

static int
tcp_cc_read(void *arg __unused, struct pfs_buf *b)
{
	char name[sizeof(tcp_default_cc)];

	mutex_enter(&tcp_lock);
	strlcpy(name, tcp_default_cc, sizeof(name));
	mutex_exit(&tcp_lock);
	pfs_printf(b, "%s\n", name);
	return 0;
}

static int
tcp_cc_write(void *arg __unused, const char *data, size_t len)
{
	char name[sizeof(tcp_default_cc)];
	const struct tcp_cc_algo *cc;

	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\0'))
		len--;
	if (len == 0 || len >= sizeof(name))
		return EINVAL;
	memcpy(name, data, len);
	name[len] = '\0';
	cc = tcp_cc_find(name);
	if (cc == NULL)
		return ENOENT;
	mutex_enter(&tcp_lock);
	strlcpy(tcp_default_cc, cc->cc_name, sizeof(tcp_default_cc));
	mutex_exit(&tcp_lock);
	return 0;
}

static int
tcp_cc_avail_read(void *arg __unused, struct pfs_buf *b)
{
	pfs_printf(b, "reno cubic\n");
	return 0;
}

/*
 * Public: sets a TCP tunable by its /proc/sys/net/ipv4 name (times in that
 * file's unit), e.g. rump_pub_tcp_set("tcp_rumpk_msl_ms", 100).  Returns 0,
 * ENOENT for an unknown name, EINVAL out of range.  Needs no CPU.
 */
RUMP_API int rump_pub_tcp_set(const char *name, long value);
RUMP_API int
rump_pub_tcp_set(const char *name, long value)
{
	const struct tcp_knob *k = tcp_knob_find(name);

	if (k == NULL)
		return ENOENT;
	return tcp_knob_set(k, value);
}

/* ---------------------------------------------------------------- init */

static const struct ip_protocol tcp_ipp = {
    .ipp_input = tcp_input,
    .ipp_ctlinput = tcp_ctlinput,
};

struct domain tcp_domain = {
    .dom_family = AF_INET,
    .dom_name = "inet-tcp",
    .dom_protosw = tcp_protosw,
    .dom_nprotosw = 1,
};

RUMP_COMPONENT(RUMP_COMPONENT_NET)
{
	char buf[64], path[96];
	int error;

	mutex_init(&tcp_lock, MUTEX_DEFAULT);
	error = workqueue_create(&tcp_reapwq, "tcpreap", tcp_reap, NULL);
	if (error)
		panic("tcp: cannot create the reaper: %d", error);
	tcbtable = in_pcbtable_create("tcp", 4096);
	for (size_t i = 0; i < nitems(tcp_knobs); i++) {
		const struct tcp_knob *k = &tcp_knobs[i];
		long v;

		if (k->k_param != NULL &&
		    kern_getparam(k->k_param, buf, sizeof(buf)) == 0 &&
		    tcp_parse_long(buf, strlen(buf), &v))
			(void)tcp_knob_set(k, v);
		snprintf(path, sizeof(path), "sys/net/ipv4/%s", k->k_name);
		(void)procfs_register(
		    path, tcp_knob_read, tcp_knob_write, (void *)(uintptr_t)k);
	}
	if (kern_getparam("RUMP_TCP_CONGESTION", buf, sizeof(buf)) == 0)
		(void)tcp_cc_write(NULL, buf, strlen(buf));
	(void)procfs_register("sys/net/ipv4/tcp_congestion_control",
	    tcp_cc_read, tcp_cc_write, NULL);
	(void)procfs_register("sys/net/ipv4/tcp_available_congestion_control",
	    tcp_cc_avail_read, NULL, NULL);
	(void)procfs_register("net/tcp", tcp_proc_read, NULL, NULL);
	(void)procfs_register("net/tcpstat", tcp_stat_read, NULL, NULL);
	ip_register_proto(IPPROTO_TCP, &tcp_ipp);
	domain_attach(&tcp_domain);
}
