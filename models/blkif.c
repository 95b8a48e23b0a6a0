#include "models/blkif.h"

#include <math.h>

#include "models/device.h"
#include "models/evtchn.h"
#include "models/grant.h"
#include "models/host.h"
#include "models/ring.h"
#include "sim/sim_error.h"

/* Operation codes (blkif.h): BLKIF_OP_READ 0, BLKIF_OP_WRITE 1.  Anything
 * else a hostile guest might write is unknown to this back end. */
#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_BOGUS 0x7f

typedef struct BlkIo BlkIo;

typedef struct {
    Vbd *vbd;
    BlkIo *io; /* NULL for a garbage request */
    uint64_t id;
    int op;
    unsigned nseg;      /* data segments */
    unsigned nindirect; /* indirect descriptor pages (also granted) */
    unsigned ngranted;  /* refs in gref[] granted so far */
    int64_t *gref;      /* nseg + nindirect refs */
    int64_t *handle;    /* blkback's mappings, nseg + nindirect */
    uint64_t bytes;
    bool sequential;
    bool garbage_gref; /* gref[] was forged by the guest: never end its access */
    Vcpu *issuer;
    int status;
    WorkItem item;
} BlkReq;

struct BlkIo {
    Vbd *vbd;
    int outstanding; /* requests not yet answered */
    bool ok;
    VbdDoneFn done;
    void *data;
    GPtrArray *reqs; /* BlkReq *, until handed to blkfront's queue */
    WorkItem item;   /* blkfront's submission work on the issuing vCPU */
};

struct Vbd {
    Host *host;
    Sim *sim;
    Domain *guest;
    int domid;
    VbdConfig cfg;
    unsigned max_segments; /* per request, as negotiated */
    Ring *ring;
    uint32_t front_port, back_port;
    bool connected;

    GQueue pending;          /* BlkReq * in blkfront not yet on the ring */
    GHashTable *live;        /* BlkReq * -> itself: every request not yet freed */
    GHashTable *outstanding; /* id -> BlkReq *: what blkfront issued and awaits */
    GHashTable *ios;         /* BlkIo * -> itself: submissions not yet completed */
    uint64_t next_id;
    uint32_t next_frame;

    bool back_busy;    /* blkback's thread is running or queued */
    bool irq_busy;     /* blkfront's interrupt handler is queued or running */
    WorkItem irq_item; /* that handler's CPU work */

    /* Counters. */
    uint64_t requests, rsp_ok, rsp_error, rsp_eopnotsupp, bogus_ids;
    uint64_t bad_segments, bad_ops, grant_errors, grant_stalls;
    uint64_t bytes_done;
    SimTime disk_service_ns; /* device service time (start to completion) of its ops */
};

/* ---- helpers --------------------------------------------------------------- */

static void req_free(BlkReq *r)
{
    g_free(r->gref);
    g_free(r->handle);
    g_free(r);
}

static BlkReq *req_new(Vbd *v, BlkIo *io, int op, unsigned nseg, uint64_t bytes, bool seq,
                       Vcpu *issuer)
{
    BlkReq *r = g_new0(BlkReq, 1);
    r->vbd = v;
    r->io = io;
    r->id = v->next_id++;
    r->op = op;
    r->nseg = nseg;
    r->nindirect = nseg > BLKIF_MAX_SEGMENTS
                       ? (nseg + BLKIF_SEGS_PER_INDIRECT_PAGE - 1) / BLKIF_SEGS_PER_INDIRECT_PAGE
                       : 0;
    r->gref = g_new(int64_t, nseg + r->nindirect);
    r->handle = g_new(int64_t, nseg + r->nindirect);
    for (unsigned i = 0; i < nseg + r->nindirect; i++)
        r->gref[i] = r->handle[i] = -1;
    r->bytes = bytes;
    r->sequential = seq;
    r->issuer = issuer;
    g_hash_table_add(v->live, r);
    return r;
}

static void req_release(BlkReq *r)
{
    g_hash_table_remove(r->vbd->live, r);
    req_free(r);
}

/* ---- blkfront: issuing ------------------------------------------------------ */

/* Grants every page of r to dom0; on a full table gives back what it took
 * and says so, leaving the request to be retried. */
static bool front_grant(Vbd *v, BlkReq *r)
{
    unsigned n = r->nseg + r->nindirect;
    GrantSpace *gs = v->host->grants;
    for (; r->ngranted < n; r->ngranted++) {
        unsigned i = r->ngranted;
        /* A disk write only reads the guest's page; indirect pages are
         * only read by blkback. */
        bool ro = r->op == BLKIF_OP_WRITE || i >= r->nseg;
        int64_t ref;
        if (grant_access(gs, v->domid, 0, v->next_frame++, ro, &ref) != GNTST_okay) {
            for (unsigned k = 0; k < r->ngranted; k++)
                grant_end_access(gs, v->domid, r->gref[k]);
            r->ngranted = 0;
            v->grant_stalls++;
            return false;
        }
        r->gref[i] = ref;
    }
    return true;
}

/* Publishes blkfront's held-back requests while grants and slots last, and
 * kicks blkback if the ring says it is waiting for one. */
static void front_push(Vbd *v)
{
    bool pushed = false;
    while (!g_queue_is_empty(&v->pending)) {
        BlkReq *r = g_queue_peek_head(&v->pending);
        if (ring_full(v->ring)) {
            /* Counted by the ring as a stall: the front end is stopped. */
            ring_push_request(v->ring, r);
            break;
        }
        if (!r->garbage_gref && !front_grant(v, r))
            break;
        ring_push_request(v->ring, r);
        g_queue_pop_head(&v->pending);
        pushed = true;
    }
    if (pushed && ring_push_requests_and_check_notify(v->ring))
        evtchn_send(v->host->evtchn, v->domid, v->front_port);
}

static void io_submitted(WorkItem *w, void *data)
{
    BlkIo *io = data;
    (void)w;
    Vbd *v = io->vbd;
    if (io->item.dropped) {
        /* The guest stopped before blkfront queued the I/O. */
        for (guint i = 0; i < io->reqs->len; i++)
            req_release(io->reqs->pdata[i]);
        g_ptr_array_set_size(io->reqs, 0);
        return;
    }
    for (guint i = 0; i < io->reqs->len; i++) {
        BlkReq *r = io->reqs->pdata[i];
        g_hash_table_insert(v->outstanding, &r->id, r);
        g_queue_push_tail(&v->pending, r);
    }
    g_ptr_array_set_size(io->reqs, 0);
    front_push(v);
}

static void io_free(BlkIo *io)
{
    g_ptr_array_free(io->reqs, TRUE);
    g_free(io);
}

void vbd_submit(Vbd *v, uint64_t bytes, bool write, bool sequential, Vcpu *issuer, VbdDoneFn done,
                void *data)
{
    if (!v->connected)
        return;
    uint64_t pages = (bytes + GRANT_PAGE_BYTES - 1) / GRANT_PAGE_BYTES;
    if (pages == 0)
        pages = 1;
    BlkIo *io = g_new0(BlkIo, 1);
    io->vbd = v;
    io->ok = true;
    io->done = done;
    io->data = data;
    io->reqs = g_ptr_array_new();
    g_hash_table_add(v->ios, io);
    for (uint64_t done_pages = 0; done_pages < pages;) {
        unsigned nseg = (unsigned)MIN((uint64_t)v->max_segments, pages - done_pages);
        uint64_t rb = MIN((uint64_t)nseg * GRANT_PAGE_BYTES,
                          bytes - MIN(bytes, done_pages * GRANT_PAGE_BYTES));
        BlkReq *r = req_new(v, io, write ? BLKIF_OP_WRITE : BLKIF_OP_READ, nseg, rb,
                            sequential || done_pages > 0, issuer);
        g_ptr_array_add(io->reqs, r);
        done_pages += nseg;
    }
    io->outstanding = (int)io->reqs->len;
    v->requests += io->reqs->len;
    /* blkfront's queue_rq runs in the issuing task's context, on its vCPU. */
    const BlkCosts *c = &v->cfg.costs;
    work_item_init(&io->item, c->front_request_ns * io->reqs->len, c->mem_fraction, v->guest->mem,
                   WORK_GUEST, io_submitted, io);
    vcpu_submit(issuer, &io->item);
}

void vbd_submit_garbage(Vbd *v, BlkGarbage kind, Vcpu *issuer)
{
    if (!v->connected)
        return;
    unsigned nseg = kind == BLK_BAD_SEGMENTS ? v->max_segments + 1 : 1;
    int op = kind == BLK_BAD_OP ? BLKIF_OP_BOGUS : BLKIF_OP_READ;
    BlkReq *r = req_new(v, NULL, op, nseg, (uint64_t)nseg * GRANT_PAGE_BYTES, false, issuer);
    if (kind == BLK_BAD_GREF) {
        /* A reference past the end of the guest's table: never granted. */
        r->gref[0] = (int64_t)grant_table_entries(v->host->grants, v->domid) + 7;
        r->ngranted = 1;
        r->garbage_gref = true;
    } else if (kind == BLK_BAD_SEGMENTS && r->nindirect == 0) {
        /* Xen's fixed request has 11 segment slots: the twelfth reference
         * is whatever lies beyond them; the back end must not look. */
        r->garbage_gref = true;
        r->ngranted = 0;
    }
    if (kind != BLK_BAD_ID)
        g_hash_table_insert(v->outstanding, &r->id, r);
    else
        r->id = UINT64_MAX - r->id; /* an id blkfront never issued */
    v->requests++;
    g_queue_push_tail(&v->pending, r);
    front_push(v);
}

/* ---- blkback ------------------------------------------------------------------ */

static void back_kick(Vbd *v);

/* Pushes r's response and notifies blkfront when it asked for it. */
static void back_respond(Vbd *v, BlkReq *r, int status)
{
    r->status = status;
    if (status == BLKIF_RSP_OKAY)
        v->rsp_ok++;
    else if (status == BLKIF_RSP_EOPNOTSUPP)
        v->rsp_eopnotsupp++;
    else
        v->rsp_error++;
    ring_push_response(v->ring, r);
    if (ring_push_responses_and_check_notify(v->ring))
        evtchn_send(v->host->evtchn, 0, v->back_port);
}

static void back_unmap(Vbd *v, BlkReq *r)
{
    for (unsigned i = 0; i < r->nseg + r->nindirect; i++) {
        if (r->handle[i] >= 0)
            grant_unmap(v->host->grants, 0, r->handle[i]);
        r->handle[i] = -1;
    }
}

/* Grant-copies each data segment between dom0's buffer and the guest page;
 * to_guest: a read's data into the guest. */
static bool back_copy(Vbd *v, BlkReq *r, bool to_guest)
{
    for (unsigned i = 0; i < r->nseg; i++)
        if (grant_copy_page(v->host->grants, 0, v->domid, r->gref[i], r->bytes, i, to_guest) !=
            GNTST_okay)
            return false;
    return true;
}

static void completion_done(WorkItem *w, void *data)
{
    BlkReq *r = data;
    Vbd *v = r->vbd;
    if (w->dropped)
        return; /* the run is over; vbd_free reclaims r */
    bool ok = true;
    if (v->cfg.grant_mode == BLK_GRANT_MAP)
        back_unmap(v, r);
    else if (r->op == BLKIF_OP_READ)
        ok = back_copy(v, r, true);
    if (!ok)
        v->grant_errors++;
    v->bytes_done += ok ? r->bytes : 0;
    back_respond(v, r, ok ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR);
}

static void disk_done(Disk *disk, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    BlkReq *r = data;
    Vbd *v = r->vbd;
    (void)disk;
    (void)op;
    /* The trace's "disk I/O time": time the device spent serving this
     * guest's ops, queueing in front of the device excluded. */
    v->disk_service_ns += t->completed - t->started;
    const BlkCosts *c = &v->cfg.costs;
    double fixed = c->back_request_ns / 2.0;
    double copy = 0.0;
    if (v->cfg.grant_mode == BLK_GRANT_MAP)
        fixed += c->back_segment_ns / 2.0 * (r->nseg + r->nindirect);
    else if (r->op == BLKIF_OP_READ)
        copy = c->copy_ns_per_byte * (double)r->bytes;
    work_item_init(&r->item, fixed + copy, work_mem_share(c->mem_fraction, fixed, copy),
                   v->guest->mem, WORK_T3, completion_done, r);
    /* The completion interrupt follows the guest's own request. */
    host_dom0_submit(v->host, DOM0_WORK_IO_GUEST, &r->item, v->guest, r->issuer);
}

/* Checks, maps or copies, and submits one request; then takes the next. */
static void dispatch_done(WorkItem *w, void *data)
{
    BlkReq *r = data;
    Vbd *v = r->vbd;
    if (w->dropped)
        return;
    if (r->op != BLKIF_OP_READ && r->op != BLKIF_OP_WRITE) {
        v->bad_ops++;
        back_respond(v, r, BLKIF_RSP_EOPNOTSUPP);
    } else if (r->nseg == 0 || r->nseg > v->max_segments) {
        v->bad_segments++;
        back_respond(v, r, BLKIF_RSP_ERROR);
    } else {
        bool ok = true;
        if (v->cfg.grant_mode == BLK_GRANT_MAP) {
            /* A disk write only reads the guest's page. */
            for (unsigned i = 0; ok && i < r->nseg + r->nindirect; i++) {
                bool ro = r->op == BLKIF_OP_WRITE || i >= r->nseg;
                ok = grant_map(v->host->grants, 0, v->domid, r->gref[i], ro, &r->handle[i]) ==
                     GNTST_okay;
            }
        } else {
            /* Indirect pages are always mapped; data is copied. */
            for (unsigned i = r->nseg; ok && i < r->nseg + r->nindirect; i++)
                ok = grant_map(v->host->grants, 0, v->domid, r->gref[i], true, &r->handle[i]) ==
                     GNTST_okay;
            if (ok && r->op == BLKIF_OP_WRITE)
                ok = back_copy(v, r, false);
        }
        if (!ok) {
            v->grant_errors++;
            back_unmap(v, r);
            back_respond(v, r, BLKIF_RSP_ERROR);
        } else {
            DiskOp op = {.bytes = r->bytes,
                         .is_write = r->op == BLKIF_OP_WRITE,
                         .sequential = r->sequential};
            disk_submit(v->host->disk, op, disk_done, r);
        }
    }
    v->back_busy = false;
    back_kick(v);
}

/* blkback's thread: takes the next request, or re-arms the ring and
 * sleeps (xen_blkif_schedule / do_block_io_op). */
static void back_kick(Vbd *v)
{
    if (v->back_busy)
        return;
    for (;;) {
        if (ring_unconsumed_requests(v->ring) > 0) {
            void *p;
            if (ring_take_request(v->ring, &p) != RING_OK)
                return; /* a corrupt ring: blkback stops serving it */
            BlkReq *r = p;
            const BlkCosts *c = &v->cfg.costs;
            /* Parsing is paid even for a request that is then refused; a
             * write in copy mode copies its data in here. */
            double fixed = c->back_request_ns / 2.0;
            double copy = 0.0;
            bool sane = (r->op == BLKIF_OP_READ || r->op == BLKIF_OP_WRITE) && r->nseg > 0 &&
                        r->nseg <= v->max_segments;
            if (sane && v->cfg.grant_mode == BLK_GRANT_MAP)
                fixed += c->back_segment_ns / 2.0 * (r->nseg + r->nindirect);
            else if (sane && r->op == BLKIF_OP_WRITE)
                copy = c->copy_ns_per_byte * (double)r->bytes;
            work_item_init(&r->item, fixed + copy, work_mem_share(c->mem_fraction, fixed, copy),
                           v->guest->mem, WORK_T3, dispatch_done, r);
            v->back_busy = true;
            host_dom0_submit(v->host, DOM0_WORK_IO_GUEST, &r->item, v->guest, r->issuer);
            return;
        }
        if (!ring_final_check_for_requests(v->ring))
            return;
    }
}

static void back_upcall(EvtchnTable *t, int domid, uint32_t port, void *data)
{
    Vbd *v = data;
    evtchn_clear_pending(t, domid, port);
    back_kick(v);
}

/* ---- blkfront: completions ---------------------------------------------------- */

static void front_take_response(Vbd *v, BlkReq *r)
{
    BlkReq *known = g_hash_table_lookup(v->outstanding, &r->id);
    if (known != r) {
        /* An id blkfront never issued: Linux warns and ignores it. */
        v->bogus_ids++;
    } else {
        g_hash_table_remove(v->outstanding, &r->id);
    }
    if (!r->garbage_gref)
        for (unsigned i = 0; i < r->ngranted; i++)
            grant_end_access(v->host->grants, v->domid, r->gref[i]);
    BlkIo *io = known == r ? r->io : NULL;
    int status = r->status;
    req_release(r);
    if (!io)
        return;
    if (status != BLKIF_RSP_OKAY)
        io->ok = false;
    if (--io->outstanding == 0) {
        g_hash_table_remove(v->ios, io);
        VbdDoneFn done = io->done;
        void *data = io->data;
        bool ok = io->ok;
        io_free(io);
        if (v->connected && done)
            done(data, ok);
    }
}

static void irq_done(WorkItem *w, void *data)
{
    Vbd *v = data;
    v->irq_busy = false;
    if (w->dropped || !v->connected)
        return;
    do {
        while (ring_unconsumed_responses(v->ring) > 0) {
            void *p;
            ring_take_response(v->ring, &p);
            front_take_response(v, p);
        }
    } while (ring_final_check_for_responses(v->ring));
    front_push(v);
}

static void front_upcall(EvtchnTable *t, int domid, uint32_t port, void *data)
{
    Vbd *v = data;
    evtchn_clear_pending(t, domid, port);
    if (!v->connected || v->irq_busy)
        return;
    unsigned n = MAX(1u, ring_unconsumed_responses(v->ring));
    const BlkCosts *c = &v->cfg.costs;
    work_item_init(&v->irq_item, c->front_request_ns * n, c->mem_fraction, v->guest->mem,
                   WORK_GUEST, irq_done, v);
    v->irq_busy = true;
    vcpu_submit(v->guest->vcpus->pdata[0], &v->irq_item);
}

/* ---- life cycle --------------------------------------------------------------- */

Vbd *vbd_new(Host *h, Domain *g, const VbdConfig *cfg, GError **err)
{
    if (cfg->indirect_segments != 0 && (cfg->indirect_segments <= BLKIF_MAX_SEGMENTS ||
                                        cfg->indirect_segments > BLKIF_MAX_INDIRECT_SEGMENTS)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "indirect_segments = %u: expected 0 (off) or %u..%u", cfg->indirect_segments,
                    BLKIF_MAX_SEGMENTS + 1, BLKIF_MAX_INDIRECT_SEGMENTS);
        return NULL;
    }
    Ring *ring = ring_new(cfg->ring_pages, RING_BLKIF_ENTRY_BYTES, err);
    if (!ring)
        return NULL;
    Vbd *v = g_new0(Vbd, 1);
    v->host = h;
    v->sim = h->sim;
    v->guest = g;
    v->domid = g->domid;
    v->cfg = *cfg;
    v->max_segments = cfg->indirect_segments ? cfg->indirect_segments : BLKIF_MAX_SEGMENTS;
    v->ring = ring;
    v->connected = true;
    g_queue_init(&v->pending);
    v->live = g_hash_table_new(g_direct_hash, g_direct_equal);
    v->outstanding = g_hash_table_new(g_int64_hash, g_int64_equal);
    v->ios = g_hash_table_new(g_direct_hash, g_direct_equal);
    int rc = evtchn_bind_pair(h->evtchn, g->domid, front_upcall, v, 0, back_upcall, v,
                              &v->front_port, &v->back_port);
    if (rc != EVTCHN_OK) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "guest '%s': no event channel for its block device (error %d)", g->name, rc);
        vbd_free(v);
        return NULL;
    }
    return v;
}

void vbd_free(Vbd *v)
{
    if (!v)
        return;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, v->live);
    while (g_hash_table_iter_next(&it, &key, NULL))
        req_free(key);
    g_hash_table_iter_init(&it, v->ios);
    while (g_hash_table_iter_next(&it, &key, NULL))
        io_free(key);
    g_hash_table_destroy(v->live);
    g_hash_table_destroy(v->outstanding);
    g_hash_table_destroy(v->ios);
    g_queue_clear(&v->pending);
    ring_free(v->ring);
    g_free(v);
}

void vbd_disconnect(Vbd *v)
{
    v->connected = false;
}

SimTime vbd_disk_service_ns(const Vbd *v)
{
    return v ? v->disk_service_ns : 0;
}

void vbd_finish(Vbd *v)
{
    if (!v || v->requests == 0)
        return; /* a guest that never used its disk adds no rows */
    Sim *sim = v->sim;
    const char *vm = v->guest->name;
    sim_metric_addf(sim, (double)v->requests, "%s.blk.requests", vm);
    sim_metric_addf(sim, (double)v->rsp_ok, "%s.blk.responses_ok", vm);
    sim_metric_addf(sim, (double)v->rsp_error, "%s.blk.responses_error", vm);
    sim_metric_addf(sim, (double)v->rsp_eopnotsupp, "%s.blk.responses_eopnotsupp", vm);
    sim_metric_addf(sim, (double)v->bogus_ids, "%s.blk.bogus_ids", vm);
    sim_metric_addf(sim, (double)v->bad_segments, "%s.blk.bad_segments", vm);
    sim_metric_addf(sim, (double)v->bad_ops, "%s.blk.bad_ops", vm);
    sim_metric_addf(sim, (double)v->grant_errors, "%s.blk.grant_errors", vm);
    sim_metric_addf(sim, (double)v->grant_stalls, "%s.blk.grant_table_full", vm);
    sim_metric_addf(sim, (double)v->bytes_done, "%s.blk.bytes", vm);
    sim_metric_addf(sim, sim_time_to_s(v->disk_service_ns), "%s.blk.disk_io_s", vm);
    sim_metric_addf(sim, (double)ring_req_notify_sent(v->ring), "%s.blk.notify_to_back_sent", vm);
    sim_metric_addf(sim, (double)ring_req_notify_suppressed(v->ring),
                    "%s.blk.notify_to_back_suppressed", vm);
    sim_metric_addf(sim, (double)ring_rsp_notify_sent(v->ring), "%s.blk.notify_to_front_sent", vm);
    sim_metric_addf(sim, (double)ring_rsp_notify_suppressed(v->ring),
                    "%s.blk.notify_to_front_suppressed", vm);
    sim_metric_addf(sim, (double)ring_stalls(v->ring), "%s.blk.ring_full_stalls", vm);
    sim_metric_maxf(sim, (double)ring_peak_occupancy(v->ring), "%s.blk.ring_peak_occupancy", vm);
    sim_metric_setf(sim, (double)ring_size(v->ring), "%s.blk.ring_slots", vm);
}
