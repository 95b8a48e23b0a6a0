/* The multi-objective view of a run (docs/MODEL.md, "The multi-objective
 * view"): how well the guests were served and how evenly, beside dom0's
 * waste (objective.waste_core_s, models/objective.h) and the billing error
 * (guests.billing_error).
 *
 * A guest that serves requests (IOzone records, web responses, io-synthetic
 * and blk-random requests) has a normalised performance
 *
 *   p = min(1, completed / issued) x min(1, service / response)
 *
 * dimensionless in [0, 1]: the share of what it asked for that was served,
 * times the share of a request's mean response time that was its own
 * service demand (seconds per request: the disk's service of an IOzone or
 * blk-random record, the guest CPU of a web request, the dom0 service of an
 * io-synthetic request), the rest being waiting (for dom0, the rings, the
 * scheduler, the disk queue) and dom0's own work.  It is the inverse of the
 * mean slowdown, with a reference that depends on the workload alone, not on
 * the policy.  A guest that issued nothing asked for nothing and has no p;
 * one that issued but completed nothing has p = 0.
 *
 * guests.performance is the mean of p over the guests that have one;
 * guests.performance_cv the dispersion of p among co-located guests running
 * the same workload: for each group of at least two guests on one host with
 * identical workload specifications, the coefficient of variation of their
 * p (population standard deviation over mean; 0 if the mean is 0), averaged
 * over the groups weighted by their sizes. */
#ifndef DOM0SIM_MULTIOBJ_H
#define DOM0SIM_MULTIOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim.h"

/* What one guest asked for and got. */
typedef struct {
    uint64_t issued;    /* requests the guest's clients issued */
    uint64_t completed; /* requests served */
    double service_s;   /* mean service demand per completed request, seconds */
    double mean_s;      /* mean response, seconds (0 if none completed) */
} MultiobjSample;

/* One guest's p and the group it is compared within. */
typedef struct {
    const char *group; /* host and workload specification; equal strings, one group */
    double p;
} MultiobjGuest;

typedef struct {
    size_t n_guests;       /* guests with a p */
    size_t n_groups;       /* groups of two or more */
    size_t n_grouped;      /* guests in those groups */
    double performance;    /* mean p; 0 if n_guests is 0 */
    double performance_cv; /* weighted mean CV; 0 if n_groups is 0 */
} MultiobjSummary;

/* p of one guest into *p; false (and *p untouched) if it issued nothing. */
bool multiobj_normalised(const MultiobjSample *s, double *p);
/* Summarises n guests (in any order; the result does not depend on it
 * beyond floating-point rounding, and repeats exactly for one order). */
void multiobj_summarise(const MultiobjGuest *g, size_t n, MultiobjSummary *out);
/* Writes guests.performance (if any guest has a p), guests.performance_cv
 * (if any group exists) and their counts (.count: guests with a p;
 * .groups, .guests: groups and the guests in them) to the run's metrics. */
void multiobj_write(Sim *sim, const MultiobjSummary *s);

#endif
