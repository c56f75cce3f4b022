/* output.c — writing -o FILE atomically: a temporary file in the target's
 * directory, renamed over the target once complete.  SIGINT and SIGTERM
 * remove the temporary file before the process dies.  A symbolic link is
 * followed (the file it names is replaced, the link kept); an existing file
 * keeps its permissions; a target that is not a regular file (a FIFO, a
 * device such as /dev/stdout) is written directly, since it cannot be
 * replaced. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

/* The temporary file to remove if a signal ends the process. */
static char *volatile pending_tmp;

static void remove_pending(int sig)
{
    if (pending_tmp)
        unlink(pending_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Installs remove_pending for sig, unless sig was ignored when selfattn
 * started (a background job's SIGINT): that choice is the caller's. */
static void catch_signal(int sig)
{
    struct sigaction old;
    if (sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
        return;
    signal(sig, remove_pending);
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
    size_t len = strlen(o->target);
    o->tmp_path = malloc(len + 16);
    if (!o->tmp_path) {
        cli_output_abort(o);
        return out_of_memory();
    }
    /* "dir/name" -> "dir/.name.XXXXXX" so the rename stays in one directory */
    const char *slash = strrchr(o->target, '/');
    size_t dir_len = slash ? (size_t)(slash - o->target) + 1 : 0;
    memcpy(o->tmp_path, o->target, dir_len);
    snprintf(o->tmp_path + dir_len, len + 16 - dir_len, ".%s.XXXXXX",
             o->target + dir_len);
    /* SIGINT and SIGTERM wait while the file is made and registered, so
     * no signal can leave it behind unregistered */
    sigset_t block, saved;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    catch_signal(SIGINT);
    catch_signal(SIGTERM);
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
    /* mkstemp makes 0600: keep an existing file's mode, else 0666 & ~umask */
    mode_t mask = umask(0);
    umask(mask);
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
