/* Statistics collected during a run.
 *
 * SimTimeAvg: a piecewise-constant quantity (queue length, busy vCPUs, load)
 *   whose mean is weighted by how long each value was held.
 * SimTally: independent observations (response times, migration times), with
 *   Welford's numerically stable running mean and variance. */
#ifndef DOM0SIM_SIM_STATS_H
#define DOM0SIM_SIM_STATS_H

#include <stdint.h>

#include "sim/sim_time.h"

typedef struct {
    SimTime start;   /* when observation began */
    SimTime last;    /* time of the last change */
    double value;    /* current value */
    double integral; /* integral of value over [start, last], in value*ns */
    double min, max;
} SimTimeAvg;

void sim_tavg_init(SimTimeAvg *a, SimTime start, double value);
/* The value changes to `value` at time t (t must not be before the last change). */
void sim_tavg_set(SimTimeAvg *a, SimTime t, double value);
/* Adds delta to the current value at time t. */
void sim_tavg_add(SimTimeAvg *a, SimTime t, double delta);
/* Time-weighted mean over [start, now]; the current value if no time passed. */
double sim_tavg_mean(const SimTimeAvg *a, SimTime now);
/* Integral of the value over [start, now], in value * seconds. */
double sim_tavg_integral_s(const SimTimeAvg *a, SimTime now);

typedef struct {
    uint64_t n;
    double mean, m2;
    double min, max;
} SimTally;

void sim_tally_init(SimTally *t);
void sim_tally_add(SimTally *t, double x);
/* Sample variance (n-1 denominator); 0 with fewer than two observations. */
double sim_tally_var(const SimTally *t);
/* Half-width of the 95% confidence interval of the mean (Student t); 0 if n < 2. */
double sim_tally_ci95(const SimTally *t);

#endif
