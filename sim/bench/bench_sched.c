/* Scheduler benchmark: one host of 64 pCPUs running 200 always-busy vCPUs
 * (100 domains x 2 vCPUs) for one simulated hour, in credit mode and in
 * fluid mode.
 *
 * For realism the domains are not all alike: 10 are capped at 40 % of a
 * pCPU, 10 have each vCPU pinned to one pCPU, 20 have their vCPUs confined
 * to one "socket" of 16 pCPUs; the rest may run anywhere.  All weights are
 * the default.  The owner callback only counts calls, so the figures are the
 * scheduler's cost plus the event queue's.
 *
 * Reported per mode: simulator events, scheduler events (sched_events),
 * wall time, simulator events per wall second, and the peak resident set
 * during the run (VmHWM after resetting it through /proc/self/clear_refs;
 * ru_maxrss when that is not possible).  The fluid mode recomputes only when
 * something changes, so an always-busy host costs it one recomputation; its
 * recomputation cost is measured separately by making one vCPU sleep and
 * wake 2000 times.
 *
 * Checks (exit status 1 on failure): the CPU time of the vCPUs equals that
 * of the pCPUs, no pCPU is busier than the elapsed time, and with more busy
 * vCPUs than pCPUs no pCPU idles. */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/sched.h"
#include "sim/bench/bench.h"
#include "sim/sim.h"

#define BENCH_PCPUS 64
#define BENCH_DOMS 100
#define BENCH_VCPUS_PER_DOM 2
/* pCPUs per "socket" for the socket-confined domains. */
#define BENCH_SOCKET 16
/* Cap of the capped domains, percent of one pCPU (below their fair share of
 * 2 x 64 / 200 = 0.64 pCPU, so the cap binds). */
#define BENCH_CAP 40
#define BENCH_RECOMPUTES 2000

static void count_rate(void *owner, double rate, int pcpu)
{
    (void)rate;
    (void)pcpu;
    (*(uint64_t *)owner)++;
}

typedef struct {
    Sim *sim;
    Sched *s;
    SchedVcpu *v[BENCH_DOMS * BENCH_VCPUS_PER_DOM];
    uint64_t calls;
} Host;

static void host_build(Host *h, SchedMode mode)
{
    SchedParams p;
    sched_params_default(&p);
    p.mode = mode;
    h->sim = sim_new(1);
    h->s = sched_new(h->sim, BENCH_PCPUS, &p);
    h->calls = 0;
    const SchedVcpuOps ops = {.set_rate = count_rate};
    int k = 0;
    for (int d = 0; d < BENCH_DOMS; d++) {
        char name[16];
        snprintf(name, sizeof name, "vm%d", d);
        SchedDom *dom = sched_dom_new(h->s, name, SCHED_DEFAULT_WEIGHT, d < 10 ? BENCH_CAP : 0);
        for (int j = 0; j < BENCH_VCPUS_PER_DOM; j++, k++) {
            SchedVcpu *v = sched_vcpu_new(h->s, dom, &ops, &h->calls);
            CpuMask hard;
            cpumask_clear(&hard);
            if (d >= 10 && d < 20)
                cpumask_set(&hard, (2 * d + j) % BENCH_PCPUS);
            else if (d >= 20 && d < 40)
                cpumask_set_range(&hard, (d % 4) * BENCH_SOCKET, BENCH_SOCKET);
            else
                cpumask_set_range(&hard, 0, BENCH_PCPUS);
            sched_vcpu_set_affinity(v, &hard, NULL);
            sched_vcpu_wake(v);
            h->v[k] = v;
        }
    }
}

static void host_free(Host *h)
{
    sched_free(h->s);
    sim_free(h->sim);
}

/* The run's consistency checks; prints what fails. */
static int check_host(const Host *h, SimTime horizon)
{
    int status = 0;
    SimTime sum_v = 0, sum_p = 0;
    for (int i = 0; i < BENCH_DOMS * BENCH_VCPUS_PER_DOM; i++)
        sum_v += sched_vcpu_busy(h->v[i]);
    for (int p = 0; p < BENCH_PCPUS; p++) {
        SimTime b = sched_pcpu_busy(h->s, p);
        sum_p += b;
        if (b > horizon) {
            fprintf(stderr, "error: pCPU %d busy %lld ns in %lld ns\n", p, (long long)b,
                    (long long)horizon);
            status = 1;
        }
    }
    /* Fluid figures are rounded to the ns per vCPU and per pCPU. */
    SimTime tol = sched_mode(h->s) == SCHED_MODE_CREDIT ? 0 : BENCH_DOMS * BENCH_VCPUS_PER_DOM;
    if (llabs(sum_v - sum_p) > tol) {
        fprintf(stderr, "error: vCPUs ran %lld ns, pCPUs %lld ns\n", (long long)sum_v,
                (long long)sum_p);
        status = 1;
    }
    /* 200 busy vCPUs on 64 pCPUs: every pCPU busy but for the ramp-up. */
    double util = (double)sum_p / ((double)BENCH_PCPUS * (double)horizon);
    if (util < 0.999) {
        fprintf(stderr, "error: pCPUs only %.4f busy\n", util);
        status = 1;
    }
    return status;
}

#define BENCH_NV (BENCH_DOMS * BENCH_VCPUS_PER_DOM)

static int run_mode(SchedMode mode, SimTime horizon, double *shares)
{
    Host h;
    bool reset = bench_reset_peak_rss();
    double t0 = bench_now_s();
    host_build(&h, mode);
    sim_run(h.sim, horizon);
    double wall = bench_now_s() - t0;
    long rss = bench_peak_rss_kib();
    uint64_t ev = sim_events_processed(h.sim);
    printf("%-7s %12llu %12llu %9.2f %12.0f %9.1f%s\n",
           mode == SCHED_MODE_CREDIT ? "credit" : "fluid", (unsigned long long)ev,
           (unsigned long long)sched_events(h.s), wall, wall > 0 ? (double)ev / wall : 0.0,
           (double)rss / 1024.0, reset ? "" : " (process peak)");
    fflush(stdout);
    int status = check_host(&h, horizon);
    for (int i = 0; i < BENCH_NV; i++)
        shares[i] = (double)sched_vcpu_busy(h.v[i]) / (double)horizon;
    host_free(&h);
    return status;
}

/* Mean share of the vCPUs of domains [d0, d1) in both modes. */
static void print_group(const char *what, int d0, int d1, const double *cr, const double *fl)
{
    double sc = 0.0, sf = 0.0;
    int n = 0;
    for (int i = d0 * BENCH_VCPUS_PER_DOM; i < d1 * BENCH_VCPUS_PER_DOM; i++, n++) {
        sc += cr[i];
        sf += fl[i];
    }
    printf("  %-28s credit %.4f  fluid %.4f\n", what, sc / n, sf / n);
}

/* Fluid recomputation cost on the benchmark host: one vCPU sleeps and wakes
 * repeatedly, each change followed by its recomputation. */
static void fluid_recompute_cost(int n)
{
    Host h;
    host_build(&h, SCHED_MODE_FLUID);
    SimTime t = SIM_MS;
    sim_run(h.sim, t);
    uint64_t before = sched_events(h.s);
    double t0 = bench_now_s();
    for (int i = 0; i < n; i++) {
        SchedVcpu *v = h.v[(i * 7) % (BENCH_DOMS * BENCH_VCPUS_PER_DOM)];
        sched_vcpu_sleep(v);
        t += SIM_MS;
        sim_run(h.sim, t);
        sched_vcpu_wake(v);
        t += SIM_MS;
        sim_run(h.sim, t);
    }
    double wall = bench_now_s() - t0;
    uint64_t recomputes = sched_events(h.s) - before;
    printf("fluid recomputation (200 runnable vCPUs, mixed masks): %.1f us each (%llu timed)\n",
           recomputes ? wall * 1e6 / (double)recomputes : 0.0, (unsigned long long)recomputes);
    host_free(&h);
}

int bench_sched(bool quick)
{
    SimTime horizon = quick ? 10 * SIM_S : 3600 * SIM_S;
    printf("%d pCPUs, %d domains x %d busy vCPUs (10 capped at %d%%, 10 pinned, 20 per "
           "socket of %d), %.0f simulated s%s\n\n",
           BENCH_PCPUS, BENCH_DOMS, BENCH_VCPUS_PER_DOM, BENCH_CAP, BENCH_SOCKET,
           sim_time_to_s(horizon), quick ? " (--quick)" : "");
    printf("%-7s %12s %12s %9s %12s %9s\n", "mode", "sim events", "sched events", "wall s",
           "events/s", "peak MiB");
    int status = 0;
    double cr[BENCH_NV], fl[BENCH_NV];
    status |= run_mode(SCHED_MODE_CREDIT, horizon, cr);
    status |= run_mode(SCHED_MODE_FLUID, horizon, fl);
    double worst = 0.0;
    for (int i = 0; i < BENCH_NV; i++) {
        double d = cr[i] > fl[i] ? cr[i] - fl[i] : fl[i] - cr[i];
        if (d > worst)
            worst = d;
    }
    printf("\nmean share of one pCPU per vCPU:\n");
    print_group("capped (vm0-9)", 0, 10, cr, fl);
    print_group("pinned (vm10-19)", 10, 20, cr, fl);
    print_group("one socket (vm20-39)", 20, 40, cr, fl);
    print_group("anywhere (vm40-99)", 40, 100, cr, fl);
    printf("largest |credit - fluid| over the vCPUs: %.4f of a pCPU\n\n", worst);
    fluid_recompute_cost(quick ? 100 : BENCH_RECOMPUTES);
    return status;
}
