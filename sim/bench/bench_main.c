/* dom0sim-bench: the simulator's performance benchmarks.
 *
 * Usage: dom0sim-bench [queue|sched|io|mig|read|replay]... [--quick] [PATH...]
 *   no name  runs every benchmark (queue, sched, io, mig, read, then replay);
 *   queue    the pending-event set, hold model (bench_hold.c);
 *   sched    the CPU scheduler, 64 pCPUs and 200 busy vCPUs for one
 *            simulated hour, credit and fluid modes (bench_sched.c);
 *   io       ten IOzone guests through the split block driver for ten
 *            simulated minutes, native and closer (bench_io.c);
 *   mig      1000 guests of 1 GiB migrated one after another over 1 Gb/s
 *            (bench_mig.c);
 *   read     task_usage rows/s from gzip shards through gtrace_next on one
 *            thread: generated 2, 6 and 24 h traces of 12,500 machines, or
 *            the trace directories, shard directories or shards named as
 *            PATHs (bench_read.c);
 *   replay   a generated one-day trace of 12,500 machines replayed through
 *            a dom0 policy, at 6, 12 and 24 hours (bench_replay.c);
 *   --quick  a short smoke run of the same code paths and checks.
 * The exit status is 1 if any benchmark's consistency check fails. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "sim/bench/bench.h"

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [queue|sched|io|mig|read|replay]... [--quick] [PATH...]\n", argv0);
    return 2;
}

/* The benchmarks in the order they run when none is named. */
static const struct {
    const char *name;
    const char *title;
    int (*run)(bool quick);
} benches[] = {
    {"queue", "event queue (hold model)", bench_queue},
    {"sched", "CPU scheduler", bench_sched},
    {"io", "split-driver I/O, request level", bench_io},
    {"mig", "live migration, 1000 guests", bench_mig},
    {"read", "trace reading, task_usage from gzip", bench_read},
    {"replay", "trace replay, 12,500 machines", bench_replay},
};

int main(int argc, char **argv)
{
    bool quick = false, chosen[G_N_ELEMENTS(benches)] = {false}, any = false;
    /* PATHs are the arguments after "read" that name no benchmark. */
    g_autofree const char **paths = g_new0(const char *, (size_t)argc);
    size_t n_paths = 0;
    bool after_read = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = true;
            continue;
        }
        size_t k = 0;
        while (k < G_N_ELEMENTS(benches) && strcmp(argv[i], benches[k].name) != 0)
            k++;
        if (k == G_N_ELEMENTS(benches)) {
            if (!after_read || argv[i][0] == '-')
                return usage(argv[0]);
            paths[n_paths++] = argv[i];
            continue;
        }
        chosen[k] = any = true;
        after_read = strcmp(argv[i], "read") == 0;
    }
    bench_read_set_paths(paths, n_paths);
    int status = 0;
    bool first = true;
    for (size_t k = 0; k < G_N_ELEMENTS(benches); k++) {
        if (any && !chosen[k])
            continue;
        printf("%s== %s ==\n\n", first ? "" : "\n", benches[k].title);
        fflush(stdout);
        status |= benches[k].run(quick);
        first = false;
    }
    return status;
}
