/* Request-level I/O benchmark: ten IOzone guests (4 KiB random reads, four
 * records in flight each) on an NVMe disk behind a two-vCPU dom0, for ten
 * simulated minutes, under native and closer.  Every record crosses
 * blkfront, the ring, the event channel, grants, blkback and the disk, so
 * this is the cost of the split-driver model per simulated request.
 *
 * Reported per policy: simulator events, wall time, events per wall second,
 * simulated requests per wall second, and the peak resident set.  Checks
 * (exit status 1 on failure): every guest completed records and none
 * failed. */
#include <stdio.h>

#include "sim/bench/bench.h"
#include "sim/sim.h"

#define BENCH_GUESTS 10

static char *scenario_text(const char *policy, double duration_s)
{
    GString *js = g_string_new(NULL);
    g_string_append_printf(js,
                           "{\"name\": \"bench-io\", \"duration_s\": %g, \"seed\": 1,"
                           " \"policy\": \"%s\", \"hosts\": [{\"name\": \"h0\","
                           " \"disk\": {\"preset\": \"nvme\"}}], \"vms\": [",
                           duration_s, policy);
    for (int i = 1; i <= BENCH_GUESTS; i++)
        g_string_append_printf(js,
                               "%s{\"name\": \"io%d\", \"host\": \"h0\", \"memory_mb\": 1024,"
                               " \"workload\": {\"type\": \"iozone\", \"test\": \"random-read\","
                               " \"file_mb\": 4096, \"record_kb\": 4, \"outstanding\": 4}}",
                               i > 1 ? ", " : "", i);
    g_string_append(js, "]}");
    return g_string_free(js, FALSE);
}

static int run_policy(const char *policy, double duration_s)
{
    g_autofree char *text = scenario_text(policy, duration_s);
    BenchRun run;
    g_autoptr(Sim) sim = bench_run_scenario(text, "bench-io.json", &run);
    if (!sim)
        return 1;
    double wall = run.wall_s;
    long rss = run.peak_rss_kib;
    bool reset = run.rss_reset;

    int status = 0;
    double requests = 0.0;
    for (int i = 1; i <= BENCH_GUESTS; i++) {
        double rec = 0.0, errors = 0.0, reqs = 0.0;
        g_autofree char *r = g_strdup_printf("io%d.io.records", i);
        g_autofree char *e = g_strdup_printf("io%d.io.errors", i);
        g_autofree char *q = g_strdup_printf("io%d.blk.requests", i);
        sim_metric_get(sim, r, &rec);
        sim_metric_get(sim, e, &errors);
        sim_metric_get(sim, q, &reqs);
        requests += reqs;
        if (rec <= 0 || errors > 0) {
            fprintf(stderr, "error: %s: guest io%d completed %.0f records, %.0f failed\n", policy,
                    i, rec, errors);
            status = 1;
        }
    }
    uint64_t ev = sim_events_processed(sim);
    double load = 0.0;
    sim_metric_get(sim, "dom0.main.cpu_load", &load);
    printf("%-7s %6.0f %12llu %9.2f %12.0f %12.0f %9.1f%s   (dom0 main load %.2f)\n", policy,
           duration_s, (unsigned long long)ev, wall, wall > 0 ? (double)ev / wall : 0.0,
           wall > 0 ? requests / wall : 0.0, (double)rss / 1024.0, reset ? "" : " (process peak)",
           load);
    fflush(stdout);
    return status;
}

int bench_io(bool quick)
{
    double duration = quick ? 1.0 : 600.0;
    printf("%d IOzone guests (4 KiB random read, 4 in flight each), NVMe disk, dom0 2 vCPUs\n\n",
           BENCH_GUESTS);
    printf("%-7s %6s %12s %9s %12s %12s %9s\n", "policy", "sim s", "events", "wall s", "events/s",
           "requests/s", "peak MiB");
    int status = 0;
    status |= run_policy("native", duration);
    status |= run_policy("closer", duration);
    return status;
}
