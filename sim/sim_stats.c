#include "sim/sim_stats.h"

#include <gsl/gsl_cdf.h>
#include <math.h>

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

double sim_tally_ci95(const SimTally *t)
{
    if (t->n < 2)
        return 0.0;
    double q = gsl_cdf_tdist_Pinv(0.975, (double)(t->n - 1));
    return q * sqrt(sim_tally_var(t) / (double)t->n);
}
