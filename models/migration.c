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

    /* The current round with a transport. */
    double rate_Bps;   /* its rate limit (INFINITY: none) */
    double to_prepare; /* pages not yet handed to the source stage */
    double handed;     /* pages handed to the wire so far */
    double delivered;  /* pages in the destination's memory */
    bool preparing;    /* the source stage works on a batch */
    int batches;       /* batches of this round handed to the source stage */
    double batch;      /* pages of that batch */
    int in_flight;     /* batches on the wire or at the destination */
    SimEventId pace_ev;
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

/* The rate limit of round `index`: none, or early Xen's adaptive one. */
static double round_rate(const Migration *m, int index)
{
    double rate = m->spec.link_Bps > 0 ? m->spec.link_Bps : INFINITY;
    const MigRateLimit *rl = &m->spec.rate_limit;
    if (!rl->on)
        return rate;
    double want = rl->floor_Bps;
    if (index > 0) {
        const MigRound *prev = &g_array_index(m->rounds, MigRound, index - 1);
        double secs = sim_time_to_s(prev->duration);
        if (secs > 0)
            want = prev->dirtied * PAGE_SIZE_BYTES / secs + rl->increment_Bps;
    }
    return fmin(rate, fmin(rl->ceiling_Bps, fmax(rl->floor_Bps, want)));
}

double migration_round_rate(const Migration *m)
{
    return m->rate_Bps;
}

static SimTime transfer_time(double pages, double rate_Bps)
{
    double s = pages * PAGE_SIZE_BYTES / rate_Bps;
    /* Round up: a round is not over until its last byte is on the wire. */
    return (SimTime)ceil(s * 1e9);
}

static void round_end(Sim *sim, void *data);
static void prepare_next(Migration *m);

static MigRound *current(Migration *m)
{
    return &g_array_index(m->rounds, MigRound, m->rounds->len - 1);
}

static void begin_round(Migration *m, double pages, bool final)
{
    MigRound r = {
        .index = (int)m->rounds->len,
        .start = sim_now(m->sim),
        .pages = pages,
        .final = final,
    };
    m->rate_Bps = round_rate(m, r.index);
    g_array_append_val(m->rounds, r);
    if (!m->spec.transport) {
        current(m)->duration = transfer_time(pages, m->rate_Bps);
        sim_after(m->sim, current(m)->duration, round_end, m);
        return;
    }
    m->to_prepare = pages;
    m->handed = m->delivered = 0.0;
    m->in_flight = 0;
    m->batches = 0;
    prepare_next(m);
}

/* The source stage takes the next batch while the pipeline has room; a
 * round's first batch also scans the dirty bitmap (round 0 sends
 * everything without looking). */
static void prepare_next(Migration *m)
{
    if (m->preparing || m->in_flight >= MIG_PIPELINE)
        return;
    MigRound *r = current(m);
    bool first = m->batches == 0;
    if (!first && m->to_prepare <= 0.0)
        return;
    m->batches++;
    m->batch = fmin(m->to_prepare, (double)MIG_BATCH_PAGES);
    m->to_prepare -= m->batch;
    m->preparing = true;
    double scan = first && r->index > 0 ? (double)m->spec.n_pages : 0.0;
    m->spec.transport->prepare(m, m->batch, scan, m->spec.transport->data);
}

static void hand_to_wire(Migration *m, double pages)
{
    m->handed += pages;
    m->in_flight++;
    m->spec.transport->deliver(m, pages, m->spec.transport->data);
}

static void paced(Sim *sim, void *data)
{
    Migration *m = data;
    (void)sim;
    m->pace_ev = SIM_EVENT_NONE;
    double pages = m->batch;
    m->preparing = false;
    hand_to_wire(m, pages);
    prepare_next(m);
}

void migration_batch_prepared(Migration *m)
{
    /* Under a rate limit the batch's last byte arrives no earlier than the
     * round's budget allows for it and every batch before it: the round's
     * pages take pages / rate, however few they are.  It goes onto the wire
     * as late as lets an idle wire meet that. */
    if (isfinite(m->rate_Bps)) {
        const MigTransport *t = m->spec.transport;
        SimTime due = current(m)->start + transfer_time(m->handed + m->batch, m->rate_Bps);
        SimTime at = due - (t->wire_time ? t->wire_time(m, m->batch, t->data) : 0);
        if (at > sim_now(m->sim)) {
            m->pace_ev = sim_at(m->sim, at, paced, m);
            return;
        }
    }
    double pages = m->batch;
    m->preparing = false;
    hand_to_wire(m, pages);
    prepare_next(m);
}

void migration_batch_delivered(Migration *m, double pages)
{
    m->in_flight--;
    m->delivered += pages;
    if (m->to_prepare > 0.0 || m->preparing || m->in_flight > 0) {
        prepare_next(m);
        return;
    }
    MigRound *r = current(m);
    r->duration = sim_now(m->sim) - r->start;
    round_end(m->sim, m);
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
    MigRound *r = current(m);
    m->total_sent += r->pages;
    if (r->final) {
        sim_after(sim, m->spec.resume, resumed, m);
        return;
    }
    /* The guest kept running during the round; what it dirtied meanwhile is
     * the next round's work.  A guest slowed down (by a loaded host, or by
     * closer running the migration on its pCPU) dirties less. */
    DirtyModel d = m->spec.dirty;
    if (m->spec.transport && m->spec.transport->guest_speed)
        d.rate_pages_s *= m->spec.transport->guest_speed(m, r->start, m->spec.transport->data);
    r->dirtied = dirty_distinct_pages(&d, sim_time_to_s(r->duration), (double)m->spec.n_pages);
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
    if (m->pace_ev)
        sim_cancel(m->sim, m->pace_ev);
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

double migration_pages_delivered(const Migration *m)
{
    if (m->finished || m->rounds->len == 0)
        return m->total_sent;
    const MigRound *r = &g_array_index(m->rounds, MigRound, m->rounds->len - 1);
    if (m->spec.transport)
        return m->total_sent + m->delivered;
    double share = r->duration > 0 ? (double)(sim_now(m->sim) - r->start) / (double)r->duration : 0;
    return m->total_sent + r->pages * share;
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
