/* read_npz.c — NumPy .npz archives: zip files of NAME.npy members, stored
 * or deflated (zlib), no zip64. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "format.h"

static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }

static sa_status bad_zip(sa_error *err, const char *what)
{
    return sa_fail(err, SA_ERR_DATA, 0, 0, "not a readable .npz archive: %s", what);
}

/* The largest .npy header an archive member may have before its data:
 * numpy writes 128 bytes or so; version 1.0 allows 65 KiB. */
#define MEMBER_HEADER_MAX ((size_t)1 << 20)

/* Checks the member's .npy header, the first got bytes of buf, against
 * size (the archive's word) and what the members may still inflate to. */
static sa_status check_header(const unsigned char *buf, size_t got, size_t size,
                              const char *name, size_t *budget, sa_error *err)
{
    size_t data, offset;
    sa_tensor t;
    sa_status status = sa_npy_header(&t, &data, &offset, buf, got, err);
    if (status) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        return sa_fail(err, status, 0, 0, "%s: %s", name, why);
    }
    if (data > SIZE_MAX - offset || offset + data != size)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: the .npy header announces "
                       "%zu bytes but the .npz archive says %zu", name,
                       data > SIZE_MAX - offset ? SIZE_MAX : offset + data, size);
    if (size > *budget) {  // the members inflated so far, and this one
        char what[300];
        snprintf(what, sizeof what, "the .npz archive inflated up to %s", name);
        return sa_fail_input_limit(err, what, sa_input_limit() - *budget + size);
    }
    *budget -= size;
    return SA_OK;
}

/* Inflates the rest of the member into buf[got .. size) (zlib counts in
 * uInt: more than 4 GiB takes several calls); the stream must end there. */
static sa_status inflate_rest(z_stream *z, int rc, unsigned char *buf, size_t got,
                              size_t size, const char *name, sa_error *err)
{
    if (rc == Z_BUF_ERROR)
        rc = Z_OK;  // the header filled its buffer: no more room was all
    size_t left = size - got;
    z->next_out = buf + got;
    while (rc == Z_OK && left > 0) {
        size_t step = left < UINT_MAX ? left : UINT_MAX;
        z->avail_out = (uInt)step;
        rc = inflate(z, Z_NO_FLUSH);
        left -= step - z->avail_out;
    }
    if (rc == Z_OK && left == 0) {  // the end of the stream must follow
        unsigned char extra;
        z->next_out = &extra;
        z->avail_out = 1;
        rc = inflate(z, Z_FINISH);
        if (z->avail_out == 0)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: the deflate stream "
                           "holds more than the %zu bytes announced", name, size);
    }
    if (rc != Z_STREAM_END || left != 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: corrupt deflate stream in "
                       "the .npz archive", name);
    return SA_OK;
}

/* Inflates the raw deflate stream src (src_len) of member name into a new
 * buffer of exactly the bytes its .npy header announces, which must be
 * size (the archive's word): the header comes first, at most
 * MEMBER_HEADER_MAX bytes of it, and no byte is inflated past what it
 * announces, so a small member that claims to inflate to gigabytes costs
 * nothing.  More or fewer bytes than announced: SA_ERR_DATA. */
static sa_status inflate_member(unsigned char **out, size_t size,
                                const unsigned char *src, size_t src_len,
                                const char *name, size_t *budget, sa_error *err)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for zlib");
    z.next_in = (unsigned char *)src;
    z.avail_in = (uInt)src_len;
    // the header first: as much as the member holds, up to the limit
    size_t head_len = size < MEMBER_HEADER_MAX ? size : MEMBER_HEADER_MAX;
    unsigned char *buf = malloc(head_len ? head_len : 1), *all;
    sa_status status;
    if (!buf) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %s", name);
        goto done;
    }
    z.next_out = buf;
    z.avail_out = (uInt)head_len;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    size_t got = head_len - z.avail_out;
    if ((rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) || got < head_len)
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s: corrupt deflate stream in "
                         "the .npz archive", name);
    else if (!(status = check_header(buf, got, size, name, budget, err)) &&
             !(all = realloc(buf, size ? size : 1)))
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory for %s", name);
    else if (!status)
        status = inflate_rest(&z, rc, buf = all, got, size, name, err);
done:
    inflateEnd(&z);
    if (status)
        free(buf);
    else
        *out = buf;
    return status;
}

static sa_status read_named_member(sa_tensor *t, const unsigned char *buf,
                                   size_t len, const unsigned char *cd,
                                   const char *name, size_t *budget,
                                   sa_error *err);

/* Reads the member whose central directory entry is at cd into t; *budget
 * is what the members may still inflate to. */
static sa_status read_member(sa_tensor *t, const unsigned char *buf, size_t len,
                             const unsigned char *cd, size_t name_len,
                             size_t *budget, sa_error *err)
{
    if (memchr(cd + 46, '\0', name_len))
        return bad_zip(err, "a member name holds a NUL byte");
    char *name = strndup((const char *)cd + 46, name_len);
    if (!name)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_status status = read_named_member(t, buf, len, cd, name, budget, err);
    free(name);
    return status;
}

/* read_member for the member called name. */
static sa_status read_named_member(sa_tensor *t, const unsigned char *buf,
                                   size_t len, const unsigned char *cd,
                                   const char *name, size_t *budget,
                                   sa_error *err)
{
    unsigned method = le16(cd + 10);
    uint32_t crc = le32(cd + 16);
    size_t comp = le32(cd + 20), size = le32(cd + 24), local = le32(cd + 42);
    size_t name_len = strlen(name);

    if (comp == 0xffffffffu || size == 0xffffffffu || local == 0xffffffffu)
        return bad_zip(err, "zip64 members are not supported");
    if (local > len || len - local < 30 || le32(buf + local) != 0x04034b50)
        return bad_zip(err, "a member's local header is outside the file");
    size_t data = local + 30 + le16(buf + local + 26) + le16(buf + local + 28);
    if (data > len || comp > len - data)
        return bad_zip(err, "a member's data runs past the end of the file");
    if (name_len < 5 || strcmp(name + name_len - 4, ".npy") != 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: .npz members must be .npy "
                       "files", name);

    unsigned char *bytes = NULL;
    const unsigned char *member = buf + data;
    if (method == 8) {
        /* deflate expands at most ~1032:1; a bigger claim is a lie */
        if (size / 1032 > comp + 1)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: implausible "
                           "uncompressed size %zu in the .npz archive", name, size);
        sa_status status = inflate_member(&bytes, size, member, comp, name, budget,
                                          err);
        if (status)
            return status;
        member = bytes;
    } else if (method != 0) {
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: zip compression method %u "
                       "(selfattn reads stored and deflated members)", name, method);
    } else if (comp != size) {
        return bad_zip(err, "a stored member's sizes disagree");
    }
    if (crc32(0L, member, (uInt)size) != crc) {
        free(bytes);
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s: CRC mismatch in the .npz "
                       "archive", name);
    }
    sa_status status = sa_read_npy(t, member, size, err);
    size_t announced = (size_t)(t->raw - member) + sa_tensor_numel(t) * sa_dtype_size(t->dtype);
    if (!status && announced != size)
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy header announces %zu "
                         "bytes but the .npz archive says %zu", announced, size);
    if (!status) {
        t->name = strndup(name, name_len - 4);
        status = t->name ? sa_tensor_floats(&t->data, t, err)
                         : sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    } else {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err->message);
        sa_fail(err, status, 0, 0, "%s: %s", name, why);
    }
    t->raw = NULL;  /* the floats are the tensor now */
    free(bytes);
    return status;
}

sa_status sa_read_npz(sa_tensor_set *set, const unsigned char *buf,
                      size_t len, sa_error *err)
{
    memset(set, 0, sizeof *set);
    /* the end of central directory record: 22 bytes and a comment */
    size_t eocd = SIZE_MAX;
    for (size_t i = len >= 22 ? len - 22 : 0; len >= 22; i--) {
        if (le32(buf + i) == 0x06054b50) {
            eocd = i;
            break;
        }
        if (i == 0 || len - i > 22 + 65535)
            break;
    }
    if (eocd == SIZE_MAX)
        return bad_zip(err, "no end of central directory");
    size_t count = le16(buf + eocd + 10), cd_size = le32(buf + eocd + 12);
    size_t cd = le32(buf + eocd + 16);
    if (count == 0xffff || cd == 0xffffffffu)
        return bad_zip(err, "zip64 archives are not supported");
    if (cd > eocd || cd_size > eocd - cd)
        return bad_zip(err, "the central directory is outside the file");
    if (count == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npz archive is empty");
    if (count > cd_size / 46)  // each entry takes 46 bytes at least
        return bad_zip(err, "the central directory is too small for its entries");
    set->items = calloc(count, sizeof *set->items);
    if (!set->items)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");

    size_t at = cd, budget = sa_input_limit();
    sa_status status = SA_OK;
    for (size_t i = 0; i < count && !status; i++) {
        if (cd + cd_size - at < 46 || le32(buf + at) != 0x02014b50) {
            status = bad_zip(err, "a malformed central directory entry");
            break;
        }
        size_t name_len = le16(buf + at + 28);
        size_t entry = 46 + name_len + le16(buf + at + 30) + le16(buf + at + 32);
        if (entry > cd + cd_size - at) {
            status = bad_zip(err, "a central directory entry runs past its end");
            break;
        }
        status = read_member(&set->items[i], buf, len, buf + at, name_len,
                             &budget, err);
        set->count = i + 1;
        at += entry;
    }
    const char *twin = NULL;
    if (!status && (status = sa_tensor_set_twin(&twin, set, err)) == SA_OK && twin)
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "%s appears twice in the .npz "
                         "archive", twin);
    if (status)
        sa_tensor_set_free(set);
    return status;
}
