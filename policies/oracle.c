/* `oracle`: the offline bound every policy is measured against.
 *
 * It knows dom0's future load and gives dom0 exactly what it needs, where it
 * needs it: no capacity beyond the demand, no demand beyond the capacity, no
 * remote memory, with resizes that are free and instant.  It cannot run on
 * a real host; it is the line the objective J (models/objective.h) of every
 * online policy is compared with.
 *
 * - Rate level (models/replay.c): size_offline hands dom0, at every
 *   instant, capacity equal to the demand of that instant and memory equal
 *   to what it uses; every piece of work done for a guest runs on the
 *   guest's own socket (no NUMA factor), dom0's own work (agent, toolstack)
 *   in the main container sized by size_offline.
 * - Event level (models/host.c): dom0 has no static container, only a dom0
 *   vCPU pinned on every pCPU; work for a guest runs on the socket holding
 *   the guest's memory, on the dom0 vCPU of the pCPU of the guest vCPU
 *   involved when it is idle and on that socket, else on an idle dom0 vCPU
 *   of that socket (the oracle knows which will be free), and is
 *   paid by the guest as under closer, so the two differ only in sizing and
 *   in that choice.  dom0sim runs the scenario twice with the same seed: the
 *   first pass records what dom0 needed in every window, the second
 *   reserves that ahead of time (size_offline on the recorded need;
 *   models/world.h, docs/MODEL.md). */
#include "models/host.h"
#include "policies/policy.h"

static void oracle_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out)
{
    (void)params;
    (void)host;
    /* No static container and no memory set aside at boot: the reservation
     * follows the need (size_offline). */
    out->vcpus = 0;
    out->memory_bytes = 0;
    out->socket = 0;
    out->pinned = TRUE;
    out->secondary = TRUE;
    out->secondary_memory_bytes = 0;
}

static void oracle_size_offline(const PolicyNeed *need, PolicyNeed *out)
{
    *out = *need;
}

static gboolean idle(Vcpu *v)
{
    return vcpu_queued(v) == 0 && vcpu_backlog_ns(v) <= 0.0;
}

/* `prefer` when idle, else the first idle dom0 vCPU of `socket`, else the
 * one of that socket with the least work. */
static Vcpu *free_vcpu(Host *h, int socket, Vcpu *prefer)
{
    if (prefer && idle(prefer))
        return prefer;
    GPtrArray *vs = h->secondary[socket].vcpus;
    Vcpu *best = NULL;
    double best_b = 0.0;
    for (guint i = 0; i < vs->len; i++) {
        Vcpu *v = vs->pdata[i];
        if (idle(v))
            return v;
        double b = vcpu_backlog_ns(v) + (double)vcpu_queued(v);
        if (!best || b < best_b) {
            best = v;
            best_b = b;
        }
    }
    return prefer && (!best || vcpu_backlog_ns(prefer) + (double)vcpu_queued(prefer) <= best_b)
               ? prefer
               : best;
}

static void oracle_place(Host *h, const PolicyWork *w, PolicyPlacement *out)
{
    /* Offline, it knows whom a received packet is for before the bridge does. */
    Domain *g = w->offline_guest;
    if (!g || w->kind == DOM0_WORK_OWN) {
        out->vcpu = free_vcpu(h, h->dom0_size.socket, NULL);
        out->payer = NULL;
        return;
    }
    /* The guest vCPU involved: the one that raised the work, else (a
     * received packet, a shutdown or migration) its first. */
    Vcpu *raiser = w->kind == DOM0_WORK_IO_GUEST ? w->raiser : NULL;
    if (!raiser && g->vcpus->len > 0)
        raiser = g->vcpus->pdata[0];
    int p = policy__guest_vcpu_pcpu(h, g, raiser);
    /* The socket holding most of the guest's memory, which its back ends
     * and its migration touch, even when its vCPU runs elsewhere. */
    int socket = numa_main_node(h->numa, g->mem);
    Vcpu *here = numa_pcpu_node(h->numa, p) == socket ? h->secondary_at[p] : NULL;
    out->vcpu = free_vcpu(h, socket, here);
    out->payer = g;
}

/* Everything done for a guest on its socket; dom0's own work in the main
 * container, which size_offline sizes to it. */
static void oracle_place_rate(const PolicyDom0Size *dom0, Dom0WorkKind kind,
                              PolicyRatePlacement *out)
{
    (void)dom0;
    out->on_guest_socket = kind != DOM0_WORK_OWN;
    out->guest_pays = FALSE;
}

const PolicyOps policy_oracle_ops = {
    .name = "oracle",
    .description = "offline bound: knows dom0's future load and gives it exactly that, on the "
                   "guest's socket, resized for free (not a real policy: the line others are "
                   "measured against)",
    .size_dom0 = oracle_size,
    .place = oracle_place,
    .place_rate = oracle_place_rate,
    .size_offline = oracle_size_offline,
};
