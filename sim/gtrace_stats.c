#include "sim/gtrace_stats.h"

#include <cjson/cJSON.h>
#include <string.h>

/* An open-addressing set of (a, b) pairs of 64-bit integers: a trace has
 * tens of millions of distinct tasks, and one GHashTable node per key would
 * cost several times the 17 bytes a slot takes here. */
typedef struct {
    uint64_t *keys; /* 2 per slot */
    uint8_t *used;
    size_t cap; /* power of two */
    size_t len;
} PairSet;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void pairset_init(PairSet *s)
{
    s->cap = 1024;
    s->len = 0;
    s->keys = g_new(uint64_t, 2 * s->cap);
    s->used = g_new0(uint8_t, s->cap);
}

static void pairset_clear(PairSet *s)
{
    g_free(s->keys);
    g_free(s->used);
}

static bool pairset_insert_at(uint64_t *keys, uint8_t *used, size_t cap, uint64_t a, uint64_t b)
{
    size_t i = mix64(a ^ mix64(b + 0x9e3779b97f4a7c15u)) & (cap - 1);
    while (used[i]) {
        if (keys[2 * i] == a && keys[2 * i + 1] == b)
            return false;
        i = (i + 1) & (cap - 1);
    }
    used[i] = 1;
    keys[2 * i] = a;
    keys[2 * i + 1] = b;
    return true;
}

static void pairset_add(PairSet *s, uint64_t a, uint64_t b)
{
    if (2 * (s->len + 1) > s->cap) {
        size_t cap = s->cap * 2;
        uint64_t *keys = g_new(uint64_t, 2 * cap);
        uint8_t *used = g_new0(uint8_t, cap);
        for (size_t i = 0; i < s->cap; i++)
            if (s->used[i])
                pairset_insert_at(keys, used, cap, s->keys[2 * i], s->keys[2 * i + 1]);
        pairset_clear(s);
        s->keys = keys;
        s->used = used;
        s->cap = cap;
    }
    if (pairset_insert_at(s->keys, s->used, s->cap, a, b))
        s->len++;
}

struct GtraceStats {
    GtraceCounts counts;
    PairSet machines, jobs, tasks;
};

void gtrace_counts_note_time(GtraceCounts *c, int64_t t)
{
    if (t == GTRACE_TIME_BEFORE_WINDOW) {
        c->rows_before_window++;
        return;
    }
    if (t == GTRACE_TIME_AFTER_WINDOW) {
        c->rows_after_window++;
        return;
    }
    gtrace_counts_note_end(c, t);
}

void gtrace_counts_note_end(GtraceCounts *c, int64_t t)
{
    if (t == GTRACE_TIME_BEFORE_WINDOW || t == GTRACE_TIME_AFTER_WINDOW)
        return;
    if (!c->has_span) {
        c->has_span = true;
        c->first_us = c->last_us = t;
    } else {
        c->first_us = MIN(c->first_us, t);
        c->last_us = MAX(c->last_us, t);
    }
}

char *gtrace_counts_to_json(const GtraceCounts *c)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *tabs = cJSON_AddObjectToObject(root, "tables");
    for (int t = 0; t < GTRACE_N_TABLES; t++) {
        if (!c->present[t])
            continue;
        cJSON *o = cJSON_AddObjectToObject(tabs, gtrace_table_name((GtraceTable)t));
        cJSON_AddNumberToObject(o, "files", (double)c->files[t]);
        cJSON_AddNumberToObject(o, "rows", (double)c->rows[t]);
        cJSON_AddNumberToObject(o, "skipped_rows", (double)c->skipped[t]);
    }
    cJSON_AddNumberToObject(root, "machines", (double)c->machines);
    cJSON_AddNumberToObject(root, "jobs", (double)c->jobs);
    cJSON_AddNumberToObject(root, "tasks", (double)c->tasks);
    cJSON_AddNumberToObject(root, "rows_before_window", (double)c->rows_before_window);
    cJSON_AddNumberToObject(root, "rows_after_window", (double)c->rows_after_window);
    /* Times stay below 2^53 us (285 years), so doubles hold them exactly. */
    if (c->has_span) {
        cJSON_AddNumberToObject(root, "first_time_us", (double)c->first_us);
        cJSON_AddNumberToObject(root, "last_time_us", (double)c->last_us);
        cJSON_AddNumberToObject(root, "span_s", (double)(c->last_us - c->first_us) / 1e6);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *out = g_strconcat(text, "\n", NULL);
    cJSON_free(text);
    return out;
}

GtraceStats *gtrace_stats_new(void)
{
    GtraceStats *st = g_new0(GtraceStats, 1);
    pairset_init(&st->machines);
    pairset_init(&st->jobs);
    pairset_init(&st->tasks);
    return st;
}

void gtrace_stats_add(GtraceStats *st, const GtraceRow *row)
{
    GtraceCounts *c = &st->counts;
    gtrace_counts_note_time(c, gtrace_row_time(row));
    switch (row->table) {
    case GTRACE_MACHINE_EVENTS:
        pairset_add(&st->machines, row->machine_event.machine_id, 0);
        break;
    case GTRACE_TASK_EVENTS: {
        const GtraceTaskEvent *e = &row->task_event;
        if (e->has_machine_id)
            pairset_add(&st->machines, e->machine_id, 0);
        pairset_add(&st->jobs, e->job_id, 0);
        pairset_add(&st->tasks, e->job_id, e->task_index);
        break;
    }
    default: {
        const GtraceTaskUsage *u = &row->task_usage;
        gtrace_counts_note_end(c, u->end_us);
        pairset_add(&st->machines, u->machine_id, 0);
        pairset_add(&st->jobs, u->job_id, 0);
        pairset_add(&st->tasks, u->job_id, u->task_index);
        break;
    }
    }
}

void gtrace_stats_add_reader(GtraceStats *st, GtraceTable table, const GtraceReader *r)
{
    GtraceCounts *c = &st->counts;
    c->present[table] = true;
    c->files[table] += gtrace_n_files(r);
    c->rows[table] += gtrace_rows(r);
    c->skipped[table] += gtrace_skipped(r);
}

const GtraceCounts *gtrace_stats_counts(GtraceStats *st)
{
    st->counts.machines = st->machines.len;
    st->counts.jobs = st->jobs.len;
    st->counts.tasks = st->tasks.len;
    return &st->counts;
}

void gtrace_stats_free(GtraceStats *st)
{
    if (!st)
        return;
    pairset_clear(&st->machines);
    pairset_clear(&st->jobs);
    pairset_clear(&st->tasks);
    g_free(st);
}
