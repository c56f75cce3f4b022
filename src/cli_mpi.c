/* cli_mpi.c — whether this process is one rank of an MPI run, from the
 * environment the launcher sets, and what the program built without MPI
 * (selfattn: linking MPI's libraries cost every run 2-3 ms of start-up)
 * does when it is: run selfattn-mpi, the same program built with MPI,
 * from beside it; without one, exit 64 with a message rather than run P
 * copies of the same job.  The MPI runs themselves are cli_ring.c
 * and cli_ring_io.c. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"

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
