/* Xen grant tables, version 1: how one domain lets another map or copy its
 * pages, and how Xen refuses a domain that asks for more than it was given.
 *
 * Each domain owns a grant table, a finite array of v1 entries (struct
 * grant_entry_v1 in xen/include/public/grant_table.h: uint16_t flags,
 * domid_t domid, uint32_t frame; 8 bytes, so 512 to a 4096-byte frame), and
 * a maptrack table, the finite array of handles for the foreign grants it
 * has mapped (struct grant_mapping in xen/common/grant_table.c, 16 bytes, 256
 * to a frame).  Both are sized in frames, as Xen sizes them: by default 64
 * grant frames (opt_max_grant_frames = 64, Xen's gnttab_max_frames, per
 * domain xl.cfg max_grant_frames) and 1024 maptrack frames
 * (opt_max_maptrack_frames = 1024, gnttab_max_maptrack_frames, xl.cfg
 * max_maptrack_frames), i.e. 32768 grant refs and 262144 handles.
 *
 * The operations and the status each refusal returns follow Xen's
 * xen/common/grant_table.c (map_grant_ref, unmap_common,
 * acquire_grant_for_copy, gnttab_copy_lock_domain, gnttab_copy_buf) and the
 * guest side of Linux's drivers/xen/grant-table.c (grant and end access):
 *   ref >= table size                       GNTST_bad_gntref
 *   entry not granted, granted to another
 *     domain, write through a GTF_readonly
 *     grant, or a pin counter at its limit   GNTST_general_error (Xen's
 *                                           "Bad flags or dom" and "Attempt
 *                                           to write-pin a r/o grant entry")
 *   unknown domid                           GNTST_bad_domain
 *   handle out of range or not live         GNTST_bad_handle
 *   copy by frame of a domain not DOMID_SELF GNTST_permission_denied
 *   copy offset + len beyond the page       GNTST_bad_copy_arg
 *   maptrack or grant table full            GNTST_no_space
 *   end of access while the grant is mapped GNTST_eagain (guest side, no Xen
 *                                           code: Linux defers and retries)
 * Each refusal also has a finer reason (GrantRefusal), counted separately,
 * so a model can tell a wrong domain from a read-only violation even where
 * Xen answers both with GNTST_general_error.
 *
 * Counters belong to the domain that issued the operation: a map by B of
 * A's grant counts in B's table.  A refused operation changes nothing but
 * one refusal counter of its caller, so garbage from one domain never
 * touches another domain's state; refusals by a domid that has no table are
 * counted in the space's unattributed counters.
 *
 * Not modelled: grant table v2, sub-page and transitive grants, transfers,
 * the 8 entries the toolstack reserves (GNTTAB_NR_RESERVED_ENTRIES), device
 * (GNTMAP_device_map) mappings, on-demand growth of the tables (a table is
 * usable up to its maximum from the start), guest memory contents. */
#ifndef DOM0SIM_GRANT_H
#define DOM0SIM_GRANT_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Status codes: Xen's names and values (xen/include/public/grant_table.h),
 * kept verbatim so that they can be checked against the Xen source. */
#define GNTST_okay (0)
#define GNTST_general_error (-1)
#define GNTST_bad_domain (-2)
#define GNTST_bad_gntref (-3)
#define GNTST_bad_handle (-4)
#define GNTST_bad_virt_addr (-5)
#define GNTST_bad_dev_addr (-6)
#define GNTST_no_device_space (-7)
#define GNTST_permission_denied (-8)
#define GNTST_bad_page (-9)
#define GNTST_bad_copy_arg (-10)
#define GNTST_address_too_big (-11)
#define GNTST_eagain (-12)
/* Added in 2021 for "out of maptrack handles", which Xen had reported as
 * GNTST_no_device_space before. */
#define GNTST_no_space (-13)

/* Entry flags (grant_table.h): the type in bits 0-1, then subflags. */
#define GTF_invalid (0U << 0)
#define GTF_permit_access (1U << 0)
#define GTF_type_mask (3U << 0)
#define GTF_readonly (1U << 2) /* the peer may only read [guest] */
#define GTF_reading (1U << 3)  /* mapped by the peer, any mode [Xen] */
#define GTF_writing (1U << 4)  /* mapped writable by the peer [Xen] */

/* Domain ids (xen/include/public/xen.h): ids from 0x7FF0 up are reserved;
 * DOMID_SELF names the caller. */
#define GRANT_DOMID_FIRST_RESERVED 0x7FF0
#define GRANT_DOMID_SELF 0x7FF0

#define GRANT_PAGE_BYTES 4096u         /* x86 PAGE_SIZE: the frame a grant names */
#define GRANT_V1_ENTRY_BYTES 8u        /* sizeof(struct grant_entry_v1) */
#define GRANT_ENTRIES_PER_FRAME 512u   /* 4096 / 8: Xen's SHGNT_PER_PAGE_V1 */
#define GRANT_MAPTRACK_ENTRY_BYTES 16u /* sizeof(struct grant_mapping) */
#define GRANT_MAPTRACK_PER_FRAME 256u  /* 4096 / 16: Xen's MAPTRACK_PER_PAGE */
/* Xen's defaults, opt_max_grant_frames and opt_max_maptrack_frames. */
#define GRANT_DEFAULT_FRAMES 64u
#define GRANT_DEFAULT_MAPTRACK_FRAMES 1024u
/* Largest table this model accepts, in frames: a bound of the model, not of
 * Xen, which keeps every ref and handle below 2^25. */
#define GRANT_MAX_FRAMES 65536u
/* Live mappings of one kind (read-only or writable) one entry may carry:
 * Xen keeps each as an 8-bit field of the active entry's pin and refuses a
 * new pin once any field has bit 7 set (the 0x80808080 check). */
#define GRANT_PIN_MAX 128u

/* Why an operation was refused; each maps to one GNTST_ status. */
typedef enum {
    GRANT_REFUSE_UNKNOWN_DOMAIN, /* a domid names no table: bad_domain */
    GRANT_REFUSE_BAD_PEER,       /* grant to a domid no domain can have: general_error */
    GRANT_REFUSE_TABLE_FULL,     /* grant with every entry in use: no_space */
    GRANT_REFUSE_REF_RANGE,      /* ref < 0 or >= table size: bad_gntref */
    GRANT_REFUSE_REF_FREE,       /* entry not granted: general_error */
    GRANT_REFUSE_WRONG_DOMAIN,   /* entry granted to another domain: general_error */
    GRANT_REFUSE_READONLY,       /* write through a GTF_readonly grant: general_error */
    GRANT_REFUSE_PIN_OVERFLOW,   /* GRANT_PIN_MAX mappings of a kind: general_error */
    GRANT_REFUSE_MAPTRACK_FULL,  /* map with every handle in use: no_space */
    GRANT_REFUSE_HANDLE_RANGE,   /* handle < 0 or >= maptrack size: bad_handle */
    GRANT_REFUSE_HANDLE_FREE,    /* handle never issued or already unmapped: bad_handle */
    GRANT_REFUSE_FRAME_NOT_SELF, /* copy by frame naming a domid other than
                                    DOMID_SELF: permission_denied */
    GRANT_REFUSE_COPY_ARG,       /* offset or len < 0, or offset + len > 4096: bad_copy_arg */
    GRANT_REFUSE_PINNED,         /* end of access while mapped: eagain */
    GRANT_REFUSE_COUNT
} GrantRefusal;

/* Operations issued by one domain.  Successes and refusals are disjoint:
 * every call adds exactly 1 to one of these fields (copy_bytes aside). */
typedef struct {
    uint64_t grants;       /* entries filled */
    uint64_t end_accesses; /* entries freed */
    uint64_t maps;         /* mappings created */
    uint64_t unmaps;       /* mappings destroyed */
    uint64_t copies;       /* copies done */
    uint64_t copy_bytes;   /* bytes moved by those copies */
    uint64_t refused[GRANT_REFUSE_COUNT];
} GrantCounters;

/* One entry of a grant table as Xen and the granter would see it. */
typedef struct {
    uint16_t flags;      /* 0 when free; else GTF_permit_access, | GTF_readonly,
                            | GTF_reading while mapped, | GTF_writing while
                            mapped writable */
    int peer;            /* the domid allowed access; -1 when free */
    uint32_t frame;      /* the granter's frame number; 0 when free */
    uint32_t read_pins;  /* live read-only mappings of this entry */
    uint32_t write_pins; /* live writable mappings of this entry */
} GrantEntryInfo;

/* One live maptrack handle. */
typedef struct {
    int granter;   /* whose table the mapped ref is in */
    int64_t ref;   /* the mapped ref */
    bool readonly; /* mapped read-only */
} GrantMappingInfo;

/* One side of a copy: a grant ref in some domain's table, or a frame of the
 * caller's own memory. */
typedef struct {
    bool is_ref;    /* true: (domid, ref); false: the caller's frame */
    int domid;      /* ref: the granter, GRANT_DOMID_SELF for the caller;
                       frame: must be GRANT_DOMID_SELF (Xen: "Only DOMID_SELF
                       may reference via frame") */
    int64_t ref;    /* the grant ref when is_ref */
    int64_t offset; /* bytes from the start of the 4096-byte page */
} GrantCopySeg;

typedef struct GrantSpace GrantSpace;

/* An empty host grant space: no domains. */
GrantSpace *grant_space_new(void);
void grant_space_free(GrantSpace *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GrantSpace, grant_space_free)

/* Gives domain `domid` (0..0x7FEF) a grant table of `grant_frames` frames
 * (512 refs each) and a maptrack table of `maptrack_frames` frames (256
 * handles each); 0 selects Xen's default (64 and 1024).  Fails with
 * DOM0SIM_ERROR_INPUT, naming the value, if the domid is reserved or
 * already has a table or a size exceeds GRANT_MAX_FRAMES.  Memory is taken
 * as the tables fill, not up front. */
gboolean grant_space_add_domain(GrantSpace *s, int domid, uint32_t grant_frames,
                                uint32_t maptrack_frames, GError **err);
gboolean grant_space_has_domain(const GrantSpace *s, int domid);

/* Every operation returns GNTST_okay or the GNTST_ status of the first rule
 * it breaks, in Xen's order of checks, and counts the outcome in the
 * caller's counters.  Any argument values are safe: a refusal changes
 * nothing but one refusal counter. */

/* `granter` fills a free entry of its own table permitting `peer` to map or
 * copy its frame `frame`, read-only if `readonly`.  *ref_out (may be NULL)
 * gets the ref, or -1 on refusal.  Freed refs are reused most recently freed
 * first; a table never used hands out 0, 1, 2, ... in order. */
int grant_access(GrantSpace *s, int granter, int peer, uint32_t frame, bool readonly,
                 int64_t *ref_out);

/* GNTTABOP_map_grant_ref: `mapper` maps ref `ref` of `granter`'s table,
 * read-only or writable.  On success the entry gains a pin (GTF_reading, and
 * GTF_writing for a writable map) and *handle_out (may be NULL) gets a handle
 * in the mapper's maptrack table; -1 on refusal.  Checks, in order: granter
 * known (DOMID_SELF is not accepted here, as in Xen), a free handle, ref in
 * range, entry pinned only by the mapper and below GRANT_PIN_MAX, entry
 * granted, to the mapper, and writable if asked to write. */
int grant_map(GrantSpace *s, int mapper, int granter, int64_t ref, bool readonly,
              int64_t *handle_out);

/* GNTTABOP_unmap_grant_ref: `mapper` destroys its mapping `handle`, dropping
 * the pin it holds on the granted entry.  The handle becomes free for
 * reuse, most recently freed first. */
int grant_unmap(GrantSpace *s, int mapper, int64_t handle);

/* GNTTABOP_copy, one segment: `caller` copies `len` bytes from src to dst.
 * A ref side is checked as a map would be (read for src, write for dst) but
 * leaves no pin behind.  Checks, in order: src and dst domains (frame sides
 * must say DOMID_SELF: permission_denied; unknown domids: bad_domain), the
 * src grant, the dst grant, then offset and len (bad_copy_arg).  On success
 * counts one copy and len bytes. */
int grant_copy(GrantSpace *s, int caller, const GrantCopySeg *src, const GrantCopySeg *dst,
               int64_t len);

/* The back-end's common copy: page `page` (0-based) of a `total_bytes`-long
 * buffer between ref `ref` of `granter`'s table and a frame of the caller's
 * own, into the grant when `into_grant` (e.g. a disk read or a received
 * packet) or out of it.  Copies the page's share of the buffer, at most
 * GRANT_PAGE_BYTES; returns grant_copy's status. */
int grant_copy_page(GrantSpace *s, int caller, int granter, int64_t ref, uint64_t total_bytes,
                    unsigned page, bool into_grant);

/* gnttab_end_foreign_access_ref: `granter` revokes ref `ref` and frees the
 * entry.  Refused with GNTST_eagain while any mapping pins it (the grant
 * stays); freeing a free entry is GNTST_general_error. */
int grant_end_access(GrantSpace *s, int granter, int64_t ref);

/* Sizes and occupancy of a domain's tables; 0 for an unknown domid.
 * entries_in_use + entries_free == table_entries always. */
uint32_t grant_table_entries(const GrantSpace *s, int domid);
uint32_t grant_entries_in_use(const GrantSpace *s, int domid);
uint32_t grant_entries_free(const GrantSpace *s, int domid);
uint32_t grant_maptrack_entries(const GrantSpace *s, int domid);
/* Live mappings held by `domid` (its maptrack handles in use). */
uint32_t grant_mappings_in_use(const GrantSpace *s, int domid);

/* Entry `ref` of `domid`'s table; FALSE (and *out zeroed, peer -1) if the
 * domid or ref is out of range. */
gboolean grant_entry_info(const GrantSpace *s, int domid, int64_t ref, GrantEntryInfo *out);
/* Handle `handle` of `domid`'s maptrack table; FALSE if it is not live. */
gboolean grant_mapping_info(const GrantSpace *s, int domid, int64_t handle, GrantMappingInfo *out);

/* The counters of operations `domid` issued; FALSE (and zeros) if unknown. */
gboolean grant_counters(const GrantSpace *s, int domid, GrantCounters *out);
/* Refusals issued by domids that have no table. */
void grant_unattributed_counters(const GrantSpace *s, GrantCounters *out);
/* Sum of c->refused[]. */
uint64_t grant_counters_refused_total(const GrantCounters *c);

/* Checks every invariant of every table: in use + free = size, each free
 * slot listed once, no pin on a free entry, each entry's pins equal to the
 * live mappings naming it, each live mapping naming an entry granted to its
 * mapper.  On a violation returns FALSE and appends a description to `why`
 * (may be NULL).  Linear in the tables' high-water marks; for tests. */
gboolean grant_space_check(const GrantSpace *s, GString *why);

/* With invariant checks compiled in (sim/sim_invariant.h): runs
 * grant_space_check and aborts with its description, naming `host` and
 * `where`, if it fails.  A no-op otherwise.  Besides this whole-space check
 * (hosts run it when sampling and at the end of a run), every map, unmap
 * and copy checks the rules on the entry it touches. */
void grant_space_check_or_abort(const GrantSpace *s, const char *host, const char *where);
#ifdef DOM0SIM_CHECKS
/* Tests only: overwrites an entry below the table's high-water mark without
 * any check, to break the grant rules on purpose. */
void grant_debug_set_entry(GrantSpace *s, int domid, int64_t ref, uint16_t flags, int peer,
                           uint16_t read_pins, uint16_t write_pins);
#endif

/* A 64-bit hash of all of `domid`'s state (entries, pins, mappings, free
 * lists, counters); 0 for an unknown domid.  Equal states hash equal, so a
 * test can show an operation left a domain untouched. */
uint64_t grant_space_digest(const GrantSpace *s, int domid);

/* The status a refusal reason returns, e.g. GNTST_general_error. */
int grant_refusal_status(GrantRefusal r);
/* A short name for metrics, e.g. "wrong_domain"; "?" if out of range. */
const char *grant_refusal_name(GrantRefusal r);
/* Xen's message for a status (GNTTABOP_error_msgs), e.g. "permission
 * denied"; "unknown status" otherwise. */
const char *grant_status_name(int status);

#endif
