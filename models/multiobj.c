#include "models/multiobj.h"

#include <glib.h>
#include <math.h>
#include <string.h>

bool multiobj_normalised(const MultiobjSample *s, double *p)
{
    if (s->issued == 0)
        return false;
    if (s->completed == 0 || s->mean_s <= 0.0) {
        *p = 0.0;
        return true;
    }
    /* Completions can outnumber issues only by requests issued before a
     * migration and counted on the source; a guest never gets more than
     * it asked for. */
    double served = MIN(1.0, (double)s->completed / (double)s->issued);
    double speed = MIN(1.0, s->service_s / s->mean_s);
    *p = served * speed;
    return true;
}

/* The CV of the p of the guests g[i] for i in idx[0..n). */
static double group_cv(const MultiobjGuest *g, const size_t *idx, size_t n)
{
    double mean = 0.0;
    for (size_t k = 0; k < n; k++)
        mean += g[idx[k]].p;
    mean /= (double)n;
    if (mean <= 0.0)
        return 0.0;
    double ss = 0.0;
    for (size_t k = 0; k < n; k++)
        ss += (g[idx[k]].p - mean) * (g[idx[k]].p - mean);
    return sqrt(ss / (double)n) / mean;
}

void multiobj_summarise(const MultiobjGuest *g, size_t n, MultiobjSummary *out)
{
    memset(out, 0, sizeof *out);
    out->n_guests = n;
    if (n == 0)
        return;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += g[i].p;
    out->performance = sum / (double)n;
    /* Groups in the order of their first guest, so the sums repeat. */
    g_autofree size_t *idx = g_new(size_t, n);
    g_autofree bool *taken = g_new0(bool, n);
    double weighted = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (taken[i])
            continue;
        size_t m = 0;
        for (size_t j = i; j < n; j++) {
            if (!taken[j] && strcmp(g[i].group, g[j].group) == 0) {
                taken[j] = true;
                idx[m++] = j;
            }
        }
        if (m < 2)
            continue;
        out->n_groups++;
        out->n_grouped += m;
        weighted += (double)m * group_cv(g, idx, m);
    }
    if (out->n_grouped > 0)
        out->performance_cv = weighted / (double)out->n_grouped;
}

void multiobj_write(Sim *sim, const MultiobjSummary *s)
{
    sim_metric_set(sim, "guests.performance.count", (double)s->n_guests);
    if (s->n_guests > 0)
        sim_metric_set(sim, "guests.performance", s->performance);
    sim_metric_set(sim, "guests.performance_cv.groups", (double)s->n_groups);
    sim_metric_set(sim, "guests.performance_cv.guests", (double)s->n_grouped);
    if (s->n_groups > 0)
        sim_metric_set(sim, "guests.performance_cv", s->performance_cv);
}
