#!/bin/sh
# runtests.sh — runs the test programs given on the command line (each
# prints "<prog>: N passed, N failed, N skipped" last) and sums them up in
# the closing line "N passed, N failed, N skipped".  Exit status 1 if any
# case failed or a program did not finish its summary.
#   scripts/runtests.sh BUILD-DIR PROGRAM...
shift # the build directory, kept for symmetry with the Makefile
passed=0 failed=0 skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
	echo "== $t"
	"$t" >"$log" 2>&1
	rc=$?
	cat "$log"
	line=$(grep -E '^[A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $t: ended without a summary (exit status $rc)"
		failed=$((failed + 1))
		continue
	fi
	counts=$(echo "$line" | sed -E 's/^[^:]*: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/')
	read -r p f s <<EOF2
$counts
EOF2
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t: exit status $rc with no failed case"
		failed=$((failed + 1))
	fi
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
