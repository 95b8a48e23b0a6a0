#include "models/device.h"

#include <math.h>
#include <string.h>

#include "sim/sim_error.h"
#include "sim/sim_rng.h"
#include "sim/sim_stats.h"

/* ================================================================= Disk */

typedef enum { REQ_HOST, REQ_DEVICE, REQ_LATENCY, REQ_TRANSFER } ReqState;

typedef struct DiskReq {
    Disk *disk;
    DiskOp op;
    DiskDoneFn done;
    void *data;
    DiskOpTimes t;
    ReqState state;
    SimEventId latency_ev;
    double remaining; /* bytes still to transfer */
    double bw;        /* bytes/s of its direction when alone on the data path */
} DiskReq;

struct Disk {
    Sim *sim;
    DiskParams p;
    /* Latencies in whole ns, indexed [is_write][sequential]. */
    SimTime latency[2][2];
    gsl_rng *rng; /* rotational position or latency draws; NULL: deterministic */

    GQueue host;    /* DiskReq *, FIFO in front of the device */
    GQueue device;  /* DiskReq *, accepted but not yet in service */
    GQueue service; /* DiskReq *, in service, in the order they started */
    int n_service, n_transfer;

    /* Processor sharing of the data path: remaining bytes of the transferring
     * ops are exact as of ps_last; finish_ev is the next finish. */
    SimTime ps_last;
    SimEventId finish_ev;

    uint64_t submitted_ops, submitted_bytes;
    uint64_t done_ops[2], done_bytes[2];
    SimTimeAvg in_service_avg, waiting_avg;
    SimTime busy, busy_since;
    SimTime xfer_busy, xfer_since;
    int max_in_device, max_host;
};

static gboolean check_positive(const char *name, double v, GError **err)
{
    /* Written as a negation so that NaN fails too. */
    if (!(v > 0.0) || isinf(v)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s = %g: must be > 0 and finite",
                    name, v);
        return FALSE;
    }
    return TRUE;
}

static gboolean check_latency(const char *name, double v, GError **err)
{
    if (!(v >= 0.0) || isinf(v)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s = %g s: must be >= 0 and finite",
                    name, v);
        return FALSE;
    }
    /* Beyond about 292 years the latency no longer fits in a SimTime. */
    if (v > 9.2e9) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s = %g s: too large", name, v);
        return FALSE;
    }
    return TRUE;
}

gboolean disk_params_validate(const DiskParams *p, GError **err)
{
    g_return_val_if_fail(p != NULL, FALSE);
    if (!check_positive("read_bytes_per_s", p->read_bytes_per_s, err) ||
        !check_positive("write_bytes_per_s", p->write_bytes_per_s, err) ||
        !check_latency("random_read_latency_s", p->random_read_latency_s, err) ||
        !check_latency("random_write_latency_s", p->random_write_latency_s, err) ||
        !check_latency("seq_read_latency_s", p->seq_read_latency_s, err) ||
        !check_latency("seq_write_latency_s", p->seq_write_latency_s, err) ||
        !check_latency("rotation_s", p->rotation_s, err))
        return FALSE;
    /* The uniform wait must fit inside each random latency, centred on half a turn. */
    if (p->rotation_s > 2.0 * fmin(p->random_read_latency_s, p->random_write_latency_s)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "rotation_s = %g s: must be at most twice the random latencies (%g, %g s)",
                    p->rotation_s, p->random_read_latency_s, p->random_write_latency_s);
        return FALSE;
    }
    if (!(p->latency_cov >= 0.0) || p->latency_cov > DISK_MAX_LATENCY_COV) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "latency_cov = %g: must be 0..%g",
                    p->latency_cov, DISK_MAX_LATENCY_COV);
        return FALSE;
    }
    /* One source of variation per op: a spinning disk's is its rotation. */
    if (p->latency_cov > 0.0 && p->rotation_s > 0.0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "latency_cov = %g: needs rotation_s = 0 (a spinning disk varies by its "
                    "rotation), rotation_s is %g s",
                    p->latency_cov, p->rotation_s);
        return FALSE;
    }
    if (p->queue_depth < 1 || p->queue_depth > DISK_MAX_QUEUE_DEPTH) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "queue_depth = %d: must be 1..%d",
                    p->queue_depth, DISK_MAX_QUEUE_DEPTH);
        return FALSE;
    }
    /* A device cannot work on an op it has not accepted. */
    if (p->parallelism < 1 || p->parallelism > p->queue_depth) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "parallelism = %d: must be 1..queue_depth (%d)", p->parallelism,
                    p->queue_depth);
        return FALSE;
    }
    return TRUE;
}

/* Datasheet figures of the presets; the derivations are in device.h and
 * docs/CALIBRATION.md ("Devices"). */
#define KIB4 4096.0

/* Seagate Constellation ES.3 (sustained rate range) with the HGST Ultrastar
 * 7K4000's average seek and the Constellation.2's single-track seek. */
#define HDD_BW ((83e6 + 175e6) / 2.0)      /* bytes/s: middle of 83-175 MB/s */
#define HDD_SEEK 8.2e-3                    /* s, average seek, read and write */
#define HDD_HALF_TURN (0.5 * 60.0 / 7200.) /* s, average rotational latency */
#define HDD_TRACK_SEEK_READ 0.23e-3        /* s, single-track seek */
#define HDD_TRACK_SEEK_WRITE 0.44e-3
#define SATA_NCQ_DEPTH 32 /* commands: SATA NCQ tags */

/* Random latencies are fitted so that the staggered steady state
 * P / (L + 4096 / W) meets the datasheet's random 4 KiB IOPS: L = P / IOPS -
 * 4096 / W, rounded up to the ns (the model keeps 4096 / W to the nearest ns
 * too), so the model stays at or just under the datasheet.  A burst of P ops
 * started together gets less, P / (L + P * 4096 / W); see device.h. */

/* Intel SSD DC S3700 product specification. */
#define S3700_READ_BW 500e6   /* bytes/s */
#define S3700_WRITE_BW 460e6  /* bytes/s */
#define S3700_READ_LAT 50e-6  /* s, typical, 4 KiB sequential */
#define S3700_WRITE_LAT 65e-6 /* s */
/* 75,000 IOPS x 50 us QD1 = 3.75 ops in service (Little's law): 4, whose
 * 53.3 us QD1 read is nearer 50 us than 3's 40 us. */
#define S3700_PARALLELISM 4
/* s: 4 / 75000 IOPS - 4096 B / 500 MB/s (8192 ns) = 45.1413 us, rounded up:
 * 74,999 IOPS staggered (burst 51,341), 53.334 us at QD1. */
#define S3700_RAND_READ_LAT 45.142e-6
/* s: 4 / 36000 IOPS - 4096 B / 460 MB/s (8904 ns) = 102.2071 us, rounded
 * up: 35,999.7 IOPS staggered (burst 29,022), 111.112 us at QD1. */
#define S3700_RAND_WRITE_LAT 102.208e-6

/* Intel SSD DC P3700 product specification ("up to" figures). */
#define P3700_READ_BW 2800e6
#define P3700_WRITE_BW 2000e6
#define P3700_LAT 20e-6 /* s, typical sequential, read and write */
/* 460,000 IOPS x 20 us QD1 = 9.2 ops in service: 9 (QD1 read 19.6 us; 10
 * would give 21.7 us). */
#define P3700_PARALLELISM 9
/* s: 9 / 460000 IOPS - 4096 B / 2800 MB/s (1463 ns) = 18.1022 us, rounded
 * up: 459,982 IOPS staggered (burst 287,828), 19.566 us at QD1. */
#define P3700_RAND_READ_LAT 18.103e-6
/* s: 9 / 175000 IOPS - 4096 B / 2000 MB/s (2048 ns) = 49.3806 us, rounded
 * up: 174,998.5 IOPS staggered (burst 132,718), 51.429 us at QD1. */
#define P3700_RAND_WRITE_LAT 49.381e-6
#define P3700_QUEUE_DEPTH 128

static const struct {
    const char *name;
    DiskParams p;
} disk_presets[] = {
    {"hdd",
     {
         .read_bytes_per_s = HDD_BW,
         .write_bytes_per_s = HDD_BW,
         .random_read_latency_s = HDD_SEEK + HDD_HALF_TURN,
         .random_write_latency_s = HDD_SEEK + HDD_HALF_TURN,
         .seq_read_latency_s = HDD_TRACK_SEEK_READ,
         .seq_write_latency_s = HDD_TRACK_SEEK_WRITE,
         .parallelism = 1,
         .queue_depth = SATA_NCQ_DEPTH,
         .rotation_s = 2.0 * HDD_HALF_TURN,
     }},
    {"ssd",
     {
         .read_bytes_per_s = S3700_READ_BW,
         .write_bytes_per_s = S3700_WRITE_BW,
         .random_read_latency_s = S3700_RAND_READ_LAT,
         .random_write_latency_s = S3700_RAND_WRITE_LAT,
         /* The datasheet latency includes the 4 KiB transfer. */
         .seq_read_latency_s = S3700_READ_LAT - KIB4 / S3700_READ_BW,
         .seq_write_latency_s = S3700_WRITE_LAT - KIB4 / S3700_WRITE_BW,
         .parallelism = S3700_PARALLELISM,
         .queue_depth = SATA_NCQ_DEPTH,
     }},
    {"nvme",
     {
         .read_bytes_per_s = P3700_READ_BW,
         .write_bytes_per_s = P3700_WRITE_BW,
         .random_read_latency_s = P3700_RAND_READ_LAT,
         .random_write_latency_s = P3700_RAND_WRITE_LAT,
         .seq_read_latency_s = P3700_LAT - KIB4 / P3700_READ_BW,
         .seq_write_latency_s = P3700_LAT - KIB4 / P3700_WRITE_BW,
         .parallelism = P3700_PARALLELISM,
         .queue_depth = P3700_QUEUE_DEPTH,
     }},
};

static const char *const disk_preset_name_list[] = {"hdd", "ssd", "nvme", NULL};

bool disk_preset(const char *name, DiskParams *out)
{
    g_return_val_if_fail(out != NULL, false);
    if (!name)
        return false;
    for (gsize i = 0; i < G_N_ELEMENTS(disk_presets); i++) {
        if (strcmp(disk_presets[i].name, name) == 0) {
            *out = disk_presets[i].p;
            return true;
        }
    }
    return false;
}

const char *const *disk_preset_names(void)
{
    return disk_preset_name_list;
}

Disk *disk_new(Sim *sim, const DiskParams *p, GError **err)
{
    g_return_val_if_fail(sim != NULL && p != NULL, NULL);
    if (!disk_params_validate(p, err))
        return NULL;
    Disk *d = g_new0(Disk, 1);
    d->sim = sim;
    d->p = *p;
    d->latency[0][0] = sim_time_from_s(p->random_read_latency_s);
    d->latency[0][1] = sim_time_from_s(p->seq_read_latency_s);
    d->latency[1][0] = sim_time_from_s(p->random_write_latency_s);
    d->latency[1][1] = sim_time_from_s(p->seq_write_latency_s);
    g_queue_init(&d->host);
    g_queue_init(&d->device);
    g_queue_init(&d->service);
    SimTime now = sim_now(sim);
    d->ps_last = now;
    sim_tavg_init(&d->in_service_avg, now, 0.0);
    sim_tavg_init(&d->waiting_avg, now, 0.0);
    return d;
}

static void drop_queue(Disk *d, GQueue *q)
{
    DiskReq *r;
    while ((r = g_queue_pop_head(q)) != NULL) {
        if (r->latency_ev != SIM_EVENT_NONE)
            sim_cancel(d->sim, r->latency_ev);
        g_free(r);
    }
}

void disk_free(Disk *d)
{
    if (!d)
        return;
    if (d->finish_ev != SIM_EVENT_NONE)
        sim_cancel(d->sim, d->finish_ev);
    drop_queue(d, &d->host);
    drop_queue(d, &d->device);
    drop_queue(d, &d->service);
    g_free(d);
}

const DiskParams *disk_params(const Disk *d)
{
    return &d->p;
}

/* Brings the time averages and the busy clocks up to date after the counts
 * changed at `now`. */
static void note_levels(Disk *d, SimTime now)
{
    sim_tavg_set(&d->in_service_avg, now, d->n_service);
    sim_tavg_set(&d->waiting_avg, now, (double)(d->device.length + d->host.length));
    int in_device = d->n_service + (int)d->device.length;
    d->max_in_device = MAX(d->max_in_device, in_device);
    d->max_host = MAX(d->max_host, (int)d->host.length);
}

/* Share of the data path each transferring op gets, as bytes/s for an op
 * whose bandwidth alone is bw. */
static double share(const Disk *d, double bw)
{
    return bw / d->n_transfer;
}

/* Moves every transferring op forward to `now` at its current share. */
static void ps_advance(Disk *d, SimTime now)
{
    SimTime dt = now - d->ps_last;
    d->ps_last = now;
    if (dt <= 0 || d->n_transfer == 0)
        return;
    double secs = sim_time_to_s(dt);
    for (GList *l = d->service.head; l; l = l->next) {
        DiskReq *r = l->data;
        if (r->state == REQ_TRANSFER)
            r->remaining -= share(d, r->bw) * secs;
    }
}

static void finish_fn(Sim *sim, void *data);

/* Schedules the next transfer finish from the current remaining bytes.  It
 * is recomputed from scratch at every change, so rounding to whole ns never
 * accumulates: each event time is within half a ns of the exact one. */
static void ps_reschedule(Disk *d)
{
    if (d->finish_ev != SIM_EVENT_NONE) {
        sim_cancel(d->sim, d->finish_ev);
        d->finish_ev = SIM_EVENT_NONE;
    }
    if (d->n_transfer == 0)
        return;
    double first = INFINITY;
    for (GList *l = d->service.head; l; l = l->next) {
        DiskReq *r = l->data;
        if (r->state == REQ_TRANSFER)
            first = fmin(first, fmax(r->remaining, 0.0) / share(d, r->bw));
    }
    d->finish_ev = sim_after(d->sim, sim_time_from_s(first), finish_fn, d);
    if (d->finish_ev == SIM_EVENT_NONE)
        g_critical("disk: transfer finish %g s ahead cannot be scheduled", first);
}

static void latency_fn(Sim *sim, void *data);

void disk_set_rng(Disk *d, gsl_rng *rng)
{
    d->rng = rng;
}

/* An op's access latency: its mean; with a stream and latency_cov > 0 a
 * gamma draw of that mean and CoV; or for a random op on a spinning disk
 * with a stream, the seek part plus a uniform rotational wait. */
static SimTime op_latency(Disk *d, const DiskOp *op)
{
    SimTime mean = d->latency[op->is_write][op->sequential];
    if (d->rng && d->p.latency_cov > 0.0)
        return (SimTime)llround(sim_rng_gamma_mean_cov(d->rng, (double)mean, d->p.latency_cov));
    if (!d->rng || op->sequential || d->p.rotation_s <= 0.0)
        return mean;
    SimTime turn = sim_time_from_s(d->p.rotation_s);
    return mean - turn / 2 + (SimTime)(gsl_rng_uniform(d->rng) * (double)turn);
}

/* Admits ops into the device up to queue_depth and starts them up to
 * parallelism, both in FIFO order. */
static void kick(Disk *d)
{
    SimTime now = sim_now(d->sim);
    while (d->host.length > 0 && d->n_service + (int)d->device.length < d->p.queue_depth) {
        DiskReq *r = g_queue_pop_head(&d->host);
        r->state = REQ_DEVICE;
        r->t.admitted = now;
        g_queue_push_tail(&d->device, r);
    }
    while (d->device.length > 0 && d->n_service < d->p.parallelism) {
        DiskReq *r = g_queue_pop_head(&d->device);
        r->state = REQ_LATENCY;
        r->t.started = now;
        g_queue_push_tail(&d->service, r);
        if (d->n_service++ == 0)
            d->busy_since = now;
        r->latency_ev = sim_after(d->sim, op_latency(d, &r->op), latency_fn, r);
    }
    note_levels(d, now);
}

/* Completes the ops in `done` (already out of service): counts them, lets
 * waiting ops in, then runs the callbacks, which may submit more. */
static void complete(Disk *d, GPtrArray *done)
{
    SimTime now = sim_now(d->sim);
    for (guint i = 0; i < done->len; i++) {
        DiskReq *r = g_ptr_array_index(done, i);
        r->t.completed = now;
        d->done_ops[r->op.is_write]++;
        d->done_bytes[r->op.is_write] += r->op.bytes;
    }
    if (d->n_service == 0)
        d->busy += now - d->busy_since;
    kick(d);
    ps_reschedule(d);
    for (guint i = 0; i < done->len; i++) {
        DiskReq *r = g_ptr_array_index(done, i);
        if (r->done)
            r->done(d, &r->op, &r->t, r->data);
        g_free(r);
    }
}

static void latency_fn(Sim *sim, void *data)
{
    DiskReq *r = data;
    Disk *d = r->disk;
    SimTime now = sim_now(sim);
    r->latency_ev = SIM_EVENT_NONE;
    ps_advance(d, now);
    if (r->op.bytes == 0) {
        g_queue_remove(&d->service, r);
        d->n_service--;
        GPtrArray *done = g_ptr_array_new();
        g_ptr_array_add(done, r);
        complete(d, done);
        g_ptr_array_free(done, TRUE);
        return;
    }
    r->state = REQ_TRANSFER;
    if (d->n_transfer++ == 0)
        d->xfer_since = now;
    ps_reschedule(d);
}

static void finish_fn(Sim *sim, void *data)
{
    Disk *d = data;
    SimTime now = sim_now(sim);
    d->finish_ev = SIM_EVENT_NONE;
    ps_advance(d, now);
    /* The event stands within half a ns of the exact finish, so an op is done
     * when less than one ns of its service is left; ops tied with it (equal
     * sizes started together) finish in the same event, in start order. */
    GPtrArray *done = g_ptr_array_new();
    int n = d->n_transfer;
    for (GList *l = d->service.head; l;) {
        GList *next = l->next;
        DiskReq *r = l->data;
        if (r->state == REQ_TRANSFER && r->remaining <= r->bw / n * 1e-9) {
            g_queue_delete_link(&d->service, l);
            d->n_service--;
            d->n_transfer--;
            g_ptr_array_add(done, r);
        }
        l = next;
    }
    if (d->n_transfer == 0 && n > 0)
        d->xfer_busy += now - d->xfer_since;
    complete(d, done);
    g_ptr_array_free(done, TRUE);
}

void disk_submit(Disk *d, DiskOp op, DiskDoneFn done, void *data)
{
    g_return_if_fail(d != NULL);
    DiskReq *r = g_new0(DiskReq, 1);
    r->disk = d;
    r->op = op;
    r->done = done;
    r->data = data;
    r->state = REQ_HOST;
    r->t.submitted = sim_now(d->sim);
    r->remaining = (double)op.bytes;
    r->bw = op.is_write ? d->p.write_bytes_per_s : d->p.read_bytes_per_s;
    d->submitted_ops++;
    d->submitted_bytes += op.bytes;
    g_queue_push_tail(&d->host, r);
    kick(d);
}

void disk_stats(const Disk *d, DiskStats *out)
{
    SimTime now = sim_now(d->sim);
    *out = (DiskStats){
        .submitted_ops = d->submitted_ops,
        .submitted_bytes = d->submitted_bytes,
        .read_ops = d->done_ops[0],
        .read_bytes = d->done_bytes[0],
        .write_ops = d->done_ops[1],
        .write_bytes = d->done_bytes[1],
        .mean_in_service = sim_tavg_mean(&d->in_service_avg, now),
        .mean_waiting = sim_tavg_mean(&d->waiting_avg, now),
        .busy = d->busy + (d->n_service > 0 ? now - d->busy_since : 0),
        .transfer_busy = d->xfer_busy + (d->n_transfer > 0 ? now - d->xfer_since : 0),
        .in_service = d->n_service,
        .in_device = d->n_service + (int)d->device.length,
        .host_queued = (int)d->host.length,
        .max_in_device = d->max_in_device,
        .max_host_queue = d->max_host,
    };
}

/* ================================================================== NIC */

typedef struct {
    SimTime busy_start;  /* start of the current (or last) busy period */
    SimTime free_at;     /* when the last accepted bit leaves */
    double period_bits;  /* bits accepted since busy_start */
    SimTime busy_closed; /* length of the busy periods before the current one */
    GQueue msgs;         /* NicMsg *, in wire order */
    uint64_t frames, payload, wire;
} NicPipe;

struct Nic {
    Sim *sim;
    NicParams p;
    NicPipe pipe[2];
};

typedef struct {
    Nic *nic;
    NicDir dir;
    NicXfer x;
    NicDoneFn done;
    void *data;
    SimEventId ev;
} NicMsg;

static unsigned effective_mtu(unsigned mtu)
{
    return mtu == 0 ? NIC_DEFAULT_MTU : mtu;
}

gboolean nic_params_validate(const NicParams *p, GError **err)
{
    g_return_val_if_fail(p != NULL, FALSE);
    if (!check_positive("rate_bps", p->rate_bps, err))
        return FALSE;
    if (p->mtu != 0 && (p->mtu < NIC_MIN_PAYLOAD || p->mtu > NIC_MAX_MTU)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "mtu = %u bytes: must be %u..%u (0 selects %u)", p->mtu, NIC_MIN_PAYLOAD,
                    NIC_MAX_MTU, NIC_DEFAULT_MTU);
        return FALSE;
    }
    return TRUE;
}

Nic *nic_new(Sim *sim, const NicParams *p, GError **err)
{
    g_return_val_if_fail(sim != NULL && p != NULL, NULL);
    if (!nic_params_validate(p, err))
        return NULL;
    Nic *n = g_new0(Nic, 1);
    n->sim = sim;
    n->p = *p;
    n->p.mtu = effective_mtu(p->mtu);
    for (int i = 0; i < 2; i++)
        g_queue_init(&n->pipe[i].msgs);
    return n;
}

void nic_free(Nic *n)
{
    if (!n)
        return;
    for (int i = 0; i < 2; i++) {
        NicMsg *m;
        while ((m = g_queue_pop_head(&n->pipe[i].msgs)) != NULL) {
            sim_cancel(n->sim, m->ev);
            g_free(m);
        }
    }
    g_free(n);
}

unsigned nic_mtu(const Nic *n)
{
    return n->p.mtu;
}

uint64_t nic_wire_bytes(unsigned mtu, uint64_t payload_bytes, uint64_t *frames)
{
    mtu = effective_mtu(mtu);
    uint64_t full = payload_bytes / mtu, rest = payload_bytes % mtu;
    uint64_t wire = full * (mtu + NIC_FRAME_OVERHEAD);
    uint64_t n = full;
    /* The partial last frame, or the one minimum frame of an empty payload. */
    if (rest > 0 || full == 0) {
        wire += MAX(rest, (uint64_t)NIC_MIN_PAYLOAD) + NIC_FRAME_OVERHEAD;
        n++;
    }
    if (frames)
        *frames = n;
    return wire;
}

double nic_max_goodput_bps(const NicParams *p, uint64_t payload_bytes)
{
    uint64_t wire = nic_wire_bytes(p->mtu, payload_bytes, NULL);
    return p->rate_bps * (double)payload_bytes / (double)wire;
}

static void nic_msg_done(Sim *sim, void *data)
{
    (void)sim;
    NicMsg *m = data;
    NicPipe *pp = &m->nic->pipe[m->dir];
    /* Completion times rise with wire order and equal times run FIFO, so the
     * message done is always the oldest one. */
    NicMsg *head = g_queue_pop_head(&pp->msgs);
    g_assert(head == m);
    pp->frames += m->x.frames;
    pp->payload += m->x.payload_bytes;
    pp->wire += m->x.wire_bytes;
    if (m->done)
        m->done(m->nic, m->dir, &m->x, m->data);
    g_free(m);
}

static uint64_t wire_bytes(const Nic *n, uint64_t payload, bool framed, uint64_t *frames)
{
    if (framed)
        return nic_wire_bytes(n->p.mtu, payload, frames);
    *frames = 0;
    return payload;
}

static void pipe_send(Nic *n, NicDir dir, uint64_t payload, bool framed, NicDoneFn done, void *data)
{
    NicPipe *pp = &n->pipe[dir];
    SimTime now = sim_now(n->sim);
    NicMsg *m = g_new0(NicMsg, 1);
    m->nic = n;
    m->dir = dir;
    m->done = done;
    m->data = data;
    m->x.payload_bytes = payload;
    m->x.wire_bytes = wire_bytes(n, payload, framed, &m->x.frames);
    m->x.submitted = now;
    if (now >= pp->free_at) {
        /* The pipe went idle: close the busy period and open a new one. */
        pp->busy_closed += pp->free_at - pp->busy_start;
        pp->busy_start = now;
        pp->period_bits = 0.0;
    }
    m->x.started = MAX(now, pp->free_at);
    /* Every end time of a busy period comes from its total bits, so back-to-
     * back frames take exactly their wire time on average, whatever the rate.
     * Doubles hold whole bit counts exactly up to 2^53 bits (10 days at
     * 10 Gb/s without a pause). */
    pp->period_bits += 8.0 * (double)m->x.wire_bytes;
    pp->free_at = pp->busy_start + sim_time_from_s(pp->period_bits / n->p.rate_bps);
    m->x.completed = pp->free_at;
    g_queue_push_tail(&pp->msgs, m);
    m->ev = sim_at(n->sim, m->x.completed, nic_msg_done, m);
    if (m->ev == SIM_EVENT_NONE)
        g_critical("nic: message end at %" G_GINT64_FORMAT " ns cannot be scheduled",
                   (gint64)m->x.completed);
}

void nic_tx(Nic *n, uint64_t payload_bytes, NicDoneFn done, void *data)
{
    g_return_if_fail(n != NULL);
    pipe_send(n, NIC_TX, payload_bytes, true, done, data);
}

void nic_rx(Nic *n, uint64_t payload_bytes, NicDoneFn done, void *data)
{
    g_return_if_fail(n != NULL);
    pipe_send(n, NIC_RX, payload_bytes, true, done, data);
}

void nic_send_unframed(Nic *n, NicDir dir, uint64_t bytes, NicDoneFn done, void *data)
{
    g_return_if_fail(n != NULL && (dir == NIC_TX || dir == NIC_RX));
    pipe_send(n, dir, bytes, false, done, data);
}

SimTime nic_wire_time(const Nic *n, uint64_t payload_bytes, bool framed)
{
    uint64_t frames;
    double bits = 8.0 * (double)wire_bytes(n, payload_bytes, framed, &frames);
    /* As pipe_send ends a message that opens a busy period. */
    return sim_time_from_s(bits / n->p.rate_bps);
}

void nic_stats(const Nic *n, NicDir dir, NicStats *out)
{
    g_return_if_fail(dir == NIC_TX || dir == NIC_RX);
    const NicPipe *pp = &n->pipe[dir];
    SimTime now = sim_now(n->sim);
    *out = (NicStats){
        .frames = pp->frames,
        .payload_bytes = pp->payload,
        .wire_bytes = pp->wire,
        .busy = pp->busy_closed + (MIN(now, pp->free_at) - pp->busy_start),
        .queued = (int)pp->msgs.length,
    };
}
