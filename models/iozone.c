#include "models/iozone.h"

#include <inttypes.h>
#include <string.h>

#include "models/blkif.h"
#include "sim/sim_jget.h"
#include "sim/sim_stats.h"

/* Test names as the scenario spells them, and IOzone's -R block titles. */
static const struct {
    const char *name;
    const char *title;
    bool write;
    bool random;
} tests[IOZ_N_TESTS] = {
    [IOZ_WRITE] = {"write", "Writer report", true, false},
    [IOZ_REWRITE] = {"rewrite", "Re-writer report", true, false},
    [IOZ_READ] = {"read", "Reader report", false, false},
    [IOZ_REREAD] = {"reread", "Re-reader report", false, false},
    [IOZ_RANDOM_READ] = {"random-read", "Random read report", false, true},
    [IOZ_RANDOM_WRITE] = {"random-write", "Random write report", true, true},
};

struct Iozone {
    Sim *sim;
    char *vm;
    IozoneTest test;
    uint64_t file_bytes, record_bytes;
    int outstanding;

    Host *host;
    Domain *dom;
    uint64_t gen;      /* bumped at every detach: stale completions are ignored */
    uint64_t next_rec; /* record index within the file of the next issue */
    int in_flight;

    GHashTable *live;      /* Record * in flight, freed with the run if never answered */
    SimTally latency;      /* s per record */
    SimBatchMeans *steady; /* the same after the warm-up, in batches */
    uint64_t records, bytes, errors, passes;
    SimTime attached_at;
    SimTime active_ns;
};

typedef struct {
    Iozone *z;
    uint64_t gen;
    SimTime issued;
} Record;

Iozone *iozone_new(Sim *sim, const char *vm, const cJSON *spec)
{
    Iozone *z = g_new0(Iozone, 1);
    z->sim = sim;
    z->vm = g_strdup(vm);
    const char *t = jget_str(spec, "test");
    for (int i = 0; i < IOZ_N_TESTS; i++)
        if (strcmp(tests[i].name, t) == 0)
            z->test = (IozoneTest)i;
    z->file_bytes = (uint64_t)(jget_num(spec, "file_mb") * 1048576.0);
    z->record_bytes = (uint64_t)(jget_num(spec, "record_kb") * 1024.0);
    z->outstanding = (int)jget_int(spec, "outstanding");
    sim_tally_init(&z->latency);
    z->steady = g_new(SimBatchMeans, 1);
    sim_bm_init(z->steady, -1);
    z->live = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
    return z;
}

void iozone_free(Iozone *z)
{
    if (!z)
        return;
    g_hash_table_destroy(z->live);
    g_free(z->steady);
    g_free(z->vm);
    g_free(z);
}

void iozone_set_warmup(Iozone *z, SimTime warmup)
{
    sim_bm_init(z->steady, warmup);
}

static void issue(Iozone *z);

static void record_done(void *data, bool ok)
{
    Record *r = data;
    Iozone *z = r->z;
    bool current = r->gen == z->gen && z->dom;
    SimTime issued = r->issued;
    g_hash_table_remove(z->live, r);
    if (!current)
        return;
    z->in_flight--;
    if (ok) {
        z->records++;
        z->bytes += z->record_bytes;
        double lat = sim_time_to_s(sim_now(z->sim) - issued);
        sim_tally_add(&z->latency, lat);
        sim_bm_add(z->steady, sim_now(z->sim), lat);
    } else {
        z->errors++;
    }
    issue(z);
}

/* Keeps `outstanding` records in flight, wrapping at the end of the file. */
static void issue(Iozone *z)
{
    uint64_t per_file = MAX(z->file_bytes / z->record_bytes, (uint64_t)1);
    while (z->in_flight < z->outstanding) {
        bool first = z->next_rec == 0;
        Record *r = g_new0(Record, 1);
        r->z = z;
        r->gen = z->gen;
        r->issued = sim_now(z->sim);
        g_hash_table_add(z->live, r);
        z->in_flight++;
        z->next_rec++;
        if (z->next_rec == per_file) {
            z->next_rec = 0;
            z->passes++;
        }
        /* A sequential test continues where the last record ended, except
         * when it starts the file again. */
        bool sequential = !tests[z->test].random && !first;
        vbd_submit(z->dom->vbd, z->record_bytes, tests[z->test].write, sequential,
                   z->dom->vcpus->pdata[0], record_done, r);
    }
}

void iozone_attach(Iozone *z, Host *h, Domain *g)
{
    z->host = h;
    z->dom = g;
    z->attached_at = sim_now(z->sim);
    z->in_flight = 0;
    issue(z);
}

void iozone_detach(Iozone *z)
{
    if (!z->dom)
        return;
    z->active_ns += sim_now(z->sim) - z->attached_at;
    z->gen++;
    z->dom = NULL;
    z->host = NULL;
}

static double active_s(const Iozone *z)
{
    return sim_time_to_s(z->active_ns + (z->dom ? sim_now(z->sim) - z->attached_at : 0));
}

static double bytes_per_s(const Iozone *z)
{
    double t = active_s(z);
    return t > 0 ? (double)z->bytes / t : 0.0;
}

void iozone_sample(const Iozone *z, double disk_io_s, MultiobjSample *s)
{
    s->issued = z->records + z->errors;
    s->completed = z->records;
    s->service_s = z->records ? disk_io_s / (double)z->records : 0.0;
    s->mean_s = z->latency.n ? z->latency.mean : 0.0;
}

void iozone_finish(Iozone *z)
{
    Sim *sim = z->sim;
    double bps = bytes_per_s(z);
    sim_metric_setf(sim, bps, "%s.io.throughput_Bps", z->vm);
    sim_metric_setf(sim, (double)z->records, "%s.io.records", z->vm);
    sim_metric_setf(sim, (double)z->errors, "%s.io.errors", z->vm);
    sim_metric_setf(sim, z->latency.n ? z->latency.mean : 0.0, "%s.io.record_latency_mean_s",
                    z->vm);
    /* The whole run's above (the objective's, multiobj.h); after the warm-up
     * with its batch-means interval (sim_stats.h) here. */
    sim_bm_publish(sim, z->steady, z->vm, "io.record_latency_steady", "io");
    sim_metric_setf(sim, bps / 1024.0, "%s.iozone.kBps", z->vm);
    sim_metric_setf(sim, (double)z->passes, "%s.iozone.passes", z->vm);
}

/* Sorted distinct values, for the report's axes. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void distinct(GArray *a)
{
    g_array_sort(a, cmp_u64);
    guint k = 0;
    for (guint i = 0; i < a->len; i++)
        if (k == 0 || g_array_index(a, uint64_t, i) != g_array_index(a, uint64_t, k - 1))
            g_array_index(a, uint64_t, k++) = g_array_index(a, uint64_t, i);
    g_array_set_size(a, k);
}

void iozone_write_report(GPtrArray *runs, FILE *fp)
{
    for (int t = 0; t < IOZ_N_TESTS; t++) {
        g_autoptr(GArray) files = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        g_autoptr(GArray) records = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        for (guint i = 0; i < runs->len; i++) {
            const Iozone *z = runs->pdata[i];
            if ((int)z->test != t)
                continue;
            uint64_t f = z->file_bytes / 1024, r = z->record_bytes / 1024;
            g_array_append_val(files, f);
            g_array_append_val(records, r);
        }
        if (files->len == 0)
            continue;
        distinct(files);
        distinct(records);
        fprintf(fp, "\"%s\"\n", tests[t].title);
        fprintf(fp, "%-10s", "");
        for (guint c = 0; c < records->len; c++) {
            g_autofree char *h =
                g_strdup_printf("\"%" PRIu64 "\"", g_array_index(records, uint64_t, c));
            fprintf(fp, " %10s", h);
        }
        fputc('\n', fp);
        for (guint f = 0; f < files->len; f++) {
            uint64_t fk = g_array_index(files, uint64_t, f);
            g_autofree char *h = g_strdup_printf("\"%" PRIu64 "\"", fk);
            fprintf(fp, "%-10s", h);
            for (guint c = 0; c < records->len; c++) {
                uint64_t rk = g_array_index(records, uint64_t, c);
                double sum = 0.0;
                int n = 0;
                for (guint i = 0; i < runs->len; i++) {
                    const Iozone *z = runs->pdata[i];
                    if ((int)z->test == t && z->file_bytes / 1024 == fk &&
                        z->record_bytes / 1024 == rk) {
                        sum += bytes_per_s(z) / 1024.0;
                        n++;
                    }
                }
                if (n)
                    fprintf(fp, " %10.0f", sum / n);
                else
                    fprintf(fp, " %10s", "");
            }
            fputc('\n', fp);
        }
        fputc('\n', fp);
    }
}
