#!/bin/sh
# t_rumpctl_net.sh — a network built with the rump.* utilities only: three
# rump_servers, two shmif buses, the middle one forwarding.
#   A (10.0.1.1) ── busA ── B (10.0.1.2 | 10.0.2.2, forwarding) ── busB ── C (10.0.2.3)
#  configure       ifconfig create/linkstr/inet/up, route add, sysctl -w succeed
#  ifconfig_list   rump.ifconfig shows the address, mask and flags set
#  netstat_routes  rump.netstat -rn shows the connected and default routes
#  ping_across     rump.ping from A reaches C through B (ttl 63)
#  ping_noroute    without C's route back, pings from A go unanswered: exit 1
#  errors          unknown interface, duplicate create, bad address: exit codes
#  forwarding_off  with ip_forward=0 on B, C is unreachable from A
#  halt            rump.halt stops every server and removes its socket
# The servers are started here and always killed (by pid) on exit.
b=$(cd "$(dirname "$0")/../.." && pwd)
bin=$b/bin
passed=0 failed=0 skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
summary() { echo "t_rumpctl_net: $passed passed, $failed failed, $skipped skipped"; }
cases="configure ifconfig_list netstat_routes ping_across ping_noroute errors forwarding_off halt"

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -x "$bin/rumpctl" ] || [ ! -x "$bin/rump_server" ] ||
	! readelf -d "$bin/rumpctl" 2>/dev/null | grep -q 'librumpclient' ||
	! readelf -d "$bin/rump_server" 2>/dev/null | grep -q 'librumpnet_shmif'; then
	for c in $cases; do skip $c "needs rump_server with shmif and a rumpctl linked with librumpclient"; done
	summary
	exit 0
fi

export LC_ALL=C
mkdir "$tmp/bin"
for c in halt ifconfig netstat ping route sysctl; do
	ln -s "$bin/rumpctl" "$tmp/bin/rump.$c"
done
PATH=$tmp/bin:$PATH

for n in A B C; do
	"$bin/rump_server" -s "unix://$tmp/$n" >"$tmp/$n.log" 2>&1 &
	pids="$pids $!"
	eval "pid_$n=$!"
done
for n in A B C; do
	i=0
	while [ ! -S "$tmp/$n" ] && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -S "$tmp/$n" ]; then
		for c in $cases; do fail $c "rump_server $n did not start: $(cat "$tmp/$n.log")"; done
		summary
		exit 1
	fi
done
on() {
	n=$1
	shift
	RUMP_SERVER="unix://$tmp/$n" "$@"
}

# configure: every step must succeed
log=$tmp/config.log
if on A rump.ifconfig shmif0 create >>"$log" 2>&1 &&
	on A rump.ifconfig shmif0 linkstr "$tmp/busA" >>"$log" 2>&1 &&
	on A rump.ifconfig shmif0 inet 10.0.1.1/24 up >>"$log" 2>&1 &&
	on A rump.route add default gw 10.0.1.2 >>"$log" 2>&1 &&
	on B rump.ifconfig shmif0 create >>"$log" 2>&1 &&
	on B rump.ifconfig shmif0 linkstr "$tmp/busA" >>"$log" 2>&1 &&
	on B rump.ifconfig shmif0 inet 10.0.1.2 netmask 255.255.255.0 up >>"$log" 2>&1 &&
	on B rump.ifconfig shmif1 create >>"$log" 2>&1 &&
	on B rump.ifconfig shmif1 linkstr "$tmp/busB" >>"$log" 2>&1 &&
	on B rump.ifconfig shmif1 inet 10.0.2.2/24 up >>"$log" 2>&1 &&
	on B rump.sysctl -w net.ipv4.ip_forward=1 >>"$log" 2>&1 &&
	on C rump.ifconfig shmif0 create >>"$log" 2>&1 &&
	on C rump.ifconfig shmif0 linkstr "$tmp/busB" >>"$log" 2>&1 &&
	on C rump.ifconfig shmif0 inet 10.0.2.3/24 up >>"$log" 2>&1 &&
	on C rump.route add default gw 10.0.2.2 >>"$log" 2>&1; then
	pass configure
else
	fail configure "$(cat "$log")"
fi

# ifconfig_list
out=$(on B rump.ifconfig 2>&1)
if echo "$out" | grep -q '^shmif1: flags=.*<UP,BROADCAST,RUNNING' &&
	echo "$out" | grep -q 'inet 10.0.2.2  netmask 255.255.255.0  broadcast 10.0.2.255' &&
	echo "$out" | grep -q 'inet 10.0.1.2  netmask 255.255.255.0' &&
	echo "$out" | grep -q '^lo0: flags=.*LOOPBACK'; then
	pass ifconfig_list
else
	fail ifconfig_list "$out"
fi

# netstat_routes: A has its connected net and the default route via B
out=$(on A rump.netstat -rn 2>&1)
if echo "$out" | grep -Eq '^10\.0\.1\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U .*shmif0$' &&
	echo "$out" | grep -Eq '^0\.0\.0\.0 +10\.0\.1\.2 +0\.0\.0\.0 +UG .*shmif0$' &&
	echo "$out" | grep -Eq '^127\.0\.0\.0 +0\.0\.0\.0 +255\.0\.0\.0 +U .*lo0$'; then
	pass netstat_routes
else
	fail netstat_routes "$out"
fi

# ping_across: through B, so the TTL arrives one lower
out=$(on A rump.ping -c 3 -i 0.2 -W 2 10.0.2.3 2>&1)
st=$?
if [ $st = 0 ] && echo "$out" | grep -q '64 bytes from 10.0.2.3: icmp_seq=1 ttl=63' &&
	echo "$out" | grep -q '3 packets transmitted, 3 received, 0% packet loss'; then
	pass ping_across
else
	fail ping_across "status $st: $out"
fi

# ping_noroute: without C's way back, A's pings go unanswered
on C rump.route del default gw 10.0.2.2 >"$log" 2>&1
out=$(on A rump.ping -c 1 -W 1 10.0.2.3 2>&1)
st=$?
if [ $st = 1 ] && echo "$out" | grep -q '1 packets transmitted, 0 received, 100% packet loss'; then
	pass ping_noroute
else
	fail ping_noroute "status $st: $out $(cat "$log")"
fi
on C rump.route add default gw 10.0.2.2 >/dev/null 2>&1

# errors: net-tools' exit codes and messages
out1=$(on A rump.ifconfig nosuch0 2>&1)
st1=$?
on A rump.ifconfig shmif0 create >/dev/null 2>&1
st2=$?
out3=$(on A rump.ifconfig shmif0 inet 300.1.2.3 2>&1)
st3=$?
if [ $st1 = 1 ] && echo "$out1" | grep -q 'nosuch0' && [ $st2 != 0 ] && [ $st3 != 0 ] &&
	echo "$out3" | grep -q '300.1.2.3'; then
	pass errors
else
	fail errors "unknown: $st1 '$out1'; duplicate create: $st2; bad address: $st3 '$out3'"
fi

# forwarding_off: B stops forwarding, C becomes unreachable from A
on B rump.sysctl -w net.ipv4.ip_forward=0 >/dev/null 2>&1
out=$(on A rump.ping -c 1 -W 1 10.0.2.3 2>&1)
st=$?
fw=$(on B rump.sysctl -n net.ipv4.ip_forward 2>&1)
if [ $st = 1 ] && [ "$fw" = 0 ]; then
	pass forwarding_off
else
	fail forwarding_off "ping status $st, ip_forward '$fw': $out"
fi

# halt: each server exits and removes its socket
ok=yes
for n in A B C; do
	on $n rump.halt || ok="rump.halt $n failed"
done
for n in A B C; do
	eval "p=\$pid_$n"
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	kill -0 "$p" 2>/dev/null && ok="server $n still running"
	[ -e "$tmp/$n" ] && ok="socket of $n left behind"
done
if [ "$ok" = yes ]; then
	pass halt
	pids=
else
	fail halt "$ok"
fi

summary
[ $failed -eq 0 ]
