#!/bin/sh
# t_rumpctl.sh — the rump.* utilities (cmd/rumpctl) against a rump_server,
# compared with the host's coreutils on identical trees:
#  help            rumpctl lists its commands; each command has --help
#  cp_roundtrip    rump.cp -r a host tree in and back out: diff -r equal
#  cp_preserve     rump.cp -p keeps modes and times both ways
#  cat             rump.cat equals cat
#  ls              rump.ls (plain, -a, -R, -l, -d) equals ls
#  errors          failing commands: messages and exit codes equal coreutils'
#  changes         mkdir -p/-m, ln -s, mv, chmod, chown, rm -r, rmdir as ls sees them
#  stat            rump.stat's File, Access and Modify lines equal stat's
#  dd              rump.dd copies what dd copies, with the same record counts
#  df_mount        rump.mount/umount/df of a tmpfs; exit 32 as mount(8)
#  sysctl          names map to /proc/sys; -w, -n, -a, unknown keys
#  net_absent      network commands say clearly when there is no network
#  halt            rump.halt stops the server
# The server is started here and always killed (by pid) on exit.
b=$(cd "$(dirname "$0")/../.." && pwd)
bin=$b/bin
passed=0 failed=0 skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
summary() { echo "t_rumpctl: $passed passed, $failed failed, $skipped skipped"; }
cases="help cp_roundtrip cp_preserve cat ls errors changes stat dd df_mount sysctl net_absent halt"

tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -x "$bin/rumpctl" ] || [ ! -x "$bin/rump_server" ] ||
	! readelf -d "$bin/rumpctl" 2>/dev/null | grep -q 'librumpclient'; then
	for c in $cases; do skip $c "needs build/bin/rump_server and a rumpctl linked with librumpclient"; done
	summary
	exit 0
fi

export LC_ALL=C TZ=UTC
mkdir "$tmp/bin"
ln -s "$bin/rumpctl" "$tmp/bin/rumpctl"
for c in cat chmod chown cp dd df halt ifconfig ln ls mkdir mount mv netstat \
	ping rm rmdir route stat sysctl umount; do
	ln -s "$bin/rumpctl" "$tmp/bin/rump.$c"
done
PATH=$tmp/bin:$PATH
export RUMP_SERVER="unix://$tmp/sock"
"$bin/rump_server" -s "$RUMP_SERVER" >"$tmp/server.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$tmp/sock" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
if [ ! -S "$tmp/sock" ]; then
	for c in $cases; do fail $c "rump_server did not start: $(cat "$tmp/server.log")"; done
	summary
	exit 1
fi

# A host tree to copy in: text, binary, empty file and dir, a name with a
# space, a symlink, nesting.
h=$tmp/h
mkdir -p "$h/src/sub/deeper" "$h/src/empty"
printf 'hello\nworld\n' >"$h/src/a"
head -c 200000 /dev/urandom >"$h/src/bin"
: >"$h/src/zero"
echo spaced >"$h/src/with space"
echo deep >"$h/src/sub/deeper/x"
ln -s a "$h/src/lnk"
ln -s ../a "$h/src/sub/up"
chmod 0640 "$h/src/a"
touch -d '2020-02-03 04:05:06.123456789' "$h/src/a" "$h/src/bin"

# 1. help
out=$(rumpctl --help 2>&1) && echo "$out" | grep -q '^  ls ' &&
	! rumpctl >/dev/null 2>&1 && rump.ls --help | grep -q '^usage: rump.ls' &&
	rumpctl cp --help >/dev/null &&
	! rumpctl nosuchcmd 2>/dev/null &&
	pass help || fail help "help output or status: $out"

# 2. cp -r in and back out
if rump.cp -r "$h/src" rump:/src && rump.cp -r rump:/src "$tmp/back" &&
	diff -r "$h/src" "$tmp/back" >"$tmp/diff" 2>&1 &&
	[ "$(readlink "$tmp/back/lnk")" = a ] && [ -d "$tmp/back/empty" ]; then
	pass cp_roundtrip
else
	fail cp_roundtrip "$(head -5 "$tmp/diff")"
fi

# 3. cp -p keeps mode and times, both ways
rump.cp -p "$h/src/a" rump:/pa && rump.cp -p rump:/pa "$tmp/pa"
want=$(stat -c '%a %y' "$h/src/a")
got=$(stat -c '%a %y' "$tmp/pa" 2>&1)
[ "$want" = "$got" ] && pass cp_preserve || fail cp_preserve "want '$want' got '$got'"

# 4. cat
if rump.cat /src/a /src/bin "/src/with space" >"$tmp/cat.out" &&
	cat "$h/src/a" "$h/src/bin" "$h/src/with space" | cmp -s - "$tmp/cat.out"; then
	pass cat
else
	fail cat "output differs"
fi

# 5. ls, against ls in the same place (kernel cwd is /, the tree is /src)
r=ok
cd "$h" || exit 1
for opts in "" "-a" "-A" "-R" "-1" "-d"; do
	want=$(ls $opts src 2>&1)
	got=$(rump.ls $opts src 2>&1)
	[ "$want" = "$got" ] || r="ls $opts: want '$want' got '$got'"
done
# -l of what cp -p copied (directories' sizes differ between file systems).
rump.cp -p "$h/src/bin" rump:/src/bin2 && cp -p "$h/src/bin" "$h/src/bin2"
rump.ln -s a /src/lnk2 && ln -s a "$h/src/lnk2"
rump.chmod 640 /src/lnk2 2>/dev/null
want=$(ls -l src/bin2 src/lnk2 | sed 's/ [A-Z][a-z][a-z] .[0-9] [0-9:]* / /')
got=$(rump.ls -l src/bin2 src/lnk2 | sed 's/ [A-Z][a-z][a-z] .[0-9] [0-9:]* / /')
[ "$want" = "$got" ] || r="ls -l: want '$want' got '$got'"
rm -f "$h/src/bin2" "$h/src/lnk2"
rump.rm /src/bin2 /src/lnk2
cd "$tmp" || exit 1
[ "$r" = ok ] && pass ls || fail ls "$r"

# 6. errors: message (with the rump. prefix) and exit status as coreutils
mkdir -p "$tmp/e/d/x"
echo f >"$tmp/e/f"
rump.mkdir -p /e/d/x && rump.cp "$tmp/e/f" rump:/e/f
r=ok
# Same names on both sides: the host runs in $tmp, the kernel's cwd is /.
check() {
	n=$1
	shift
	want=$(cd "$tmp" && "$n" "$@" 2>&1 >/dev/null)
	ws=$?
	got=$("rump.$n" "$@" 2>&1 >/dev/null)
	gs=$?
	want=$(echo "$want" | sed "s/^$n:/rump.$n:/; s/'$n --help'/'rump.$n --help'/")
	if [ "$want" != "$got" ] || [ $ws != $gs ]; then
		r="$n $*: want '$want' ($ws), got '$got' ($gs)"
	fi
}
check ls e/nope
check ls e/nope e/f
check cat e/nope
check cat e/d
check mkdir e/d
check mkdir e/nope/x
check rmdir e/d
check rmdir e/f
check rm e/nope
check rm e/d
check rm -f e/nope
check mv e/nope e/z
check ln -s f e/f
check ln e/nope e/z
check chmod 644 e/nope
check chmod
check stat e/nope
check mkdir
check cp e/d e/z
[ "$r" = ok ] && pass errors || fail errors "$r"
if ! rump.cp rump:/e/nope "$tmp/x" 2>/dev/null; then :; else fail errors "cp of a missing file succeeded"; fi

# 7. changes, as ls -l sees them (without dates)
cd "$tmp/e" || exit 1
# (dates and the sizes of directories differ between file systems)
lsl() { "$@" | awk '{ $6 = $7 = $8 = ""; if ($1 ~ /^d/) $5 = ""; print }'; }
mkdir -p -m 750 p/q/r && rump.mkdir -p -m 750 /e/p/q/r
mkdir -m 711 m && rump.mkdir -m 711 /e/m
ln -s f s && rump.ln -s f /e/s
ln f hard && rump.ln /e/f /e/hard
mv f g && rump.mv /e/f /e/g
chmod u+x,go-r g && rump.chmod u+x,go-r /e/g
chmod 1777 m && rump.chmod 1777 /e/m
chown 12:34 p && rump.chown 12:34 /e/p
chown root:root m && rump.chown root:root /e/m
rm -r d && rump.rm -r /e/d
rmdir p/q/r && rump.rmdir /e/p/q/r
want=$(lsl ls -l g hard s; lsl ls -ld m p p/q)
got=$(cd / && lsl rump.ls -l /e/g /e/hard /e/s | sed 's|/e/||g'; lsl rump.ls -ld /e/m /e/p /e/p/q | sed 's|/e/||g')
names_w=$(ls -A)
names_g=$(rump.ls -A /e)
cd "$tmp" || exit 1
if [ "$want" = "$got" ] && [ "$names_w" = "$names_g" ]; then
	pass changes
else
	fail changes "want '$want' '$names_w' got '$got' '$names_g'"
fi

# 8. stat (the lines that do not depend on the file system)
rump.cp -p "$h/src/a" rump:/st
cp -p "$h/src/a" "$tmp/st"
want=$(cd "$tmp" && stat st | grep -E '^  File:|^Access: \(|^Modify:')
got=$(rump.stat st | grep -E '^  File:|^Access: \(|^Modify:')
[ "$want" = "$got" ] && pass stat || fail stat "want '$want' got '$got'"

# 9. dd
r=ok
dd if="$h/src/bin" of="$tmp/dd1" bs=1000 count=7 skip=3 2>"$tmp/dd.h"
rump.dd if=/src/bin of=/dd1 bs=1000 count=7 skip=3 2>"$tmp/dd.r" || r="dd failed: $(cat "$tmp/dd.r")"
rump.cat /dd1 | cmp -s - "$tmp/dd1" || r="dd data differ"
[ "$(head -2 "$tmp/dd.h")" = "$(head -2 "$tmp/dd.r")" ] || r="records: '$(head -2 "$tmp/dd.r")'"
printf 'XYZ' | dd of="$tmp/dd1" bs=1 seek=10 conv=notrunc 2>/dev/null
printf 'XYZ' | rump.dd of=/dd1 bs=1 seek=10 conv=notrunc 2>/dev/null
rump.cat /dd1 | cmp -s - "$tmp/dd1" || r="dd conv=notrunc data differ"
[ "$r" = ok ] && pass dd || fail dd "$r"

# 10. mount, df, umount
r=ok
rump.mkdir /mnt
rump.mount -t tmpfs -o size=1m,nosuid tmpfs /mnt || r="mount failed"
rump.mount | grep -q '^tmpfs /mnt tmpfs rw,nosuid 0 0$' || r="mount list: $(rump.mount)"
hdr=$(df / | head -1 | tr -s ' ')
[ "$(rump.df /mnt | head -1 | tr -s ' ')" = "$hdr" ] || r="df header: $(rump.df /mnt | head -1)"
rump.df /mnt | grep -Eq '^tmpfs +1024 +0 +1024 +0% /mnt$' || r="df: $(rump.df /mnt)"
rump.df -h | grep -Eq '^tmpfs +1\.0M +0 +1\.0M +0% /mnt$' || r="df -h: $(rump.df -h)"
rump.mount -o remount,ro /mnt || r="remount failed"
rump.mkdir /mnt/x 2>/dev/null && r="mkdir on a read-only mount worked"
rump.umount /mnt || r="umount failed"
out=$(rump.umount /mnt 2>&1)
[ $? = 32 ] && [ "$out" = "rump.umount: /mnt: not mounted." ] || r="second umount: '$out'"
out=$(rump.mount -t nosuchfs none /mnt 2>&1)
[ $? = 32 ] || r="mount of an unknown type: '$out'"
[ "$r" = ok ] && pass df_mount || fail df_mount "$r"

# 11. sysctl
r=ok
[ "$(rump.sysctl -w kernel.hostname=rumptest)" = "kernel.hostname = rumptest" ] || r="write"
[ "$(rump.sysctl kernel.hostname)" = "kernel.hostname = rumptest" ] || r="read: $(rump.sysctl kernel.hostname)"
[ "$(rump.sysctl -n kernel.ostype)" = Linux ] || r="-n"
rump.sysctl -a | grep -q '^kernel.osrelease = ' || r="-a: $(rump.sysctl -a)"
out=$(rump.sysctl net.ipv4.nosuch 2>&1)
[ $? = 1 ] && [ "$out" = "rump.sysctl: cannot stat /proc/sys/net/ipv4/nosuch: No such file or directory" ] ||
	r="unknown key: '$out'"
[ "$r" = ok ] && pass sysctl || fail sysctl "$r"

# 12. network commands on a kernel without networking
out=$(rump.ifconfig 2>&1)
st=$?
if echo "$out" | grep -q 'no networking'; then
	out2=$(rump.ping -c 1 -W 1 127.0.0.1 2>&1)
	st2=$?
	[ $st = 1 ] && [ $st2 = 2 ] && echo "$out2" | grep -q 'no networking' &&
		pass net_absent || fail net_absent "ifconfig $st, ping $st2: $out2"
else
	skip net_absent "the server has networking (status $st)"
fi

# 13. halt: the server goes
if rump.halt; then
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail halt "server still running"
	else
		wait "$pid" 2>/dev/null
		pid=
		pass halt
	fi
else
	fail halt "rump.halt failed"
fi

summary
[ $failed -eq 0 ]
