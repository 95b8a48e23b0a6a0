/* `closer`: the thesis's design (chapter 3; Mvondo et al., MASCOTS 2019).
 *
 * dom0 is split into a small static main container, for the work that does
 * not depend on guests (T0, T1, and T2 other than shutdown and migration),
 * and one secondary container per socket for I/O back ends (T3), shutdown and
 * migration.  A secondary container has a vCPU pinned to every pCPU (but
 * those of the main container); the work done for a guest runs on the
 * secondary vCPU of the pCPU that guest uses, and is paid by the guest.
 *
 * Our reading of the thesis's algorithms, where the text has slips:
 * - Algorithm 1 initialises "secMem = M - n x ε".  Read literally that gives
 *   the secondary container almost all of the guest's memory.  We read it as
 *   the guest keeping M - n x ε and the secondary container of each of the n
 *   sockets the guest spans receiving ε.  Ballooning then moves memory in
 *   steps of I/O intensity: every `io_step_rps` of back-end requests per
 *   second lends `balloon_step_mb` more, given back when intensity falls.
 *   Lent memory really leaves the guest for dom0 (host_lend_to_secondary),
 *   and moves through the balloon drivers at their cost (below).
 * - Algorithm 2 is named SECMEMALLOC like Algorithm 1; it is the CPU rule.
 *   Guest-initiated I/O runs on the secondary vCPU pinned to the pCPU of the
 *   guest vCPU that raised it; external events on the secondary vCPU, among
 *   those on the guest's pCPUs, that has contributed least: run the least
 *   CPU paid by the guest ("chosen fairly"); shutdown and migration on
 *   the socket holding most of the guest's memory, on the pCPU of a guest
 *   vCPU running there.  When that pCPU belongs to the main container, the
 *   least-loaded secondary vCPU of the same socket takes the work.
 * - Reception (thesis, Prospects: "not taken into account in our design"): the
 *   driver and bridge pass of a received packet runs before its destination
 *   is known, so we apply the fair rule across guests: the resident guest
 *   that has paid least for it so far pays (policies/rx_share.h), on the
 *   secondary vCPU that has contributed least to it.  netback's copy into
 *   the destination is an external event for a known guest, as above. */
#include <math.h>
#include <string.h>

#include "policies/closer.h"

#include "models/host.h"
#include "models/lifecycle.h"
#include "policies/policy.h"
#include "sim/sim_jget.h"

typedef struct {
    const char *name;
    int vcpus;
    int memory_mb;
} CloserPreset;

/* Thesis table 3.2: main-container needs of minimal cloud stacks, constant
 * for 10 to 50 guests. */
static const CloserPreset presets[] = {
    {"openstack", 2, 2048},
    {"opennebula", 2, 1894}, /* 1.85 GB */
    {"eucalyptus", 1, 1536}, /* 1.5 GB */
};

static const CloserPreset *find_preset(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(presets); i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return &presets[0];
}

void policy__closer_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out)
{
    (void)host;
    const CloserPreset *p = find_preset(jget_str(params, "preset"));
    double v;
    out->vcpus = jget_num_opt(params, "main_vcpus", &v) ? (int)v : p->vcpus;
    out->memory_bytes = (uint64_t)(jget_num_opt(params, "main_memory_mb", &v) ? v : p->memory_mb)
                        << 20;
    out->socket = (int)jget_int(params, "main_socket");
    out->pinned = TRUE;
    out->secondary = TRUE;
    out->secondary_memory_bytes = (uint64_t)jget_int(params, "secondary_initial_mb") << 20;
}

gboolean policy__closer_validate(const cJSON *params, const PolicyHostInfo *host, const char *where,
                                 GError **err)
{
    cJSON *as_socket = cJSON_CreateObject();
    cJSON_AddNumberToObject(as_socket, "socket", jget_num(params, "main_socket"));
    gboolean ok = policy__check_socket(as_socket, host, where, err);
    cJSON_Delete(as_socket);
    return ok;
}

static Vcpu *least_loaded(GPtrArray *vcpus)
{
    Vcpu *best = NULL;
    double best_b = 0.0;
    for (guint i = 0; i < vcpus->len; i++) {
        Vcpu *v = vcpus->pdata[i];
        double b = vcpu_backlog_ns(v) + (double)vcpu_queued(v);
        if (!best || b < best_b) {
            best = v;
            best_b = b;
        }
    }
    return best;
}

/* The secondary vCPU pinned to pCPU p, or the least-loaded one of p's socket
 * when p belongs to the main container. */
static Vcpu *secondary_for_pcpu(Host *h, int p)
{
    if (h->secondary_at[p])
        return h->secondary_at[p];
    Vcpu *v = least_loaded(h->secondary[numa_pcpu_node(h->numa, p)].vcpus);
    return v ? v : least_loaded(h->main.vcpus);
}

/* Where an external event for g runs (thesis 3.3.2: "count the
 * participation of each VCPU of the secondary container and choose the one
 * that contributed the least"): among the secondary vCPUs on the pCPUs of
 * g's vCPUs, the one that has run the least CPU paid by g so far (the first
 * of g's vCPUs on a tie). */
static Vcpu *least_contributing(Host *h, Domain *g)
{
    Vcpu *best = NULL;
    double best_ns = 0.0;
    for (guint i = 0; i < g->vcpus->len; i++) {
        Vcpu *s = secondary_for_pcpu(h, policy__guest_vcpu_pcpu(h, g, g->vcpus->pdata[i]));
        double ns = g->dom0_charged_by_vcpu_ns[vcpu_index(s)];
        if (!best || ns < best_ns) {
            best = s;
            best_ns = ns;
        }
    }
    return best;
}

void policy__closer_place_with(Host *h, const PolicyWork *w, PolicyPlacement *out,
                               RxShareWeightFn weight)
{
    Domain *g = w->guest;
    if (w->kind == DOM0_WORK_IO_RX_DEMUX) {
        Domain *payer = rx_share_pick(h, w->work->cpu_ns, weight);
        if (!payer) {
            policy__place_main(h, w, out);
            return;
        }
        out->vcpu = least_contributing(h, payer);
        out->payer = payer;
        return;
    }
    if (w->kind == DOM0_WORK_OWN || !g || g->vcpus->len == 0) {
        policy__place_main(h, w, out);
        return;
    }
    int p;
    if (w->kind == DOM0_WORK_IO_GUEST && w->raiser) {
        p = policy__guest_vcpu_pcpu(h, g, w->raiser);
    } else if (w->kind == DOM0_WORK_GUEST_OP) {
        int socket = numa_main_node(h->numa, g->mem);
        p = -1;
        for (guint i = 0; i < g->vcpus->len && p < 0; i++) {
            int q = vcpu_last_pcpu(g->vcpus->pdata[i]);
            if (q >= 0 && numa_pcpu_node(h->numa, q) == socket)
                p = q;
        }
        if (p < 0) {
            Vcpu *v = least_loaded(h->secondary[socket].vcpus);
            out->vcpu = v ? v : least_loaded(h->main.vcpus);
            out->payer = g;
            return;
        }
    } else {
        out->vcpu = least_contributing(h, g);
        out->payer = g;
        return;
    }
    out->vcpu = secondary_for_pcpu(h, p);
    out->payer = g;
}

static void closer_place(Host *h, const PolicyWork *w, PolicyPlacement *out)
{
    policy__closer_place_with(h, w, out, NULL);
}

/* ε in bytes, whole 4 KiB pages (4.125 MiB is 1056 of them). */
static uint64_t epsilon(const Host *h)
{
    return (uint64_t)llround(jget_num(h->policy_params, "epsilon_mb") * 256.0) * 4096u;
}

/* The sockets g is executed on (Algorithm 1's n): those holding its memory,
 * lent or not. */
static int spans(const Host *h, const Domain *g)
{
    int n = 0;
    for (int k = 0; k < numa_nodes(h->numa); k++)
        n += g->mem[k] + g->mem_lent_at[k] ? 1 : 0;
    return n;
}

void policy__closer_started(Host *h, Domain *g)
{
    /* The domain builder gives the guest M - n x ε (Algorithm 1's
     * initialisation): ε of its memory on each socket goes to the secondary
     * container there.  No balloon runs for it (the guest never had the
     * pages); dom0's populating them (ε x balloon_ms_per_gb, 0.2 ms) is
     * left out. */
    for (int n = 0; n < numa_nodes(h->numa); n++)
        if (g->mem[n])
            host_lend_to_secondary(h, g, n, (int64_t)MIN(epsilon(h), g->mem[n]));
    g->balloon.target = g->mem_lent;
    g->io_requests_seen = g->io_requests;
}

void policy__closer_stopped(Host *h, Domain *g)
{
    /* Everything lent comes back at once, for the domain's memory to be
     * released (or scrubbed) with the rest; a balloon batch in flight
     * moves nothing.  dom0's own work of handing the pages back is left
     * out. */
    for (int n = 0; n < numa_nodes(h->numa); n++)
        if (g->mem_lent_at[n])
            host_lend_to_secondary(h, g, n, -(int64_t)g->mem_lent_at[n]);
    g->balloon.batch = 0;
}

/* ---- the balloon (Algorithm 1's BalloonReserve and GiveBackMem) ---------
 *
 * Memory moves as Linux's balloon drivers move it (drivers/xen/balloon.c):
 * batches of one frame list (BALLOON_BATCH_BYTES, 512 pages), each page
 * through a reservation hypercall (balloon_ms_per_gb), a page given up
 * cleared first (xenmem_reservation_scrub_page, on by default:
 * CONFIG_XEN_SCRUB_PAGES_DEFAULT; scrub_ms_per_gb), and the driver
 * yields between batches.  To lend, the guest's driver gives a batch to Xen
 * (decrease_reservation) on its vCPU 0, then dom0's takes it
 * (increase_reservation) in the secondary container, paid by the guest as
 * all its work there; to give back, the other way round.  The pages change
 * owner when both halves of a batch are done, so the memory a tick decides
 * arrives after the work, queued behind whatever else those vCPUs run. */

static void balloon_next(Host *h, Domain *g);
static void balloon_done(WorkItem *w, void *data);

/* Queues one half of g's batch in flight: the side giving the pages up
 * (stage 1) or the side taking them (stage 2). */
static void balloon_half(Host *h, Domain *g)
{
    DomainBalloon *b = &g->balloon;
    gboolean giving = b->stage == 1;
    gboolean in_dom0 = giving == (b->batch < 0);
    double gb = (double)(b->batch > 0 ? b->batch : -b->batch) / 1073741824.0;
    const LifeCosts *c = &h->cfg.life;
    double hypercalls = c->balloon_ns_per_gb * gb, scrub = giving ? c->scrub_ns_per_gb * gb : 0.0;
    work_item_init(&b->item, hypercalls + scrub, work_mem_share(0.5, hypercalls, scrub), g->mem,
                   in_dom0 ? WORK_T2 : WORK_GUEST, balloon_done, g);
    if (in_dom0)
        host_dom0_submit(h, DOM0_WORK_GUEST_OP, &b->item, g, NULL);
    else
        vcpu_submit(g->vcpus->pdata[0], &b->item);
}

static void balloon_done(WorkItem *w, void *data)
{
    Domain *g = data;
    Host *h = g->host;
    DomainBalloon *b = &g->balloon;
    if (w->dropped || g->state != DOMAIN_RUNNING || b->batch == 0) {
        b->batch = 0;
        return;
    }
    if (b->stage == 1) {
        b->stage = 2;
        balloon_half(h, g);
        return;
    }
    /* What is still there to move (a resize may have shrunk the guest
     * meanwhile). */
    int home = numa_main_node(h->numa, g->mem);
    int64_t bytes = b->batch > 0 ? (int64_t)MIN((uint64_t)b->batch, g->mem[home])
                                 : -(int64_t)MIN((uint64_t)-b->batch, g->mem_lent_at[home]);
    host_lend_to_secondary(h, g, home, bytes);
    b->batch = 0;
    balloon_next(h, g);
}

/* Starts the next batch toward g's target, if it is not there. */
static void balloon_next(Host *h, Domain *g)
{
    DomainBalloon *b = &g->balloon;
    if (b->batch != 0 || g->state != DOMAIN_RUNNING || g->vcpus->len == 0)
        return;
    int home = numa_main_node(h->numa, g->mem);
    int64_t want = (int64_t)b->target - (int64_t)g->mem_lent;
    if (want > 0)
        b->batch = (int64_t)MIN((uint64_t)want, MIN(BALLOON_BATCH_BYTES, g->mem[home]));
    else if (want < 0)
        b->batch = -(int64_t)MIN((uint64_t)-want, MIN(BALLOON_BATCH_BYTES, g->mem_lent_at[home]));
    if (b->batch == 0)
        return;
    b->stage = 1;
    balloon_half(h, g);
}

void policy__closer_tick(Host *h)
{
    double period_s = sim_time_to_s(h->policy->tick_period);
    double step = jget_num(h->policy_params, "io_step_rps");
    uint64_t per_step = (uint64_t)jget_int(h->policy_params, "balloon_step_mb") << 20;
    for (guint i = 0; i < h->guests->len; i++) {
        Domain *g = h->guests->pdata[i];
        if (g->state != DOMAIN_RUNNING)
            continue;
        /* The I/O intensity of the period just ended: the decision sees
         * only the past. */
        double rate = (double)(g->io_requests - g->io_requests_seen) / period_s;
        g->io_requests_seen = g->io_requests;
        g->balloon.target = (uint64_t)spans(h, g) * epsilon(h) + (uint64_t)(rate / step) * per_step;
        balloon_next(h, g);
    }
}

/* Algorithm 2 at rate level: T0, T1 and T2 other than shutdown and
 * migration in the main container, paid by dom0; everything done for a guest
 * (its I/O, received packets, its shutdown and migration) on its own socket,
 * paid by the guest. */
void policy__closer_place_rate(const PolicyDom0Size *dom0, Dom0WorkKind kind,
                               PolicyRatePlacement *out)
{
    (void)dom0;
    gboolean for_guest = kind != DOM0_WORK_OWN;
    out->on_guest_socket = for_guest;
    out->guest_pays = for_guest;
}

const PolicyOps policy_closer_ops = {
    .name = "closer",
    .description = "the thesis's design: static main container for T0-T2, per-socket "
                   "secondary containers run each guest's I/O, shutdown and migration on its "
                   "own pCPUs, paid by the guest",
    .validate = policy__closer_validate,
    .size_dom0 = policy__closer_size,
    .place = closer_place,
    .place_rate = policy__closer_place_rate,
    .guest_started = policy__closer_started,
    .guest_stopped = policy__closer_stopped,
    .tick = policy__closer_tick,
    .tick_period = 1000000000, /* 1 s: see docs/CALIBRATION.md */
};
