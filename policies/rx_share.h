/* Who pays for demultiplexing received packets (closer, closer-rx).
 *
 * The NIC driver and bridge pass of a received packet runs before dom0 knows
 * the packet's destination, so its payer cannot be the destination: it is
 * chosen among the resident guests by a share.  closer shares equally (the
 * thesis's fair rule, "the one that contributed least"); closer-rx in
 * proportion to each guest's recent network activity. */
#ifndef DOM0SIM_RX_SHARE_H
#define DOM0SIM_RX_SHARE_H

#include <stdint.h>

#include "models/host.h"

/* A guest's weight in the share, >= 0, at time `now`. */
typedef double (*RxShareWeightFn)(const Host *h, const Domain *g, SimTime now);

/* The resident guest (not gone, with vCPUs) that pays a demultiplexing item
 * of nominal cost `cost_ns`, or NULL when there is none.  Deficit counters:
 * every candidate's rx_credit_ns grows by cost_ns x its share of the total
 * weight, the candidate with the most credit pays (the earliest started on a
 * tie) and its credit falls by cost_ns.  Credits sum to zero, so each guest's
 * payments stay within a few items of its share of the work, and the choice
 * is deterministic.  `weight` NULL, or all weights zero: equal shares. */
Domain *rx_share_pick(Host *h, double cost_ns, RxShareWeightFn weight);

/* Adds `frames` received wire frames to g's activity at `now`: an
 * exponentially weighted moving average with time constant tau (ns). */
void rx_activity_note(Domain *g, SimTime now, SimTime tau, uint64_t frames);
/* g's activity at `now`, frames per second (the average rate over roughly
 * the last tau). */
double rx_activity_rate(const Domain *g, SimTime now, SimTime tau);

#endif
