/* output.c — writing -o FILE atomically: a temporary file in the target's
 * directory, renamed over the target once complete.  SIGINT and SIGTERM
 * remove the temporary file before the process dies. */
#include <errno.h>
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

int cli_output_open(cli_output *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        return 0;
    }
    o->path = path;
    size_t len = strlen(path);
    o->tmp_path = malloc(len + 16);
    if (!o->tmp_path) {
        fprintf(stderr, "selfattn: out of memory\n");
        return EX_OSERR;
    }
    /* "dir/name" -> "dir/.name.XXXXXX" so the rename stays in one directory */
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    memcpy(o->tmp_path, path, dir_len);
    snprintf(o->tmp_path + dir_len, len + 16 - dir_len, ".%s.XXXXXX",
             path + dir_len);
    int fd = mkstemp(o->tmp_path);
    if (fd < 0) {
        fprintf(stderr, "selfattn: %s: cannot create: %s\n", path,
                strerror(errno));
        free(o->tmp_path);
        o->tmp_path = NULL;
        return EX_CANTCREAT;
    }
    /* mkstemp makes 0600; give the file the usual 0666 & ~umask */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    pending_tmp = o->tmp_path;
    signal(SIGINT, remove_pending);
    signal(SIGTERM, remove_pending);
    o->fp = fdopen(fd, "w");
    if (!o->fp) {
        close(fd);
        cli_output_abort(o);
        fprintf(stderr, "selfattn: out of memory\n");
        return EX_OSERR;
    }
    return 0;
}

void cli_output_abort(cli_output *o)
{
    if (!o->tmp_path)
        return;
    if (o->fp)
        fclose(o->fp);
    unlink(o->tmp_path);
    pending_tmp = NULL;
    free(o->tmp_path);
    memset(o, 0, sizeof *o);
}

int cli_output_commit(cli_output *o)
{
    if (!o->tmp_path)
        return 0;  /* stdout: closed by cli_close_stdout */
    FILE *fp = o->fp;
    o->fp = NULL;
    if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0) {
        int e = errno;
        fclose(fp);
        fprintf(stderr, "selfattn: %s: write error: %s\n", o->path, strerror(e));
        cli_output_abort(o);
        return EX_IOERR;
    }
    if (fclose(fp) != 0) {
        fprintf(stderr, "selfattn: %s: write error: %s\n", o->path,
                strerror(errno));
        cli_output_abort(o);
        return EX_IOERR;
    }
    if (rename(o->tmp_path, o->path) != 0) {
        fprintf(stderr, "selfattn: %s: cannot create: %s\n", o->path,
                strerror(errno));
        cli_output_abort(o);
        return EX_CANTCREAT;
    }
    pending_tmp = NULL;
    free(o->tmp_path);
    memset(o, 0, sizeof *o);
    return 0;
}
