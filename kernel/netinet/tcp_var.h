/*
 * netinet/tcp_var.h — TCP inside netinet: the connection control block
 * (tcpcb), its timers, congestion control modules, tunables and the
 * functions the tcp_*.c files share.
 *
 * Files:
 *   tcp_subr.c    init, tcpcb life (newtcpcb → close → reaper), ISNs,
 *                 RST/ACK replies without a connection, ICMP (ctlinput),
 *                 /proc/net/tcp and /proc/sys knobs, test hooks
 *   tcp_input.c   segment input: demux, options, state machine, ACK and
 *                 SACK processing, reassembly, listen (SYN → sonewconn)
 *   tcp_output.c  segment output: what to send, header and options, SACK
 *                 loss recovery
 *   tcp_timer.c   one callout per connection multiplexing five timers
 *   tcp_cc.c      NewReno and CUBIC (RFC 5681, 6582, 8312)
 *   tcp_usrreq.c  the protosw: user requests, options, TCP_INFO
 *
 * Connection states (t_state, [s]), RFC 9293 figure 5:
 *
 *   CLOSED --connect/SYN--> SYN_SENT --SYN+ACK/ACK--> ESTABLISHED
 *   LISTEN --SYN (sonewconn child)--> SYN_RECEIVED --ACK--> ESTABLISHED
 *   ESTABLISHED --close/FIN--> FIN_WAIT_1 --ACK--> FIN_WAIT_2
 *                                         --FIN/ACK--> CLOSING --ACK-->
 *   FIN_WAIT_2 --FIN/ACK--> TIME_WAIT --2MSL--> CLOSED
 *   ESTABLISHED --FIN/ACK--> CLOSE_WAIT --close/FIN--> LAST_ACK
 *                                        --ACK--> CLOSED
 *   any --RST, timeout, abort--> CLOSED
 *
 * A typical life: tcp_attach (pr_attach: inpcb + tcpcb) → tcp_connect or
 * listen/sonewconn → data → tcp_usrclosed (FIN) → ... → tcp_close (state
 * CLOSED, TF_DEAD, timers stopped) → the reaper (a workqueue) waits for a
 * running timer callout with callout_halt, detaches the inpcb (so_pcb =
 * NULL), calls sofree() and frees the tcpcb.  So a timer callout that has
 * already begun and waits for so_lock always finds the socket and tcpcb
 * alive, sees TF_DEAD under the lock and returns: that is how the timer
 * race with close is handled (flag under the lock + halt before free).
 * pr_detach (the descriptor closed) does not free a connection that still
 * has work to do (FIN_WAIT, TIME_WAIT, LAST_ACK): it is "orphaned" and the
 * protocol calls sofree() through the reaper when it is done.
 *
 * Locking: one lock covers a connection, its socket's so_lock.  Input and
 * timers take it; user requests come with it held.  A child socket in
 * SYN_RECEIVED is locked after its listener (socket.h: listener → child).
 * Lock order: listener so_lock → child so_lock → the pcb table lock
 * (in_pcb.c) → tcp_lock and the callout lock (leaves).
 * [s] so_lock  [I] immutable after creation  [a] atomic  [g] tcp_lock
 * [c] the callout lock  [w] the reaper's workqueue
 */
#ifndef KERNEL_NETINET_TCP_VAR_H
#define KERNEL_NETINET_TCP_VAR_H

#include "netinet/in_var.h"
#include "netinet/tcp.h"

/* Sequence space arithmetic (modulo 2^32). */
#define SEQ_LT(a, b)  ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))

enum tcp_state {
	TCPS_CLOSED = 0,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_CLOSE_WAIT,
	TCPS_FIN_WAIT_1,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_FIN_WAIT_2,
	TCPS_TIME_WAIT,
	TCP_NSTATES
};
#define TCPS_HAVERCVDSYN(s)     ((s) >= TCPS_SYN_RECEIVED)
#define TCPS_HAVEESTABLISHED(s) ((s) >= TCPS_ESTABLISHED)
#define TCPS_HAVERCVDFIN(s)                                                    \
	((s) == TCPS_CLOSE_WAIT || (s) == TCPS_CLOSING ||                      \
	    (s) == TCPS_LAST_ACK || (s) == TCPS_TIME_WAIT)

/* Timers: deadlines in t_timer[] (monotonic ns, 0 = off). */
enum {
	TCPT_REXMT = 0, /* retransmission (and SYN/SYN-ACK retries) */
	TCPT_PERSIST,   /* zero-window probes */
	TCPT_KEEP,      /* connection establishment limit, keepalive */
	TCPT_2MSL,      /* TIME_WAIT, orphaned FIN_WAIT_2 */
	TCPT_DELACK,    /* delayed ACK */
	TCPT_NTIMERS
};

/* A range of sequence space [start, end). */
struct tcp_sackblk {
	tcp_seq start, end;
};
#define TCP_SACK_MAXBLKS 32 /* sender scoreboard entries */
#define TCP_SACK_RCVBLKS 4  /* blocks we report (3 fit with timestamps) */

/* An out-of-order segment waiting in the reassembly queue. */
struct tcp_reass {
	struct tcp_reass *tr_next;
	tcp_seq tr_seq;
	int tr_len;  /* data bytes (FIN not counted) */
	bool tr_fin; /* the segment carried FIN after its data */
	struct mbuf *tr_m;
};

struct tcpcb;

/* A congestion control module (tcp_cc.c). */
struct tcp_cc_algo {
	const char *cc_name;
	void (*cc_init)(struct tcpcb *tp);
	/* New data acked (acked bytes) outside recovery. */
	void (*cc_ack)(struct tcpcb *tp, uint32_t acked);
	/* Loss detected by duplicate ACKs/SACK: sets ssthresh. */
	void (*cc_loss)(struct tcpcb *tp);
	/* Retransmission timeout. */
	void (*cc_rto)(struct tcpcb *tp);
	/* Recovery ended at a full ACK. */
	void (*cc_recovered)(struct tcpcb *tp);
};
extern const struct tcp_cc_algo tcp_cc_newreno, tcp_cc_cubic;
const struct tcp_cc_algo *tcp_cc_find(const char *name);

/* CUBIC's state (RFC 8312), bytes and ns. */
struct tcp_cubic {
	uint64_t cu_epoch_ns;  /* start of this congestion avoidance epoch */
	uint64_t cu_k_us;      /* K: time to reach W_max, in µs */
	uint32_t cu_wmax;      /* window before the last reduction */
	uint32_t cu_wlast_max; /* for fast convergence */
	uint32_t cu_origin;    /* W_max or cwnd at epoch start */
	uint32_t cu_west;      /* the Reno-friendly estimate */
	uint32_t cu_acked;     /* bytes acked in this epoch (for W_est) */
};

struct tcpcb {
	struct inpcb *t_inpcb;   /* [I] */
	struct socket *t_socket; /* [I] */
	int t_state;             /* [s] TCPS_* */
	uint32_t t_flags;        /* [s] TF_* */

	/* Send sequence space. */
	tcp_seq snd_una; /* [s] oldest unacknowledged */
	tcp_seq snd_nxt; /* [s] next to send */
	tcp_seq snd_max; /* [s] highest sent + 1 */
	tcp_seq snd_wl1,
	    snd_wl2;           /* [s] segment seq/ack of last window update */
	tcp_seq iss;           /* [s] */
	tcp_seq snd_recover;   /* [s] NewReno/SACK recovery point */
	tcp_seq snd_fin;       /* [s] sequence of our FIN when TF_SENTFIN */
	tcp_seq snd_sml;       /* [s] end of the last sub-MSS segment sent */
	uint32_t snd_wnd;      /* [s] peer's window (scaled) */
	uint32_t max_sndwnd;   /* [s] largest window the peer offered */
	uint32_t snd_cwnd;     /* [s] congestion window, bytes */
	uint32_t snd_ssthresh; /* [s] */

	/* Receive sequence space. */
	tcp_seq rcv_nxt;  /* [s] */
	tcp_seq rcv_adv;  /* [s] right edge we advertised */
	tcp_seq irs;      /* [s] */
	uint32_t rcv_wnd; /* [s] */

	/* Options. */
	uint8_t snd_scale;       /* [s] peer's shift for its windows */
	uint8_t rcv_scale;       /* [s] our shift */
	uint8_t request_r_scale; /* [s] shift we offer */
	uint32_t t_maxseg;       /* [s] send MSS (no options) */
	uint32_t t_peermss;      /* [s] MSS option of the peer */
	uint32_t t_ourmss;       /* [s] MSS we announced */
	uint32_t t_usermss;      /* [s] TCP_MAXSEG, 0 = none */
	uint32_t t_pmtu;         /* [s] path MTU in use */
	uint32_t t_rwin_clamp;   /* [s] the route's if_maxwin, 0: none */
	uint32_t ts_recent;      /* [s] TSval to echo */
	uint64_t ts_recent_age;  /* [s] when ts_recent was set (ns) */
	uint32_t ts_offset;      /* [s] random offset of our TSval clock */

	/* Round trip time (RFC 6298), ns. */
	uint64_t t_srtt;      /* [s] 0: no sample yet */
	uint64_t t_rttvar;    /* [s] */
	uint64_t t_rto;       /* [s] current RTO without backoff */
	uint64_t t_rtt_min;   /* [s] lowest sample */
	uint64_t t_rtt_start; /* [s] time of the timed segment, 0: none */
	tcp_seq t_rtseq;      /* [s] sequence being timed */
	int t_rxtshift;       /* [s] backoff count of TCPT_REXMT */
	int t_dupacks;        /* [s] consecutive duplicate ACKs */

	/* SACK: sender scoreboard (sorted, disjoint, above snd_una). */
	struct tcp_sackblk t_sack[TCP_SACK_MAXBLKS]; /* [s] */
	int t_nsack;                                 /* [s] */
	uint32_t t_sacked;                           /* [s] bytes in t_sack */
	tcp_seq t_rxt_next; /* [s] holes below are retransmitted */
	tcp_seq t_rxt_mark; /* [s] snd_max when the hole at snd_una was
	                     * resent: SACKs above it mean it was lost */
	tcp_seq t_rxt_una;  /* [s] snd_una at that time */
	/* Receiver: out-of-order queue and the last block received. */
	struct tcp_reass *t_reass; /* [s] sorted by sequence */
	int t_reass_bytes;         /* [s] */
	int t_reass_segs;          /* [s] */
	tcp_seq t_rcv_lastsack;    /* [s] start of the latest ooo segment */

	/* Delayed ACK. */
	uint32_t t_unacked; /* [s] bytes received and not yet acked */
	uint32_t t_rcvmss;  /* [s] largest segment the peer sent */
	int t_quickack;     /* [s] segments to ACK at once (start) */

	/* Keepalive (ns) and counts; defaults from the tunables. */
	uint64_t t_keepidle, t_keepintvl; /* [s] */
	int t_keepcnt;                    /* [s] */
	int t_keepprobes;                 /* [s] probes sent unanswered */
	int t_syncnt;                     /* [s] SYN retries (TCP_SYNCNT) */
	uint64_t t_rcvtime;               /* [s] last segment received (ns) */
	uint64_t t_sndtime;               /* [s] last data sent (ns) */
	uint64_t t_lingertime; /* [s] TCP_LINGER2: orphan FIN_WAIT_2 (ns) */

	/* Congestion control. */
	const struct tcp_cc_algo *t_cc; /* [s] */
	struct tcp_cubic t_cubic;       /* [s] */

	/* Autotuning of the receive buffer (per measurement window). */
	uint64_t t_rcvat_ns;   /* [s] start of the window */
	uint64_t t_rcvat_read; /* [s] bytes read by then */
	uint64_t t_bytes_read; /* [s] read by the user so far */

	/* Timers: one callout; t_timer[] deadlines ([s]); t_callout_at is
	 * the deadline the callout is scheduled for (0: not scheduled). */
	struct callout t_callout; /* [c] the callout lock (kern_callout.c) */
	uint64_t t_timer[TCPT_NTIMERS]; /* [s] */
	uint64_t t_callout_at;          /* [s] */
	int t_persist_shift;            /* [s] */

	/* The reaper's link. */
	struct work t_work; /* [w] the reaper workqueue, once TF_DEAD */

	/* Test hook: a segment held back to be sent after the next. */
	struct mbuf *t_held; /* [s] */

	/* Statistics for TCP_INFO and /proc. */
	uint32_t t_retrans_total; /* [s] */
	uint32_t t_retrans_out;   /* [s] segments retransmitted, unacked */
	uint32_t t_segs_in, t_segs_out;           /* [s] */
	uint32_t t_data_segs_in, t_data_segs_out; /* [s] */
	uint64_t t_bytes_acked, t_bytes_received; /* [s] */
	uint64_t t_bytes_sent, t_bytes_retrans;   /* [s] */
	uint64_t t_lastack_ns, t_lastdata_rcv_ns; /* [s] */
	uint32_t t_rcv_ooopack;                   /* [s] */
	int t_softerror; /* [s] ICMP error seen while connecting */
};

/* t_flags */
#define TF_ACKNOW      0x00000001 /* ACK at the next output */
#define TF_DELACK      0x00000002 /* an ACK is owed (delayed) */
#define TF_NODELAY     0x00000004 /* TCP_NODELAY: no Nagle */
#define TF_CORK        0x00000008 /* TCP_CORK */
#define TF_MORE        0x00000010 /* MSG_MORE on the last send */
#define TF_SENTFIN     0x00000020 /* FIN sent */
#define TF_NEEDFIN     0x00000040 /* user closed: FIN after the data */
#define TF_REQ_SCALE   0x00000080 /* we offer window scale */
#define TF_RCVD_SCALE  0x00000100 /* peer too */
#define TF_REQ_TSTMP   0x00000200
#define TF_RCVD_TSTMP  0x00000400
#define TF_SACK_PERMIT 0x00000800 /* both offered SACK */
#define TF_REQ_SACK    0x00001000
#define TF_INRECOVERY  0x00002000 /* fast recovery until snd_recover */
#define TF_DEAD        0x00004000 /* closed: waits for the reaper */
#define TF_ORPHAN      0x00008000 /* the descriptor is gone (pr_detach) */
#define TF_FORCE       0x00010000 /* send a window probe */
#define TF_KEEPALIVE   0x00020000 /* SO_KEEPALIVE seen at the last check */
#define TF_PMTUD_LOWER 0x00040000 /* MSS lowered by ICMP: resend */
#define TF_REAPING     0x00080000 /* on the reaper's queue */
#define TF_CONNECTED   0x00100000 /* soisconnected done */
#define TF_QUICKACK    0x00200000 /* TCP_QUICKACK */
#define TF_WASIDLE     0x00400000
#define TF_TLP_ARMED   0x00800000 /* TCPT_REXMT is a tail loss probe timer */
#define TF_TLP_SENT    0x01000000 /* a probe went out, no progress yet */
#define TF_RXT_MARK    0x02000000 /* the hole at snd_una was resent */
#define TF_PINGPONG    0x04000000 /* interactive: replies carry our ACKs */

/* Tunables (tcp_subr.c), read without a lock ([a]). */
struct tcp_tunables {
	uint64_t msl_ns;         /* TIME_WAIT lasts 2 * msl (default 30 s) */
	uint64_t fin_timeout_ns; /* orphaned FIN_WAIT_2 (default 60 s) */
	uint64_t keepidle_ns;    /* 7200 s */
	uint64_t keepintvl_ns;   /* 75 s */
	int keepcnt;             /* 9 */
	int syn_retries;         /* 6 */
	int synack_retries;      /* 5 */
	int retries2;            /* 15 */
	uint64_t rto_min_ns;     /* 200 ms */
	uint64_t rto_max_ns;     /* 120 s */
	uint64_t rto_init_ns;    /* 1 s */
	uint64_t delack_ns;      /* 40 ms */
	int sack;                /* 1 */
	int timestamps;          /* 1 */
	int window_scaling;      /* 1 */
	int autotune;            /* 1 */
	int init_cwnd_segs;      /* 10 (RFC 6928) */
	/* Test hooks: drop/reorder outgoing segments (permille), drop every
	 * segment from or to one port, all 0 = off. */
	int drop_permille;
	int reorder_permille;
	int drop_port;           /* host order */
	int challenge_ack_limit; /* per second, 1000 */
};
extern struct tcp_tunables tcp_tun;
extern char tcp_default_cc[16]; /* [g] */

struct tcp_stats {
	uint64_t tcps_connattempt, tcps_accepts, tcps_connects, tcps_drops;
	uint64_t tcps_rcvtotal, tcps_sndtotal, tcps_sndrexmitpack;
	uint64_t tcps_rcvbadsum, tcps_rcvshort, tcps_rcvbadoff;
	uint64_t tcps_rexmttimeo, tcps_fastrexmt, tcps_sackrexmt;
	uint64_t tcps_rcvoopack, tcps_rcvduppack, tcps_predack, tcps_preddat;
	uint64_t tcps_challengeack, tcps_listendrop, tcps_keepdrops;
	uint64_t tcps_persisttimeo, tcps_timewait_reused, tcps_dbgdrop;
	uint64_t tcps_tlp, tcps_lostrexmt;
	uint64_t tcps_sndtso; /* segments sent as TSO (M_CSUM_TSOv4) */
	uint64_t tcps_rcvbig; /* received segments longer than our MSS */
};
extern struct tcp_stats tcpstat; /* [a] */
#define TCP_STATINC(f) __atomic_add_fetch(&tcpstat.f, 1, __ATOMIC_RELAXED)

extern struct inpcbtable *tcbtable;
extern kmutex_t tcp_lock; /* [g] the default cc name, challenge ACK budget */

/* tcp_subr.c */
struct tcpcb *tcp_newtcpcb(struct inpcb *inp);
void tcp_close(struct tcpcb *tp);
void tcp_drop(struct tcpcb *tp, int error);
tcp_seq tcp_new_isn(
    in_addr_t laddr, in_port_t lport, in_addr_t faddr, in_port_t fport);
uint32_t tcp_tsval(const struct tcpcb *tp);
uint32_t tcp_ts_offset(in_addr_t laddr, in_addr_t faddr);
/* A reply without a connection (RST to a segment): from src:sport to
 * dst:dport (network order), no options. */
void tcp_respond(in_addr_t src, in_port_t sport, in_addr_t dst, in_port_t dport,
    tcp_seq seq, tcp_seq ack, int flags);
void tcp_ctlinput(
    int cmd, in_addr_t dst, const struct ip *ip, int iplen, uint32_t mtu);
void tcp_mss_update(struct tcpcb *tp);
uint32_t tcp_mss_for_route(struct tcpcb *tp);
void tcp_set_state(struct tcpcb *tp, int state);
bool tcp_challenge_ack_ok(void);
int tcp_linux_state(int state);

/* tcp_input.c */
void tcp_input(struct mbuf *m, int off);
void tcp_reass_flush(struct tcpcb *tp);
void tcp_xmit_timer(struct tcpcb *tp, uint64_t rtt_ns);
void tcp_rcv_autotune(struct tcpcb *tp);
/* The window shift to offer for so's receive buffer. */
unsigned tcp_rscale_for(struct socket *so);

/* tcp_output.c */
int tcp_output(struct tcpcb *tp);
void tcp_setpersist(struct tcpcb *tp);
/* Sends a bare segment (keepalive, probe): seq/ack/flags as given. */
int tcp_send_ctl(struct tcpcb *tp, tcp_seq seq, tcp_seq ack, int flags);
uint32_t tcp_rcv_window(struct tcpcb *tp);
void tcp_flush_held(struct tcpcb *tp);
void tcp_tlp_send(struct tcpcb *tp);
uint32_t tcp_optlen(const struct tcpcb *tp);
/* SACK scoreboard (sender) */
void tcp_sack_update(struct tcpcb *tp, const uint8_t *blocks, int nblocks);
void tcp_sack_clear(struct tcpcb *tp);
void tcp_sack_trim(struct tcpcb *tp);
uint32_t tcp_sack_pipe(const struct tcpcb *tp);

/* tcp_timer.c */
void tcp_timer_init(struct tcpcb *tp);
void tcp_timer_arm(struct tcpcb *tp, int which, uint64_t delta_ns);
void tcp_timer_disarm(struct tcpcb *tp, int which);
void tcp_timer_stopall(struct tcpcb *tp);
static inline bool
tcp_timer_active(const struct tcpcb *tp, int which)
{
	return tp->t_timer[which] != 0;
}
uint64_t tcp_rexmt_delta(const struct tcpcb *tp);
/* Arms TCPT_REXMT for outstanding data: a tail loss probe or the RTO. */
void tcp_rexmt_arm(struct tcpcb *tp);
void tcp_canceltimers(struct tcpcb *tp);
void tcp_keep_arm(struct tcpcb *tp);

/* tcp_usrreq.c */
extern const struct protosw tcp_protosw[];
extern struct domain tcp_domain;
void tcp_usrclosed(struct tcpcb *tp);

/*
 * The peer's segment size as the ACK rules see it: the largest segment it
 * sent, but never less than the default MSS (as Linux's rcv_mss), so that
 * tiny segments do not make every byte "a full segment" to ACK at once.
 */
static inline uint32_t
tcp_rcvmss(const struct tcpcb *tp)
{
	uint32_t floor = MIN((uint32_t)TCP_DEFAULT_MSS, tp->t_ourmss);

	return MAX(tp->t_rcvmss, MAX(floor, 1u));
}

static inline struct tcpcb *
sototcpcb(struct socket *so)
{
	struct inpcb *inp = so->so_pcb;

	return inp == NULL ? NULL : inp->inp_ppcb;
}

/* Linux's struct tcp_info (<linux/tcp.h>), the part we fill. */
struct linux_tcp_info {
	uint8_t tcpi_state;
	uint8_t tcpi_ca_state;
	uint8_t tcpi_retransmits;
	uint8_t tcpi_probes;
	uint8_t tcpi_backoff;
	uint8_t tcpi_options;
	uint8_t tcpi_wscale; /* snd_wscale : 4 (low), rcv_wscale : 4 */
	uint8_t tcpi_flags8;
	uint32_t tcpi_rto;
	uint32_t tcpi_ato;
	uint32_t tcpi_snd_mss;
	uint32_t tcpi_rcv_mss;
	uint32_t tcpi_unacked;
	uint32_t tcpi_sacked;
	uint32_t tcpi_lost;
	uint32_t tcpi_retrans;
	uint32_t tcpi_fackets;
	uint32_t tcpi_last_data_sent;
	uint32_t tcpi_last_ack_sent;
	uint32_t tcpi_last_data_recv;
	uint32_t tcpi_last_ack_recv;
	uint32_t tcpi_pmtu;
	uint32_t tcpi_rcv_ssthresh;
	uint32_t tcpi_rtt;
	uint32_t tcpi_rttvar;
	uint32_t tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd;
	uint32_t tcpi_advmss;
	uint32_t tcpi_reordering;
	uint32_t tcpi_rcv_rtt;
	uint32_t tcpi_rcv_space;
	uint32_t tcpi_total_retrans;
	uint64_t tcpi_pacing_rate;
	uint64_t tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked;
	uint64_t tcpi_bytes_received;
	uint32_t tcpi_segs_out;
	uint32_t tcpi_segs_in;
	uint32_t tcpi_notsent_bytes;
	uint32_t tcpi_min_rtt;
	uint32_t tcpi_data_segs_in;
	uint32_t tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate;
	uint64_t tcpi_busy_time;
	uint64_t tcpi_rwnd_limited;
	uint64_t tcpi_sndbuf_limited;
	uint32_t tcpi_delivered;
	uint32_t tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent;
	uint64_t tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups;
	uint32_t tcpi_reord_seen;
	uint32_t tcpi_rcv_ooopack;
	uint32_t tcpi_snd_wnd;
};
CTASSERT(sizeof(struct linux_tcp_info) == 232);
#define TCPI_OPT_TIMESTAMPS 1
#define TCPI_OPT_SACK       2
#define TCPI_OPT_WSCALE     4
/* tcpi_ca_state */
#define TCP_CA_Open     0
#define TCP_CA_Disorder 1
#define TCP_CA_CWR      2
#define TCP_CA_Recovery 3
#define TCP_CA_Loss     4

#endif /* KERNEL_NETINET_TCP_VAR_H */
