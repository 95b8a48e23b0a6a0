/* Domains: dom0 and the guests (domUs) of one host.
 *
 * A domain has vCPUs (executors of work, models/vcpu.h), memory spread over
 * NUMA nodes, a scheduler domain (weight, cap) and the accounting the
 * results contract asks for: the dom0 CPU each guest caused and how much of
 * it the guest paid for. */
#ifndef DOM0SIM_DOMAIN_H
#define DOM0SIM_DOMAIN_H

#include <glib.h>
#include <stdint.h>

#include "models/sched.h"
#include "models/vcpu.h"
#include "models/work.h"

struct Host;
struct Vbd;
struct Vif;

typedef enum {
    DOMAIN_DOM0,
    DOMAIN_GUEST,
} DomainKind;

typedef enum {
    DOMAIN_RUNNING,
    DOMAIN_PAUSED,
    DOMAIN_GONE, /* migrated away or destroyed */
} DomainState;

/* closer (policies/closer.c): the guest's balloon driver and dom0's moving
 * memory between the guest and dom0's secondary container, one batch at a
 * time toward the last target Algorithm 1 set. */
typedef struct {
    uint64_t target; /* bytes the guest should lend */
    int64_t batch;   /* bytes moving in the batch in flight (> 0 lent, < 0 given back), 0: idle */
    int stage;       /* of that batch: 1 its first side's work, 2 its second's */
    WorkItem item;
} DomainBalloon;

typedef struct Domain {
    char *name;
    int domid; /* per host: dom0 is 0, guests 1, 2, ... in start order */
    DomainKind kind;
    DomainState state;
    struct Host *host;
    SchedDom *sd;
    GPtrArray *vcpus; /* Vcpu * (owned) */
    uint64_t *mem;    /* bytes per NUMA node (owned, length = host nodes) */
    uint64_t mem_total;
    /* closer: lent by this guest to dom0's secondary containers, in all and
     * per node (owned, length = host nodes).  Lent memory has left the
     * guest: it is in dom0's mem, not in the guest's mem and mem_total. */
    uint64_t mem_lent;
    uint64_t *mem_lent_at;
    DomainBalloon balloon;
    struct Vbd *vbd; /* guests: its virtual block device (owned) */
    struct Vif *vif; /* guests: its virtual network interface (owned) */

    /* Accounting of dom0 work done for this guest (guests only), ns of CPU. */
    double dom0_work_ns;     /* dom0 CPU spent on its behalf, whoever paid */
    double dom0_charged_ns;  /* dom0 CPU billed to this guest, whoever it was done for */
    double rx_demux_ns;      /* of dom0_work_ns: demultiplexing its received packets */
    double rx_demux_paid_ns; /* of dom0_charged_ns: demultiplexing anyone's packets */
    double dom0_work_by_group[WORK_N_GROUPS];
    /* Guests: of dom0_charged_ns, what each dom0 vCPU ran (by vcpu_index),
     * the "participation" of closer's secondary vCPUs (policies/closer.c). */
    double *dom0_charged_by_vcpu_ns;
    uint64_t io_requests;      /* back-end requests it raised (closer's I/O intensity) */
    uint64_t io_requests_seen; /* closer: the count at its last balloon decision */
    /* closer, closer-rx: demultiplexing work owed (positive) or paid ahead
     * (negative) against its share, nominal ns (policies/rx_share.h). */
    double rx_credit_ns;
    /* closer-rx: received wire frames, exponentially decayed, as of
     * rx_activity_at. */
    double rx_activity;
    SimTime rx_activity_at;

    /* dom0 only: CPU by thesis group, ns. */
    double cpu_by_group[WORK_N_GROUPS];
} Domain;

#endif
