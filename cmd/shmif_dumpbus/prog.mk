# prog.mk — shmif_dumpbus reads a shmif bus file on its own: no kernel.
LDLIBS_shmif_dumpbus = -lc
