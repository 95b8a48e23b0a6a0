/* A virtual network interface: Xen's netfront in a guest and netback in
 * dom0, joined by a TX and an RX ring (256 slots each, models/ring.h), one
 * event channel (models/evtchn.h) and grants (models/grant.h); dom0's bridge
 * joins every netback to the host's NIC (models/device.h).
 *
 * Transmit (xen/include/public/io/netif.h; Linux drivers/net/xen-netfront.c,
 * drivers/net/xen-netback/netback.c):
 *  1. netfront, on the sending guest vCPU, cuts a message into packets (GSO
 *     packets of up to 64 KiB when `gso`, else MTU-sized), grants each page
 *     of a packet read-only to dom0, puts one TX request per page on the
 *     ring and kicks netback when the ring says it waits for one.  A full
 *     ring holds packets back in netfront.
 *  2. netback's TX work (dom0, placed by the policy as guest-initiated I/O)
 *     takes a packet's slots, grant-copies its data into a dom0 buffer,
 *     answers each slot and hands the packet to the bridge, which sends it
 *     on the NIC or, for a guest of the same host, to that guest's RX path.
 * Receive:
 *  1. A frame arriving on the NIC costs dom0's driver and bridge work (an
 *     external event: closer runs it on the secondary vCPU that has
 *     contributed least to the guest paying for it) and is queued for the
 *     destination's netback.
 *  2. netback's RX work grant-copies the packet into pages the guest posted
 *     on the RX ring (one slot per page), answers them and notifies.  With no
 *     posted buffer the packet waits in netback's queue; past the queue's
 *     limit it is dropped and counted.
 *  3. netfront's interrupt handler, on the guest's vCPU 0, takes the
 *     responses, posts fresh buffers and hands complete messages up.
 *
 * CPU costs are for a reference core with local memory; copies are
 * memory-bound and the per-packet work partly so (mem_fraction), stretched
 * by the NUMA distance between the pCPU that runs them and the guest's
 * memory. */
#ifndef DOM0SIM_NETIF_H
#define DOM0SIM_NETIF_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/domain.h"
#include "models/vcpu.h"

struct Host;

/* CPU costs of the split network driver and dom0's NIC path, ns on a
 * reference core. */
typedef struct {
    double back_packet_ns;   /* netback per packet, TX or RX (its mean) */
    double back_packet_cov;  /* CoV of a packet's back_packet_ns, gamma draw; 0: fixed */
    double copy_ns_per_byte; /* grant copy, fully memory-bound */
    double nic_packet_ns;    /* dom0's NIC driver and bridge per received frame burst */
    double front_packet_ns;  /* netfront per packet, in the guest */
    double mem_fraction;     /* memory-bound share of the per-packet costs */
} NetCosts;

typedef struct {
    bool gso;                  /* packets of up to 64 KiB (else one MTU) */
    unsigned rx_queue_packets; /* netback's queue when the guest posted no buffer */
    NetCosts costs;
} VifConfig;

typedef struct Vif Vif;

/* Called when a message has been delivered: sent completely on the wire
 * (TX) or received completely by the guest (RX). */
typedef void (*VifDoneFn)(void *data);

/* Connects guest g (domid registered with the host's grants and event
 * channels) to the host's bridge, posting a full RX ring of buffers. */
Vif *vif_new(struct Host *h, Domain *g, const VifConfig *cfg, GError **err);
void vif_free(Vif *v);

/* The guest sends `bytes` to the external network from vCPU `issuer`;
 * done(data) runs when the last bit is on the wire. */
void vif_send(Vif *v, uint64_t bytes, Vcpu *issuer, VifDoneFn done, void *data);
/* `bytes` arrive from the network for this guest; done(data) runs when the
 * guest has received all of it (never, if a packet of it was dropped). */
void vif_receive(Vif *v, uint64_t bytes, VifDoneFn done, void *data);

/* The guest is leaving: nothing more is handed up to it. */
void vif_disconnect(Vif *v);

/* Writes `<vm>.net.*` metrics: packets and bytes each way, RX drops,
 * notifications sent and suppressed, ring-full stalls. */
void vif_finish(Vif *v);

#endif
