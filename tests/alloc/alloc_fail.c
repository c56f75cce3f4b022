/* alloc_fail.c — allocation-failure injection for the sweep (sweep.sh).
 * Linked into a test build of selfattn with -Wl,--wrap=malloc,... so that
 * every allocation of selfattn's own code, and of cJSON through the hooks
 * the library installs (src/json_util.c), is counted; the one numbered SA_FAIL_ALLOC (from 1) returns NULL.  When
 * it does, the file named by SA_FAIL_ALLOC_MARK is created, so the sweep
 * knows the failure happened.  Other libraries (OpenBLAS, zlib, the C
 * library's own buffers) are not counted. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *p, size_t size);
int __real_posix_memalign(void **p, size_t align, size_t size);


static long fail_at = -1, count;

/* True if this allocation is the one to fail. */
static int should_fail(void)
{
    if (fail_at < 0)
        return 0;
    if (++count != fail_at)
        return 0;
    const char *mark = getenv("SA_FAIL_ALLOC_MARK");
    if (mark) {
        int fd = open(mark, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            close(fd);
    }
    return 1;
}

void *__wrap_malloc(size_t size)
{
    return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t count_, size_t size)
{
    return should_fail() ? NULL : __real_calloc(count_, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    return should_fail() ? NULL : __real_realloc(p, size);
}

int __wrap_posix_memalign(void **p, size_t align, size_t size)
{
    return should_fail() ? 12 /* ENOMEM */ : __real_posix_memalign(p, align, size);
}

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = __wrap_malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

char *__wrap_strndup(const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = __wrap_malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

__attribute__((constructor)) static void start(void)
{
    const char *n = getenv("SA_FAIL_ALLOC");
    if (n && *n)
        fail_at = atol(n);
}
