#include "models/netif.h"

#include "models/device.h"
#include "models/evtchn.h"
#include "models/grant.h"
#include "models/host.h"
#include "models/ring.h"
#include "sim/sim_error.h"
#include "sim/sim_rng.h"

/* The largest GSO packet netfront hands netback: 64 KiB (XEN_NETIF_MAX_TX_SIZE
 * 0xFFFF in xen/include/public/io/netif.h). */
#define GSO_MAX_BYTES 65535u

typedef struct {
    Vif *vif;
    unsigned packets_left; /* not yet delivered or dropped */
    bool dropped;
    VifDoneFn done;
    void *data;
} NetMsg;

typedef struct {
    Vif *vif;
    NetMsg *msg;
    uint64_t bytes;
    unsigned pages;
    unsigned granted;
    uint64_t frames;   /* RX: wire frames it arrived in */
    int64_t *gref;     /* TX: the guest's pages */
    unsigned answered; /* TX: slots answered and taken by netfront */
    int refs;          /* TX: ring slots outstanding + the wire */
    Vcpu *issuer;
    WorkItem item;
} NetPkt;

/* An RX buffer netfront posts: a granted page. */
typedef struct {
    Vif *vif;
    int64_t gref;
    NetPkt *pkt; /* set when netback filled it */
    bool last;   /* the packet's last page */
} RxBuf;

struct Vif {
    Host *host;
    Sim *sim;
    Domain *guest;
    int domid;
    VifConfig cfg;
    gsl_rng *rng; /* draws back_packet_ns per packet when back_packet_cov > 0, else NULL */
    unsigned mtu;
    Ring *tx, *rx;
    uint32_t front_port, back_port;
    bool connected;
    uint32_t next_frame;

    GQueue tx_pending; /* NetPkt * in netfront waiting for slots */
    GQueue rx_queue;   /* NetPkt * in netback waiting for buffers */
    GHashTable *live;  /* every NetPkt, NetMsg and RxBuf not yet freed -> its free function */
    bool tx_busy, rx_busy, irq_busy;
    WorkItem irq_item;

    uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, rx_drops, tx_msgs, rx_msgs;
};

/* netback's fixed CPU cost of one packet, ns: its mean, or a gamma draw of
 * that mean and CoV back_packet_cov from the vif's stream. */
static double back_packet_cost(Vif *v)
{
    return sim_rng_gamma_mean_cov(v->rng, v->cfg.costs.back_packet_ns,
                                  v->cfg.costs.back_packet_cov);
}

/* ---- ownership ---------------------------------------------------------------- */

static void *track(Vif *v, void *p, GDestroyNotify fn)
{
    g_hash_table_insert(v->live, p, (gpointer)fn);
    return p;
}

static void untrack_free(Vif *v, void *p)
{
    GDestroyNotify fn = (GDestroyNotify)g_hash_table_lookup(v->live, p);
    g_hash_table_remove(v->live, p);
    if (fn)
        fn(p);
}

static void pkt_free(gpointer p)
{
    NetPkt *k = p;
    g_free(k->gref);
    g_free(k);
}

/* A message cut into packets of at most `max` bytes. */
static NetMsg *msg_new(Vif *v, uint64_t bytes, unsigned *n_packets, VifDoneFn done, void *data)
{
    unsigned max = v->cfg.gso ? GSO_MAX_BYTES : v->mtu;
    unsigned n = bytes == 0 ? 1 : (unsigned)((bytes + max - 1) / max);
    NetMsg *m = track(v, g_new0(NetMsg, 1), g_free);
    m->vif = v;
    m->packets_left = n;
    m->done = done;
    m->data = data;
    *n_packets = n;
    return m;
}

static NetPkt *pkt_new(Vif *v, NetMsg *m, uint64_t bytes, Vcpu *issuer)
{
    NetPkt *k = track(v, g_new0(NetPkt, 1), pkt_free);
    k->vif = v;
    k->msg = m;
    k->bytes = bytes;
    k->pages = bytes == 0 ? 1 : (unsigned)((bytes + GRANT_PAGE_BYTES - 1) / GRANT_PAGE_BYTES);
    k->gref = g_new(int64_t, k->pages);
    k->issuer = issuer;
    return k;
}

/* One packet of the message is delivered (or dropped); the last one
 * completes the message. */
static void msg_packet_done(Vif *v, NetMsg *m, bool dropped)
{
    m->dropped |= dropped;
    if (--m->packets_left > 0)
        return;
    VifDoneFn done = m->dropped ? NULL : m->done;
    void *data = m->data;
    untrack_free(v, m);
    if (done && v->connected)
        done(data);
}

static uint64_t packet_bytes(const Vif *v, uint64_t total, unsigned i, unsigned n)
{
    unsigned max = v->cfg.gso ? GSO_MAX_BYTES : v->mtu;
    return i + 1 < n ? max : total - (uint64_t)max * (n - 1);
}

/* ---- transmit ------------------------------------------------------------------- */

static void tx_release(Vif *v, NetPkt *k)
{
    if (--k->refs == 0)
        untrack_free(v, k);
}

/* Puts held-back packets on the TX ring while slots last. */
static void tx_push(Vif *v)
{
    bool pushed = false;
    while (!g_queue_is_empty(&v->tx_pending)) {
        NetPkt *k = g_queue_peek_head(&v->tx_pending);
        if (ring_free_requests(v->tx) < k->pages) {
            if (ring_full(v->tx))
                ring_push_request(v->tx, k); /* counted as a stall */
            break;
        }
        for (; k->granted < k->pages; k->granted++)
            if (grant_access(v->host->grants, v->domid, 0, v->next_frame++, true,
                             &k->gref[k->granted]) != GNTST_okay)
                break;
        if (k->granted < k->pages)
            break; /* the grant table is full: retry on the next completion */
        for (unsigned i = 0; i < k->pages; i++)
            ring_push_request(v->tx, k);
        g_queue_pop_head(&v->tx_pending);
        k->refs = 2; /* the slots' answers and the wire */
        pushed = true;
    }
    if (pushed && ring_push_requests_and_check_notify(v->tx))
        evtchn_send(v->host->evtchn, v->domid, v->front_port);
}

static void tx_sent(Vif *v, NetPkt *k);

static void wire_done(Nic *nic, NicDir dir, const NicXfer *x, void *data)
{
    NetPkt *k = data;
    (void)nic;
    (void)dir;
    (void)x;
    tx_sent(k->vif, k);
}

static void tx_sent(Vif *v, NetPkt *k)
{
    NetMsg *m = k->msg;
    tx_release(v, k);
    msg_packet_done(v, m, false);
}

static void tx_kick(Vif *v);

static void tx_work_done(WorkItem *w, void *data)
{
    NetPkt *k = data;
    Vif *v = k->vif;
    if (w->dropped)
        return;
    GrantSpace *gs = v->host->grants;
    for (unsigned i = 0; i < k->pages; i++) {
        grant_copy_page(gs, 0, v->domid, k->gref[i], k->bytes, i, false);
        ring_push_response(v->tx, k);
    }
    if (ring_push_responses_and_check_notify(v->tx))
        evtchn_send(v->host->evtchn, 0, v->back_port);
    v->tx_packets++;
    v->tx_bytes += k->bytes;
    /* The bridge forwards it out of the NIC. */
    nic_tx(v->host->nic, k->bytes, wire_done, k);
    v->tx_busy = false;
    tx_kick(v);
}

/* netback's TX side: one packet at a time, then re-arm and sleep. */
static void tx_kick(Vif *v)
{
    if (v->tx_busy)
        return;
    for (;;) {
        if (ring_unconsumed_requests(v->tx) > 0) {
            void *p = NULL;
            ring_take_request(v->tx, &p);
            NetPkt *k = p;
            /* The packet's other slots were published with the first. */
            for (unsigned i = 1; i < k->pages && ring_unconsumed_requests(v->tx) > 0; i++)
                ring_take_request(v->tx, NULL);
            const NetCosts *c = &v->cfg.costs;
            double fixed = back_packet_cost(v), copy = c->copy_ns_per_byte * (double)k->bytes;
            work_item_init(&k->item, fixed + copy, work_mem_share(c->mem_fraction, fixed, copy),
                           v->guest->mem, WORK_T3, tx_work_done, k);
            v->tx_busy = true;
            host_dom0_submit(v->host, DOM0_WORK_IO_GUEST, &k->item, v->guest, k->issuer);
            return;
        }
        if (!ring_final_check_for_requests(v->tx))
            return;
    }
}

typedef struct {
    Vif *vif;
    NetMsg *msg;
    unsigned n;
    uint64_t bytes;
    Vcpu *issuer;
    WorkItem item;
} SendJob;

static void send_job_done(WorkItem *w, void *data)
{
    SendJob *j = data;
    Vif *v = j->vif;
    if (!w->dropped && v->connected) {
        for (unsigned i = 0; i < j->n; i++) {
            NetPkt *k = pkt_new(v, j->msg, packet_bytes(v, j->bytes, i, j->n), j->issuer);
            g_queue_push_tail(&v->tx_pending, k);
        }
        tx_push(v);
    }
    untrack_free(v, j);
}

void vif_send(Vif *v, uint64_t bytes, Vcpu *issuer, VifDoneFn done, void *data)
{
    if (!v->connected)
        return;
    unsigned n;
    NetMsg *m = msg_new(v, bytes, &n, done, data);
    v->tx_msgs++;
    SendJob *j = track(v, g_new0(SendJob, 1), g_free);
    j->vif = v;
    j->msg = m;
    j->n = n;
    j->bytes = bytes;
    j->issuer = issuer;
    /* netfront's start_xmit runs on the sending vCPU. */
    const NetCosts *c = &v->cfg.costs;
    work_item_init(&j->item, c->front_packet_ns * n, c->mem_fraction, v->guest->mem, WORK_GUEST,
                   send_job_done, j);
    vcpu_submit(issuer, &j->item);
}

/* ---- receive -------------------------------------------------------------------- */

static void rx_post(Vif *v)
{
    while (ring_free_requests(v->rx) > 0) {
        RxBuf *b = track(v, g_new0(RxBuf, 1), g_free);
        b->vif = v;
        if (grant_access(v->host->grants, v->domid, 0, v->next_frame++, false, &b->gref) !=
            GNTST_okay) {
            untrack_free(v, b);
            break;
        }
        ring_push_request(v->rx, b);
    }
    if (ring_push_requests_and_check_notify(v->rx))
        evtchn_send(v->host->evtchn, v->domid, v->front_port);
}

static void rx_kick(Vif *v);

static void rx_work_done(WorkItem *w, void *data)
{
    NetPkt *k = data;
    Vif *v = k->vif;
    if (w->dropped)
        return;
    GrantSpace *gs = v->host->grants;
    for (unsigned i = 0; i < k->pages; i++) {
        void *p = NULL;
        ring_take_request(v->rx, &p);
        RxBuf *b = p;
        grant_copy_page(gs, 0, v->domid, b->gref, k->bytes, i, true);
        b->pkt = k;
        b->last = i + 1 == k->pages;
        ring_push_response(v->rx, b);
    }
    if (ring_push_responses_and_check_notify(v->rx))
        evtchn_send(v->host->evtchn, 0, v->back_port);
    v->rx_packets++;
    v->rx_bytes += k->bytes;
    v->rx_busy = false;
    rx_kick(v);
}

/* netback's RX side: the next queued packet once the guest has posted
 * enough buffers for it. */
static void rx_kick(Vif *v)
{
    if (v->rx_busy || g_queue_is_empty(&v->rx_queue))
        return;
    NetPkt *k = g_queue_peek_head(&v->rx_queue);
    if (ring_unconsumed_requests(v->rx) < k->pages) {
        /* Ask netfront to notify when it posts more (final check arms
         * req_event), then look once more. */
        ring_final_check_for_requests(v->rx);
        if (ring_unconsumed_requests(v->rx) < k->pages)
            return;
    }
    g_queue_pop_head(&v->rx_queue);
    const NetCosts *c = &v->cfg.costs;
    double fixed = back_packet_cost(v), copy = c->copy_ns_per_byte * (double)k->bytes;
    work_item_init(&k->item, fixed + copy, work_mem_share(c->mem_fraction, fixed, copy),
                   v->guest->mem, WORK_T3, rx_work_done, k);
    v->rx_busy = true;
    host_dom0_submit(v->host, DOM0_WORK_IO_EXTERNAL, &k->item, v->guest, NULL);
}

/* dom0's driver and bridge took the frame off the NIC: queue it for the
 * destination's netback, or drop it when that queue is full. */
static void bridge_done(WorkItem *w, void *data)
{
    NetPkt *k = data;
    Vif *v = k->vif;
    if (w->dropped)
        return;
    /* The lookup is done: the destination is known, dropped or not. */
    if (v->connected)
        host_rx_demuxed(v->host, v->guest, k->frames);
    if (!v->connected || g_queue_get_length(&v->rx_queue) >= v->cfg.rx_queue_packets) {
        v->rx_drops++;
        NetMsg *m = k->msg;
        untrack_free(v, k);
        msg_packet_done(v, m, true);
        return;
    }
    g_queue_push_tail(&v->rx_queue, k);
    rx_kick(v);
}

static void arrived(Nic *nic, NicDir dir, const NicXfer *x, void *data)
{
    NetPkt *k = data;
    Vif *v = k->vif;
    (void)nic;
    (void)dir;
    const NetCosts *c = &v->cfg.costs;
    /* One driver pass per frame; the bridge looks the destination up once
     * per packet.  Until it has, dom0 does not know whom the packet is for:
     * the policy sees only the flow's RSS hash.  Each guest's traffic is
     * modelled as one flow, hashed to its domid (so native's receive
     * queues take guests round robin, as irqbalance spreads their event
     * channels). */
    double cpu = c->nic_packet_ns * (double)x->frames;
    k->frames = x->frames;
    work_item_init(&k->item, cpu, c->mem_fraction, v->guest->mem, WORK_T3, bridge_done, k);
    host_dom0_submit_rx_demux(v->host, &k->item, v->guest, (uint32_t)v->domid);
}

void vif_receive(Vif *v, uint64_t bytes, VifDoneFn done, void *data)
{
    unsigned n;
    NetMsg *m = msg_new(v, bytes, &n, done, data);
    v->rx_msgs++;
    for (unsigned i = 0; i < n; i++) {
        NetPkt *k = pkt_new(v, m, packet_bytes(v, bytes, i, n), NULL);
        nic_rx(v->host->nic, k->bytes, arrived, k);
    }
}

/* ---- netfront's interrupt -------------------------------------------------------- */

static void irq_done(WorkItem *w, void *data)
{
    Vif *v = data;
    v->irq_busy = false;
    if (w->dropped || !v->connected)
        return;
    GrantSpace *gs = v->host->grants;
    do {
        while (ring_unconsumed_responses(v->tx) > 0) {
            void *p;
            ring_take_response(v->tx, &p);
            NetPkt *k = p;
            if (++k->answered == k->pages) {
                for (unsigned i = 0; i < k->pages; i++)
                    grant_end_access(gs, v->domid, k->gref[i]);
                tx_release(v, k);
            }
        }
    } while (ring_final_check_for_responses(v->tx));
    do {
        while (ring_unconsumed_responses(v->rx) > 0) {
            void *p;
            ring_take_response(v->rx, &p);
            RxBuf *b = p;
            grant_end_access(gs, v->domid, b->gref);
            NetPkt *k = b->pkt;
            bool last = b->last;
            untrack_free(v, b);
            if (last) {
                NetMsg *m = k->msg;
                untrack_free(v, k);
                msg_packet_done(v, m, false);
            }
        }
    } while (ring_final_check_for_responses(v->rx));
    tx_push(v);
    rx_post(v);
}

static void front_upcall(EvtchnTable *t, int domid, uint32_t port, void *data)
{
    Vif *v = data;
    evtchn_clear_pending(t, domid, port);
    if (!v->connected || v->irq_busy)
        return;
    unsigned n = MAX(1u, ring_unconsumed_responses(v->tx) + ring_unconsumed_responses(v->rx));
    const NetCosts *c = &v->cfg.costs;
    work_item_init(&v->irq_item, c->front_packet_ns * n, c->mem_fraction, v->guest->mem, WORK_GUEST,
                   irq_done, v);
    v->irq_busy = true;
    vcpu_submit(v->guest->vcpus->pdata[0], &v->irq_item);
}

static void back_upcall(EvtchnTable *t, int domid, uint32_t port, void *data)
{
    Vif *v = data;
    evtchn_clear_pending(t, domid, port);
    tx_kick(v);
    rx_kick(v);
}

/* ---- life cycle ------------------------------------------------------------------ */

Vif *vif_new(Host *h, Domain *g, const VifConfig *cfg, GError **err)
{
    Ring *tx = ring_new(1, RING_NETIF_TX_ENTRY_BYTES, err);
    if (!tx)
        return NULL;
    Ring *rx = ring_new(1, RING_NETIF_RX_ENTRY_BYTES, err);
    if (!rx) {
        ring_free(tx);
        return NULL;
    }
    Vif *v = g_new0(Vif, 1);
    v->host = h;
    v->sim = h->sim;
    v->guest = g;
    v->domid = g->domid;
    v->cfg = *cfg;
    v->mtu = nic_mtu(h->nic);
    if (cfg->costs.back_packet_cov > 0.0) {
        g_autofree char *stream = g_strdup_printf("%s.netback", g->name);
        v->rng = sim_rng(v->sim, stream);
    }
    v->tx = tx;
    v->rx = rx;
    v->connected = true;
    g_queue_init(&v->tx_pending);
    g_queue_init(&v->rx_queue);
    v->live = g_hash_table_new(g_direct_hash, g_direct_equal);
    int rc = evtchn_bind_pair(h->evtchn, g->domid, front_upcall, v, 0, back_upcall, v,
                              &v->front_port, &v->back_port);
    if (rc != EVTCHN_OK) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "guest '%s': no event channel for its network interface (error %d)", g->name,
                    rc);
        vif_free(v);
        return NULL;
    }
    rx_post(v);
    return v;
}

void vif_free(Vif *v)
{
    if (!v)
        return;
    GHashTableIter it;
    gpointer key, fn;
    g_hash_table_iter_init(&it, v->live);
    while (g_hash_table_iter_next(&it, &key, &fn))
        ((GDestroyNotify)fn)(key);
    g_hash_table_destroy(v->live);
    g_queue_clear(&v->tx_pending);
    g_queue_clear(&v->rx_queue);
    ring_free(v->tx);
    ring_free(v->rx);
    g_free(v);
}

void vif_disconnect(Vif *v)
{
    v->connected = false;
}

void vif_finish(Vif *v)
{
    if (!v || (v->tx_msgs == 0 && v->rx_msgs == 0))
        return; /* a guest that never used its network adds no rows */
    Sim *sim = v->sim;
    const char *vm = v->guest->name;
    sim_metric_addf(sim, (double)v->tx_packets, "%s.net.tx_packets", vm);
    sim_metric_addf(sim, (double)v->tx_bytes, "%s.net.tx_bytes", vm);
    sim_metric_addf(sim, (double)v->rx_packets, "%s.net.rx_packets", vm);
    sim_metric_addf(sim, (double)v->rx_bytes, "%s.net.rx_bytes", vm);
    sim_metric_addf(sim, (double)v->rx_drops, "%s.net.rx_drops", vm);
    sim_metric_addf(sim, (double)(ring_req_notify_sent(v->tx) + ring_req_notify_sent(v->rx)),
                    "%s.net.notify_to_back_sent", vm);
    sim_metric_addf(sim,
                    (double)(ring_req_notify_suppressed(v->tx) + ring_req_notify_suppressed(v->rx)),
                    "%s.net.notify_to_back_suppressed", vm);
    sim_metric_addf(sim, (double)(ring_rsp_notify_sent(v->tx) + ring_rsp_notify_sent(v->rx)),
                    "%s.net.notify_to_front_sent", vm);
    sim_metric_addf(sim,
                    (double)(ring_rsp_notify_suppressed(v->tx) + ring_rsp_notify_suppressed(v->rx)),
                    "%s.net.notify_to_front_suppressed", vm);
    sim_metric_addf(sim, (double)ring_stalls(v->tx), "%s.net.tx_ring_full_stalls", vm);
}
