/* The simulation context: clock, pending events, random streams, metrics and
 * the time-series sink.  Everything a run mutates hangs off one Sim, so two
 * runs in one process never share state. */
#ifndef DOM0SIM_SIM_H
#define DOM0SIM_SIM_H

#include <glib.h>
#include <gsl/gsl_rng.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim_queue.h"
#include "sim/sim_time.h"

typedef struct Sim Sim;

Sim *sim_new(uint64_t seed);
void sim_free(Sim *sim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Sim, sim_free)

SimTime sim_now(const Sim *sim);
uint64_t sim_seed(const Sim *sim);
uint64_t sim_events_processed(const Sim *sim);

/* Schedules fn(sim, data) at absolute time t (>= now) or after a delay (>= 0).
 * Returns SIM_EVENT_NONE if t lies in the past: that is a model bug, which is
 * also counted in the metric "sim.past_events_refused". */
SimEventId sim_at(Sim *sim, SimTime t, SimEventFn fn, void *data);
SimEventId sim_after(Sim *sim, SimTime delay, SimEventFn fn, void *data);
bool sim_cancel(Sim *sim, SimEventId id);

/* The random stream of a component (see sim_rng.h). */
gsl_rng *sim_rng(Sim *sim, const char *component);

/* Summary metrics, written sorted by name into summary.json.  Setting a
 * name twice keeps the last value. */
void sim_metric_set(Sim *sim, const char *name, double value);
void sim_metric_setf(Sim *sim, double value, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Adds to a metric (absent counts as 0). */
void sim_metric_add(Sim *sim, const char *name, double delta);
void sim_metric_addf(Sim *sim, double delta, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Raises a metric to `value` if that is larger (absent counts as unset). */
void sim_metric_maxf(Sim *sim, double value, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
gboolean sim_metric_get(const Sim *sim, const char *name, double *value);
/* Names in sorted order (the array and strings are owned by the caller's
 * GPtrArray; strings are borrowed from the Sim). */
GPtrArray *sim_metric_names(const Sim *sim);

/* Time series: long-form rows "time_s,entity,metric,value" at the current
 * time.  Without a sink (sim_timeseries_open not called) rows are counted
 * but not written, so models need not care whether anyone listens. */
gboolean sim_timeseries_open(Sim *sim, const char *path, GError **err);
void sim_ts_record(Sim *sim, const char *entity, const char *metric, double value);
uint64_t sim_ts_rows(const Sim *sim);
/* Renames the finished file into place (or discards it when !keep). */
gboolean sim_timeseries_close(Sim *sim, gboolean keep, GError **err);

/* Progress reporting: called about every `every_wall_s` of wall-clock time. */
typedef void (*SimProgressFn)(const Sim *sim, SimTime horizon, void *data);
void sim_set_progress(Sim *sim, SimProgressFn fn, void *data, double every_wall_s);

/* Runs events in order until none is pending, the next lies beyond `until`,
 * or sim_stop was called.  Unless stopped, the clock then stands at `until`
 * (when finite): the idle tail is simulated time too.  Returns the events
 * run by this call. */
uint64_t sim_run(Sim *sim, SimTime until);
void sim_stop(Sim *sim);

/* Bounds on a run, checked by sim_run between events; reaching one stops
 * the run as sim_stop does, and sim_stop_reason says which.  A run that
 * needs no more events than the limit, or that ends before the deadline,
 * is not stopped. */
typedef enum {
    SIM_STOP_NONE,       /* the last sim_run reached its horizon or ran out of events */
    SIM_STOP_CALLED,     /* sim_stop (a model) */
    SIM_STOP_MAX_EVENTS, /* sim_set_max_events */
    SIM_STOP_DEADLINE,   /* sim_set_deadline */
    SIM_STOP_INTERRUPT,  /* the flag of sim_set_interrupt became non-zero */
} SimStopReason;
/* At most `max_events` events in all (counted as sim_events_processed);
 * 0 removes the limit. */
void sim_set_max_events(Sim *sim, uint64_t max_events);
/* Stops once g_get_monotonic_time() passes `deadline_us` (0: no deadline).
 * The clock is read every 65536 events, so the run overshoots by at most
 * that many events' time (a few milliseconds). */
void sim_set_deadline(Sim *sim, gint64 deadline_us);
/* Stops before the next event once *flag is non-zero: a signal handler
 * sets it.  NULL removes the check. */
void sim_set_interrupt(Sim *sim, const volatile sig_atomic_t *flag);
SimStopReason sim_stop_reason(const Sim *sim);

#endif
