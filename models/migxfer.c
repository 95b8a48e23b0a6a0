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

    /* The guest's lot (migxfer_guest_lot). */
    Migration *m;      /* known from the first prepare */
    SimTime lot_t0;    /* the migration's start */
    double base_rate;  /* the guest's CPU before it, in pCPUs */
    GArray *lot_busy;  /* SimTime: its CPU time at lot_t0 + k x MIGXFER_LOT_INTERVAL */
    SimEventId lot_ev; /* the next sample */
    SimTime live_end;  /* the last live round's end, -1 until one ended */
    SimTime live_busy; /* its CPU time then */
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
    x->m = m;
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
    (void)since;
    SimTime now = sim_now(x->from->sim);
    SimTime busy_ns = sched_dom_busy(x->guest->sd);
    double busy = (double)busy_ns;
    /* Called at the end of every live round: the last call is the instant
     * the guest is paused for the stop-and-copy. */
    x->m = m;
    x->live_end = now;
    x->live_busy = busy_ns;
    double dt = (double)(now - x->speed_t) * (double)x->guest->vcpus->len;
    double share = dt > 0 ? (busy - x->speed_busy) / dt : 1.0;
    x->speed_t = now;
    x->speed_busy = busy;
    return fmin(1.0, fmax(0.0, share));
}

/* Over once the stop-and-copy round has begun: from then on the guest is
 * paused, and soon gone from the source (so it is no longer looked at). */
static bool live_over(const MigXfer *x)
{
    if (!x->m)
        return false;
    unsigned n = migration_n_rounds(x->m);
    return migration_finished(x->m) || (n > 0 && migration_round(x->m, n - 1)->final);
}

static void lot_sample(Sim *sim, void *data)
{
    MigXfer *x = data;
    x->lot_ev = SIM_EVENT_NONE;
    if (live_over(x))
        return;
    SimTime busy = sched_dom_busy(x->guest->sd);
    g_array_append_val(x->lot_busy, busy);
    x->lot_ev = sim_after(sim, MIGXFER_LOT_INTERVAL, lot_sample, x);
}

static void lot_start(MigXfer *x)
{
    Sim *sim = x->from->sim;
    SimTime now = sim_now(sim);
    SimTime busy = sched_dom_busy(x->guest->sd);
    SimTime age = now - sched_dom_created(x->guest->sd);
    x->lot_t0 = now;
    x->live_end = -1;
    /* Its mean rate since it was created here; a guest younger than one
     * interval has no history: it is taken to want all its vCPUs. */
    x->base_rate =
        age >= MIGXFER_LOT_INTERVAL ? (double)busy / (double)age : (double)x->guest->vcpus->len;
    x->lot_busy = g_array_new(FALSE, FALSE, sizeof(SimTime));
    g_array_append_val(x->lot_busy, busy);
    x->lot_ev = sim_after(sim, MIGXFER_LOT_INTERVAL, lot_sample, x);
}

void migxfer_guest_lot(const MigXfer *x, MigGuestLot *out)
{
    SimTime end, end_busy;
    if (live_over(x)) {
        end = x->live_end;
        end_busy = x->live_busy;
    } else {
        /* The run ended during the live phase: the guest is still here. */
        end = sim_now(x->from->sim);
        end_busy = sched_dom_busy(x->guest->sd);
    }
    const SimTime *busy = (const SimTime *)(const void *)x->lot_busy->data;
    out->live_s = sim_time_to_s(end - x->lot_t0);
    out->base_cores = x->base_rate;
    double expect = x->base_rate * (double)(end - x->lot_t0);
    out->guest_cpu_share = expect > 0.0 ? (double)(end_busy - busy[0]) / expect : 1.0;
    out->degraded_s = 0.0;
    for (guint k = 0; k < x->lot_busy->len; k++) {
        SimTime a = x->lot_t0 + (SimTime)k * MIGXFER_LOT_INTERVAL;
        SimTime b = a + MIGXFER_LOT_INTERVAL;
        if (a >= end)
            break;
        SimTime b_busy = k + 1 < x->lot_busy->len ? busy[k + 1] : end_busy;
        if (b >= end) {
            b = end;
            b_busy = end_busy;
        }
        double got = (double)(b_busy - busy[k]);
        if (got < MIGXFER_LOT_DEGRADED * x->base_rate * (double)(b - a))
            out->degraded_s += sim_time_to_s(b - a);
    }
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
    lot_start(x);
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
    if (x->lot_ev)
        sim_cancel(x->from->sim, x->lot_ev);
    g_array_free(x->lot_busy, TRUE);
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
