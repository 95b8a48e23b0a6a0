/* Measurement helpers shared by the benchmarks. */
#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include <string.h>

#include "models/world.h"
#include "sim/bench/bench.h"
#include "sim/sim.h"
#include "sim/sim_json.h"
#include "sim/sim_schema.h"

void bench_remove_tree(const char *path)
{
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    if (!d) {
        g_unlink(path);
        return;
    }
    for (const char *n; (n = g_dir_read_name(d));) {
        g_autofree char *p = g_build_filename(path, n, NULL);
        bench_remove_tree(p);
    }
    g_rmdir(path);
}

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool bench_reset_peak_rss(void)
{
    malloc_trim(0);
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}

long bench_peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        long kib = -1;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
                break;
        fclose(f);
        if (kib >= 0)
            return kib;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

Sim *bench_run_scenario(const char *text, const char *name, BenchRun *out)
{
    GError *err = NULL;
    g_autoptr(SimSchema) schema = sim_schema_new_builtin(&err);
    g_autoptr(SimJsonDoc) doc = schema ? sim_json_load_text(text, strlen(text), name, &err) : NULL;
    if (!doc || !sim_schema_validate(schema, doc, &err)) {
        fprintf(stderr, "error: %s\n", err ? err->message : "?");
        g_clear_error(&err);
        return NULL;
    }
    out->rss_reset = bench_reset_peak_rss();
    double t0 = bench_now_s();
    Sim *sim = sim_new(1);
    World *w = world_build(sim, doc, &err);
    if (!w) {
        fprintf(stderr, "error: %s\n", err->message);
        g_error_free(err);
        sim_free(sim);
        return NULL;
    }
    world_start(w);
    sim_run(sim, world_duration(w));
    if (!world_ok(w, &err)) {
        fprintf(stderr, "error: %s\n", err->message);
        g_error_free(err);
        world_free(w);
        sim_free(sim);
        return NULL;
    }
    world_finish(w);
    out->wall_s = bench_now_s() - t0;
    out->peak_rss_kib = bench_peak_rss_kib();
    world_free(w);
    return sim;
}
