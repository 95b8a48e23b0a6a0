#include "policies/policy.h"

#include <string.h>

#include "models/host.h"
#include "sim/sim_error.h"

extern const PolicyOps policy_native_ops;
extern const PolicyOps policy_oracle_static_ops;
extern const PolicyOps policy_closer_ops;
extern const PolicyOps policy_closer_rx_ops;
extern const PolicyOps policy_static_socket_ops;
extern const PolicyOps policy_oracle_ops;
extern const PolicyOps policy_elastic_ops;

/* Registration order is the order --list-policies prints. */
static const PolicyOps *const registry[] = {
    &policy_native_ops,        &policy_oracle_static_ops, &policy_closer_ops, &policy_closer_rx_ops,
    &policy_static_socket_ops, &policy_elastic_ops,       &policy_oracle_ops,
};

const PolicyOps *const *policy_all(size_t *n)
{
    *n = G_N_ELEMENTS(registry);
    return registry;
}

const PolicyOps *policy_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

gboolean policy__check_socket(const cJSON *params, const PolicyHostInfo *host, const char *where,
                              GError **err)
{
    int socket = cJSON_GetObjectItemCaseSensitive(params, "socket")->valueint;
    if (socket >= host->sockets) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s.socket: dom0 socket %d does not exist on a host with %d socket%s", where,
                    socket, host->sockets, host->sockets == 1 ? "" : "s");
        return FALSE;
    }
    return TRUE;
}

void policy__place_main(struct Host *h, const PolicyWork *w, PolicyPlacement *out)
{
    GPtrArray *vcpus = h->main.vcpus;
    /* Only online vCPUs take new work (the first main_online of them); a
     * parked one drains what it holds. */
    guint online = (guint)h->main_online;
    out->payer = NULL;
    /* A guest's back-end work follows its event channels' interrupts, which
     * irqbalance spreads over dom0's vCPUs one channel at a time, and its
     * back-end kernel threads, which wake where the interrupt came in: each
     * guest's I/O lands on one dom0 vCPU, guests spread round robin. */
    if (w->guest && (w->kind == DOM0_WORK_IO_GUEST || w->kind == DOM0_WORK_IO_EXTERNAL)) {
        out->vcpu = vcpus->pdata[(guint)w->guest->domid % online];
        return;
    }
    /* A received frame's driver and bridge pass runs where the NIC raised
     * its interrupt: the vCPU of the receive queue its flow hashes to. */
    if (w->kind == DOM0_WORK_IO_RX_DEMUX) {
        out->vcpu = vcpus->pdata[w->flow_hash % online];
        return;
    }
    /* Processes (the toolstack, agents, migration) go where the least work
     * is queued, lowest index on ties, as the dom0 kernel's scheduler would
     * place a waking task. */
    Vcpu *best = NULL;
    double best_backlog = 0.0;
    for (guint i = 0; i < online; i++) {
        Vcpu *v = vcpus->pdata[i];
        double b = vcpu_backlog_ns(v) + (double)vcpu_queued(v);
        if (!best || b < best_backlog) {
            best = v;
            best_backlog = b;
        }
    }
    out->vcpu = best;
}

int policy__guest_vcpu_pcpu(struct Host *h, struct Domain *g, struct Vcpu *v)
{
    int p = v ? vcpu_last_pcpu(v) : -1;
    if (p >= 0)
        return p;
    CpuMask m;
    numa_node_cpumask(h->numa, numa_main_node(h->numa, g->mem), &m);
    return cpumask_next(&m, 0);
}
