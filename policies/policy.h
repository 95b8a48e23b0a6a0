/* dom0 policies: one static table of operations per policy, found by name.
 *
 * A policy decides how dom0 is sized and where it sits at boot (containers,
 * vCPUs, memory, socket), where each piece of dom0 work runs and who pays
 * for it, and may react to guests starting and stopping and to a periodic
 * tick.  Every hook but size_dom0 and place is optional (NULL: nothing to
 * do). */
#ifndef DOM0SIM_POLICY_H
#define DOM0SIM_POLICY_H

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdint.h>

#include "models/work.h"
#include "sim/sim_time.h"

struct Host;
struct Domain;
struct Vcpu;

/* What a host offers dom0 at boot. */
typedef struct {
    int sockets;
    int cores_per_socket;
    uint64_t memory_bytes; /* all nodes together */
} PolicyHostInfo;

/* dom0 as the policy sizes it on one host. */
typedef struct {
    int vcpus;                       /* main container (all of dom0 without secondaries) */
    uint64_t memory_bytes;           /* main container memory */
    int socket;                      /* NUMA node holding the main container */
    gboolean pinned;                 /* main vCPUs hard-pinned one per pCPU of `socket` */
    gboolean secondary;              /* closer: one secondary container per socket */
    uint64_t secondary_memory_bytes; /* initial memory of each secondary container */
    /* Main vCPUs online at boot, the others hot-pluggable later (dom0
     * booted with dom0_max_vcpus=vcpus and maxcpus=vcpus_online, resized by
     * `xl vcpu-set`); 0: all `vcpus` online, for good. */
    int vcpus_online;
} PolicyDom0Size;

/* What a piece of dom0 work is, as closer's Algorithm 2 distinguishes it. */
typedef enum {
    DOM0_WORK_OWN,         /* T0, T1, and T2 other than shutdown/migration: dom0's own */
    DOM0_WORK_IO_GUEST,    /* T3 initiated by a guest vCPU (disk I/O, packet send) */
    DOM0_WORK_IO_EXTERNAL, /* T3 not initiated by the guest, for a known guest (netback
                            * copying a received packet into it) */
    DOM0_WORK_IO_RX_DEMUX, /* T3 before the destination is known: the NIC driver and
                            * bridge pass of a received packet (PolicyWork.guest is NULL) */
    DOM0_WORK_GUEST_OP,    /* shutdown or migration of a guest */
} Dom0WorkKind;

/* One piece of dom0 work to place. */
typedef struct {
    Dom0WorkKind kind;
    const WorkItem *work;
    struct Domain *guest; /* the guest it is for (NULL: dom0's own, T0/T1) */
    struct Vcpu *raiser;  /* guest vCPU that raised it (NULL: external event) */
    /* DOM0_WORK_IO_RX_DEMUX: the NIC's receive-side-scaling hash of the
     * packet's flow, computed in hardware from its headers before anything
     * is demultiplexed; it picks the receive queue, hence the dom0 vCPU its
     * interrupt lands on. */
    uint32_t flow_hash;
    /* The guest the work turns out to be for, even when `guest` is NULL
     * because dom0 cannot know it yet (DOM0_WORK_IO_RX_DEMUX).  Only an
     * offline policy, which knows the future (oracle), may look at it. */
    struct Domain *offline_guest;
} PolicyWork;

typedef struct {
    struct Vcpu *vcpu;    /* the dom0 vCPU that runs it */
    struct Domain *payer; /* whose CPU account pays (NULL: dom0) */
} PolicyPlacement;

/* Where a kind of dom0 work runs in a rate-level replay (models/replay.h),
 * where there are no vCPUs to pick, only containers: the main container, or
 * resources on the socket of the guest it is for (closer's secondary
 * containers), and whether the guest pays for it. */
typedef struct {
    gboolean on_guest_socket; /* FALSE: the main container */
    gboolean guest_pays;      /* FALSE: dom0 pays */
} PolicyRatePlacement;

/* What dom0 needs, or is given, on one host: CPU in cores of a reference
 * core with local memory, memory in MiB. */
typedef struct {
    double cores;
    double memory_mb;
} PolicyNeed;
/* What a rate-level replay measured of one host's main container over the
 * last resize period (PolicyOps.resize_rate). */
typedef struct {
    int vcpus;                  /* online, or decided and coming online */
    double demand_cores;        /* mean demand over the period, may exceed vcpus */
    uint64_t memory_bytes;      /* allocated, or being ballooned to */
    uint64_t memory_used_bytes; /* in use now */
    SimTime since_vcpu_resize;  /* since the last vCPU decision (INT64_MAX: none yet) */
    SimTime since_balloon;      /* since the last balloon decision (likewise) */
} PolicyRateLoad;

/* A rate-level resize decision and what carrying it out costs. */
typedef struct {
    int vcpus;             /* main vCPUs to have online (unchanged: no resize) */
    uint64_t memory_bytes; /* main memory to balloon to (unchanged: none) */
    double vcpu_cpu_ns;    /* dom0 CPU per vCPU plugged or parked, reference ns */
    SimTime vcpu_delay;    /* a plugged vCPU takes work this long after the decision */
} PolicyRateResize;

typedef struct PolicyOps {
    const char *name;
    const char *description; /* one line, for --list-policies */
    /* Checks the policy's parameter block (schema-validated, defaults
     * filled) against a host; `where` prefixes messages. */
    gboolean (*validate)(const cJSON *params, const PolicyHostInfo *host, const char *where,
                         GError **err);
    /* Boot-time sizing of dom0 on a host. */
    void (*size_dom0)(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out);
    /* Where a piece of dom0 work runs and who pays. */
    void (*place)(struct Host *h, const PolicyWork *w, PolicyPlacement *out);
    /* Rate-level placement of a kind of work (NULL: everything in the main
     * container, paid by dom0). */
    void (*place_rate)(const PolicyDom0Size *dom0, Dom0WorkKind kind, PolicyRatePlacement *out);
    /* Offline sizing: dom0's capacity given what it needs at this instant
     * (rate level) or over this window (event level), resized for free and
     * at once.  Only an oracle knows that in advance, so only an offline
     * policy sets it; NULL: dom0 keeps its boot-time size. */
    void (*size_offline)(const PolicyNeed *need, PolicyNeed *out);
    /* A guest starts on / leaves the host. */
    void (*guest_started)(struct Host *h, struct Domain *guest);
    void (*guest_stopped)(struct Host *h, struct Domain *guest);
    /* The bridge found the destination of a received packet of `frames`
     * wire frames: the first moment dom0 knows whom it was for. */
    void (*rx_demuxed)(struct Host *h, struct Domain *guest, uint64_t frames);
    /* Called every `tick` of simulated time when tick is > 0. */
    void (*tick)(struct Host *h);
    SimTime tick_period;
    /* Rate-level resizing of the main container from measured demand (NULL:
     * static).  rate_resizer parses the parameters once into a flat block
     * (freed with g_free) and sets the measurement period; the replay then
     * calls resize_rate for every host every period and carries the
     * decision out. */
    void *(*rate_resizer)(const cJSON *params, SimTime *period);
    void (*resize_rate)(const void *resizer, const PolicyRateLoad *load, PolicyRateResize *out);
} PolicyOps;

/* The registered policies, in registration order; *n receives their count. */
const PolicyOps *const *policy_all(size_t *n);
/* The policy named `name`, or NULL. */
const PolicyOps *policy_find(const char *name);

static inline gboolean policy_validate(const PolicyOps *p, const cJSON *params,
                                       const PolicyHostInfo *host, const char *where, GError **err)
{
    return p->validate ? p->validate(params, host, where, err) : TRUE;
}

static inline void policy_size_dom0(const PolicyOps *p, const cJSON *params,
                                    const PolicyHostInfo *host, PolicyDom0Size *out)
{
    *out = (PolicyDom0Size){0};
    p->size_dom0(params, host, out);
}

static inline void policy_place(const PolicyOps *p, struct Host *h, const PolicyWork *w,
                                PolicyPlacement *out)
{
    *out = (PolicyPlacement){0};
    p->place(h, w, out);
}

static inline void policy_place_rate(const PolicyOps *p, const PolicyDom0Size *dom0,
                                     Dom0WorkKind kind, PolicyRatePlacement *out)
{
    *out = (PolicyRatePlacement){0};
    if (p->place_rate)
        p->place_rate(dom0, kind, out);
}

/* FALSE when the policy has no offline sizing (out untouched). */
static inline gboolean policy_size_offline(const PolicyOps *p, const PolicyNeed *need,
                                           PolicyNeed *out)
{
    if (!p->size_offline)
        return FALSE;
    p->size_offline(need, out);
    return TRUE;
}

/* A `validate` for policies whose only cross-check is that their "socket"
 * parameter exists on the host. */
gboolean policy__check_socket(const cJSON *params, const PolicyHostInfo *host, const char *where,
                              GError **err);
/* Placement shared by the static policies and elastic: every piece of dom0
 * work runs on an online vCPU of the main container, paid by dom0: a guest's
 * I/O on the vCPU its event channels' interrupts go to, received frames on
 * that of their RSS queue, processes on the vCPU with the least backlog. */
void policy__place_main(struct Host *h, const PolicyWork *w, PolicyPlacement *out);
/* Where a guest vCPU is, or would be: the pCPU it last ran on, else (or
 * with v NULL) the first pCPU of the guest's home node. */
int policy__guest_vcpu_pcpu(struct Host *h, struct Domain *g, struct Vcpu *v);

#endif
