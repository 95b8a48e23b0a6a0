/* Result files that are never half-written.
 *
 * Every file is written under a temporary name in the same directory
 * ("NAME.tmp.XXXXXX"), flushed to disk and renamed over NAME only when
 * complete: rename is atomic within a file system, so a reader (or a crash)
 * sees either the previous complete file or the new one. */
#ifndef DOM0SIM_SIM_OUTPUT_H
#define DOM0SIM_SIM_OUTPUT_H

#include <glib.h>
#include <stdio.h>

typedef struct SimAtomicFile SimAtomicFile;

/* Opens a temporary file beside `path`.  Fails with DOM0SIM_ERROR_IO. */
SimAtomicFile *sim_atomic_open(const char *path, GError **err);
FILE *sim_atomic_stream(SimAtomicFile *f);
/* Flushes, syncs, renames over the final path and frees f. */
gboolean sim_atomic_commit(SimAtomicFile *f, GError **err);
/* Removes the temporary file and frees f (NULL is allowed). */
void sim_atomic_abort(SimAtomicFile *f);

/* Writes a whole buffer atomically. */
gboolean sim_write_file_atomic(const char *path, const char *data, size_t len, GError **err);

#endif
