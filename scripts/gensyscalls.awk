# gensyscalls.awk — generates the system call glue from kernel/syscalls.master.
#
#   awk -f scripts/gensyscalls.awk -v out=header  kernel/syscalls.master
#       <rump/rump_syscalls.h>: the public rump_sys_* prototypes
#   awk ... -v out=kernh     the kernel's syscall numbers, argument
#                            structures and handler prototypes
#   awk ... -v out=sysent -v comp=NAME
#                            the registration of component NAME's handlers
#   awk ... -v out=stubs     the local rump_sys_* stubs (enter the kernel
#                            linked into this process)
#   awk ... -v out=clientstubs
#                            the remote rump_sys_* stubs of librumpclient:
#                            the annotated pointer arguments become regions
#                            whose data travels in the request or the reply
#
# Every generated file says in its first line that it is generated, from
# what and by what.  Plain POSIX awk: building needs no Python.

function trim(s) {
	sub(/^[ \t]+/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# Splits argument item s into its C type, name, annotation and whether it is
# variadic; fills A_type[i], A_name[i], A_ann[i], A_var[i].
function parse_arg(s, i,    m, ann, t) {
	s = trim(s)
	A_var[i] = 0
	if (substr(s, 1, 3) == "...") {
		A_var[i] = 1
		s = trim(substr(s, 4))
	}
	ann = ""
	if (match(s, /\[[^]]*\]$/)) {
		ann = substr(s, RSTART + 1, RLENGTH - 2)
		s = trim(substr(s, 1, RSTART - 1))
	}
	A_ann[i] = ann
	if (!match(s, /[A-Za-z_][A-Za-z0-9_]*$/)) {
		printf("gensyscalls: line %d: bad argument \"%s\"\n", NR, s) > "/dev/stderr"
		exit 1
	}
	A_name[i] = substr(s, RSTART)
	t = trim(substr(s, 1, RSTART - 1))
	A_type[i] = t
	if (t ~ /struct [A-Za-z_]+/) {
		m = t
		sub(/^.*struct /, "", m)
		sub(/[ *].*$/, "", m)
		STRUCTS[m] = 1
	}
}

BEGIN {
	FS = "\t"
	n = 0
	src = "kernel/syscalls.master"
	gen = "scripts/gensyscalls.awk"
}

/^;/ || /^[ \t]*$/ { next }

{
	if (NF != 6) {
		printf("gensyscalls: line %d: expected 6 tab-separated fields, got %d\n", NR, NF) > "/dev/stderr"
		exit 1
	}
	n++
	NUM[n] = $1; COMP[n] = $2; FLAGS[n] = $3; RET[n] = $4; NAME[n] = $5
	NARG[n] = 0
	if ($6 != "void") {
		cnt = split($6, items, ",")
		for (j = 1; j <= cnt; j++) {
			parse_arg(items[j], n "," j)
		}
		NARG[n] = cnt
	}
}

function proto_args(k,    j, s, key) {
	if (NARG[k] == 0)
		return "void"
	s = ""
	for (j = 1; j <= NARG[k]; j++) {
		key = k "," j
		if (A_var[key]) {
			s = s ", ..."
			break
		}
		s = s (j > 1 ? ", " : "") A_type[key] (A_type[key] ~ /\*$/ ? "" : " ") A_name[key]
	}
	return s
}

function emit_header(    k, m) {
	print "/* Generated from " src " by " gen "; do not edit. */"
	print "/*"
	print " * rump_syscalls.h — the system calls of a rump kernel.  Each rump_sys_X"
	print " * has the signature of the Linux system call X as libc exposes it and"
	print " * Linux's flags, structures and errno values; it returns -1 and sets errno"
	print " * on failure.  Link with the kernel (pkg-config rump) or with"
	print " * librumpclient (pkg-config rumpclient) to reach a remote kernel."
	print " */"
	print "#ifndef RUMP_RUMP_SYSCALLS_H"
	print "#define RUMP_RUMP_SYSCALLS_H"
	print ""
	print "#include <sys/types.h>"
	print "#ifdef _KERNEL"
	print "#include \"sys/linux_fs.h\""
	print "#include \"sys/linux_net.h\""
	print "#else"
	print "#include <poll.h>"
	print "#include <signal.h>"
	print "#include <sys/select.h>"
	print "#include <sys/socket.h>"
	print "#endif"
	print ""
	print "#ifdef __cplusplus"
	print "extern \"C\" {"
	print "#endif"
	print ""
	for (m in STRUCTS)
		print "struct " m ";"
	print ""
	for (k = 1; k <= n; k++)
		if (FLAGS[k] != "NOSTUB")
			printf("%s rump_sys_%s(%s);\n", RET[k], NAME[k], proto_args(k))
	print ""
	print "/* Written by hand: the libc signatures differ from the system calls. */"
	print "int rump_sys_reboot(int cmd);"
	print "char *rump_sys_getcwd(char *buf, size_t size);"
	print "int rump_sys_ppoll(struct pollfd *fds, nfds_t nfds,"
	print "    const struct timespec *tmo, const sigset_t *sigmask);"
	print "int rump_sys_pselect6(int nfds, fd_set *readfds, fd_set *writefds,"
	print "    fd_set *exceptfds, const struct timespec *timeout,"
	print "    const sigset_t *sigmask);"
	print ""
	print "#ifdef __cplusplus"
	print "}"
	print "#endif"
	print ""
	print "#endif /* RUMP_RUMP_SYSCALLS_H */"
}

function emit_kernh(    k, j, key, max) {
	print "/* Generated from " src " by " gen "; do not edit. */"
	print "/*"
	print " * The kernel's system call numbers, argument structures (every argument"
	print " * in a register-sized slot, as callers pass them) and handlers."
	print " */"
	print "#ifndef KERNEL_SYSCALLARGS_H"
	print "#define KERNEL_SYSCALLARGS_H"
	print ""
	for (m in STRUCTS)
		print "struct " m ";"
	print "struct lwp;"
	print ""
	max = 0
	for (k = 1; k <= n; k++) {
		printf("#define SYS_%s %d\n", NAME[k], NUM[k])
		if (NUM[k] + 0 > max)
			max = NUM[k] + 0
	}
	printf("#define SYS_MAXSYSCALL %d\n\n", max + 1)
	for (k = 1; k <= n; k++) {
		if (NARG[k] > 0) {
			printf("struct sys_%s_args {\n", NAME[k])
			for (j = 1; j <= NARG[k]; j++) {
				key = k "," j
				printf("\tsyscallarg(%s) %s;\n", A_type[key], A_name[key])
			}
			print "};"
		}
		printf("int sys_%s(struct lwp *, const void *, register_t *);\n\n", NAME[k])
	}
	print "#endif /* KERNEL_SYSCALLARGS_H */"
}

function emit_sysent(    k, any) {
	print "/* Generated from " src " by " gen " for component " comp "; do not edit. */"
	print "/* Registers the system calls that component " comp " implements. */"
	print "#include \"kern/syscall.h\""
	print ""
	print "/* Weak: a handler not written yet leaves its number answering ENOSYS. */"
	for (k = 1; k <= n; k++)
		if (COMP[k] == comp)
			printf("#pragma weak sys_%s\n", NAME[k])
	print ""
	print "static const struct sysent_init sysent_init_" comp "[] = {"
	for (k = 1; k <= n; k++)
		if (COMP[k] == comp)
			printf("\t{SYS_%s, %d, sys_%s},\n", NAME[k], NARG[k], NAME[k])
	print "\t{-1, 0, NULL},"
	print "};"
	print ""
	print "__attribute__((constructor)) static void"
	print "sysent_ctor_" comp "(void)"
	print "{"
	print "\tsyscall_register(sysent_init_" comp ");"
	print "}"
}

function emit_stubs(    k, j, key, last, call) {
	print "/* Generated from " src " by " gen "; do not edit. */"
	print "/*"
	print " * The local rump_sys_* stubs: each packs its arguments into register-sized"
	print " * slots and enters the kernel linked into this process; on failure it"
	print " * sets the caller's errno and returns -1."
	print " */"
	print "#include \"kern/syscall.h\""
	print ""
	for (k = 1; k <= n; k++) {
		if (FLAGS[k] == "NOSTUB")
			continue
		printf("RUMP_API %s\nrump_sys_%s(%s)\n{\n", RET[k], NAME[k], proto_args(k))
		printf("\tregister_t rv[2] = {0, 0};\n")
		last = ""
		for (j = 1; j <= NARG[k]; j++) {
			key = k "," j
			if (A_var[key]) {
				printf("\t%s %s;\n\tva_list ap;\n\n", A_type[key], A_name[key])
				printf("\t/* Read as libc does: the slot is passed even if unused. */\n")
				printf("\tva_start(ap, %s);\n\t%s = va_arg(ap, %s);\n\tva_end(ap);\n", last, A_name[key], A_type[key])
			}
			last = A_name[key]
		}
		if (NARG[k] > 0) {
			printf("\tregister_t args[%d] = {", NARG[k])
			for (j = 1; j <= NARG[k]; j++) {
				key = k "," j
				printf("%s(register_t)%s", j > 1 ? ", " : "", A_name[key])
			}
			printf("};\n")
			call = "args"
		} else {
			call = "NULL"
		}
		printf("\tint error = syscall_local(SYS_%s, %s, rv);\n\n", NAME[k], call)
		printf("\tif (__predict_false(error != 0)) {\n\t\trumpuser_seterrno(error);\n\t\treturn (%s)-1;\n\t}\n", RET[k])
		printf("\treturn (%s)rv[0];\n}\n\n", RET[k])
	}
}

# The region flags of annotation ann ("str", "in:LEN", ...), and its length.
function ann_flags(ann) {
	if (ann == "str")
		return "RC_STR"
	if (ann ~ /^inout:/)
		return "RC_INOUT"
	if (ann ~ /^in:/)
		return "RC_IN"
	if (ann ~ /^out:/)
		return "RC_OUT"
	printf("gensyscalls: unknown annotation [%s]\n", ann) > "/dev/stderr"
	exit 1
}

function ann_len(ann) {
	if (ann == "str")
		return "0"
	sub(/^[a-z]+:/, "", ann)
	return "(size_t)(" ann ")"
}

function emit_clientstubs(    k, j, key, last, nrg, call) {
	print "/* Generated from " src " by " gen "; do not edit. */"
	print "/*"
	print " * The remote rump_sys_* stubs of librumpclient: each packs its arguments"
	print " * into 64-bit slots, names the memory its pointer arguments refer to as"
	print " * syscalls.master annotates it (carried in the request, returned in the"
	print " * reply), and waits for the server's answer; on failure it sets errno and"
	print " * returns -1."
	print " */"
	print "#include <errno.h>"
	print "#include <stdarg.h>"
	print "#include <stdint.h>"
	print ""
	print "#include \"rump/rump_syscalls.h\""
	print "#include \"rumpclient_int.h\""
	print ""
	for (k = 1; k <= n; k++) {
		if (FLAGS[k] == "NOSTUB")
			continue
		printf("%s\nrump_sys_%s(%s)\n{\n", RET[k], NAME[k], proto_args(k))
		printf("\tint64_t rv[2];\n")
		last = ""
		for (j = 1; j <= NARG[k]; j++) {
			key = k "," j
			if (A_var[key]) {
				printf("\t%s %s;\n\tva_list ap;\n\n", A_type[key], A_name[key])
				printf("\tva_start(ap, %s);\n\t%s = va_arg(ap, %s);\n\tva_end(ap);\n", last, A_name[key], A_type[key])
			}
			last = A_name[key]
		}
		if (NARG[k] > 0) {
			printf("\tint64_t args[%d] = {", NARG[k])
			for (j = 1; j <= NARG[k]; j++) {
				key = k "," j
				if (A_type[key] ~ /\*$/)
					printf("%s(int64_t)(intptr_t)%s", j > 1 ? ", " : "", A_name[key])
				else
					printf("%s(int64_t)%s", j > 1 ? ", " : "", A_name[key])
			}
			printf("};\n")
			call = "args"
		} else {
			call = "NULL"
		}
		nrg = 0
		for (j = 1; j <= NARG[k]; j++)
			if (A_ann[k "," j] != "")
				nrg++
		if (nrg > 0) {
			printf("\tconst struct rc_region rg[%d] = {\n", nrg)
			for (j = 1; j <= NARG[k]; j++) {
				key = k "," j
				if (A_ann[key] == "")
					continue
				printf("\t    {%s, %s, %s},\n", A_name[key], ann_len(A_ann[key]), ann_flags(A_ann[key]))
			}
			printf("\t};\n")
		}
		printf("\tint error = rumpclient__call(%d, %s, %d, %s, %d, rv);\n\n", NUM[k], call, NARG[k], nrg > 0 ? "rg" : "NULL", nrg)
		printf("\tif (error != 0) {\n\t\terrno = error;\n\t\treturn (%s)-1;\n\t}\n", RET[k])
		printf("\treturn (%s)rv[0];\n}\n\n", RET[k])
	}
}

END {
	if (out == "clientstubs")
		emit_clientstubs()
	else if (out == "header")
		emit_header()
	else if (out == "kernh")
		emit_kernh()
	else if (out == "sysent")
		emit_sysent()
	else if (out == "stubs")
		emit_stubs()
	else {
		print "gensyscalls: set -v out=header|kernh|sysent|stubs|clientstubs" > "/dev/stderr"
		exit 1
	}
}
