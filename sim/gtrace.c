/* Streaming readers for the Google cluster trace clusterdata-2011-2.
 *
 * Column lists, types and mandatory flags follow "Google cluster-usage
 * traces: format + schema" (Reiss and Wilkes, 2011.10.27, trace version 2)
 * and the schema.csv shipped with clusterdata-2011-2 (version 2.1, which
 * appends "sampled CPU usage" to task_usage).
 *
 * Each shard is read with read(2); a shard that starts with the gzip magic
 * is inflated with Intel ISA-L (several times faster than zlib's inflate,
 * which alone could not keep up with 1.5M task_usage rows/s), member after
 * member, as gzread did.  The text goes into a fixed buffer, one row is
 * parsed ahead per shard, straight into the shard's typed row.
 *
 * A complete quote-free line (the trace has no quotes) is split and parsed
 * by fast_row, without libcsv; it accepts only lines whose fields libcsv
 * would pass on unchanged and that form a good row, so it gives the very row
 * libcsv would.  Every other line (quoted fields, stray CRs, spaces libcsv
 * trims, malformed rows) goes to libcsv, whose field callback parses each
 * field in place, so errors and their FILE:LINE are reported as before. */
#include "sim/gtrace.h"

#include <csv.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcntl.h>
#include <isa-l/igzip_lib.h>

#include "sim/sim_error.h"

/* Compressed input and text buffers per shard, plus ISA-L's 85 KiB of
 * inflate state for gzip: 256 KiB of text holds about 1,500 usage rows, and
 * the whole stays near 600 KiB per open shard (the real trace has 500). */
#define IN_BUFFER_BYTES (256u << 10)
#define TEXT_BUFFER_BYTES (256u << 10)

typedef enum {
    COL_TIME,     /* INTEGER, microseconds, 0 .. 2^63-1 */
    COL_U64,      /* INTEGER identifier, 64-bit */
    COL_OPT_U64,  /* INTEGER identifier that may be missing (has_ flag) */
    COL_SMALLINT, /* INTEGER in [lo, hi]; GTRACE_MISSING when empty */
    COL_FLOAT,    /* FLOAT; NAN when empty */
    COL_HASH,     /* STRING_HASH; "" when empty */
} ColKind;

typedef struct {
    const char *name; /* as in schema.csv */
    ColKind kind;
    bool mandatory;
    size_t offset;     /* of the value in GtraceRow */
    size_t has_offset; /* COL_OPT_U64: of the bool flag */
    int lo, hi;        /* COL_SMALLINT range */
} ColSpec;

#define ME(f) offsetof(GtraceRow, machine_event.f)
#define TE(f) offsetof(GtraceRow, task_event.f)
#define TU(f) offsetof(GtraceRow, task_usage.f)

/* machine_events: schema document, "Machine events". */
static const ColSpec machine_cols[] = {
    {"time", COL_TIME, true, ME(time_us), 0, 0, 0},
    {"machine ID", COL_U64, true, ME(machine_id), 0, 0, 0},
    {"event type", COL_SMALLINT, true, ME(event_type), 0, 0, 2},
    {"platform ID", COL_HASH, false, ME(platform_id), 0, 0, 0},
    {"CPUs", COL_FLOAT, false, ME(cpus), 0, 0, 0},
    {"memory", COL_FLOAT, false, ME(memory), 0, 0, 0},
};

/* task_events: schema document, "Task events table". */
static const ColSpec task_event_cols[] = {
    {"time", COL_TIME, true, TE(time_us), 0, 0, 0},
    {"missing info", COL_SMALLINT, false, TE(missing_info), 0, 0, 2},
    {"job ID", COL_U64, true, TE(job_id), 0, 0, 0},
    {"task index", COL_U64, true, TE(task_index), 0, 0, 0},
    {"machine ID", COL_OPT_U64, false, TE(machine_id), TE(has_machine_id), 0, 0},
    {"event type", COL_SMALLINT, true, TE(event_type), 0, 0, 8},
    {"user", COL_HASH, false, TE(user), 0, 0, 0},
    {"scheduling class", COL_SMALLINT, false, TE(scheduling_class), 0, 0, 3},
    {"priority", COL_SMALLINT, true, TE(priority), 0, 0, 1000},
    {"CPU request", COL_FLOAT, false, TE(cpu_request), 0, 0, 0},
    {"memory request", COL_FLOAT, false, TE(memory_request), 0, 0, 0},
    {"disk space request", COL_FLOAT, false, TE(disk_request), 0, 0, 0},
    {"different machines restriction", COL_SMALLINT, false, TE(different_machines), 0, 0, 1},
};

/* task_usage: schema document, "Resource usage", plus column 20 of v2.1. */
static const ColSpec task_usage_cols[] = {
    {"start time", COL_TIME, true, TU(start_us), 0, 0, 0},
    {"end time", COL_TIME, true, TU(end_us), 0, 0, 0},
    {"job ID", COL_U64, true, TU(job_id), 0, 0, 0},
    {"task index", COL_U64, true, TU(task_index), 0, 0, 0},
    {"machine ID", COL_U64, true, TU(machine_id), 0, 0, 0},
    {"CPU rate", COL_FLOAT, false, TU(cpu_rate), 0, 0, 0},
    {"canonical memory usage", COL_FLOAT, false, TU(canonical_memory), 0, 0, 0},
    {"assigned memory usage", COL_FLOAT, false, TU(assigned_memory), 0, 0, 0},
    {"unmapped page cache", COL_FLOAT, false, TU(unmapped_page_cache), 0, 0, 0},
    {"total page cache", COL_FLOAT, false, TU(total_page_cache), 0, 0, 0},
    {"maximum memory usage", COL_FLOAT, false, TU(max_memory), 0, 0, 0},
    {"disk I/O time", COL_FLOAT, false, TU(disk_io_time), 0, 0, 0},
    {"local disk space usage", COL_FLOAT, false, TU(local_disk_space), 0, 0, 0},
    {"maximum CPU rate", COL_FLOAT, false, TU(max_cpu_rate), 0, 0, 0},
    {"maximum disk IO time", COL_FLOAT, false, TU(max_disk_io_time), 0, 0, 0},
    {"cycles per instruction", COL_FLOAT, false, TU(cpi), 0, 0, 0},
    {"memory accesses per instruction", COL_FLOAT, false, TU(mai), 0, 0, 0},
    {"sample portion", COL_FLOAT, false, TU(sample_portion), 0, 0, 0},
    {"aggregation type", COL_SMALLINT, false, TU(aggregation_type), 0, 0, 1},
    {"sampled CPU usage", COL_FLOAT, false, TU(sampled_cpu), 0, 0, 0},
};

typedef struct {
    const char *name;
    const ColSpec *cols;
    int n_cols;
} TableSpec;

static const TableSpec tables[GTRACE_N_TABLES] = {
    [GTRACE_MACHINE_EVENTS] = {"machine_events", machine_cols, G_N_ELEMENTS(machine_cols)},
    [GTRACE_TASK_EVENTS] = {"task_events", task_event_cols, G_N_ELEMENTS(task_event_cols)},
    [GTRACE_TASK_USAGE] = {"task_usage", task_usage_cols, G_N_ELEMENTS(task_usage_cols)},
};

/* Why the row being parsed is malformed (the first problem found). */
typedef enum {
    BAD_NONE,
    BAD_NUMBER,
    BAD_EMPTY,
    BAD_RANGE,
    BAD_HASH_LONG,
} BadKind;

typedef struct {
    const TableSpec *spec;
    char *path;
    /* Input: the file, and for gzip the compressed bytes and ISA-L's state
     * (next_in/avail_in are the unconsumed bytes of `in`). */
    int fd;
    bool probed;   /* the first bytes have been read and looked at */
    bool gzip;     /* they were the gzip magic */
    bool in_eof;   /* read() has returned 0 */
    bool src_done; /* every byte of text has been delivered */
    int src_err;   /* a stream error to report at the next read (SRC_ERR_*) */
    uint8_t *in;
    struct inflate_state *z;
    /* Text: buf[pos, len) is not consumed yet. */
    char *buf;
    size_t pos, len;
    struct csv_parser csv;
    /* libcsv is between rows, so the next line may bypass it: the text given
     * to it since it last was ended with a newline and had an even number of
     * quotes, i.e. was outside any quoted field. */
    bool csv_clean;
    bool csv_quote_odd; /* while not clean: parity of the quotes given to it */
    bool at_eof;        /* the text has ended and csv_fini has run */
    uint64_t lines;     /* complete lines consumed */
    uint64_t row_line;  /* line where the row being parsed starts */
    int col;            /* fields seen in the row being parsed */
    bool row_done;
    BadKind bad;
    int bad_col;
    char bad_text[48];
    int64_t last_time;
    bool has_last;
    GtraceRow row;
} Shard;

struct GtraceReader {
    GtraceTable table;
    GtraceOptions opts;
    Shard *shards;
    size_t n_shards;
    size_t *heap; /* shard indices, min-heap on (row time, index) */
    size_t heap_len;
    bool primed;
    bool pending; /* heap[0]'s row was returned and must be replaced */
    uint64_t rows, skipped;
};

const char *gtrace_table_name(GtraceTable table)
{
    return table < GTRACE_N_TABLES ? tables[table].name : "?";
}

GtraceTable gtrace_table_from_name(const char *name)
{
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        if (strcmp(name, tables[t].name) == 0)
            return (GtraceTable)t;
    return GTRACE_N_TABLES;
}

int gtrace_table_columns(GtraceTable table)
{
    return table < GTRACE_N_TABLES ? tables[table].n_cols : 0;
}

int64_t gtrace_row_time(const GtraceRow *row)
{
    switch (row->table) {
    case GTRACE_MACHINE_EVENTS:
        return row->machine_event.time_us;
    case GTRACE_TASK_EVENTS:
        return row->task_event.time_us;
    default:
        return row->task_usage.start_us;
    }
}

/* ---- Number parsing --------------------------------------------------- */

/* Decimal digits only, no sign, no overflow. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* mant x 10^exp10 rounded once, which is exact (and so equal to strtod's
 * result) when mant < 2^53 and |exp10| <= 22: both operands are exact
 * doubles.  FALSE outside that range. */
static inline bool scale_exact(uint64_t mant, int exp10, double *out)
{
    double v = (double)mant;
    if (exp10 < 0 && exp10 >= -22)
        v /= pow10_exact[-exp10];
    else if (exp10 > 0 && exp10 <= 22)
        v *= pow10_exact[exp10];
    else if (exp10 != 0 && mant != 0)
        return false;
    *out = v;
    return true;
}

/* Scans a decimal float in the trace's plain forms ("0.06787", "2.861e-06",
 * "3", with an optional sign) from p, reading nothing at or past end.
 * Returns the first byte after it with *out set when the value is exact by
 * the fast path: the digits fit in 2^53 and the power of ten is at most
 * 10^22, so both are exact doubles and one multiplication or division rounds
 * correctly (Clinger, PLDI 1990) and the result equals strtod's.  Returns
 * NULL when the text is not in such a form or needs strtod. */
static inline const char *scan_double(const char *p, const char *end, double *out)
{
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    uint64_t mant = 0;
    int digits = 0, exp10 = 0;
    bool any = false;
    for (; p < end && (unsigned)(*p - '0') <= 9; p++, any = true) {
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(*p - '0');
            if (mant)
                digits++;
        } else {
            exp10++;
        }
    }
    if (p < end && *p == '.') {
        for (p++; p < end && (unsigned)(*p - '0') <= 9; p++, any = true) {
            if (digits < 19) {
                mant = mant * 10 + (uint64_t)(*p - '0');
                if (mant)
                    digits++;
                exp10--;
            }
        }
    }
    if (!any)
        return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < end && (*p == '-' || *p == '+'))
            eneg = *p++ == '-';
        int e = 0;
        bool edig = false;
        for (; p < end && (unsigned)(*p - '0') <= 9; p++, edig = true)
            if (e < 100000)
                e = e * 10 + (*p - '0');
        if (!edig)
            return NULL;
        exp10 += eneg ? -e : e;
    }
    if (digits >= 19 || mant > (UINT64_C(1) << 53))
        return NULL;
    double v;
    if (!scale_exact(mant, exp10, &v))
        return NULL;
    *out = neg ? -v : v;
    return p;
}

/* scan_double's common case inside a complete line, where a byte that is
 * not part of the number always follows (',', '\r' or '\n'), so no bound is
 * checked: unsigned digits with an optional fraction and exponent, at most
 * 19 digits in all.  Returns NULL whenever unsure; scan_double decides then. */
static inline const char *scan_plain_double(const char *p, double *out)
{
    const char *q = p;
    uint64_t mant = 0;
    unsigned d;
    while ((d = (unsigned)(unsigned char)*q - '0') <= 9) {
        mant = mant * 10 + d;
        q++;
    }
    int n_digits = (int)(q - p), exp10 = 0;
    if (*q == '.') {
        const char *f = ++q;
        while ((d = (unsigned)(unsigned char)*q - '0') <= 9) {
            mant = mant * 10 + d;
            q++;
        }
        exp10 = -(int)(q - f);
        n_digits += (int)(q - f);
    }
    if (n_digits == 0 || n_digits > 19 || mant > (UINT64_C(1) << 53))
        return NULL;
    if ((*q | 0x20) == 'e') {
        q++;
        bool eneg = *q == '-';
        if (*q == '-' || *q == '+')
            q++;
        const char *e0 = q;
        int e = 0;
        while ((d = (unsigned)(unsigned char)*q - '0') <= 9 && q - e0 < 4) {
            e = e * 10 + (int)d;
            q++;
        }
        if (q == e0 || d <= 9)
            return NULL;
        exp10 += eneg ? -e : e;
    }
    return scale_exact(mant, exp10, out) ? q : NULL;
}

/* A decimal float filling s[0, len): scan_double, else strtod.  strtod reads
 * past len only if s[len] could continue a number; callers end s with NUL
 * (libcsv's CSV_APPEND_NULL) or with the ',' '\r' or '\n' after a field. */
static bool parse_double(const char *s, size_t len, double *out)
{
    const char *end = s + len;
    if (scan_double(s, end, out) == end)
        return true;
    char *stop = NULL;
    errno = 0;
    double d = strtod(s, &stop);
    if (stop != end || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* ---- libcsv callbacks --------------------------------------------------- */

static void mark_bad(Shard *s, BadKind kind, int col, const char *text, size_t len)
{
    if (s->bad != BAD_NONE)
        return;
    s->bad = kind;
    s->bad_col = col;
    size_t n = MIN(len, sizeof s->bad_text - 1);
    if (text && n)
        memcpy(s->bad_text, text, n);
    s->bad_text[text ? n : 0] = '\0';
}

/* Stores the value of an empty optional field. */
static inline void set_missing(Shard *s, const ColSpec *cs, char *dst)
{
    switch (cs->kind) {
    case COL_OPT_U64:
        *(bool *)((char *)&s->row + cs->has_offset) = false;
        *(uint64_t *)dst = 0;
        break;
    case COL_SMALLINT:
        *(int *)dst = GTRACE_MISSING;
        break;
    case COL_FLOAT:
        *(double *)dst = NAN;
        break;
    case COL_HASH:
        dst[0] = '\0';
        break;
    default:
        break;
    }
}

static void on_field(void *field, size_t len, void *data)
{
    Shard *s = data;
    int c = s->col++;
    if (c == 0)
        s->row_line = s->lines + 1;
    if (c >= s->spec->n_cols || s->bad != BAD_NONE)
        return;
    const ColSpec *cs = &s->spec->cols[c];
    const char *text = field ? field : "";
    char *dst = (char *)&s->row + cs->offset;
    if (len == 0) {
        if (cs->mandatory)
            mark_bad(s, BAD_EMPTY, c, NULL, 0);
        else
            set_missing(s, cs, dst);
        return;
    }
    uint64_t u;
    switch (cs->kind) {
    case COL_TIME:
        if (!parse_u64(text, len, &u) || u > (uint64_t)INT64_MAX)
            mark_bad(s, BAD_NUMBER, c, text, len);
        else
            *(int64_t *)dst = (int64_t)u;
        break;
    case COL_U64:
    case COL_OPT_U64:
        if (!parse_u64(text, len, &u)) {
            mark_bad(s, BAD_NUMBER, c, text, len);
            break;
        }
        *(uint64_t *)dst = u;
        if (cs->kind == COL_OPT_U64)
            *(bool *)((char *)&s->row + cs->has_offset) = true;
        break;
    case COL_SMALLINT:
        if (!parse_u64(text, len, &u))
            mark_bad(s, BAD_NUMBER, c, text, len);
        else if (u < (uint64_t)cs->lo || u > (uint64_t)cs->hi)
            mark_bad(s, BAD_RANGE, c, text, len);
        else
            *(int *)dst = (int)u;
        break;
    case COL_FLOAT:
        if (!parse_double(text, len, (double *)dst))
            mark_bad(s, BAD_NUMBER, c, text, len);
        break;
    case COL_HASH:
        if (len > GTRACE_HASH_MAX) {
            mark_bad(s, BAD_HASH_LONG, c, text, len);
            break;
        }
        memcpy(dst, text, len);
        dst[len] = '\0';
        break;
    }
}

static void on_row(int term, void *data)
{
    (void)term;
    Shard *s = data;
    s->row_done = true;
}

/* ---- Shards ------------------------------------------------------------- */

static void shard_clear(Shard *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    csv_free(&s->csv);
    g_free(s->z);
    s->z = NULL;
    g_free(s->in);
    s->in = NULL;
    g_free(s->buf);
    s->buf = NULL;
    g_free(s->path);
    s->path = NULL;
}

static void set_bad_row_error(const Shard *s, GError **err)
{
    const ColSpec *cs = s->bad_col < s->spec->n_cols ? &s->spec->cols[s->bad_col] : NULL;
    switch (s->bad) {
    case BAD_NUMBER:
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s:%" PRIu64 ": %s column %d (%s): '%s' is not a %s", s->path, s->row_line,
                    s->spec->name, s->bad_col + 1, cs->name, s->bad_text,
                    cs->kind == COL_FLOAT ? "number" : "non-negative integer");
        break;
    case BAD_EMPTY:
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s:%" PRIu64 ": %s column %d (%s) is mandatory but empty", s->path,
                    s->row_line, s->spec->name, s->bad_col + 1, cs->name);
        break;
    case BAD_RANGE:
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s:%" PRIu64 ": %s column %d (%s): %s is outside [%d, %d]", s->path,
                    s->row_line, s->spec->name, s->bad_col + 1, cs->name, s->bad_text, cs->lo,
                    cs->hi);
        break;
    case BAD_HASH_LONG:
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s:%" PRIu64 ": %s column %d (%s): longer than %d characters", s->path,
                    s->row_line, s->spec->name, s->bad_col + 1, cs->name, GTRACE_HASH_MAX);
        break;
    case BAD_NONE:
        break;
    }
}

/* ---- Input: plain or gzip, told by content ------------------------------ */

enum { SRC_ERR_NONE, SRC_ERR_TRUNCATED, SRC_ERR_ISAL };

static const char *isal_message(int code)
{
    switch (code) {
    case ISAL_INVALID_BLOCK:
        return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
        return "invalid code in deflate data";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER:
        return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
        return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    default:
        return "corrupt deflate data";
    }
}

static void set_read_error(const Shard *s, int errnum, GError **err)
{
    g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: read error after line %" PRIu64 ": %s",
                s->path, s->lines, g_strerror(errnum));
}

/* read(2) of up to cap bytes, retried on EINTR: bytes read, 0 at the end of
 * the file, -1 with the error set. */
static ssize_t read_some(Shard *s, void *dst, size_t cap, GError **err)
{
    ssize_t n;
    do
        n = read(s->fd, dst, cap);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        set_read_error(s, errno, err);
    else if (n == 0)
        s->in_eof = true;
    return n;
}

/* Moves the unconsumed compressed bytes to the front of `in` and reads more
 * after them.  Returns false on a read error. */
static bool fill_in(Shard *s, GError **err)
{
    struct inflate_state *z = s->z;
    memmove(s->in, z->next_in, z->avail_in);
    z->next_in = s->in;
    ssize_t n = read_some(s, s->in + z->avail_in, IN_BUFFER_BYTES - z->avail_in, err);
    if (n < 0)
        return false;
    z->avail_in += (uint32_t)n;
    return true;
}

/* Inflates into dst[0, cap): the bytes produced, 0 at the end of the last
 * member or on corrupt data (src_err is then set), -1 on a read error.  A
 * stream cut short still hands out what it inflated, and src_err reports it
 * at the next call, after those rows. */
static ssize_t inflate_some(Shard *s, char *dst, size_t cap, GError **err)
{
    struct inflate_state *z = s->z;
    size_t produced = 0;
    while (produced < cap) {
        if (z->block_state == ISAL_BLOCK_FINISH) {
            /* A member has ended: another may follow (multi-member gzip);
             * anything else after it is ignored, as gzread does. */
            if (z->avail_in < 2 && !s->in_eof) {
                if (!fill_in(s, err))
                    return -1;
                continue;
            }
            if (z->avail_in >= 2 && z->next_in[0] == 0x1f && z->next_in[1] == 0x8b) {
                uint8_t *next = z->next_in;
                uint32_t avail = z->avail_in;
                isal_inflate_reset(z);
                z->next_in = next;
                z->avail_in = avail;
                z->crc_flag = ISAL_GZIP;
                continue;
            }
            s->src_done = true;
            break;
        }
        if (z->avail_in == 0 && !s->in_eof) {
            if (!fill_in(s, err))
                return -1;
            continue;
        }
        z->next_out = (uint8_t *)dst + produced;
        z->avail_out = (uint32_t)(cap - produced);
        uint32_t avail_in = z->avail_in;
        int rc = isal_inflate(z);
        size_t out = cap - produced - z->avail_out;
        produced += out;
        if (rc < 0) {
            /* Corrupt data: like gzread, drop what this call inflated, which
             * may already be garbage, and fail now. */
            s->src_err = SRC_ERR_ISAL - rc;
            return 0;
        }
        if (out > 0 || z->avail_in != avail_in || z->block_state == ISAL_BLOCK_FINISH)
            continue;
        /* No progress: the member needs bytes the file does not have. */
        if (s->in_eof) {
            s->src_err = SRC_ERR_TRUNCATED;
            break;
        }
        if (z->avail_in == IN_BUFFER_BYTES) {
            s->src_err = SRC_ERR_ISAL - ISAL_INVALID_BLOCK;
            break;
        }
        if (!fill_in(s, err))
            return -1;
    }
    return (ssize_t)produced;
}

/* Reads the first bytes into dst and tells gzip from plain text by the gzip
 * magic (as gzread does).  For gzip they move to the compressed buffer and
 * 0 bytes of text are returned; else they are the first text. */
static ssize_t probe(Shard *s, char *dst, size_t cap, GError **err)
{
    s->probed = true;
    size_t got = 0;
    while (got < 2 && !s->in_eof) {
        ssize_t n = read_some(s, dst + got, cap - got, err);
        if (n < 0)
            return -1;
        got += (size_t)n;
    }
    if (got < 2 || (unsigned char)dst[0] != 0x1f || (unsigned char)dst[1] != 0x8b)
        return (ssize_t)got;
    s->gzip = true;
    s->in = g_malloc(IN_BUFFER_BYTES);
    s->z = g_malloc(sizeof *s->z);
    isal_inflate_init(s->z);
    s->z->crc_flag = ISAL_GZIP;
    memcpy(s->in, dst, got);
    s->z->next_in = s->in;
    s->z->avail_in = (uint32_t)got;
    return 0;
}

/* Reads text into dst[0, cap): bytes read (> 0), 0 at a clean end (src_done
 * is then set), -1 on a read error or a truncated or corrupt gzip stream. */
static ssize_t src_read(Shard *s, char *dst, size_t cap, GError **err)
{
    for (;;) {
        if (s->src_err != SRC_ERR_NONE) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                        "%s:%" PRIu64 ": truncated or corrupt gzip stream (%s)", s->path,
                        s->lines + 1,
                        s->src_err == SRC_ERR_TRUNCATED ? "unexpected end of file"
                                                        : isal_message(SRC_ERR_ISAL - s->src_err));
            return -1;
        }
        if (s->src_done)
            return 0;
        ssize_t n;
        if (!s->probed)
            n = probe(s, dst, cap, err);
        else if (s->gzip)
            n = inflate_some(s, dst, cap, err);
        else
            n = s->in_eof ? 0 : read_some(s, dst, cap, err);
        if (n < 0)
            return -1;
        if (n > 0)
            return n;
        if (!s->gzip && s->in_eof)
            s->src_done = true;
    }
}

/* ---- Rows ---------------------------------------------------------------- */

/* Moves the unconsumed text to the front of the buffer and reads more after
 * it.  Returns 1 when text was added, 0 at its end, -1 on an error. */
static int shard_more(Shard *s, GError **err)
{
    if (s->pos > 0) {
        memmove(s->buf, s->buf + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->pos = 0;
    }
    ssize_t n = src_read(s, s->buf + s->len, TEXT_BUFFER_BYTES - s->len, err);
    if (n < 0)
        return -1;
    s->len += (size_t)n;
    return n > 0;
}

static inline bool is_csv_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses the line [p, eol) into s->row without libcsv; eol is at the line's
 * '\n' or at a '\r' just before it, so every field ends at a ',' or at eol,
 * and a digit scan stops at eol.  Succeeds only for a well-formed row whose
 * fields libcsv would pass on unchanged (no quote, no CR, no space or tab at
 * either end of a field), so the row is the one libcsv and on_field would
 * give.  Anything else, including every malformed row, returns false and the
 * line goes through libcsv, which reports it as it always has. */
static bool fast_row(Shard *s, const char *p, const char *eol)
{
    const TableSpec *spec = s->spec;
    char *row = (char *)&s->row;
    for (int c = 0; c < spec->n_cols; c++) {
        const ColSpec *cs = &spec->cols[c];
        char *dst = row + cs->offset;
        const char *q = p;
        if (p == eol || *p == ',') {
            if (cs->mandatory)
                return false;
            set_missing(s, cs, dst);
        } else if (cs->kind == COL_FLOAT) {
            q = scan_plain_double(p, (double *)dst);
            if (!q)
                q = scan_double(p, eol, (double *)dst);
            if (!q || (q != eol && *q != ',')) {
                /* Not a plain decimal: strtod decides, on the same text. */
                for (q = p; q < eol && *q != ','; q++)
                    if (*q == '"' || *q == '\r')
                        return false;
                if (is_csv_space(p[0]) || is_csv_space(q[-1]) ||
                    !parse_double(p, (size_t)(q - p), (double *)dst))
                    return false;
            }
        } else if (cs->kind == COL_HASH) {
            for (; q < eol && *q != ','; q++)
                if (*q == '"' || *q == '\r')
                    return false;
            size_t len = (size_t)(q - p);
            if (len > GTRACE_HASH_MAX || is_csv_space(p[0]) || is_csv_space(q[-1]))
                return false;
            memcpy(dst, p, len);
            dst[len] = '\0';
        } else {
            uint64_t v = 0;
            unsigned d;
            while ((d = (unsigned)(unsigned char)*q - '0') <= 9 && q - p < 19) {
                v = v * 10 + d;
                q++;
            }
            if (d <= 9) {
                /* 20 digits or more: parse_u64 checks for overflow. */
                while ((unsigned)(unsigned char)*q - '0' <= 9)
                    q++;
                if (!parse_u64(p, (size_t)(q - p), &v))
                    return false;
            }
            switch (cs->kind) {
            case COL_TIME:
                if (v > (uint64_t)INT64_MAX)
                    return false;
                *(int64_t *)dst = (int64_t)v;
                break;
            case COL_SMALLINT:
                if (v < (uint64_t)cs->lo || v > (uint64_t)cs->hi)
                    return false;
                *(int *)dst = (int)v;
                break;
            case COL_OPT_U64:
                *(bool *)(row + cs->has_offset) = true;
                /* fall through */
            default:
                *(uint64_t *)dst = v;
                break;
            }
        }
        if (c + 1 < spec->n_cols) {
            if (q == eol || *q != ',')
                return false;
            p = q + 1;
        } else if (q != eol) {
            return false;
        }
    }
    return true;
}

static size_t count_quotes(const char *p, size_t n)
{
    size_t k = 0;
    for (const char *e = p + n; (p = memchr(p, '"', (size_t)(e - p))); p++)
        k++;
    return k;
}

/* Parses the shard's next row into s->row, whether well-formed or not.
 * Returns 1 with a row (s->bad says whether it is malformed), 0 at the end,
 * -1 on a stream or CSV syntax error.
 *
 * A complete line goes through fast_row when libcsv is between rows; a line
 * fast_row declines, a last line without its newline and a line longer than
 * the buffer go through libcsv one line at a time, as every line used to. */
static int shard_parse_row(Shard *s, GError **err)
{
    s->col = 0;
    s->row_done = false;
    s->bad = BAD_NONE;
    s->row_line = s->lines + 1;
    while (s->csv_clean && !s->at_eof) {
        char *line = s->buf + s->pos;
        char *nl = memchr(line, '\n', s->len - s->pos);
        if (!nl) {
            if (s->src_done || (s->pos == 0 && s->len == TEXT_BUFFER_BYTES))
                break;
            if (shard_more(s, err) < 0)
                return -1;
            continue;
        }
        char *eol = nl > line && nl[-1] == '\r' ? nl - 1 : nl;
        if (eol == line) {
            /* A blank line, which libcsv skips too. */
            s->pos = (size_t)(nl + 1 - s->buf);
            s->lines++;
            s->row_line = s->lines + 1;
            continue;
        }
        if (!fast_row(s, line, eol))
            break;
        s->pos = (size_t)(nl + 1 - s->buf);
        s->lines++;
        s->col = s->spec->n_cols;
        goto done;
    }
    bool quote_odd = false, ended_nl = false;
    while (!s->row_done) {
        if (s->at_eof)
            return 0;
        if (s->pos == s->len) {
            int rc = shard_more(s, err);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                /* A last line without its newline is still a row. */
                s->at_eof = true;
                csv_fini(&s->csv, on_field, on_row, s);
                if (!s->row_done)
                    return 0;
                break;
            }
        }
        const char *start = s->buf + s->pos;
        const char *nl = memchr(start, '\n', s->len - s->pos);
        size_t n = nl ? (size_t)(nl - start) + 1 : s->len - s->pos;
        if (csv_parse(&s->csv, start, n, on_field, on_row, s) != n) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s:%" PRIu64 ": %s", s->path,
                        s->lines + 1, csv_strerror(csv_error(&s->csv)));
            return -1;
        }
        quote_odd ^= count_quotes(start, n) & 1;
        ended_nl = nl != NULL;
        s->pos += n;
        if (nl)
            s->lines++;
    }
    /* Quote parity carries over while libcsv stays inside a row. */
    s->csv_clean = ended_nl && !(quote_odd ^ s->csv_quote_odd);
    s->csv_quote_odd = s->csv_clean ? false : (quote_odd ^ s->csv_quote_odd);
done:
    s->row.table = (GtraceTable)(s->spec - tables);
    s->row.path = s->path;
    s->row.line = s->row_line;
    return 1;
}

/* Advances the shard to its next good row: 1 row, 0 end, -1 error.  Bad rows
 * fail, or are counted and skipped under skip_bad_rows. */
static int shard_advance(GtraceReader *r, Shard *s, GError **err)
{
    for (;;) {
        int rc = shard_parse_row(s, err);
        if (rc <= 0)
            return rc;
        GError *bad = NULL;
        if (s->col != s->spec->n_cols) {
            g_set_error(&bad, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                        "%s:%" PRIu64 ": %s rows have %d columns, found %d", s->path, s->row_line,
                        s->spec->name, s->spec->n_cols, s->col);
        } else if (s->bad != BAD_NONE) {
            set_bad_row_error(s, &bad);
        } else {
            int64_t t = gtrace_row_time(&s->row);
            if (s->has_last && t < s->last_time)
                g_set_error(&bad, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                            "%s:%" PRIu64 ": time %" PRId64
                            " is earlier than the previous row's %" PRId64
                            " (each shard must be sorted by time)",
                            s->path, s->row_line, t, s->last_time);
            else {
                s->last_time = t;
                s->has_last = true;
                return 1;
            }
        }
        if (!r->opts.skip_bad_rows) {
            g_propagate_error(err, bad);
            return -1;
        }
        g_error_free(bad);
        r->skipped++;
    }
}

static bool shard_open(Shard *s, const TableSpec *spec, const char *path, GError **err)
{
    s->spec = spec;
    s->path = g_strdup(path);
    s->csv_clean = true;
    if (csv_init(&s->csv, CSV_STRICT | CSV_APPEND_NULL) != 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: cannot create a CSV parser", path);
        return false;
    }
    s->buf = g_malloc(TEXT_BUFFER_BYTES);
    s->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: cannot open: %s", path,
                    g_strerror(errno));
        return false;
    }
    return true;
}

/* ---- Merge -------------------------------------------------------------- */

static bool heap_less(const GtraceReader *r, size_t a, size_t b)
{
    int64_t ta = gtrace_row_time(&r->shards[a].row);
    int64_t tb = gtrace_row_time(&r->shards[b].row);
    return ta < tb || (ta == tb && a < b);
}

static void heap_down(GtraceReader *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->heap_len && heap_less(r, r->heap[l], r->heap[m]))
            m = l;
        if (l + 1 < r->heap_len && heap_less(r, r->heap[l + 1], r->heap[m]))
            m = l + 1;
        if (m == i)
            return;
        size_t t = r->heap[i];
        r->heap[i] = r->heap[m];
        r->heap[m] = t;
        i = m;
    }
}

static bool is_shard_name(const char *name)
{
    return name[0] != '.' && (g_str_has_suffix(name, ".csv") || g_str_has_suffix(name, ".csv.gz"));
}

static gint cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands files and directories into the list of shard files. */
static GPtrArray *expand_paths(const char *const *paths, size_t n_paths, GError **err)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < n_paths; i++) {
        const char *p = paths[i];
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            GError *e = NULL;
            g_autoptr(GDir) dir = g_dir_open(p, 0, &e);
            if (!dir) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: %s", p, e->message);
                g_error_free(e);
                return NULL;
            }
            g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
            for (const char *n; (n = g_dir_read_name(dir));)
                if (is_shard_name(n))
                    g_ptr_array_add(names, g_build_filename(p, n, NULL));
            if (names->len == 0) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                            "%s: no *.csv or *.csv.gz shards in this directory", p);
                return NULL;
            }
            g_ptr_array_sort(names, cmp_str);
            for (guint k = 0; k < names->len; k++)
                g_ptr_array_add(files, g_strdup(names->pdata[k]));
        } else if (g_file_test(p, G_FILE_TEST_EXISTS)) {
            g_ptr_array_add(files, g_strdup(p));
        } else {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "%s: no such file or directory",
                        p);
            return NULL;
        }
    }
    if (files->len == 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "no trace files given");
        return NULL;
    }
    return g_steal_pointer(&files);
}

GtraceReader *gtrace_open(GtraceTable table, const char *const *paths, size_t n_paths,
                          const GtraceOptions *opts, GError **err)
{
    g_return_val_if_fail(table < GTRACE_N_TABLES, NULL);
    g_autoptr(GPtrArray) files = expand_paths(paths, n_paths, err);
    if (!files)
        return NULL;
    GtraceReader *r = g_new0(GtraceReader, 1);
    r->table = table;
    if (opts)
        r->opts = *opts;
    r->shards = g_new0(Shard, files->len);
    for (guint i = 0; i < files->len; i++)
        r->shards[i].fd = -1;
    r->heap = g_new0(size_t, files->len);
    for (guint i = 0; i < files->len; i++) {
        r->n_shards = i + 1;
        if (!shard_open(&r->shards[i], &tables[table], files->pdata[i], err)) {
            gtrace_close(r);
            return NULL;
        }
    }
    return r;
}

int gtrace_next(GtraceReader *r, GtraceRow *row, GError **err)
{
    if (!r->primed) {
        r->primed = true;
        for (size_t i = 0; i < r->n_shards; i++) {
            int rc = shard_advance(r, &r->shards[i], err);
            if (rc < 0)
                return -1;
            if (rc > 0)
                r->heap[r->heap_len++] = i;
        }
        for (size_t i = r->heap_len / 2; i-- > 0;)
            heap_down(r, i);
    } else if (r->pending) {
        r->pending = false;
        int rc = shard_advance(r, &r->shards[r->heap[0]], err);
        if (rc < 0)
            return -1;
        if (rc == 0)
            r->heap[0] = r->heap[--r->heap_len];
        heap_down(r, 0);
    }
    if (r->heap_len == 0)
        return 0;
    *row = r->shards[r->heap[0]].row;
    r->pending = true;
    r->rows++;
    return 1;
}

uint64_t gtrace_rows(const GtraceReader *r)
{
    return r->rows;
}

uint64_t gtrace_skipped(const GtraceReader *r)
{
    return r->skipped;
}

size_t gtrace_n_files(const GtraceReader *r)
{
    return r->n_shards;
}

void gtrace_close(GtraceReader *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_shards; i++)
        shard_clear(&r->shards[i]);
    g_free(r->shards);
    g_free(r->heap);
    g_free(r);
}
