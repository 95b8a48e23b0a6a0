/* Fuzz target: the trace reader on plain CSV shards (sim/gtrace.h).
 *
 * Byte 0 chooses: bits 0-1 the table (3 is read as task_usage), bit 2
 * skip_bad_rows, bit 3 two shards (the rest split at its first NUL, so the
 * k-way merge runs), bit 4 each shard gzip-compressed with zlib first (so the
 * parser is also fuzzed behind ISA-L's inflate and its buffer refills).  The
 * rest is the CSV text. */
#include <glib.h>
#include <string.h>
#include <zlib.h>

#include "tests/fuzz/fuzz_gtrace_common.h"
#include "tests/fuzz/fuzz_targets.h"

static char *write_shard(const char *name, const uint8_t *data, size_t size, bool gz)
{
    if (!gz)
        return fuzz_write_file(name, data, size);
    /* windowBits 15 + 16: a gzip wrapper, as the trace's shards have. */
    z_stream z = {0};
    g_assert(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    uLong cap = deflateBound(&z, (uLong)size);
    g_autofree Bytef *out = g_malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)size;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    g_assert(deflate(&z, Z_FINISH) == Z_STREAM_END);
    size_t n = z.total_out;
    deflateEnd(&z);
    return fuzz_write_file(name, out, n);
}

int fuzz_gtrace_one(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    unsigned flags = data[0];
    GtraceTable t = (flags & 3) == 3 ? GTRACE_TASK_USAGE : (GtraceTable)(flags & 3);
    bool skip = flags & 4, two = flags & 8, gz = flags & 16;
    const uint8_t *body = data + 1;
    size_t len = size - 1;
    const uint8_t *nul = two ? memchr(body, '\0', len) : NULL;
    if (nul) {
        size_t n0 = (size_t)(nul - body);
        g_autofree char *a = write_shard("shard0.csv", body, n0, gz);
        g_autofree char *b = write_shard("shard1.csv", nul + 1, len - n0 - 1, gz);
        const char *paths[] = {a, b};
        fuzz_gtrace_read_all(t, paths, 2, skip);
    } else {
        g_autofree char *a = write_shard("shard0.csv", body, len, gz);
        const char *paths[] = {a};
        fuzz_gtrace_read_all(t, paths, 1, skip);
    }
    return 0;
}

#ifdef DOM0SIM_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_gtrace_one(data, size);
}
#endif
