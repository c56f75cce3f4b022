/* cli_mpi.c — whether this process is one rank of an MPI run, from the
 * environment the launcher sets, and what the program built without MPI
 * (selfattn: linking MPI's libraries cost every run 2-3 ms of start-up)
 * does when it is: run selfattn-mpi, the same program built with MPI,
 * from beside it; without one, exit 64 with a message rather than run P
 * copies of the same job; and in the program built with MPI, the two
 * things every MPI run does: rank 0 alone speaks, every rank agrees on
 * the exit code.  The MPI runs themselves are cli_ring.c
 * and cli_ring_io.c. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"

#ifdef SELFATTN_MPI
#include <mpi.h>
#endif

size_t cli_mpi_ranks(void)
{
    // Open MPI's mpirun, MPICH's Hydra (PMI), PMIx launchers (srun --mpi=pmix)
    static const char *const names[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE",
                                        "PMIX_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = getenv(names[i]);
        char *end;
        if (v && *v) {
            unsigned long long n = strtoull(v, &end, 10);
            if (!*end && n > 0)
                return (size_t)n;
        }
    }
    return 0;
}

#ifdef SELFATTN_MPI
void cli_mpi_exec(char **argv)
{
    (void)argv;  // this is the program built with MPI
}

/* The standard streams of a rank other than 0 while silenced, or -1. */
static int saved_out = -1, saved_err = -1;

void mpi_quiet(bool on)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        return;
    fflush(stdout);
    fflush(stderr);
    if (on && saved_err < 0) {
        int null = open("/dev/null", O_WRONLY);
        saved_out = dup(STDOUT_FILENO);
        saved_err = dup(STDERR_FILENO);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
            close(null);
        }
    } else if (!on && saved_err >= 0) {
        dup2(saved_out, STDOUT_FILENO);
        dup2(saved_err, STDERR_FILENO);
        close(saved_out);
        close(saved_err);
        saved_out = saved_err = -1;
    }
}

int mpi_agree(int code)
{
    int worst = code;
    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}
#else
void cli_mpi_exec(char **argv)
{
    char self[PATH_MAX], path[PATH_MAX + 16];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return;
    self[len] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return;
    slash[1] = '\0';
    snprintf(path, sizeof path, "%sselfattn-mpi", self);
    if (access(path, X_OK) == 0)
        execv(path, argv);  // returns only if it failed: then say no MPI
}

static int no_mpi(void)
{
    return cli_error(EX_USAGE, "started as one of %zu MPI processes, but this "
                     "build of selfattn has no MPI: install an MPI (make deps "
                     "installs Open MPI), rebuild (make clean all), or run "
                     "one process", cli_mpi_ranks());
}

int ring_main(int argc, char **argv, unsigned command)
{
    (void)argc;
    (void)argv;
    (void)command;
    return no_mpi();
}

int batch_mpi_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return no_mpi();
}
#endif
