/* The pending-event set: the simulator's hot path.
 *
 * Events run in a total order: by time, then by insertion order, so events
 * scheduled for the same instant run first-in first-out and a run repeats
 * exactly.  Time is monotone: an event may not be scheduled before the time
 * of the last event popped.  Cancellation is O(1): the event is marked dead
 * and reclaimed when it reaches the front, never searched for. */
#ifndef DOM0SIM_SIM_QUEUE_H
#define DOM0SIM_SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_time.h"

struct Sim;
typedef void (*SimEventFn)(struct Sim *sim, void *data);

/* Names one scheduled event.  0 is never a valid id, so it can mean "none".
 * An id stays unambiguous after its event ran or was cancelled: cancelling a
 * stale id is a harmless no-op that returns false. */
typedef uint64_t SimEventId;
#define SIM_EVENT_NONE ((SimEventId)0)

typedef struct SimQueue SimQueue;

SimQueue *sim_queue_new(void);
void sim_queue_free(SimQueue *q);

/* Schedules fn(sim, data) at time t.  t must be >= sim_queue_last_time(q);
 * returns SIM_EVENT_NONE (and schedules nothing) if it is not. */
SimEventId sim_queue_push(SimQueue *q, SimTime t, SimEventFn fn, void *data);

/* Marks a pending event dead.  Returns true if it was pending, false if it
 * already ran, was already cancelled, or the id is unknown.  O(1). */
bool sim_queue_cancel(SimQueue *q, SimEventId id);

/* Time of the earliest live event, or SIM_TIME_MAX when none is pending. */
SimTime sim_queue_peek_time(SimQueue *q);

/* Removes the earliest live event.  Returns false when none is pending. */
bool sim_queue_pop(SimQueue *q, SimTime *t, SimEventFn *fn, void **data);

/* Live (not cancelled) pending events. */
size_t sim_queue_len(const SimQueue *q);

/* Time of the last event popped (0 before the first pop). */
SimTime sim_queue_last_time(const SimQueue *q);

#endif
