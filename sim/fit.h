/* Ordinary least squares of the dom0 CPU a guest causes on its resource use,
 * for the over-provisioning study:
 *
 *   dom0_cores = intercept + per_cpu_core * guest_cpu_cores
 *                          + per_disk_io * disk_io_time
 *
 * guest_cpu_cores is the guest's own CPU in cores, disk_io_time the seconds
 * of disk service its I/O took per second (the Google trace's units), and
 * dom0_cores the dom0 CPU spent on its behalf.  The fit is GSL's
 * gsl_multifit_linear (SVD); standard errors are the square roots of the
 * diagonal of s^2 (X'X)^-1 with s^2 = RSS / (n - 3). */
#ifndef DOM0SIM_FIT_H
#define DOM0SIM_FIT_H

#include <glib.h>
#include <stddef.h>

/* Parameters in the order of the model above. */
#define FIT_N_PARAMS 3

/* Fewer rows than this leave no degree of freedom for the residual. */
#define FIT_MIN_ROWS (FIT_N_PARAMS + 1)

/* A design whose reciprocal condition number (after GSL's column
 * balancing) is below this is refused as singular: a coefficient would be
 * set by rounding noise, not by the data. */
#define FIT_MIN_RCOND 1e-10

typedef struct {
    double coef[FIT_N_PARAMS]; /* intercept, per_cpu_core, per_disk_io */
    double se[FIT_N_PARAMS];   /* their standard errors */
    double r2;                 /* 1 - RSS / TSS; NAN when every dom0_cores is equal */
    double residual_rms;       /* sqrt(RSS / n) */
    size_t n;                  /* rows */
} FitResult;

/* The three columns the CSV must have, in the model's order of regressors
 * and then the response. */
#define FIT_COL_CPU "guest_cpu_cores"
#define FIT_COL_DISK "disk_io_time"
#define FIT_COL_DOM0 "dom0_cores"

/* Fits n rows.  Fails with DOM0SIM_ERROR_INPUT when n < FIT_MIN_ROWS, when
 * a value is not finite, or when the design is singular (e.g. a regressor
 * constant or one a multiple of the other); `what` (a file name, may be
 * NULL) prefixes the message. */
gboolean fit_linear(const double *cpu, const double *disk, const double *dom0, size_t n,
                    const char *what, FitResult *out, GError **err);

/* Reads a CSV with a header row naming its columns (any order; other
 * columns are ignored; blank lines are skipped; fields may be quoted with
 * double quotes) and fits its rows.  Errors name the file and, for a bad
 * row, its line: "FILE:LINE: ..." (DOM0SIM_ERROR_INPUT, exit 2); a missing
 * file is DOM0SIM_ERROR_USAGE, another read error DOM0SIM_ERROR_IO. */
gboolean fit_csv_file(const char *path, FitResult *out, GError **err);

/* {"intercept": ..., "per_cpu_core": ..., "per_disk_io": ...,
 *  "stderr": {...}, "r2": ..., "n": ..., "residual_rms": ...} with every
 * number printed to round-trip (%.17g); a NAN prints as null.  g_free it. */
char *fit_result_to_json(const FitResult *r);

#endif
