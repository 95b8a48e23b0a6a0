#include "models/migration.h"

#include <glib.h>
#include <math.h>
#include <string.h>

struct Migration {
    Sim *sim;
    MigSpec spec;
    GArray *rounds; /* MigRound */
    double total_sent;
    SimTime started;
    SimTime ended;
    bool finished;
};

bool mig_stop_rule_parse(const char *s, MigStopRule *out)
{
    if (strcmp(s, "xen-v2") == 0)
        *out = MIG_STOP_XEN_V2;
    else if (strcmp(s, "xen-legacy") == 0)
        *out = MIG_STOP_XEN_LEGACY;
    else
        return false;
    return true;
}

const char *mig_stop_rule_name(MigStopRule r)
{
    return r == MIG_STOP_XEN_V2 ? "xen-v2" : "xen-legacy";
}

bool mig_should_stop(MigStopRule rule, int round, double sent, double dirty, double total_sent,
                     uint64_t n_pages)
{
    switch (rule) {
    case MIG_STOP_XEN_V2:
        /* simple_precopy_policy() is asked before each iteration with the
         * number of iterations done so far; round 0 is iteration 1. */
        return dirty < MIG_V2_TARGET_DIRTY || round + 1 >= MIG_V2_MAX_ITERATIONS;
    case MIG_STOP_XEN_LEGACY:
        /* xc_domain_save() counts iterations from 1 and checks the round it
         * has just sent, not the dirty count. */
        return round + 1 >= MIG_LEGACY_MAX_ITERS || sent < MIG_LEGACY_SMALL_ROUND ||
               total_sent > (double)n_pages * MIG_LEGACY_MAX_FACTOR;
    }
    return true;
}

static SimTime transfer_time(const Migration *m, double pages)
{
    double s = pages * PAGE_SIZE_BYTES / m->spec.link_Bps;
    /* Round up: a round is not over until its last byte is on the wire. */
    return (SimTime)ceil(s * 1e9);
}

static void round_end(Sim *sim, void *data);

static void begin_round(Migration *m, double pages, bool final)
{
    MigRound r = {
        .index = (int)m->rounds->len,
        .start = sim_now(m->sim),
        .duration = transfer_time(m, pages),
        .pages = pages,
        .final = final,
    };
    g_array_append_val(m->rounds, r);
    sim_after(m->sim, r.duration, round_end, m);
}

static void resumed(Sim *sim, void *data)
{
    Migration *m = data;
    m->ended = sim_now(sim);
    m->finished = true;
    if (m->spec.done)
        m->spec.done(m, m->spec.done_data);
}

static void round_end(Sim *sim, void *data)
{
    Migration *m = data;
    MigRound *r = &g_array_index(m->rounds, MigRound, m->rounds->len - 1);
    m->total_sent += r->pages;
    if (r->final) {
        sim_after(sim, m->spec.resume, resumed, m);
        return;
    }
    /* The guest kept running during the round; what it dirtied meanwhile is
     * the next round's work. */
    r->dirtied =
        dirty_distinct_pages(&m->spec.dirty, sim_time_to_s(r->duration), (double)m->spec.n_pages);
    bool stop = mig_should_stop(m->spec.stop_rule, r->index, r->pages, r->dirtied, m->total_sent,
                                m->spec.n_pages);
    begin_round(m, r->dirtied, stop);
}

Migration *migration_start(Sim *sim, const MigSpec *spec)
{
    Migration *m = g_new0(Migration, 1);
    m->sim = sim;
    m->spec = *spec;
    m->rounds = g_array_new(FALSE, FALSE, sizeof(MigRound));
    m->started = sim_now(sim);
    begin_round(m, (double)spec->n_pages, false);
    return m;
}

void migration_free(Migration *m)
{
    if (!m)
        return;
    g_array_free(m->rounds, TRUE);
    g_free(m);
}

bool migration_finished(const Migration *m)
{
    return m->finished;
}

SimTime migration_started_at(const Migration *m)
{
    return m->started;
}

SimTime migration_total(const Migration *m)
{
    return m->ended - m->started;
}

SimTime migration_downtime(const Migration *m)
{
    const MigRound *last = &g_array_index(m->rounds, MigRound, m->rounds->len - 1);
    return last->duration + m->spec.resume;
}

double migration_pages_sent(const Migration *m)
{
    return m->total_sent;
}

unsigned migration_n_rounds(const Migration *m)
{
    return m->rounds->len;
}

const MigRound *migration_round(const Migration *m, unsigned i)
{
    return i < m->rounds->len ? &g_array_index(m->rounds, MigRound, i) : NULL;
}

double migration_closed_form_s(double v_bytes, double r_Bps, double d_Bps, int n)
{
    double lambda = d_Bps / r_Bps;
    if (fabs(1.0 - lambda) < 1e-12)
        return v_bytes / r_Bps * (n + 1);
    return v_bytes / r_Bps * (1.0 - pow(lambda, n + 1)) / (1.0 - lambda);
}
