/* Trace-reading benchmark: task_usage rows from gzip shards through
 * gtrace_next, one thread, so the figure is the reader's rate on one core.
 *
 * Without paths it generates three synthetic traces with gtrace_gen (the code
 * behind `dom0sim-trace gen --gzip`) into a temporary directory, one after
 * another, reads each one's task_usage and deletes it: 12,500 machines (the
 * size of the real cell) for 2, 6 and 24 hours, 24 shards each, so the three
 * rows show how the rate scales with trace length.  With paths it reads
 * those instead: a trace directory (its task_usage/ is read), a directory of
 * shards, or shard files.
 *
 * Reported per trace: shards, rows, compressed MB, wall seconds, rows per
 * second, compressed MB per second, and the peak resident set while reading.
 * Checks (exit status 1 on failure): the reader ends without an error, row
 * times never go backwards, and a generated trace reads back exactly the row
 * count the generator wrote. */
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sim/bench/bench.h"
#include "sim/gtrace.h"
#include "sim/gtrace_gen.h"

static const char *const *read_paths;
static size_t n_read_paths;

void bench_read_set_paths(const char *const *paths, size_t n)
{
    read_paths = paths;
    n_read_paths = n;
}

/* Sum of the sizes of the reader's input files, bytes. */
static uint64_t input_bytes(const char *path)
{
    GStatBuf st;
    if (g_stat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return (uint64_t)st.st_size;
    uint64_t sum = 0;
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    for (const char *n; dir && (n = g_dir_read_name(dir));) {
        if (n[0] == '.' || !(g_str_has_suffix(n, ".csv") || g_str_has_suffix(n, ".csv.gz")))
            continue;
        g_autofree char *p = g_build_filename(path, n, NULL);
        if (g_stat(p, &st) == 0 && S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
    }
    return sum;
}

/* Reads every task_usage row of paths, prints one result line; expect_rows
 * is checked when non-zero.  Returns 0, or 1 when a check fails. */
static int read_once(const char *label, const char *const *paths, size_t n, uint64_t expect_rows)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < n; i++)
        bytes += input_bytes(paths[i]);
    bool reset = bench_reset_peak_rss();
    double t0 = bench_now_s();
    GError *err = NULL;
    g_autoptr(GtraceReader) r = gtrace_open(GTRACE_TASK_USAGE, paths, n, NULL, &err);
    if (!r) {
        fprintf(stderr, "error: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    GtraceRow row;
    int rc;
    int64_t last = INT64_MIN;
    bool ordered = true;
    while ((rc = gtrace_next(r, &row, &err)) > 0) {
        int64_t t = row.task_usage.start_us;
        ordered &= t >= last;
        last = t;
    }
    double wall = bench_now_s() - t0;
    long rss = bench_peak_rss_kib();
    if (rc < 0) {
        fprintf(stderr, "error: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    uint64_t rows = gtrace_rows(r);
    printf("%-10s %6zu %11" PRIu64 " %9.1f %8.2f %12.0f %8.1f %9.1f%s\n", label, gtrace_n_files(r),
           rows, (double)bytes / 1e6, wall, wall > 0 ? (double)rows / wall : 0,
           wall > 0 ? (double)bytes / 1e6 / wall : 0, (double)rss / 1024.0,
           reset ? "" : " (process peak)");
    fflush(stdout);
    int status = 0;
    if (!ordered) {
        fprintf(stderr, "error: %s: rows came out of time order\n", label);
        status = 1;
    }
    if (expect_rows && rows != expect_rows) {
        fprintf(stderr, "error: %s: read %" PRIu64 " rows, the generator wrote %" PRIu64 "\n",
                label, rows, expect_rows);
        status = 1;
    }
    return status;
}

/* Generates a trace of `hours`, reads its task_usage, deletes it. */
static int generated(const char *tmp, uint64_t machines, double hours, unsigned shards)
{
    g_autofree char *dir = g_strdup_printf("%s/trace-%gh", tmp, hours);
    GtraceGenOptions o = {.out_dir = dir,
                          .machines = machines,
                          .days = hours / 24.0,
                          .seed = 1,
                          .shards = shards,
                          .gzip = true};
    GtraceCounts counts;
    GError *err = NULL;
    double t0 = bench_now_s();
    if (!gtrace_gen(&o, &counts, &err)) {
        fprintf(stderr, "error: generating: %s\n", err->message);
        g_error_free(err);
        bench_remove_tree(dir);
        return 1;
    }
    double gen_s = bench_now_s() - t0;
    g_autofree char *usage = g_build_filename(dir, "task_usage", NULL);
    g_autofree char *label = g_strdup_printf("%gh", hours);
    const char *paths[] = {usage};
    int status = read_once(label, paths, 1, counts.rows[GTRACE_TASK_USAGE]);
    printf("%-10s (generated in %.1f s)\n", "", gen_s);
    bench_remove_tree(dir);
    return status;
}

static void header(void)
{
    printf("%-10s %6s %11s %9s %8s %12s %8s %9s\n", "trace", "shards", "rows", "in MB", "wall s",
           "rows/s", "in MB/s", "peak MiB");
}

int bench_read(bool quick)
{
    if (n_read_paths > 0) {
        printf("task_usage from the given paths, gtrace_next on one thread\n\n");
        header();
        int status = 0;
        for (size_t i = 0; i < n_read_paths; i++) {
            g_autofree char *sub = g_build_filename(read_paths[i], "task_usage", NULL);
            const char *p = g_file_test(sub, G_FILE_TEST_IS_DIR) ? sub : read_paths[i];
            status |= read_once(read_paths[i], &p, 1, 0);
        }
        return status;
    }
    uint64_t machines = quick ? 1000 : 12500;
    const double hours[] = {2, 6, 24};
    size_t n_sizes = quick ? 1 : G_N_ELEMENTS(hours);
    printf("task_usage of generated gzip traces (%" PRIu64 " machines, seed 1, 24 shards),\n"
           "gtrace_next on one thread; each trace is deleted after it is read\n\n",
           machines);
    GError *err = NULL;
    g_autofree char *tmp = g_dir_make_tmp("dom0sim-bench-read-XXXXXX", &err);
    if (!tmp) {
        fprintf(stderr, "error: %s\n", err->message);
        g_error_free(err);
        return 1;
    }
    header();
    int status = 0;
    for (size_t i = 0; i < n_sizes; i++)
        status |= generated(tmp, machines, hours[i], 24);
    g_rmdir(tmp);
    return status;
}
