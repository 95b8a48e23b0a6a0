#include "sim/fit.h"

#include <gsl/gsl_multifit.h>
#include <math.h>
#include <string.h>

#include "sim/sim_error.h"

static const char *const param_names[FIT_N_PARAMS] = {"intercept", "per_cpu_core", "per_disk_io"};

gboolean fit_linear(const double *cpu, const double *disk, const double *dom0, size_t n,
                    const char *what, FitResult *out, GError **err)
{
    const char *pre = what ? what : "fit";
    if (n < FIT_MIN_ROWS) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s: %zu rows, at least %d needed to fit %d coefficients with a residual", pre,
                    n, FIT_MIN_ROWS, FIT_N_PARAMS);
        return FALSE;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(cpu[i]) || !isfinite(disk[i]) || !isfinite(dom0[i])) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: row %zu: non-finite value",
                        pre, i + 1);
            return FALSE;
        }
    }
    gsl_matrix *X = gsl_matrix_alloc(n, FIT_N_PARAMS);
    gsl_vector *y = gsl_vector_alloc(n);
    gsl_vector *c = gsl_vector_alloc(FIT_N_PARAMS);
    gsl_matrix *cov = gsl_matrix_alloc(FIT_N_PARAMS, FIT_N_PARAMS);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc(n, FIT_N_PARAMS);
    for (size_t i = 0; i < n; i++) {
        gsl_matrix_set(X, i, 0, 1.0);
        gsl_matrix_set(X, i, 1, cpu[i]);
        gsl_matrix_set(X, i, 2, disk[i]);
        gsl_vector_set(y, i, dom0[i]);
    }
    gboolean ok = TRUE;
    /* The SVD first, to refuse a rank-deficient design: gsl_multifit_linear
     * would answer one anyway, with a coefficient chosen by rounding. */
    double rcond = 0.0;
    /* GSL's default handler aborts the process on a failure (an SVD that
     * does not converge, e.g. on values near 1e85): report it instead. */
    gsl_error_handler_t *old_handler = gsl_set_error_handler_off();
    if (gsl_multifit_linear_svd(X, ws) != GSL_SUCCESS) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s: the singular value decomposition of the design did not converge "
                    "(are guest_cpu_cores and disk_io_time of sensible magnitude?)",
                    pre);
        ok = FALSE;
    } else {
        rcond = gsl_multifit_linear_rcond(ws);
    }
    if (ok && !(rcond >= FIT_MIN_RCOND)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s: singular design (reciprocal condition number %.3g): guest_cpu_cores "
                    "and disk_io_time must each vary, and not in proportion to each other",
                    pre, rcond);
        ok = FALSE;
    }
    double chisq = 0.0;
    if (ok && gsl_multifit_linear(X, y, c, cov, &chisq, ws) != GSL_SUCCESS) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: least squares failed", pre);
        ok = FALSE;
    }
    gsl_set_error_handler(old_handler);
    if (ok) {
        memset(out, 0, sizeof *out);
        out->n = n;
        /* GSL's cov is already s^2 (X'X)^-1 with s^2 = chisq / (n - p). */
        for (int k = 0; k < FIT_N_PARAMS; k++) {
            out->coef[k] = gsl_vector_get(c, (size_t)k);
            out->se[k] = sqrt(fmax(gsl_matrix_get(cov, (size_t)k, (size_t)k), 0.0));
        }
        double mean = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += (dom0[i] - mean) / (double)(i + 1);
        double tss = 0.0, rss = 0.0;
        for (size_t i = 0; i < n; i++) {
            double fitted = out->coef[0] + out->coef[1] * cpu[i] + out->coef[2] * disk[i];
            tss += (dom0[i] - mean) * (dom0[i] - mean);
            rss += (dom0[i] - fitted) * (dom0[i] - fitted);
        }
        out->r2 = tss > 0.0 ? 1.0 - rss / tss : NAN;
        out->residual_rms = sqrt(rss / (double)n);
        /* Finite inputs near DBL_MAX overflow in the solve or the sums. */
        gboolean finite = isfinite(out->residual_rms);
        for (int k = 0; k < FIT_N_PARAMS; k++)
            finite = finite && isfinite(out->coef[k]) && isfinite(out->se[k]);
        if (!finite) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                        "%s: the fit overflowed (a coefficient or the residual is not finite): "
                        "values too large",
                        pre);
            ok = FALSE;
        }
    }
    gsl_multifit_linear_free(ws);
    gsl_matrix_free(cov);
    gsl_vector_free(c);
    gsl_vector_free(y);
    gsl_matrix_free(X);
    return ok;
}

/* ---- CSV ------------------------------------------------------------------ */

/* Splits one line into fields at commas, honouring double quotes ("" is a
 * quote inside a quoted field); surrounding blanks are dropped.  NULL for an
 * unterminated quote or text after a closing quote. */
static GPtrArray *split_fields(const char *line)
{
    GPtrArray *f = g_ptr_array_new_with_free_func(g_free);
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        GString *s = g_string_new(NULL);
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '\0') {
                    g_string_free(s, TRUE);
                    g_ptr_array_unref(f);
                    return NULL;
                }
                if (*p == '"' && p[1] == '"') {
                    g_string_append_c(s, '"');
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    g_string_append_c(s, *p++);
                }
            }
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ',' && *p != '\0') {
                g_string_free(s, TRUE);
                g_ptr_array_unref(f);
                return NULL;
            }
        } else {
            while (*p != ',' && *p != '\0')
                g_string_append_c(s, *p++);
            while (s->len > 0 && (s->str[s->len - 1] == ' ' || s->str[s->len - 1] == '\t'))
                g_string_truncate(s, s->len - 1);
        }
        g_ptr_array_add(f, g_string_free(s, FALSE));
        if (*p != ',')
            return f;
        p++;
    }
}

static gboolean parse_number(const char *text, double *out)
{
    if (!text[0])
        return FALSE;
    char *end = NULL;
    double v = g_ascii_strtod(text, &end);
    if (!end || *end || !isfinite(v))
        return FALSE;
    *out = v;
    return TRUE;
}

static const char *const wanted[FIT_N_PARAMS] = {FIT_COL_CPU, FIT_COL_DISK, FIT_COL_DOM0};

/* Reads the rows of `text` (the file `path`) into the three columns. */
static gboolean read_rows(const char *path, char *text, GArray *cols[FIT_N_PARAMS], GError **err)
{
    int idx[FIT_N_PARAMS] = {-1, -1, -1};
    gboolean have_header = FALSE;
    guint ncols = 0;
    unsigned long line_no = 0;
    char *save = text;
    while (save) {
        char *line = save;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        line_no++;
        size_t len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        if (strspn(line, " \t") == len)
            continue; /* blank line */
        g_autoptr(GPtrArray) f = split_fields(line);
        if (!f) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s:%lu: malformed quoted field",
                        path, line_no);
            return FALSE;
        }
        if (!have_header) {
            have_header = TRUE;
            ncols = f->len;
            for (guint j = 0; j < f->len; j++)
                for (int k = 0; k < FIT_N_PARAMS; k++)
                    if (strcmp(f->pdata[j], wanted[k]) == 0) {
                        if (idx[k] >= 0) {
                            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                                        "%s:%lu: column '%s' appears twice", path, line_no,
                                        wanted[k]);
                            return FALSE;
                        }
                        idx[k] = (int)j;
                    }
            for (int k = 0; k < FIT_N_PARAMS; k++)
                if (idx[k] < 0) {
                    g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                                "%s:%lu: header has no column '%s' (needs %s, %s and %s)", path,
                                line_no, wanted[k], FIT_COL_CPU, FIT_COL_DISK, FIT_COL_DOM0);
                    return FALSE;
                }
            continue;
        }
        if (f->len != ncols) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                        "%s:%lu: %u fields, the header has %u", path, line_no, f->len, ncols);
            return FALSE;
        }
        for (int k = 0; k < FIT_N_PARAMS; k++) {
            const char *t = f->pdata[idx[k]];
            double v;
            if (!parse_number(t, &v)) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                            "%s:%lu: column %s: '%s' is not a finite number", path, line_no,
                            wanted[k], t);
                return FALSE;
            }
            g_array_append_val(cols[k], v);
        }
    }
    if (!have_header) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: empty file, expected a header",
                    path);
        return FALSE;
    }
    return TRUE;
}

gboolean fit_csv_file(const char *path, FitResult *out, GError **err)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(path, &text, &len, &e)) {
        int code = g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? DOM0SIM_ERROR_USAGE
                                                                        : DOM0SIM_ERROR_IO;
        g_set_error(err, DOM0SIM_ERROR, code, "%s", e->message);
        g_error_free(e);
        return FALSE;
    }
    if (memchr(text, '\0', len)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s: contains a NUL byte, not a CSV text file", path);
        return FALSE;
    }
    GArray *cols[FIT_N_PARAMS];
    for (int k = 0; k < FIT_N_PARAMS; k++)
        cols[k] = g_array_new(FALSE, FALSE, sizeof(double));
    gboolean ok = read_rows(path, text, cols, err) &&
                  fit_linear((double *)(void *)cols[0]->data, (double *)(void *)cols[1]->data,
                             (double *)(void *)cols[2]->data, cols[0]->len, path, out, err);
    for (int k = 0; k < FIT_N_PARAMS; k++)
        g_array_free(cols[k], TRUE);
    return ok;
}

static void put_number(GString *s, double v)
{
    if (isfinite(v))
        g_string_append_printf(s, "%.17g", v);
    else
        g_string_append(s, "null");
}

char *fit_result_to_json(const FitResult *r)
{
    GString *s = g_string_new("{\n");
    for (int k = 0; k < FIT_N_PARAMS; k++) {
        g_string_append_printf(s, "  \"%s\": ", param_names[k]);
        put_number(s, r->coef[k]);
        g_string_append(s, ",\n");
    }
    g_string_append(s, "  \"stderr\": {");
    for (int k = 0; k < FIT_N_PARAMS; k++) {
        g_string_append_printf(s, "%s\"%s\": ", k ? ", " : "", param_names[k]);
        put_number(s, r->se[k]);
    }
    g_string_append(s, "},\n  \"r2\": ");
    put_number(s, r->r2);
    g_string_append_printf(s, ",\n  \"n\": %zu,\n  \"residual_rms\": ", r->n);
    put_number(s, r->residual_rms);
    g_string_append(s, "\n}\n");
    return g_string_free(s, FALSE);
}
