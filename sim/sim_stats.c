#include "sim/sim_stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <string.h>

#include "sim/sim.h"

void sim_tavg_init(SimTimeAvg *a, SimTime start, double value)
{
    a->start = a->last = start;
    a->value = value;
    a->integral = 0.0;
    a->min = a->max = value;
}

void sim_tavg_set(SimTimeAvg *a, SimTime t, double value)
{
    if (t > a->last) {
        a->integral += a->value * (double)(t - a->last);
        a->last = t;
    }
    a->value = value;
    if (value < a->min)
        a->min = value;
    if (value > a->max)
        a->max = value;
}

void sim_tavg_add(SimTimeAvg *a, SimTime t, double delta)
{
    sim_tavg_set(a, t, a->value + delta);
}

double sim_tavg_integral_s(const SimTimeAvg *a, SimTime now)
{
    double integral = a->integral;
    if (now > a->last)
        integral += a->value * (double)(now - a->last);
    return integral / 1e9;
}

double sim_tavg_mean(const SimTimeAvg *a, SimTime now)
{
    if (now <= a->start)
        return a->value;
    return sim_tavg_integral_s(a, now) / sim_time_to_s(now - a->start);
}

void sim_tally_init(SimTally *t)
{
    t->n = 0;
    t->mean = t->m2 = 0.0;
    t->min = INFINITY;
    t->max = -INFINITY;
}

void sim_tally_add(SimTally *t, double x)
{
    t->n++;
    double d = x - t->mean;
    t->mean += d / (double)t->n;
    t->m2 += d * (x - t->mean);
    if (x < t->min)
        t->min = x;
    if (x > t->max)
        t->max = x;
}

double sim_tally_var(const SimTally *t)
{
    return t->n < 2 ? 0.0 : t->m2 / (double)(t->n - 1);
}

double sim_t975(double df)
{
    return gsl_cdf_tdist_Pinv(0.975, df);
}

double sim_tally_ci95(const SimTally *t)
{
    if (t->n < 2)
        return 0.0;
    double q = sim_t975((double)(t->n - 1));
    return q * sqrt(sim_tally_var(t) / (double)t->n);
}

void sim_bm_init(SimBatchMeans *b, SimTime warmup)
{
    memset(b, 0, sizeof *b);
    b->warmup = warmup;
    b->m = SIM_BM_MIN_BATCH;
}

void sim_bm_add(SimBatchMeans *b, SimTime t, double x)
{
    if (t < b->warmup) {
        b->deleted++;
        return;
    }
    if (b->cur_n == 0)
        b->cur_start = t;
    b->n++;
    b->cur_sum += x;
    b->cur5 += x;
    if (b->n % SIM_BM_MIN_BATCH == 0) {
        /* A batch of 5 is complete: its square, about the first one's mean. */
        double y5 = b->cur5 / SIM_BM_MIN_BATCH;
        if (b->n == SIM_BM_MIN_BATCH)
            b->ref = y5;
        b->cur_sq += (y5 - b->ref) * (y5 - b->ref);
        b->cur5 = 0.0;
    }
    if (++b->cur_n < b->m)
        return;
    if (b->nb == SIM_BM_STORED) {
        /* Full: neighbours merged, each batch twice as long. */
        for (unsigned i = 0; i < SIM_BM_STORED / 2; i++) {
            b->sum[i] = b->sum[2 * i] + b->sum[2 * i + 1];
            b->sq[i] = b->sq[2 * i] + b->sq[2 * i + 1];
            b->start[i] = b->start[2 * i];
        }
        b->nb = SIM_BM_STORED / 2;
        b->m *= 2;
        /* The batch being filled now needs m observations: it goes on. */
        if (b->cur_n < b->m)
            return;
    }
    b->sum[b->nb] = b->cur_sum;
    b->sq[b->nb] = b->cur_sq;
    b->start[b->nb] = b->cur_start;
    b->nb++;
    b->cur_sum = 0.0;
    b->cur_sq = 0.0;
    b->cur_n = 0;
}

unsigned sim_bm_mser5(const SimBatchMeans *b)
{
    if (b->nb < 2)
        return 0;
    /* Suffix sums over the stored batches d..nb-1 of the batches of 5 in
     * them: k5 of them, s = sum (Y - ref), s2 = sum (Y - ref)^2. */
    double per = (double)(b->m / SIM_BM_MIN_BATCH), s = 0.0, s2 = 0.0;
    double best = INFINITY;
    unsigned best_d = 0;
    for (unsigned d = b->nb; d-- > 0;) {
        s += b->sum[d] / SIM_BM_MIN_BATCH - per * b->ref;
        s2 += b->sq[d];
        if (d > b->nb / 2)
            continue;
        double k5 = per * (double)(b->nb - d);
        double mser = fmax(s2 - s * s / k5, 0.0) / (k5 * k5);
        if (mser <= best) {
            best = mser;
            best_d = d;
        }
    }
    return best_d;
}

/* The b in lo..hi that leaves the fewest of r stored batches over, the
 * smallest on a tie. */
static unsigned batches_for(unsigned r, unsigned lo, unsigned hi)
{
    unsigned nbat = lo;
    for (unsigned c = lo + 1; c <= hi; c++)
        if (r % c < r % nbat)
            nbat = c;
    return nbat;
}

/* The interval of b batches cut from the end of the stored batches from d
 * on: ci95, lag1 and batches of *out. */
static void interval_of(const SimBatchMeans *b, unsigned d, unsigned nbat, SimBatchResult *out)
{
    unsigned r = b->nb - d;
    unsigned k = r / nbat;
    unsigned first = b->nb - k * nbat;
    double means[SIM_BM_MAX_BATCHES], grand = 0.0;
    for (unsigned j = 0; j < nbat; j++) {
        double s = 0.0;
        for (unsigned i = 0; i < k; i++)
            s += b->sum[first + j * k + i];
        means[j] = s / ((double)k * (double)b->m);
        grand += means[j];
    }
    grand /= nbat;
    double ss = 0.0, c1 = 0.0;
    for (unsigned j = 0; j < nbat; j++) {
        ss += (means[j] - grand) * (means[j] - grand);
        if (j > 0)
            c1 += (means[j] - grand) * (means[j - 1] - grand);
    }
    out->batches = nbat;
    out->ci95 = sim_t975(nbat - 1) * sqrt(ss / (nbat - 1) / nbat);
    out->lag1 = ss > 0.0 ? c1 / ss : 0.0;
}

/* The batch-means interval of the stored batches from d on (at least
 * SIM_BM_BATCHES of them): 20-30 batches, or 10-15 twice as long when the
 * lag-1 autocorrelation of the 20-30 says they are too short. */
static void batch_interval(const SimBatchMeans *b, unsigned d, SimBatchResult *out)
{
    unsigned r = b->nb - d;
    interval_of(b, d, batches_for(r, SIM_BM_BATCHES, SIM_BM_MAX_BATCHES), out);
    if (out->lag1 >= SIM_BM_LAG1_MAX)
        interval_of(b, d, batches_for(r, SIM_BM_BATCHES / 2, SIM_BM_MAX_BATCHES / 2), out);
}

void sim_bm_result(const SimBatchMeans *b, SimBatchResult *out)
{
    *out =
        (SimBatchResult){.mean = NAN, .ci95 = NAN, .lag1 = NAN, .mser5_s = NAN, .deleted_s = NAN};
    /* Where kept data starts: the user's warm-up when nothing more goes. */
    double from_s = b->warmup > 0 ? sim_time_to_s(b->warmup) : 0.0;
    unsigned d = sim_bm_mser5(b);
    if (d < b->nb)
        out->mser5_s = d > 0 ? sim_time_to_s(b->start[d]) : from_s;
    if (b->warmup >= 0)
        d = 0;
    /* The mean: every observation from the truncation on, the batch being
     * filled included. */
    unsigned r = b->nb - d;
    double total = b->cur_sum;
    for (unsigned i = d; i < b->nb; i++)
        total += b->sum[i];
    uint64_t used = (uint64_t)r * b->m + b->cur_n;
    if (used == 0)
        return;
    out->mean = total / (double)used;
    out->used = used;
    out->deleted_s = d > 0 ? sim_time_to_s(b->start[d]) : from_s;
    if (r < SIM_BM_BATCHES)
        return; /* too few batches for an interval */
    batch_interval(b, d, out);
}

void sim_bm_publish(Sim *sim, const SimBatchMeans *b, const char *vm, const char *what,
                    const char *section)
{
    SimBatchResult br;
    sim_bm_result(b, &br);
    sim_metric_setf(sim, isnan(br.mean) ? 0.0 : br.mean, "%s.%s_mean_s", vm, what);
    sim_metric_setf(sim, br.ci95, "%s.%s_ci95_s", vm, what);
    sim_metric_setf(sim, br.lag1, "%s.%s_batch_lag1", vm, what);
    sim_metric_setf(sim, br.deleted_s, "%s.%s.warmup_deleted_s", vm, section);
    sim_metric_setf(sim, br.mser5_s, "%s.%s.mser5_truncation_s", vm, section);
}
