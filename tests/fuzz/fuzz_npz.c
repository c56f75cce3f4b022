/* fuzz_npz.c — sa_read_npz (a zip of .npy members, stored or deflated),
 * sa_tensor_floats on each member, and the weights layouts on the set. */
#include <zlib.h>

#include "fuzz_common.h"

/* ---- a mutator that keeps the CRCs right ----------------------------------
 * A random change to a member almost always breaks its CRC-32, and the
 * reader stops there; so after libFuzzer's own mutation the CRCs (and, for
 * a deflated member that inflates, the uncompressed size) of the central
 * directory entries and their local headers are recomputed, 7 times out of
 * 8, so that the .npy members behind them get fuzzed too. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void fix_crcs(uint8_t *buf, size_t len)
{
    size_t eocd = SIZE_MAX;
    for (size_t i = len >= 22 ? len - 22 : 0; len >= 22; i--) {
        if (rd32(buf + i) == 0x06054b50) {
            eocd = i;
            break;
        }
        if (i == 0 || len - i > 22 + 65535)
            break;
    }
    if (eocd == SIZE_MAX)
        return;
    size_t count = rd16(buf + eocd + 10), cd = rd32(buf + eocd + 16);
    size_t cd_end = cd + rd32(buf + eocd + 12);
    if (cd > eocd || cd_end > eocd || cd_end < cd)
        return;
    size_t at = cd;
    for (size_t k = 0; k < count && at + 46 <= cd_end; k++) {
        uint8_t *e = buf + at;
        if (rd32(e) != 0x02014b50)
            return;
        size_t comp = rd32(e + 20), local = rd32(e + 42);
        unsigned method = rd16(e + 10);
        at += 46 + rd16(e + 28) + rd16(e + 30) + rd16(e + 32);
        if (local > len || len - local < 30 || rd32(buf + local) != 0x04034b50)
            continue;
        size_t start = local + 30 + rd16(buf + local + 26) + rd16(buf + local + 28);
        if (start > len || comp > len - start)
            continue;
        uint32_t crc;
        if (method == 0) {
            crc = (uint32_t)crc32(0L, buf + start, (uInt)comp);
            wr32(e + 24, (uint32_t)comp);
        } else if (method == 8) {
            static unsigned char out[1 << 20];
            z_stream z;
            memset(&z, 0, sizeof z);
            if (inflateInit2(&z, -MAX_WBITS) != Z_OK)
                continue;
            z.next_in = buf + start;
            z.avail_in = (uInt)comp;
            z.next_out = out;
            z.avail_out = sizeof out;
            int rc = inflate(&z, Z_FINISH);
            size_t produced = sizeof out - z.avail_out;
            inflateEnd(&z);
            if (rc != Z_STREAM_END)
                continue;
            crc = (uint32_t)crc32(0L, out, (uInt)produced);
            wr32(e + 24, (uint32_t)produced);
            wr32(buf + local + 22, (uint32_t)produced);
        } else {
            continue;
        }
        wr32(e + 16, crc);
        wr32(buf + local + 14, crc);
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 8 != 0)
        fix_crcs(data, size);
    return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = fuzz_bytes(data, size);
    sa_tensor_set set;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_npz(&set, buf, size, &err);
    fuzz_heap_check(size);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(set.items == NULL && set.count == 0);
    } else {
        FUZZ_CHECK(set.count > 0);
        for (size_t i = 0; i < set.count; i++) {
            /* members are converted: they own floats, not the buffer */
            FUZZ_CHECK(set.items[i].data != NULL && set.items[i].raw == NULL);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(set.items[i].name, set.items[j].name) != 0);
        }
        fuzz_check_tensor_set(&set);
        fuzz_check_weights_from_set(&set);
    }
    sa_tensor_set_free(&set);
    sa_tensor_set_free(&set);  /* safe twice */
    /* as a run input: its only array, or x or input, 2-D or 3-D */
    fuzz_check_input_take(data, size, "x.npz");
    free(buf);
    return 0;
}
