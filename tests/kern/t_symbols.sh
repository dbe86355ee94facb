#!/bin/sh
# t_symbols.sh — symbol hygiene of the kernel libraries:
#  kernel_undefined   kernel objects need nothing from outside but rumpuser_*
#  kernel_no_libc     librump.so depends on librumpuser.so and nothing else
#  exports_rump       librump.so exports only the rump namespace
#                     (rump_* API and rumpns_* between kernel components)
#  exports_rumpuser   librumpuser.so exports only rumpuser_*
#  no_host_headers    nothing under kernel/ includes a host header (but the
#                     host parts of components, *_user.c)
#  static_glibc       a program linked fully statically with glibc, librump.a
#                     and librumpuser.a links with no duplicate and runs
#  components         every other kernel library (librumpvfs, librumpnet*,
#                     librumpfs_*, ...): its kernel objects need nothing
#                     from outside but rumpuser_*, the component hypercalls
#                     rumpcomp_* of its own host part and other kernel
#                     libraries (rumpns_*, rump_*); a host part (*_user.o,
#                     built with the platform's flags, e.g. shmif_user.o)
#                     defines only rumpcomp_*, which stay inside the
#                     library; the shared library exports only rump_* and
#                     rumpns_*
b=$(cd "$(dirname "$0")/../.." && pwd)
root=$(cd "$b/.." && pwd)
lib=$b/lib
cc=${CC:-cc}
passed=0 failed=0 skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sanitized=no
if nm "$lib/librump.a" 2>/dev/null | grep -q ' U __[at]san_'; then
	sanitized=yes
fi

# Everything librump.a leaves undefined once its own objects are linked.
ld -r -o "$tmp/kern.o" --whole-archive "$lib/librump.a" 2>"$tmp/err" ||
	fail kernel_undefined "ld -r: $(cat "$tmp/err")"
# (Weak references to kernel symbols are allowed: they are the hooks and
# system call handlers of components that may not be linked, answering
# ENOSYS or doing nothing when absent.)
bad=$(nm -u "$tmp/kern.o" | awk '!($1 == "w" && $2 ~ /^rumpns_/) {print $2}' |
	grep -vE '^(rumpuser_|_GLOBAL_OFFSET_TABLE_$|__(asan|ubsan|tsan|sanitizer)_)' | sort -u)
if [ -n "$bad" ]; then
	fail kernel_undefined "kernel objects need host symbols: $(echo $bad)"
else
	pass kernel_undefined
fi

if [ $sanitized = yes ]; then
	skip kernel_no_libc "sanitizer build links the sanitizer runtime"
else
	needed=$(readelf -d "$lib/librump.so" | awk '/NEEDED/ {print $5}' | tr -d '[]')
	if [ "$needed" = "librumpuser.so.0" ]; then
		pass kernel_no_libc
	else
		fail kernel_no_libc "librump.so needs: $(echo $needed)"
	fi
fi

bad=$(nm -D --defined-only "$lib/librump.so" | awk '{print $3}' | grep -vE '^(rump_|rumpns_)' |
	grep -vE '^(_init|_fini|__bss_start|_edata|_end)$' | grep -vE '^__(asan|ubsan|tsan)' | sort -u)
if [ -n "$bad" ]; then
	fail exports_rump "outside the rump namespace: $(echo $bad | head -c 400)"
elif ! nm -D --defined-only "$lib/librump.so" | grep -q ' rump_sys_getpid$'; then
	fail exports_rump "rump_sys_getpid is not exported"
else
	pass exports_rump
fi

bad=$(nm -D --defined-only "$lib/librumpuser.so" | awk '{print $3}' | grep -v '^rumpuser_' |
	grep -vE '^(_init|_fini|__bss_start|_edata|_end)$' | sort -u)
if [ -n "$bad" ]; then
	fail exports_rumpuser "not rumpuser_*: $(echo $bad | head -c 400)"
else
	pass exports_rumpuser
fi

# (The host parts of components, kernel/*/*/*_user.c, are host code built
# with the platform's flags: they are exempt, and "components" checks them.)
hosthdr=$(grep -rnE --exclude='*_user.c' '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$root/kernel" |
	grep -vE '<(stdarg|stddef|stdint|stdbool)\.h>' || true)
if [ -n "$hosthdr" ]; then
	fail no_host_headers "$hosthdr"
else
	pass no_host_headers
fi

if [ $sanitized = yes ]; then
	skip static_glibc "sanitizer runtimes do not link statically"
elif [ ! -f /usr/lib/x86_64-linux-gnu/libc.a ]; then
	skip static_glibc "no static glibc (libc6-dev) on this machine"
else
	cat >"$tmp/s.c" <<'EOC'
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <rump/rump.h>
/* Names that exist in both libc and the kernel's sources. */
int main(void) {
	char buf[32];
	if (rump_init() != 0 || rump_sys_getpid() != 1) return 1;
	snprintf(buf, sizeof buf, "%d", rump_pub_lwproc_rfork(RUMP_RFFDG));
	if (strcmp(buf, "0") != 0 || rump_sys_getpid() < 2) return 2;
	if (rump_sys_write(1, "static ok\n", 10) != 10) return 3;
	return rump_sys_reboot(RB_HALT_SYSTEM) == 0 ? 0 : 4;
}
EOC
	if ! $cc -static -o "$tmp/s" "$tmp/s.c" -I"$b/include" -I"$root/include" \
		-Wl,--whole-archive "$lib/librump.a" "$lib/librumpuser.a" \
		-Wl,--no-whole-archive -lpthread >"$tmp/err" 2>&1; then
		fail static_glibc "link: $(head -c 600 "$tmp/err")"
	elif ! out=$("$tmp/s" 2>&1); then
		fail static_glibc "the static program failed: $out"
	elif ! echo "$out" | grep -q "static ok"; then
		fail static_glibc "no console output: $out"
	else
		pass static_glibc
	fi
fi

# Component libraries: kernel objects and host parts apart.
comp_bad=
for a in "$lib"/librump*.a; do
	name=$(basename "$a" .a)
	case $name in
	librump | librumpuser | librumpclient) continue ;; # checked above / host code
	esac
	mkdir -p "$tmp/$name" && (cd "$tmp/$name" && ar x "$a") || {
		comp_bad="$comp_bad $name:ar"
		continue
	}
	kobjs= hobjs=
	for o in "$tmp/$name"/*.o; do
		case $o in
		*_user.o) hobjs="$hobjs $o" ;;
		*) kobjs="$kobjs $o" ;;
		esac
	done
	# Kernel objects: only hypercalls, component hypercalls and kernel names.
	if [ -n "$kobjs" ]; then
		ld -r -o "$tmp/$name.k.o" $kobjs 2>"$tmp/err" || comp_bad="$comp_bad $name:ld"
		bad=$(nm -u "$tmp/$name.k.o" | awk '{print $2}' |
			grep -vE '^(rumpuser_|rumpcomp_|rumpns_|rump_|_GLOBAL_OFFSET_TABLE_$|__(asan|ubsan|tsan|sanitizer|sancov)_|__sanitizer_cov)' | sort -u)
		[ -z "$bad" ] || comp_bad="$comp_bad $name:[$(echo $bad)]"
		# Every component hypercall they call is in the library's host part.
		for sym in $(nm -u "$tmp/$name.k.o" | awk '$2 ~ /^rumpcomp_/ {print $2}' | sort -u); do
			[ -n "$hobjs" ] && nm --defined-only $hobjs 2>/dev/null | grep -q " T $sym\$" ||
				comp_bad="$comp_bad $name:no-$sym"
		done
	fi
	# Host parts define only rumpcomp_* globally.
	if [ -n "$hobjs" ]; then
		bad=$(nm -g --defined-only $hobjs | awk 'NF == 3 {print $3}' | grep -v '^rumpcomp_' | sort -u)
		[ -z "$bad" ] || comp_bad="$comp_bad $name:host-defines[$(echo $bad)]"
	fi
	# The shared library's exports.
	so="$lib/$name.so"
	if [ -f "$so" ]; then
		bad=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -vE '^(rump_|rumpns_)' |
			grep -vE '^(_init|_fini|__bss_start|_edata|_end)$' | grep -vE '^__(asan|ubsan|tsan)' | sort -u)
		[ -z "$bad" ] || comp_bad="$comp_bad $name:exports[$(echo $bad | head -c 200)]"
	fi
done
if [ -n "$comp_bad" ]; then
	fail components "$comp_bad"
else
	pass components
fi

echo "t_symbols: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
