/* Xen grant tables v1: one test per refusal rule (exact GNTST_ status and
 * the counter it lands in), the free-list order, and seeded random walks
 * with garbage arguments, predicted step by step by a shadow model written
 * from the rules, not from the implementation.  After every step the
 * status, the occupancy and counters of every domain and the entry and
 * handle the step named are compared with the shadow; the O(table) scan of
 * every pin against the live mappings runs every 8th step of the 10^5-step
 * walk and every step of the garbage walk, which also digests every domain
 * after every step to show that no call disturbs a domain it does not
 * name. */
#include "tests/check_main.h"
#include <check.h>
#include <gsl/gsl_rng.h>
#include <limits.h>
#include <string.h>

#include "models/grant.h"
#include "sim/sim_error.h"

#define ck_assert_status(got, want)                                                                \
    do {                                                                                           \
        int got_ = (got), want_ = (want);                                                          \
        ck_assert_msg(got_ == want_, "%s: status %d (%s), expected %d (%s)", #got, got_,           \
                      grant_status_name(got_), want_, grant_status_name(want_));                   \
    } while (0)

/* A space with domains 0..n-1, each with the given table sizes in frames. */
static GrantSpace *make(int n, uint32_t grant_frames, uint32_t maptrack_frames)
{
    GrantSpace *s = grant_space_new();
    for (int d = 0; d < n; d++) {
        GError *err = NULL;
        gboolean ok = grant_space_add_domain(s, d, grant_frames, maptrack_frames, &err);
        ck_assert_msg(ok, "add_domain(%d) failed: %s", d, err ? err->message : "(no error)");
    }
    return s;
}

static GrantCounters counters(const GrantSpace *s, int domid)
{
    GrantCounters c;
    ck_assert_msg(grant_counters(s, domid, &c), "no counters for d%d", domid);
    return c;
}

static GrantEntryInfo entry(const GrantSpace *s, int domid, int64_t ref)
{
    GrantEntryInfo e;
    ck_assert_msg(grant_entry_info(s, domid, ref, &e), "d%d ref %" G_GINT64_FORMAT " out of range",
                  domid, ref);
    return e;
}

/* Asserts that `after` is `before` with refused[r] raised by `n` and
 * nothing else changed. */
static void assert_refused_only(const GrantCounters *before, const GrantCounters *after,
                                GrantRefusal r, uint64_t n)
{
    GrantCounters want = *before;
    want.refused[r] += n;
    for (int k = 0; k < GRANT_REFUSE_COUNT; k++)
        ck_assert_msg(after->refused[k] == want.refused[k],
                      "refused[%s] = %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT,
                      grant_refusal_name((GrantRefusal)k), after->refused[k], want.refused[k]);
    ck_assert_msg(memcmp(after, &want, sizeof want) == 0,
                  "success counters changed: grants %" G_GUINT64_FORMAT " maps %" G_GUINT64_FORMAT
                  " unmaps %" G_GUINT64_FORMAT " copies %" G_GUINT64_FORMAT
                  " end_accesses %" G_GUINT64_FORMAT,
                  after->grants, after->maps, after->unmaps, after->copies, after->end_accesses);
}

static void assert_consistent(const GrantSpace *s)
{
    g_autoptr(GString) why = g_string_new(NULL);
    ck_assert_msg(grant_space_check(s, why), "invariants broken:\n%s", why->str);
}

static int64_t grant_ok(GrantSpace *s, int granter, int peer, uint32_t frame, bool ro)
{
    int64_t ref = -2;
    ck_assert_status(grant_access(s, granter, peer, frame, ro, &ref), GNTST_okay);
    ck_assert_int_ge(ref, 0);
    return ref;
}

static int64_t map_ok(GrantSpace *s, int mapper, int granter, int64_t ref, bool ro)
{
    int64_t h = -2;
    ck_assert_status(grant_map(s, mapper, granter, ref, ro, &h), GNTST_okay);
    ck_assert_int_ge(h, 0);
    return h;
}

static GrantCopySeg seg_ref(int domid, int64_t ref, int64_t offset)
{
    return (GrantCopySeg){.is_ref = true, .domid = domid, .ref = ref, .offset = offset};
}

static GrantCopySeg seg_local(int64_t offset)
{
    return (GrantCopySeg){.is_ref = false, .domid = GRANT_DOMID_SELF, .offset = offset};
}

START_TEST(defaults_match_xen)
{
    /* The ABI values the model relies on, against grant_table.h. */
    ck_assert_int_eq(GNTST_general_error, -1);
    ck_assert_int_eq(GNTST_bad_domain, -2);
    ck_assert_int_eq(GNTST_bad_gntref, -3);
    ck_assert_int_eq(GNTST_bad_handle, -4);
    ck_assert_int_eq(GNTST_permission_denied, -8);
    ck_assert_int_eq(GNTST_bad_copy_arg, -10);
    ck_assert_int_eq(GNTST_eagain, -12);
    ck_assert_int_eq(GNTST_no_space, -13);
    ck_assert_uint_eq(GRANT_ENTRIES_PER_FRAME, GRANT_PAGE_BYTES / GRANT_V1_ENTRY_BYTES);
    ck_assert_uint_eq(GRANT_MAPTRACK_PER_FRAME, GRANT_PAGE_BYTES / GRANT_MAPTRACK_ENTRY_BYTES);
    ck_assert_str_eq(grant_status_name(GNTST_permission_denied), "permission denied");
    ck_assert_str_eq(grant_status_name(GNTST_no_space), "out of space");
    ck_assert_str_eq(grant_status_name(-14), "unknown status");

    g_autoptr(GrantSpace) s = make(1, 0, 0);
    ck_assert_uint_eq(grant_table_entries(s, 0), 32768);
    ck_assert_uint_eq(grant_entries_free(s, 0), 32768);
    ck_assert_uint_eq(grant_entries_in_use(s, 0), 0);
    ck_assert_uint_eq(grant_maptrack_entries(s, 0), 262144);
    ck_assert_uint_eq(grant_mappings_in_use(s, 0), 0);
    /* Refs from 0 up, handed out in order on a fresh table. */
    for (int64_t want = 0; want < 4; want++)
        ck_assert_int_eq(grant_ok(s, 0, 0, 100, false), want);
    ck_assert_uint_eq(grant_entries_in_use(s, 0) + grant_entries_free(s, 0), 32768);
}
END_TEST

START_TEST(grant_map_unmap_roundtrip)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 0xabcd, false);
    GrantEntryInfo e = entry(s, 1, ref);
    ck_assert_uint_eq(e.flags, GTF_permit_access);
    ck_assert_int_eq(e.peer, 0);
    ck_assert_uint_eq(e.frame, 0xabcd);

    int64_t hw = map_ok(s, 0, 1, ref, false);
    int64_t hr = map_ok(s, 0, 1, ref, true);
    ck_assert_int_ne(hw, hr);
    e = entry(s, 1, ref);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_reading | GTF_writing);
    ck_assert_uint_eq(e.read_pins, 1);
    ck_assert_uint_eq(e.write_pins, 1);
    ck_assert_uint_eq(grant_mappings_in_use(s, 0), 2);
    GrantMappingInfo mi;
    ck_assert(grant_mapping_info(s, 0, hw, &mi));
    ck_assert_int_eq(mi.granter, 1);
    ck_assert_int_eq(mi.ref, ref);
    ck_assert(!mi.readonly);

    /* Dropping the writer clears GTF_writing but not GTF_reading. */
    ck_assert_status(grant_unmap(s, 0, hw), GNTST_okay);
    e = entry(s, 1, ref);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_reading);
    ck_assert_status(grant_unmap(s, 0, hr), GNTST_okay);
    e = entry(s, 1, ref);
    ck_assert_uint_eq(e.flags, GTF_permit_access);
    ck_assert_uint_eq(grant_mappings_in_use(s, 0), 0);

    GrantCounters c0 = counters(s, 0), c1 = counters(s, 1);
    ck_assert_uint_eq(c1.grants, 1);
    ck_assert_uint_eq(c1.maps, 0);
    ck_assert_uint_eq(c0.maps, 2);
    ck_assert_uint_eq(c0.unmaps, 2);
    ck_assert_uint_eq(grant_counters_refused_total(&c0), 0);
    assert_consistent(s);
}
END_TEST

START_TEST(map_by_wrong_domain)
{
    g_autoptr(GrantSpace) s = make(3, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    uint64_t d1 = grant_space_digest(s, 1);
    GrantCounters before = counters(s, 2);
    int64_t h = 99;
    /* Xen, _set_status_v1: "Bad flags or dom" is GNTST_general_error. */
    ck_assert_status(grant_map(s, 2, 1, ref, true, &h), GNTST_general_error);
    ck_assert_int_eq(h, -1);
    GrantCounters after = counters(s, 2);
    assert_refused_only(&before, &after, GRANT_REFUSE_WRONG_DOMAIN, 1);
    ck_assert_uint_eq(grant_mappings_in_use(s, 2), 0);
    ck_assert_uint_eq(entry(s, 1, ref).read_pins, 0);
    ck_assert_uint_eq(grant_space_digest(s, 1), d1);

    /* Still refused while the rightful peer holds it mapped. */
    map_ok(s, 0, 1, ref, true);
    ck_assert_status(grant_map(s, 2, 1, ref, true, NULL), GNTST_general_error);
    ck_assert_uint_eq(counters(s, 2).refused[GRANT_REFUSE_WRONG_DOMAIN], 2);
    assert_consistent(s);
}
END_TEST

START_TEST(write_map_of_readonly_grant)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, true);
    ck_assert_uint_eq(entry(s, 1, ref).flags, GTF_permit_access | GTF_readonly);
    GrantCounters before = counters(s, 0);
    /* Xen: "Attempt to write-pin a r/o grant entry", GNTST_general_error. */
    ck_assert_status(grant_map(s, 0, 1, ref, false, NULL), GNTST_general_error);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_READONLY, 1);
    ck_assert_uint_eq(entry(s, 1, ref).write_pins, 0);
    /* A read-only mapping of the same grant is fine. */
    map_ok(s, 0, 1, ref, true);
    ck_assert_uint_eq(entry(s, 1, ref).flags, GTF_permit_access | GTF_readonly | GTF_reading);
    assert_consistent(s);
}
END_TEST

START_TEST(copy_write_into_readonly_grant)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, true);
    GrantCopySeg local = seg_local(0), granted = seg_ref(1, ref, 0);
    GrantCounters before = counters(s, 0);
    ck_assert_status(grant_copy(s, 0, &local, &granted, 64), GNTST_general_error);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_READONLY, 1);
    /* Reading from it is allowed, and leaves no pin. */
    ck_assert_status(grant_copy(s, 0, &granted, &local, 64), GNTST_okay);
    after = counters(s, 0);
    ck_assert_uint_eq(after.copies, 1);
    ck_assert_uint_eq(after.copy_bytes, 64);
    ck_assert_uint_eq(entry(s, 1, ref).flags, GTF_permit_access | GTF_readonly);
    assert_consistent(s);
}
END_TEST

START_TEST(copy_by_wrong_domain)
{
    g_autoptr(GrantSpace) s = make(3, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    GrantCopySeg local = seg_local(0), granted = seg_ref(1, ref, 0);
    GrantCounters before = counters(s, 2);
    ck_assert_status(grant_copy(s, 2, &granted, &local, 8), GNTST_general_error);
    ck_assert_status(grant_copy(s, 2, &local, &granted, 8), GNTST_general_error);
    GrantCounters after = counters(s, 2);
    assert_refused_only(&before, &after, GRANT_REFUSE_WRONG_DOMAIN, 2);
    /* The named peer may. */
    ck_assert_status(grant_copy(s, 0, &local, &granted, 8), GNTST_okay);
    assert_consistent(s);
}
END_TEST

START_TEST(copy_by_foreign_frame)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    /* Naming another domain's frame instead of a grant: Xen's
     * gnttab_copy_lock_domain, "Only DOMID_SELF may reference via frame",
     * and that holds even for the caller's own id. */
    GrantCopySeg foreign = {.is_ref = false, .domid = 1, .offset = 0};
    GrantCopySeg own_id = {.is_ref = false, .domid = 0, .offset = 0};
    GrantCopySeg granted = seg_ref(1, ref, 0);
    GrantCounters before = counters(s, 0);
    ck_assert_status(grant_copy(s, 0, &foreign, &granted, 8), GNTST_permission_denied);
    ck_assert_status(grant_copy(s, 0, &granted, &own_id, 8), GNTST_permission_denied);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_FRAME_NOT_SELF, 2);
}
END_TEST

START_TEST(bad_refs)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    const int64_t size = grant_table_entries(s, 1);
    ck_assert_int_eq(size, 512);
    int64_t live = grant_ok(s, 1, 0, 7, false);
    int64_t ended = grant_ok(s, 1, 0, 8, false);
    ck_assert_status(grant_end_access(s, 1, ended), GNTST_okay);
    GrantCopySeg local = seg_local(0);

    /* Out of range, including values that would wrap to small ones in 32
     * bits: GNTST_bad_gntref, for map, both sides of a copy, and end. */
    const int64_t out[] = {-1,       INT64_MIN, size, size + 1, UINT32_MAX, (int64_t)UINT32_MAX + 1,
                           INT64_MAX};
    GrantCounters b0 = counters(s, 0), b1 = counters(s, 1);
    for (size_t i = 0; i < G_N_ELEMENTS(out); i++) {
        GrantCopySeg bad = seg_ref(1, out[i], 0);
        ck_assert_status(grant_map(s, 0, 1, out[i], true, NULL), GNTST_bad_gntref);
        ck_assert_status(grant_copy(s, 0, &bad, &local, 1), GNTST_bad_gntref);
        ck_assert_status(grant_copy(s, 0, &local, &bad, 1), GNTST_bad_gntref);
        ck_assert_status(grant_end_access(s, 1, out[i]), GNTST_bad_gntref);
    }
    GrantCounters a0 = counters(s, 0), a1 = counters(s, 1);
    assert_refused_only(&b0, &a0, GRANT_REFUSE_REF_RANGE, 3 * G_N_ELEMENTS(out));
    assert_refused_only(&b1, &a1, GRANT_REFUSE_REF_RANGE, G_N_ELEMENTS(out));

    /* In range but free (ended, never granted below or above the
     * high-water mark): Xen's "Bad flags", GNTST_general_error. */
    const int64_t freed[] = {ended, live + 2, size - 1};
    b0 = a0;
    b1 = a1;
    for (size_t i = 0; i < G_N_ELEMENTS(freed); i++) {
        GrantCopySeg bad = seg_ref(1, freed[i], 0);
        ck_assert_status(grant_map(s, 0, 1, freed[i], true, NULL), GNTST_general_error);
        ck_assert_status(grant_copy(s, 0, &bad, &local, 1), GNTST_general_error);
        ck_assert_status(grant_end_access(s, 1, freed[i]), GNTST_general_error);
    }
    a0 = counters(s, 0);
    a1 = counters(s, 1);
    assert_refused_only(&b0, &a0, GRANT_REFUSE_REF_FREE, 2 * G_N_ELEMENTS(freed));
    assert_refused_only(&b1, &a1, GRANT_REFUSE_REF_FREE, G_N_ELEMENTS(freed));
    /* Nothing but counters moved. */
    ck_assert_uint_eq(grant_entries_in_use(s, 1), 1);
    ck_assert_uint_eq(grant_mappings_in_use(s, 0), 0);
    ck_assert_uint_eq(entry(s, 1, live).flags, GTF_permit_access);
    ck_assert_uint_eq(entry(s, 1, ended).flags, 0);
    assert_consistent(s);
}
END_TEST

START_TEST(unmap_bad_handles)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    const int64_t size = grant_maptrack_entries(s, 0);
    ck_assert_int_eq(size, 256);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    /* Two mappings of one entry, so that a wrongly accepted second unmap of
     * the same handle would show as a missing pin. */
    int64_t h1 = map_ok(s, 0, 1, ref, true);
    int64_t h2 = map_ok(s, 0, 1, ref, true);
    ck_assert_status(grant_unmap(s, 0, h1), GNTST_okay);

    GrantCounters before = counters(s, 0);
    /* Never issued, and already unmapped. */
    ck_assert_status(grant_unmap(s, 0, h2 + 1), GNTST_bad_handle);
    ck_assert_status(grant_unmap(s, 0, size - 1), GNTST_bad_handle);
    ck_assert_status(grant_unmap(s, 0, h1), GNTST_bad_handle);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_HANDLE_FREE, 3);
    /* Out of range. */
    const int64_t out[] = {-1, INT64_MIN, size, UINT32_MAX, INT64_MAX};
    for (size_t i = 0; i < G_N_ELEMENTS(out); i++)
        ck_assert_status(grant_unmap(s, 0, out[i]), GNTST_bad_handle);
    before = after;
    after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_HANDLE_RANGE, G_N_ELEMENTS(out));
    /* A handle belongs to its mapper's table: d1 has none. */
    ck_assert_status(grant_unmap(s, 1, h2), GNTST_bad_handle);

    GrantEntryInfo e = entry(s, 1, ref);
    ck_assert_uint_eq(e.read_pins, 1);
    ck_assert_uint_eq(grant_mappings_in_use(s, 0), 1);
    ck_assert_uint_eq(counters(s, 1).refused[GRANT_REFUSE_HANDLE_FREE], 1);
    ck_assert_status(grant_unmap(s, 0, h2), GNTST_okay);
    ck_assert_uint_eq(entry(s, 1, ref).read_pins, 0);
    assert_consistent(s);
}
END_TEST

START_TEST(copy_beyond_page)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t src = grant_ok(s, 1, 0, 7, true);
    int64_t dst = grant_ok(s, 1, 0, 8, false);
    struct {
        int64_t soff, doff, len;
        int want;
    } cases[] = {
        {0, 0, 4096, GNTST_okay},
        {2048, 2048, 2048, GNTST_okay},
        {4096, 4096, 0, GNTST_okay},
        {4095, 0, 2, GNTST_bad_copy_arg},
        {0, 4095, 2, GNTST_bad_copy_arg},
        {0, 0, 4097, GNTST_bad_copy_arg},
        {4097, 0, 0, GNTST_bad_copy_arg},
        {-1, 0, 1, GNTST_bad_copy_arg},
        {0, -4096, 4096, GNTST_bad_copy_arg},
        {0, 0, -1, GNTST_bad_copy_arg},
        {INT64_MAX, 0, INT64_MAX, GNTST_bad_copy_arg},
        {1, 1, INT64_MAX, GNTST_bad_copy_arg},
    };
    uint64_t bytes = 0, oks = 0, bad = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        GrantCopySeg a = seg_ref(1, src, cases[i].soff), b = seg_ref(1, dst, cases[i].doff);
        int st = grant_copy(s, 0, &a, &b, cases[i].len);
        ck_assert_msg(st == cases[i].want,
                      "case %zu (src off %" G_GINT64_FORMAT ", dst off %" G_GINT64_FORMAT
                      ", len %" G_GINT64_FORMAT "): status %d, expected %d",
                      i, cases[i].soff, cases[i].doff, cases[i].len, st, cases[i].want);
        if (st == GNTST_okay) {
            oks++;
            bytes += (uint64_t)cases[i].len;
        } else {
            bad++;
        }
    }
    GrantCounters c = counters(s, 0);
    ck_assert_uint_eq(c.copies, oks);
    ck_assert_uint_eq(c.copy_bytes, bytes);
    ck_assert_uint_eq(c.refused[GRANT_REFUSE_COPY_ARG], bad);
    ck_assert_uint_eq(grant_counters_refused_total(&c), bad);
    /* Xen checks the bounds last: a bad ref with a bad length is a bad ref. */
    GrantCopySeg badref = seg_ref(1, 511, 4095), local = seg_local(0);
    ck_assert_status(grant_copy(s, 0, &badref, &local, 2), GNTST_general_error);
    assert_consistent(s);
}
END_TEST

START_TEST(end_access_while_mapped)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    int64_t h = map_ok(s, 0, 1, ref, false);
    GrantCounters before = counters(s, 1);
    ck_assert_status(grant_end_access(s, 1, ref), GNTST_eagain);
    GrantCounters after = counters(s, 1);
    assert_refused_only(&before, &after, GRANT_REFUSE_PINNED, 1);
    ck_assert_uint_eq(grant_entries_in_use(s, 1), 1);
    ck_assert_uint_eq(entry(s, 1, ref).flags, GTF_permit_access | GTF_reading | GTF_writing);

    ck_assert_status(grant_unmap(s, 0, h), GNTST_okay);
    ck_assert_status(grant_end_access(s, 1, ref), GNTST_okay);
    ck_assert_uint_eq(counters(s, 1).end_accesses, 1);
    ck_assert_uint_eq(grant_entries_in_use(s, 1), 0);
    GrantEntryInfo e = entry(s, 1, ref);
    ck_assert_uint_eq(e.flags, 0);
    ck_assert_int_eq(e.peer, -1);
    /* The old ref is dead for the peer now. */
    ck_assert_status(grant_map(s, 0, 1, ref, true, NULL), GNTST_general_error);
    ck_assert_uint_eq(counters(s, 0).refused[GRANT_REFUSE_REF_FREE], 1);
    assert_consistent(s);
}
END_TEST

START_TEST(table_full_then_reuse)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    for (int64_t want = 0; want < 512; want++)
        ck_assert_int_eq(grant_ok(s, 1, 0, (uint32_t)want, false), want);
    ck_assert_uint_eq(grant_entries_free(s, 1), 0);
    int64_t ref = 5;
    GrantCounters before = counters(s, 1);
    ck_assert_status(grant_access(s, 1, 0, 1, false, &ref), GNTST_no_space);
    ck_assert_int_eq(ref, -1);
    GrantCounters after = counters(s, 1);
    assert_refused_only(&before, &after, GRANT_REFUSE_TABLE_FULL, 1);

    /* Freed refs come back most recently freed first. */
    ck_assert_status(grant_end_access(s, 1, 300), GNTST_okay);
    ck_assert_status(grant_end_access(s, 1, 7), GNTST_okay);
    ck_assert_uint_eq(grant_entries_free(s, 1), 2);
    ck_assert_int_eq(grant_ok(s, 1, 0, 70, true), 7);
    ck_assert_int_eq(grant_ok(s, 1, 0, 3000, false), 300);
    ck_assert_status(grant_access(s, 1, 0, 1, false, NULL), GNTST_no_space);
    ck_assert_uint_eq(counters(s, 1).refused[GRANT_REFUSE_TABLE_FULL], 2);
    GrantEntryInfo e = entry(s, 1, 7);
    ck_assert_uint_eq(e.flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(e.frame, 70);
    ck_assert_uint_eq(grant_entries_in_use(s, 1) + grant_entries_free(s, 1), 512);
    assert_consistent(s);
}
END_TEST

START_TEST(maptrack_full_then_reuse)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, true);
    /* 256 handles, but one entry takes only 128 pins of a kind: use two. */
    int64_t ref2 = grant_ok(s, 1, 0, 8, false);
    for (int64_t want = 0; want < 256; want++)
        ck_assert_int_eq(map_ok(s, 0, 1, want < 128 ? ref : ref2, want < 128), want);
    GrantCounters before = counters(s, 0);
    ck_assert_status(grant_map(s, 0, 1, ref, true, NULL), GNTST_no_space);
    /* Xen takes the handle before it looks at the ref. */
    ck_assert_status(grant_map(s, 0, 1, -1, true, NULL), GNTST_no_space);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_MAPTRACK_FULL, 2);
    ck_assert_status(grant_unmap(s, 0, 42), GNTST_okay);
    ck_assert_int_eq(map_ok(s, 0, 1, ref, true), 42);
    assert_consistent(s);
}
END_TEST

START_TEST(pin_limit)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    for (unsigned i = 0; i < GRANT_PIN_MAX; i++)
        ck_assert_int_eq(map_ok(s, 0, 1, ref, true), i);
    GrantCounters before = counters(s, 0);
    /* Xen refuses once any 8-bit pin field has bit 7 set, whatever the
     * mode asked for, for maps and copies alike. */
    ck_assert_status(grant_map(s, 0, 1, ref, true, NULL), GNTST_general_error);
    ck_assert_status(grant_map(s, 0, 1, ref, false, NULL), GNTST_general_error);
    GrantCopySeg g = seg_ref(1, ref, 0), local = seg_local(0);
    ck_assert_status(grant_copy(s, 0, &g, &local, 1), GNTST_general_error);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_PIN_OVERFLOW, 3);
    ck_assert_uint_eq(entry(s, 1, ref).read_pins, GRANT_PIN_MAX);

    /* With 127 readers, a copy within the grant pins the source first,
     * which takes the readers to 128 before the destination is checked. */
    ck_assert_status(grant_unmap(s, 0, 0), GNTST_okay);
    GrantCopySeg a = seg_ref(1, ref, 0), b = seg_ref(1, ref, 2048);
    ck_assert_status(grant_copy(s, 0, &a, &b, 16), GNTST_general_error);
    ck_assert_uint_eq(counters(s, 0).refused[GRANT_REFUSE_PIN_OVERFLOW], 4);
    ck_assert_status(grant_copy(s, 0, &g, &local, 1), GNTST_okay);
    ck_assert_status(grant_unmap(s, 0, 1), GNTST_okay);
    ck_assert_status(grant_copy(s, 0, &a, &b, 16), GNTST_okay);
    assert_consistent(s);
}
END_TEST

START_TEST(copy_leaves_no_mapping)
{
    g_autoptr(GrantSpace) s = make(3, 1, 1);
    int64_t from = grant_ok(s, 1, 0, 7, true);
    int64_t to = grant_ok(s, 2, 0, 8, false);
    GrantCopySeg a = seg_ref(1, from, 100), b = seg_ref(2, to, 200);
    for (int i = 0; i < 10; i++)
        ck_assert_status(grant_copy(s, 0, &a, &b, 1000), GNTST_okay);
    ck_assert_uint_eq(counters(s, 0).copies, 10);
    ck_assert_uint_eq(counters(s, 0).copy_bytes, 10000);
    ck_assert_uint_eq(grant_mappings_in_use(s, 0), 0);
    ck_assert_uint_eq(entry(s, 1, from).flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(entry(s, 2, to).flags, GTF_permit_access);
    ck_assert_status(grant_end_access(s, 1, from), GNTST_okay);
    ck_assert_status(grant_end_access(s, 2, to), GNTST_okay);
    /* A domain may also copy between its own grants via DOMID_SELF. */
    int64_t own = grant_ok(s, 0, 0, 9, false);
    GrantCopySeg self = seg_ref(GRANT_DOMID_SELF, own, 0), local = seg_local(0);
    ck_assert_status(grant_copy(s, 0, &local, &self, 4096), GNTST_okay);
    assert_consistent(s);
}
END_TEST

START_TEST(unknown_domid)
{
    g_autoptr(GrantSpace) s = make(2, 1, 1);
    int64_t ref = grant_ok(s, 1, 0, 7, false);
    GrantCounters before = counters(s, 0);
    /* An unknown granter, including DOMID_SELF, which map does not take. */
    ck_assert_status(grant_map(s, 0, 5, 0, true, NULL), GNTST_bad_domain);
    ck_assert_status(grant_map(s, 0, GRANT_DOMID_SELF, ref, true, NULL), GNTST_bad_domain);
    ck_assert_status(grant_map(s, 0, -1, ref, true, NULL), GNTST_bad_domain);
    GrantCopySeg bad = seg_ref(INT_MAX, 0, 0), local = seg_local(0);
    ck_assert_status(grant_copy(s, 0, &bad, &local, 1), GNTST_bad_domain);
    GrantCounters after = counters(s, 0);
    assert_refused_only(&before, &after, GRANT_REFUSE_UNKNOWN_DOMAIN, 4);

    /* An unknown caller has no table: its refusals are unattributed. */
    uint64_t d0 = grant_space_digest(s, 0), d1 = grant_space_digest(s, 1);
    ck_assert_status(grant_access(s, 7, 0, 1, false, NULL), GNTST_bad_domain);
    ck_assert_status(grant_map(s, 7, 1, ref, true, NULL), GNTST_bad_domain);
    ck_assert_status(grant_unmap(s, INT_MIN, 0), GNTST_bad_domain);
    ck_assert_status(grant_copy(s, GRANT_DOMID_SELF, &local, &local, 1), GNTST_bad_domain);
    ck_assert_status(grant_end_access(s, 0x7FFF, 0), GNTST_bad_domain);
    GrantCounters un;
    grant_unattributed_counters(s, &un);
    ck_assert_uint_eq(un.refused[GRANT_REFUSE_UNKNOWN_DOMAIN], 5);
    ck_assert_uint_eq(grant_counters_refused_total(&un), 5);
    ck_assert_uint_eq(grant_space_digest(s, 0), d0);
    ck_assert_uint_eq(grant_space_digest(s, 1), d1);
    /* Granting to a domid no domain can have. */
    ck_assert_status(grant_access(s, 1, GRANT_DOMID_SELF, 1, false, NULL), GNTST_general_error);
    ck_assert_status(grant_access(s, 1, -3, 1, false, NULL), GNTST_general_error);
    ck_assert_uint_eq(counters(s, 1).refused[GRANT_REFUSE_BAD_PEER], 2);
    /* Queries on unknown domids answer zero. */
    ck_assert_uint_eq(grant_table_entries(s, 9), 0);
    ck_assert_uint_eq(grant_space_digest(s, 9), 0);
    GrantCounters none;
    ck_assert(!grant_counters(s, 9, &none));
    GrantEntryInfo e;
    ck_assert(!grant_entry_info(s, 9, 0, &e));
    ck_assert(!grant_entry_info(s, 1, 512, &e));
    ck_assert_int_eq(e.peer, -1);
}
END_TEST

START_TEST(add_domain_validation)
{
    g_autoptr(GrantSpace) s = make(1, 1, 1);
    struct {
        int domid;
        uint32_t gf, mf;
        const char *says;
    } bad[] = {
        {0, 1, 1, "already has a grant table"},
        {-1, 1, 1, "must be 0..32751"},
        {GRANT_DOMID_SELF, 1, 1, "must be 0..32751"},
        {1, GRANT_MAX_FRAMES + 1, 1, "grant_frames = 65537"},
        {1, 1, UINT32_MAX, "maptrack_frames = 4294967295"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        ck_assert(!grant_space_add_domain(s, bad[i].domid, bad[i].gf, bad[i].mf, &err));
        ck_assert_ptr_nonnull(err);
        ck_assert_msg(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT), "case %zu", i);
        ck_assert_msg(strstr(err->message, bad[i].says), "case %zu: '%s' lacks '%s'", i,
                      err->message, bad[i].says);
        g_error_free(err);
    }
    ck_assert(!grant_space_has_domain(s, 1));
    ck_assert(grant_space_add_domain(s, 32751, 0, 0, NULL));
    ck_assert_uint_eq(grant_table_entries(s, 32751), 32768);
}
END_TEST

/* ---- the random walk ---- */

/* ck_assert_msg records the location of every passing assertion (a write
 * to Check's message pipe), which would dominate 10^5 checked steps; this
 * only reaches Check on failure. */
#define walk_assert(expr, ...)                                                                     \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

#define RT_DOMS 3
#define RT_REFS 512    /* one grant frame */
#define RT_HANDLES 256 /* one maptrack frame */
#define RT_STEPS 100000
#define RT_PHASE 10000 /* steps per filling or draining phase */
#define RT_FULL_EVERY 500

typedef struct {
    bool used, ro;
    int peer;
    uint32_t frame, rp, wp;
} SEnt;

typedef struct {
    bool live, ro;
    int granter;
    int64_t ref;
} SMap;

typedef struct {
    SEnt ent[RT_REFS];
    SMap map[RT_HANDLES];
    GrantCounters c;
    uint32_t in_use, maps;
} SDom;

/* What the rules say the state is, kept by the test from the rules alone. */
typedef struct {
    SDom d[RT_DOMS];
    GrantCounters unattributed;
} Shadow;

/* One random walk: its random stream, how often arguments are garbage,
 * and which checks run after which steps. */
typedef struct {
    gsl_rng *r;
    Shadow *sh;
    double junk;     /* probability that an argument is garbage */
    int scan_every;  /* grant_space_check every this many steps (0: never) */
    bool digest_all; /* isolation by digests after every step */
} Walk;

static SDom *sdom(Shadow *sh, int64_t domid)
{
    return domid >= 0 && domid < RT_DOMS ? &sh->d[domid] : NULL;
}

/* The rules for pinning entry e, in Xen's order; -1 if allowed. */
static int rule_access(const SEnt *e, int user, bool write)
{
    if (e->rp + e->wp > 0 && e->peer != user)
        return GRANT_REFUSE_WRONG_DOMAIN;
    if (e->rp >= 128 || e->wp >= 128)
        return GRANT_REFUSE_PIN_OVERFLOW;
    if (!e->used)
        return GRANT_REFUSE_REF_FREE;
    if (e->peer != user)
        return GRANT_REFUSE_WRONG_DOMAIN;
    if (write && e->ro)
        return GRANT_REFUSE_READONLY;
    return -1;
}

static bool is_junk(Walk *w)
{
    return gsl_rng_uniform(w->r) < w->junk;
}

static int pick_domid(Walk *w)
{
    static const int junk[] = {3, -1, GRANT_DOMID_SELF, 0x7FFF, 0xFFFF, 40000, INT_MAX, INT_MIN};
    if (!is_junk(w))
        return (int)gsl_rng_uniform_int(w->r, RT_DOMS);
    return junk[gsl_rng_uniform_int(w->r, G_N_ELEMENTS(junk))];
}

static int64_t pick_junk_index(Walk *w, int64_t size)
{
    const int64_t junk[] = {-1, size, size + 1, INT64_MIN, INT64_MAX, UINT32_MAX, 1 << 20};
    return junk[gsl_rng_uniform_int(w->r, G_N_ELEMENTS(junk))];
}

typedef struct {
    const SDom *d;
    int user; /* -1: any */
} SlotQuery;

static bool ent_wanted(const SlotQuery *q, uint32_t i)
{
    return q->d->ent[i].used && (q->user < 0 || q->d->ent[i].peer == q->user);
}

static bool map_live(const SlotQuery *q, uint32_t i)
{
    return q->d->map[i].live;
}

/* A random slot below n for which ok(q, slot) holds, or -1: scans from a
 * random start so that any such slot can come out. */
static int64_t pick_slot(Walk *w, uint32_t n, bool (*ok)(const SlotQuery *, uint32_t), SlotQuery q)
{
    uint32_t start = (uint32_t)gsl_rng_uniform_int(w->r, n);
    for (uint32_t k = 0; k < n; k++)
        if (ok(&q, (start + k) % n))
            return (start + k) % n;
    return -1;
}

/* For a map or copy by `user`: mostly a ref of `domid`'s granted to the
 * user, sometimes any granted ref or any in-range ref, or garbage. */
static int64_t pick_ref(Walk *w, int domid, int user)
{
    if (is_junk(w))
        return pick_junk_index(w, RT_REFS);
    SDom *d = sdom(w->sh, domid);
    double u = gsl_rng_uniform(w->r);
    int64_t ref = -1;
    if (d && u < 0.6)
        ref = pick_slot(w, RT_REFS, ent_wanted, (SlotQuery){d, user});
    if (d && ref < 0 && u < 0.8)
        ref = pick_slot(w, RT_REFS, ent_wanted, (SlotQuery){d, -1});
    return ref >= 0 ? ref : (int64_t)gsl_rng_uniform_int(w->r, RT_REFS);
}

static int64_t pick_handle(Walk *w, int domid)
{
    if (is_junk(w))
        return pick_junk_index(w, RT_HANDLES);
    SDom *d = sdom(w->sh, domid);
    int64_t h = -1;
    if (d && gsl_rng_uniform(w->r) < 0.8)
        h = pick_slot(w, RT_HANDLES, map_live, (SlotQuery){d, -1});
    return h >= 0 ? h : (int64_t)gsl_rng_uniform_int(w->r, RT_HANDLES);
}

static int64_t pick_offset(Walk *w)
{
    static const int64_t junk[] = {-1, 4097, 8192, INT64_MIN, INT64_MAX, 65536};
    if (!is_junk(w))
        return (int64_t)gsl_rng_uniform_int(w->r, 4097);
    return junk[gsl_rng_uniform_int(w->r, G_N_ELEMENTS(junk))];
}

static GrantCopySeg pick_seg(Walk *w, int caller)
{
    GrantCopySeg g = {.is_ref = gsl_rng_uniform(w->r) < 0.7, .offset = pick_offset(w)};
    if (g.is_ref) {
        g.domid = gsl_rng_uniform(w->r) < 0.15 ? GRANT_DOMID_SELF : pick_domid(w);
        g.ref = pick_ref(w, g.domid == GRANT_DOMID_SELF ? caller : g.domid, caller);
    } else {
        g.domid = is_junk(w) ? pick_domid(w) : GRANT_DOMID_SELF;
    }
    return g;
}

static bool fits(int64_t off, int64_t len)
{
    return off >= 0 && len >= 0 && off <= 4096 && len <= 4096 && off + len <= 4096;
}

typedef struct {
    int op; /* 0 grant, 1 map, 2 unmap, 3 copy, 4 end of access */
    int caller;
    int status;
    /* Domains whose state the operation may change (-1: none). */
    int may_change[2];
    /* An entry and a handle to compare in detail afterwards (-1: none). */
    int ent_dom;
    int64_t ent_ref;
    int map_dom;
    int64_t map_handle;
} Step;

static const char *const op_names[] = {"grant", "map", "unmap", "copy", "end_access"};

/* The expected refusal of one ref side of a copy, or -1; `extra_read`
 * counts the source's pin when both sides name one grant. */
static int rule_copy_side(Shadow *sh, int caller, const GrantCopySeg *g, bool write,
                          bool extra_read)
{
    SEnt e = sh->d[g->domid == GRANT_DOMID_SELF ? caller : g->domid].ent[g->ref];
    if (extra_read)
        e.rp++;
    return rule_access(&e, caller, write);
}

static int rule_copy(Shadow *sh, int caller, const GrantCopySeg *src, const GrantCopySeg *dst,
                     int64_t len)
{
    if (!sdom(sh, caller))
        return GRANT_REFUSE_UNKNOWN_DOMAIN;
    const GrantCopySeg *sides[2] = {src, dst};
    for (int k = 0; k < 2; k++) {
        if (!sides[k]->is_ref && sides[k]->domid != GRANT_DOMID_SELF)
            return GRANT_REFUSE_FRAME_NOT_SELF;
        if (!sdom(sh, sides[k]->domid == GRANT_DOMID_SELF ? caller : sides[k]->domid))
            return GRANT_REFUSE_UNKNOWN_DOMAIN;
    }
    int why = -1;
    for (int k = 0; k < 2 && why < 0; k++) {
        const GrantCopySeg *g = sides[k];
        if (!g->is_ref)
            continue;
        if (g->ref < 0 || g->ref >= RT_REFS)
            return GRANT_REFUSE_REF_RANGE;
        int gd = g->domid == GRANT_DOMID_SELF ? caller : g->domid;
        int sd = src->domid == GRANT_DOMID_SELF ? caller : src->domid;
        bool same = k == 1 && src->is_ref && sd == gd && src->ref == g->ref;
        why = rule_copy_side(sh, caller, g, k == 1, same);
    }
    if (why < 0 && !(fits(src->offset, len) && fits(dst->offset, len)))
        why = GRANT_REFUSE_COPY_ARG;
    return why;
}

/* Records a refusal in the shadow and returns its status. */
static int shadow_refuse(Shadow *sh, int caller, int reason)
{
    SDom *d = sdom(sh, caller);
    (d ? &d->c : &sh->unattributed)->refused[reason]++;
    return grant_refusal_status((GrantRefusal)reason);
}

/* Draws one operation, predicts its outcome from the shadow, runs it and
 * asserts the prediction; then brings the shadow up to date. */
static void do_step(GrantSpace *s, Walk *w, long step, Step *st)
{
    Shadow *sh = w->sh;
    /* Alternate filling and draining phases so that full tables (grant
     * and maptrack) and nearly empty ones are both visited. */
    bool fill = (step / RT_PHASE) % 2 == 0;
    const double w_fill[] = {35, 35, 5, 15, 10}, w_drain[] = {5, 5, 40, 15, 35};
    const double *wt = fill ? w_fill : w_drain;
    double u = gsl_rng_uniform(w->r) * 100, acc = 0;
    int op = 0;
    while (op < 4 && u >= (acc += wt[op]))
        op++;

    int caller = pick_domid(w);
    SDom *c = sdom(sh, caller);
    *st = (Step){
        .op = op, .caller = caller, .may_change = {caller, -1}, .ent_dom = -1, .map_dom = -1};
    int why = -1;
    int64_t out = -5;

    switch (op) {
    case 0: {
        int peer = pick_domid(w);
        bool ro = gsl_rng_uniform(w->r) < 0.4;
        uint32_t frame = (uint32_t)gsl_rng_get(w->r);
        if (!c)
            why = GRANT_REFUSE_UNKNOWN_DOMAIN;
        else if (peer < 0 || peer >= GRANT_DOMID_FIRST_RESERVED)
            why = GRANT_REFUSE_BAD_PEER;
        else if (c->in_use == RT_REFS)
            why = GRANT_REFUSE_TABLE_FULL;
        st->status = grant_access(s, caller, peer, frame, ro, &out);
        if (why < 0) {
            walk_assert(st->status == GNTST_okay && out >= 0 && out < RT_REFS && !c->ent[out].used,
                        "step %ld grant by d%d to d%d: status %d, ref %" G_GINT64_FORMAT
                        "; expected okay and a free ref",
                        step, caller, peer, st->status, out);
            c->ent[out] = (SEnt){.used = true, .ro = ro, .peer = peer, .frame = frame};
            c->in_use++;
            c->c.grants++;
            st->ent_dom = caller;
            st->ent_ref = out;
        }
        break;
    }
    case 1: {
        int granter = pick_domid(w);
        int64_t ref = pick_ref(w, granter, caller);
        bool ro = gsl_rng_uniform(w->r) < 0.5;
        SDom *g = sdom(sh, granter);
        if (!c || !g)
            why = GRANT_REFUSE_UNKNOWN_DOMAIN;
        else if (c->maps == RT_HANDLES)
            why = GRANT_REFUSE_MAPTRACK_FULL;
        else if (ref < 0 || ref >= RT_REFS)
            why = GRANT_REFUSE_REF_RANGE;
        else
            why = rule_access(&g->ent[ref], caller, !ro);
        st->status = grant_map(s, caller, granter, ref, ro, &out);
        if (g && ref >= 0 && ref < RT_REFS) {
            st->ent_dom = granter;
            st->ent_ref = ref;
        }
        if (why < 0) {
            walk_assert(st->status == GNTST_okay && out >= 0 && out < RT_HANDLES &&
                            !c->map[out].live,
                        "step %ld map by d%d of d%d ref %" G_GINT64_FORMAT
                        ": status %d, handle %" G_GINT64_FORMAT "; expected okay and a free handle",
                        step, caller, granter, ref, st->status, out);
            c->map[out] = (SMap){.live = true, .ro = ro, .granter = granter, .ref = ref};
            c->maps++;
            c->c.maps++;
            *(ro ? &g->ent[ref].rp : &g->ent[ref].wp) += 1;
            st->may_change[1] = granter;
            st->map_dom = caller;
            st->map_handle = out;
        }
        break;
    }
    case 2: {
        int64_t h = pick_handle(w, caller);
        if (!c)
            why = GRANT_REFUSE_UNKNOWN_DOMAIN;
        else if (h < 0 || h >= RT_HANDLES)
            why = GRANT_REFUSE_HANDLE_RANGE;
        else if (!c->map[h].live)
            why = GRANT_REFUSE_HANDLE_FREE;
        st->status = grant_unmap(s, caller, h);
        if (c && h >= 0 && h < RT_HANDLES) {
            st->map_dom = caller;
            st->map_handle = h;
        }
        if (why < 0 && st->status == GNTST_okay) {
            SMap *m = &c->map[h];
            SEnt *e = &sh->d[m->granter].ent[m->ref];
            *(m->ro ? &e->rp : &e->wp) -= 1;
            st->may_change[1] = m->granter;
            st->ent_dom = m->granter;
            st->ent_ref = m->ref;
            *m = (SMap){0};
            c->maps--;
            c->c.unmaps++;
        }
        break;
    }
    case 3: {
        GrantCopySeg src = pick_seg(w, caller), dst = pick_seg(w, caller);
        /* Mostly a length that fits after the source offset. */
        int64_t len = !is_junk(w) && src.offset >= 0 && src.offset <= 4096
                          ? (int64_t)gsl_rng_uniform_int(w->r, (unsigned long)(4097 - src.offset))
                          : pick_offset(w);
        why = rule_copy(sh, caller, &src, &dst, len);
        st->status = grant_copy(s, caller, &src, &dst, len);
        if (why < 0 && st->status == GNTST_okay) {
            c->c.copies++;
            c->c.copy_bytes += (uint64_t)len;
        }
        break;
    }
    default: {
        int64_t ref =
            is_junk(w) ? pick_junk_index(w, RT_REFS) : (int64_t)gsl_rng_uniform_int(w->r, RT_REFS);
        if (!c)
            why = GRANT_REFUSE_UNKNOWN_DOMAIN;
        else if (ref < 0 || ref >= RT_REFS)
            why = GRANT_REFUSE_REF_RANGE;
        else if (!c->ent[ref].used)
            why = GRANT_REFUSE_REF_FREE;
        else if (c->ent[ref].rp + c->ent[ref].wp > 0)
            why = GRANT_REFUSE_PINNED;
        st->status = grant_end_access(s, caller, ref);
        if (c && ref >= 0 && ref < RT_REFS) {
            st->ent_dom = caller;
            st->ent_ref = ref;
        }
        if (why < 0 && st->status == GNTST_okay) {
            walk_assert(c->ent[ref].rp + c->ent[ref].wp == 0, "step %ld: freed a pinned entry",
                        step);
            c->ent[ref] = (SEnt){0};
            c->in_use--;
            c->c.end_accesses++;
        }
        break;
    }
    }
    int want = why >= 0 ? shadow_refuse(sh, caller, why) : GNTST_okay;
    walk_assert(st->status == want, "step %ld: %s by d%d: status %d (%s), expected %d (%s)", step,
                op_names[op], caller, st->status, grant_status_name(st->status), want,
                why >= 0 ? grant_refusal_name((GrantRefusal)why) : "okay");
    if (want != GNTST_okay) {
        walk_assert(out == -1 || op >= 2, "step %ld: refused %s returned %" G_GINT64_FORMAT, step,
                    op_names[op], out);
        st->may_change[1] = -1;
    }
}

static void compare_entry(const GrantSpace *s, Shadow *sh, int dom, int64_t ref, long step)
{
    const SEnt *want = &sh->d[dom].ent[ref];
    GrantEntryInfo e;
    walk_assert(grant_entry_info(s, dom, ref, &e), "step %ld: d%d ref %" G_GINT64_FORMAT " missing",
                step, dom, ref);
    uint16_t flags = 0;
    if (want->used) {
        flags = GTF_permit_access | (want->ro ? GTF_readonly : 0);
        flags |= want->rp + want->wp ? GTF_reading : 0;
        flags |= want->wp ? GTF_writing : 0;
    }
    walk_assert(e.flags == flags && e.read_pins == want->rp && e.write_pins == want->wp &&
                    e.peer == (want->used ? want->peer : -1) &&
                    e.frame == (want->used ? want->frame : 0),
                "step %ld d%d ref %" G_GINT64_FORMAT
                ": flags %#x pins r%u w%u peer %d frame %u; shadow flags %#x pins r%u w%u "
                "peer %d frame %u",
                step, dom, ref, e.flags, e.read_pins, e.write_pins, e.peer, e.frame, flags,
                want->rp, want->wp, want->used ? want->peer : -1, want->used ? want->frame : 0);
}

static void compare_mapping(const GrantSpace *s, Shadow *sh, int dom, int64_t h, long step)
{
    const SMap *want = &sh->d[dom].map[h];
    GrantMappingInfo m;
    gboolean live = grant_mapping_info(s, dom, h, &m);
    walk_assert(live == want->live, "step %ld d%d handle %" G_GINT64_FORMAT ": live %d, shadow %d",
                step, dom, h, live, want->live);
    if (live)
        walk_assert(m.granter == want->granter && m.ref == want->ref && m.readonly == want->ro,
                    "step %ld d%d handle %" G_GINT64_FORMAT ": maps d%d ref %" G_GINT64_FORMAT
                    " ro %d; shadow d%d ref %" G_GINT64_FORMAT " ro %d",
                    step, dom, h, m.granter, m.ref, m.readonly, want->granter, want->ref, want->ro);
}

static void compare_counters(const GrantCounters *got, const GrantCounters *want, const char *who,
                             long step)
{
    if (memcmp(got, want, sizeof *got) == 0)
        return;
    walk_assert(got->grants == want->grants && got->maps == want->maps &&
                    got->unmaps == want->unmaps && got->copies == want->copies &&
                    got->copy_bytes == want->copy_bytes && got->end_accesses == want->end_accesses,
                "step %ld %s: successes differ from the shadow", step, who);
    for (int k = 0; k < GRANT_REFUSE_COUNT; k++)
        walk_assert(got->refused[k] == want->refused[k],
                    "step %ld %s: refused[%s] = %" G_GUINT64_FORMAT ", shadow %" G_GUINT64_FORMAT,
                    step, who, grant_refusal_name((GrantRefusal)k), got->refused[k],
                    want->refused[k]);
}

/* The exact checks after every step, all O(1) in the table sizes: the
 * occupancy of every table (in use + free = size), the counters of every
 * domain (so a refusal counted anywhere but at its caller shows at once),
 * and the entry and handle the step named, pins included, against the
 * shadow. */
static void check_step(const GrantSpace *s, Shadow *sh, const Step *st, long step)
{
    for (int d = 0; d < RT_DOMS; d++) {
        uint32_t used = grant_entries_in_use(s, d), fr = grant_entries_free(s, d);
        walk_assert(used + fr == RT_REFS, "step %ld d%d: %u in use + %u free != %u", step, d, used,
                    fr, RT_REFS);
        walk_assert(used == sh->d[d].in_use, "step %ld d%d: %u in use, shadow %u", step, d, used,
                    sh->d[d].in_use);
        walk_assert(grant_mappings_in_use(s, d) == sh->d[d].maps,
                    "step %ld d%d: %u mappings, shadow %u", step, d, grant_mappings_in_use(s, d),
                    sh->d[d].maps);
        GrantCounters c;
        walk_assert(grant_counters(s, d, &c), "step %ld: no counters for d%d", step, d);
        char who[16];
        g_snprintf(who, sizeof who, "d%d", d);
        compare_counters(&c, &sh->d[d].c, who, step);
    }
    GrantCounters un;
    grant_unattributed_counters(s, &un);
    compare_counters(&un, &sh->unattributed, "unattributed", step);
    if (st->ent_dom >= 0)
        compare_entry(s, sh, st->ent_dom, st->ent_ref, step);
    if (st->map_dom >= 0)
        compare_mapping(s, sh, st->map_dom, st->map_handle, step);
}

/* The O(table) scan: every entry's pins equal the live mappings naming
 * it, no free entry pinned, every free list sound. */
static void check_scan(const GrantSpace *s, const Step *st, long step)
{
    g_autoptr(GString) why = g_string_new(NULL);
    walk_assert(grant_space_check(s, why), "step %ld (%s by d%d): %s", step, op_names[st->op],
                st->caller, why->str);
}

/* Every entry and handle of every domain against the shadow, and the
 * shadow's own pins against its live mappings. */
static void check_full(const GrantSpace *s, Shadow *sh, long step)
{
    static uint32_t rp[RT_DOMS][RT_REFS], wp[RT_DOMS][RT_REFS];
    memset(rp, 0, sizeof rp);
    memset(wp, 0, sizeof wp);
    for (int d = 0; d < RT_DOMS; d++)
        for (int h = 0; h < RT_HANDLES; h++) {
            const SMap *m = &sh->d[d].map[h];
            compare_mapping(s, sh, d, h, step);
            if (m->live)
                (m->ro ? rp : wp)[m->granter][m->ref]++;
        }
    for (int d = 0; d < RT_DOMS; d++)
        for (int ref = 0; ref < RT_REFS; ref++) {
            const SEnt *e = &sh->d[d].ent[ref];
            walk_assert(e->rp == rp[d][ref] && e->wp == wp[d][ref],
                        "step %ld: shadow d%d ref %d pins r%u w%u, live mappings r%u w%u", step, d,
                        ref, e->rp, e->wp, rp[d][ref], wp[d][ref]);
            walk_assert(e->used || (e->rp == 0 && e->wp == 0), "step %ld: d%d ref %d freed pinned",
                        step, d, ref);
            compare_entry(s, sh, d, ref, step);
        }
}

/* Runs `steps` operations from `seed` under the checks `w` asks for;
 * returns the final digests and the counters summed over all callers. */
static void random_walk(Walk w, unsigned long seed, long steps, uint64_t digests[RT_DOMS],
                        GrantCounters *totals)
{
    g_autoptr(GrantSpace) s = make(RT_DOMS, 1, 1);
    ck_assert_uint_eq(grant_table_entries(s, 0), RT_REFS);
    ck_assert_uint_eq(grant_maptrack_entries(s, 0), RT_HANDLES);
    w.sh = g_new0(Shadow, 1);
    w.r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(w.r, seed);
    /* Each domain's digest after the previous step is its digest before
     * this one, so one digest per domain and step suffices. */
    uint64_t before[RT_DOMS];
    for (int d = 0; d < RT_DOMS; d++)
        before[d] = grant_space_digest(s, d);
    for (long step = 0; step < steps; step++) {
        Step st;
        do_step(s, &w, step, &st);
        check_step(s, w.sh, &st, step);
        if (w.digest_all) {
            /* A refusal changes nothing but its caller's counters, a
             * success only its caller and the granter it names. */
            for (int d = 0; d < RT_DOMS; d++) {
                uint64_t now = grant_space_digest(s, d);
                walk_assert(now == before[d] || d == st.may_change[0] || d == st.may_change[1],
                            "step %ld: %s by d%d (status %d) changed d%d", step, op_names[st.op],
                            st.caller, st.status, d);
                before[d] = now;
            }
        }
        if ((w.scan_every > 0 && step % w.scan_every == 0) || step == steps - 1)
            check_scan(s, &st, step);
        if (step % RT_FULL_EVERY == 0 || step == steps - 1)
            check_full(s, w.sh, step);
    }
    memset(totals, 0, sizeof *totals);
    for (int d = 0; d < RT_DOMS; d++) {
        digests[d] = grant_space_digest(s, d);
        GrantCounters c = counters(s, d);
        totals->grants += c.grants;
        totals->maps += c.maps;
        totals->unmaps += c.unmaps;
        totals->copies += c.copies;
        totals->copy_bytes += c.copy_bytes;
        totals->end_accesses += c.end_accesses;
        for (int k = 0; k < GRANT_REFUSE_COUNT; k++)
            totals->refused[k] += c.refused[k];
    }
    GrantCounters un;
    grant_unattributed_counters(s, &un);
    totals->refused[GRANT_REFUSE_UNKNOWN_DOMAIN] += un.refused[GRANT_REFUSE_UNKNOWN_DOMAIN];
    gsl_rng_free(w.r);
    g_free(w.sh);
}

START_TEST(random_ops_keep_invariants)
{
    uint64_t dig[RT_DOMS];
    GrantCounters t;
    random_walk((Walk){.junk = 0.1, .scan_every = 8}, 20240917, RT_STEPS, dig, &t);
    /* Every path was taken, so the checks ran around each. */
    ck_assert_uint_gt(t.grants, 1000);
    ck_assert_uint_gt(t.maps, 1000);
    ck_assert_uint_gt(t.unmaps, 1000);
    ck_assert_uint_gt(t.copies, 1000);
    ck_assert_uint_gt(t.end_accesses, 1000);
    for (int k = 0; k < GRANT_REFUSE_COUNT; k++)
        ck_assert_msg(t.refused[k] > 0 || k == GRANT_REFUSE_PIN_OVERFLOW,
                      "no %s refusal in the random walk", grant_refusal_name((GrantRefusal)k));
}
END_TEST

START_TEST(garbage_isolation)
{
    /* Half the arguments garbage, and every step digested: whatever a
     * domain passes, no other domain's tables or counters change unless
     * the call succeeded and named that domain as granter. */
    uint64_t dig[RT_DOMS];
    GrantCounters t;
    random_walk((Walk){.junk = 0.5, .scan_every = 1, .digest_all = true}, 99, 20000, dig, &t);
    ck_assert_uint_gt(grant_counters_refused_total(&t), 10000);
    ck_assert_uint_gt(t.maps, 100);
}
END_TEST

START_TEST(random_ops_deterministic)
{
    uint64_t a[RT_DOMS], b[RT_DOMS], c[RT_DOMS];
    GrantCounters ta, tb, tc;
    Walk w = {.junk = 0.1};
    random_walk(w, 7, 20000, a, &ta);
    random_walk(w, 7, 20000, b, &tb);
    random_walk(w, 8, 20000, c, &tc);
    for (int d = 0; d < RT_DOMS; d++)
        ck_assert_msg(a[d] == b[d],
                      "d%d: same seed, digests %" G_GINT64_MODIFIER "x and %" G_GINT64_MODIFIER "x",
                      d, a[d], b[d]);
    ck_assert(memcmp(&ta, &tb, sizeof ta) == 0);
    ck_assert_msg(memcmp(a, c, sizeof a) != 0, "seeds 7 and 8 left identical state");
}
END_TEST

static Suite *grant_suite(void)
{
    Suite *s = suite_create("grant");
    TCase *rules = tcase_create("rules");
    tcase_add_test(rules, defaults_match_xen);
    tcase_add_test(rules, grant_map_unmap_roundtrip);
    tcase_add_test(rules, map_by_wrong_domain);
    tcase_add_test(rules, write_map_of_readonly_grant);
    tcase_add_test(rules, copy_write_into_readonly_grant);
    tcase_add_test(rules, copy_by_wrong_domain);
    tcase_add_test(rules, copy_by_foreign_frame);
    tcase_add_test(rules, bad_refs);
    tcase_add_test(rules, unmap_bad_handles);
    tcase_add_test(rules, copy_beyond_page);
    tcase_add_test(rules, end_access_while_mapped);
    tcase_add_test(rules, table_full_then_reuse);
    tcase_add_test(rules, maptrack_full_then_reuse);
    tcase_add_test(rules, pin_limit);
    tcase_add_test(rules, copy_leaves_no_mapping);
    tcase_add_test(rules, unknown_domid);
    tcase_add_test(rules, add_domain_validation);
    suite_add_tcase(s, rules);
    TCase *random = tcase_create("random");
    tcase_add_test(random, random_ops_keep_invariants);
    tcase_add_test(random, garbage_isolation);
    tcase_add_test(random, random_ops_deterministic);
    suite_add_tcase(s, random);
    return s;
}

int main(void)
{
    return check_run_suite(grant_suite());
}
