/* pCPUs running vCPUs with the semantics of Xen's credit scheduler
 * (xen/common/sched/credit.c), in one of two resolutions:
 *
 * SCHED_MODE_CREDIT (request level): every scheduling decision is an event:
 *   per-pCPU runqueues ordered BOOST > UNDER > OVER, FIFO within a priority;
 *   a 10 ms tick debits the running vCPU; every 30 ms accounting shares the
 *   pCPUs' credit among active domains by weight, clipped by cap; a vCPU
 *   woken from blocked with credit left is BOOSTed and preempts; time slice
 *   30 ms; idle pCPUs steal work within hard affinity, soft affinity first.
 * SCHED_MODE_FLUID (rate level): credit1's long-run shares.  Each runnable
 *   vCPU gets a rate (a fraction of one pCPU): its entitlement is the
 *   weighted max-min share of all pCPUs under caps, blind to affinity (what
 *   csched_acct hands out), and vCPUs that share pCPUs split them equally up
 *   to their entitlements (UNDER vCPUs take slices in turn), the rest going
 *   to those above it; recomputed only when the runnable set or a
 *   weight/cap/affinity changes.  Long-run shares match the credit mode's
 *   within 2%, except where csched_acct's list order skews them
 *   (docs/MODEL.md).
 *
 * The owner of a vCPU (a work queue, a busy loop) is told the vCPU's current
 * execution rate through SchedVcpuOps.set_rate, so the same owner code runs
 * under both modes: in credit mode rates are 0 or 1; in fluid mode any value
 * in [0, 1].  CPU time is in ns of a reference core. */
#ifndef DOM0SIM_SCHED_H
#define DOM0SIM_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "models/cpumask.h"
#include "sim/sim.h"

typedef enum {
    SCHED_MODE_CREDIT,
    SCHED_MODE_FLUID,
} SchedMode;

typedef struct {
    SchedMode mode;
    SimTime tslice;     /* time slice; Xen sched_credit_tslice_ms default 30 ms */
    SimTime tick;       /* debit period; CSCHED_MSECS_PER_TICK 10 ms */
    int ticks_per_acct; /* accounting every this many ticks; CSCHED_TICKS_PER_ACCT 3 */
    SimTime ratelimit;  /* minimum run before preemption; sched_ratelimit_us 1000 us */
    bool boost;         /* BOOST priority for vCPUs woken with credit left */
} SchedParams;

/* Xen's defaults (the values quoted above). */
void sched_params_default(SchedParams *p);

#define SCHED_DEFAULT_WEIGHT 256 /* CSCHED_DEFAULT_WEIGHT */

typedef struct Sched Sched;
typedef struct SchedDom SchedDom;
typedef struct SchedVcpu SchedVcpu;

typedef struct {
    /* The vCPU now executes at `rate` (0 = not running) on pCPU `pcpu` (-1
     * when rate is 0; in fluid mode, the pCPU that carries most of its rate).
     * Called at the current simulated time whenever rate or pCPU changes; the
     * owner first credits its work with old_rate x elapsed time. */
    void (*set_rate)(void *owner, double rate, int pcpu);
} SchedVcpuOps;

/* A scheduler for one host with n_pcpus pCPUs (<= CPUMASK_MAX). */
Sched *sched_new(Sim *sim, int n_pcpus, const SchedParams *params);
void sched_free(Sched *s);
int sched_n_pcpus(const Sched *s);
SchedMode sched_mode(const Sched *s);

/* A domain: weight (1..65535, default 256) and cap (percent of one pCPU,
 * 0 = uncapped; 50 = half a pCPU; 200 = two pCPUs), shared by its vCPUs. */
SchedDom *sched_dom_new(Sched *s, const char *name, int weight, int cap);
void sched_dom_set_weight(SchedDom *d, int weight);
void sched_dom_set_cap(SchedDom *d, int cap);
const char *sched_dom_name(const SchedDom *d);
/* The simulated time sched_dom_new created it at. */
SimTime sched_dom_created(const SchedDom *d);

/* A vCPU of domain d, initially blocked, with hard affinity = all pCPUs and
 * no soft affinity.  ops->set_rate is called with the owner pointer. */
SchedVcpu *sched_vcpu_new(Sched *s, SchedDom *d, const SchedVcpuOps *ops, void *owner);
/* Hard affinity: never runs outside it (must not be empty).  Soft affinity:
 * preferred when choosing a pCPU (an empty mask means no preference). */
void sched_vcpu_set_affinity(SchedVcpu *v, const CpuMask *hard, const CpuMask *soft);

/* Runnable from now on (has work).  A vCPU that was blocked and has credit
 * left is BOOSTed (credit mode).  No-op if already runnable. */
void sched_vcpu_wake(SchedVcpu *v);
/* Blocked from now on (no work): it gives up its pCPU at once.  No-op if
 * already blocked. */
void sched_vcpu_sleep(SchedVcpu *v);
bool sched_vcpu_runnable(const SchedVcpu *v);
/* The pCPU it runs on now, or -1. */
int sched_vcpu_pcpu(const SchedVcpu *v);
double sched_vcpu_rate(const SchedVcpu *v);

/* CPU this vCPU consumes from now on is debited to `payer`'s credit instead
 * of its own domain's (NULL restores its own).  Closer charges a guest for
 * the dom0 work done on its behalf this way. */
void sched_vcpu_set_payer(SchedVcpu *v, SchedDom *payer);

/* Accounting, in ns of CPU up to `now` (the current simulated time). */
SimTime sched_vcpu_busy(const SchedVcpu *v);
SimTime sched_dom_busy(const SchedDom *d); /* run by its vCPUs */
/* Debited to it as payer: its own vCPUs' CPU while they have no other payer,
 * plus the CPU of other domains' vCPUs that it pays for (so a domain nobody
 * else pays for and that pays for nobody has paid == busy). */
SimTime sched_dom_paid(const SchedDom *d);
SimTime sched_pcpu_busy(const Sched *s, int pcpu);
/* The summed rate of the vCPUs on pCPU `pcpu` now (0 or 1 in credit mode;
 * at most 1 in fluid mode). */
double sched_pcpu_rate(const Sched *s, int pcpu);
/* Where v's current rate runs: fills up to `max` (pCPU, rate) pairs and
 * returns how many there are (0 when not running).  Credit mode: at most one
 * pair, (its pCPU, 1); fluid mode: the pieces of the feasible assignment,
 * which add up to its rate, each pCPU in its hard affinity. */
int sched_vcpu_placement(const SchedVcpu *v, int *pcpus, double *rates, int max);
/* With invariant checks compiled in (sim/sim_invariant.h): CPU time is
 * conserved, i.e. the pCPUs' busy time, the vCPUs' busy time, the domains'
 * run time and the domains' paid time all add up to the same total, and no
 * pCPU is busier than the time elapsed since sched_new (nor runs at a rate
 * above 1).  Aborts naming `where` on a violation; a no-op without checks.
 * Credit mode checks at every accounting (30 ms), fluid mode at every
 * recompute; hosts also check when sampling and at the end of a run. */
void sched_check(const Sched *s, const char *where);
#ifdef DOM0SIM_CHECKS
/* Tests only: adds `ns` of phantom CPU time to pCPU `pcpu`'s busy time
 * (ignored if out of range), to v's busy time and its domain's run time,
 * and to paid_by's paid time (v and paid_by may be NULL), to break
 * conservation on purpose. */
void sched_debug_skew(Sched *s, int pcpu, SchedVcpu *v, SchedDom *paid_by, double ns);
#endif

/* Scheduling events handled (ticks, accounting, switches), for benchmarks. */
uint64_t sched_events(const Sched *s);

#endif
