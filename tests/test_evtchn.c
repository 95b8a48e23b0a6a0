/* Xen event channels (2-level ABI): binding, pending coalescing, masking,
 * refusal of garbage from a guest, close, port exhaustion, and handlers that
 * call back into the table. */
#include "tests/check_main.h"
#include <check.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

#include "models/evtchn.h"

#define DOM0 0
#define GUEST 1

/* What an end's upcall saw.  With `clear` set the handler clears pending
 * first, as a real handler does before processing. */
typedef struct {
    int calls;
    int domid;
    uint32_t port;
    bool clear;
} Recorder;

static void record(EvtchnTable *t, int domid, uint32_t port, void *data)
{
    Recorder *rec = data;
    rec->calls++;
    rec->domid = domid;
    rec->port = port;
    if (rec->clear)
        ck_assert_int_eq(evtchn_clear_pending(t, domid, port), EVTCHN_OK);
}

static EvtchnTable *make_table(const int *domids, int n)
{
    EvtchnTable *t = evtchn_table_new();
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(evtchn_domain_add(t, domids[i], 0), EVTCHN_OK);
    return t;
}

/* A guest-dom0 channel as netfront/netback make it: the guest allocates,
 * dom0 binds (and so receives Xen's one conservative notification, which is
 * checked and cleared here). */
static void connect(EvtchnTable *t, int guest, Recorder *g, uint32_t *gport, Recorder *d0,
                    uint32_t *d0port)
{
    int before = d0->calls;
    ck_assert_int_eq(evtchn_bind_pair(t, guest, record, g, DOM0, record, d0, gport, d0port),
                     EVTCHN_OK);
    ck_assert_int_eq(d0->calls, before + 1);
    ck_assert_int_eq(d0->domid, DOM0);
    ck_assert_uint_eq(d0->port, *d0port);
    evtchn_clear_pending(t, DOM0, *d0port);
}

static void assert_stats(const EvtchnStats *s, const char *who, uint64_t sends, uint64_t dropped,
                         uint64_t bad_sends, uint64_t bad_ops, uint64_t upcalls, uint64_t merged,
                         uint64_t masked)
{
    ck_assert_msg(s->sends == sends && s->dropped == dropped && s->bad_sends == bad_sends &&
                      s->bad_ops == bad_ops && s->upcalls == upcalls && s->merged == merged &&
                      s->masked == masked,
                  "%s: got sends %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT
                  " bad_sends %" G_GUINT64_FORMAT " bad_ops %" G_GUINT64_FORMAT
                  " upcalls %" G_GUINT64_FORMAT " merged %" G_GUINT64_FORMAT
                  " masked %" G_GUINT64_FORMAT "; expected %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                  " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                  " %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT,
                  who, s->sends, s->dropped, s->bad_sends, s->bad_ops, s->upcalls, s->merged,
                  s->masked, sends, dropped, bad_sends, bad_ops, upcalls, merged, masked);
}

START_TEST(bind_pair_connects_both_ends)
{
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    Recorder g = {0}, d0 = {0};
    uint32_t gp, dp;
    ck_assert_int_eq(evtchn_bind_pair(t, GUEST, record, &g, DOM0, record, &d0, &gp, &dp),
                     EVTCHN_OK);
    /* Port 0 is reserved: both ends get port 1. */
    ck_assert_uint_eq(gp, 1);
    ck_assert_uint_eq(dp, 1);
    int rd;
    uint32_t rp;
    ck_assert(evtchn_peer(t, GUEST, gp, &rd, &rp));
    ck_assert_int_eq(rd, DOM0);
    ck_assert_uint_eq(rp, dp);
    ck_assert(evtchn_peer(t, DOM0, dp, &rd, &rp));
    ck_assert_int_eq(rd, GUEST);
    ck_assert_uint_eq(rp, gp);
    /* Xen's bind_interdomain notifies the binding end once. */
    ck_assert_int_eq(d0.calls, 1);
    ck_assert(evtchn_is_pending(t, DOM0, dp));
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_eq(evtchn_ports_in_use(t, GUEST), 1);
    ck_assert_int_eq(evtchn_ports_in_use(t, DOM0), 1);
    /* A send reaches the OTHER end. */
    evtchn_clear_pending(t, DOM0, dp);
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK);
    ck_assert_int_eq(g.calls, 1);
    ck_assert_int_eq(g.domid, GUEST);
    ck_assert_uint_eq(g.port, gp);
    ck_assert(evtchn_is_pending(t, GUEST, gp));
    ck_assert(!evtchn_is_pending(t, DOM0, dp));
    evtchn_table_free(t);
}
END_TEST

START_TEST(pending_coalesces_sends)
{
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    Recorder g = {0}, d0 = {0};
    uint32_t gp, dp;
    connect(t, GUEST, &g, &gp, &d0, &dp);

    /* Two sends before the handler clears: one upcall. */
    ck_assert_int_eq(evtchn_send(t, GUEST, gp), EVTCHN_OK);
    ck_assert_int_eq(evtchn_send(t, GUEST, gp), EVTCHN_OK);
    ck_assert_int_eq(d0.calls, 2); /* 1 at bind + 1 */
    EvtchnStats s;
    evtchn_domain_stats(t, DOM0, &s);
    assert_stats(&s, "dom0", 0, 0, 0, 0, 2, 1, 0);
    evtchn_domain_stats(t, GUEST, &s);
    assert_stats(&s, "guest", 2, 0, 0, 0, 0, 0, 0);

    /* The handler clears; the next send is a new upcall. */
    ck_assert_int_eq(evtchn_clear_pending(t, DOM0, dp), EVTCHN_OK);
    ck_assert_int_eq(evtchn_send(t, GUEST, gp), EVTCHN_OK);
    ck_assert_int_eq(d0.calls, 3);

    /* A handler that clears inside its upcall sees every send. */
    evtchn_clear_pending(t, DOM0, dp);
    d0.clear = true;
    for (int i = 0; i < 5; i++)
        evtchn_send(t, GUEST, gp);
    ck_assert_int_eq(d0.calls, 8);
    evtchn_stats(t, &s);
    assert_stats(&s, "total", 8, 0, 0, 0, 8, 1, 0);
    evtchn_table_free(t);
}
END_TEST

START_TEST(mask_holds_and_unmask_delivers)
{
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    Recorder g = {0}, d0 = {0};
    uint32_t gp, dp;
    connect(t, GUEST, &g, &gp, &d0, &dp);

    ck_assert_int_eq(evtchn_mask(t, GUEST, gp), EVTCHN_OK);
    ck_assert(evtchn_is_masked(t, GUEST, gp));
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK);
    ck_assert_int_eq(g.calls, 0);
    ck_assert(evtchn_is_pending(t, GUEST, gp));
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK); /* merged into the pending one */
    ck_assert_int_eq(g.calls, 0);
    ck_assert_int_eq(evtchn_unmask(t, GUEST, gp), EVTCHN_OK);
    ck_assert_int_eq(g.calls, 1);
    ck_assert(!evtchn_is_masked(t, GUEST, gp));
    /* Unmasking an unmasked pending port raises nothing (evtchn_2l_unmask). */
    ck_assert_int_eq(evtchn_unmask(t, GUEST, gp), EVTCHN_OK);
    ck_assert_int_eq(g.calls, 1);
    /* Masked but not pending: unmask raises nothing either. */
    evtchn_clear_pending(t, GUEST, gp);
    evtchn_mask(t, GUEST, gp);
    evtchn_unmask(t, GUEST, gp);
    ck_assert_int_eq(g.calls, 1);

    EvtchnStats s;
    evtchn_domain_stats(t, GUEST, &s);
    assert_stats(&s, "guest", 0, 0, 0, 0, 1, 1, 1);
    evtchn_table_free(t);
}
END_TEST

START_TEST(bad_ports_refused_and_counted)
{
    const int doms[] = {DOM0, GUEST, 7};
    EvtchnTable *t = make_table(doms, 3);
    Recorder g = {0}, d0 = {0};
    uint32_t gp, dp;
    connect(t, GUEST, &g, &gp, &d0, &dp);

    const uint32_t bad[] = {0, 2, 63, 64, 4095, 4096, 65536, UINT32_MAX};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        ck_assert_msg(evtchn_send(t, GUEST, bad[i]) == EVTCHN_ERR_BAD_PORT, "port %u accepted",
                      bad[i]);
    ck_assert_int_eq(evtchn_send(t, 7, 1), EVTCHN_ERR_BAD_PORT); /* dom 7 has no ports */
    const int bad_doms[] = {-1, 2, EVTCHN_DOMID_LIMIT, INT32_MAX};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_doms); i++)
        ck_assert_int_eq(evtchn_send(t, bad_doms[i], 1), EVTCHN_ERR_BAD_DOMAIN);
    /* The other calls refuse garbage too. */
    ck_assert_int_eq(evtchn_mask(t, GUEST, 4096), EVTCHN_ERR_BAD_PORT);
    ck_assert_int_eq(evtchn_unmask(t, GUEST, 0), EVTCHN_ERR_BAD_PORT);
    ck_assert_int_eq(evtchn_clear_pending(t, -5, 1), EVTCHN_ERR_BAD_DOMAIN);
    ck_assert_int_eq(evtchn_close(t, GUEST, 99), EVTCHN_ERR_BAD_PORT);
    ck_assert(!evtchn_is_pending(t, GUEST, UINT32_MAX));
    ck_assert(!evtchn_is_masked(t, -1, 1));

    ck_assert_int_eq(g.calls + d0.calls, 1); /* only the bind notification */
    EvtchnStats s;
    evtchn_domain_stats(t, GUEST, &s);
    assert_stats(&s, "guest", 0, 0, G_N_ELEMENTS(bad), 3, 0, 0, 0);
    evtchn_domain_stats(t, 7, &s);
    assert_stats(&s, "dom7", 0, 0, 1, 0, 0, 0, 0);
    evtchn_stats(t, &s);
    assert_stats(&s, "total", 0, 0, G_N_ELEMENTS(bad) + 1 + G_N_ELEMENTS(bad_doms), 4, 1, 0, 0);
    ck_assert(!evtchn_domain_stats(t, 2, &s));
    ck_assert_uint_eq(s.bad_sends, 0);
    evtchn_table_free(t);
}
END_TEST

START_TEST(bad_sends_do_not_touch_other_channels)
{
    const int doms[] = {DOM0, 1, 2};
    EvtchnTable *t = make_table(doms, 3);
    Recorder g1 = {.clear = true}, g2 = {.clear = true}, d1 = {0}, d2 = {0};
    uint32_t p1, dp1, p2, dp2;
    connect(t, 1, &g1, &p1, &d1, &dp1);
    connect(t, 2, &g2, &p2, &d2, &dp2);
    d1.clear = d2.clear = true;
    ck_assert_uint_eq(dp2, 2); /* dom0's second port */

    /* Guest 2 sends garbage: random ports, none of them its own port p2 but
     * including dom0's and guest 1's port numbers. */
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 77);
    int refused = 0;
    for (int i = 0; i < 10000; i++) {
        uint32_t port = (uint32_t)gsl_rng_get(rng);
        if (i % 2)
            port %= 8;
        if (port == p2)
            continue;
        ck_assert_int_eq(evtchn_send(t, 2, port), EVTCHN_ERR_BAD_PORT);
        refused++;
    }
    gsl_rng_free(rng);

    /* The guest-1 channel works as before, both ways. */
    ck_assert_int_eq(evtchn_send(t, 1, p1), EVTCHN_OK);
    ck_assert_int_eq(evtchn_send(t, DOM0, dp1), EVTCHN_OK);
    ck_assert_int_eq(d1.calls, 2);
    ck_assert_int_eq(g1.calls, 1);
    ck_assert_int_eq(d2.calls, 1); /* only its bind notification */
    ck_assert_int_eq(g2.calls, 0);
    EvtchnStats s;
    evtchn_domain_stats(t, 1, &s);
    assert_stats(&s, "guest 1", 1, 0, 0, 0, 1, 0, 0);
    evtchn_domain_stats(t, 2, &s);
    assert_stats(&s, "guest 2", 0, 0, (uint64_t)refused, 0, 0, 0, 0);
    evtchn_domain_stats(t, DOM0, &s);
    assert_stats(&s, "dom0", 1, 0, 0, 0, 3, 0, 0);
    /* Guest 2's own channel still works too. */
    ck_assert_int_eq(evtchn_send(t, 2, p2), EVTCHN_OK);
    ck_assert_int_eq(d2.calls, 2);
    evtchn_table_free(t);
}
END_TEST

START_TEST(close_then_send)
{
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    Recorder g = {0}, d0 = {.clear = true};
    uint32_t gp, dp;
    connect(t, GUEST, &g, &gp, &d0, &dp);

    ck_assert_int_eq(evtchn_close(t, GUEST, gp), EVTCHN_OK);
    ck_assert_int_eq(evtchn_ports_in_use(t, GUEST), 0);
    ck_assert_int_eq(evtchn_send(t, GUEST, gp), EVTCHN_ERR_BAD_PORT);
    ck_assert_int_eq(evtchn_close(t, GUEST, gp), EVTCHN_ERR_BAD_PORT);
    ck_assert(!evtchn_peer(t, DOM0, dp, NULL, NULL));
    /* dom0's end is unbound now: its sends are dropped, as in Xen. */
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK);
    ck_assert_int_eq(g.calls, 0);
    EvtchnStats s;
    evtchn_domain_stats(t, DOM0, &s);
    assert_stats(&s, "dom0", 1, 1, 0, 0, 1, 0, 0);
    evtchn_domain_stats(t, GUEST, &s);
    assert_stats(&s, "guest", 0, 0, 1, 1, 0, 0, 0);

    /* The unbound end is offered to the guest again, which may re-bind it
     * (a reconnecting front end) and gets the lowest free port back. */
    int np = evtchn_bind_interdomain(t, GUEST, DOM0, dp, record, &g);
    ck_assert_int_eq(np, (int)gp);
    ck_assert_int_eq(g.calls, 1); /* the binding end's notification */
    evtchn_clear_pending(t, GUEST, gp);
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK);
    ck_assert_int_eq(g.calls, 2);
    evtchn_table_free(t);
}
END_TEST

START_TEST(bind_errors_leave_nothing_allocated)
{
    const int doms[] = {DOM0, 1, 2};
    EvtchnTable *t = make_table(doms, 3);
    ck_assert_int_eq(evtchn_domain_add(t, 3, 2), EVTCHN_OK); /* one usable port */
    Recorder r = {0};
    /* An unbound port offered to dom 1 cannot be bound by dom 2. */
    int p = evtchn_alloc_unbound(t, DOM0, 1, record, &r);
    ck_assert_int_eq(p, 1);
    ck_assert_int_eq(evtchn_bind_interdomain(t, 2, DOM0, (uint32_t)p, record, &r),
                     EVTCHN_ERR_BAD_PORT);
    ck_assert_int_eq(evtchn_bind_interdomain(t, 1, DOM0, 2, record, &r), EVTCHN_ERR_BAD_PORT);
    ck_assert_int_eq(evtchn_bind_interdomain(t, 1, 9, 1, record, &r), EVTCHN_ERR_BAD_DOMAIN);
    ck_assert_int_eq(evtchn_alloc_unbound(t, DOM0, 9, record, &r), EVTCHN_ERR_BAD_DOMAIN);
    /* Bound ports cannot be bound again. */
    ck_assert_int_ge(evtchn_bind_interdomain(t, 1, DOM0, (uint32_t)p, record, &r), 1);
    ck_assert_int_eq(evtchn_bind_interdomain(t, 1, DOM0, (uint32_t)p, record, &r),
                     EVTCHN_ERR_BAD_PORT);
    /* dom 3 fills its only port; a pair with it then fails and dom 2 keeps
     * no half-made port. */
    uint32_t a, b;
    ck_assert_int_eq(evtchn_bind_pair(t, 2, record, &r, 3, record, &r, &a, &b), EVTCHN_OK);
    ck_assert_int_eq(evtchn_ports_in_use(t, 2), 1);
    ck_assert_int_eq(evtchn_bind_pair(t, 2, record, &r, 3, record, &r, &a, &b),
                     EVTCHN_ERR_NO_SPACE);
    ck_assert_int_eq(evtchn_ports_in_use(t, 2), 1);
    ck_assert_int_eq(evtchn_ports_in_use(t, 3), 1);
    /* Domain registration refuses bad ids, duplicates and limits. */
    ck_assert_int_eq(evtchn_domain_add(t, 1, 0), EVTCHN_ERR_EXISTS);
    ck_assert_int_eq(evtchn_domain_add(t, -1, 0), EVTCHN_ERR_BAD_DOMAIN);
    ck_assert_int_eq(evtchn_domain_add(t, EVTCHN_DOMID_LIMIT, 0), EVTCHN_ERR_BAD_DOMAIN);
    ck_assert_int_eq(evtchn_domain_add(t, 4, 1), EVTCHN_ERR_BAD_LIMIT);
    ck_assert_int_eq(evtchn_domain_add(t, 4, EVTCHN_2L_NR_CHANNELS + 1), EVTCHN_ERR_BAD_LIMIT);
    evtchn_table_free(t);
}
END_TEST

START_TEST(port_exhaustion_at_2l_limit)
{
    ck_assert_uint_eq(EVTCHN_2L_NR_CHANNELS, 4096);
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    /* Ports 1..4095 (port 0 is reserved), lowest first. */
    for (int i = 1; i < (int)EVTCHN_2L_NR_CHANNELS; i++) {
        int p = evtchn_alloc_unbound(t, GUEST, DOM0, NULL, NULL);
        if (p != i)
            ck_abort_msg("allocation %d returned %d", i, p);
    }
    ck_assert_int_eq(evtchn_ports_in_use(t, GUEST), 4095);
    ck_assert_int_eq(evtchn_alloc_unbound(t, GUEST, DOM0, NULL, NULL), EVTCHN_ERR_NO_SPACE);
    uint32_t a, b;
    ck_assert_int_eq(evtchn_bind_pair(t, DOM0, NULL, NULL, GUEST, NULL, NULL, &a, &b),
                     EVTCHN_ERR_NO_SPACE);
    ck_assert_int_eq(evtchn_ports_in_use(t, DOM0), 0);
    /* A freed port is reused first. */
    ck_assert_int_eq(evtchn_close(t, GUEST, 17), EVTCHN_OK);
    ck_assert_int_eq(evtchn_alloc_unbound(t, GUEST, DOM0, NULL, NULL), 17);
    EvtchnStats s;
    evtchn_domain_stats(t, GUEST, &s);
    ck_assert_uint_eq(s.bad_ops, 2);
    /* Another domain is unaffected. */
    ck_assert_int_eq(evtchn_alloc_unbound(t, DOM0, GUEST, NULL, NULL), 1);
    evtchn_table_free(t);
}
END_TEST

START_TEST(domain_remove_unbinds_peers)
{
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    Recorder g = {0}, d0 = {0};
    uint32_t gp, dp;
    connect(t, GUEST, &g, &gp, &d0, &dp);
    evtchn_send(t, GUEST, gp);
    ck_assert_int_eq(evtchn_domain_remove(t, GUEST), EVTCHN_OK);
    ck_assert_int_eq(evtchn_domain_remove(t, GUEST), EVTCHN_ERR_BAD_DOMAIN);
    ck_assert_int_eq(evtchn_send(t, GUEST, gp), EVTCHN_ERR_BAD_DOMAIN);
    ck_assert(!evtchn_peer(t, DOM0, dp, NULL, NULL));
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK); /* dropped */
    EvtchnStats s;
    evtchn_stats(t, &s); /* totals keep the removed domain's counts */
    assert_stats(&s, "total", 2, 1, 1, 0, 2, 0, 0);
    evtchn_table_free(t);
}
END_TEST

/* A handler that allocates ports of its own domain while its upcall runs:
 * the port array grows under the table's feet, which must be safe (ASan
 * watches this test). */
static void grow_in_upcall(EvtchnTable *t, int domid, uint32_t port, void *data)
{
    int *calls = data;
    (*calls)++;
    evtchn_clear_pending(t, domid, port);
    for (int i = 0; i < 200; i++)
        ck_assert_int_gt(evtchn_alloc_unbound(t, domid, DOM0, NULL, NULL), 0);
    /* And sends back, which must not recurse forever: dom0's end does not
     * answer. */
    ck_assert_int_eq(evtchn_send(t, domid, port), EVTCHN_OK);
}

START_TEST(handler_may_reenter_table)
{
    const int doms[] = {DOM0, GUEST};
    EvtchnTable *t = make_table(doms, 2);
    int calls = 0;
    Recorder g = {0}, d0 = {0};
    uint32_t gp, dp;
    connect(t, GUEST, &g, &gp, &d0, &dp);
    /* Re-register the guest end with the growing handler by rebinding. */
    evtchn_close(t, GUEST, gp);
    int np = evtchn_bind_interdomain(t, GUEST, DOM0, dp, grow_in_upcall, &calls);
    ck_assert_int_eq(np, (int)gp);
    ck_assert_int_eq(calls, 1); /* the bind notification ran the handler */
    ck_assert_int_eq(evtchn_send(t, DOM0, dp), EVTCHN_OK);
    ck_assert_int_eq(calls, 2);
    ck_assert_int_eq(evtchn_ports_in_use(t, GUEST), 1 + 400);
    ck_assert_int_eq(d0.calls, 2); /* bind + the handler's first send (then pending) */
    evtchn_table_free(t);
}
END_TEST

static Suite *evtchn_suite(void)
{
    Suite *s = suite_create("evtchn");
    TCase *tc = tcase_create("delivery");
    tcase_add_test(tc, bind_pair_connects_both_ends);
    tcase_add_test(tc, pending_coalesces_sends);
    tcase_add_test(tc, mask_holds_and_unmask_delivers);
    tcase_add_test(tc, handler_may_reenter_table);
    suite_add_tcase(s, tc);

    tc = tcase_create("refusal");
    tcase_add_test(tc, bad_ports_refused_and_counted);
    tcase_add_test(tc, bad_sends_do_not_touch_other_channels);
    tcase_add_test(tc, close_then_send);
    tcase_add_test(tc, bind_errors_leave_nothing_allocated);
    tcase_add_test(tc, port_exhaustion_at_2l_limit);
    tcase_add_test(tc, domain_remove_unbinds_peers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(evtchn_suite());
}
