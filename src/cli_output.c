/* cli_output.c — writing -o FILE atomically: a temporary file in the
 * target's directory, renamed over the target once complete.  Every signal
 * that ends the process by default (INT, TERM, HUP, QUIT, ALRM, USR1,
 * USR2) removes the temporary file first; SIGXFSZ is ignored (main.c), so
 * that a file past `ulimit -f` is a write error, reported.  A symbolic
 * link is followed (the file it names is replaced, the link kept); an
 * existing file keeps its permissions and, where the process may, its
 * owner; a target that is not a regular file (a FIFO, a device such as
 * /dev/stdout) is written directly, since it cannot be replaced. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The temporary file to remove if a signal ends the process. */
static char *volatile pending_tmp;

/* The signals whose default is to end the process, which remove it. */
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT,
                                      SIGALRM, SIGUSR1, SIGUSR2};
#define CLEANUP_SIGNALS (sizeof cleanup_signals / sizeof cleanup_signals[0])

static atomic_flag cleaning = ATOMIC_FLAG_INIT;

/* Removes the temporary file, then dies of sig.  The other signals of the
 * list are blocked meanwhile (sa_mask), and a second handler, in another
 * thread, waits for the first: a second signal cannot cut the cleanup
 * short. */
static void remove_pending(int sig)
{
    if (atomic_flag_test_and_set(&cleaning))
        for (;;)
            pause();
    if (pending_tmp)
        unlink(pending_tmp);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
}

/* Installs remove_pending for every signal of the list, but those ignored
 * when selfattn started (a background job's SIGINT): that choice is the
 * caller's. */
static void catch_signals(void)
{
    struct sigaction act = {.sa_handler = remove_pending}, old;
    sigemptyset(&act.sa_mask);
    for (size_t i = 0; i < CLEANUP_SIGNALS; i++)
        sigaddset(&act.sa_mask, cleanup_signals[i]);
    for (size_t i = 0; i < CLEANUP_SIGNALS; i++)
        if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(cleanup_signals[i], &act, NULL);
}

/* The temporary name of target: "dir/name" -> "dir/.name.XXXXXX", in the
 * same directory so that the rename stays on one file system; a name too
 * long for that is cut, so that the temporary's still fits NAME_MAX. */
static char *temporary_name(const char *target)
{
    size_t len = strlen(target);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return NULL;
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    size_t base = len - dir_len, room = NAME_MAX - 8;  // "." and ".XXXXXX"
    memcpy(tmp, target, dir_len);
    snprintf(tmp + dir_len, len + 16 - dir_len, ".%.*s.XXXXXX",
             (int)(base < room ? base : room), target + dir_len);
    return tmp;
}

static int cannot_create(const char *path, int e)
{
    return cli_error(EX_CANTCREAT, "%s: cannot create: %s", path, strerror(e));
}

static int out_of_memory(void)
{
    return cli_error(EX_OSERR, "out of memory");
}

int cli_output_open(cli_output *o, const char *path)
{
    struct stat st;
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    o->path = path;
    bool exists = stat(path, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return cannot_create(path, EISDIR);
    if (exists && !S_ISREG(st.st_mode)) {
        o->fp = fopen(path, "w");
        return o->fp ? 0 : cannot_create(path, errno);
    }

    /* the file a symbolic link names is the one to replace */
    o->target = exists ? realpath(path, NULL) : strdup(path);
    if (!o->target)
        return exists ? cannot_create(path, errno) : out_of_memory();
    o->tmp_path = temporary_name(o->target);
    if (!o->tmp_path) {
        cli_output_abort(o);
        return out_of_memory();
    }
    /* the signals wait while the file is made and registered, so none
     * can leave it behind unregistered */
    sigset_t block, saved;
    sigemptyset(&block);
    for (size_t i = 0; i < CLEANUP_SIGNALS; i++)
        sigaddset(&block, cleanup_signals[i]);
    sigprocmask(SIG_BLOCK, &block, &saved);
    catch_signals();
    /* registered before it exists: a signal taken by another thread in
     * the meantime finds the name mkstemp writes in place */
    pending_tmp = o->tmp_path;
    int fd = mkstemp(o->tmp_path);
    if (fd < 0)
        pending_tmp = NULL;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (fd < 0) {
        int e = errno;
        free(o->tmp_path);
        o->tmp_path = NULL;
        cli_output_abort(o);
        return cannot_create(path, e);
    }
    /* mkstemp makes 0600: keep an existing file's mode, else 0666 & ~umask,
     * and its owner where the process may (root replacing a user's file) */
    mode_t mask = umask(0);
    umask(mask);
    if (exists && (st.st_uid != geteuid() || st.st_gid != getegid()))
        (void)!fchown(fd, st.st_uid, st.st_gid);
    fchmod(fd, exists ? st.st_mode & 07777 : 0666 & ~mask);
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        close(fd);
        cli_output_abort(o);
        return out_of_memory();
    }
    return 0;
}

void cli_output_abort(cli_output *o)
{
    if (o->fp && o->fp != stdout)
        fclose(o->fp);
    if (o->tmp_path) {
        unlink(o->tmp_path);
        pending_tmp = NULL;
    }
    free(o->tmp_path);
    free(o->target);
    memset(o, 0, sizeof *o);
}

int cli_output_commit(cli_output *o)
{
    if (!o->path)
        return 0;  /* stdout: closed by cli_close_stdout */
    FILE *fp = o->fp;
    o->fp = NULL;
    /* no fsync: the rename makes the file appear whole or not at all, which
     * is what -o promises; durability across a power cut is the system's */
    int bad = fflush(fp) != 0 || ferror(fp);
    int e = errno;
    if (fclose(fp) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        int code = cli_error(EX_IOERR, "%s: write error: %s", o->path, strerror(e));
        cli_output_abort(o);
        return code;
    }
    if (o->tmp_path && rename(o->tmp_path, o->target) != 0) {
        int code = cannot_create(o->path, errno);
        cli_output_abort(o);
        return code;
    }
    pending_tmp = NULL;
    free(o->tmp_path);
    free(o->target);
    memset(o, 0, sizeof *o);
    return 0;
}
