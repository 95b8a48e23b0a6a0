/* The model invariants checked at run time (sim/sim_invariant.h): each test
 * first shows the check passes on honest state, then breaks one invariant
 * through a test-only hook (or by poking a public struct) and expects the
 * check to abort the process (SIGABRT).  Check runs each test in a forked
 * child, so the abort fails nothing but that child.
 *
 * The checks exist only in builds with DOM0SIM_CHECKS (every Debug build,
 * e.g. CI's ASan build); elsewhere this program registers one test that
 * says so and passes. */
#include "tests/check_main.h"

#include <check.h>
#include <glib.h>
#include <signal.h>

#include "models/grant.h"
#include "models/host.h"
#include "models/numa.h"
#include "models/ring.h"
#include "models/sched.h"
#include "sim/sim.h"

#ifdef DOM0SIM_CHECKS

/* ---- CPU time conserved (models/sched.c, sched_check) ---- */

static void ignore_rate(void *owner, double rate, int pcpu)
{
    (void)owner;
    (void)rate;
    (void)pcpu;
}

typedef struct {
    Sim *sim;
    Sched *s;
    SchedDom *d[2];
    SchedVcpu *v[3];
} SchedRig;

/* Two pCPUs, three always-runnable vCPUs of two domains, the second
 * domain paying for one of the first's vCPUs; runs 100 ms and checks. */
static void sched_rig(SchedRig *r, SchedMode mode)
{
    r->sim = sim_new(1);
    SchedParams p;
    sched_params_default(&p);
    p.mode = mode;
    r->s = sched_new(r->sim, 2, &p);
    r->d[0] = sched_dom_new(r->s, "a", 256, 0);
    r->d[1] = sched_dom_new(r->s, "b", 512, 0);
    SchedVcpuOps ops = {.set_rate = ignore_rate};
    for (int i = 0; i < 3; i++) {
        r->v[i] = sched_vcpu_new(r->s, r->d[i / 2], &ops, NULL);
        sched_vcpu_wake(r->v[i]);
    }
    sched_vcpu_set_payer(r->v[1], r->d[1]);
    sim_run(r->sim, 100 * SIM_MS);
    sched_check(r->s, "test");
}

START_TEST(sched_check_passes_on_honest_books)
{
    for (int m = 0; m < 2; m++) {
        SchedRig r;
        sched_rig(&r, m ? SCHED_MODE_FLUID : SCHED_MODE_CREDIT);
        sim_run(r.sim, 2 * SIM_S);
        sched_check(r.s, "test");
        sched_free(r.s);
        sim_free(r.sim);
    }
}
END_TEST

/* A pCPU that counts 1 ms its vCPUs never ran: caught at the next credit
 * accounting, without calling the check by hand. */
START_TEST(cpu_time_pcpu_vs_vcpus_fires)
{
    SchedRig r;
    sched_rig(&r, SCHED_MODE_CREDIT);
    sched_debug_skew(r.s, 0, NULL, NULL, 1e6);
    sim_run(r.sim, 200 * SIM_MS);
}
END_TEST

/* A vCPU and its pCPU agree but no domain paid for it: fluid mode. */
START_TEST(cpu_time_paid_fires)
{
    SchedRig r;
    sched_rig(&r, SCHED_MODE_FLUID);
    sched_debug_skew(r.s, 1, r.v[2], NULL, 1e6);
    sched_check(r.s, "test");
}
END_TEST

/* All books agree, but a pCPU claims more than the elapsed time. */
START_TEST(cpu_time_pcpu_over_elapsed_fires)
{
    SchedRig r;
    sched_rig(&r, SCHED_MODE_CREDIT);
    sched_debug_skew(r.s, 0, r.v[0], r.d[0], 1e9);
    sched_check(r.s, "test");
}
END_TEST

/* ---- Memory conserved (models/numa.c, models/host.c host_check) ---- */

static NumaHost *numa_rig(void)
{
    NumaConfig c = {.sockets = 2, .cores_per_socket = 2, .memory_per_node = 1ULL << 20};
    NumaHost *h = numa_new(&c, NULL);
    ck_assert_ptr_nonnull(h);
    return h;
}

START_TEST(numa_node_overcommitted_fires)
{
    NumaHost *h = numa_rig();
    uint64_t got[2];
    ck_assert(numa_alloc(h, 8192, NUMA_MEM_STRICT, 0, got));
    numa_debug_set_used(h, 1, (1ULL << 20) + 4096);
    numa_alloc(h, 4096, NUMA_MEM_STRICT, 0, got);
}
END_TEST

static Host *host_rig(Sim *sim, cJSON **params_out)
{
    HostConfig cfg = {0};
    cfg.numa = (NumaConfig){.sockets = 2, .cores_per_socket = 4, .memory_per_node = 8ULL << 30};
    sched_params_default(&cfg.sched);
    disk_preset("hdd", &cfg.disk);
    cfg.nic_Bps = 1e9 / 8;
    cJSON *params =
        cJSON_Parse("{\"vcpus\": 2, \"memory_mb\": 1024, \"socket\": 0, \"pinned\": true}");
    GError *err = NULL;
    Host *h = host_new(sim, "h0", 0, &cfg, policy_find("native"), params, "test", &err);
    ck_assert_msg(h != NULL, "%s", err ? err->message : "");
    *params_out = params; /* the host borrows them */
    GuestSpec spec = {.name = "g", .vcpus = 1, .memory = 1ULL << 30, .weight = 256, .socket = -1};
    ck_assert_ptr_nonnull(host_start_guest(h, &spec, &err));
    host_check(h, "test");
    return h;
}

START_TEST(host_check_passes_on_honest_books)
{
    Sim *sim = sim_new(1);
    cJSON *params;
    Host *h = host_rig(sim, &params);
    sim_run(sim, 1 * SIM_S);
    host_stop_guest(h, h->guests->pdata[0]);
    host_check(h, "test");
    host_drop_work(h);
    host_free(h);
    cJSON_Delete(params);
    sim_free(sim);
}
END_TEST

/* A guest that believes it holds a page the node never handed out. */
START_TEST(memory_domains_vs_nodes_fires)
{
    Sim *sim = sim_new(1);
    cJSON *params;
    Host *h = host_rig(sim, &params);
    Domain *g = h->guests->pdata[0];
    g->mem[1] += 4096;
    host_check(h, "test");
}
END_TEST

/* ---- Ring slots conserved (models/ring.c) ---- */

static Ring *ring_rig(RingIndices *ix)
{
    Ring *r = ring_new(1, RING_BLKIF_ENTRY_BYTES, NULL);
    int token;
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(ring_push_request(r, &token), RING_OK);
    ring_push_requests_and_check_notify(r);
    ck_assert_int_eq(ring_take_request(r, NULL), RING_OK);
    ring_indices(r, ix);
    return r;
}

/* More requests outstanding than the ring has slots. */
START_TEST(ring_overfull_fires)
{
    RingIndices ix;
    Ring *r = ring_rig(&ix);
    ix.req_prod_pvt = ix.rsp_cons + ring_size(r) + 1;
    ix.req_prod = ix.req_cons + 1;
    ring_debug_set_indices(r, &ix);
    ring_take_request(r, NULL);
}
END_TEST

/* The back end consumed a request the front end never produced. */
START_TEST(ring_order_fires)
{
    RingIndices ix;
    Ring *r = ring_rig(&ix);
    ix.rsp_prod_pvt = ix.req_cons + 2;
    ring_debug_set_indices(r, &ix);
    ring_take_request(r, NULL);
}
END_TEST

/* Every trusted index moved back by one: still ordered, not monotonic. */
START_TEST(ring_monotonic_fires)
{
    RingIndices ix;
    Ring *r = ring_rig(&ix);
    ix.rsp_cons--;
    ix.rsp_prod--;
    ix.rsp_prod_pvt--;
    ix.req_cons--;
    ix.req_prod_pvt--;
    ix.req_prod--;
    ring_debug_set_indices(r, &ix);
    ring_take_request(r, NULL);
}
END_TEST

/* A hostile front end writing the shared req_prod is misuse, refused and
 * counted, never an invariant violation. */
START_TEST(ring_guest_garbage_is_not_a_violation)
{
    RingIndices ix;
    Ring *r = ring_rig(&ix);
    ring_front_write_req_prod(r, ix.req_prod + 1000);
    ck_assert_int_eq(ring_take_request(r, NULL), RING_PROTOCOL);
    ring_push_request(r, NULL);
    ring_push_requests_and_check_notify(r);
    ck_assert_int_eq(ring_take_request(r, NULL), RING_OK);
    ck_assert_int_eq(ring_push_response(r, NULL), RING_OK);
    ring_free(r);
}
END_TEST

/* ---- Grant rules held (models/grant.c) ---- */

/* d1 grants ref 0 read-only to d2, which maps it; returns the handle. */
static GrantSpace *grant_rig(int64_t *handle)
{
    GrantSpace *s = grant_space_new();
    ck_assert(grant_space_add_domain(s, 1, 1, 1, NULL));
    ck_assert(grant_space_add_domain(s, 2, 1, 1, NULL));
    ck_assert(grant_space_add_domain(s, 3, 1, 1, NULL));
    int64_t ref;
    ck_assert_int_eq(grant_access(s, 1, 2, 77, true, &ref), GNTST_okay);
    ck_assert_int_eq(ref, 0);
    ck_assert_int_eq(grant_map(s, 2, 1, 0, true, handle), GNTST_okay);
    grant_space_check_or_abort(s, "test", "rig");
    return s;
}

/* A read-only grant that somehow carries a writable mapping: the next map
 * of the entry notices. */
START_TEST(grant_readonly_written_fires)
{
    int64_t h;
    GrantSpace *s = grant_rig(&h);
    grant_debug_set_entry(s, 1, 0, GTF_permit_access | GTF_readonly, 2, 1, 1);
    grant_map(s, 2, 1, 0, true, NULL);
}
END_TEST

/* The entry changed hands under a live mapping. */
START_TEST(grant_wrong_domain_fires)
{
    int64_t h;
    GrantSpace *s = grant_rig(&h);
    grant_debug_set_entry(s, 1, 0, GTF_permit_access | GTF_readonly, 3, 1, 0);
    grant_unmap(s, 2, h);
}
END_TEST

/* The map count would go below zero. */
START_TEST(grant_negative_pins_fires)
{
    int64_t h;
    GrantSpace *s = grant_rig(&h);
    grant_debug_set_entry(s, 1, 0, GTF_permit_access | GTF_readonly, 2, 0, 0);
    grant_unmap(s, 2, h);
}
END_TEST

/* With its pins lost, the entry can be ended while d2 still maps it:
 * unmapping then finds a mapping of an entry that is no longer granted. */
START_TEST(grant_ended_while_mapped_fires)
{
    int64_t h;
    GrantSpace *s = grant_rig(&h);
    grant_debug_set_entry(s, 1, 0, GTF_permit_access | GTF_readonly, 2, 0, 0);
    ck_assert_int_eq(grant_end_access(s, 1, 0), GNTST_okay);
    grant_unmap(s, 2, h);
}
END_TEST

/* The same state caught by the whole-space check hosts run. */
START_TEST(grant_space_check_fires)
{
    int64_t h;
    GrantSpace *s = grant_rig(&h);
    grant_debug_set_entry(s, 1, 0, GTF_permit_access | GTF_readonly, 2, 0, 0);
    ck_assert_int_eq(grant_end_access(s, 1, 0), GNTST_okay);
    grant_space_check_or_abort(s, "test", "after end");
}
END_TEST

/* A copy reads an entry that breaks the rules (a read-only grant with a
 * writable mapping): the copy succeeds as far as the refusal checks go, and
 * the check on the entry it touched stops the run. */
START_TEST(grant_copy_sees_broken_entry_fires)
{
    int64_t h;
    GrantSpace *s = grant_rig(&h);
    grant_debug_set_entry(s, 1, 0, GTF_permit_access | GTF_readonly, 2, 1, 1);
    ck_assert_int_eq(grant_copy_page(s, 2, 1, 0, 4096, 0, false), GNTST_okay);
}
END_TEST

static void add_abort(TCase *tc, const TTest *t)
{
    tcase_add_test_raise_signal(tc, t, SIGABRT);
}

static Suite *suite(void)
{
    Suite *s = suite_create("invariants");
    TCase *ok = tcase_create("honest state passes");
    tcase_add_test(ok, sched_check_passes_on_honest_books);
    tcase_add_test(ok, host_check_passes_on_honest_books);
    tcase_add_test(ok, ring_guest_garbage_is_not_a_violation);
    suite_add_tcase(s, ok);

    TCase *tc = tcase_create("each check fires");
    add_abort(tc, cpu_time_pcpu_vs_vcpus_fires);
    add_abort(tc, cpu_time_paid_fires);
    add_abort(tc, cpu_time_pcpu_over_elapsed_fires);
    add_abort(tc, numa_node_overcommitted_fires);
    add_abort(tc, memory_domains_vs_nodes_fires);
    add_abort(tc, ring_overfull_fires);
    add_abort(tc, ring_order_fires);
    add_abort(tc, ring_monotonic_fires);
    add_abort(tc, grant_readonly_written_fires);
    add_abort(tc, grant_wrong_domain_fires);
    add_abort(tc, grant_negative_pins_fires);
    add_abort(tc, grant_ended_while_mapped_fires);
    add_abort(tc, grant_space_check_fires);
    add_abort(tc, grant_copy_sees_broken_entry_fires);
    suite_add_tcase(s, tc);
    return s;
}

#else /* !DOM0SIM_CHECKS */

START_TEST(checks_not_compiled_in)
{
    /* Release builds carry no invariant checks; a Debug build (or
     * -DDOM0SIM_CHECKS=ON) runs the real tests. */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("invariants");
    TCase *tc = tcase_create("skipped");
    tcase_add_test(tc, checks_not_compiled_in);
    suite_add_tcase(s, tc);
    return s;
}

#endif

int main(void)
{
    return check_run_suite(suite());
}
