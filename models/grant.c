#include "models/grant.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "sim/sim_error.h"
#include "sim/sim_invariant.h"

/* One v1 entry.  GTF_reading and GTF_writing are not stored: Xen sets them
 * exactly while the pins are non-zero, so deriving them from the pins
 * keeps the two from ever disagreeing. */
typedef struct {
    uint16_t flags; /* GTF_permit_access [| GTF_readonly]; 0 when free */
    uint16_t peer;  /* domid_t of the grantee */
    uint32_t frame;
    uint16_t read_pins; /* live read-only mappings, <= GRANT_PIN_MAX */
    uint16_t write_pins;
} Entry;

#define MAPPING_FREE (-1)

/* One maptrack entry. */
typedef struct {
    int32_t granter; /* MAPPING_FREE when the handle is not live */
    uint32_t ref;
    bool readonly;
} Mapping;

/* Hands out indices 0..size-1: first the most recently released one, else
 * the next never used.  Slots below `high` have been used at least once and
 * are either in use or on the free stack; slots from `high` up are free and
 * untouched, so a big table costs memory only as it fills. */
typedef struct {
    uint32_t size;
    uint32_t high;
    uint32_t in_use;
    GArray *free; /* uint32_t stack, top at the end */
} SlotPool;

typedef struct {
    int domid;
    guint order; /* index in GrantSpace.sorted */
    SlotPool refs;
    Entry *entries; /* entries_cap >= refs.high */
    uint32_t entries_cap;
    SlotPool handles;
    Mapping *maps; /* maps_cap >= handles.high */
    uint32_t maps_cap;
    GrantCounters counters;
} GrantDomain;

struct GrantSpace {
    GHashTable *by_id; /* domid -> GrantDomain *, owning */
    GPtrArray *sorted; /* the same domains by increasing domid, for deterministic walks */
    GrantCounters unattributed;
};

/* A free entry, returned for refs above a table's high-water mark. */
static const Entry free_entry;

static const struct {
    const char *name;
    int status;
} refusals[GRANT_REFUSE_COUNT] = {
    [GRANT_REFUSE_UNKNOWN_DOMAIN] = {"unknown_domain", GNTST_bad_domain},
    [GRANT_REFUSE_BAD_PEER] = {"bad_peer", GNTST_general_error},
    [GRANT_REFUSE_TABLE_FULL] = {"table_full", GNTST_no_space},
    [GRANT_REFUSE_REF_RANGE] = {"ref_range", GNTST_bad_gntref},
    [GRANT_REFUSE_REF_FREE] = {"ref_free", GNTST_general_error},
    [GRANT_REFUSE_WRONG_DOMAIN] = {"wrong_domain", GNTST_general_error},
    [GRANT_REFUSE_READONLY] = {"readonly", GNTST_general_error},
    [GRANT_REFUSE_PIN_OVERFLOW] = {"pin_overflow", GNTST_general_error},
    [GRANT_REFUSE_MAPTRACK_FULL] = {"maptrack_full", GNTST_no_space},
    [GRANT_REFUSE_HANDLE_RANGE] = {"handle_range", GNTST_bad_handle},
    [GRANT_REFUSE_HANDLE_FREE] = {"handle_free", GNTST_bad_handle},
    [GRANT_REFUSE_FRAME_NOT_SELF] = {"frame_not_self", GNTST_permission_denied},
    [GRANT_REFUSE_COPY_ARG] = {"copy_arg", GNTST_bad_copy_arg},
    [GRANT_REFUSE_PINNED] = {"pinned", GNTST_eagain},
};

/* ---- slot pools ---- */

static void pool_init(SlotPool *p, uint32_t size)
{
    p->size = size;
    p->high = 0;
    p->in_use = 0;
    p->free = g_array_new(FALSE, FALSE, sizeof(uint32_t));
}

static gboolean pool_take(SlotPool *p, uint32_t *idx)
{
    if (p->free->len > 0) {
        *idx = g_array_index(p->free, uint32_t, p->free->len - 1);
        g_array_set_size(p->free, p->free->len - 1);
    } else if (p->high < p->size) {
        *idx = p->high++;
    } else {
        return FALSE;
    }
    p->in_use++;
    return TRUE;
}

static void pool_put(SlotPool *p, uint32_t idx)
{
    g_array_append_val(p->free, idx);
    p->in_use--;
}

/* Grows a zero-filled array so that index `need - 1` exists, doubling up to
 * `max` elements so that filling a table costs amortised O(1) per slot. */
static void *grow(void *arr, uint32_t *cap, uint32_t need, uint32_t max, size_t elem)
{
    if (need <= *cap)
        return arr;
    uint32_t n = MAX(MAX(need, 64u), MIN(max, *cap * 2u));
    n = MIN(n, max);
    arr = g_realloc_n(arr, n, elem);
    memset((char *)arr + (size_t)*cap * elem, 0, (size_t)(n - *cap) * elem);
    *cap = n;
    return arr;
}

/* ---- lookups ---- */

static GrantDomain *domain_of(const GrantSpace *s, int64_t domid)
{
    if (domid < 0 || domid >= GRANT_DOMID_FIRST_RESERVED)
        return NULL;
    return g_hash_table_lookup(s->by_id, GINT_TO_POINTER((int)domid));
}

static gboolean ref_in_range(const GrantDomain *d, int64_t ref)
{
    return ref >= 0 && ref < (int64_t)d->refs.size;
}

/* The entry at an in-range ref. */
static const Entry *entry_at(const GrantDomain *d, int64_t ref)
{
    return ref < (int64_t)d->refs.high ? &d->entries[ref] : &free_entry;
}

static gboolean entry_granted(const Entry *e)
{
    return (e->flags & GTF_type_mask) == GTF_permit_access;
}

static int refuse(GrantCounters *c, GrantRefusal r)
{
    c->refused[r]++;
    return refusals[r].status;
}

/* Why `user` may not pin entry e for reading or writing, or -1 if it may.
 * The order is Xen's: map_grant_ref and acquire_grant_for_copy first refuse
 * an entry pinned by another domain or near counter overflow, then
 * _set_status_v1 refuses a wrong type or domid, then a write of a
 * read-only grant. */
static int access_refusal(const Entry *e, int user, bool write)
{
    if (e->read_pins + e->write_pins > 0 && e->peer != user)
        return GRANT_REFUSE_WRONG_DOMAIN;
    if (e->read_pins >= GRANT_PIN_MAX || e->write_pins >= GRANT_PIN_MAX)
        return GRANT_REFUSE_PIN_OVERFLOW;
    if (!entry_granted(e))
        return GRANT_REFUSE_REF_FREE;
    if (e->peer != user)
        return GRANT_REFUSE_WRONG_DOMAIN;
    if (write && (e->flags & GTF_readonly))
        return GRANT_REFUSE_READONLY;
    return -1;
}

/* ---- invariants (sim/sim_invariant.h) ---- */

/* Grant rules on one entry, after an operation touched it: only a granted
 * entry is pinned, a read-only grant has no writable mapping, and no pin
 * counter passed its limit.  O(1). */
static void entry_check(const GrantDomain *g, uint32_t ref, const char *op)
{
#ifdef DOM0SIM_CHECKS
    const Entry *e = &g->entries[ref];
    unsigned pins = (unsigned)e->read_pins + e->write_pins;
    SIM_INVARIANT(pins == 0 || entry_granted(e), "grant rules held",
                  "%s: d%d ref %u is not granted but has %u mappings", op, g->domid, ref, pins);
    SIM_INVARIANT(!(e->flags & GTF_readonly) || e->write_pins == 0, "grant rules held",
                  "%s: d%d ref %u is granted read-only to d%u but mapped writable %u times", op,
                  g->domid, ref, e->peer, e->write_pins);
    SIM_INVARIANT(e->read_pins <= GRANT_PIN_MAX && e->write_pins <= GRANT_PIN_MAX,
                  "grant rules held", "%s: d%d ref %u has pins r%u w%u, above the limit %u", op,
                  g->domid, ref, e->read_pins, e->write_pins, GRANT_PIN_MAX);
#else
    (void)g;
    (void)ref;
    (void)op;
#endif
}

/* A live mapping, or a copy, by `user` of entry `ref` of g: the entry must
 * be granted to `user`, and writable if the access writes.  An entry ended
 * (or re-granted) while mapped shows up here when the mapping is torn down. */
static void access_check(const GrantDomain *g, uint32_t ref, int user, bool write, const char *op)
{
#ifdef DOM0SIM_CHECKS
    const Entry *e = ref < g->refs.high ? &g->entries[ref] : &free_entry;
    SIM_INVARIANT(entry_granted(e) && e->peer == user, "grant rules held",
                  "%s: d%d uses d%d ref %u, which is %s", op, user, g->domid, ref,
                  entry_granted(e) ? "granted to another domain"
                                   : "not granted (ended while mapped?)");
    SIM_INVARIANT(!write || !(e->flags & GTF_readonly), "grant rules held",
                  "%s: d%d writes d%d ref %u, which is granted read-only", op, user, g->domid, ref);
#else
    (void)g;
    (void)ref;
    (void)user;
    (void)write;
    (void)op;
#endif
}

void grant_space_check_or_abort(const GrantSpace *s, const char *host, const char *where)
{
#ifdef DOM0SIM_CHECKS
    g_autoptr(GString) why = g_string_new(NULL);
    if (!grant_space_check(s, why)) {
        if (why->len > 0 && why->str[why->len - 1] == '\n')
            g_string_truncate(why, why->len - 1);
        sim_invariant_failed("grant rules held", "host '%s' at %s: %s", host, where, why->str);
    }
#else
    (void)s;
    (void)host;
    (void)where;
#endif
}

#ifdef DOM0SIM_CHECKS
void grant_debug_set_entry(GrantSpace *s, int domid, int64_t ref, uint16_t flags, int peer,
                           uint16_t read_pins, uint16_t write_pins)
{
    GrantDomain *g = domain_of(s, domid);
    g_return_if_fail(g != NULL && ref >= 0 && ref < (int64_t)g->refs.high);
    Entry *e = &g->entries[ref];
    e->flags = flags;
    e->peer = (uint16_t)peer;
    e->read_pins = read_pins;
    e->write_pins = write_pins;
}
#endif

/* ---- the space ---- */

static void domain_free(gpointer p)
{
    GrantDomain *d = p;
    g_array_free(d->refs.free, TRUE);
    g_array_free(d->handles.free, TRUE);
    g_free(d->entries);
    g_free(d->maps);
    g_free(d);
}

GrantSpace *grant_space_new(void)
{
    GrantSpace *s = g_new0(GrantSpace, 1);
    s->by_id = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, domain_free);
    s->sorted = g_ptr_array_new();
    return s;
}

void grant_space_free(GrantSpace *s)
{
    if (!s)
        return;
    g_ptr_array_free(s->sorted, TRUE);
    g_hash_table_destroy(s->by_id);
    g_free(s);
}

gboolean grant_space_add_domain(GrantSpace *s, int domid, uint32_t grant_frames,
                                uint32_t maptrack_frames, GError **err)
{
    g_return_val_if_fail(s != NULL, FALSE);
    if (domid < 0 || domid >= GRANT_DOMID_FIRST_RESERVED) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "domid %d: must be 0..%d (Xen reserves ids from 0x7FF0 up)", domid,
                    GRANT_DOMID_FIRST_RESERVED - 1);
        return FALSE;
    }
    if (domain_of(s, domid)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "domid %d already has a grant table",
                    domid);
        return FALSE;
    }
    uint32_t gf = grant_frames ? grant_frames : GRANT_DEFAULT_FRAMES;
    uint32_t mf = maptrack_frames ? maptrack_frames : GRANT_DEFAULT_MAPTRACK_FRAMES;
    if (gf > GRANT_MAX_FRAMES) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "domid %d: grant_frames = %u: must be 1..%u (0 selects %u)", domid, gf,
                    GRANT_MAX_FRAMES, GRANT_DEFAULT_FRAMES);
        return FALSE;
    }
    if (mf > GRANT_MAX_FRAMES) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "domid %d: maptrack_frames = %u: must be 1..%u (0 selects %u)", domid, mf,
                    GRANT_MAX_FRAMES, GRANT_DEFAULT_MAPTRACK_FRAMES);
        return FALSE;
    }

    GrantDomain *d = g_new0(GrantDomain, 1);
    d->domid = domid;
    pool_init(&d->refs, gf * GRANT_ENTRIES_PER_FRAME);
    pool_init(&d->handles, mf * GRANT_MAPTRACK_PER_FRAME);
    g_hash_table_insert(s->by_id, GINT_TO_POINTER(domid), d);
    guint at = 0;
    while (at < s->sorted->len && ((GrantDomain *)s->sorted->pdata[at])->domid < domid)
        at++;
    g_ptr_array_insert(s->sorted, (gint)at, d);
    for (guint k = at; k < s->sorted->len; k++)
        ((GrantDomain *)s->sorted->pdata[k])->order = k;
    return TRUE;
}

gboolean grant_space_has_domain(const GrantSpace *s, int domid)
{
    return domain_of(s, domid) != NULL;
}

/* ---- operations ---- */

int grant_access(GrantSpace *s, int granter, int peer, uint32_t frame, bool readonly,
                 int64_t *ref_out)
{
    g_return_val_if_fail(s != NULL, GNTST_general_error);
    if (ref_out)
        *ref_out = -1;
    GrantDomain *g = domain_of(s, granter);
    if (!g)
        return refuse(&s->unattributed, GRANT_REFUSE_UNKNOWN_DOMAIN);
    /* A reserved domid fits in domid_t, but no domain can ever hold it, so
     * the grant could never be used. */
    if (peer < 0 || peer >= GRANT_DOMID_FIRST_RESERVED)
        return refuse(&g->counters, GRANT_REFUSE_BAD_PEER);
    uint32_t ref;
    if (!pool_take(&g->refs, &ref))
        return refuse(&g->counters, GRANT_REFUSE_TABLE_FULL);
    g->entries = grow(g->entries, &g->entries_cap, g->refs.high, g->refs.size, sizeof(Entry));

    Entry *e = &g->entries[ref];
    g_assert(e->flags == 0 && e->read_pins == 0 && e->write_pins == 0);
    e->flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
    e->peer = (uint16_t)peer;
    e->frame = frame;
    g->counters.grants++;
    if (ref_out)
        *ref_out = ref;
    return GNTST_okay;
}

int grant_map(GrantSpace *s, int mapper, int granter, int64_t ref, bool readonly,
              int64_t *handle_out)
{
    g_return_val_if_fail(s != NULL, GNTST_general_error);
    if (handle_out)
        *handle_out = -1;
    GrantDomain *m = domain_of(s, mapper);
    if (!m)
        return refuse(&s->unattributed, GRANT_REFUSE_UNKNOWN_DOMAIN);
    GrantDomain *g = domain_of(s, granter);
    if (!g)
        return refuse(&m->counters, GRANT_REFUSE_UNKNOWN_DOMAIN);
    /* Xen takes the maptrack handle before it looks at the ref, so a full
     * maptrack hides every later error.  (Xen takes the handle and puts it
     * back on failure, which reorders its free list; here a refusal leaves
     * the free list as it was.) */
    if (m->handles.in_use == m->handles.size)
        return refuse(&m->counters, GRANT_REFUSE_MAPTRACK_FULL);
    if (!ref_in_range(g, ref))
        return refuse(&m->counters, GRANT_REFUSE_REF_RANGE);
    int why = access_refusal(entry_at(g, ref), mapper, !readonly);
    if (why >= 0)
        return refuse(&m->counters, (GrantRefusal)why);

    uint32_t h;
    gboolean took = pool_take(&m->handles, &h);
    g_assert(took);
    m->maps = grow(m->maps, &m->maps_cap, m->handles.high, m->handles.size, sizeof(Mapping));
    m->maps[h] = (Mapping){.granter = granter, .ref = (uint32_t)ref, .readonly = readonly};
    /* A granted entry lies below the high-water mark, so it is writable. */
    Entry *e = &g->entries[ref];
    if (readonly)
        e->read_pins++;
    else
        e->write_pins++;
    m->counters.maps++;
    access_check(g, (uint32_t)ref, mapper, !readonly, "grant_map");
    entry_check(g, (uint32_t)ref, "grant_map");
    if (handle_out)
        *handle_out = h;
    return GNTST_okay;
}

int grant_unmap(GrantSpace *s, int mapper, int64_t handle)
{
    g_return_val_if_fail(s != NULL, GNTST_general_error);
    GrantDomain *m = domain_of(s, mapper);
    if (!m)
        return refuse(&s->unattributed, GRANT_REFUSE_UNKNOWN_DOMAIN);
    if (handle < 0 || handle >= (int64_t)m->handles.size)
        return refuse(&m->counters, GRANT_REFUSE_HANDLE_RANGE);
    if (handle >= (int64_t)m->handles.high || m->maps[handle].granter == MAPPING_FREE)
        return refuse(&m->counters, GRANT_REFUSE_HANDLE_FREE);

    Mapping *mp = &m->maps[handle];
    /* Domains are never removed, and a pinned entry can neither be freed
     * nor change hands, so the mapping still names a live pinned entry. */
    GrantDomain *g = domain_of(s, mp->granter);
    g_assert(g != NULL && mp->ref < g->refs.high);
    Entry *e = &g->entries[mp->ref];
    access_check(g, mp->ref, mapper, !mp->readonly, "grant_unmap");
    /* Map counts never negative. */
    SIM_INVARIANT((mp->readonly ? e->read_pins : e->write_pins) > 0, "grant rules held",
                  "grant_unmap: d%d handle %" PRId64 " unmaps d%d ref %u, whose %s map count is "
                  "already 0",
                  mapper, handle, mp->granter, mp->ref, mp->readonly ? "read-only" : "writable");
    if (mp->readonly) {
        g_assert(e->read_pins > 0);
        e->read_pins--;
    } else {
        g_assert(e->write_pins > 0);
        e->write_pins--;
    }
    entry_check(g, mp->ref, "grant_unmap");
    mp->granter = MAPPING_FREE;
    pool_put(&m->handles, (uint32_t)handle);
    m->counters.unmaps++;
    return GNTST_okay;
}

/* Resolves one side of a copy to its domain, as gnttab_copy_lock_domain
 * does; returns the refusal or -1. */
static int copy_side_domain(const GrantSpace *s, int caller, const GrantCopySeg *seg,
                            GrantDomain **out)
{
    if (!seg->is_ref && seg->domid != GRANT_DOMID_SELF)
        return GRANT_REFUSE_FRAME_NOT_SELF;
    *out = domain_of(s, seg->domid == GRANT_DOMID_SELF ? caller : seg->domid);
    return *out ? -1 : GRANT_REFUSE_UNKNOWN_DOMAIN;
}

/* Xen's gnttab_copy_buf bound, on signed arguments: the frame is 4096
 * bytes and a copy may not leave it. */
static gboolean copy_fits(int64_t offset, int64_t len)
{
    return offset >= 0 && len >= 0 && offset <= GRANT_PAGE_BYTES && len <= GRANT_PAGE_BYTES &&
           offset + len <= GRANT_PAGE_BYTES;
}

int grant_copy(GrantSpace *s, int caller, const GrantCopySeg *src, const GrantCopySeg *dst,
               int64_t len)
{
    g_return_val_if_fail(s != NULL && src != NULL && dst != NULL, GNTST_general_error);
    GrantDomain *c = domain_of(s, caller);
    if (!c)
        return refuse(&s->unattributed, GRANT_REFUSE_UNKNOWN_DOMAIN);
    GrantDomain *sd = NULL, *dd = NULL;
    int why = copy_side_domain(s, caller, src, &sd);
    if (why < 0)
        why = copy_side_domain(s, caller, dst, &dd);
    if (why >= 0)
        return refuse(&c->counters, (GrantRefusal)why);

    if (src->is_ref) {
        if (!ref_in_range(sd, src->ref))
            return refuse(&c->counters, GRANT_REFUSE_REF_RANGE);
        why = access_refusal(entry_at(sd, src->ref), caller, false);
        if (why >= 0)
            return refuse(&c->counters, (GrantRefusal)why);
    }
    if (dst->is_ref) {
        if (!ref_in_range(dd, dst->ref))
            return refuse(&c->counters, GRANT_REFUSE_REF_RANGE);
        /* Xen pins the source before it checks the destination, so a copy
         * within one grant sees the source's pin when it checks the
         * destination (which matters only at the pin limit). */
        Entry seen = *entry_at(dd, dst->ref);
        if (src->is_ref && sd == dd && src->ref == dst->ref)
            seen.read_pins++;
        why = access_refusal(&seen, caller, true);
        if (why >= 0)
            return refuse(&c->counters, (GrantRefusal)why);
    }
    /* Xen checks the bounds only once both sides are acquired. */
    if (!copy_fits(src->offset, len) || !copy_fits(dst->offset, len))
        return refuse(&c->counters, GRANT_REFUSE_COPY_ARG);

    if (src->is_ref) {
        access_check(sd, (uint32_t)src->ref, caller, false, "grant_copy");
        entry_check(sd, (uint32_t)src->ref, "grant_copy");
    }
    if (dst->is_ref) {
        access_check(dd, (uint32_t)dst->ref, caller, true, "grant_copy");
        entry_check(dd, (uint32_t)dst->ref, "grant_copy");
    }
    c->counters.copies++;
    c->counters.copy_bytes += (uint64_t)len;
    return GNTST_okay;
}

int grant_end_access(GrantSpace *s, int granter, int64_t ref)
{
    g_return_val_if_fail(s != NULL, GNTST_general_error);
    GrantDomain *g = domain_of(s, granter);
    if (!g)
        return refuse(&s->unattributed, GRANT_REFUSE_UNKNOWN_DOMAIN);
    if (!ref_in_range(g, ref))
        return refuse(&g->counters, GRANT_REFUSE_REF_RANGE);
    const Entry *e = entry_at(g, ref);
    if (!entry_granted(e))
        return refuse(&g->counters, GRANT_REFUSE_REF_FREE);
    /* Linux's gnttab_end_foreign_access_ref_v1 gives up while GTF_reading
     * or GTF_writing is set: freeing a mapped page would hand the peer
     * memory the granter is about to reuse. */
    if (e->read_pins + e->write_pins > 0)
        return refuse(&g->counters, GRANT_REFUSE_PINNED);
    g->entries[ref] = free_entry;
    pool_put(&g->refs, (uint32_t)ref);
    g->counters.end_accesses++;
    return GNTST_okay;
}

/* ---- queries ---- */

uint32_t grant_table_entries(const GrantSpace *s, int domid)
{
    const GrantDomain *d = domain_of(s, domid);
    return d ? d->refs.size : 0;
}

uint32_t grant_entries_in_use(const GrantSpace *s, int domid)
{
    const GrantDomain *d = domain_of(s, domid);
    return d ? d->refs.in_use : 0;
}

uint32_t grant_entries_free(const GrantSpace *s, int domid)
{
    const GrantDomain *d = domain_of(s, domid);
    return d ? d->refs.size - d->refs.in_use : 0;
}

uint32_t grant_maptrack_entries(const GrantSpace *s, int domid)
{
    const GrantDomain *d = domain_of(s, domid);
    return d ? d->handles.size : 0;
}

uint32_t grant_mappings_in_use(const GrantSpace *s, int domid)
{
    const GrantDomain *d = domain_of(s, domid);
    return d ? d->handles.in_use : 0;
}

gboolean grant_entry_info(const GrantSpace *s, int domid, int64_t ref, GrantEntryInfo *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    *out = (GrantEntryInfo){.peer = -1};
    const GrantDomain *d = domain_of(s, domid);
    if (!d || !ref_in_range(d, ref))
        return FALSE;
    const Entry *e = entry_at(d, ref);
    if (!entry_granted(e))
        return TRUE;
    out->flags = e->flags;
    if (e->read_pins + e->write_pins > 0)
        out->flags |= GTF_reading;
    if (e->write_pins > 0)
        out->flags |= GTF_writing;
    out->peer = e->peer;
    out->frame = e->frame;
    out->read_pins = e->read_pins;
    out->write_pins = e->write_pins;
    return TRUE;
}

gboolean grant_mapping_info(const GrantSpace *s, int domid, int64_t handle, GrantMappingInfo *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    *out = (GrantMappingInfo){.granter = -1, .ref = -1};
    const GrantDomain *d = domain_of(s, domid);
    if (!d || handle < 0 || handle >= (int64_t)d->handles.high ||
        d->maps[handle].granter == MAPPING_FREE)
        return FALSE;
    const Mapping *mp = &d->maps[handle];
    *out = (GrantMappingInfo){.granter = mp->granter, .ref = mp->ref, .readonly = mp->readonly};
    return TRUE;
}

gboolean grant_counters(const GrantSpace *s, int domid, GrantCounters *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    const GrantDomain *d = domain_of(s, domid);
    if (!d) {
        memset(out, 0, sizeof *out);
        return FALSE;
    }
    *out = d->counters;
    return TRUE;
}

void grant_unattributed_counters(const GrantSpace *s, GrantCounters *out)
{
    *out = s->unattributed;
}

uint64_t grant_counters_refused_total(const GrantCounters *c)
{
    uint64_t n = 0;
    for (int r = 0; r < GRANT_REFUSE_COUNT; r++)
        n += c->refused[r];
    return n;
}

int grant_refusal_status(GrantRefusal r)
{
    if ((int)r < 0 || r >= GRANT_REFUSE_COUNT)
        return GNTST_general_error;
    return refusals[r].status;
}

const char *grant_refusal_name(GrantRefusal r)
{
    if ((int)r < 0 || r >= GRANT_REFUSE_COUNT)
        return "?";
    return refusals[r].name;
}

const char *grant_status_name(int status)
{
    /* GNTTABOP_error_msgs, indexed by -status, plus GNTST_no_space. */
    static const char *const msgs[] = {
        "okay",
        "undefined error",
        "unrecognised domain id",
        "invalid grant reference",
        "invalid mapping handle",
        "invalid virtual address",
        "invalid device address",
        "no spare translation slot in the I/O MMU",
        "permission denied",
        "bad page",
        "copy arguments cross page boundary",
        "page address size too large",
        "operation not done; try again",
        "out of space",
    };
    if (status > 0 || -status >= (int)G_N_ELEMENTS(msgs))
        return "unknown status";
    return msgs[-status];
}

/* ---- checks for tests ---- */

/* The domain with `domid`, by binary search of the sorted array: cheaper
 * than hashing inside the check's loops. */
static const GrantDomain *sorted_domain(const GrantSpace *s, int domid)
{
    guint lo = 0, hi = s->sorted->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const GrantDomain *d = s->sorted->pdata[mid];
        if (d->domid == domid)
            return d;
        if (d->domid < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Appends one violation to `why` and returns FALSE. */
static gboolean violation(GString *why, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean violation(GString *why, const char *fmt, ...)
{
    if (why) {
        va_list ap;
        va_start(ap, fmt);
        g_string_append_vprintf(why, fmt, ap);
        va_end(ap);
        g_string_append_c(why, '\n');
    }
    return FALSE;
}

/* Checks a pool's bookkeeping against `used` (1 for each slot below high
 * in use by its table; turned to 2 for free-listed slots): the counters
 * add up and each free-listed slot lies below high, is not in use and is
 * listed once.  With in_use + listed == high, that makes every slot below
 * high either in use or listed, exactly once. */
static gboolean check_pool(const SlotPool *p, guint8 *used, uint32_t in_use, const char *what,
                           int domid, GString *why)
{
    if (p->high > p->size || in_use != p->in_use || p->free->len + p->in_use != p->high)
        return violation(why,
                         "d%d %s: size %u, high %u, %u in use (counter %u), %u free-listed do "
                         "not add up",
                         domid, what, p->size, p->high, in_use, p->in_use, p->free->len);
    const uint32_t *f = (const uint32_t *)(const void *)p->free->data;
    for (guint i = 0; i < p->free->len; i++) {
        if (f[i] >= p->high || used[f[i]])
            return violation(why, "d%d %s: slot %u free-listed but in use or listed twice", domid,
                             what, f[i]);
        used[f[i]] = 2;
    }
    return TRUE;
}

gboolean grant_space_check(const GrantSpace *s, GString *why)
{
    gboolean ok = TRUE;
    guint n = s->sorted->len;
    /* Scratch: expected pins of every entry of every domain (read at 2i,
     * write at 2i+1, domain k from base[k]) and a byte map of slots. */
    g_autofree gsize *base = g_new(gsize, n + 1);
    uint32_t maxhigh = 1;
    base[0] = 0;
    for (guint k = 0; k < n; k++) {
        const GrantDomain *d = s->sorted->pdata[k];
        base[k + 1] = base[k] + 2 * (gsize)d->refs.high;
        maxhigh = MAX(maxhigh, MAX(d->refs.high, d->handles.high));
    }
    g_autofree uint32_t *pins = g_new0(uint32_t, MAX(base[n], 1));
    g_autofree guint8 *used = g_new(guint8, maxhigh);

    /* Expected pins, from every live mapping; the maptracks on the way. */
    for (guint k = 0; k < n; k++) {
        const GrantDomain *m = s->sorted->pdata[k];
        uint32_t live = 0;
        for (uint32_t h = 0; h < m->handles.high; h++) {
            const Mapping *mp = &m->maps[h];
            used[h] = mp->granter != MAPPING_FREE;
            if (!used[h])
                continue;
            live++;
            const GrantDomain *g = sorted_domain(s, mp->granter);
            const Entry *e = g && mp->ref < g->refs.high ? &g->entries[mp->ref] : &free_entry;
            if (!entry_granted(e) || e->peer != m->domid ||
                (!mp->readonly && (e->flags & GTF_readonly))) {
                ok = violation(why,
                               "d%d handle %u maps d%d ref %u, which does not grant it that "
                               "access",
                               m->domid, h, mp->granter, mp->ref);
                continue;
            }
            pins[base[g->order] + 2 * mp->ref + (mp->readonly ? 0 : 1)]++;
        }
        ok &= check_pool(&m->handles, used, live, "maptrack", m->domid, why);
    }

    /* Each entry: pins as counted, cleared when free; then the free list. */
    for (guint k = 0; k < n; k++) {
        const GrantDomain *g = s->sorted->pdata[k];
        const uint32_t *want = &pins[base[k]];
        uint32_t granted = 0;
        for (uint32_t r = 0; r < g->refs.high; r++) {
            const Entry *e = &g->entries[r];
            used[r] = entry_granted(e);
            granted += used[r];
            if (e->read_pins != want[2 * r] || e->write_pins != want[2 * r + 1])
                ok = violation(why,
                               "d%d ref %u: pins r%u w%u but %u read-only and %u writable "
                               "mappings",
                               g->domid, r, e->read_pins, e->write_pins, want[2 * r],
                               want[2 * r + 1]);
            if (!used[r] && (e->flags || e->peer || e->frame))
                ok = violation(why, "d%d ref %u: free but not cleared", g->domid, r);
        }
        ok &= check_pool(&g->refs, used, granted, "grant table", g->domid, why);
    }
    return ok;
}

/* A four-lane multiplicative hash: each word goes into one of four
 * independent chains (so the CPU overlaps them), and the lanes are folded
 * at the end.  Any changed word changes the result with overwhelming
 * probability, which is all a test needs; it is not for adversaries. */
typedef struct {
    uint64_t lane[4];
    unsigned n;
} Digest;

#define DIGEST_MUL 0x9e3779b97f4a7c15ull

static inline void digest_word(Digest *dg, uint64_t v)
{
    uint64_t *h = &dg->lane[dg->n++ & 3];
    *h = (*h ^ v) * DIGEST_MUL;
}

static void digest_pool(Digest *dg, const SlotPool *p)
{
    digest_word(dg, (uint64_t)p->size << 32 | p->high);
    digest_word(dg, (uint64_t)p->in_use << 32 | p->free->len);
    const uint32_t *f = (const uint32_t *)(const void *)p->free->data;
    for (guint i = 0; i < p->free->len; i++)
        digest_word(dg, f[i]);
}

uint64_t grant_space_digest(const GrantSpace *s, int domid)
{
    const GrantDomain *d = domain_of(s, domid);
    if (!d)
        return 0;
    Digest dg = {.lane = {1, 2, 3, 4}};
    digest_word(&dg, (uint64_t)d->domid);
    digest_pool(&dg, &d->refs);
    for (uint32_t i = 0; i < d->refs.high; i++) {
        const Entry *e = &d->entries[i];
        digest_word(&dg, (uint64_t)e->flags | (uint64_t)e->peer << 16 | (uint64_t)e->frame << 32);
        digest_word(&dg, (uint64_t)e->read_pins | (uint64_t)e->write_pins << 16);
    }
    digest_pool(&dg, &d->handles);
    for (uint32_t i = 0; i < d->handles.high; i++) {
        const Mapping *mp = &d->maps[i];
        digest_word(&dg, (uint64_t)(uint32_t)mp->granter | (uint64_t)mp->ref << 32);
        digest_word(&dg, mp->readonly);
    }
    const uint64_t *c = (const uint64_t *)(const void *)&d->counters;
    G_STATIC_ASSERT(sizeof(GrantCounters) % sizeof(uint64_t) == 0);
    for (size_t i = 0; i < sizeof(GrantCounters) / sizeof(uint64_t); i++)
        digest_word(&dg, c[i]);
    uint64_t h = 0;
    for (int k = 0; k < 4; k++)
        h = (h ^ dg.lane[k]) * DIGEST_MUL + (uint64_t)k;
    return h ^ (h >> 29);
}

int grant_copy_page(GrantSpace *s, int caller, int granter, int64_t ref, uint64_t total_bytes,
                    unsigned page, bool into_grant)
{
    uint64_t offset = (uint64_t)page * GRANT_PAGE_BYTES;
    int64_t len = (int64_t)MIN((uint64_t)GRANT_PAGE_BYTES, total_bytes - MIN(total_bytes, offset));
    GrantCopySeg grant = {.is_ref = true, .domid = granter, .ref = ref};
    GrantCopySeg local = {.is_ref = false, .domid = GRANT_DOMID_SELF};
    return into_grant ? grant_copy(s, caller, &local, &grant, len)
                      : grant_copy(s, caller, &grant, &local, len);
}
