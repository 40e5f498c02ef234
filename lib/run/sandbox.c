/* sandbox: namespaces, read-only file system, rlimits, scrubbed environment
 * for untrusted programs.  See sandbox.h.
 *
 * Four processes: the caller; a keeper that builds the namespaces; pid 1 of
 * the new pid namespace, which runs the program, reports through a pipe how
 * it ended, and dies with the keeper (PR_SET_PDEATHSIG), taking every
 * process of the namespace with it; and the program. */
#define _GNU_SOURCE
#include "sandbox.h"
#include "util.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sandboxed programs run as SANDBOX_UID_BASE + the keeper's pid: a uid no
   account uses, distinct for each sandbox at once, so that RLIMIT_NPROC
   counts only that sandbox's processes. */
#define SANDBOX_UID_BASE 2000000000u

/* What the keeper tells the caller: how the program ended, or why no
   sandbox could be built. */
typedef struct {
    int kind;               /* enum ft_sb_result */
    int code;
    char why[200];
} report;

static void send_report(int fd, int kind, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void send_report(int fd, int kind, int code, const char *fmt, ...)
{
    report r = { kind, code, "" };
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r.why, sizeof r.why, fmt, ap);
        va_end(ap);
    }
    ssize_t n = write(fd, &r, sizeof r);
    (void)n;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n <= 0) { close(fd); return -1; }
        off += (size_t)n;
    }
    return close(fd);
}

/* Not root: a user namespace where this process is root, so that it may
   build the others. */
static int enter_user_namespace(void)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER) != 0) return -1;
    char map[64];
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid);
    if (write_text("/proc/self/setgroups", "deny") != 0 && errno != ENOENT) return -1;
    if (write_text("/proc/self/uid_map", map) != 0) return -1;
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid);
    return write_text("/proc/self/gid_map", map);
}

/* Everything read-only, a private scratch tmpfs at dir, homes hidden. */
static int build_file_system(const char *dir, long disk_mb, const char **what)
{
    *what = "make mounts private";
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return -1;
    *what = "make / read-only";
    /* not nodev: /dev/null and /dev/urandom must still open (a device node
       stays writable on a read-only mount) */
    struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };
    if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) != 0) return -1;
    const char *home = getenv("HOME");
    const char *hide[] = { "/root", "/home", home, NULL };
    for (int i = 0; hide[i]; i++) {
        struct stat st;
        if (hide[i][0] != '/' || stat(hide[i], &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        *what = "hide home directories";
        if (mount("none", hide[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0755") != 0)
            return -1;
    }
    char opts[64];
    snprintf(opts, sizeof opts, "size=%ldm,nr_inodes=4096,mode=0700", disk_mb);
    *what = "mount the scratch directory";
    return mount("none", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts);
}

/* No capability now or after exec, even as (namespace) root. */
static void drop_capabilities(void)
{
    prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                             SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED);
    for (int c = 0; c <= 63; c++) prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = {{0}};
    syscall(SYS_capset, &h, d);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void set_limit(int resource, rlim_t v)
{
    struct rlimit rl = { v, v };
    setrlimit(resource, &rl);
}

/* The program, a child of the namespace's init. */
static void run_program(const char *dir, const char *const *argv, const ft_sandbox_limits *lim,
                        uid_t uid, int drop_uid)
{
    if (chdir(dir) != 0) _exit(126);
    int dn = open("/dev/null", O_RDWR);
    if (dn >= 0) { dup2(dn, 0); dup2(dn, 1); dup2(dn, 2); if (dn > 2) close(dn); }
    for (int fd = 3; fd < 1024; fd++) close(fd);
    clearenv();
    setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
    setenv("HOME", dir, 1);
    setenv("TMPDIR", dir, 1);
    setenv("LANG", "C.UTF-8", 1);
    set_limit(RLIMIT_AS, (rlim_t)lim->mem_mb << 20);
    set_limit(RLIMIT_CPU, (rlim_t)ceil(lim->timeout_s) + 1);
    set_limit(RLIMIT_FSIZE, (rlim_t)lim->disk_mb << 20);
    set_limit(RLIMIT_NPROC, (rlim_t)lim->nproc);
    set_limit(RLIMIT_NOFILE, 256);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_MEMLOCK, 0);
    set_limit(RLIMIT_MSGQUEUE, 0);
    if (drop_uid) {
        if (chown(dir, uid, uid) != 0 || setgroups(0, NULL) != 0 ||
            setresgid(uid, uid, uid) != 0 || setresuid(uid, uid, uid) != 0)
            _exit(126);
    }
    drop_capabilities();
    /* set after the uid change, which clears it; kept across exec */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

/* pid 1 of the new pid namespace: starts the program, reaps whatever it
   leaves, reports how it ended and exits, which kills every process left in
   the namespace.  (The program is not pid 1 itself: the kernel drops the
   signals pid 1 sends itself, so a program that kills itself would live on.) */
static void namespace_init(int rep, const char *dir, const char *const *argv,
                           const ft_sandbox_limits *lim, uid_t uid, int drop_uid)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);           /* dies with the keeper */
    /* a /proc of this pid namespace: the host's processes stay unseen */
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    pid_t prog = fork();
    if (prog == 0) run_program(dir, argv, lim, uid, drop_uid);
    if (prog < 0) { send_report(rep, FT_SB_ERROR, 0, "fork: %s", strerror(errno)); _exit(0); }
    for (;;) {
        int status;
        pid_t w = wait(&status);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) { send_report(rep, FT_SB_ERROR, 0, "wait: %s", strerror(errno)); _exit(0); }
        if (w != prog) continue;
        if (WIFEXITED(status)) send_report(rep, FT_SB_EXITED, WEXITSTATUS(status), NULL);
        else if (WTERMSIG(status) == SIGXCPU) send_report(rep, FT_SB_TIMEOUT, SIGXCPU, NULL);
        else send_report(rep, FT_SB_SIGNALED, WTERMSIG(status), NULL);
        _exit(0);
    }
}

static void keeper(int rep, const char *dir, const char *file_name, const char *text,
                   const char *const *argv, const ft_sandbox_limits *lim)
{
    int root = geteuid() == 0;
    uid_t uid = SANDBOX_UID_BASE + (uid_t)getpid();
    if (!root && enter_user_namespace() != 0) {
        send_report(rep, FT_SB_UNAVAILABLE, 0, "cannot create a user namespace (%s) and not root", strerror(errno));
        _exit(0);
    }
    if (unshare(CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
        send_report(rep, FT_SB_UNAVAILABLE, 0, "cannot create network, mount and pid namespaces (%s)", strerror(errno));
        _exit(0);
    }
    const char *what;
    if (build_file_system(dir, lim->disk_mb, &what) != 0) {
        send_report(rep, FT_SB_UNAVAILABLE, 0, "cannot %s (%s)", what, strerror(errno));
        _exit(0);
    }
    char *path = ft_xasprintf("%s/%s", dir, file_name);
    if (write_text(path, text) != 0) {
        send_report(rep, FT_SB_ERROR, 0, "%s: %s", path, strerror(errno));
        _exit(0);
    }
    free(path);
    pid_t pid = fork();
    if (pid == 0) namespace_init(rep, dir, argv, lim, uid, root);
    if (pid < 0) { send_report(rep, FT_SB_ERROR, 0, "fork: %s", strerror(errno)); _exit(0); }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
    _exit(0);
}

enum ft_sb_result ft_sandbox_run(const char *file_name, const char *text, const char *const *argv,
                                 const ft_sandbox_limits *lim, int *code)
{
    static atomic_int warned;
    *code = 0;
    char dir[] = "/tmp/ft-exec-XXXXXX";
    if (!mkdtemp(dir)) return FT_SB_ERROR;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) { rmdir(dir); return FT_SB_ERROR; }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        keeper(p[1], dir, file_name, text, argv, lim);
    }
    close(p[1]);
    report r = { FT_SB_ERROR, 0, "fork failed" };
    if (pid > 0) {
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int status, timed_out = 0;
        for (;;) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno != EINTR)) break;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if ((now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) * 1e-9 > lim->timeout_s) {
                /* the program dies with its keeper, and its namespace with it */
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                timed_out = 1;
                break;
            }
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
        if (timed_out) r.kind = FT_SB_TIMEOUT;
        else if (read(p[0], &r, sizeof r) != (ssize_t)sizeof r) r = (report){ FT_SB_ERROR, 0, "no report" };
    }
    close(p[0]);
    rmdir(dir);             /* the scratch tmpfs went with the namespace */
    if (r.kind == FT_SB_UNAVAILABLE && !atomic_exchange(&warned, 1))
        ft_warn("sandbox: %s; generated code is not run and is scored as errors", r.why);
    *code = r.code;
    return (enum ft_sb_result)r.kind;
}
