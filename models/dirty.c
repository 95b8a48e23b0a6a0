#include "models/dirty.h"

#include <math.h>

double dirty_distinct_pages(const DirtyModel *m, double dt_s, double n_pages)
{
    if (dt_s <= 0.0 || m->rate_pages_s <= 0.0)
        return 0.0;
    double writes = m->rate_pages_s * dt_s;
    double d;
    if (m->wws_pages > 0.0) {
        double w = fmin(m->wws_pages, n_pages);
        /* -expm1(-x) is 1 - e^-x without cancellation for small x. */
        d = w * -expm1(-writes / w);
    } else {
        d = writes;
    }
    return fmin(d, n_pages);
}
