/* version.c — the version of the library linked in. */
#include "selfattn.h"

const char *sa_version(void)
{
    return SA_VERSION;
}
