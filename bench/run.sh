#!/bin/sh
# run.sh — runs the kernel-base benchmarks and reports them.
#
# Usage: sh bench/run.sh [build-dir]   (from the project root; `make bench`)
#
# The programs in <build-dir>/bench/ only print raw samples; this script
# runs them, computes medians, percentiles and ratios with awk, prints a
# table and writes bench/results/kern.json.  A missed target is reported
# and the script still exits 0; a program that fails or crashes makes it
# exit 1.  The environment can shorten or lengthen a run:
#   BENCH_INIT_RUNS (50)  fresh processes timing rump_init()
#   BENCH_NULL_REPS (7)   repetitions of the null-syscall loops
#   BENCH_SCALE_REPS (7)  repetitions of each scaling configuration
#   BENCH_SCALE_MS (400)  milliseconds per scaling run
#   BENCH_OUT (bench/results/kern.json)

set -u
B=${1:-build}
BIN=$B/bench
INIT_RUNS=${BENCH_INIT_RUNS:-50}
NULL_REPS=${BENCH_NULL_REPS:-7}
SCALE_REPS=${BENCH_SCALE_REPS:-7}
SCALE_MS=${BENCH_SCALE_MS:-400}
OUT=${BENCH_OUT:-bench/results/kern.json}

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

for p in init_time nullsys scale; do
	[ -x "$BIN/$p" ] || die "$BIN/$p missing: run make bench"
done
tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

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
awk -v json="$tmp/json" \
    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -v uname="$(uname -srvm)" \
    -v host="$(uname -n)" \
    -v nproc="$(nproc)" \
    -v cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
    -v ncpu_env="${RUMP_NCPU:-}" \
    -v scale_ms="$SCALE_MS" \
    -f bench/report.awk "$tmp/init" "$tmp/null" "$tmp/scale" ||
	die "report failed"
mv "$tmp/json" "$OUT" || die "cannot write $OUT"
echo "bench: results in $OUT"
exit 0
