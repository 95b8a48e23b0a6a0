/* Pre-copy through the whole event-level transport (migxfer: dom0's save
 * and restore work, both NICs' pipes) against the closed form
 * T = (V/R)(1 - λ^(n+1))/(1 - λ), λ = D/R, with everything that the closed
 * form leaves out switched off: Ethernet framing (migrations[].framing),
 * dom0's per-page and bitmap costs (hosts[].migration.*) and the resume
 * time (migrations[].resume_ms).  n, the number of live rounds, is derived
 * here from the stop rules as models/migration.h states them, not read
 * from the run. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>
#include <stdio.h>

#include "models/device.h"

#define PAGE 4096.0
#define GUEST_MB 1024.0

/* Live rounds before the stop-and-copy one, round r (from 0) sending
 * N λ^r pages while the guest dirties N λ^(r+1). */
static int live_rounds(const char *rule, double n_pages, double lambda)
{
    double total = 0.0;
    for (int r = 0;; r++) {
        double sent = n_pages * pow(lambda, r);
        double dirty = sent * lambda;
        total += sent;
        if (strcmp(rule, "xen-v2") == 0) {
            /* Fewer than 50 pages dirty, or 5 iterations done. */
            if (dirty < 50.0 || r + 1 >= 5)
                return r + 1;
        } else {
            /* The round just sent under 50 pages, 29 iterations, or more
             * than 3 x memory sent in all. */
            if (sent < 50.0 || r + 1 >= 29 || total > 3.0 * n_pages)
                return r + 1;
        }
    }
}

typedef struct {
    double gbps;  /* the stream's rate R */
    bool limited; /* R set by link_Gbps below a faster NIC, or the NIC's own */
    const char *rule;
    double lambda;
} Case;

/* Runs the case; false (and why on stderr) if it misses the closed form. */
static bool check_case(const Case *c)
{
    const double R = c->gbps * 1e9 / 8.0; /* bytes/s */
    const double nic = c->limited ? 2.5 * c->gbps : c->gbps;
    const double V = GUEST_MB * 1048576.0, N = V / PAGE;
    const double D = c->lambda * R; /* bytes/s */
    int n = live_rounds(c->rule, N, c->lambda);
    double expect = V / R * (1.0 - pow(c->lambda, n + 1)) / (1.0 - c->lambda);
    double expect_down = V * pow(c->lambda, n) / R;
    g_autofree char *limit =
        c->limited ? g_strdup_printf(", \"link_Gbps\": %g", c->gbps) : g_strdup("");
    const char *free_dom0 =
        "\"migration\": {\"send_page_us\": 0, \"receive_page_us\": 0, \"scan_ns_per_page\": 0}";
    g_autofree char *js = g_strdup_printf(
        "{\"name\": \"closed\", \"duration_s\": %.0f, \"policy\": \"native\","
        " \"hosts\": [{\"name\": \"a\", \"nic_Gbps\": %g, %s},"
        "             {\"name\": \"b\", \"nic_Gbps\": %g, %s}],"
        " \"vms\": [{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": %g, \"socket\": 1,"
        "   \"pin\": true, \"workload\": {\"type\": \"memory-dirtier\","
        "   \"dirty_rate_pages_s\": %.9g}}],"
        " \"migrations\": [{\"vm\": \"g\", \"to\": \"b\", \"stop_rule\": \"%s\","
        "   \"framing\": false, \"resume_ms\": 0%s}]}",
        ceil(expect * 1.2 + 1.0), nic, free_dom0, nic, free_dom0, GUEST_MB, D / PAGE, c->rule,
        limit);
    Sim *sim = scenario_run(js, NULL);
    ck_assert_double_eq(scenario_metric(sim, "g.migration.finished"), 1);
    double total = scenario_metric(sim, "g.migration.total_s");
    double down = scenario_metric(sim, "g.migration.downtime_s");
    int rounds = (int)scenario_metric(sim, "g.migration.rounds");
    sim_free(sim);
    bool ok = rounds == n + 1 && fabs(total - expect) <= 1e-3 * expect &&
              fabs(down - expect_down) <= 1e-3 * expect_down;
    fprintf(stderr,
            "%s %g Gb/s (%s), %s, λ %.2f: %d rounds (rule: %d), total %.6f s (closed form "
            "%.6f s, %+.4f%%), downtime %.6f ms (closed form %.6f ms)\n",
            ok ? "ok  " : "FAIL", c->gbps, c->limited ? "link_Gbps" : "NIC", c->rule, c->lambda,
            rounds, n + 1, total, expect, 100.0 * (total - expect) / expect, down * 1e3,
            expect_down * 1e3);
    return ok;
}

/* λ 0.05 ends on the dirty count (xen-v2) or a small round (legacy); 0.4
 * on xen-v2's 5 iterations or the small round; 0.7 on 5 iterations or
 * legacy's 3 x memory. */
static const double lambdas[] = {0.05, 0.4, 0.7};
static const char *const rules[] = {"xen-v2", "xen-legacy"};

static void check_rate(double gbps, bool limited)
{
    int failed = 0;
    for (size_t r = 0; r < G_N_ELEMENTS(rules); r++)
        for (size_t l = 0; l < G_N_ELEMENTS(lambdas); l++) {
            Case c = {.gbps = gbps, .limited = limited, .rule = rules[r], .lambda = lambdas[l]};
            failed += !check_case(&c);
        }
    ck_assert_msg(failed == 0, "%d of %zu cases at %g Gb/s (%s) miss the closed form by > 0.1%%",
                  failed, G_N_ELEMENTS(rules) * G_N_ELEMENTS(lambdas), gbps,
                  limited ? "link_Gbps" : "NIC");
}

/* 3 rates x 2 (the NIC's rate, or link_Gbps under a NIC 2.5 times as
 * fast) x 2 stop rules x 3 dirty rates: 36 combinations. */
START_TEST(nic_1)
{
    check_rate(1.0, false);
}
END_TEST

START_TEST(nic_10)
{
    check_rate(10.0, false);
}
END_TEST

START_TEST(nic_40)
{
    check_rate(40.0, false);
}
END_TEST

START_TEST(limited_1)
{
    check_rate(1.0, true);
}
END_TEST

START_TEST(limited_10)
{
    check_rate(10.0, true);
}
END_TEST

START_TEST(limited_40)
{
    check_rate(40.0, true);
}
END_TEST

/* The stop rules as this test derives them, on cases worked by hand. */
START_TEST(live_rounds_by_hand)
{
    const double N = GUEST_MB * 1048576.0 / PAGE; /* 262,144 pages */
    /* v2: 262144 x 0.05^3 = 32.8 < 50 dirty after round 2. */
    ck_assert_int_eq(live_rounds("xen-v2", N, 0.05), 3);
    ck_assert_int_eq(live_rounds("xen-v2", N, 0.4), 5);
    /* legacy: round 3 sends 32.8 < 50 pages. */
    ck_assert_int_eq(live_rounds("xen-legacy", N, 0.05), 4);
    /* round 10 sends 262144 x 0.4^10 = 27.5 pages (round 9: 68.7). */
    ck_assert_int_eq(live_rounds("xen-legacy", N, 0.4), 11);
    /* (1 - 0.7^7)/0.3 = 3.06 > 3 memories sent after round 6 (2.94 after 5). */
    ck_assert_int_eq(live_rounds("xen-legacy", N, 0.7), 7);
}
END_TEST

static void record_end(Nic *nic, NicDir dir, const NicXfer *x, void *data)
{
    (void)nic;
    (void)dir;
    *(NicXfer *)data = *x;
}

/* The NIC's unframed path that framing = false uses: 10^6 bytes at 1 Gb/s
 * take 8 ms; framed, 666 full 1500-byte frames and one of 1000 bytes put
 * 666 x 1538 + 1038 = 1,025,346 bytes on the wire, 8.202768 ms. */
START_TEST(unframed_nic_carries_bare_bytes)
{
    g_autoptr(Sim) sim = sim_new(1);
    NicParams p = {.rate_bps = 1e9, .mtu = 0};
    g_autoptr(Nic) nic = nic_new(sim, &p, NULL);
    ck_assert_int_eq(nic_wire_time(nic, 1000000, false), 8000000);
    ck_assert_int_eq(nic_wire_time(nic, 1000000, true), 8202768);
    NicXfer tx = {0}, rx = {0};
    nic_send_unframed(nic, NIC_TX, 1000000, record_end, &tx);
    nic_send_unframed(nic, NIC_RX, 1000000, record_end, &rx);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(tx.completed, 8000000);
    ck_assert_int_eq(rx.completed, 8000000);
    ck_assert_uint_eq(tx.wire_bytes, 1000000);
    ck_assert_uint_eq(tx.frames, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("migration_closed");
    TCase *tc = tcase_create("closed_form");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, live_rounds_by_hand);
    tcase_add_test(tc, unframed_nic_carries_bare_bytes);
    tcase_add_test(tc, nic_1);
    tcase_add_test(tc, nic_10);
    tcase_add_test(tc, nic_40);
    tcase_add_test(tc, limited_1);
    tcase_add_test(tc, limited_10);
    tcase_add_test(tc, limited_40);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(suite());
}
