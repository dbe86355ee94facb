#!/bin/sh
# run.sh — runs the benchmarks and reports them.
#
# Usage: sh bench/run.sh [build-dir]   (from the project root; `make bench`)
#
# The programs in <build-dir>/bench/ only print raw samples; this script
# runs them, computes medians, percentiles and ratios with awk
# (report_lib.awk with report.awk for the kernel base, report_vfs.awk for
# the VFS), prints the tables and writes bench/results/kern.json and
# bench/results/vfs.json.  A missed target is reported and the script
# still exits 0; a program that fails or crashes makes it exit 1 (a failing
# kernel-base program stops the run at once; a failing VFS program is
# reported as ERROR, the other VFS programs still run and vfs.json lists
# it under "failed").  The environment can shorten or lengthen a run:
#   BENCH_ONLY            "kern" or "vfs": run only that part
#   BENCH_INIT_RUNS (50)  fresh processes timing rump_init()
#   BENCH_NULL_REPS (7)   repetitions of the null-syscall loops
#   BENCH_SCALE_REPS (7)  repetitions of each scaling configuration
#   BENCH_SCALE_MS (400)  milliseconds per scaling run (kernel and VFS)
#   BENCH_OUT (bench/results/kern.json)
#   BENCH_VFS_REPS (5)    repetitions of every VFS benchmark
#   BENCH_META_FILES (100000)  files of the create+fstat+close+unlink loop
#   BENCH_CREATE_SMALL (10000), BENCH_CREATE_LARGE (100000)
#                         files created into one directory
#   BENCH_IO_MB (1024)    tmpfs file size for sequential I/O
#   BENCH_ETFS_MB (256)   etfs image size
#   BENCH_ETFS_DIR (/var/tmp)     where the etfs image is made
#   BENCH_HOST_TMPFS (/dev/shm)   the host tmpfs the VFS figures compare with
#   BENCH_VFS_OUT (bench/results/vfs.json)
#   BENCH_SP_REPS (7), BENCH_SP_N (20000)   remote-client benchmarks
#   BENCH_SP_RT_REPS (201), BENCH_SP_RT_N (1000)   getpid vs ping-pong pairs
#   BENCH_SP_TCP_REPS (5), BENCH_SP_TCP_MB (256)  TCP through sysproxy
#   BENCH_SP_OUT (bench/results/sysproxy.json)
#   BENCH_JNL_REPS (5), BENCH_JNL_OUT (bench/results/ext2fs_journal.json)
#                         the ext4 journal (BENCH_ONLY=jnl)
#   BENCH_NET_REPS (5), BENCH_NET_MB (256), BENCH_NET_RR (5000),
#   BENCH_NET_CONNS (10000)        networking; BENCH_NET_OUT
#                                  (bench/results/net.json)
#   BENCH_E2_REPS (5)     repetitions of every ext4 benchmark
#   BENCH_E2_DIR (/var/tmp)        where the ext4 images are made
#   BENCH_E2_IMG (1G)     size of the populated images
#   BENCH_E2_SEQ_MB (1024), BENCH_E2_SCALE_MB (128)   sequential file size,
#                         data per writer thread; BENCH_E2_OUT
#                         (bench/results/ext2fs.json)
#   BENCH_E2DIR_REPS (5), BENCH_E2DIR_SIZES ("1000 10000 100000")
#                         names created in one ext4 directory; BENCH_E2DIR_OUT
#                         (bench/results/ext2fs_dir.json)

set -u
B=${1:-build}
BIN=$B/bench
INIT_RUNS=${BENCH_INIT_RUNS:-50}
NULL_REPS=${BENCH_NULL_REPS:-7}
SCALE_REPS=${BENCH_SCALE_REPS:-7}
SCALE_MS=${BENCH_SCALE_MS:-400}
OUT=${BENCH_OUT:-bench/results/kern.json}
ONLY=${BENCH_ONLY:-}
VFS_REPS=${BENCH_VFS_REPS:-5}
META_FILES=${BENCH_META_FILES:-100000}
CREATE_SMALL=${BENCH_CREATE_SMALL:-10000}
CREATE_LARGE=${BENCH_CREATE_LARGE:-100000}
IO_MB=${BENCH_IO_MB:-1024}
ETFS_MB=${BENCH_ETFS_MB:-256}
VFS_OUT=${BENCH_VFS_OUT:-bench/results/vfs.json}

die()
{
	echo "bench: $*" >&2
	exit 1
}

# Runs a program, appending its output to a file; dies if it fails.
run()
{
	_out=$1
	shift
	"$@" >>"$_out"
	_st=$?
	[ $_st -eq 0 ] || die "$* failed with status $_st"
}

# Machine facts for the reports.
report()
{
	awk -v json="$tmp/json" \
	    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    -v uname="$(uname -srvm)" \
	    -v host="$(uname -n)" \
	    -v nproc="$(nproc)" \
	    -v cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
	    -v ncpu_env="${RUMP_NCPU:-}" \
	    "$@"
}

tmp=$(mktemp -d) || die "mktemp failed"
e2work=
e2shm=
back=
# Unmounts what the ext4 benchmarks left mounted (fuse2fs) under $1.
e2_umount_under()
{
	awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		while read -r m; do umount "$m" 2>/dev/null; done
}
# A loop mount of the big-directory benchmark goes with the run.
e2dir_mnt= e2dir_dir=
e2dir_cleanup()
{
	[ -n "$e2dir_mnt" ] && umount "$e2dir_mnt"
	[ -n "$e2dir_dir" ] && rm -rf "$e2dir_dir"
	e2dir_mnt= e2dir_dir=
}
cleanup()
{
	e2dir_cleanup
	for d in "$e2work" "$e2shm"; do
		[ -n "$d" ] || continue
		e2_umount_under "$d"
		rm -rf "$d"
	done
	[ -n "$back" ] && rm -rf "$back.r" "$back.d"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The kernel base: kern.json.
kern()
{
	for p in init_time nullsys scale; do
		[ -x "$BIN/$p" ] || die "$BIN/$p missing: run make bench"
	done
	echo "bench: rump_init x $INIT_RUNS processes"
	i=0
	while [ $i -lt "$INIT_RUNS" ]; do
		run "$tmp/init" "$BIN/init_time"
		i=$((i + 1))
	done
	echo "bench: null syscall x $NULL_REPS"
	run "$tmp/null" "$BIN/nullsys" "$NULL_REPS"
	echo "bench: scaling on RUMP_NCPU=2 x $SCALE_REPS"
	run "$tmp/scale" env RUMP_NCPU=2 "$BIN/scale" "$SCALE_REPS" "$SCALE_MS"

	mkdir -p "$(dirname "$OUT")" || die "cannot make $(dirname "$OUT")"
	report -v scale_ms="$SCALE_MS" -f bench/report_lib.awk \
	    -f bench/report.awk "$tmp/init" "$tmp/null" "$tmp/scale" ||
		die "report failed"
	mv "$tmp/json" "$OUT" || die "cannot write $OUT"
	echo "bench: results in $OUT"
}

# Runs a VFS program, its output into $tmp/vfs/<file>; a failure is noted
# in $vfs_failed and the run goes on.
vfs_run()
{
	_f=$1
	_p=$2
	shift 2
	"$@" >"$tmp/vfs/$_f"
	_st=$?
	if [ $_st -ne 0 ]; then
		echo "bench: $_p failed with status $_st" >&2
		vfs_failed="$vfs_failed $_p"
	fi
}

# The VFS: vfs.json.
vfs()
{
	vfs_failed=
	for p in vfs_meta vfs_io vfs_scale vfs_etfs; do
		[ -x "$BIN/$p" ] || die "$BIN/$p missing: run make bench"
	done
	mkdir -p "$tmp/vfs" || die "mkdir failed"
	echo "bench: tmpfs metadata x $VFS_REPS" \
	    "($META_FILES; $CREATE_SMALL and $CREATE_LARGE files)"
	vfs_run meta vfs_meta "$BIN/vfs_meta" "$VFS_REPS" "$META_FILES" \
	    "$CREATE_SMALL" "$CREATE_LARGE"
	echo "bench: tmpfs sequential I/O x $VFS_REPS ($IO_MB MiB)"
	vfs_run io vfs_io "$BIN/vfs_io" "$VFS_REPS" "$IO_MB"
	echo "bench: tmpfs scaling on RUMP_NCPU=2 x $VFS_REPS"
	vfs_run scale vfs_scale env RUMP_NCPU=2 "$BIN/vfs_scale" "$VFS_REPS" \
	    "$SCALE_MS"
	echo "bench: etfs block device x $VFS_REPS ($ETFS_MB MiB)"
	vfs_run etfs vfs_etfs "$BIN/vfs_etfs" "$VFS_REPS" "$ETFS_MB"

	mkdir -p "$(dirname "$VFS_OUT")" || die "cannot make $(dirname "$VFS_OUT")"
	rm -f "$tmp/json"
	report -v failed="${vfs_failed# }" -f bench/report_lib.awk \
	    -f bench/report_vfs.awk "$tmp/vfs/meta" "$tmp/vfs/io" \
	    "$tmp/vfs/scale" "$tmp/vfs/etfs" || die "VFS report failed"
	mv "$tmp/json" "$VFS_OUT" || die "cannot write $VFS_OUT"
	echo "bench: results in $VFS_OUT"
	[ -z "$vfs_failed" ] || die "failed:$vfs_failed"
}

# Remote clients: rump_servers on unix sockets, the clients against them,
# each figure against a reference taken in the same run (report_sp.awk).
SP_REPS=${BENCH_SP_REPS:-7}
SP_N=${BENCH_SP_N:-20000}
SP_RT_REPS=${BENCH_SP_RT_REPS:-201}
SP_RT_N=${BENCH_SP_RT_N:-1000}
SP_TCP_REPS=${BENCH_SP_TCP_REPS:-5}
SP_TCP_MB=${BENCH_SP_TCP_MB:-256}
SP_OUT=${BENCH_SP_OUT:-bench/results/sysproxy.json}

# Starts rump_server in the foreground mode on unix://$tmp/sp/$1 and waits
# for its socket; its pid is in $sp_started.
sp_server()
{
	"$B/bin/rump_server" -s "unix://$tmp/sp/$1" &
	sp_started=$!
	_i=0
	while [ ! -S "$tmp/sp/$1" ] && [ $_i -lt 500 ]; do
		sleep 0.01
		_i=$((_i + 1))
	done
	[ -S "$tmp/sp/$1" ] || die "rump_server on $tmp/sp/$1 did not start"
}

# On server $1 (a socket name), as a user would: shmif0 on the bus $2
# with address $3/24, by rump.ifconfig.
sp_ifconfig()
{
	for _a in "shmif0 create" "shmif0 linkstr $2" "shmif0 inet $3/24 up"; do
		# shellcheck disable=SC2086 # the words are the arguments
		RUMP_SERVER="unix://$tmp/sp/$1" "$B/bin/rump.ifconfig" $_a ||
			die "rump.ifconfig $_a on $1 failed"
	done
}

sysproxy()
{
	[ -x "$B/bin/rump_server" ] || die "no $B/bin/rump_server"
	mkdir -p "$tmp/sp" || die "mkdir failed"
	out=$tmp/sp/out
	: >"$out"
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	sp_server sock
	sp_pid=$sp_started
	export RUMP_SERVER="unix://$tmp/sp/sock"
	echo "bench: sysproxy round trips x $SP_RT_REPS ($SP_RT_N calls each, with the ping-pong)"
	run "$out" "$BIN/sp_bench" rt "$SP_RT_REPS" "$SP_RT_N"
	run "$out" "$BIN/sp_bench" ofrc "$SP_REPS" $((SP_N / 4))
	sed 's/^ofrc_ns/ofrc_local_ns/' <<EOF2 >>"$out"
$("$BIN/sp_local" ofrc "$SP_REPS" $((SP_N / 4)))
EOF2
	echo "bench: sysproxy 64 clients x $SP_REPS"
	run "$out" "$BIN/sp_bench" multi "$SP_REPS" 500 64
	kill "$sp_pid"
	wait "$sp_pid"
	unset RUMP_SERVER

	# TCP: two rump_servers on one shmif bus, configured by rump.ifconfig,
	# a client process on each; then the same programs built with the
	# kernel in them (sp_local) on a bus of their own.  Interleaved.
	echo "bench: TCP through sysproxy and between local kernels x $SP_TCP_REPS ($SP_TCP_MB MiB)"
	sp_server tcpA
	sp_a=$sp_started
	sp_server tcpB
	sp_b=$sp_started
	sp_ifconfig tcpA "$tmp/sp/bus" 10.0.7.1
	sp_ifconfig tcpB "$tmp/sp/bus" 10.0.7.2
	i=0
	while [ $i -lt "$SP_TCP_REPS" ]; do
		if [ $((i % 2)) -eq 0 ]; then
			order="sysproxy local"
		else
			order="local sysproxy"
		fi
		for w in $order; do
			if [ "$w" = sysproxy ]; then
				run "$out" env TCP_PORT=$((7100 + 10 * i)) \
				    TCP_CPU_PIDS="$sp_a $sp_b" \
				    "$BIN/sp_bench" tcp 1 "$SP_TCP_MB" \
				    "unix://$tmp/sp/tcpA" "unix://$tmp/sp/tcpB" 10.0.7.2
			else
				run "$out" "$BIN/sp_local" tcp 1 "$SP_TCP_MB" \
				    "$tmp/sp/lbus$i" "$tmp/sp/lbus$i" 10.0.7.2 10.0.7.1
				rm -f "$tmp/sp/lbus$i"
			fi
		done
		i=$((i + 1))
	done
	kill "$sp_a" "$sp_b"
	wait "$sp_a" "$sp_b"

	mkdir -p "$(dirname "$SP_OUT")" || die "cannot make $(dirname "$SP_OUT")"
	rm -f "$tmp/json"
	report -v rt_n="$SP_RT_N" -v tcp_mb="$SP_TCP_MB" -v load0="$load0" \
	    -v load1="$(cut -d' ' -f1-3 /proc/loadavg)" \
	    -f bench/report_lib.awk -f bench/report_sp.awk "$out" ||
		die "sysproxy report failed"
	mv "$tmp/json" "$SP_OUT" || die "cannot write $SP_OUT"
	echo "bench: results in $SP_OUT"
}

# Networking: net.json.  Kernels in child processes on a shmif bus, Linux
# over its loopback in the same run; TAP and veth in namespaces (root).
NET_REPS=${BENCH_NET_REPS:-5}
NET_MB=${BENCH_NET_MB:-256}
NET_RR=${BENCH_NET_RR:-5000}
NET_CONNS=${BENCH_NET_CONNS:-10000}
NET_OUT=${BENCH_NET_OUT:-bench/results/net.json}
net()
{
	[ -x "$BIN/net_perf" ] || die "$BIN/net_perf missing: run make bench"
	echo "bench: TCP bulk x $NET_REPS ($NET_MB MiB, shmif and loopback)"
	run "$tmp/net" "$BIN/net_perf" tcp "$NET_REPS" "$NET_MB"
	echo "bench: request/response x $NET_REPS ($NET_RR round trips)"
	run "$tmp/net" "$BIN/net_perf" rr "$NET_REPS" "$NET_RR"
	echo "bench: connections x $NET_REPS ($NET_CONNS opened and closed)"
	run "$tmp/net" "$BIN/net_perf" conn "$NET_REPS" "$NET_CONNS"
	echo "bench: TAP and veth x $NET_REPS (root only)"
	run "$tmp/net" "$BIN/net_perf" tap "$NET_REPS" "$NET_MB" "$NET_RR"
	mkdir -p "$(dirname "$NET_OUT")" || die "cannot make $(dirname "$NET_OUT")"
	rm -f "$tmp/json"
	report -f bench/report_lib.awk -f bench/report_net.awk "$tmp/net" ||
		die "net report failed"
	mv "$tmp/json" "$NET_OUT" || die "cannot write $NET_OUT"
	echo "bench: results in $NET_OUT"
}

# The ext4 journal: ext2fs_journal.json (the program does its own
# medians: commit latency vs the host, 10,000 creates with and without a
# journal).
JNL_REPS=${BENCH_JNL_REPS:-5}
JNL_OUT=${BENCH_JNL_OUT:-bench/results/ext2fs_journal.json}
jnl()
{
	[ -x "$BIN/jnl_ext2fs" ] || die "$BIN/jnl_ext2fs missing: run make bench"
	echo "bench: ext4 journal x $JNL_REPS"
	"$BIN/jnl_ext2fs" "${BENCH_ETFS_DIR:-/var/tmp}" "$JNL_REPS" "$JNL_OUT" ||
		die "jnl_ext2fs failed"
	echo "bench: results in $JNL_OUT"
}

# ext4: ext2fs.json.  The source tree is made once (in $tmp, under /tmp),
# the images in $BENCH_E2_DIR, the trees read back in the host tmpfs.
# Each repetition runs every side in turn; the checks (e2fsck -fn of the
# populated image, the tree read back against the source, data, modes,
# owners and times) are outside the clocks and stop the run if they fail.
E2_REPS=${BENCH_E2_REPS:-5}
E2_DIR=${BENCH_E2_DIR:-/var/tmp}
E2_IMG=${BENCH_E2_IMG:-1G}
E2_SEQ_MB=${BENCH_E2_SEQ_MB:-1024}
E2_OUT=${BENCH_E2_OUT:-bench/results/ext2fs.json}
E2_TMPFS=${BENCH_HOST_TMPFS:-/dev/shm}
# What a tree holds, one line per entry, for comparing two trees.
e2_list()
{
	(cd "$1" && find . -path ./lost+found -prune -o \
	    \( -type d -printf '%p d %m %U %G %T@\n' \) -o \
	    -printf '%p %y %m %U %G %T@ %s %l\n') | LC_ALL=C sort
}
ext2fs()
{
	p=$BIN/ext2fs_perf
	[ -x "$p" ] || die "$p missing: run make bench"
	e2work=$(mktemp -d "$E2_DIR/rumpk-e2bench.XXXXXX") ||
		die "mktemp in $E2_DIR failed"
	out=$tmp/e2
	tree=$tmp/e2tree
	back=$E2_TMPFS/rumpk-e2back.$$
	: >"$out"
	echo "bench: ext4: making the source tree in $tree"
	run "$out" "$p" gentree "$tree"
	e2_list "$tree" >"$tmp/e2tree.list" || die "listing $tree failed"
	echo "param image_size=$E2_IMG image_dir=$E2_DIR" >>"$out"
	mkdir -p "$e2work/mnt" || die "mkdir failed"
	i=0
	while [ $i -lt "$E2_REPS" ]; do
		i=$((i + 1))
		echo "bench: ext4 populate and read back, run $i of $E2_REPS"
		run "$out" "$p" mkfsd "$e2work/d.img" "$tree" "$E2_IMG"
		run "$out" "$p" populate "$e2work/r.img" "$tree" "$E2_IMG"
		e2fsck -fn "$e2work/r.img" >"$tmp/fsck" 2>&1 || {
			cat "$tmp/fsck" >&2
			die "e2fsck -fn of the image rumpk populated failed"
		}
		if ! grep -q '^skip fuse' "$out"; then
			run "$out" "$p" fuse "$e2work/f.img" "$tree" "$E2_IMG" \
			    "$e2work/mnt"
		fi
		rm -f "$e2work/d.img" "$e2work/f.img"
		rm -rf "$back"
		run "$out" "$p" readtree "$e2work/r.img" "$back.r"
		run "$out" "$p" rdump "$e2work/r.img" "$back.d"
		e2_list "$back.r" | cmp -s - "$tmp/e2tree.list" &&
			diff -r --no-dereference "$tree" "$back.r" >/dev/null || {
			rm -rf "$back.r" "$back.d"
			die "the tree rumpk wrote and read back differs"
		}
		diff -r --no-dereference -x lost+found "$tree" "$back.d" \
		    >/dev/null || {
			rm -rf "$back.r" "$back.d"
			die "the tree debugfs read back differs"
		}
		rm -rf "$back.r" "$back.d" "$e2work/r.img"
	done
	rm -rf "$tree"
	echo "bench: ext4 sequential I/O x $E2_REPS ($E2_SEQ_MB MiB)"
	run "$out" "$p" seq "$e2work" "$E2_SEQ_MB" "$E2_REPS"
	echo "bench: ext4 2 writers against 1, RUMP_NCPU=2, x $E2_REPS"
	e2shm=$(mktemp -d "$E2_TMPFS/rumpk-e2scale.XXXXXX") ||
		die "mktemp in $E2_TMPFS failed"
	run "$out" env RUMP_NCPU=2 "$p" scale "$e2shm" "$E2_REPS"
	run "$out" "$p" scalefuse "$e2shm" "$E2_REPS"
	rm -rf "$e2shm"
	mkdir -p "$(dirname "$E2_OUT")" || die "cannot make $(dirname "$E2_OUT")"
	rm -f "$tmp/json"
	report -f bench/report_lib.awk -f bench/report_ext2fs.awk "$out" ||
		die "ext4 report failed"
	mv "$tmp/json" "$E2_OUT" || die "cannot write $E2_OUT"
	echo "bench: results in $E2_OUT"
}

# Big ext4 directories: ext2fs_dir.json.  rumpk's ext4 (images in the
# host tmpfs) against the host's own ext4 on an image made the same way,
# loop-mounted (root), or the host tmpfs when that cannot be done.
E2DIR_REPS=${BENCH_E2DIR_REPS:-5}
E2DIR_SIZES=${BENCH_E2DIR_SIZES:-1000 10000 100000}
E2DIR_OUT=${BENCH_E2DIR_OUT:-bench/results/ext2fs_dir.json}
e2dir()
{
	[ -x "$BIN/ext2fs_dir" ] || die "$BIN/ext2fs_dir missing: run make bench"
	d=$(mktemp -d "${BENCH_HOST_TMPFS:-/dev/shm}/rumpk-e2dir.XXXXXX") ||
		die "no directory in the host tmpfs"
	e2dir_dir=$d
	hostfs=tmpfs
	hdir=$d
	if [ "$(id -u)" = 0 ] &&
	    PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext4 -N 110000 \
	        "$d/host.img" 1G >/dev/null 2>&1 &&
	    mkdir "$d/mnt" && mount -o loop "$d/host.img" "$d/mnt" 2>/dev/null; then
		hostfs=ext4
		hdir=$d/mnt
		e2dir_mnt=$d/mnt
	fi
	echo "bench: big directories x $E2DIR_REPS ($E2DIR_SIZES; host: $hostfs)"
	echo "param host_fs=$hostfs" >"$tmp/e2dir"
	for r in $(seq "$E2DIR_REPS"); do
		for n in $E2DIR_SIZES; do
			run "$tmp/e2dir" "$BIN/ext2fs_dir" rump "$d" "$n"
			run "$tmp/e2dir" "$BIN/ext2fs_dir" host "$hdir" "$n"
		done
	done
	e2dir_cleanup
	mkdir -p "$(dirname "$E2DIR_OUT")" || die "cannot make $(dirname "$E2DIR_OUT")"
	rm -f "$tmp/json"
	report -v sizes="$E2DIR_SIZES" -f bench/report_lib.awk \
	    -f bench/report_e2dir.awk "$tmp/e2dir" || die "e2dir report failed"
	mv "$tmp/json" "$E2DIR_OUT" || die "cannot write $E2DIR_OUT"
	echo "bench: results in $E2DIR_OUT"
}

case $ONLY in
kern) kern ;;
vfs) vfs ;;
sysproxy) sysproxy ;;
net) net ;;
jnl) jnl ;;
ext2fs) ext2fs ;;
e2dir) e2dir ;;
'') kern && vfs && sysproxy && net && jnl && ext2fs && e2dir ;;
*) die "BENCH_ONLY is \"kern\", \"vfs\", \"sysproxy\", \"net\", \"jnl\", \"ext2fs\", \"e2dir\" or empty" ;;
esac
exit 0
