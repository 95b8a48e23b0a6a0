/* A piece of CPU work: what a vCPU executes.
 *
 * dom0 work carries the thesis's group tag (T0 base OS, T1 data-centre
 * management, T2 VM administration, T3 I/O back ends) and the guest it was
 * done for, so accounting can say how much dom0 CPU each guest caused and
 * who paid for it. */
#ifndef DOM0SIM_WORK_H
#define DOM0SIM_WORK_H

#include <stdint.h>

#include "sim/sim_time.h"

typedef enum {
    WORK_T0 = 0, /* base Linux system processes */
    WORK_T1,     /* data-centre management (e.g. nova-compute) */
    WORK_T2,     /* VM administration: create, destroy, migrate */
    WORK_T3,     /* I/O back ends: netback, blkback */
    WORK_GUEST,  /* a guest's own work */
    WORK_N_GROUPS
} WorkGroup;

/* Execution classes within a vCPU, highest priority first.  Kernel back-end
 * work (softirq, kernel threads) preempts user-space daemons, which preempt a
 * background CPU hog. */
typedef enum { WORK_KERNEL = 0, WORK_USER = 1, WORK_BACKGROUND = 2, WORK_N_CLASSES } WorkClass;

struct Domain;
typedef struct WorkItem WorkItem;
typedef void (*WorkDoneFn)(WorkItem *w, void *data);

struct WorkItem {
    /* Set by the submitter. */
    double cpu_ns;       /* CPU needed on a reference core with local memory; INFINITY for a hog */
    double mem_fraction; /* share of cpu_ns stalled on memory, scaled by the NUMA factor */
    const uint64_t *mem; /* bytes per NUMA node of the memory it touches (NULL: local) */
    WorkGroup group;
    WorkClass cls;
    struct Domain *for_dom; /* the guest it is done for (NULL: the executing domain's own) */
    struct Domain *payer;   /* whose CPU account pays (NULL: the executing domain) */
    int rx_demux;           /* the driver and bridge pass of a received packet, for_dom
                             * its destination (accounted apart: its payer may differ) */
    WorkDoneFn done;        /* called when it completes (may free the item) */
    void *data;

    /* Kept by the executing vCPU. */
    double remaining;   /* nominal ns still to do */
    SimTime submitted;  /* when it was queued */
    SimTime started;    /* when it first ran (-1 before) */
    double consumed_ns; /* actual CPU ns consumed (NUMA-scaled) */
    int dropped;        /* set when discarded unfinished (its domain stopped) */
    WorkItem *next;     /* queue link */
};

/* A kernel-class item of cpu_ns (reference-core ns) touching memory `mem`
 * (bytes per node), of which mem_fraction is memory-bound; done(w, data)
 * runs at its completion.  Clears everything else. */
static inline void work_item_init(WorkItem *w, double cpu_ns, double mem_fraction,
                                  const uint64_t *mem, WorkGroup group, WorkDoneFn done, void *data)
{
    *w = (WorkItem){0};
    w->cpu_ns = cpu_ns;
    w->mem_fraction = mem_fraction;
    w->mem = mem;
    w->group = group;
    w->cls = WORK_KERNEL;
    w->done = done;
    w->data = data;
}

/* The memory-bound share of an item made of fixed_ns, of which `fraction`
 * is memory-bound, and copy_ns of data copying, which all is. */
static inline double work_mem_share(double fraction, double fixed_ns, double copy_ns)
{
    double total = fixed_ns + copy_ns;
    return total > 0.0 ? (fraction * fixed_ns + copy_ns) / total : 0.0;
}

#endif
