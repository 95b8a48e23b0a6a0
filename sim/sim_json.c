/* JSON documents with positions (see sim_json.h).
 *
 * cJSON builds the tree, but its error pointer is approximate and it accepts
 * a few things we do not want in a scenario (duplicate keys that silently
 * shadow each other, numbers that overflow to infinity, leading zeros).  So a
 * small strict scanner walks the text as well.  It runs on every load: when
 * the text is malformed it produces the message and the exact position, and
 * when the text is fine it records where every value starts, keyed by the
 * value's path, which is what later error messages need. */
#include "sim/sim_json.h"

#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <string.h>

#include "sim/sim_error.h"

/* cJSON gives up at 1000 levels; nothing sensible nests this deep, and a
 * lower limit keeps the recursive scanner's stack use small. */
#define MAX_DEPTH 512

/* cJSON copies a number literal into a 64-byte buffer and stops after 63
 * characters, which would split a longer literal in two.  Refuse those with a
 * clear message instead of a confusing one. */
#define MAX_NUMBER_CHARS 63

typedef struct {
    int line;
    int col;
    /* The parsed node that stood at this path (kept as an integer: it is
     * only compared, never followed, and it may have been freed since).
     * When --set replaces a value, the new node differs, and the position
     * of the old text no longer describes it. */
    uintptr_t node;
} Position;

struct SimJsonDoc {
    char *name;
    cJSON *root;
    /* path -> GUINT_TO_POINTER(1 + index into positions) */
    GHashTable *index;
    GArray *positions;
};

typedef struct {
    const char *s;
    size_t n;
    size_t p;
    int depth;
    GString *path;
    GHashTable *index;
    GArray *positions;
    /* The line of `p` and a cursor on it (column `col` at offset
     * `col_off`): values are indexed in increasing order of offset, so the
     * column of the next one is counted from the previous one, which keeps
     * indexing linear even for a document on one long line. */
    int line;
    size_t col_off;
    int col;
    /* The first error: its offset and message. */
    size_t err_off;
    char *err_msg;
} Scanner;

static gboolean scan_value(Scanner *sc);

G_GNUC_PRINTF(3, 4)
static gboolean fail(Scanner *sc, size_t off, const char *fmt, ...)
{
    if (!sc->err_msg) {
        va_list ap;
        va_start(ap, fmt);
        sc->err_off = off;
        sc->err_msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return FALSE;
}

/* Line and column (1-based, column in characters) of byte `off`, counted
 * from `start`.  Used for error messages, which may point back before the
 * scanner's cursor (e.g. at the quote that opened an unterminated string). */
static void offset_linecol(const char *s, size_t start, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = start; i < off; i++) {
        if (s[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static void skip_ws(Scanner *sc)
{
    while (sc->p < sc->n) {
        char c = sc->s[sc->p];
        if (c == ' ' || c == '\t' || c == '\r') {
            sc->p++;
        } else if (c == '\n') {
            sc->p++;
            sc->line++;
            sc->col_off = sc->p;
            sc->col = 1;
        } else {
            break;
        }
    }
}

/* Records that the value at sc->path starts at byte `off` (on the current
 * line, at or after the column cursor). */
static void index_value(Scanner *sc, size_t off)
{
    for (size_t i = sc->col_off; i < off; i++) {
        if (((unsigned char)sc->s[i] & 0xC0) != 0x80)
            sc->col++;
    }
    sc->col_off = off;
    Position pos = {sc->line, sc->col, 0};
    g_array_append_val(sc->positions, pos);
    g_hash_table_insert(sc->index, g_strdup(sc->path->str), GUINT_TO_POINTER(sc->positions->len));
}

static gboolean is_word_char(char c)
{
    return g_ascii_isalnum(c) || c == '_';
}

/* A printable description of the character at `off` for messages: 'x' for
 * printable ASCII, else its code point.  The text is valid UTF-8 here. */
static char *describe_char(const Scanner *sc, size_t off)
{
    unsigned char c = (unsigned char)sc->s[off];
    if (c >= 0x21 && c < 0x7F)
        return g_strdup_printf("'%c'", c);
    gunichar u = g_utf8_get_char(sc->s + off);
    return g_strdup_printf("U+%04X", (unsigned)u);
}

/* Explains a run of letters where a value was expected: JSON has only three
 * bare words, and people often try the others. */
static gboolean fail_word(Scanner *sc, size_t start)
{
    size_t end = start;
    if (end < sc->n && sc->s[end] == '-')
        end++;
    while (end < sc->n && is_word_char(sc->s[end]))
        end++;
    int len = (int)(end - start);
    const char *w = sc->s + start;
    const char *b = (*w == '-') ? w + 1 : w;
    size_t blen = (size_t)(end - (size_t)(b - sc->s));
    if ((blen == 3 && g_ascii_strncasecmp(b, "nan", 3) == 0) ||
        (blen == 8 && g_ascii_strncasecmp(b, "infinity", 8) == 0) ||
        (blen == 3 && g_ascii_strncasecmp(b, "inf", 3) == 0))
        return fail(sc, start, "invalid literal '%.*s': JSON has no NaN or Infinity", len, w);
    if ((blen == 4 && g_ascii_strncasecmp(b, "true", 4) == 0) ||
        (blen == 5 && g_ascii_strncasecmp(b, "false", 5) == 0) ||
        (blen == 4 && g_ascii_strncasecmp(b, "null", 4) == 0) ||
        (blen == 4 && g_ascii_strncasecmp(b, "none", 4) == 0))
        return fail(sc, start,
                    "invalid literal '%.*s' (the literals are true, false and null, "
                    "in lower case)",
                    len, w);
    return fail(sc, start,
                "invalid literal '%.*s' (expected a value: a string in double quotes, "
                "a number, true, false, null, an object or an array)",
                len, w);
}

/* Four hex digits at `off`, or -1. */
static long hex4(const Scanner *sc, size_t off)
{
    if (off + 4 > sc->n)
        return -1;
    long v = 0;
    for (size_t i = off; i < off + 4; i++) {
        int d = g_ascii_xdigit_value(sc->s[i]);
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Scans a string starting at the opening quote; appends the decoded text to
 * `out` when it is not NULL (only keys are needed decoded). */
static gboolean scan_string(Scanner *sc, GString *out)
{
    size_t start = sc->p++;
    for (;;) {
        if (sc->p >= sc->n)
            return fail(sc, start, "unterminated string");
        char c = sc->s[sc->p];
        if (c == '"') {
            sc->p++;
            return TRUE;
        }
        if (c == '\n' || c == '\r')
            return fail(sc, start,
                        "unterminated string (a string cannot span lines; write \\n "
                        "for a line break)");
        if ((unsigned char)c < 0x20)
            return fail(sc, sc->p, "control character U+%04X in a string must be escaped",
                        (unsigned)c);
        if (c != '\\') {
            if (out)
                g_string_append_c(out, c);
            sc->p++;
            continue;
        }
        size_t esc = sc->p;
        if (esc + 1 >= sc->n)
            return fail(sc, start, "unterminated string");
        char e = sc->s[esc + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e != '\0' && simple) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            if (out)
                g_string_append_c(out, decoded[simple - "\"\\/bfnrt"]);
            sc->p += 2;
            continue;
        }
        if (e != 'u') {
            g_autofree char *what = describe_char(sc, esc + 1);
            return fail(sc, esc,
                        "invalid escape \\%s in a string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r "
                        "\\t \\uXXXX)",
                        e >= 0x21 && e < 0x7F ? (char[]){e, '\0'} : what);
        }
        long cp = hex4(sc, esc + 2);
        if (cp < 0)
            return fail(sc, esc, "invalid \\u escape: expected four hex digits after \\u");
        sc->p = esc + 6;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail(sc, esc, "invalid \\u escape: \\u%04lX is an unpaired low surrogate", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            long lo = -1;
            if (sc->p + 1 < sc->n && sc->s[sc->p] == '\\' && sc->s[sc->p + 1] == 'u')
                lo = hex4(sc, sc->p + 2);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail(sc, esc,
                            "invalid \\u escape: \\u%04lX is a high surrogate without a low "
                            "surrogate after it",
                            cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            sc->p += 6;
        }
        /* cJSON keeps strings NUL-terminated, so an embedded NUL would
         * silently cut the string short. */
        if (cp == 0)
            return fail(sc, esc, "\\u0000 is not supported in strings");
        if (out)
            g_string_append_unichar(out, (gunichar)cp);
    }
}

static gboolean scan_digits(Scanner *sc)
{
    size_t from = sc->p;
    while (sc->p < sc->n && g_ascii_isdigit(sc->s[sc->p]))
        sc->p++;
    return sc->p > from;
}

static gboolean scan_number(Scanner *sc)
{
    size_t start = sc->p;
    if (sc->s[sc->p] == '-') {
        sc->p++;
        if (sc->p < sc->n && g_ascii_isalpha(sc->s[sc->p]))
            return fail_word(sc, start);
        if (sc->p >= sc->n || !g_ascii_isdigit(sc->s[sc->p]))
            return fail(sc, start, "invalid number: expected a digit after '-'");
    }
    if (sc->s[sc->p] == '0') {
        sc->p++;
        if (sc->p < sc->n && g_ascii_isdigit(sc->s[sc->p]))
            return fail(sc, start, "invalid number: leading zeros are not allowed");
    } else {
        scan_digits(sc);
    }
    if (sc->p < sc->n && sc->s[sc->p] == '.') {
        sc->p++;
        if (!scan_digits(sc))
            return fail(sc, sc->p, "invalid number: expected a digit after '.'");
    }
    if (sc->p < sc->n && (sc->s[sc->p] == 'e' || sc->s[sc->p] == 'E')) {
        sc->p++;
        if (sc->p < sc->n && (sc->s[sc->p] == '+' || sc->s[sc->p] == '-'))
            sc->p++;
        if (!scan_digits(sc))
            return fail(sc, sc->p, "invalid number: expected a digit in the exponent");
    }
    if (sc->p < sc->n && (is_word_char(sc->s[sc->p]) || sc->s[sc->p] == '.')) {
        size_t end = sc->p;
        while (end < sc->n && (is_word_char(sc->s[end]) || sc->s[end] == '.'))
            end++;
        return fail(sc, start, "invalid number '%.*s'", (int)(end - start), sc->s + start);
    }
    size_t len = sc->p - start;
    if (len > MAX_NUMBER_CHARS)
        return fail(sc, start, "number literal too long (more than %d characters)",
                    MAX_NUMBER_CHARS);
    char buf[MAX_NUMBER_CHARS + 1];
    memcpy(buf, sc->s + start, len);
    buf[len] = '\0';
    if (!isfinite(g_ascii_strtod(buf, NULL)))
        return fail(sc, start, "number %s is out of range (too large for a double)", buf);
    return TRUE;
}

static gboolean fail_eof_unclosed(Scanner *sc, size_t open)
{
    int line, col;
    offset_linecol(sc->s, 0, open, &line, &col);
    return fail(sc, sc->n, "unexpected end of file: the '%c' at %d:%d is never closed", sc->s[open],
                line, col);
}

static gboolean scan_object(Scanner *sc)
{
    size_t open = sc->p++;
    size_t path_len = sc->path->len;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GString) key = g_string_new(NULL);
    gboolean after_comma = FALSE;
    size_t comma = 0;
    skip_ws(sc);
    if (sc->p < sc->n && sc->s[sc->p] == '}') {
        sc->p++;
        return TRUE;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->p >= sc->n)
            return fail_eof_unclosed(sc, open);
        char c = sc->s[sc->p];
        if (c != '"') {
            if (c == '}' && after_comma)
                return fail(sc, comma, "trailing comma before '}'");
            if (c == '\'')
                return fail(sc, sc->p, "keys must be strings in double quotes, not single quotes");
            if (is_word_char(c))
                return fail(sc, sc->p, "expected a key in double quotes");
            g_autofree char *what = describe_char(sc, sc->p);
            return fail(sc, sc->p, "expected a key (a string in double quotes)%s, got %s",
                        after_comma ? "" : " or '}'", what);
        }
        size_t key_off = sc->p;
        g_string_truncate(key, 0);
        if (!scan_string(sc, key))
            return FALSE;
        gpointer first;
        if (g_hash_table_lookup_extended(seen, key->str, NULL, &first)) {
            int fl, fc;
            offset_linecol(sc->s, 0, GPOINTER_TO_SIZE(first), &fl, &fc);
            return fail(sc, key_off, "duplicate key '%s' (first at %d:%d)", key->str, fl, fc);
        }
        g_hash_table_insert(seen, g_strdup(key->str), GSIZE_TO_POINTER(key_off));
        skip_ws(sc);
        if (sc->p >= sc->n)
            return fail_eof_unclosed(sc, open);
        if (sc->s[sc->p] != ':')
            return fail(sc, sc->p, "expected ':' after the key '%s'", key->str);
        sc->p++;
        if (path_len > 0)
            g_string_append_c(sc->path, '.');
        g_string_append(sc->path, key->str);
        gboolean ok = scan_value(sc);
        g_string_truncate(sc->path, path_len);
        if (!ok)
            return FALSE;
        skip_ws(sc);
        if (sc->p >= sc->n)
            return fail_eof_unclosed(sc, open);
        c = sc->s[sc->p];
        if (c == ',') {
            comma = sc->p++;
            after_comma = TRUE;
            continue;
        }
        if (c == '}') {
            sc->p++;
            return TRUE;
        }
        return fail(sc, sc->p, "expected ',' or '}' after an object member%s",
                    c == '"' ? " (missing ','?)" : "");
    }
}

static gboolean scan_array(Scanner *sc)
{
    size_t open = sc->p++;
    size_t path_len = sc->path->len;
    size_t i = 0;
    size_t comma = 0;
    skip_ws(sc);
    if (sc->p < sc->n && sc->s[sc->p] == ']') {
        sc->p++;
        return TRUE;
    }
    for (;;) {
        skip_ws(sc);
        if (sc->p >= sc->n)
            return fail_eof_unclosed(sc, open);
        if (i > 0 && sc->s[sc->p] == ']')
            return fail(sc, comma, "trailing comma before ']'");
        g_string_append_printf(sc->path, "[%zu]", i++);
        gboolean ok = scan_value(sc);
        g_string_truncate(sc->path, path_len);
        if (!ok)
            return FALSE;
        skip_ws(sc);
        if (sc->p >= sc->n)
            return fail_eof_unclosed(sc, open);
        char c = sc->s[sc->p];
        if (c == ',') {
            comma = sc->p++;
            continue;
        }
        if (c == ']') {
            sc->p++;
            return TRUE;
        }
        return fail(sc, sc->p, "expected ',' or ']' after an array element%s",
                    (c == '"' || c == '{' || c == '[' || c == '-' || g_ascii_isalnum(c))
                        ? " (missing ','?)"
                        : "");
    }
}

static gboolean scan_value(Scanner *sc)
{
    skip_ws(sc);
    if (sc->p >= sc->n)
        return fail(sc, sc->p, "unexpected end of file, expected a value");
    size_t start = sc->p;
    char c = sc->s[start];
    index_value(sc, start);
    switch (c) {
    case '{':
    case '[': {
        if (sc->depth >= MAX_DEPTH)
            return fail(sc, start, "nested more than %d levels deep", MAX_DEPTH);
        sc->depth++;
        gboolean ok = c == '{' ? scan_object(sc) : scan_array(sc);
        sc->depth--;
        return ok;
    }
    case '"':
        return scan_string(sc, NULL);
    case 't':
    case 'f':
    case 'n': {
        static const char *const words[] = {"true", "false", "null"};
        for (size_t i = 0; i < G_N_ELEMENTS(words); i++) {
            size_t len = strlen(words[i]);
            if (sc->n - start >= len && memcmp(sc->s + start, words[i], len) == 0 &&
                (start + len == sc->n || !is_word_char(sc->s[start + len]))) {
                sc->p += len;
                return TRUE;
            }
        }
        return fail_word(sc, start);
    }
    case '\'':
        return fail(sc, start, "strings must be in double quotes, not single quotes");
    case '/':
        return fail(sc, start, "comments are not allowed in JSON");
    case '+':
        return fail(sc, start, "invalid number: a leading '+' is not allowed");
    case '.':
        return fail(sc, start, "invalid number: a leading '.' needs a digit before it (0.5)");
    case '}':
    case ']':
    case ',':
    case ':':
        return fail(sc, start, "expected a value, got '%c'", c);
    default:
        if (c == '-' || g_ascii_isdigit(c))
            return scan_number(sc);
        if (is_word_char(c))
            return fail_word(sc, start);
        g_autofree char *what = describe_char(sc, start);
        return fail(sc, start, "unexpected character %s, expected a value", what);
    }
}

/* Validates `s` (n bytes, any BOM already skipped) and indexes its values.
 * On failure sets *err_off and returns the message. */
static char *scan_document(const char *s, size_t n, GHashTable *index, GArray *positions,
                           size_t *err_off)
{
    Scanner sc = {
        .s = s,
        .n = n,
        .path = g_string_new(NULL),
        .index = index,
        .positions = positions,
        .line = 1,
        .col = 1,
    };
    const char *bad = NULL;
    if (!g_utf8_validate_len(s, n, &bad)) {
        if (*bad == '\0')
            fail(&sc, (size_t)(bad - s), "NUL byte in the text");
        else
            fail(&sc, (size_t)(bad - s), "invalid UTF-8 (byte 0x%02X)", (unsigned char)*bad);
    } else {
        skip_ws(&sc);
        if (sc.p >= n)
            fail(&sc, 0, "empty file (expected a JSON value)");
        else if (scan_value(&sc)) {
            skip_ws(&sc);
            if (sc.p < n)
                fail(&sc, sc.p, "trailing characters after the document");
        }
    }
    g_string_free(sc.path, TRUE);
    *err_off = sc.err_off;
    return sc.err_msg;
}

/* Records in the index which node of the cJSON tree each path holds. */
static void attach_nodes(SimJsonDoc *doc, const cJSON *node, GString *path)
{
    guint i = GPOINTER_TO_UINT(g_hash_table_lookup(doc->index, path->str));
    if (i > 0)
        g_array_index(doc->positions, Position, i - 1).node = (uintptr_t)node;
    size_t len = path->len;
    int n = 0;
    const cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        if (cJSON_IsArray(node))
            g_string_append_printf(path, "[%d]", n++);
        else
            g_string_append_printf(path, "%s%s", len ? "." : "", child->string);
        attach_nodes(doc, child, path);
        g_string_truncate(path, len);
    }
}

/* The node at `path` in the current tree, or NULL.  Keys may contain '.'
 * or '[' (they are indexed verbatim), so every key that is a prefix of the
 * rest of the path is tried. */
static const cJSON *find_path(const cJSON *node, const char *p)
{
    if (!node || *p == '\0')
        return node;
    if (*p == '[' && cJSON_IsArray(node)) {
        char *end = NULL;
        guint64 i = g_ascii_strtoull(p + 1, &end, 10);
        if (end == p + 1 || *end != ']' || i > G_MAXINT)
            return NULL;
        const char *rest = end + 1;
        return find_path(cJSON_GetArrayItem(node, (int)i), *rest == '.' ? rest + 1 : rest);
    }
    if (!cJSON_IsObject(node))
        return NULL;
    const cJSON *child;
    cJSON_ArrayForEach(child, node)
    {
        size_t len = strlen(child->string);
        const char *rest = p + len;
        if (strncmp(p, child->string, len) != 0 || (*rest && *rest != '.' && *rest != '['))
            continue;
        const cJSON *found = find_path(child, *rest == '.' ? rest + 1 : rest);
        if (found)
            return found;
    }
    return NULL;
}

SimJsonDoc *sim_json_load_text(const char *text, size_t len, const char *name, GError **err)
{
    SimJsonDoc *doc = g_new0(SimJsonDoc, 1);
    doc->name = g_strdup(name ? name : "(text)");
    doc->index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    doc->positions = g_array_new(FALSE, FALSE, sizeof(Position));

    /* Editors on some systems write a UTF-8 byte order mark; it is not part
     * of the document and not a column anyone can see. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    size_t off = 0;
    g_autofree char *msg = scan_document(text, len, doc->index, doc->positions, &off);
    if (!msg) {
        const char *end = NULL;
        doc->root = cJSON_ParseWithLengthOpts(text, len, &end, FALSE);
        if (!doc->root) {
            /* The strict scanner accepted what cJSON refused (or cJSON ran
             * out of memory); report it rather than continue without a
             * tree. */
            off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
            msg = g_strdup("cJSON could not parse the document here");
        } else {
            g_autoptr(GString) path = g_string_new(NULL);
            attach_nodes(doc, doc->root, path);
        }
    }
    if (msg) {
        int line, col;
        offset_linecol(text, 0, off, &line, &col);
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s:%d:%d: %s", doc->name, line, col,
                    msg);
        sim_json_doc_free(doc);
        return NULL;
    }
    return doc;
}

SimJsonDoc *sim_json_load_file(const char *path, GError **err)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(GError) read_err = NULL;
    if (!g_file_get_contents(path, &text, &len, &read_err)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s", read_err->message);
        return NULL;
    }
    return sim_json_load_text(text, len, path, err);
}

void sim_json_doc_free(SimJsonDoc *doc)
{
    if (!doc)
        return;
    cJSON_Delete(doc->root);
    g_hash_table_destroy(doc->index);
    g_array_free(doc->positions, TRUE);
    g_free(doc->name);
    g_free(doc);
}

cJSON *sim_json_doc_root(SimJsonDoc *doc)
{
    return doc->root;
}

const char *sim_json_doc_name(const SimJsonDoc *doc)
{
    return doc->name;
}

gboolean sim_json_doc_position(const SimJsonDoc *doc, const char *path, int *line, int *col)
{
    guint i = GPOINTER_TO_UINT(g_hash_table_lookup(doc->index, path ? path : ""));
    if (i == 0)
        return FALSE;
    const Position *pos = &g_array_index(doc->positions, Position, i - 1);
    if ((uintptr_t)find_path(doc->root, path ? path : "") != pos->node)
        return FALSE;
    if (line)
        *line = pos->line;
    if (col)
        *col = pos->col;
    return TRUE;
}

char *sim_json_doc_where(const SimJsonDoc *doc, const char *path)
{
    const char *shown = (path && *path) ? path : "(root)";
    int line, col;
    if (sim_json_doc_position(doc, path, &line, &col))
        return g_strdup_printf("%s:%d:%d: %s", doc->name, line, col, shown);
    return g_strdup_printf("%s: %s", doc->name, shown);
}
