/* The scratch directory the file-reading fuzz targets write their input to
 * (tmpfs when there is one, else /tmp). */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_targets.h"

static char *scratch;

static void remove_scratch(void)
{
    GDir *d = g_dir_open(scratch, 0, NULL);
    if (d) {
        for (const char *n; (n = g_dir_read_name(d));) {
            g_autofree char *p = g_build_filename(scratch, n, NULL);
            g_unlink(p);
        }
        g_dir_close(d);
    }
    g_rmdir(scratch);
    g_free(scratch);
    scratch = NULL;
}

char *fuzz_write_file(const char *name, const uint8_t *data, size_t size)
{
    if (!scratch) {
        /* In memory when possible: a fuzzer writes a file per input. */
        const char *base = g_file_test("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" : "/tmp";
        scratch = g_strdup_printf("%s/dom0sim-fuzz-XXXXXX", base);
        if (!g_mkdtemp(scratch)) {
            perror("dom0sim fuzz: mkdtemp");
            abort();
        }
        atexit(remove_scratch);
    }
    char *path = g_build_filename(scratch, name, NULL);
    FILE *fp = fopen(path, "wb");
    if (!fp || (size && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0) {
        perror(path);
        abort();
    }
    return path;
}
