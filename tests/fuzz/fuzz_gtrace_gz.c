/* Fuzz target: the trace reader on gzip files as they lie on disk
 * (sim/gtrace.h): ISA-L's inflate, multi-member streams, truncated and
 * corrupt streams, and the parser behind them.
 *
 * Byte 0 chooses the table (bits 0-1, 3 is read as task_usage) and
 * skip_bad_rows (bit 2); the rest is the file.  A file without the gzip
 * magic would be read as plain CSV, which fuzz_gtrace covers, so it is
 * ignored. */
#include <glib.h>

#include "tests/fuzz/fuzz_gtrace_common.h"
#include "tests/fuzz/fuzz_targets.h"

int fuzz_gtrace_gz_one(const uint8_t *data, size_t size)
{
    if (size < 3 || size > (1u << 20) || data[1] != 0x1f || data[2] != 0x8b)
        return 0;
    unsigned flags = data[0];
    GtraceTable t = (flags & 3) == 3 ? GTRACE_TASK_USAGE : (GtraceTable)(flags & 3);
    g_autofree char *path = fuzz_write_file("shard.csv.gz", data + 1, size - 1);
    const char *paths[] = {path};
    fuzz_gtrace_read_all(t, paths, 1, flags & 4);
    return 0;
}

#ifdef DOM0SIM_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_gtrace_gz_one(data, size);
}
#endif
