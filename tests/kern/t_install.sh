#!/bin/sh
# t_install.sh — `make install` into a fresh prefix, then programs outside
# the tree built only with `pkg-config --cflags --libs rump`:
#  pkgconfig_shared   linked with --as-needed forced on, boots, rforks, uses
#                     host <unistd.h>/<sys/reboot.h> constants
#  pkgconfig_static   the same linked with -static and pkg-config --static
#  installed_files    headers, sonamed libraries, archives and .pc in place
#  pkgconfig_vfs      a program using files, linked with pkg-config rumpvfs
b=$(cd "$(dirname "$0")/../.." && pwd)
root=$(cd "$b/.." && pwd)
cc=${CC:-cc}
passed=0 failed=0 skipped=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

if ! make -s -C "$root" B="$(basename "$b")" install PREFIX="$prefix" >"$tmp/log" 2>&1; then
	fail installed_files "make install failed: $(tail -c 600 "$tmp/log")"
	echo "t_install: $passed passed, $failed failed, $skipped skipped"
	exit 1
fi
missing=
for f in include/rump/rump.h include/rump/rump_syscalls.h include/rump/rumpuser.h \
	lib/librump.so lib/librump.so.0 lib/librump.a lib/librumpuser.so.0 \
	lib/librumpuser.a lib/pkgconfig/rump.pc lib/librumpvfs.so.0 \
	lib/librumpvfs.a lib/pkgconfig/rumpvfs.pc bin/rumpk-demo; do
	[ -e "$prefix/$f" ] || missing="$missing $f"
done
soname=$(readelf -d "$prefix/lib/librump.so" | awk '/SONAME/ {print $5}')
if [ -n "$missing" ]; then
	fail installed_files "missing:$missing"
elif [ "$soname" != "[librump.so.0]" ]; then
	fail installed_files "librump.so has soname $soname"
else
	pass installed_files
fi

cat >"$tmp/prog.c" <<'EOC'
#include <stdio.h>
#include <unistd.h>
#include <sys/reboot.h>
#include <rump/rump.h>
int main(void) {
	if (rump_init() != 0) return 1;
	if (rump_pub_lwproc_rfork(RUMP_RFFDG) != 0) return 2;
	pid_t pid = rump_sys_getpid();
	if (pid < 2 || rump_sys_getppid() != 1) return 3;
	if (rump_sys_setuid(7) != 0 || rump_sys_getuid() != 7) return 4;
	printf("pid %d\n", (int)pid);
	rump_pub_lwproc_releaselwp(); /* back to pid 1, root */
	return rump_sys_reboot(RB_HALT_SYSTEM) == 0 ? 0 : 5;
}
EOC
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
if nm "$b/lib/librump.a" 2>/dev/null | grep -q ' U __[at]san_'; then
	skip pkgconfig_shared "sanitizer build: outside programs would need the sanitizer flags"
	skip pkgconfig_static "sanitizer build: outside programs would need the sanitizer flags"
elif ! command -v pkg-config >/dev/null; then
	skip pkgconfig_shared "pkg-config is not installed"
	skip pkgconfig_static "pkg-config is not installed"
else
	if ! $cc -o "$tmp/prog" "$tmp/prog.c" -Wl,--as-needed $(pkg-config --cflags --libs rump) >"$tmp/err" 2>&1; then
		fail pkgconfig_shared "compile: $(head -c 600 "$tmp/err")"
	elif ! out=$("$tmp/prog" 2>&1) || ! echo "$out" | grep -q '^pid [0-9]'; then
		fail pkgconfig_shared "run: $out"
	else
		pass pkgconfig_shared
	fi
	if [ ! -f /usr/lib/x86_64-linux-gnu/libc.a ]; then
		skip pkgconfig_static "no static glibc"
	elif ! $cc -static -o "$tmp/progs" "$tmp/prog.c" $(pkg-config --static --cflags --libs rump) >"$tmp/err" 2>&1; then
		fail pkgconfig_static "compile: $(head -c 600 "$tmp/err")"
	elif ! out=$("$tmp/progs" 2>&1) || ! echo "$out" | grep -q '^pid [0-9]'; then
		fail pkgconfig_static "run: $out"
	else
		pass pkgconfig_static
	fi
fi
cat >"$tmp/vfs.c" <<'EOC'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <rump/rump.h>
int main(void) {
	struct stat st;
	char buf[8] = "";
	int fd;
	if (rump_init() != 0) return 1;
	if (rump_sys_mkdir("/d", 0700) != 0) return 2;
	if ((fd = rump_sys_open("/d/f", O_CREAT | O_RDWR | O_EXCL, 0640)) < 0) return 3;
	if (rump_sys_write(fd, "abc", 3) != 3) return 4;
	if (rump_sys_pread64(fd, buf, 3, 0) != 3 || strcmp(buf, "abc")) return 5;
	if (rump_sys_fstat(fd, &st) || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != 0640) return 6;
	if (rump_sys_open("/d/f", O_CREAT | O_EXCL, 0) != -1) return 7;
	puts("vfs ok");
	return 0;
}
EOC
if nm "$b/lib/librump.a" 2>/dev/null | grep -q ' U __[at]san_'; then
	skip pkgconfig_vfs "sanitizer build: outside programs would need the sanitizer flags"
elif ! command -v pkg-config >/dev/null; then
	skip pkgconfig_vfs "pkg-config is not installed"
elif ! $cc -o "$tmp/vfs" "$tmp/vfs.c" -Wl,--as-needed $(pkg-config --cflags --libs rumpvfs) >"$tmp/err" 2>&1; then
	fail pkgconfig_vfs "compile: $(head -c 600 "$tmp/err")"
elif ! out=$("$tmp/vfs" 2>&1) || [ "$out" != "vfs ok" ]; then
	fail pkgconfig_vfs "run: $out"
else
	pass pkgconfig_vfs
fi
echo "t_install: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
