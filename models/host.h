/* A physical server: NUMA topology, the CPU scheduler, dom0 as the policy
 * built it (a main container and, for closer, one secondary container per
 * socket), and the guests running on it. */
#ifndef DOM0SIM_HOST_H
#define DOM0SIM_HOST_H

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdint.h>

#include "models/blkif.h"
#include "models/device.h"
#include "models/domain.h"
#include "models/evtchn.h"
#include "models/grant.h"
#include "models/migration.h"
#include "models/netif.h"
#include "models/numa.h"
#include "models/objective.h"
#include "models/sched.h"
#include "models/vcpu.h"
#include "policies/policy.h"
#include "sim/sim.h"
#include "sim/sim_stats.h"

typedef struct {
    const char *name; /* "main" or "secondary" */
    int socket;       /* secondary: its socket; main: the policy's socket */
    GPtrArray *vcpus; /* Vcpu * (borrowed from dom0->vcpus) */
    uint64_t memory;  /* bytes allocated to the container */
} Dom0Container;

/* dom0 CPU of creating and destroying guests, ns on a reference core. */
typedef struct {
    double create_fixed_ns;   /* toolstack: configuration, xenstore, devices */
    double create_ns_per_gb;  /* domain build: populate and clear memory */
    double destroy_fixed_ns;  /* tear-down */
    double scrub_ns_per_gb;   /* scrubbing the freed memory, all memory traffic */
    double resize_fixed_ns;   /* toolstack: xl mem-set writes the balloon target */
    double balloon_ns_per_gb; /* the guest's balloon driver, per GiB moved */
} LifeCosts;

typedef struct {
    NumaConfig numa;
    int distance[64 * 64];
    gboolean has_distance;
    SchedParams sched;
    double nic_Bps;
    uint64_t dom0_base_used; /* bytes dom0's own processes use (the rest of its memory is waste) */
    uint64_t backend_mem_per_guest; /* bytes of back-end state per guest per socket it spans */
    SimTime mgmt_period;            /* T1 management task period (0: none) */
    double mgmt_cpu_ns;             /* CPU per management run, ns */
    SimTime heartbeat_timeout;      /* controller's patience for a report (0: none) */
    DiskParams disk;                /* the disk behind every guest's virtual block device */
    BlkCosts blk_costs;             /* CPU costs of blkfront and blkback */
    BlkGrantMode blk_grant_mode;
    uint32_t grant_frames; /* each domain's grant table, 4 KiB frames of 512 entries */
    VifConfig net;         /* netfront/netback: GSO, netback's RX queue, CPU costs */
    MigCosts mig;          /* dom0 CPU of live migrations from and to this host */
    LifeCosts life;        /* dom0 CPU of creating and destroying guests */
} HostConfig;

typedef struct Host {
    char *name;
    int index;
    Sim *sim;
    HostConfig cfg;
    NumaHost *numa;
    Sched *sched;
    const PolicyOps *policy;
    const cJSON *policy_params;
    void *policy_state;
    PolicyDom0Size dom0_size;

    Domain *dom0;
    GrantSpace *grants;  /* every domain's grant table */
    EvtchnTable *evtchn; /* every domain's event channels */
    Disk *disk;
    Nic *nic; /* the NIC guests' traffic crosses (migrations use their own stream) */
    int next_domid;
    Dom0Container main;
    Dom0Container *secondary;   /* one per socket, or NULL */
    struct Vcpu **secondary_at; /* per pCPU: the secondary vCPU pinned there, or NULL */
    GPtrArray *guests;          /* Domain * (owned), including departed ones */
    GHashTable *sd_to_domain;   /* SchedDom * -> Domain * (payer lookup) */
    int n_resident;
    int *next_pcpu; /* per node: where the next new vCPU is associated (round robin) */
    uint64_t guest_memory_reserved; /* bytes promised to arriving guests */

    /* The management agent and the controller watching it. */
    WorkItem mgmt_item;
    bool mgmt_running;
    uint64_t mgmt_reports, mgmt_missed;
    SimTime mgmt_max_delay;
    double mgmt_delay_sum_s; /* over completed reports, for the mean */
    SimEventId mgmt_deadline;
    SimTime declared_failed_at; /* -1: never */

    /* The objective's parts (models/objective.h), accumulated window by
     * window (host_sample's period) since the start. */
    ObjectiveParts obj;
    SimTime obj_last;
    double obj_main_busy, obj_sec_busy; /* ns at obj_last */
    double obj_online;                  /* host_main_online_ns at obj_last, vCPU x ns */
    double obj_numa_ns;                 /* dom0 CPU lost to remote memory, ns */
    double obj_wait_ns;                 /* dom0 items' waits before they first ran, ns */
    /* An offline policy (size_offline): what dom0 needed in each window of
     * this run (PolicyNeed, in window order), and the plan it sizes dom0
     * from, the record of a first pass of the same scenario and seed
     * (NULL: one pass, each window sized from its own need). */
    GArray *offline_record;
    GArray *offline_plan;
    guint offline_planned; /* windows sized from the plan */
    /* Hot-plugged main vCPUs (elastic): the first main_online of
     * main.vcpus take new work, the others are parked and only drain what
     * they hold.  Static policies keep them all online. */
    int main_online;
    SimTime online_since; /* when main_online last changed */
    double online_area;   /* main_online integrated up to online_since, vCPU x ns */
    uint64_t vcpus_up, vcpus_down, balloons; /* resizes done (vCPU steps, dom0 balloons) */
    /* dom0 memory allocated but unused, integrated exactly: MiB x ns. */
    SimTime mem_since;
    double mem_waste_area;

    /* Sampling state for load time series. */
    SimTime last_sample;
    double last_main_busy;
    double last_online_area;
    SimTimeAvg main_load;
} Host;

/* Builds the host and dom0 under `policy` (params: its parameter block).
 * Fails (DOM0SIM_ERROR_INPUT, prefixed by `where`) if dom0 cannot fit. */
Host *host_new(Sim *sim, const char *name, int index, const HostConfig *cfg,
               const PolicyOps *policy, const cJSON *params, const char *where, GError **err);
void host_free(Host *h);

int host_pcpus(const Host *h);
uint64_t host_memory(const Host *h);

typedef struct {
    const char *name;
    int vcpus;
    uint64_t memory;
    int weight;
    int cap;
    int socket;                 /* -1: automatic placement */
    gboolean pin;               /* with socket >= 0: hard-pin vCPUs to that socket's pCPUs */
    unsigned ring_pages;        /* its block ring, 4 KiB pages */
    unsigned indirect_segments; /* 0: no indirect descriptors */
} GuestSpec;

/* Starts a guest: memory on NUMA nodes, vCPUs with affinity, policy hook.
 * Returns NULL (and sets err) if its memory does not fit. */
Domain *host_start_guest(Host *h, const GuestSpec *spec, GError **err);
/* Grows or shrinks a guest's memory to `bytes`: more is taken near its
 * memory (preferred node, then the nearest), less is given back from its
 * largest node first.  False (nothing changed) if growth does not fit.
 * Given dom0 (a balloon of dom0 itself), the main container follows. */
gboolean host_resize_guest(Host *h, Domain *g, uint64_t bytes);
/* closer: moves `bytes` of guest g's memory on `node` to dom0's secondary
 * container there (positive) or back (negative, at most what it lent
 * there).  The pages change owner: the guest holds fewer (its mem,
 * mem_total; a migration moves fewer), dom0 more (its allocated memory);
 * the node's use is unchanged. */
void host_lend_to_secondary(Host *h, Domain *g, int node, int64_t bytes);
/* Stops a guest: drops its work, releases its memory, policy hook. */
void host_stop_guest(Host *h, Domain *g);

/* Submits a piece of dom0 work, placed by the policy.  `guest` is the guest
 * it is for (NULL: dom0's own), `raiser` the guest vCPU that raised it (NULL
 * for external events and dom0's own work). */
void host_dom0_submit(Host *h, Dom0WorkKind kind, WorkItem *w, Domain *guest, Vcpu *raiser);
/* Submits the driver and bridge pass of a received packet.  The policy is
 * told only the flow's RSS hash, not the destination `dest`, which the
 * bridge has yet to look up; `dest` is kept for accounting (the work counts
 * in its dom0_work_ns and rx_demux_ns, whoever pays). */
void host_dom0_submit_rx_demux(Host *h, WorkItem *w, Domain *dest, uint32_t flow_hash);
/* The bridge found that a received packet of `frames` wire frames is for
 * `dest`: tells the policy (closer-rx measures network activity so). */
void host_rx_demuxed(Host *h, Domain *dest, uint64_t frames);

/* Brings main vCPUs online or parks them so that the first n (1 ..
 * main.vcpus->len) take new work; a parked vCPU drains what it holds.
 * Counts the change as one resize up or down. */
void host_set_main_online(Host *h, int n);
/* Main vCPUs online integrated from the start to now, vCPU x ns. */
double host_main_online_ns(const Host *h);

/* CPU time (ns) run by the main container's / the secondary containers' vCPUs. */
double host_main_busy_ns(const Host *h);
/* Nominal ns of work queued or running on the main container's vCPUs, online
 * or draining (busy + backlog grows by exactly the work that arrived). */
double host_main_backlog_ns(const Host *h);
double host_secondary_busy_ns(const Host *h);
/* Memory dom0 uses now (base + back-end state), bytes. */
uint64_t host_dom0_used(const Host *h);
/* Memory dom0 needs now (base + back-end state), bytes, whatever it has. */
uint64_t host_dom0_needed(const Host *h);
uint64_t host_dom0_allocated(const Host *h);

/* Writes periodic rows (load over the last interval) to the time series. */
void host_sample(Host *h);
/* With invariant checks compiled in (sim/sim_invariant.h), checks that the
 * NUMA nodes' used memory equals what dom0 and the resident guests hold,
 * CPU time conservation (sched_check) and every grant rule
 * (grant_space_check), aborting on a violation; `where` names the
 * checkpoint in the message.  A no-op otherwise.  host_sample and
 * host_finish call it. */
void host_check(const Host *h, const char *where);
/* Hands the host the record of a first pass (host_take_record of the same
 * host in a run of the same scenario and seed), which it owns from now on:
 * an offline policy then reserves, window by window, what that pass
 * needed.  Call before the run. */
void host_set_plan(Host *h, GArray *plan);
/* The need recorded in each window so far (PolicyNeed), which the caller
 * now owns; NULL for a policy that does not size offline. */
GArray *host_take_record(Host *h);
/* The objective's parts on this host so far (host_finish closes the last
 * window). */
void host_objective(const Host *h, ObjectiveParts *out);
/* Writes the host's final metrics. */
void host_finish(Host *h);
/* Discards the work still queued or running on every vCPU of the host (each
 * item's done callback runs with `dropped` set, so its owner frees it).  Call
 * before freeing what those callbacks touch: workloads and migrations. */
void host_drop_work(Host *h);

#endif
