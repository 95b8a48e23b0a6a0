/* `closer-rx`: closer with the thesis's future work on reception (its
 * "Prospects"): the driver and bridge pass of a received packet, which runs before dom0
 * knows whom the packet is for, runs on resources taken from the guests and
 * is billed to them in proportion to their recent network activity, so a
 * quiet guest pays little and a busy one more.
 *
 * Activity is each guest's received wire frames, as the bridge finds their
 * destination, in an exponentially weighted moving average of time constant
 * `activity_tau_ms` (policies/rx_share.h).  Frames are what the
 * demultiplexing costs (one driver pass per frame), so in a steady state a
 * guest pays for about what its own traffic caused.  Each packet's payer is
 * drawn by deficit counters, not the simulation's RNG: the shares hold
 * exactly over any stretch of packets, and adding the policy draws no
 * random numbers that would perturb the other components' streams.
 * Everything else is closer (policies/closer.c). */
#include "models/host.h"
#include "policies/closer.h"
#include "sim/sim_jget.h"

static SimTime tau(const Host *h)
{
    return sim_time_from_s(jget_num(h->policy_params, "activity_tau_ms") / 1e3);
}

static double activity(const Host *h, const Domain *g, SimTime now)
{
    return rx_activity_rate(g, now, tau(h));
}

static void closer_rx_place(Host *h, const PolicyWork *w, PolicyPlacement *out)
{
    policy__closer_place_with(h, w, out, activity);
}

static void closer_rx_demuxed(Host *h, Domain *g, uint64_t frames)
{
    rx_activity_note(g, sim_now(h->sim), tau(h), frames);
}

const PolicyOps policy_closer_rx_ops = {
    .name = "closer-rx",
    .description = "closer, with received packets' demultiplexing run on the guests' pCPUs and "
                   "billed to them in proportion to their recent network activity",
    .validate = policy__closer_validate,
    .size_dom0 = policy__closer_size,
    .place = closer_rx_place,
    .place_rate = policy__closer_place_rate,
    .guest_started = policy__closer_started,
    .guest_stopped = policy__closer_stopped,
    .rx_demuxed = closer_rx_demuxed,
    .tick = policy__closer_tick,
    .tick_period = 1000000000, /* 1 s: closer's, see docs/CALIBRATION.md */
};
