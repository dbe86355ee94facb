/*
 * pipe.h — what the rest of the kernel may use of pipes (kern_pipe.c):
 * enough for the VFS to make FIFOs on the same buffers as pipe(2).
 *
 * A FIFO's vnode makes its pipe at the first open and keeps the reference
 * pipe_create() gave it:
 *   pipe_create(&p)                   → the vnode holds p
 *   pipe_open_end(p, fflags, &fp)     → each open(2): a file for one end,
 *                                       or both ends with O_RDWR
 *   pipe_wait_peer(fp)                → blocking open(2) only: waits for
 *                                       the other end, as Linux's FIFOs do
 *   file_release(fp)                  → each close: the end goes
 *   pipe_release(p)                   → the vnode goes
 * When the last end of a FIFO closes, what it held is thrown away; the
 * pipe itself lives on, empty, until its last reference goes.
 */
#ifndef KERNEL_KERN_PIPE_H
#define KERNEL_KERN_PIPE_H

#include "proc.h"

struct pipe;

/* A pipe with no end open and one reference, the caller's.  ENOMEM. */
int pipe_create(struct pipe **pp);
/* Drops a reference that pipe_create gave. */
void pipe_release(struct pipe *p);
/*
 * Opens an end of p: fflags' access mode says which (O_RDONLY the read
 * end, O_WRONLY the write end, O_RDWR both); O_NONBLOCK and the other
 * status flags go to the file.  Never blocks.  A non-blocking write-only
 * open with no reader is ENXIO, as for Linux's FIFOs.  The file (one
 * reference, the caller's) holds p.
 */
int pipe_open_end(struct pipe *p, int fflags, struct file **fpp);
/*
 * Waits until the other end of fp's pipe has been opened since fp was
 * (at once for O_RDWR).  There is no signal delivery in the kernel yet,
 * so the wait ends only when a peer comes.
 */
int pipe_wait_peer(struct file *fp);

#endif /* KERNEL_KERN_PIPE_H */
