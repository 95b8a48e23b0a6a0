/* Private to models/sched*.c: the scheduler's data structures, shared by the
 * common part (sched.c), the credit mode (sched_credit.c) and the fluid mode
 * (sched_fluid.c).  Nothing outside those three files may include it. */
#ifndef DOM0SIM_SCHED_INTERNAL_H
#define DOM0SIM_SCHED_INTERNAL_H

#include <glib.h>
#include <stddef.h>

#include "models/sched.h"

/* Priorities, as in xen/common/sched/credit.c (CSCHED_PRI_*): higher runs
 * first. */
#define SCHED_PRI_BOOST 0
#define SCHED_PRI_UNDER (-1)
#define SCHED_PRI_OVER (-2)
#define SCHED_PRI_IDLE (-64)

/* An intrusive circular doubly-linked list with a sentinel head, the shape
 * of Xen's struct list_head, so that the runqueue and active-list code can
 * follow Xen's statement for statement. */
typedef struct SchedList {
    struct SchedList *prev, *next;
} SchedList;

#define SCHED_CONTAINER(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void slist_init(SchedList *l)
{
    l->prev = l->next = l;
}

static inline bool slist_empty(const SchedList *l)
{
    return l->next == l;
}

/* Inserts `e` just before `pos` (at the tail when pos is the head). */
static inline void slist_insert_before(SchedList *e, SchedList *pos)
{
    e->prev = pos->prev;
    e->next = pos;
    pos->prev->next = e;
    pos->prev = e;
}

/* Inserts `e` just after `pos` (at the front when pos is the head). */
static inline void slist_insert_after(SchedList *e, SchedList *pos)
{
    slist_insert_before(e, pos->next);
}

static inline void slist_del_init(SchedList *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
    slist_init(e);
}

/* Accumulated CPU time: acc + rate x (now - since), in ns.  The rate changes
 * only at event times, so each change adds rate x dt with dt an exact integer
 * count of ns; in credit mode every rate is an integer and the sum is exact
 * (doubles hold integers exactly below 2^53 ns, about 104 days). */
typedef struct {
    double acc;
    double rate;
    SimTime since;
} SchedAcc;

static inline void sacc_set(SchedAcc *a, SimTime now, double rate)
{
    if (now != a->since) {
        a->acc += a->rate * (double)(now - a->since);
        a->since = now;
    }
    a->rate = rate;
}

static inline void sacc_add(SchedAcc *a, SimTime now, double delta)
{
    sacc_set(a, now, a->rate + delta);
}

static inline SimTime sacc_value(const SchedAcc *a, SimTime now)
{
    double v = a->acc + a->rate * (double)(now - a->since);
    return (SimTime)(v + 0.5);
}

/* Mask helpers limited to the host's pCPUs (words = words in use). */
static inline bool smask_intersects(const CpuMask *a, const CpuMask *b, int words)
{
    for (int i = 0; i < words; i++)
        if (a->w[i] & b->w[i])
            return true;
    return false;
}

static inline bool smask_subset(const CpuMask *a, const CpuMask *b, int words)
{
    for (int i = 0; i < words; i++)
        if (a->w[i] & ~b->w[i])
            return false;
    return true;
}

static inline bool smask_empty(const CpuMask *a, int words)
{
    for (int i = 0; i < words; i++)
        if (a->w[i])
            return false;
    return true;
}

/* The first pCPU of m after `from`, wrapping around: Xen's cpumask_cycle.
 * -1 if m holds no pCPU below n. */
static inline int smask_cycle(const CpuMask *m, int from, int n)
{
    int c = cpumask_next(m, from + 1);
    if (c < 0 || c >= n)
        c = cpumask_next(m, 0);
    return (c >= 0 && c < n) ? c : -1;
}

typedef struct SchedPcpu SchedPcpu;

/* One share of a vCPU's rate on one pCPU (fluid mode). */
typedef struct {
    int pcpu;
    double rate;
} SchedPiece;

struct SchedDom {
    Sched *s;
    char *name;
    int index;
    int weight;
    int cap;
    SimTime created; /* when sched_dom_new made it */
    SchedAcc run;    /* CPU run by its own vCPUs */
    SchedAcc paid;   /* CPU debited to it: its unpaid vCPUs and vCPUs it pays for */

    /* Credit mode: the members of its accounting set that are active, as
     * Xen's csched_dom (active_unit list and active_sdom_elem). */
    SchedList active_elem;  /* in Sched.active_doms while it has active members */
    SchedList active_vcpus; /* SchedVcpu.active_elem */
    int n_active;           /* active members */
    int n_own_active;       /* of which its own vCPUs without another payer */

    /* Fluid mode scratch, valid during a recompute. */
    int f_members;
    int f_own;
    double f_fixed;
    double f_phi;
    double f_run_rate;
    double f_paid_rate;
};

struct SchedVcpu {
    Sched *s;
    SchedDom *dom;
    SchedDom *payer; /* NULL: its own domain pays */
    SchedVcpuOps ops;
    void *owner;
    int index;

    CpuMask hard;     /* limited to the host's pCPUs, never empty */
    CpuMask soft;     /* as given */
    CpuMask soft_eff; /* soft & hard */
    bool has_soft;    /* Xen's has_soft_affinity(): soft & hard useful */
    bool pinned;      /* hard affinity is one pCPU (CSCHED_FLAG_UNIT_PINNED) */

    bool runnable; /* has work (wake/sleep) */
    int pcpu;      /* where it runs now, or -1 */
    double rate;   /* its current rate */
    SchedAcc busy;

    /* Credit mode (csched_unit). */
    int pri;
    int credit;
    unsigned residual;
    SimTime start_time;
    SimTime state_entry; /* when it started running this stint */
    int processor;       /* the pCPU whose runqueue it belongs to */
    bool on_runq;
    bool active;
    SchedDom *acct_dom; /* the domain whose active set holds it */
    bool parked;        /* CSCHED_FLAG_UNIT_PARKED */
    bool migrating;     /* CSCHED_FLAG_UNIT_MIGRATING: next insertion is not a wake */
    bool kicked;        /* _VPF_migrating: leave the pCPU at the next schedule */
    SchedList runq_elem;
    SchedList active_elem;

    /* Fluid mode. */
    int mask_id;       /* interned hard mask */
    int run_idx;       /* position in Sched.runnable, or -1 */
    int f_cls;         /* class (distinct mask) during a recompute */
    bool f_frozen;     /* rate fixed during progressive filling */
    double f_phi;      /* weight in the filling */
    double f_rate;     /* rate being computed */
    double f_base;     /* rate it starts the filling from */
    double f_bound;    /* rate it stops at */
    double f_entitled; /* credit1's entitlement, in pCPUs (sched_fluid.c) */
    int f_piece0;      /* its pieces in Sched.pieces after a recompute; -1: f_solo */
    int f_npieces;
    SchedPiece f_solo; /* its one piece when it woke onto an idle pCPU without a recompute */
};

struct SchedPcpu {
    Sched *s;
    int id;
    SchedAcc busy;

    /* Credit mode (csched_pcpu plus the generic per-CPU state). */
    SchedVcpu *curr; /* NULL: idle */
    SchedList runq;
    int nr_runnable;
    unsigned runq_sort_last;
    SimTime next_tick; /* SIM_TIME_MAX when the tick is stopped */
    SimTime slice_end; /* SIM_TIME_MAX when no slice timer is set */
    SimTime timer_at;  /* when timer_ev fires */
    SimEventId timer_ev;
    SimEventId softirq_ev;
};

struct Sched {
    Sim *sim;
    SchedParams p;
    int n;     /* pCPUs */
    int words; /* mask words in use */
    CpuMask all;
    SimTime born; /* when it was created: no pCPU is busier than now - born */
    uint64_t events;
    GPtrArray *doms;  /* SchedDom * (owned) */
    GPtrArray *vcpus; /* SchedVcpu * (owned) */
    SchedPcpu *pcpus;

    /* Credit mode (csched_private). */
    CpuMask idlers;
    int n_idlers;
    CpuMask steal_any;   /* running pCPUs with a non-empty runqueue */
    CpuMask steal_under; /* ... whose runqueue head is UNDER or BOOST */
    SchedList active_doms;
    unsigned credits_per_acct; /* Xen's credits_per_tslice */
    unsigned credit;           /* n pCPUs x credits_per_acct */
    int credit_balance;
    unsigned runq_sort;
    SimTime acct_period;
    SimEventId acct_ev;
    int balance_bias;
    int last_tickle_cpu;
    int n_soft; /* vCPUs with a useful soft affinity */
    GPtrArray *acct_park;
    GPtrArray *acct_unpark;

    /* Fluid mode. */
    GPtrArray *runnable;  /* runnable SchedVcpu * */
    GHashTable *mask_ids; /* CpuMask * (borrowed from masks) -> id + 1 */
    GPtrArray *masks;     /* CpuMask * (owned), by id */
    SimEventId fluid_ev;
    SchedPiece *pieces;
    int n_pieces, cap_pieces;
    int f_short;         /* runnable vCPUs below a whole pCPU (contended or capped) */
    void *fluid_scratch; /* sched_fluid.c's reusable work arrays */
};

/* A vCPU's pieces (fluid mode): f_npieces of them. */
static inline const SchedPiece *sched_vcpu_pieces(const SchedVcpu *v, const SchedPiece *all)
{
    return v->f_piece0 < 0 ? &v->f_solo : all + v->f_piece0;
}

/* sched.c: accounting shared by both modes. */
SchedDom *sched_vcpu_billing(const SchedVcpu *v);
/* Starts/stops v's accounting on pCPU p at rate 1 (credit mode). */
void sched_account_start(SchedVcpu *v, int p);
void sched_account_stop(SchedVcpu *v);

/* sched_credit.c */
void sched_credit_init(Sched *s);
void sched_credit_fini(Sched *s);
void sched_credit_vcpu_init(SchedVcpu *v);
void sched_credit_wake(SchedVcpu *v);
void sched_credit_sleep(SchedVcpu *v);
void sched_credit_affinity(SchedVcpu *v);
void sched_credit_payer(SchedVcpu *v, SchedDom *old_billing);

/* sched_fluid.c */
void sched_fluid_init(Sched *s);
void sched_fluid_fini(Sched *s);
void sched_fluid_vcpu_init(SchedVcpu *v);
void sched_fluid_wake(SchedVcpu *v);
void sched_fluid_sleep(SchedVcpu *v);
/* Weights, caps, affinity or payers changed: recompute at this instant. */
void sched_fluid_changed(Sched *s);
void sched_fluid_affinity(SchedVcpu *v);

#endif
