/* A web-server guest: HTTP requests arrive from clients on the network
 * through the guest's virtual network interface (models/netif.h), each
 * costs the guest CPU, and the response goes back out the same way.
 *
 * Clients are either open (Poisson arrivals at `rate_per_s`, as httperf
 * sends at a fixed rate) or closed (`clients` users, each sending its next
 * request an exponential think time after the previous response). A
 * request's latency runs from its first byte reaching the host's NIC to
 * the last byte of its response leaving it, so it includes dom0's receive
 * and transmit work, the rings, the guest's scheduling and its CPU.
 *
 * Metrics: `<vm>.web.throughput_rps` (responses completed per second of the
 * run), `<vm>.web.latency_mean_s`, `<vm>.web.latency_p99_s` (exact, over
 * every response), `<vm>.web.requests`, `<vm>.web.completed`. */
#ifndef DOM0SIM_WEB_H
#define DOM0SIM_WEB_H

#include <cjson/cJSON.h>

#include "models/host.h"
#include "models/multiobj.h"
#include "sim/sim.h"

typedef struct Web Web;

/* From a validated "web" workload object of the guest named vm. */
Web *web_new(Sim *sim, const char *vm, const cJSON *spec);
void web_free(Web *w);

/* Starts (or resumes, after a migration) serving in guest g on host h. */
void web_attach(Web *w, Host *h, Domain *g);
/* Stops: no new requests; those in flight are forgotten. */
void web_detach(Web *w);
/* Requests sent by the clients and responses completed, their mean latency,
 * and as service the guest CPU of one request (models/multiobj.h). */
void web_sample(const Web *w, MultiobjSample *s);
/* Observations before warmup (>= 0) are deleted; warmup < 0: MSER-5 (sim_stats.h). */
void web_set_warmup(Web *w, SimTime warmup);
void web_finish(Web *w);

#endif
