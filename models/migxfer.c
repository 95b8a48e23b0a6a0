#include "models/migxfer.h"

#include <math.h>

#include "models/device.h"

typedef struct {
    MigXfer *x;
    Migration *m;
    double pages;
    int wire_left; /* the two NIC pipes still carrying it */
    WorkItem item;
} Batch;

struct MigXfer {
    Host *from, *to;
    Domain *guest;
    MigTransport ops;
    GHashTable *live; /* Batch * not yet freed */
    double src_ns, dst_ns, charged_ns;
    bool unframed;     /* the stream crosses the NICs without Ethernet framing */
    SimTime speed_t;   /* when guest_speed last looked */
    double speed_busy; /* the guest's CPU time then, ns */
};

static Batch *batch_new(MigXfer *x, Migration *m, double pages)
{
    Batch *b = g_new0(Batch, 1);
    b->x = x;
    b->m = m;
    b->pages = pages;
    g_hash_table_add(x->live, b);
    return b;
}

/* Frees the batch (the live set owns it). */
static void batch_free(MigXfer *x, Batch *b)
{
    g_hash_table_remove(x->live, b);
}

static void source_done(WorkItem *w, void *data)
{
    Batch *b = data;
    MigXfer *x = b->x;
    if (w->dropped)
        return; /* the run is over; migxfer_free reclaims it */
    x->src_ns += w->consumed_ns;
    if (w->payer == x->guest)
        x->charged_ns += w->consumed_ns;
    Migration *m = b->m;
    batch_free(x, b);
    migration_batch_prepared(m);
}

/* The save process: user-space work in dom0, an operation on the guest. */
static void prepare(Migration *m, double pages, double scan_pages, void *data)
{
    MigXfer *x = data;
    const MigCosts *c = &x->from->cfg.mig;
    Batch *b = batch_new(x, m, pages);
    double cpu = pages * c->send_page_ns + scan_pages * c->scan_ns_per_page;
    work_item_init(&b->item, cpu, c->mem_fraction, x->guest->mem, WORK_T2, source_done, b);
    b->item.cls = WORK_USER;
    host_dom0_submit(x->from, DOM0_WORK_GUEST_OP, &b->item, x->guest, NULL);
}

static void dest_done(WorkItem *w, void *data)
{
    Batch *b = data;
    MigXfer *x = b->x;
    if (w->dropped)
        return;
    x->dst_ns += w->consumed_ns;
    Migration *m = b->m;
    double pages = b->pages;
    batch_free(x, b);
    migration_batch_delivered(m, pages);
}

static void wire_done(Nic *nic, NicDir dir, const NicXfer *t, void *data)
{
    Batch *b = data;
    (void)nic;
    (void)dir;
    (void)t;
    if (--b->wire_left > 0)
        return;
    MigXfer *x = b->x;
    const MigCosts *c = &x->to->cfg.mig;
    work_item_init(&b->item, b->pages * c->receive_page_ns, c->mem_fraction, x->to->dom0->mem,
                   WORK_T2, dest_done, b);
    b->item.cls = WORK_USER;
    host_dom0_submit(x->to, DOM0_WORK_OWN, &b->item, NULL, NULL);
}

/* Both NICs carry the batch at once (cut-through): it is across when the
 * slower of the two pipes has finished it. */
static void deliver(Migration *m, double pages, void *data)
{
    MigXfer *x = data;
    Batch *b = batch_new(x, m, pages);
    b->wire_left = 2;
    uint64_t bytes = (uint64_t)llround(pages * PAGE_SIZE_BYTES);
    if (x->unframed) {
        nic_send_unframed(x->from->nic, NIC_TX, bytes, wire_done, b);
        nic_send_unframed(x->to->nic, NIC_RX, bytes, wire_done, b);
        return;
    }
    nic_tx(x->from->nic, bytes, wire_done, b);
    nic_rx(x->to->nic, bytes, wire_done, b);
}

/* The slower of the two pipes, idle, carrying the batch. */
static SimTime wire_time(Migration *m, double pages, void *data)
{
    MigXfer *x = data;
    (void)m;
    uint64_t bytes = (uint64_t)llround(pages * PAGE_SIZE_BYTES);
    return MAX(nic_wire_time(x->from->nic, bytes, !x->unframed),
               nic_wire_time(x->to->nic, bytes, !x->unframed));
}

/* CPU time the guest got since the last look over what its vCPUs could have
 * had: 1 for a CPU-bound guest alone, less when it shares its pCPUs. */
static double guest_speed(Migration *m, SimTime since, void *data)
{
    MigXfer *x = data;
    (void)m;
    (void)since;
    SimTime now = sim_now(x->from->sim);
    double busy = (double)sched_dom_busy(x->guest->sd);
    double dt = (double)(now - x->speed_t) * (double)x->guest->vcpus->len;
    double share = dt > 0 ? (busy - x->speed_busy) / dt : 1.0;
    x->speed_t = now;
    x->speed_busy = busy;
    return fmin(1.0, fmax(0.0, share));
}

MigXfer *migxfer_new(Host *from, Host *to, Domain *g)
{
    MigXfer *x = g_new0(MigXfer, 1);
    x->from = from;
    x->to = to;
    x->guest = g;
    x->ops = (MigTransport){
        .prepare = prepare,
        .deliver = deliver,
        .wire_time = wire_time,
        .guest_speed = guest_speed,
        .data = x,
    };
    x->live = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
    x->speed_t = sim_now(from->sim);
    x->speed_busy = (double)sched_dom_busy(g->sd);
    return x;
}

void migxfer_set_framing(MigXfer *x, bool framing)
{
    x->unframed = !framing;
}

const MigTransport *migxfer_transport(const MigXfer *x)
{
    return &x->ops;
}

void migxfer_free(MigXfer *x)
{
    if (!x)
        return;
    g_hash_table_destroy(x->live);
    g_free(x);
}

double migxfer_source_cpu_ns(const MigXfer *x)
{
    return x->src_ns;
}

double migxfer_dest_cpu_ns(const MigXfer *x)
{
    return x->dst_ns;
}

double migxfer_charged_guest_ns(const MigXfer *x)
{
    return x->charged_ns;
}
