/* Migration benchmark: 1000 guests of 1 GiB on one host, each CPU-bound and
 * dirtying memory (2000 pages/s), migrated one after another (every 10 s)
 * to a second host over 1 Gb/s, at the rate level (fluid scheduler).  Every
 * migration goes round by round in batches through dom0's save process, the
 * two NICs and the destination's restore process, so this is the cost of
 * the migration model per simulated migration.  The hosts have a pCPU per
 * guest (2 x 512), so no guest is slowed and every migration is alike.
 *
 * Reported: simulator events, wall time and peak resident set.  Checks
 * (exit status 1 on failure): every migration finished, and all took the
 * same time within 1% (the first guests share a pCPU with dom0 for a moment,
 * the others never). */
#include <math.h>
#include <stdio.h>

#include "sim/bench/bench.h"
#include "sim/sim.h"

static char *scenario_text(int n)
{
    GString *js = g_string_new(NULL);
    g_string_append_printf(
        js,
        "{\"name\": \"bench-mig\", \"duration_s\": %d, \"policy\": \"native\","
        " \"scheduler\": {\"mode\": \"fluid\"}, \"output\": {\"timeseries_interval_s\": 100},"
        " \"hosts\": [{\"name\": \"a\", \"sockets\": 2, \"cores_per_socket\": 512,"
        " \"memory_per_socket_mb\": 614400}, {\"name\": \"b\", \"sockets\": 2,"
        " \"cores_per_socket\": 512, \"memory_per_socket_mb\": 614400}], \"vms\": [",
        10 * n + 10);
    for (int i = 0; i < n; i++)
        g_string_append_printf(js,
                               "%s{\"name\": \"g%d\", \"host\": \"a\", \"memory_mb\": 1024,"
                               " \"workload\": {\"type\": \"memory-dirtier\","
                               " \"dirty_rate_pages_s\": 2000}}",
                               i ? ", " : "", i);
    g_string_append(js, "], \"migrations\": [");
    for (int i = 0; i < n; i++)
        g_string_append_printf(js, "%s{\"vm\": \"g%d\", \"to\": \"b\", \"at_s\": %d}",
                               i ? ", " : "", i, 10 * i);
    g_string_append(js, "]}");
    return g_string_free(js, FALSE);
}

int bench_mig(bool quick)
{
    int n = quick ? 20 : 1000;
    g_autofree char *text = scenario_text(n);
    BenchRun run;
    g_autoptr(Sim) sim = bench_run_scenario(text, "bench-mig.json", &run);
    if (!sim)
        return 1;
    double wall = run.wall_s;
    long rss = run.peak_rss_kib;
    bool reset = run.rss_reset;

    int status = 0;
    double lo = INFINITY, hi = 0.0;
    for (int i = 0; i < n; i++) {
        double t = -1.0;
        g_autofree char *name = g_strdup_printf("g%d.migration.total_s", i);
        if (!sim_metric_get(sim, name, &t)) {
            fprintf(stderr, "error: the migration of g%d did not finish\n", i);
            status = 1;
            continue;
        }
        lo = fmin(lo, t);
        hi = fmax(hi, t);
    }
    if (hi > 1.01 * lo) {
        fprintf(stderr, "error: migrations took from %.6f s to %.6f s\n", lo, hi);
        status = 1;
    }
    printf("%d guests of 1 GiB migrated one after another over 1 Gb/s (%.3f to %.3f s each)\n\n", n,
           lo, hi);
    printf("%12s %9s %12s %9s\n", "events", "wall s", "events/s", "peak MiB");
    printf("%12llu %9.2f %12.0f %9.1f%s\n", (unsigned long long)sim_events_processed(sim), wall,
           wall > 0 ? (double)sim_events_processed(sim) / wall : 0.0, (double)rss / 1024.0,
           reset ? "" : " (process peak)");
    return status;
}
