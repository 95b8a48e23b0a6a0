#include "policies/rx_share.h"

#include <math.h>

static gboolean candidate(const Domain *g)
{
    return g->state != DOMAIN_GONE && g->vcpus->len > 0;
}

Domain *rx_share_pick(Host *h, double cost_ns, RxShareWeightFn weight)
{
    SimTime now = sim_now(h->sim);
    guint n = h->guests->len;
    g_autofree double *wt = g_new0(double, MAX(n, 1u));
    double total = 0.0;
    int count = 0;
    for (guint i = 0; i < n; i++) {
        const Domain *g = h->guests->pdata[i];
        if (!candidate(g))
            continue;
        wt[i] = weight ? weight(h, g, now) : 1.0;
        total += wt[i];
        count++;
    }
    if (count == 0)
        return NULL;
    Domain *best = NULL;
    for (guint i = 0; i < n; i++) {
        Domain *g = h->guests->pdata[i];
        if (!candidate(g))
            continue;
        /* Nobody has shown any activity yet: share equally. */
        double share = total > 0.0 ? wt[i] / total : 1.0 / count;
        g->rx_credit_ns += cost_ns * share;
        if (!best || g->rx_credit_ns > best->rx_credit_ns)
            best = g;
    }
    best->rx_credit_ns -= cost_ns;
    return best;
}

static double decayed(const Domain *g, SimTime now, SimTime tau)
{
    return g->rx_activity * exp(-(double)(now - g->rx_activity_at) / (double)tau);
}

void rx_activity_note(Domain *g, SimTime now, SimTime tau, uint64_t frames)
{
    g->rx_activity = decayed(g, now, tau) + (double)frames;
    g->rx_activity_at = now;
}

double rx_activity_rate(const Domain *g, SimTime now, SimTime tau)
{
    return decayed(g, now, tau) / sim_time_to_s(tau);
}
