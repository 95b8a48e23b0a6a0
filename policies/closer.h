/* closer's operations, shared with closer-rx, which differs from it only in
 * who pays for demultiplexing received packets. */
#ifndef DOM0SIM_CLOSER_H
#define DOM0SIM_CLOSER_H

#include "policies/policy.h"
#include "policies/rx_share.h"

gboolean policy__closer_validate(const cJSON *params, const PolicyHostInfo *host, const char *where,
                                 GError **err);
void policy__closer_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out);
/* closer's Algorithm 2, with the payer of a received packet's
 * demultiplexing chosen by rx_share_pick with `weight` (NULL: equal shares,
 * closer's own rule). */
void policy__closer_place_with(Host *h, const PolicyWork *w, PolicyPlacement *out,
                               RxShareWeightFn weight);
void policy__closer_place_rate(const PolicyDom0Size *dom0, Dom0WorkKind kind,
                               PolicyRatePlacement *out);
void policy__closer_started(Host *h, Domain *g);
void policy__closer_stopped(Host *h, Domain *g);
void policy__closer_tick(Host *h);

#endif
