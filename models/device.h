/* Devices behind dom0's back-ends: a block device (Disk) and a full-duplex
 * Ethernet port (Nic), both event-driven on the Sim.  The caller says
 * whether an operation is sequential.  The only randomness is a spinning
 * disk's rotational position (ROTATIONAL LATENCY below) and, when a user
 * sets latency_cov, each op's access latency (LATENCY VARIATION), drawn
 * from a stream the caller gives (disk_set_rng); without one, for flash
 * at the default latency_cov 0, and for the NIC, the devices are
 * deterministic.
 *
 * DISK SERVICE MODEL
 *
 * An operation (op) passes three places:
 *   host FIFO  -> device queue (at most queue_depth ops, NCQ or NVMe queue)
 *              -> service (at most `parallelism` ops: 1 head, or the effective
 *                 concurrency of an SSD's flash and controller).
 * Ops beyond queue_depth wait in front of the device, which the caller sees as
 * queueing delay; both waits are FIFO (NCQ reordering is not modelled, so an
 * HDD's random IOPS do not grow with queue depth here).
 *
 * In service an op first spends its access latency (random or sequential, per
 * direction), then transfers its bytes.  Latencies of concurrent ops overlap
 * (positioning and flash reads proceed in parallel), but the device has one
 * data path, so the ops in their transfer phase share it by processor sharing:
 * with n ops transferring, each gets 1/n of the device's time and moves bytes
 * at its own direction's bandwidth / n.  Alone, an op therefore takes exactly
 *   latency + bytes / bandwidth.
 * Shares are recomputed at every transfer start and finish; remaining bytes
 * are kept as doubles and the next finish is always rescheduled from them at
 * an integer nanosecond, so no time is accumulated in floating point.
 *
 * Throughput of a saturated device (queue never shorter than parallelism P,
 * identical ops of size B, access latency L, bandwidth W) depends on how the
 * P ops in service are phased:
 *   staggered  IOPS = min(P / (L + B / W), W / B)
 *   burst      IOPS = P / (L + P * B / W)
 * Staggered is the steady state of real use: requests reach the device one
 * at a time through the guest's and dom0's driver stacks, each freed slot is
 * refilled as its op completes, and a datasheet's queue-depth-32 figure is a
 * benchmark held for minutes, so one op's latency overlaps the others'
 * transfers.  While P * B / W <= L + B / W (always so for 4 KiB on the presets
 * below) the transfers never meet and every op takes exactly L + B / W, as
 * alone; beyond it the data path is always busy and W / B is the bound.  In a
 * burst (P ops started together on an idle device) the ops finish their
 * latencies together, share the data path, finish together and are replaced
 * together, so the data path idles during every L and the device gets less.
 * Flash has no randomness here (the hdd's rotational wait below has P = 1,
 * where staggered and burst agree), so phases do not spread by themselves: a
 * burst closed loop stays synchronized for good, an evenly staggered one
 * (starts (L + B / W) / P apart) stays staggered, and starts closer together
 * than B / W make transfers overlap and land between the two figures.  The
 * presets are calibrated on the staggered figure, the one real arrivals
 * approach; the burst figure is what a simultaneous start gets.
 *
 * CALIBRATION (4 KiB random, B = 4096 bytes).  Bandwidths are the datasheet's
 * sequential ones.  P is fitted to reads: by Little's law P = IOPS x QD1
 * latency, rounded to the integer whose cycle P / IOPS comes closest to the
 * datasheet's QD1 latency.  Then L = P / IOPS - B / W for each direction,
 * rounded up to the ns so that the model never exceeds the datasheet (the
 * model keeps B / W to the nearest ns too).  Sequential latencies are the
 * datasheet's sequential (QD1, 4 KiB) latencies minus the 4 KiB transfer.
 * With P >= 4 and 128 KiB ops, (P - 1) * B / W exceeds the sequential
 * latency, so a staggered deep queue of large sequential ops keeps the data
 * path busy and reaches the datasheet bandwidth.
 *
 * PRESETS (hardware of 2012-2014, the period of the thesis's testbeds;
 * docs/CALIBRATION.md, "Devices")
 *   "hdd"  7200 rpm 4 TB enterprise SATA disk, Seagate Constellation ES.3
 *          class.  Bandwidth 129 MB/s both ways: the middle of the 83-175
 *          MB/s sustained range (inner to outer zone, Constellation ES.3
 *          product manual, 2012), since guest images lie anywhere on the
 *          platters.  Random latency 8.2 ms average seek (HGST Ultrastar
 *          7K4000 specification, read and write, 2012) + 4.17 ms average
 *          rotational latency (half a turn at 7200 rpm).  Sequential latency
 *          0.23 ms read / 0.44 ms write: one single-track seek (Constellation.2
 *          product manual), the most a stream pays between ops.  P = 1 (one
 *          actuator, so staggered and burst agree), queue depth 32 (SATA
 *          NCQ).  4 KiB random: 80.7 IOPS.
 *   "ssd"  Intel SSD DC S3700 (SATA, 2012).  500 / 460 MB/s sequential read /
 *          write; 75,000 / 36,000 random 4 KiB IOPS at queue depth 32; 50 / 65
 *          us typical sequential latency (Intel product specification).
 *          75,000 x 50 us = 3.75, so P = 4 (P = 3 would give a 40 us QD1
 *          read, P = 4 gives 53.3 us).  Random read latency 4 / 75,000 s -
 *          8.19 us = 45.142 us: 74,999 IOPS staggered, 53.3 us at QD1; a
 *          burst gets 51,341.  Random writes pay garbage collection in steady
 *          state, which the datasheet gives only as IOPS: latency 4 / 36,000
 *          s - 8.90 us = 102.208 us gives 35,999.7 IOPS (burst: 29,022).
 *          Sequential latency 41.808 / 56.096 us.  Queue depth 32 (SATA NCQ).
 *   "nvme" Intel SSD DC P3700 (PCIe NVMe, 2014).  2800 / 2000 MB/s, 460,000 /
 *          175,000 random 4 KiB IOPS, 20 / 20 us typical sequential latency
 *          (Intel product specification, "up to" figures).  460,000 x 20 us =
 *          9.2, so P = 9.  Random read latency 9 / 460,000 s - 1.46 us =
 *          18.103 us: 459,982 IOPS staggered, 19.6 us at QD1; a burst gets
 *          287,828.  Random write latency 9 / 175,000 s - 2.05 us = 49.381 us
 *          gives 174,998.5 IOPS (burst: 132,718).  Sequential latency 18.537 /
 *          17.952 us.  Queue depth 128, the deepest point of AnandTech's test
 *          sweep.
 *
 * ROTATIONAL LATENCY.  A random op on a disk that spins (rotation_s > 0,
 * the time of one revolution) waits for its sector to come under the head:
 * with no relation between where the previous op ended and where this one
 * starts, that wait is uniform on [0, rotation_s) (Ruemmler and Wilkes, "An
 * introduction to disk drive modeling", IEEE Computer 27(3), 1994), of
 * mean rotation_s / 2, the half turn the random latencies above already
 * hold.  So with a stream each random op's latency is L - rotation_s / 2 +
 * U(0, rotation_s): the mean (and every calibrated figure) is unchanged and
 * the coefficient of variation of the hdd preset's random 4 KiB access
 * (with its transfer) is (8.333 ms / sqrt 12) / 12.398 ms = 0.194.  The seek
 * is kept at its average (the 8.2 ms datasheet figure: the distribution of
 * seek distances and the seek curve are not modelled), so this CoV is a
 * lower bound.  Sequential ops continue on the same track: no rotational
 * wait.  Flash has no moving part and no published per-op latency
 * distribution adopted here: ssd and nvme stay deterministic (rotation 0).
 *
 * LATENCY VARIATION.  With latency_cov = c > 0 (and a stream), every op's
 * access latency (random or sequential, not its transfer) is drawn from a
 * gamma distribution of shape 1 / c^2 and scale L c^2: mean L, the
 * calibrated latency, so every calibrated mean figure stays, and CoV c.
 * Gamma because it is positive, its two parameters fit a mean and a CoV
 * exactly, c = 1 is the exponential (so M/M/1 checks apply) and E[S^2] =
 * L^2 (1 + c^2) is closed, as the Pollaczek-Khinchine mean wait wants.  The
 * draw is rounded to the ns (|bias| <= 0.5 ns).  No preset sets it: no
 * published per-op CoV of the S3700's or P3700's device latency (without
 * the host stack) was found to adopt (docs/CALIBRATION.md, "Devices"), so
 * flash stays deterministic by default and the key lets a user switch a
 * measured figure on.  A spinning disk's variation is its rotation, so
 * latency_cov > 0 requires rotation_s = 0 (one draw per op).
 *
 * Known deviations: the QD1 random read takes 53.3 / 19.6 us, not the
 * datasheets' 50 / 20 us (one integer P cannot fit both IOPS and latency
 * exactly), and not the ~150 us AnandTech measured through a host stack; write
 * caches are not modelled, so a lone random write on an SSD takes its
 * steady-state garbage-collection latency (QD1 111 / 51 us); an HDD pays its
 * single-track seek between sequential ops (P = 1 cannot hide it), so 128 KiB
 * streams get 105 MB/s and 1 MiB ones 125.5 MB/s of the 129.
 *
 * NIC MODEL
 *
 * Two independent FIFO servers at the line rate, transmit and receive (full
 * duplex).  A payload is cut into frames of at most `mtu` bytes; each frame
 * costs max(payload, 46) + 38 bytes on the wire (IEEE Std 802.3, clause 3:
 * preamble 7 + start delimiter 1 + addresses 12 + length/type 2 + FCS 4 = 26,
 * plus the 12-byte (96 bit-time) minimum inter-packet gap of clause 4; a
 * payload under 46 bytes is padded up to the 64-byte minimum frame).  TCP/IP
 * headers are the caller's payload.  Back to back, the wire time of all
 * messages of a busy period is computed from their total bits, so rounding
 * never accumulates. */
#ifndef DOM0SIM_DEVICE_H
#define DOM0SIM_DEVICE_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* ------------------------------------------------------------------ Disk */

typedef struct Disk Disk;

typedef struct {
    double read_bytes_per_s;       /* sequential read bandwidth, bytes/s, > 0 */
    double write_bytes_per_s;      /* sequential write bandwidth, bytes/s, > 0 */
    double random_read_latency_s;  /* access latency of a random read, s, >= 0 */
    double random_write_latency_s; /* ... of a random write, s, >= 0 */
    double seq_read_latency_s;     /* ... of a sequential read, s, >= 0 */
    double seq_write_latency_s;    /* ... of a sequential write, s, >= 0 */
    int parallelism;               /* ops serviced at once, 1..queue_depth */
    int queue_depth;    /* ops the device accepts at once, parallelism..DISK_MAX_QUEUE_DEPTH */
    double rotation_s;  /* one revolution, s; 0 for flash (no rotational variation); at most
                         * twice each random latency */
    double latency_cov; /* coefficient of variation of every op's access latency (gamma,
                         * mean kept), 0..DISK_MAX_LATENCY_COV; 0: each op at its mean.  Only
                         * with rotation_s 0.  See LATENCY VARIATION. */
} DiskParams;

/* Bounds latency_cov: a gamma of CoV 10 has shape 0.01, already all tail. */
#define DISK_MAX_LATENCY_COV 10.0

/* NVMe allows 65,536 entries per queue; no device accepts more at once. */
#define DISK_MAX_QUEUE_DEPTH 65536

typedef struct {
    uint64_t bytes; /* 0 is allowed: the op costs its latency only */
    bool is_write;
    bool sequential; /* continues where the previous op of the stream ended */
} DiskOp;

/* When an op went through each stage (ns).  submitted <= admitted (entered
 * the device queue) <= started (service began) <= completed. */
typedef struct {
    SimTime submitted, admitted, started, completed;
} DiskOpTimes;

/* Called once per op at its completion (the op and times are borrowed for
 * the call).  It may submit further ops; it must not free the disk. */
typedef void (*DiskDoneFn)(Disk *disk, const DiskOp *op, const DiskOpTimes *t, void *data);

/* Checks every field (finite, bandwidths > 0, latencies >= 0, 1 <= parallelism
 * <= queue_depth <= DISK_MAX_QUEUE_DEPTH); on error DOM0SIM_ERROR_INPUT naming
 * the field and its value, e.g. "read_bytes_per_s = 0: must be > 0 and finite". */
gboolean disk_params_validate(const DiskParams *p, GError **err);

/* Fills *out with the named preset ("hdd", "ssd", "nvme"); false (and *out
 * untouched) for an unknown name. */
bool disk_preset(const char *name, DiskParams *out);
/* The preset names, NULL-terminated, for messages and loops. */
const char *const *disk_preset_names(void);

/* Validates and builds an idle disk on `sim`; latencies are rounded to whole
 * ns here.  NULL and err set if the parameters are invalid. */
Disk *disk_new(Sim *sim, const DiskParams *p, GError **err);
/* Frees the disk; ops still pending are dropped without their callbacks. */
void disk_free(Disk *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Disk, disk_free)

const DiskParams *disk_params(const Disk *d);

/* Draws each random op's rotational position (rotation_s > 0), or each op's
 * access latency (latency_cov > 0), from `rng` (borrowed; NULL:
 * deterministic, every op at its mean latency).  See ROTATIONAL LATENCY and
 * LATENCY VARIATION; either way one draw per op. */
void disk_set_rng(Disk *d, gsl_rng *rng);

/* Queues an op at the current time; done(disk, op, times, data) runs at its
 * completion. */
void disk_submit(Disk *d, DiskOp op, DiskDoneFn done, void *data);

typedef struct {
    uint64_t submitted_ops, submitted_bytes;
    uint64_t read_ops, read_bytes; /* completed */
    uint64_t write_ops, write_bytes;
    double mean_in_service; /* time-average of ops in service since disk_new, ops */
    double mean_waiting;   /* ... of ops submitted and not yet started (device queue + host FIFO) */
    SimTime busy;          /* ns with at least one op in service */
    SimTime transfer_busy; /* ns with at least one op transferring (data path in use) */
    int in_service, in_device, host_queued; /* now; in_device includes in_service */
    int max_in_device;                      /* never above queue_depth */
    int max_host_queue;                     /* longest FIFO in front of the device */
} DiskStats;

/* A snapshot at the current simulated time. */
void disk_stats(const Disk *d, DiskStats *out);

/* ------------------------------------------------------------------- NIC */

typedef struct Nic Nic;

typedef enum { NIC_TX = 0, NIC_RX = 1 } NicDir;

#define NIC_DEFAULT_MTU 1500u  /* bytes: the largest payload of an IEEE 802.3 frame */
#define NIC_MAX_MTU 65535u     /* bytes: bounds vendor jumbo frames (not in 802.3) */
#define NIC_MIN_PAYLOAD 46u    /* bytes: shorter payloads are padded (64-byte minimum frame) */
#define NIC_FRAME_OVERHEAD 38u /* bytes/frame: preamble+SFD 8, header 14, FCS 4, gap 12 */

typedef struct {
    double rate_bps; /* line rate, bits/s, > 0 and finite */
    unsigned mtu;    /* largest payload per frame, bytes, 46..65535; 0 selects 1500 */
} NicParams;

/* What one nic_tx / nic_rx call amounted to (times in ns). */
typedef struct {
    uint64_t payload_bytes, frames, wire_bytes;
    SimTime submitted; /* when the call was made */
    SimTime started;   /* first bit on the wire (after the messages ahead of it) */
    SimTime completed; /* last bit on the wire */
} NicXfer;

typedef void (*NicDoneFn)(Nic *nic, NicDir dir, const NicXfer *x, void *data);

/* Checks rate (> 0, finite) and mtu (0 or 46..65535); DOM0SIM_ERROR_INPUT
 * naming the field otherwise. */
gboolean nic_params_validate(const NicParams *p, GError **err);

Nic *nic_new(Sim *sim, const NicParams *p, GError **err);
/* Frees the port; messages still on the wire are dropped without callbacks. */
void nic_free(Nic *n);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Nic, nic_free)

/* The MTU in effect (bytes). */
unsigned nic_mtu(const Nic *n);

/* Sends payload_bytes (0 sends one minimum frame) on the transmit pipe;
 * done runs when its last bit is on the wire. */
void nic_tx(Nic *n, uint64_t payload_bytes, NicDoneFn done, void *data);
/* The same on the receive pipe, for data arriving from the network. */
void nic_rx(Nic *n, uint64_t payload_bytes, NicDoneFn done, void *data);

/* As nic_tx or nic_rx, with the bytes on the wire as they are: no frames,
 * headers, padding or gaps, an ideal link at the line rate (so that a stream
 * can be checked against closed forms; migrations[].framing false). */
void nic_send_unframed(Nic *n, NicDir dir, uint64_t bytes, NicDoneFn done, void *data);
/* How long the pipe takes to carry payload_bytes when idle, framed as nic_tx
 * frames them or unframed, ns (rounded as the pipe rounds). */
SimTime nic_wire_time(const Nic *n, uint64_t payload_bytes, bool framed);

/* Bytes on the wire for a payload cut into frames of at most mtu bytes
 * (mtu 0 selects 1500); the frame count goes to *frames if non-NULL. */
uint64_t nic_wire_bytes(unsigned mtu, uint64_t payload_bytes, uint64_t *frames);
/* Payload bits/s when payloads of this size are sent back to back:
 * rate * payload / nic_wire_bytes(payload); for one full frame
 * rate * 1500 / 1538. */
double nic_max_goodput_bps(const NicParams *p, uint64_t payload_bytes);

typedef struct {
    uint64_t frames, payload_bytes, wire_bytes; /* completed (fully on the wire) */
    SimTime busy;                               /* ns the pipe was sending */
    int queued;                                 /* messages accepted, not yet completed */
} NicStats;

/* A snapshot of one direction at the current simulated time. */
void nic_stats(const Nic *n, NicDir dir, NicStats *out);

#endif
