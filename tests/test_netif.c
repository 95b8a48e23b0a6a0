/* The split network driver and the web workload end to end: a request's
 * latency against the sum of its pipeline stages, IOzone guests slowing a
 * web guest through dom0 under native but not under closer, NUMA placement
 * of dom0, and receive drops when a guest posts no buffers. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

/* One web guest alone, everything on socket 0, a request every 100 ms on
 * average, so requests almost never overlap.  Each crosses:
 *   NIC receive  (300 + 38) B x 8 ns/B at 1 Gb/s         2704 ns
 *   dom0 driver and bridge, 1 frame                        500
 *   netback RX: 1 us + 300 B x 0.5 ns                     1150
 *   netfront interrupt, 1 packet                           500
 *   the server's CPU                                    100000
 *   netfront transmit, 1 GSO packet                        500
 *   netback TX: 1 us + 10240 B x 0.5 ns                   6120
 *   NIC transmit: 10240 B in 7 frames + 7 x 38 B framing 84048
 * = 195522 ns. */
START_TEST(web_latency_is_the_sum_of_its_stages)
{
    const char *js =
        "{\"name\": \"lat\", \"duration_s\": 100, \"seed\": 1, \"policy\": \"native\","
        " \"policy_params\": {\"native\": {\"vcpus\": 2, \"socket\": 0, \"pinned\": true}},"
        " \"hosts\": [{\"name\": \"h0\"}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 0,"
        "   \"pin\": true, \"workload\": {\"type\": \"web\", \"rate_per_s\": 10, \"cpu_us\": "
        "100}}]}";
    const double stages = 195522e-9;
    Sim *sim = scenario_run(js, NULL);
    double p99 = scenario_metric(sim, "web.web.latency_p99_s");
    double mean = scenario_metric(sim, "web.web.latency_mean_s");
    ck_assert_double_gt(scenario_metric(sim, "web.web.completed"), 900);
    ck_assert_msg(fabs(p99 - stages) <= 1e-9, "p99 %.9f s, stages sum to %.9f s", p99, stages);
    /* The rare overlapping request waits a little: the mean is just above. */
    ck_assert_msg(mean >= stages && mean <= stages * 1.005, "mean %.9f s, stages %.9f s", mean,
                  stages);
    ck_assert_double_eq(scenario_metric(sim, "web.net.rx_drops"), 0);
    sim_free(sim);
}
END_TEST

/* The same guest with hosts[].net.back_packet_cov = 1: each packet's netback
 * CPU (1 us mean) is drawn exponential, so a request's latency is the
 * 193522 ns of the other stages plus G, the sum of its RX and TX netback
 * draws: Gamma(2, 1 us).  Its mean stays 195522 ns (standard error sqrt 2
 * us / sqrt n); its 99th percentile is 193522 ns + 6.6384 us (e^-x (1 + x)
 * = 0.01), whose sample estimate over n = 10,000 requests has standard
 * error sqrt(0.99 x 0.01 / n) / f(6.6384 us) = 0.1145 us, f the Gamma(2)
 * density.  Both within 4 standard errors (the mean may sit up to 0.5%
 * above, as above, from the rare overlap).  back_packet_cov 0, written
 * out, gives the deterministic model's exact p99. */
static Sim *web_alone(double cov, int duration_s)
{
    g_autofree char *js = g_strdup_printf(
        "{\"name\": \"lat\", \"duration_s\": %d, \"seed\": 1, \"policy\": \"native\","
        " \"policy_params\": {\"native\": {\"vcpus\": 2, \"socket\": 0, \"pinned\": true}},"
        " \"hosts\": [{\"name\": \"h0\", \"net\": {\"back_packet_cov\": %g}}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 0,"
        "   \"pin\": true, \"workload\": {\"type\": \"web\", \"rate_per_s\": 10, \"cpu_us\": "
        "100}}]}",
        duration_s, cov);
    return scenario_run(js, NULL);
}

START_TEST(netback_packet_cost_gamma)
{
    const double rest = 193522e-9, stages = 195522e-9, p99_want = rest + 6.638352e-6;
    Sim *sim = web_alone(1.0, 1000);
    double n = scenario_metric(sim, "web.web.completed");
    double p99 = scenario_metric(sim, "web.web.latency_p99_s");
    double mean = scenario_metric(sim, "web.web.latency_mean_s");
    ck_assert_double_gt(n, 9800);
    double se_mean = sqrt(2.0) * 1e-6 / sqrt(n), se_p99 = 0.1145e-6 * sqrt(10000.0 / n);
    ck_assert_msg(mean >= stages - 4 * se_mean && mean <= stages * 1.005,
                  "mean %.9f s, want %.9f s", mean, stages);
    ck_assert_msg(fabs(p99 - p99_want) < 4 * se_p99, "p99 %.9f s, want %.9f +- %.9f s", p99,
                  p99_want, 4 * se_p99);
    sim_free(sim);
    sim = web_alone(0.0, 100);
    ck_assert_msg(fabs(scenario_metric(sim, "web.web.latency_p99_s") - stages) <= 1e-9,
                  "cov 0: p99 %.9f s", scenario_metric(sim, "web.web.latency_p99_s"));
    sim_free(sim);
}
END_TEST

/* Thesis figure 2.8a in small: a web guest (10 closed clients) beside n
 * IOzone guests doing 4 KiB random reads on an NVMe disk, dom0 with 2
 * vCPUs and a management agent.  Under native the guests' back-end work
 * fills dom0 and the web guest's packets queue behind it; under closer it
 * runs next to each guest, so the main container carries the agent alone. */
static Sim *io_beside_web(const char *policy, int n)
{
    GString *js = g_string_new(NULL);
    g_string_append_printf(
        js,
        "{\"name\": \"iw\", \"duration_s\": 2, \"seed\": 1, \"policy\": \"%s\","
        " \"hosts\": [{\"name\": \"h0\", \"nic_Gbps\": 10, \"disk\": {\"preset\": \"nvme\"},"
        "   \"management\": {\"period_s\": 0.1, \"cpu_ms\": 2}}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024, \"vcpus\": 2,"
        "   \"workload\": {\"type\": \"web\", \"clients\": 10, \"think_ms\": 1, \"cpu_us\": 100,"
        "   \"response_kb\": 64}}",
        policy);
    for (int i = 1; i <= n; i++)
        g_string_append_printf(js,
                               ", {\"name\": \"io%d\", \"host\": \"h0\", \"memory_mb\": 1024,"
                               " \"workload\": {\"type\": \"iozone\", \"test\": \"random-read\","
                               " \"file_mb\": 1024, \"record_kb\": 4, \"outstanding\": 4}}",
                               i);
    g_string_append(js, "]}");
    Sim *sim = scenario_run(js->str, NULL);
    g_string_free(js, TRUE);
    return sim;
}

START_TEST(io_guests_slow_web_under_native_not_closer)
{
    static const int ns[] = {0, 1, 4, 10};
    double nat_load[4], nat_web[4], clo_load[4], clo_web[4];
    for (int i = 0; i < 4; i++) {
        Sim *a = io_beside_web("native", ns[i]);
        Sim *b = io_beside_web("closer", ns[i]);
        nat_load[i] = scenario_metric(a, "dom0.main.cpu_load");
        nat_web[i] = scenario_metric(a, "web.web.throughput_rps");
        clo_load[i] = scenario_metric(b, "dom0.main.cpu_load");
        clo_web[i] = scenario_metric(b, "web.web.throughput_rps");
        sim_free(a);
        sim_free(b);
    }
    for (int i = 1; i < 4; i++) {
        ck_assert_msg(nat_load[i] > nat_load[i - 1] || nat_load[i] > 0.99,
                      "native load %.3f with %d I/O guests, %.3f with %d", nat_load[i], ns[i],
                      nat_load[i - 1], ns[i - 1]);
        ck_assert_msg(fabs(clo_load[i] - clo_load[0]) <= 0.02 * clo_load[0],
                      "closer main load %.5f with %d I/O guests, %.5f with none", clo_load[i],
                      ns[i], clo_load[0]);
        ck_assert_msg(fabs(clo_web[i] - clo_web[0]) <= 0.02 * clo_web[0],
                      "closer web %.1f req/s with %d I/O guests, %.1f with none", clo_web[i], ns[i],
                      clo_web[0]);
    }
    /* dom0 saturates, then the web guest loses throughput. */
    ck_assert_msg(nat_load[3] > 0.99, "native load with 10 I/O guests %.3f", nat_load[3]);
    ck_assert_msg(nat_web[3] < 0.85 * nat_web[0],
                  "native web %.1f req/s with 10 I/O guests, %.1f alone", nat_web[3], nat_web[0]);
    ck_assert_msg(nat_web[2] < nat_web[0] && nat_web[3] < nat_web[2],
                  "native web throughput should fall: %.1f, %.1f, %.1f", nat_web[0], nat_web[2],
                  nat_web[3]);
}
END_TEST

/* Thesis figure 2.9a: the web guest on socket 1, native dom0 on socket 0 or
 * socket 1.  Every copy dom0 makes into or out of the guest's memory is
 * remote in the first case, so co-location answers faster. */
START_TEST(web_faster_with_dom0_on_its_socket)
{
    const char *js =
        "{\"name\": \"where\", \"duration_s\": 5, \"seed\": 2, \"policy\": \"native\","
        " \"policy_params\": {\"native\": {\"vcpus\": 2, \"socket\": 0}},"
        " \"hosts\": [{\"name\": \"h0\", \"nic_Gbps\": 40}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 1,"
        "   \"vcpus\": 2, \"workload\": {\"type\": \"web\", \"clients\": 8, \"cpu_us\": 50,"
        "   \"response_kb\": 256}}]}";
    const char *same[] = {"policy_params.native.socket=1", NULL};
    Sim *remote = scenario_run(js, NULL);
    Sim *local = scenario_run(js, same);
    double lr = scenario_metric(remote, "web.web.latency_mean_s");
    double ll = scenario_metric(local, "web.web.latency_mean_s");
    double tr = scenario_metric(remote, "web.web.throughput_rps");
    double tl = scenario_metric(local, "web.web.throughput_rps");
    ck_assert_msg(ll < 0.97 * lr, "latency %.6f s with dom0 on the guest's socket, %.6f s remote",
                  ll, lr);
    ck_assert_msg(tl > 1.03 * tr, "throughput %.1f req/s co-located, %.1f remote", tl, tr);
    sim_free(remote);
    sim_free(local);
}
END_TEST

/* A guest capped to 2% of a pCPU cannot take its packets off the RX ring:
 * its 256 posted buffers fill, netback's queue of 16 fills, and the rest
 * is dropped and counted; requests that lost a packet never complete. */
START_TEST(rx_drops_when_the_guest_posts_no_buffers)
{
    const char *js =
        "{\"name\": \"drop\", \"duration_s\": 2, \"seed\": 4, \"policy\": \"native\","
        " \"hosts\": [{\"name\": \"h0\", \"nic_Gbps\": 10, \"net\": {\"rx_queue_packets\": 16}}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024, \"cap\": 2,"
        "   \"workload\": {\"type\": \"web\", \"rate_per_s\": 20000, \"cpu_us\": 20,"
        "   \"request_bytes\": 1000}}]}";
    Sim *sim = scenario_run(js, NULL);
    double drops = scenario_metric(sim, "web.net.rx_drops");
    double reqs = scenario_metric(sim, "web.web.requests");
    double done = scenario_metric(sim, "web.web.completed");
    double got = scenario_metric(sim, "web.net.rx_packets");
    ck_assert_double_gt(drops, 0);
    /* Every request's one packet was either copied to the guest, dropped,
     * or is still on its way (at most the ring, the queue and the NIC). */
    ck_assert_msg(reqs - (got + drops) <= 256 + 16 + 64,
                  "requests %.0f, received %.0f, dropped %.0f", reqs, got, drops);
    ck_assert_double_le(done, got);
    sim_free(sim);
}
END_TEST

static Suite *netif_suite(void)
{
    Suite *s = suite_create("netif");
    TCase *tc = tcase_create("netif");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, web_latency_is_the_sum_of_its_stages);
    tcase_add_test(tc, netback_packet_cost_gamma);
    tcase_add_test(tc, io_guests_slow_web_under_native_not_closer);
    tcase_add_test(tc, web_faster_with_dom0_on_its_socket);
    tcase_add_test(tc, rx_drops_when_the_guest_posts_no_buffers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(netif_suite());
}
