/* cli_mpi.c — whether this process is one rank of an MPI run, from the
 * environment the launcher sets (so that a build without MPI can say so,
 * rather than run P copies of the same job), and what a build without
 * MPI does when it is: exit 64 with a message.  The MPI runs themselves
 * are cli_ring.c. */
#include <stdlib.h>

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

#ifndef SELFATTN_MPI
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
