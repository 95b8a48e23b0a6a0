#include "models/estimate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "sim/sim_jget.h"

/* Bytes in the regular files directly in `dir`, counting a gzip shard as
 * `gz_factor` times its size (what it inflates to, at most). */
static double dir_bytes(const char *dir, double gz_factor)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0.0;
    double total = 0.0;
    const char *name;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *full = g_build_filename(dir, name, NULL);
        GStatBuf st;
        if (g_stat(full, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        total += (double)st.st_size * (g_str_has_suffix(name, ".gz") ? gz_factor : 1.0);
    }
    g_dir_close(d);
    return total;
}

static void take_memory(WorldEstimate *e, const char *key, double bytes)
{
    e->memory_bytes += bytes;
    if (bytes > e->memory_part) {
        g_free(e->memory_key);
        e->memory_key = g_strdup(key);
        e->memory_part = bytes;
    }
}

/* A trace scenario: one host per machine the trace adds.  Without a
 * trace.machines bound, every machine_events row could add one: at least
 * 16 bytes a row (e.g. "0,1,0,,0.5,0.5\n"), a gzip shard inflating at
 * most 8 times. */
static void estimate_trace(SimJsonDoc *doc, const cJSON *tr, WorldEstimate *e)
{
    double machines = (double)jget_int(tr, "machines");
    const char *key = "trace.machines";
    if (machines <= 0) {
        const char *path = jget_str(tr, "path");
        g_autofree char *base = g_path_get_dirname(sim_json_doc_name(doc));
        g_autofree char *dir =
            g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(base, path, NULL);
        g_autofree char *me = g_build_filename(dir, "machine_events", NULL);
        machines = ceil(dir_bytes(me, 8.0) / 16.0);
        key = "trace.path";
    }
    take_memory(e, key, machines * EST_TRACE_MACHINE_BYTES);
}

void world_estimate(SimJsonDoc *doc, WorldEstimate *e)
{
    memset(e, 0, sizeof *e);
    const cJSON *root = sim_json_doc_root(doc);
    e->memory_bytes = EST_BASE_BYTES;
    double hosts = 0.0;
    const cJSON *jh;
    cJSON_ArrayForEach(jh, jget(root, "hosts"))
    {
        double pcpus = (double)jget_int(jh, "sockets") * (double)jget_int(jh, "cores_per_socket");
        hosts += EST_HOST_BYTES + pcpus * EST_PCPU_BYTES;
    }
    take_memory(e, "hosts", hosts);
    const cJSON *tr = jget(root, "trace");
    if (tr) {
        estimate_trace(doc, tr, e);
        return;
    }
    double duration = jget_num(root, "duration_s");
    double biggest_events = 0.0;
    int i = 0;
    const cJSON *jv;
    cJSON_ArrayForEach(jv, jget(root, "vms"))
    {
        double copies = jget(jv, "count") ? (double)jget_int(jv, "count") : 1.0;
        g_autofree char *key =
            jget(jv, "count") ? g_strdup_printf("vms[%d].count", i) : g_strdup("vms");
        take_memory(e, key, copies * EST_GUEST_BYTES);
        /* Request-level workloads: every request is at least one event. */
        const cJSON *wl = jget(jv, "workload");
        double rate;
        if (wl && jget_num_opt(wl, "rate_per_s", &rate) && rate > 0) {
            double n = rate * duration * copies;
            e->events += n;
            if (n > biggest_events) {
                biggest_events = n;
                g_free(e->events_key);
                e->events_key = g_strdup_printf("vms[%d].workload.rate_per_s", i);
            }
        }
        i++;
    }
    take_memory(e, "migrations",
                cJSON_GetArraySize(jget(root, "migrations")) * (double)EST_MIGRATION_BYTES);
}

void world_estimate_clear(WorldEstimate *e)
{
    g_clear_pointer(&e->memory_key, g_free);
    g_clear_pointer(&e->events_key, g_free);
}

static uint64_t meminfo_available(void)
{
    FILE *fp = fopen("/proc/meminfo", "r");
    if (!fp)
        return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, fp))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(fp);
    return (uint64_t)kb << 10;
}

uint64_t world_memory_available(const char **what)
{
    uint64_t avail = meminfo_available();
    *what = "MemAvailable in /proc/meminfo";
    static const struct {
        int resource;
        const char *name;
    } limits[] = {{RLIMIT_AS, "RLIMIT_AS (ulimit -v)"}, {RLIMIT_DATA, "RLIMIT_DATA (ulimit -d)"}};
    for (size_t i = 0; i < G_N_ELEMENTS(limits); i++) {
        struct rlimit rl;
        if (getrlimit(limits[i].resource, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
            (avail == 0 || (uint64_t)rl.rlim_cur < avail)) {
            avail = (uint64_t)rl.rlim_cur;
            *what = limits[i].name;
        }
    }
    return avail;
}
