/* Simulated time: an integer count of nanoseconds.
 *
 * Time is never accumulated in floating point: a float sum drifts, and two
 * runs that add the same increments in a different grouping would disagree.
 * Conversions to seconds exist only for reporting. */
#ifndef DOM0SIM_SIM_TIME_H
#define DOM0SIM_SIM_TIME_H

#include <stdint.h>

typedef int64_t SimTime;

#define SIM_NS ((SimTime)1)
#define SIM_US ((SimTime)1000)
#define SIM_MS ((SimTime)1000000)
#define SIM_S ((SimTime)1000000000)
#define SIM_TIME_MAX INT64_MAX

/* Seconds (finite, >= 0) to nanoseconds, rounded to nearest; saturates at SIM_TIME_MAX. */
static inline SimTime sim_time_from_s(double s)
{
    double ns = s * 1e9;
    if (!(ns < 9.2e18))
        return SIM_TIME_MAX;
    return (SimTime)(ns + 0.5);
}

static inline double sim_time_to_s(SimTime t)
{
    return (double)t / 1e9;
}

#endif
