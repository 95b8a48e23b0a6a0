/* Trace replay benchmark: a generated one-day trace of 12,500 machines (the
 * size of Google's 2011 cell) replayed through a dom0 policy at rate level,
 * the whole of a trace scenario as `dom0sim` runs it: reading the gzip
 * shards of the three tables merged by time, hosts and tasks coming and
 * going, every usage row updating its host's dom0 demand.  To show how the
 * cost grows with trace length, the first 6, 12 and 24 hours are replayed
 * (native), then the whole day under closer and under elastic (whose
 * resize period adds a pass over the hosts every rate_period_s).
 *
 * The trace is generated into a temporary directory first (about 75 s and
 * 2.1 GB for the full size) unless DOM0SIM_BENCH_TRACE names the directory
 * of one made earlier by `dom0sim-trace gen --machines 12500 --days 1
 * --seed 1 --shards 24 --gzip`.
 *
 * Reported per run: rows read, wall time, rows/s and peak resident set.
 * Checks (exit status 1): every run reads rows and schedules tasks, a
 * longer prefix reads more rows, and the unused capacity never exceeds the
 * capacity. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/bench/bench.h"
#include "sim/gtrace_gen.h"
#include "sim/sim.h"

static char *scenario_text(const char *dir, double hours, const char *policy)
{
    /* The smallest task is given, so the run is the replay alone (finding it
     * would read task_events once more). */
    return g_strdup_printf(
        "{\"name\": \"bench-replay\", \"duration_s\": %.0f, \"policy\": \"%s\","
        " \"output\": {\"timeseries_interval_s\": 300},"
        " \"hosts\": [{\"name\": \"largest\", \"sockets\": 2, \"cores_per_socket\": 8,"
        " \"memory_per_socket_mb\": 32768, \"management\": {\"period_s\": 10, \"cpu_ms\": 200}}],"
        " \"trace\": {\"path\": \"%s\", \"smallest_task\": {\"cpu\": 0.002, \"memory\": 0.001},"
        " \"dom0_work\": {\"per_cpu_core\": 0.05, \"per_disk_io\": 0.5}}}",
        hours * 3600, policy, dir);
}

static double metric(const Sim *sim, const char *name)
{
    double v = NAN;
    sim_metric_get(sim, name, &v);
    return v;
}

int bench_replay(bool quick)
{
    uint64_t machines = quick ? 100 : 12500;
    double days = quick ? 0.125 : 1.0;
    const char *given = getenv("DOM0SIM_BENCH_TRACE");
    g_autofree char *dir = NULL;
    bool made = false;
    if (given && !quick) {
        dir = g_strdup(given);
    } else {
        GError *err = NULL;
        dir = g_dir_make_tmp("dom0sim-bench-replay-XXXXXX", &err);
        if (!dir) {
            fprintf(stderr, "error: %s\n", err->message);
            g_error_free(err);
            return 1;
        }
        made = true;
        GtraceGenOptions o = {.out_dir = dir,
                              .machines = machines,
                              .days = days,
                              .seed = 1,
                              .shards = quick ? 2 : 24,
                              .gzip = true};
        GtraceCounts counts;
        double t0 = bench_now_s();
        if (!gtrace_gen(&o, &counts, &err)) {
            fprintf(stderr, "error: %s\n", err->message);
            g_error_free(err);
            bench_remove_tree(dir);
            return 1;
        }
        printf("generated %" G_GUINT64_FORMAT " machines x %g days in %.1f s\n\n", machines, days,
               bench_now_s() - t0);
    }

    const struct {
        double hours;
        const char *policy;
    } runs[] = {{days * 6, "native"},
                {days * 12, "native"},
                {days * 24, "native"},
                {days * 24, "closer"},
                {days * 24, "elastic"}};
    printf("%-8s %-7s %12s %10s %12s %10s %9s %14s\n", "policy", "hours", "rows", "wall s",
           "rows/s", "peak MiB", "tasks", "unused cores");
    int status = 0;
    double prev_rows = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(runs); i++) {
        g_autofree char *text = scenario_text(dir, runs[i].hours, runs[i].policy);
        BenchRun run;
        g_autoptr(Sim) sim = bench_run_scenario(text, "bench-replay.json", &run);
        if (!sim) {
            status = 1;
            break;
        }
        double rows = metric(sim, "trace.usage_rows") + metric(sim, "trace.task_event_rows") +
                      metric(sim, "trace.machine_event_rows");
        double tasks = metric(sim, "trace.tasks_scheduled");
        double unused = metric(sim, "dom0.unused_cores");
        double cap = metric(sim, "dom0.capacity_cores");
        printf("%-8s %-7.1f %12.0f %10.2f %12.0f %10.1f %9.0f %14.1f%s\n", runs[i].policy,
               runs[i].hours, rows, run.wall_s, rows / run.wall_s, run.peak_rss_kib / 1024.0, tasks,
               unused, run.rss_reset ? "" : " (peak: whole process)");
        fflush(stdout);
        if (!(rows > 0 && tasks > 0 && unused >= 0 && unused <= cap)) {
            fprintf(stderr, "check failed: rows %g, tasks %g, unused %g of %g\n", rows, tasks,
                    unused, cap);
            status = 1;
        }
        if (i > 0 && i < 3 && !(rows > prev_rows)) {
            fprintf(stderr, "check failed: %g h read %g rows, no more than %g h\n", runs[i].hours,
                    rows, runs[i - 1].hours);
            status = 1;
        }
        prev_rows = rows;
    }
    if (made)
        bench_remove_tree(dir);
    return status;
}
