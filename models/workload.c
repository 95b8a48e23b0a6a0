#include "models/workload.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <string.h>

#include "models/iozone.h"
#include "models/web.h"
#include "sim/sim_jget.h"

typedef enum {
    WL_IDLE,
    WL_DIRTIER,
    WL_CPU_BOUND,
    WL_IO_SYNTHETIC,
    WL_IOZONE,
    WL_BLK_GARBAGE,
    WL_WEB,
    WL_BLK_RANDOM,
} WlKind;

/* The malformed requests a blk-garbage guest cycles through. */
static const struct {
    const char *name;
    BlkGarbage kind;
} garbage_kinds[] = {
    {"bad-gref", BLK_BAD_GREF},
    {"bad-segments", BLK_BAD_SEGMENTS},
    {"bad-op", BLK_BAD_OP},
    {"bad-id", BLK_BAD_ID},
};

struct Workload {
    Sim *sim;
    char *vm;
    char *spec_key; /* the specification, compact JSON */
    WlKind kind;
    DirtyModel dirty;
    double rate_per_s;
    double service_ns;
    double mem_fraction;
    uint64_t record_bytes; /* blk-random */
    double read_fraction;  /* blk-random */
    gsl_rng *rng;

    Iozone *iozone;
    Web *web;
    BlkGarbage garbage[G_N_ELEMENTS(garbage_kinds)];
    unsigned n_garbage, next_garbage;

    Host *host;
    Domain *dom;
    SimEventId next_arrival;

    SimTally response;     /* seconds, completed requests */
    SimBatchMeans *steady; /* the same after the warm-up, in batches */
    uint64_t issued, completed, dropped, errors;
    GHashTable *live; /* blk-random: BlkRecord * in flight, freed with the workload */
    uint64_t gen;     /* blk-random: bumped at every detach, stale completions ignored */
    SimTime attached_at;
    SimTime active_ns; /* time attached to some domain */
};

typedef struct {
    Workload *wl;
    WorkItem item;
} IoRequest;

typedef struct {
    Workload *wl;
    uint64_t gen;
    SimTime issued;
} BlkRecord;

Workload *workload_new(Sim *sim, const char *vm, const cJSON *spec)
{
    Workload *w = g_new0(Workload, 1);
    w->sim = sim;
    w->vm = g_strdup(vm);
    /* cJSON's allocator is malloc: copied so that g_free frees it. */
    char *key = cJSON_PrintUnformatted(spec);
    w->spec_key = g_strdup(key);
    cJSON_free(key);
    sim_tally_init(&w->response);
    w->steady = g_new(SimBatchMeans, 1);
    sim_bm_init(w->steady, -1);
    const char *type = jget_str(spec, "type");
    if (strcmp(type, "memory-dirtier") == 0) {
        w->kind = WL_DIRTIER;
        w->dirty.rate_pages_s = jget_num(spec, "dirty_rate_pages_s");
        double wws_mb;
        if (jget_num_opt(spec, "wws_mb", &wws_mb))
            w->dirty.wws_pages = wws_mb * 1048576.0 / PAGE_SIZE_BYTES;
    } else if (strcmp(type, "cpu-bound") == 0) {
        w->kind = WL_CPU_BOUND;
    } else if (strcmp(type, "io-synthetic") == 0) {
        w->kind = WL_IO_SYNTHETIC;
        w->rate_per_s = jget_num(spec, "rate_per_s");
        w->service_ns = jget_num(spec, "service_us") * 1e3;
        w->mem_fraction = jget_num(spec, "mem_fraction");
        g_autofree char *stream = g_strdup_printf("%s.workload", vm);
        w->rng = sim_rng(sim, stream);
    } else if (strcmp(type, "iozone") == 0) {
        w->kind = WL_IOZONE;
        w->iozone = iozone_new(sim, vm, spec);
    } else if (strcmp(type, "web") == 0) {
        w->kind = WL_WEB;
        w->web = web_new(sim, vm, spec);
    } else if (strcmp(type, "blk-random") == 0) {
        w->kind = WL_BLK_RANDOM;
        w->rate_per_s = jget_num(spec, "rate_per_s");
        w->record_bytes = (uint64_t)(jget_num(spec, "record_kb") * 1024.0);
        w->read_fraction = jget_num(spec, "read_fraction");
        w->live = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
        g_autofree char *stream = g_strdup_printf("%s.workload", vm);
        w->rng = sim_rng(sim, stream);
    } else if (strcmp(type, "blk-garbage") == 0) {
        w->kind = WL_BLK_GARBAGE;
        w->rate_per_s = jget_num(spec, "rate_per_s");
        const cJSON *k;
        cJSON_ArrayForEach(k, jget(spec, "kinds"))
        {
            for (size_t i = 0; i < G_N_ELEMENTS(garbage_kinds); i++)
                if (strcmp(k->valuestring, garbage_kinds[i].name) == 0 &&
                    w->n_garbage < G_N_ELEMENTS(garbage_kinds))
                    w->garbage[w->n_garbage++] = garbage_kinds[i].kind;
        }
        g_autofree char *stream = g_strdup_printf("%s.workload", vm);
        w->rng = sim_rng(sim, stream);
    } else {
        w->kind = WL_IDLE;
    }
    return w;
}

void workload_set_warmup(Workload *w, SimTime warmup)
{
    sim_bm_init(w->steady, warmup);
    if (w->web)
        web_set_warmup(w->web, warmup);
    if (w->iozone)
        iozone_set_warmup(w->iozone, warmup);
}

void workload_free(Workload *w)
{
    if (!w)
        return;
    g_free(w->steady);
    iozone_free(w->iozone);
    web_free(w->web);
    if (w->live)
        g_hash_table_destroy(w->live);
    g_free(w->vm);
    g_free(w->spec_key);
    g_free(w);
}

DirtyModel workload_dirty(const Workload *w)
{
    return w->dirty;
}

static void record_response(Workload *w, double s)
{
    sim_tally_add(&w->response, s);
    sim_bm_add(w->steady, sim_now(w->sim), s);
}

static void request_done(WorkItem *item, void *data)
{
    IoRequest *r = data;
    Workload *w = r->wl;
    (void)item;
    if (r->item.dropped) {
        w->dropped++;
    } else {
        w->completed++;
        record_response(w, sim_time_to_s(sim_now(w->sim) - r->item.submitted));
    }
    g_free(r);
}

static void arrival(Sim *sim, void *data);

static void blk_record_done(void *data, bool ok)
{
    BlkRecord *r = data;
    Workload *w = r->wl;
    bool current = r->gen == w->gen && w->dom;
    SimTime issued = r->issued;
    g_hash_table_remove(w->live, r);
    if (!current)
        return;
    if (ok) {
        w->completed++;
        record_response(w, sim_time_to_s(sim_now(w->sim) - issued));
    } else {
        w->errors++;
    }
}

static void schedule_arrival(Workload *w)
{
    if (w->rate_per_s <= 0.0)
        return;
    double gap_s = gsl_ran_exponential(w->rng, 1.0 / w->rate_per_s);
    w->next_arrival = sim_after(w->sim, sim_time_from_s(gap_s), arrival, w);
}

static void arrival(Sim *sim, void *data)
{
    Workload *w = data;
    (void)sim;
    w->next_arrival = SIM_EVENT_NONE;
    Domain *g = w->dom;
    if (w->kind == WL_BLK_GARBAGE) {
        /* A hostile guest: each arrival pushes the next kind of malformed
         * request onto its block ring. */
        Vcpu *v = g->vcpus->pdata[gsl_rng_uniform_int(w->rng, g->vcpus->len)];
        if (w->n_garbage > 0) {
            vbd_submit_garbage(g->vbd, w->garbage[w->next_garbage], v);
            w->next_garbage = (w->next_garbage + 1) % w->n_garbage;
            w->issued++;
        }
        schedule_arrival(w);
        return;
    }
    if (w->kind == WL_BLK_RANDOM) {
        /* An open source of direct I/O at random offsets: the record is
         * issued whatever the state of the earlier ones, so the rate is
         * the guest's, not the device's. */
        Vcpu *v = g->vcpus->pdata[gsl_rng_uniform_int(w->rng, g->vcpus->len)];
        bool write = gsl_rng_uniform(w->rng) >= w->read_fraction;
        BlkRecord *r = g_new0(BlkRecord, 1);
        r->wl = w;
        r->gen = w->gen;
        r->issued = sim_now(w->sim);
        g_hash_table_add(w->live, r);
        w->issued++;
        vbd_submit(g->vbd, w->record_bytes, write, false, v, blk_record_done, r);
        schedule_arrival(w);
        return;
    }
    Vcpu *raiser = g->vcpus->pdata[gsl_rng_uniform_int(w->rng, g->vcpus->len)];
    IoRequest *r = g_new0(IoRequest, 1);
    r->wl = w;
    r->item.cpu_ns = gsl_ran_exponential(w->rng, w->service_ns);
    r->item.mem_fraction = w->mem_fraction;
    r->item.mem = g->mem;
    r->item.group = WORK_T3;
    r->item.cls = WORK_KERNEL;
    r->item.done = request_done;
    r->item.data = r;
    w->issued++;
    host_dom0_submit(w->host, DOM0_WORK_IO_GUEST, &r->item, g, raiser);
    schedule_arrival(w);
}

static void hog_done(WorkItem *item, void *data)
{
    (void)data;
    g_free(item);
}

void workload_attach(Workload *w, Host *h, Domain *g)
{
    workload_detach(w);
    w->host = h;
    w->dom = g;
    w->attached_at = sim_now(w->sim);
    /* A memory dirtier spins writing memory: it is CPU-bound too, and dirties
     * at its rate only while it gets its CPU. */
    if (w->kind == WL_CPU_BOUND || w->kind == WL_DIRTIER) {
        for (guint i = 0; i < g->vcpus->len; i++) {
            WorkItem *hog = g_new0(WorkItem, 1);
            hog->cpu_ns = INFINITY;
            hog->group = WORK_GUEST;
            hog->cls = WORK_BACKGROUND;
            hog->mem = g->mem;
            hog->done = hog_done;
            vcpu_submit(g->vcpus->pdata[i], hog);
        }
    } else if (w->kind == WL_IO_SYNTHETIC || w->kind == WL_BLK_GARBAGE ||
               w->kind == WL_BLK_RANDOM) {
        schedule_arrival(w);
    } else if (w->kind == WL_IOZONE) {
        iozone_attach(w->iozone, h, g);
    } else if (w->kind == WL_WEB) {
        web_attach(w->web, h, g);
    }
}

void workload_detach(Workload *w)
{
    if (!w->dom)
        return;
    if (w->next_arrival) {
        sim_cancel(w->sim, w->next_arrival);
        w->next_arrival = SIM_EVENT_NONE;
    }
    if (w->iozone)
        iozone_detach(w->iozone);
    if (w->web)
        web_detach(w->web);
    w->gen++;
    w->active_ns += sim_now(w->sim) - w->attached_at;
    w->dom = NULL;
    w->host = NULL;
}

Iozone *workload_iozone(Workload *w)
{
    return w->iozone;
}

bool workload_sample(const Workload *w, double disk_io_s, MultiobjSample *s)
{
    switch (w->kind) {
    case WL_IOZONE:
        iozone_sample(w->iozone, disk_io_s, s);
        return true;
    case WL_WEB:
        web_sample(w->web, s);
        return true;
    case WL_IO_SYNTHETIC:
    case WL_BLK_RANDOM:
        s->issued = w->issued;
        s->completed = w->completed;
        s->mean_s = w->response.n ? w->response.mean : 0.0;
        /* io-synthetic: the service is dom0's, drawn with this mean. */
        if (w->kind == WL_IO_SYNTHETIC)
            s->service_s = w->service_ns / 1e9;
        else
            s->service_s = w->completed ? disk_io_s / (double)w->completed : 0.0;
        return true;
    default:
        return false;
    }
}

const char *workload_spec_key(const Workload *w)
{
    return w->spec_key;
}

void workload_finish(Workload *w)
{
    if (w->kind == WL_IOZONE)
        iozone_finish(w->iozone);
    if (w->kind == WL_WEB)
        web_finish(w->web);
    if (w->kind == WL_BLK_GARBAGE)
        sim_metric_setf(w->sim, (double)w->issued, "%s.garbage.sent", w->vm);
    if (w->kind != WL_IO_SYNTHETIC && w->kind != WL_BLK_RANDOM)
        return;
    SimTime active = w->active_ns + (w->dom ? sim_now(w->sim) - w->attached_at : 0);
    sim_metric_setf(w->sim, (double)w->issued, "%s.io.requests", w->vm);
    sim_metric_setf(w->sim, (double)w->completed, "%s.io.completed", w->vm);
    if (w->kind == WL_BLK_RANDOM)
        sim_metric_setf(w->sim, (double)w->errors, "%s.io.errors", w->vm);
    else
        sim_metric_setf(w->sim, (double)w->dropped, "%s.io.dropped", w->vm);
    sim_metric_setf(w->sim, active > 0 ? (double)w->completed / sim_time_to_s(active) : 0.0,
                    "%s.io.throughput_rps", w->vm);
    /* The steady-state mean and its batch-means interval (sim_stats.h);
     * without enough batches after the warm-up the interval is null. */
    sim_bm_publish(w->sim, w->steady, w->vm, "io.response", "io");
}
