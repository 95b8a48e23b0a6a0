/* A vCPU as an executor of work items.
 *
 * Each vCPU owns a scheduler vCPU (models/sched.h).  It is runnable while it
 * holds work; it runs its highest-class item first (kernel before user
 * before background), FIFO within a class, and a newly arrived higher-class
 * item preempts the one running.  Progress follows the rate the scheduler
 * grants, scaled by the NUMA distance between the pCPU it runs on and the
 * memory the item touches. */
#ifndef DOM0SIM_VCPU_H
#define DOM0SIM_VCPU_H

#include <stdbool.h>

#include "models/numa.h"
#include "models/sched.h"
#include "models/work.h"
#include "sim/sim.h"

typedef struct Vcpu Vcpu;
struct Domain;

/* Called for every slice of CPU an item consumes: ns of CPU, the item. */
typedef void (*VcpuChargeFn)(Vcpu *v, const WorkItem *w, double cpu_ns, void *data);

Vcpu *vcpu_new(Sim *sim, Sched *sched, SchedDom *sd, const NumaHost *numa, struct Domain *dom,
               int index);
void vcpu_free(Vcpu *v);

SchedVcpu *vcpu_sched(Vcpu *v);
struct Domain *vcpu_domain(const Vcpu *v);
int vcpu_index(const Vcpu *v);
/* Accounting hook: every consumed slice is reported here (one per vCPU). */
void vcpu_set_charge_hook(Vcpu *v, VcpuChargeFn fn, void *data);
/* The NUMA time multiplier of the item running now (1 when local), as
 * applied to the slice a charge hook is being told about. */
double vcpu_numa_factor(const Vcpu *v);
/* How long the queued items not yet started have waited so far, ns. */
double vcpu_unstarted_wait_ns(const Vcpu *v);
/* Who is billed by the scheduler for the item being run is decided by the
 * item's payer; this maps a Domain to its scheduler domain. */
typedef SchedDom *(*VcpuPayerFn)(struct Domain *payer, void *data);
void vcpu_set_payer_map(Vcpu *v, VcpuPayerFn fn, void *data);

/* Queues an item (its remaining work is set from cpu_ns) and wakes the vCPU. */
void vcpu_submit(Vcpu *v, WorkItem *w);
/* Discards all queued and running work (each item's done is called with
 * dropped set) and blocks the vCPU: its domain is stopping. */
void vcpu_drop_all(Vcpu *v);
/* Items queued or running. */
unsigned vcpu_queued(const Vcpu *v);
/* Nominal ns of queued and running work (a hog counts as 0). */
double vcpu_backlog_ns(const Vcpu *v);
/* pCPU it last ran on, or before it ever ran the one it was assigned at
 * creation (vcpu_set_initial_pcpu), else -1. */
int vcpu_last_pcpu(const Vcpu *v);
/* Like Xen's v->processor, a vCPU is associated with a pCPU from creation
 * (sched_init_vcpu cycles through the allowed pCPUs), so work placed "where
 * the vCPU is" has an answer even for a vCPU that has not run yet. */
void vcpu_set_initial_pcpu(Vcpu *v, int pcpu);

#endif
