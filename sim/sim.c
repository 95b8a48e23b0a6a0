#include "sim/sim.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_output.h"
#include "sim/sim_rng.h"

struct Sim {
    SimTime now;
    uint64_t seed;
    uint64_t events;
    bool stop;
    SimQueue *queue;
    SimRngSet *rngs;
    GHashTable *metrics; /* name (owned) -> double * (owned) */
    SimAtomicFile *ts;
    FILE *ts_fp;
    uint64_t ts_rows;
    SimProgressFn progress;
    void *progress_data;
    gint64 progress_every_us;
    uint64_t max_events;                    /* UINT64_MAX: none */
    gint64 deadline_us;                     /* 0: none */
    const volatile sig_atomic_t *interrupt; /* never NULL: points at no_interrupt */
    SimStopReason stop_reason;
};

static const volatile sig_atomic_t no_interrupt = 0;

Sim *sim_new(uint64_t seed)
{
    Sim *sim = g_new0(Sim, 1);
    sim->seed = seed;
    sim->queue = sim_queue_new();
    sim->rngs = sim_rng_set_new(seed);
    sim->metrics = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    sim->max_events = UINT64_MAX;
    sim->interrupt = &no_interrupt;
    return sim;
}

void sim_free(Sim *sim)
{
    if (!sim)
        return;
    sim_atomic_abort(sim->ts);
    sim_queue_free(sim->queue);
    sim_rng_set_free(sim->rngs);
    g_hash_table_destroy(sim->metrics);
    g_free(sim);
}

SimTime sim_now(const Sim *sim)
{
    return sim->now;
}

uint64_t sim_seed(const Sim *sim)
{
    return sim->seed;
}

uint64_t sim_events_processed(const Sim *sim)
{
    return sim->events;
}

SimEventId sim_at(Sim *sim, SimTime t, SimEventFn fn, void *data)
{
    if (t < sim->now) {
        sim_metric_add(sim, "sim.past_events_refused", 1.0);
        return SIM_EVENT_NONE;
    }
    return sim_queue_push(sim->queue, t, fn, data);
}

SimEventId sim_after(Sim *sim, SimTime delay, SimEventFn fn, void *data)
{
    if (delay < 0 || delay > SIM_TIME_MAX - sim->now) {
        sim_metric_add(sim, "sim.past_events_refused", 1.0);
        return SIM_EVENT_NONE;
    }
    return sim_at(sim, sim->now + delay, fn, data);
}

bool sim_cancel(Sim *sim, SimEventId id)
{
    return sim_queue_cancel(sim->queue, id);
}

gsl_rng *sim_rng(Sim *sim, const char *component)
{
    return sim_rng_stream(sim->rngs, component);
}

void sim_metric_set(Sim *sim, const char *name, double value)
{
    double *slot = g_hash_table_lookup(sim->metrics, name);
    if (!slot) {
        slot = g_new(double, 1);
        g_hash_table_insert(sim->metrics, g_strdup(name), slot);
    }
    *slot = value;
}

void sim_metric_setf(Sim *sim, double value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_metric_set(sim, name, value);
}

void sim_metric_add(Sim *sim, const char *name, double delta)
{
    double *slot = g_hash_table_lookup(sim->metrics, name);
    if (slot)
        *slot += delta;
    else
        sim_metric_set(sim, name, delta);
}

void sim_metric_addf(Sim *sim, double delta, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    sim_metric_add(sim, name, delta);
}

void sim_metric_maxf(Sim *sim, double value, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *name = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    double *slot = g_hash_table_lookup(sim->metrics, name);
    if (!slot || value > *slot)
        sim_metric_set(sim, name, value);
}

gboolean sim_metric_get(const Sim *sim, const char *name, double *value)
{
    double *slot = g_hash_table_lookup(sim->metrics, name);
    if (!slot)
        return FALSE;
    if (value)
        *value = *slot;
    return TRUE;
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *sim_metric_names(const Sim *sim)
{
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, sim->metrics);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(names, key);
    g_ptr_array_sort(names, cmp_names);
    return names;
}

gboolean sim_timeseries_open(Sim *sim, const char *path, GError **err)
{
    g_return_val_if_fail(sim->ts == NULL, FALSE);
    sim->ts = sim_atomic_open(path, err);
    if (!sim->ts)
        return FALSE;
    sim->ts_fp = sim_atomic_stream(sim->ts);
    fputs("time_s,entity,metric,value\n", sim->ts_fp);
    return TRUE;
}

void sim_ts_record(Sim *sim, const char *entity, const char *metric, double value)
{
    sim->ts_rows++;
    if (!sim->ts_fp)
        return;
    /* Time is printed exactly from integer nanoseconds; values with 12
     * significant digits, which is more than any model here is accurate to
     * and keeps the file compact. */
    fprintf(sim->ts_fp, "%" PRId64 ".%09" PRId64 ",%s,%s,%.12g\n", sim->now / SIM_S,
            sim->now % SIM_S, entity, metric, value);
}

uint64_t sim_ts_rows(const Sim *sim)
{
    return sim->ts_rows;
}

gboolean sim_timeseries_close(Sim *sim, gboolean keep, GError **err)
{
    if (!sim->ts)
        return TRUE;
    SimAtomicFile *f = sim->ts;
    sim->ts = NULL;
    sim->ts_fp = NULL;
    if (!keep) {
        sim_atomic_abort(f);
        return TRUE;
    }
    return sim_atomic_commit(f, err);
}

void sim_set_progress(Sim *sim, SimProgressFn fn, void *data, double every_wall_s)
{
    sim->progress = fn;
    sim->progress_data = data;
    sim->progress_every_us = (gint64)(every_wall_s * 1e6);
}

void sim_stop(Sim *sim)
{
    sim->stop = true;
    sim->stop_reason = SIM_STOP_CALLED;
}

void sim_set_max_events(Sim *sim, uint64_t max_events)
{
    sim->max_events = max_events ? max_events : UINT64_MAX;
}

void sim_set_deadline(Sim *sim, gint64 deadline_us)
{
    sim->deadline_us = deadline_us;
}

void sim_set_interrupt(Sim *sim, const volatile sig_atomic_t *flag)
{
    sim->interrupt = flag ? flag : &no_interrupt;
}

SimStopReason sim_stop_reason(const Sim *sim)
{
    return sim->stop_reason;
}

/* Whether a limit stops the run before its next event (sets the reason). */
static bool limit_reached(Sim *sim)
{
    if (*sim->interrupt)
        sim->stop_reason = SIM_STOP_INTERRUPT;
    else if (sim->events >= sim->max_events)
        sim->stop_reason = SIM_STOP_MAX_EVENTS;
    else if (sim->deadline_us && (sim->events & 65535) == 0 &&
             g_get_monotonic_time() >= sim->deadline_us)
        sim->stop_reason = SIM_STOP_DEADLINE;
    else
        return false;
    sim->stop = true;
    return true;
}

uint64_t sim_run(Sim *sim, SimTime until)
{
    uint64_t start_events = sim->events;
    gint64 next_report = sim->progress ? g_get_monotonic_time() + sim->progress_every_us : 0;
    sim->stop = false;
    sim->stop_reason = SIM_STOP_NONE;
    while (!sim->stop) {
        SimTime t = sim_queue_peek_time(sim->queue);
        if (t == SIM_TIME_MAX || t > until)
            break;
        /* Only now: a run that needs no further event is complete. */
        if (limit_reached(sim))
            break;
        SimEventFn fn;
        void *data;
        sim_queue_pop(sim->queue, &t, &fn, &data);
        sim->now = t;
        sim->events++;
        fn(sim, data);
        /* Reading the clock costs about as much as an event; look at it only
         * every few thousand events. */
        if (sim->progress && (sim->events & 4095) == 0) {
            gint64 wall = g_get_monotonic_time();
            if (wall >= next_report) {
                sim->progress(sim, until, sim->progress_data);
                next_report = wall + sim->progress_every_us;
            }
        }
    }
    /* A run to a finite horizon has simulated the whole interval, idle tail
     * included, so the clock ends there. */
    if (!sim->stop && until != SIM_TIME_MAX && sim->now < until)
        sim->now = until;
    return sim->events - start_events;
}
