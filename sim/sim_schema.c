/* Validation of scenario documents against a JSON Schema subset (see
 * sim_schema.h).
 *
 * The schema is interpreted directly from its cJSON tree.  Loading checks it
 * thoroughly first (only supported keywords, keywords that fit the declared
 * type, resolvable references, well-formed tagged unions, defaults that pass
 * their own schema), so validation can trust its structure and a typo in
 * the schema file fails loudly instead of silently constraining nothing. */
#include "sim/sim_schema.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "sim/sim_error.h"

/* Generated from scenarios/schema.json by the build (cmake/embed.cmake). */
extern const char dom0sim_schema_json[];
extern const size_t dom0sim_schema_json_len;

#define REF_PREFIX "#/$defs/"
/* Longer $ref chains than this are taken to be a cycle. */
#define MAX_REF_HOPS 64
/* Validation recursion limit.  Documents nest at most 512 levels (the
 * parser's limit); only a default that contains itself through a recursive
 * schema could go deeper, and that must end with an error, not a crash. */
#define MAX_DEPTH 1000
/* Integers beyond 2^53 are not exactly representable as doubles. */
#define MAX_EXACT_INT 9007199254740992.0
/* How many allowed keys or enum values a message lists before "...". */
#define MAX_LISTED 8

struct SimSchema {
    SimJsonDoc *doc;
    const cJSON *root;
    const cJSON *defs;
    /* oneOf array -> name of its discriminator property (both borrowed from
     * the schema tree, which never changes after loading). */
    GHashTable *tags;
};

/* ---- Small helpers ---------------------------------------------------- */

static const cJSON *kw(const cJSON *s, const char *name)
{
    return s ? cJSON_GetObjectItemCaseSensitive(s, name) : NULL;
}

/* Follows $ref until a schema without one.  Loading has checked that every
 * reference resolves and that there are no cycles. */
static const cJSON *resolve(const SimSchema *schema, const cJSON *s)
{
    for (int hops = 0; s && hops < MAX_REF_HOPS; hops++) {
        const cJSON *ref = kw(s, "$ref");
        if (!cJSON_IsString(ref))
            return s;
        s = kw(schema->defs, ref->valuestring + strlen(REF_PREFIX));
    }
    return s;
}

/* The default for a property: on the property's schema itself, or on the
 * schema it refers to. */
static const cJSON *find_default(const SimSchema *schema, const cJSON *s)
{
    for (int hops = 0; s && hops < MAX_REF_HOPS; hops++) {
        const cJSON *def = kw(s, "default");
        if (def)
            return def;
        const cJSON *ref = kw(s, "$ref");
        if (!cJSON_IsString(ref))
            return NULL;
        s = kw(schema->defs, ref->valuestring + strlen(REF_PREFIX));
    }
    return NULL;
}

static char *key_path(const char *parent, const char *key)
{
    return *parent ? g_strdup_printf("%s.%s", parent, key) : g_strdup(key);
}

static char *index_path(const char *parent, int i)
{
    return g_strdup_printf("%s[%d]", parent, i);
}

static const char *plural(double n)
{
    return n == 1 ? "" : "s";
}

/* The shortest text that reads back as exactly x, so 0.5 prints as 0.5 and
 * 1e6 as 1000000.  Locale-independent. */
static char *format_number(double x)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    if (isnan(x))
        return g_strdup("nan");
    if (isinf(x))
        return g_strdup(x > 0 ? "inf" : "-inf");
    if (x == floor(x) && fabs(x) < 1e15)
        return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.0f", x));
    static const char *const formats[] = {"%.15g", "%.16g", "%.17g"};
    for (size_t i = 0; i < G_N_ELEMENTS(formats); i++) {
        g_ascii_formatd(buf, sizeof buf, formats[i], x);
        if (g_ascii_strtod(buf, NULL) == x)
            break;
    }
    return g_strdup(buf);
}

/* A string as a JSON literal, shortened if long: messages quote what the
 * user wrote, but a pasted paragraph should not flood the terminal. */
static char *quote_string(const char *s)
{
    const glong max_chars = 40;
    gboolean cut = g_utf8_strlen(s, -1) > max_chars;
    g_autofree char *head = cut ? g_utf8_substring(s, 0, max_chars) : g_strdup(s);
    cJSON *tmp = cJSON_CreateString(head);
    char *printed = tmp ? cJSON_PrintUnformatted(tmp) : NULL;
    cJSON_Delete(tmp);
    if (!printed)
        g_error("out of memory");
    char *out = g_strdup_printf("%s%s", printed, cut ? "..." : "");
    cJSON_free(printed);
    return out;
}

/* A value for "got ..." in messages.  With `kind`, scalars are introduced by
 * their type ("a string (\"12\")"), which is what a type mismatch needs;
 * without, just the value ("0"), which is what a range error needs. */
static char *summarize(const cJSON *v, gboolean kind)
{
    if (cJSON_IsString(v)) {
        g_autofree char *q = quote_string(v->valuestring);
        return kind ? g_strdup_printf("a string (%s)", q) : g_strdup(q);
    }
    if (cJSON_IsNumber(v)) {
        g_autofree char *num = format_number(v->valuedouble);
        return kind ? g_strdup_printf("a number (%s)", num) : g_strdup(num);
    }
    if (cJSON_IsBool(v)) {
        const char *b = cJSON_IsTrue(v) ? "true" : "false";
        return kind ? g_strdup_printf("a boolean (%s)", b) : g_strdup(b);
    }
    if (cJSON_IsNull(v))
        return g_strdup("null");
    if (cJSON_IsObject(v))
        return g_strdup("an object");
    if (cJSON_IsArray(v))
        return g_strdup("an array");
    return g_strdup("an unknown value");
}

/* A JSON literal for a schema constant (enum member or const). */
static char *literal(const cJSON *v)
{
    if (cJSON_IsString(v))
        return quote_string(v->valuestring);
    if (cJSON_IsNumber(v))
        return format_number(v->valuedouble);
    char *printed = cJSON_PrintUnformatted(v);
    if (!printed)
        g_error("out of memory");
    char *out = g_strdup(printed);
    cJSON_free(printed);
    return out;
}

/* The lower or upper bound of a number schema: the tighter of the
 * inclusive and exclusive keyword when both are given. */
static gboolean bound(const cJSON *s, gboolean lower, double *value, gboolean *exclusive)
{
    const cJSON *inc = kw(s, lower ? "minimum" : "maximum");
    const cJSON *exc = kw(s, lower ? "exclusiveMinimum" : "exclusiveMaximum");
    if (!inc && !exc)
        return FALSE;
    if (inc && exc) {
        double i = inc->valuedouble, e = exc->valuedouble;
        gboolean exc_tighter = lower ? e >= i : e <= i;
        *value = exc_tighter ? e : i;
        *exclusive = exc_tighter;
    } else {
        *value = (inc ? inc : exc)->valuedouble;
        *exclusive = exc != NULL;
    }
    return TRUE;
}

/* What a (resolved) schema expects, for "expected ..." in messages, e.g.
 * "an integer in [1, 64]" or "a number > 0". */
static char *describe_expected(const cJSON *s)
{
    const cJSON *type = kw(s, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : NULL;
    double lo = 0, hi = 0;
    gboolean lo_ex = FALSE, hi_ex = FALSE;
    gboolean has_lo = bound(s, TRUE, &lo, &lo_ex);
    gboolean has_hi = bound(s, FALSE, &hi, &hi_ex);
    const char *base;
    if (kw(s, "oneOf") || (t && strcmp(t, "object") == 0))
        base = "an object";
    else if (t && strcmp(t, "array") == 0)
        base = "an array";
    else if (t && strcmp(t, "string") == 0)
        base = "a string";
    else if (t && strcmp(t, "boolean") == 0)
        base = "a boolean";
    else if (t && strcmp(t, "integer") == 0)
        base = "an integer";
    else if ((t && strcmp(t, "number") == 0) || has_lo || has_hi)
        base = "a number";
    else
        base = "a value";
    g_autofree char *l = has_lo ? format_number(lo) : NULL;
    g_autofree char *h = has_hi ? format_number(hi) : NULL;
    if (has_lo && has_hi)
        return g_strdup_printf("%s in %c%s, %s%c", base, lo_ex ? '(' : '[', l, h,
                               hi_ex ? ')' : ']');
    if (has_lo)
        return g_strdup_printf("%s %s %s", base, lo_ex ? ">" : ">=", l);
    if (has_hi)
        return g_strdup_printf("%s %s %s", base, hi_ex ? "<" : "<=", h);
    return g_strdup(base);
}

/* "'a', 'b', 'c'" or "\"a\", \"b\"" from a list of strings, at most
 * MAX_LISTED of them. */
static char *join_quoted(const char *const *items, size_t n, char quote)
{
    GString *out = g_string_new(NULL);
    for (size_t i = 0; i < n && i < MAX_LISTED; i++)
        g_string_append_printf(out, "%s%c%s%c", i ? ", " : "", quote, items[i], quote);
    if (n > MAX_LISTED)
        g_string_append(out, ", ...");
    return g_string_free(out, FALSE);
}

/* Optimal-string-alignment distance (Levenshtein plus adjacent
 * transpositions), ignoring ASCII case. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t m = strlen(a), n = strlen(b);
    g_autofree size_t *rows = g_new(size_t, 3 * (n + 1));
    size_t *prev2 = rows, *prev = rows + n + 1, *cur = rows + 2 * (n + 1);
    for (size_t j = 0; j <= n; j++)
        prev[j] = j;
    for (size_t i = 1; i <= m; i++) {
        cur[0] = i;
        char ca = g_ascii_tolower(a[i - 1]);
        for (size_t j = 1; j <= n; j++) {
            char cb = g_ascii_tolower(b[j - 1]);
            size_t best = prev[j - 1] + (ca != cb);
            best = MIN(best, prev[j] + 1);
            best = MIN(best, cur[j - 1] + 1);
            if (i > 1 && j > 1 && ca == g_ascii_tolower(b[j - 2]) &&
                g_ascii_tolower(a[i - 2]) == cb)
                best = MIN(best, prev2[j - 2] + 1);
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[n];
}

const char *sim_schema_suggest(const char *word, const char *const *candidates, size_t n)
{
    size_t len = strlen(word);
    size_t limit = MAX(1, len / 3);
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t clen = strlen(candidates[i]);
        /* The distance is at least the difference in length. */
        if ((clen > len ? clen - len : len - clen) >= best_d)
            continue;
        size_t d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

/* The names of an object schema's properties (borrowed). */
static GPtrArray *property_names(const cJSON *props)
{
    GPtrArray *names = g_ptr_array_new();
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        g_ptr_array_add(names, p->string);
    }
    return names;
}

/* ---- Tagged unions ---------------------------------------------------- */

/* The string "const" of property `tag` in a oneOf branch, or NULL. */
static const char *branch_tag(const SimSchema *schema, const cJSON *branch, const char *tag)
{
    const cJSON *b = resolve(schema, branch);
    const cJSON *prop = resolve(schema, kw(kw(b, "properties"), tag));
    const cJSON *c = kw(prop, "const");
    return cJSON_IsString(c) ? c->valuestring : NULL;
}

/* The branch whose tag equals the string `value`, or NULL. */
static const cJSON *find_branch(const SimSchema *schema, const cJSON *one_of, const char *tag,
                                const cJSON *value)
{
    if (!cJSON_IsString(value))
        return NULL;
    const cJSON *branch;
    cJSON_ArrayForEach(branch, one_of)
    {
        const char *c = branch_tag(schema, branch, tag);
        if (c && strcmp(c, value->valuestring) == 0)
            return branch;
    }
    return NULL;
}

/* All tags of a union (borrowed). */
static GPtrArray *branch_tags(const SimSchema *schema, const cJSON *one_of, const char *tag)
{
    GPtrArray *tags = g_ptr_array_new();
    const cJSON *branch;
    cJSON_ArrayForEach(branch, one_of)
    {
        g_ptr_array_add(tags, (gpointer)branch_tag(schema, branch, tag));
    }
    return tags;
}

/* ---- Validation ------------------------------------------------------- */

typedef struct {
    const SimSchema *schema;
    SimJsonDoc *doc;   /* NULL while checking a default inside the schema */
    const char *label; /* names that default when doc is NULL */
    GError **err;
    int depth;
} Validator;

static gboolean validate_node(Validator *v, const cJSON *s, cJSON *value, const char *path);

/* Fails with the position of `pos_path` and the name `shown_path` (they
 * differ for an unknown key, which is reported on its object but located
 * at the key). */
G_GNUC_PRINTF(4, 5)
static gboolean vfail_at(Validator *v, const char *pos_path, const char *shown_path,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *where = NULL;
    int line, col;
    if (!v->doc)
        where = *shown_path ? g_strdup_printf("%s: %s", v->label, shown_path) : g_strdup(v->label);
    else if (sim_json_doc_position(v->doc, pos_path, &line, &col))
        where = g_strdup_printf("%s:%d:%d: %s", sim_json_doc_name(v->doc), line, col,
                                *shown_path ? shown_path : "(root)");
    else
        where = g_strdup_printf("%s: %s", sim_json_doc_name(v->doc),
                                *shown_path ? shown_path : "(root)");
    g_set_error(v->err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: %s", where, msg);
    return FALSE;
}

/* "expected <what the schema wants>, got <value>". */
static gboolean fail_expected(Validator *v, const cJSON *s, const cJSON *value, const char *path,
                              gboolean kind)
{
    g_autofree char *want = describe_expected(s);
    g_autofree char *got = summarize(value, kind);
    return vfail_at(v, path, path, "expected %s, got %s", want, got);
}

static gboolean check_type(Validator *v, const cJSON *s, const cJSON *value, const char *path)
{
    if (cJSON_IsNumber(value) && !isfinite(value->valuedouble)) {
        g_autofree char *got = summarize(value, FALSE);
        return vfail_at(v, path, path, "expected a finite number, got %s", got);
    }
    const cJSON *type = kw(s, "type");
    if (!type)
        return TRUE;
    const char *t = type->valuestring;
    gboolean ok;
    if (strcmp(t, "object") == 0)
        ok = cJSON_IsObject(value);
    else if (strcmp(t, "array") == 0)
        ok = cJSON_IsArray(value);
    else if (strcmp(t, "string") == 0)
        ok = cJSON_IsString(value);
    else if (strcmp(t, "boolean") == 0)
        ok = cJSON_IsBool(value);
    else
        ok = cJSON_IsNumber(value); /* number, integer */
    return ok ? TRUE : fail_expected(v, s, value, path, TRUE);
}

static gboolean check_choice(Validator *v, const cJSON *s, const cJSON *value, const char *path)
{
    const cJSON *c = kw(s, "const");
    if (c && !cJSON_Compare(c, value, TRUE)) {
        g_autofree char *want = literal(c);
        g_autofree char *got = summarize(value, FALSE);
        return vfail_at(v, path, path, "expected %s, got %s", want, got);
    }
    const cJSON *choices = kw(s, "enum");
    if (!choices)
        return TRUE;
    const cJSON *e;
    cJSON_ArrayForEach(e, choices)
    {
        if (cJSON_Compare(e, value, TRUE))
            return TRUE;
    }
    g_autoptr(GString) list = g_string_new(NULL);
    g_autoptr(GPtrArray) strings = g_ptr_array_new();
    int i = 0;
    cJSON_ArrayForEach(e, choices)
    {
        if (i++ < MAX_LISTED) {
            g_autofree char *lit = literal(e);
            g_string_append_printf(list, "%s%s", list->len ? ", " : "", lit);
        }
        if (cJSON_IsString(e))
            g_ptr_array_add(strings, e->valuestring);
    }
    if (i > MAX_LISTED)
        g_string_append(list, ", ...");
    const char *guess = NULL;
    if (cJSON_IsString(value))
        guess = sim_schema_suggest(value->valuestring, (const char *const *)strings->pdata,
                                   strings->len);
    g_autofree char *got = summarize(value, FALSE);
    g_autofree char *hint = guess ? quote_string(guess) : NULL;
    return vfail_at(v, path, path, "expected one of %s, got %s%s%s%s", list->str, got,
                    hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
}

static gboolean check_number(Validator *v, const cJSON *s, const cJSON *value, const char *path)
{
    if (!cJSON_IsNumber(value))
        return TRUE;
    double x = value->valuedouble;
    const cJSON *type = kw(s, "type");
    gboolean ok = TRUE;
    if (type && strcmp(type->valuestring, "integer") == 0)
        ok = x == floor(x) && fabs(x) <= MAX_EXACT_INT;
    double b;
    gboolean ex;
    if (bound(s, TRUE, &b, &ex))
        ok = ok && (ex ? x > b : x >= b);
    if (bound(s, FALSE, &b, &ex))
        ok = ok && (ex ? x < b : x <= b);
    return ok ? TRUE : fail_expected(v, s, value, path, FALSE);
}

static gboolean check_string(Validator *v, const cJSON *s, const cJSON *value, const char *path)
{
    if (!cJSON_IsString(value))
        return TRUE;
    glong len = g_utf8_strlen(value->valuestring, -1);
    const cJSON *min = kw(s, "minLength"), *max = kw(s, "maxLength");
    if ((min && len < min->valuedouble) || (max && len > max->valuedouble)) {
        const cJSON *lim = (min && len < min->valuedouble) ? min : max;
        g_autofree char *got = summarize(value, FALSE);
        return vfail_at(v, path, path, "expected a string of at %s %d character%s, got %s",
                        lim == min ? "least" : "most", lim->valueint, plural(lim->valuedouble),
                        got);
    }
    return TRUE;
}

static gboolean check_array(Validator *v, const cJSON *s, cJSON *value, const char *path)
{
    if (!cJSON_IsArray(value))
        return TRUE;
    int n = cJSON_GetArraySize(value);
    const cJSON *min = kw(s, "minItems"), *max = kw(s, "maxItems");
    if ((min && n < min->valuedouble) || (max && n > max->valuedouble)) {
        const cJSON *lim = (min && n < min->valuedouble) ? min : max;
        return vfail_at(v, path, path, "expected at %s %d item%s, got %d",
                        lim == min ? "least" : "most", lim->valueint, plural(lim->valuedouble), n);
    }
    const cJSON *items = kw(s, "items");
    if (!items)
        return TRUE;
    int i = 0;
    cJSON *item;
    cJSON_ArrayForEach(item, value)
    {
        g_autofree char *ipath = index_path(path, i++);
        if (!validate_node(v, items, item, ipath))
            return FALSE;
    }
    return TRUE;
}

static gboolean fail_unknown_key(Validator *v, const cJSON *props, const char *key,
                                 const char *path)
{
    g_autofree char *kpath = key_path(path, key);
    g_autoptr(GPtrArray) names = property_names(props);
    if (names->len == 0)
        return vfail_at(v, kpath, path, "unknown key '%s' (this object takes no keys)", key);
    const char *guess = sim_schema_suggest(key, (const char *const *)names->pdata, names->len);
    if (guess)
        return vfail_at(v, kpath, path, "unknown key '%s' (did you mean '%s'?)", key, guess);
    g_autofree char *list = join_quoted((const char *const *)names->pdata, names->len, '\'');
    return vfail_at(v, kpath, path, "unknown key '%s' (allowed keys: %s)", key, list);
}

static gboolean check_object(Validator *v, const cJSON *s, cJSON *value, const char *path)
{
    if (!cJSON_IsObject(value))
        return TRUE;
    const cJSON *props = kw(s, "properties");
    const cJSON *extra = kw(s, "additionalProperties");
    cJSON *m;
    if (cJSON_IsFalse(extra)) {
        cJSON_ArrayForEach(m, value)
        {
            if (!kw(props, m->string))
                return fail_unknown_key(v, props, m->string, path);
        }
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, kw(s, "required"))
    {
        if (!cJSON_GetObjectItemCaseSensitive(value, r->valuestring))
            return vfail_at(v, path, path, "missing required key '%s'", r->valuestring);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        g_autofree char *ppath = key_path(path, p->string);
        cJSON *child = cJSON_GetObjectItemCaseSensitive(value, p->string);
        if (!child) {
            const cJSON *def = find_default(v->schema, p);
            if (!def)
                continue;
            /* The inserted default is validated like any value, which also
             * fills the defaults nested inside it. */
            child = cJSON_Duplicate(def, TRUE);
            if (!child)
                g_error("out of memory");
            cJSON_AddItemToObject(value, p->string, child);
        }
        if (!validate_node(v, p, child, ppath))
            return FALSE;
    }
    if (cJSON_IsObject(extra)) {
        cJSON_ArrayForEach(m, value)
        {
            if (kw(props, m->string))
                continue;
            g_autofree char *mpath = key_path(path, m->string);
            if (!validate_node(v, extra, m, mpath))
                return FALSE;
        }
    }
    return TRUE;
}

static gboolean validate_tagged(Validator *v, const cJSON *s, const cJSON *one_of, cJSON *value,
                                const char *path)
{
    if (!cJSON_IsObject(value))
        return fail_expected(v, s, value, path, TRUE);
    const char *tag = g_hash_table_lookup(v->schema->tags, one_of);
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(value, tag);
    const cJSON *branch = find_branch(v->schema, one_of, tag, tv);
    if (branch)
        return validate_node(v, branch, value, path);
    g_autoptr(GPtrArray) tags = branch_tags(v->schema, one_of, tag);
    g_autofree char *list = join_quoted((const char *const *)tags->pdata, tags->len, '"');
    if (!tv)
        return vfail_at(v, path, path, "missing required key '%s' (one of %s)", tag, list);
    g_autofree char *tpath = key_path(path, tag);
    g_autofree char *got = summarize(tv, FALSE);
    const char *guess =
        cJSON_IsString(tv)
            ? sim_schema_suggest(tv->valuestring, (const char *const *)tags->pdata, tags->len)
            : NULL;
    g_autofree char *hint = guess ? quote_string(guess) : NULL;
    return vfail_at(v, tpath, tpath, "expected one of %s, got %s%s%s%s", list, got,
                    hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
}

static gboolean validate_node(Validator *v, const cJSON *s, cJSON *value, const char *path)
{
    if (v->depth >= MAX_DEPTH)
        return vfail_at(v, path, path, "nested too deeply (does a default contain itself?)");
    v->depth++;
    s = resolve(v->schema, s);
    const cJSON *one_of = kw(s, "oneOf");
    gboolean ok;
    if (one_of)
        ok = validate_tagged(v, s, one_of, value, path);
    else
        ok = check_type(v, s, value, path) && check_choice(v, s, value, path) &&
             check_number(v, s, value, path) && check_string(v, s, value, path) &&
             check_array(v, s, value, path) && check_object(v, s, value, path);
    v->depth--;
    return ok;
}

gboolean sim_schema_validate(const SimSchema *schema, SimJsonDoc *doc, GError **err)
{
    Validator v = {.schema = schema, .doc = doc, .err = err};
    return validate_node(&v, schema->root, sim_json_doc_root(doc), "");
}

/* ---- Loading and checking the schema ---------------------------------- */

typedef enum {
    KW_ANNOTATION, /* no effect on validation (default is handled apart) */
    KW_ANY,        /* type, enum, const */
    KW_OBJECT,
    KW_ARRAY,
    KW_STRING,
    KW_NUMBER,
    KW_REF,
    KW_ONEOF,
    KW_DEFS,
} KeywordClass;

static const struct {
    const char *name;
    KeywordClass cls;
} keywords[] = {
    {"$schema", KW_ANNOTATION},
    {"$id", KW_ANNOTATION},
    {"$comment", KW_ANNOTATION},
    {"title", KW_ANNOTATION},
    {"description", KW_ANNOTATION},
    {"examples", KW_ANNOTATION},
    {"x-unit", KW_ANNOTATION},
    {"x-source", KW_ANNOTATION},
    {"default", KW_ANNOTATION},
    {"type", KW_ANY},
    {"enum", KW_ANY},
    {"const", KW_ANY},
    {"properties", KW_OBJECT},
    {"required", KW_OBJECT},
    {"additionalProperties", KW_OBJECT},
    {"items", KW_ARRAY},
    {"minItems", KW_ARRAY},
    {"maxItems", KW_ARRAY},
    {"minLength", KW_STRING},
    {"maxLength", KW_STRING},
    {"minimum", KW_NUMBER},
    {"maximum", KW_NUMBER},
    {"exclusiveMinimum", KW_NUMBER},
    {"exclusiveMaximum", KW_NUMBER},
    {"$ref", KW_REF},
    {"oneOf", KW_ONEOF},
    {"$defs", KW_DEFS},
};

static const char *const type_names[] = {"object", "array",   "string",
                                         "number", "integer", "boolean"};

static int keyword_class(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(keywords); i++) {
        if (strcmp(keywords[i].name, name) == 0)
            return (int)keywords[i].cls;
    }
    return -1;
}

/* Whether a keyword of class `cls` constrains values of type `t`. */
static gboolean keyword_applies(KeywordClass cls, const char *t)
{
    switch (cls) {
    case KW_OBJECT:
        return strcmp(t, "object") == 0;
    case KW_ARRAY:
        return strcmp(t, "array") == 0;
    case KW_STRING:
        return strcmp(t, "string") == 0;
    case KW_NUMBER:
        return strcmp(t, "number") == 0 || strcmp(t, "integer") == 0;
    default:
        return TRUE;
    }
}

typedef struct {
    const cJSON *node;
    char *path;
} Pending;

static void pending_clear(gpointer p)
{
    g_free(((Pending *)p)->path);
}

typedef struct {
    SimSchema *schema;
    GError **err;
    GArray *unions;   /* Pending: oneOf arrays, to find their tags */
    GArray *defaults; /* Pending: schemas with a default, to check it */
} Loader;

G_GNUC_PRINTF(3, 4)
static gboolean lfail(Loader *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *where = sim_json_doc_where(ld->schema->doc, path);
    g_set_error(ld->err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: %s", where, msg);
    return FALSE;
}

static gboolean check_schema(Loader *ld, const cJSON *node, const char *path, gboolean is_root);

static gboolean check_ref(Loader *ld, const cJSON *ref, const char *path)
{
    const cJSON *cur = ref;
    for (int hops = 0;; hops++) {
        if (!cJSON_IsString(cur) || !g_str_has_prefix(cur->valuestring, REF_PREFIX))
            return lfail(ld, path,
                         "only references of the form \"" REF_PREFIX "NAME\" are "
                         "supported");
        const cJSON *target = kw(ld->schema->defs, cur->valuestring + strlen(REF_PREFIX));
        if (!target)
            return lfail(ld, path, "unresolved reference \"%s\"", cur->valuestring);
        if (hops >= MAX_REF_HOPS)
            return lfail(ld, path, "circular reference \"%s\"", ref->valuestring);
        cur = kw(target, "$ref");
        if (!cur)
            return TRUE;
    }
}

static gboolean check_count(Loader *ld, const cJSON *v, const char *path)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > G_MAXINT)
        return lfail(ld, path, "expected a non-negative integer");
    return TRUE;
}

static gboolean check_properties(Loader *ld, const cJSON *node, const char *path)
{
    const cJSON *props = kw(node, "properties");
    g_autofree char *ppath = key_path(path, "properties");
    if (props && !cJSON_IsObject(props))
        return lfail(ld, ppath, "'properties' must be an object");
    const cJSON *p;
    cJSON_ArrayForEach(p, props)
    {
        g_autofree char *sub = key_path(ppath, p->string);
        if (!check_schema(ld, p, sub, FALSE))
            return FALSE;
    }
    const cJSON *extra = kw(node, "additionalProperties");
    g_autofree char *epath = key_path(path, "additionalProperties");
    if (extra && !cJSON_IsBool(extra) && !check_schema(ld, extra, epath, FALSE))
        return FALSE;
    const cJSON *req = kw(node, "required");
    g_autofree char *rpath = key_path(path, "required");
    if (req && !cJSON_IsArray(req))
        return lfail(ld, rpath, "'required' must be an array of key names");
    int i = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, req)
    {
        g_autofree char *sub = index_path(rpath, i++);
        if (!cJSON_IsString(r))
            return lfail(ld, sub, "'required' must be an array of key names");
        for (const cJSON *q = req->child; q != r; q = q->next) {
            if (strcmp(q->valuestring, r->valuestring) == 0)
                return lfail(ld, sub, "key '%s' is listed twice", r->valuestring);
        }
        if (cJSON_IsFalse(extra) && !kw(props, r->valuestring))
            return lfail(ld, sub,
                         "required key '%s' is not among the properties, and no other keys "
                         "are allowed",
                         r->valuestring);
    }
    return TRUE;
}

static gboolean check_limits(Loader *ld, const cJSON *node, const char *path)
{
    static const char *const numbers[] = {"minimum", "maximum", "exclusiveMinimum",
                                          "exclusiveMaximum"};
    static const char *const counts[] = {"minItems", "maxItems", "minLength", "maxLength"};
    for (size_t i = 0; i < G_N_ELEMENTS(numbers); i++) {
        const cJSON *v = kw(node, numbers[i]);
        g_autofree char *sub = key_path(path, numbers[i]);
        if (v && (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)))
            return lfail(ld, sub, "expected a finite number");
    }
    for (size_t i = 0; i < G_N_ELEMENTS(counts); i++) {
        const cJSON *v = kw(node, counts[i]);
        g_autofree char *sub = key_path(path, counts[i]);
        if (v && !check_count(ld, v, sub))
            return FALSE;
    }
    double lo, hi;
    gboolean lo_ex, hi_ex;
    if (bound(node, TRUE, &lo, &lo_ex) && bound(node, FALSE, &hi, &hi_ex) &&
        (lo > hi || (lo == hi && (lo_ex || hi_ex))))
        return lfail(ld, path, "the range is empty: no number satisfies both bounds");
    static const char *const pairs[][2] = {{"minItems", "maxItems"}, {"minLength", "maxLength"}};
    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        const cJSON *min = kw(node, pairs[i][0]), *max = kw(node, pairs[i][1]);
        if (min && max && min->valuedouble > max->valuedouble)
            return lfail(ld, path, "'%s' is larger than '%s'", pairs[i][0], pairs[i][1]);
    }
    const cJSON *choices = kw(node, "enum");
    if (choices && (!cJSON_IsArray(choices) || cJSON_GetArraySize(choices) == 0)) {
        g_autofree char *sub = key_path(path, "enum");
        return lfail(ld, sub, "'enum' must be a non-empty array");
    }
    return TRUE;
}

/* Checks the keywords present on one schema node against the supported
 * subset and against each other. */
static gboolean check_keywords(Loader *ld, const cJSON *node, const char *path, gboolean is_root,
                               const char **type_out)
{
    const cJSON *type = kw(node, "type");
    const char *t = NULL;
    if (type) {
        for (size_t i = 0; cJSON_IsString(type) && i < G_N_ELEMENTS(type_names); i++) {
            if (strcmp(type->valuestring, type_names[i]) == 0)
                t = type_names[i];
        }
        if (!t) {
            g_autofree char *sub = key_path(path, "type");
            return lfail(ld, sub,
                         "unsupported type (supported: a single one of \"object\", \"array\", "
                         "\"string\", \"number\", \"integer\", \"boolean\")");
        }
    }
    gboolean has_ref = kw(node, "$ref") != NULL, has_one_of = kw(node, "oneOf") != NULL;
    const cJSON *m;
    cJSON_ArrayForEach(m, node)
    {
        g_autofree char *sub = key_path(path, m->string);
        int cls = keyword_class(m->string);
        if (cls < 0)
            return lfail(ld, sub,
                         "unsupported schema keyword '%s' (the validator does not implement "
                         "it, so it would be silently ignored)",
                         m->string);
        if (cls == KW_DEFS && !is_root)
            return lfail(ld, sub, "'$defs' is only supported at the top level of the schema");
        if (has_ref && cls != KW_ANNOTATION && cls != KW_REF && cls != KW_DEFS)
            return lfail(ld, sub,
                         "'%s' next to '$ref' is not supported (only annotations and "
                         "'default' may accompany '$ref')",
                         m->string);
        if (has_one_of && cls != KW_ANNOTATION && cls != KW_ONEOF && cls != KW_DEFS &&
            strcmp(m->string, "type") != 0)
            return lfail(ld, sub, "'%s' next to 'oneOf' is not supported; put it into each branch",
                         m->string);
        if (t && !keyword_applies((KeywordClass)cls, t))
            return lfail(ld, sub, "'%s' does not apply to type \"%s\"", m->string, t);
    }
    if (has_one_of && t && strcmp(t, "object") != 0) {
        g_autofree char *sub = key_path(path, "type");
        return lfail(ld, sub, "a oneOf (tagged union) must be of type \"object\"");
    }
    *type_out = t;
    return TRUE;
}

static gboolean check_schema(Loader *ld, const cJSON *node, const char *path, gboolean is_root)
{
    if (!cJSON_IsObject(node))
        return lfail(ld, path, "a schema must be an object");
    const char *t = NULL;
    if (!check_keywords(ld, node, path, is_root, &t))
        return FALSE;
    const cJSON *ref = kw(node, "$ref");
    g_autofree char *rpath = key_path(path, "$ref");
    if (ref && !check_ref(ld, ref, rpath))
        return FALSE;
    if (!check_properties(ld, node, path) || !check_limits(ld, node, path))
        return FALSE;
    const cJSON *items = kw(node, "items");
    g_autofree char *ipath = key_path(path, "items");
    if (items && !check_schema(ld, items, ipath, FALSE))
        return FALSE;
    const cJSON *one_of = kw(node, "oneOf");
    if (one_of) {
        g_autofree char *opath = key_path(path, "oneOf");
        if (!cJSON_IsArray(one_of) || cJSON_GetArraySize(one_of) == 0)
            return lfail(ld, opath, "'oneOf' must be a non-empty array of schemas");
        int i = 0;
        const cJSON *branch;
        cJSON_ArrayForEach(branch, one_of)
        {
            g_autofree char *bpath = index_path(opath, i++);
            if (!check_schema(ld, branch, bpath, FALSE))
                return FALSE;
        }
        Pending pend = {one_of, g_strdup(opath)};
        g_array_append_val(ld->unions, pend);
    }
    if (kw(node, "default")) {
        Pending pend = {node, g_strdup(path)};
        g_array_append_val(ld->defaults, pend);
    }
    return TRUE;
}

/* Finds the discriminator of a oneOf: the first property of the first
 * branch that has a string "const" in every branch. */
static gboolean find_union_tag(Loader *ld, const Pending *u)
{
    const SimSchema *schema = ld->schema;
    const cJSON *branch;
    int i = 0;
    cJSON_ArrayForEach(branch, u->node)
    {
        g_autofree char *bpath = index_path(u->path, i++);
        const cJSON *b = resolve(schema, branch);
        const cJSON *type = kw(b, "type");
        if ((type && strcmp(type->valuestring, "object") != 0) ||
            !cJSON_IsObject(kw(b, "properties")))
            return lfail(ld, bpath, "every oneOf branch must be an object schema with properties");
    }
    const char *tag = NULL;
    const cJSON *p;
    cJSON_ArrayForEach(p, kw(resolve(schema, u->node->child), "properties"))
    {
        gboolean everywhere = TRUE;
        cJSON_ArrayForEach(branch, u->node)
        {
            everywhere = everywhere && branch_tag(schema, branch, p->string) != NULL;
        }
        if (everywhere) {
            tag = p->string;
            break;
        }
    }
    if (!tag)
        return lfail(ld, u->path,
                     "oneOf is supported only as a tagged union: every branch needs a property "
                     "of the same name with a string \"const\"");
    i = 0;
    cJSON_ArrayForEach(branch, u->node)
    {
        const char *c = branch_tag(schema, branch, tag);
        for (const cJSON *q = u->node->child; q != branch; q = q->next) {
            if (strcmp(branch_tag(schema, q, tag), c) == 0) {
                g_autofree char *bpath = index_path(u->path, i);
                return lfail(ld, bpath, "two branches have the same '%s' \"%s\"", tag, c);
            }
        }
        i++;
    }
    g_hash_table_insert(schema->tags, (gpointer)u->node, (gpointer)tag);
    return TRUE;
}

/* A default must itself be valid, or every scenario that omits the key
 * would fail with a message about a value the user never wrote. */
static gboolean check_default(Loader *ld, const Pending *d)
{
    g_autofree char *dpath = key_path(d->path, "default");
    g_autofree char *where = sim_json_doc_where(ld->schema->doc, dpath);
    g_autofree char *label = g_strdup_printf("%s: invalid default", where);
    cJSON *copy = cJSON_Duplicate(kw(d->node, "default"), TRUE);
    if (!copy)
        g_error("out of memory");
    Validator v = {.schema = ld->schema, .label = label, .err = ld->err};
    gboolean ok = validate_node(&v, d->node, copy, "");
    cJSON_Delete(copy);
    return ok;
}

static gboolean load_schema(Loader *ld)
{
    SimSchema *schema = ld->schema;
    const cJSON *defs = kw(schema->root, "$defs");
    if (defs && !cJSON_IsObject(defs))
        return lfail(ld, "$defs", "'$defs' must be an object");
    schema->defs = defs;
    if (!check_schema(ld, schema->root, "", TRUE))
        return FALSE;
    const cJSON *d;
    cJSON_ArrayForEach(d, defs)
    {
        g_autofree char *dpath = key_path("$defs", d->string);
        if (!check_schema(ld, d, dpath, FALSE))
            return FALSE;
    }
    for (guint i = 0; i < ld->unions->len; i++) {
        if (!find_union_tag(ld, &g_array_index(ld->unions, Pending, i)))
            return FALSE;
    }
    for (guint i = 0; i < ld->defaults->len; i++) {
        if (!check_default(ld, &g_array_index(ld->defaults, Pending, i)))
            return FALSE;
    }
    return TRUE;
}

static SimSchema *schema_new(const char *text, size_t len, const char *name, GError **err)
{
    SimJsonDoc *doc = sim_json_load_text(text, len, name, err);
    if (!doc)
        return NULL;
    SimSchema *schema = g_new0(SimSchema, 1);
    schema->doc = doc;
    schema->root = sim_json_doc_root(doc);
    schema->tags = g_hash_table_new(g_direct_hash, g_direct_equal);
    Loader ld = {
        .schema = schema,
        .err = err,
        .unions = g_array_new(FALSE, FALSE, sizeof(Pending)),
        .defaults = g_array_new(FALSE, FALSE, sizeof(Pending)),
    };
    g_array_set_clear_func(ld.unions, pending_clear);
    g_array_set_clear_func(ld.defaults, pending_clear);
    gboolean ok = load_schema(&ld);
    g_array_free(ld.unions, TRUE);
    g_array_free(ld.defaults, TRUE);
    if (!ok) {
        sim_schema_free(schema);
        return NULL;
    }
    return schema;
}

SimSchema *sim_schema_new_builtin(GError **err)
{
    return schema_new(dom0sim_schema_json, dom0sim_schema_json_len, "scenarios/schema.json", err);
}

SimSchema *sim_schema_new_from_text(const char *text, GError **err)
{
    return schema_new(text, strlen(text), "schema", err);
}

void sim_schema_free(SimSchema *schema)
{
    if (!schema)
        return;
    g_hash_table_destroy(schema->tags);
    sim_json_doc_free(schema->doc);
    g_free(schema);
}

/* ---- Command-line overrides ------------------------------------------- */

typedef struct {
    char *key; /* NULL for an index */
    size_t index;
} Step;

static void step_clear(gpointer p)
{
    g_free(((Step *)p)->key);
}

/* Splits "hosts[0].sockets" into steps; on a syntax error returns a
 * message naming the character position. */
static char *parse_set_path(const char *text, GArray *steps)
{
    const char *p = text;
    if (!*p)
        return g_strdup("the path is empty");
    gboolean need_key = *p != '[';
    for (;;) {
        if (need_key) {
            size_t n = strcspn(p, ".[]");
            if (n == 0)
                return g_strdup_printf("expected a key at character %d of the path",
                                       (int)(p - text) + 1);
            Step st = {g_strndup(p, n), 0};
            g_array_append_val(steps, st);
            p += n;
        }
        if (*p == '\0')
            return NULL;
        if (*p == '.') {
            p++;
            need_key = TRUE;
        } else if (*p == '[') {
            const char *open = p++;
            if (!g_ascii_isdigit(*p))
                return g_strdup_printf("expected a non-negative index after '[' at character "
                                       "%d of the path",
                                       (int)(open - text) + 1);
            char *end = NULL;
            guint64 idx = g_ascii_strtoull(p, &end, 10);
            if (*end != ']' || idx > G_MAXINT)
                return g_strdup_printf("expected a small index and ']' after '[' at character "
                                       "%d of the path",
                                       (int)(open - text) + 1);
            Step st = {NULL, (size_t)idx};
            g_array_append_val(steps, st);
            p = end + 1;
            need_key = FALSE;
        } else {
            return g_strdup_printf("unexpected '%c' at character %d of the path", *p,
                                   (int)(p - text) + 1);
        }
    }
}

static gboolean is_bare_word(const char *s)
{
    if (!*s)
        return FALSE;
    for (; *s; s++) {
        if (!g_ascii_isalnum(*s) && !strchr("_.:/+-", *s))
            return FALSE;
    }
    return TRUE;
}

/* The value of an override: JSON, or else a bare word taken as a string
 * (so --set policy.type=native needs no shell quoting of JSON quotes). */
static cJSON *parse_set_value(const char *text, char **msg)
{
    size_t len = strlen(text);
    if (len == 0) {
        *msg = g_strdup("missing value after '=' (write \"\" for an empty string)");
        return NULL;
    }
    g_autoptr(GError) json_err = NULL;
    g_autoptr(SimJsonDoc) doc = sim_json_load_text(text, len, "value", &json_err);
    cJSON *value = NULL;
    if (doc) {
        value = cJSON_Duplicate(sim_json_doc_root(doc), TRUE);
    } else if (is_bare_word(text)) {
        /* A number too large for a double looks like a bare word, but the
         * user surely meant a number. */
        char *end = NULL;
        double x = g_ascii_strtod(text, &end);
        if ((g_ascii_isdigit(*text) || strchr("+-.", *text)) && *end == '\0' && !isfinite(x)) {
            *msg = g_strdup_printf("the value %s is not a finite number", text);
            return NULL;
        }
        value = cJSON_CreateString(text);
    } else {
        *msg = g_strdup_printf("the value is neither JSON nor a bare word (%s)", json_err->message);
        return NULL;
    }
    if (!value)
        g_error("out of memory");
    return value;
}

/* Whether key `key` may be set on the object `node` (NULL when it is about
 * to be created) described by the resolved schema `s` (NULL: anything goes).
 * On success *child_schema is the key's schema (or NULL); on failure
 * returns a message. */
static char *set_key_allowed(const SimSchema *schema, const cJSON *s, const cJSON *node,
                             const char *key, const char *at, const cJSON **child_schema)
{
    *child_schema = NULL;
    if (!s)
        return NULL;
    const cJSON *one_of = kw(s, "oneOf");
    if (one_of) {
        const char *tag = g_hash_table_lookup(schema->tags, one_of);
        if (strcmp(key, tag) == 0) {
            *child_schema = kw(kw(resolve(schema, one_of->child), "properties"), tag);
            return NULL;
        }
        const cJSON *branch = find_branch(schema, one_of, tag, node ? kw(node, tag) : NULL);
        if (!branch) {
            g_autoptr(GPtrArray) tags = branch_tags(schema, one_of, tag);
            g_autofree char *list = join_quoted((const char *const *)tags->pdata, tags->len, '"');
            return g_strdup_printf("cannot tell which keys %s takes: set its '%s' first (one of "
                                   "%s)",
                                   at, tag, list);
        }
        s = resolve(schema, branch);
    }
    const cJSON *props = kw(s, "properties");
    const cJSON *p = kw(props, key);
    if (p) {
        *child_schema = p;
        return NULL;
    }
    const cJSON *extra = kw(s, "additionalProperties");
    if (cJSON_IsObject(extra))
        *child_schema = extra;
    /* A key already in the document may be replaced even if the schema
     * rejects it: validation will then name it. */
    if (!cJSON_IsFalse(extra) || (node && kw(node, key)))
        return NULL;
    g_autoptr(GPtrArray) names = property_names(props);
    const char *guess = sim_schema_suggest(key, (const char *const *)names->pdata, names->len);
    g_autofree char *place = *at ? g_strdup_printf(" at %s", at) : g_strdup("");
    if (guess)
        return g_strdup_printf("unknown key '%s'%s (did you mean '%s'?)", key, place, guess);
    if (names->len == 0)
        return g_strdup_printf("unknown key '%s'%s (no keys are allowed there)", key, place);
    g_autofree char *list = join_quoted((const char *const *)names->pdata, names->len, '\'');
    return g_strdup_printf("unknown key '%s'%s (allowed keys: %s)", key, place, list);
}

/* Walks the path through document and schema together.  Runs twice: first
 * without changing anything (so a bad path leaves the document untouched),
 * then with `commit`, which creates missing objects and stores *value. */
static char *walk_set(const SimSchema *schema, SimJsonDoc *doc, const GArray *steps,
                      gboolean commit, cJSON **value)
{
    cJSON *node = sim_json_doc_root(doc);
    const cJSON *s = schema->root;
    g_autoptr(GString) at = g_string_new(NULL);
    for (guint i = 0; i < steps->len; i++) {
        const Step *st = &g_array_index(steps, Step, i);
        gboolean last = i + 1 == steps->len;
        const char *here = at->len ? at->str : "the top level";
        const cJSON *rs = s ? resolve(schema, s) : NULL;
        const cJSON *child_schema = NULL;
        cJSON *child = NULL;
        if (st->key) {
            if (node && !cJSON_IsObject(node)) {
                g_autofree char *got = summarize(node, TRUE);
                return g_strdup_printf("%s is %s, not an object, so it has no key '%s'", here, got,
                                       st->key);
            }
            char *why = set_key_allowed(schema, rs, node, st->key, at->str, &child_schema);
            if (why)
                return why;
            child = node ? cJSON_GetObjectItemCaseSensitive(node, st->key) : NULL;
            g_autofree char *cpath = key_path(at->str, st->key);
            const cJSON *rc = child_schema ? resolve(schema, child_schema) : NULL;
            const cJSON *ctype = kw(rc, "type");
            if (last) {
                if (commit && child)
                    cJSON_ReplaceItemInObjectCaseSensitive(node, st->key, *value);
                else if (commit)
                    cJSON_AddItemToObject(node, st->key, *value);
                if (commit)
                    *value = NULL;
            } else if (!child) {
                const Step *next = st + 1;
                if (!next->key)
                    return g_strdup_printf("%s does not exist, so it has no item [%zu]", cpath,
                                           next->index);
                if (ctype && strcmp(ctype->valuestring, "object") != 0) {
                    g_autofree char *want = describe_expected(rc);
                    return g_strdup_printf("%s is %s, so it has no key '%s'", cpath, want,
                                           next->key);
                }
                if (commit) {
                    child = cJSON_CreateObject();
                    if (!child)
                        g_error("out of memory");
                    cJSON_AddItemToObject(node, st->key, child);
                }
            }
            g_string_assign(at, cpath);
        } else {
            if (!cJSON_IsArray(node)) {
                g_autofree char *got = node ? summarize(node, TRUE) : g_strdup("absent");
                return g_strdup_printf("%s is %s, not an array, so it has no item [%zu]", here, got,
                                       st->index);
            }
            int n = cJSON_GetArraySize(node);
            if (st->index >= (size_t)n)
                return g_strdup_printf("index [%zu] is out of range at %s (it has %d item%s)",
                                       st->index, here, n, plural(n));
            child = cJSON_GetArrayItem(node, (int)st->index);
            child_schema = kw(rs, "items");
            if (last && commit) {
                cJSON_ReplaceItemInArray(node, (int)st->index, *value);
                *value = NULL;
            }
            g_string_append_printf(at, "[%zu]", st->index);
        }
        node = child;
        s = child_schema;
    }
    return NULL;
}

gboolean sim_schema_apply_set(const SimSchema *schema, SimJsonDoc *doc, const char *assignment,
                              GError **err)
{
    const char *eq = strchr(assignment, '=');
    g_autofree char *path = eq ? g_strndup(assignment, (gsize)(eq - assignment)) : NULL;
    g_autoptr(GArray) steps = g_array_new(FALSE, FALSE, sizeof(Step));
    g_array_set_clear_func(steps, step_clear);
    cJSON *value = NULL;
    char *msg = NULL;
    if (!eq)
        msg = g_strdup("expected PATH=VALUE");
    if (!msg && (msg = parse_set_path(path, steps)) != NULL) {
        char *full = g_strdup_printf("invalid path: %s", msg);
        g_free(msg);
        msg = full;
    }
    if (!msg)
        value = parse_set_value(eq + 1, &msg);
    if (!msg)
        msg = walk_set(schema, doc, steps, FALSE, &value);
    if (!msg)
        msg = walk_set(schema, doc, steps, TRUE, &value);
    cJSON_Delete(value);
    if (msg) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "--set %s: %s", assignment, msg);
        g_free(msg);
        return FALSE;
    }
    return TRUE;
}
