/* Fuzz target: the CSV reader and least-squares fit of `dom0sim-trace fit`
 * (sim/fit.h).  The input is the CSV file. */
#include <glib.h>
#include <math.h>

#include "sim/fit.h"
#include "tests/fuzz/fuzz_targets.h"

int fuzz_fit_one(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    g_autofree char *path = fuzz_write_file("fit.csv", data, size);
    FitResult r;
    GError *err = NULL;
    if (fit_csv_file(path, &r, &err)) {
        g_assert(err == NULL && r.n >= FIT_MIN_ROWS);
        for (int k = 0; k < FIT_N_PARAMS; k++)
            g_assert(isfinite(r.coef[k]));
        g_free(fit_result_to_json(&r));
    } else {
        g_assert(err);
        g_error_free(err);
    }
    return 0;
}

#ifdef DOM0SIM_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_fit_one(data, size);
}
#endif
