#include "models/lifecycle.h"

#include <math.h>

typedef struct {
    Host *host;
    Domain *guest;   /* destroy, resize */
    uint64_t target; /* resize: the new size, bytes */
    GuestSpec spec;  /* create */
    uint64_t *mem;   /* create: the new domain's memory, per node, for the NUMA factor */
    LifeDoneFn done;
    void *data;
    WorkItem item;
    double batch_ns, left_ns; /* resize of dom0: balloon work per batch, still to run */
    double batch_mem;         /* and the memory-bound share of each batch */
} LifeJob;

static void job_free(LifeJob *j)
{
    g_free(j->mem);
    g_free(j);
}

/* CPU of fixed_ns plus per_gb_ns for each GiB, the latter all memory traffic. */
static void job_cost(LifeJob *j, double fixed_ns, double per_gb_ns, uint64_t bytes,
                     const uint64_t *mem, WorkDoneFn fn)
{
    double mem_ns = per_gb_ns * (double)bytes / 1073741824.0;
    work_item_init(&j->item, fixed_ns + mem_ns, work_mem_share(0.0, fixed_ns, mem_ns), mem, WORK_T2,
                   fn, j);
    j->item.cls = WORK_USER;
}

static void created(WorkItem *w, void *data)
{
    LifeJob *j = data;
    if (!w->dropped) {
        GError *err = NULL;
        Domain *g = host_start_guest(j->host, &j->spec, &err);
        g_clear_error(&err);
        j->done(g, j->data);
    }
    job_free(j);
}

void lifecycle_create(Host *h, const GuestSpec *spec, LifeDoneFn done, void *data)
{
    LifeJob *j = g_new0(LifeJob, 1);
    j->host = h;
    j->spec = *spec;
    j->done = done;
    j->data = data;
    /* The domain build writes the memory where it will live. */
    int nodes = numa_nodes(h->numa);
    j->mem = g_new0(uint64_t, nodes);
    int node = spec->socket >= 0 ? spec->socket : numa_pick_node(h->numa, spec->memory);
    if (node >= 0)
        j->mem[node] = spec->memory;
    else
        for (int n = 0; n < nodes; n++)
            j->mem[n] = spec->memory / (uint64_t)nodes;
    const LifeCosts *c = &h->cfg.life;
    job_cost(j, c->create_fixed_ns, c->create_ns_per_gb, spec->memory, j->mem, created);
    host_dom0_submit(h, DOM0_WORK_OWN, &j->item, NULL, NULL);
}

static void destroyed(WorkItem *w, void *data)
{
    LifeJob *j = data;
    if (!w->dropped) {
        host_stop_guest(j->host, j->guest);
        j->done(j->guest, j->data);
    }
    job_free(j);
}

void lifecycle_destroy(Host *h, Domain *g, LifeDoneFn done, void *data)
{
    /* Paused now: its devices stop, its work goes, its memory stays until
     * scrubbed. */
    vbd_disconnect(g->vbd);
    vif_disconnect(g->vif);
    for (guint i = 0; i < g->vcpus->len; i++)
        vcpu_drop_all(g->vcpus->pdata[i]);
    g->state = DOMAIN_PAUSED;
    LifeJob *j = g_new0(LifeJob, 1);
    j->host = h;
    j->guest = g;
    j->done = done;
    j->data = data;
    const LifeCosts *c = &h->cfg.life;
    job_cost(j, c->destroy_fixed_ns, c->scrub_ns_per_gb, g->mem_total, g->mem, destroyed);
    host_dom0_submit(h, DOM0_WORK_GUEST_OP, &j->item, g, NULL);
}

static void ballooned(WorkItem *w, void *data);

/* Queues the next batch of dom0's balloon work. */
static void balloon_batch(LifeJob *j)
{
    double ns = MIN(j->batch_ns, j->left_ns);
    j->left_ns -= ns;
    work_item_init(&j->item, ns, j->batch_mem, j->guest->mem, WORK_GUEST, ballooned, j);
    vcpu_submit(j->guest->vcpus->pdata[0], &j->item);
}

static void ballooned(WorkItem *w, void *data)
{
    LifeJob *j = data;
    if (!w->dropped && j->left_ns > 0.0) {
        balloon_batch(j);
        return;
    }
    if (!w->dropped) {
        bool ok = host_resize_guest(j->host, j->guest, j->target);
        j->done(ok ? j->guest : NULL, j->data);
    }
    job_free(j);
}

static void target_written(WorkItem *w, void *data)
{
    LifeJob *j = data;
    if (w->dropped || j->guest->state != DOMAIN_RUNNING) {
        job_free(j);
        return;
    }
    /* The balloon driver moves every page one by one through Xen; pages it
     * gives back are scrubbed. */
    const LifeCosts *c = &j->host->cfg.life;
    uint64_t old = j->guest->mem_total + j->guest->mem_lent; /* its quota (closer lends) */
    uint64_t moved = j->target > old ? j->target - old : old - j->target;
    double gb = (double)moved / 1073741824.0;
    double scrub = j->target < old ? c->scrub_ns_per_gb * gb : 0.0;
    double balloon = c->balloon_ns_per_gb * gb;
    work_item_init(&j->item, balloon + scrub, work_mem_share(0.5, balloon, scrub), j->guest->mem,
                   WORK_GUEST, ballooned, j);
    /* dom0 ballooning itself shares its vCPU with the back ends: the driver
     * yields between batches, so the guests' I/O queued there waits for one
     * batch, not for the whole resize. */
    if (j->guest == j->host->dom0 && moved > BALLOON_BATCH_BYTES) {
        double batches = ceil((double)moved / (double)BALLOON_BATCH_BYTES);
        j->left_ns = balloon + scrub;
        j->batch_ns = j->left_ns / batches;
        j->batch_mem = j->item.mem_fraction;
        balloon_batch(j);
        return;
    }
    vcpu_submit(j->guest->vcpus->pdata[0], &j->item);
}

void lifecycle_resize(Host *h, Domain *g, uint64_t bytes, LifeDoneFn done, void *data)
{
    LifeJob *j = g_new0(LifeJob, 1);
    j->host = h;
    j->guest = g;
    j->target = bytes;
    j->done = done;
    j->data = data;
    const LifeCosts *c = &h->cfg.life;
    work_item_init(&j->item, c->resize_fixed_ns, 0.0, h->dom0->mem, WORK_T2, target_written, j);
    j->item.cls = WORK_USER;
    host_dom0_submit(h, DOM0_WORK_OWN, &j->item, NULL, NULL);
}
