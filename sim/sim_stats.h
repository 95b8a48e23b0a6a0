/* Statistics collected during a run.
 *
 * SimTimeAvg: a piecewise-constant quantity (queue length, busy vCPUs, load)
 *   whose mean is weighted by how long each value was held.
 * SimTally: observations (response times, migration times), with Welford's
 *   numerically stable running mean and variance.  Its confidence interval
 *   holds only for independent observations, which successive response
 *   times of a queue are not.
 * SimBatchMeans: a steady-state mean and its confidence interval from one
 *   run of correlated observations, after a warm-up deletion (below). */
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
/* Half-width of the 95% confidence interval of the mean (Student t); 0 if n < 2.
 * For independent observations only (see SimBatchMeans). */
double sim_tally_ci95(const SimTally *t);

/* OUTPUT ANALYSIS OF ONE RUN (docs/MODEL.md, "Output analysis")
 *
 * Observations (in the order they happen, with the time each was made)
 * are summed into batches of m consecutive observations, m = 5 at first.
 * At most SIM_BM_STORED batches are kept: when they are all full,
 * neighbours are merged pairwise and m doubles, so memory is fixed and
 * every stored batch always holds m = 5 * 2^k observations.
 *
 * Warm-up.  Either the user's: observations made before `warmup` are
 * deleted as they come (output.warmup_s); or, without one, MSER-5 (White
 * 1997; White, Cobb and Spratt 2000): over the means Y_1..Y_N of
 * consecutive batches of 5 observations, the truncation d minimising
 *   MSER(d) = sum_{i>d} (Y_i - mean(Y_{d+1..N}))^2 / (N - d)^2
 * is deleted, d at most half the run.  The statistic is always that of
 * batches of 5 (each stored batch also keeps the sum of the squares of
 * its batches of 5 means, so merging loses nothing); only the candidate
 * truncations are the stored batches' boundaries, in steps of m.
 *
 * Mean and confidence interval.  The mean is that of every observation
 * left (the batch being filled included).  For its interval the R stored
 * batches left are grouped, from the end, into b non-overlapping batches of
 * floor(R / b) stored batches each, b in SIM_BM_BATCHES..SIM_BM_MAX_BATCHES
 * the one that leaves the fewest (R mod b) over, the longest on a tie; the
 * half-width is t(0.975, b - 1) s_b / sqrt(b), s_b the sample deviation of
 * the b batch means (Law and Kelton, Simulation Modeling and Analysis, 3rd
 * ed., 9.5.3, non-overlapping batch means with a fixed number of batches;
 * Schmeiser 1982: 10 to 30 batches).  The up to b - 1 stored batches and
 * the partial one outside the b batches make the mean's true interval
 * slightly narrower than this one.  When the lag-1 autocorrelation of
 * those b batch means is SIM_BM_LAG1_MAX or more, the batches are too short
 * (Law and Carson 1979; Fishman's LBATCH doubles the batch size until it
 * is not significant): the interval is taken again over b in
 * SIM_BM_BATCHES / 2 .. SIM_BM_MAX_BATCHES / 2, by the same rule.  The
 * lag-1 of the b batches used is reported: well above 0 still says the
 * run is too short for the interval to hold. */
#define SIM_BM_MIN_BATCH 5
#define SIM_BM_STORED 512
#define SIM_BM_BATCHES 20     /* fewest batches of an interval */
#define SIM_BM_MAX_BATCHES 30 /* most */
#define SIM_BM_LAG1_MAX 0.2   /* lag-1 from which batches are doubled */

typedef struct {
    SimTime warmup;   /* observations before this are deleted; -1: MSER-5 */
    uint64_t deleted; /* observations deleted by the user's warm-up */
    uint64_t n;       /* observations kept (after the user's warm-up) */
    uint64_t m;       /* observations per stored batch */
    unsigned nb;      /* full stored batches */
    double cur_sum;   /* the batch being filled */
    uint64_t cur_n;
    SimTime cur_start; /* time of its first observation */
    double cur_sq;     /* sum of (mean of 5 - ref)^2 over its batches of 5 */
    double cur5;       /* the batch of 5 being filled */
    double ref;        /* the first batch of 5's mean: squares are about it */
    double sum[SIM_BM_STORED];
    double sq[SIM_BM_STORED];     /* sum of (mean of 5 - ref)^2 in each batch */
    SimTime start[SIM_BM_STORED]; /* time of each batch's first observation */
} SimBatchMeans;

typedef struct {
    double mean;      /* of the observations kept; NaN without any */
    double ci95;      /* half-width; NaN with fewer than b batches */
    double lag1;      /* lag-1 autocorrelation of the b batch means; NaN likewise */
    unsigned batches; /* b, or 0 when there were fewer than SIM_BM_BATCHES */
    uint64_t used;    /* observations kept (after every deletion) */
    double mser5_s;   /* time of the first observation MSER-5 keeps (s) */
    double deleted_s; /* where the data kept starts (s): the user's warm-up, else MSER-5's */
} SimBatchResult;

/* warmup < 0: MSER-5 chooses the truncation. */
void sim_bm_init(SimBatchMeans *b, SimTime warmup);
void sim_bm_add(SimBatchMeans *b, SimTime t, double x);
void sim_bm_result(const SimBatchMeans *b, SimBatchResult *out);
/* MSER-5's truncation of b, in stored batches (0 .. nb/2). */
unsigned sim_bm_mser5(const SimBatchMeans *b);
/* Publishes b's result as the metrics <vm>.<what>_mean_s, _ci95_s and
 * _batch_lag1, and <vm>.<section>.warmup_deleted_s and .mser5_truncation_s
 * (what = "io.response", section = "io", say); the mean is 0 without data. */
struct Sim;
void sim_bm_publish(struct Sim *sim, const SimBatchMeans *b, const char *vm, const char *what,
                    const char *section);
/* Student t quantile t(0.975, df). */
double sim_t975(double df);

#endif
