/* How a guest dirties memory: the input of pre-copy migration.
 *
 * constant: every write lands on a page not yet dirty in the current
 *   interval, so d(t) = min(N, r t).  This is the assumption behind the
 *   pre-copy closed form T = (V/R)(1 - λ^(n+1))/(1 - λ), λ = D/R.
 * wws: writes fall uniformly on a writable working set of W pages (Clark et
 *   al., NSDI 2005, section 5), so the distinct pages dirtied in t seconds
 *   are W(1 - e^(-r t / W)): the expected number of distinct bins hit by
 *   r t uniform throws into W bins, in the large-W limit. */
#ifndef DOM0SIM_DIRTY_H
#define DOM0SIM_DIRTY_H

#include <stdint.h>

#define PAGE_SIZE_BYTES 4096u /* x86 base page; Xen migrates 4 KiB frames */

typedef struct {
    double rate_pages_s; /* page writes per second, >= 0 */
    double wws_pages;    /* writable working set in pages; 0 selects the constant model */
} DirtyModel;

/* Expected distinct pages dirtied in dt_s seconds, starting from a clean
 * bitmap, in a guest of n_pages pages; never more than n_pages. */
double dirty_distinct_pages(const DirtyModel *m, double dt_s, double n_pages);

#endif
