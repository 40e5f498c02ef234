/* sandbox: run an untrusted program (model-generated code for pass@1) so
 * that it can neither reach the network nor harm the machine.
 *
 * The program runs as pid 1 of its own namespaces (network, mount, pid,
 * IPC, UTS): the network namespace has only a loopback interface that is
 * down, so nothing, not even 127.0.0.1, can be reached.  The whole file
 * system is read-only except a fresh, size-capped tmpfs that is its working
 * directory; /root, /home and the caller's $HOME are hidden behind empty
 * read-only mounts.  Run by root, it drops to an unused uid of its own (so
 * the process-count limit binds and no file of any user is writable) with no
 * new privileges; otherwise a user namespace stands in for root's powers.
 * The environment is scrubbed (PATH, HOME and TMPDIR = the scratch dir,
 * LANG=C.UTF-8), stdin/stdout/stderr go to /dev/null, and rlimits cap CPU
 * time, address space, file size, open files and processes.  On timeout
 * (wall clock) the namespace's first process is killed, which takes every
 * process the program started with it.
 *
 * When no namespace can be created (no root, user namespaces disabled) the
 * program is not run at all: ft_sandbox_run returns FT_SB_UNAVAILABLE and
 * says why once on stderr. */
#ifndef FT_SANDBOX_H
#define FT_SANDBOX_H

typedef struct ft_sandbox_limits {
    double timeout_s;       /* wall clock; CPU time is capped at this + 1 s */
    long mem_mb;            /* address space per process */
    long disk_mb;           /* size of the scratch tmpfs and of any one file */
    int nproc;              /* processes and threads at once */
} ft_sandbox_limits;

enum ft_sb_result {
    FT_SB_EXITED,           /* *code = exit status */
    FT_SB_SIGNALED,         /* *code = the signal */
    FT_SB_TIMEOUT,          /* wall clock or CPU limit */
    FT_SB_UNAVAILABLE,      /* no sandbox could be built: not run */
    FT_SB_ERROR             /* could not start (fork, files) */
};

/* Write text as file_name in a fresh scratch directory and run argv there
   (argv[0] looked up in the scrubbed PATH).  Thread-safe. */
enum ft_sb_result ft_sandbox_run(const char *file_name, const char *text, const char *const *argv,
                                 const ft_sandbox_limits *lim, int *code);

#endif
