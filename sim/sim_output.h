/* Result files that are never half-written.
 *
 * Every file is written under a temporary name in the same directory
 * ("NAME.tmp.XXXXXX"), flushed to disk and renamed over NAME only when
 * complete: rename is atomic within a file system, so a reader (or a crash)
 * sees either the previous complete file or the new one.  The temporary
 * name carries the writer's process id ("NAME.tmp.PID.XXXXXX"), so that a
 * file left by a killed run can be told from one still being written. */
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

/* Removes the temporary files of `path` left by processes of this machine
 * that no longer exist (a run killed by SIGKILL or a power cut leaves its
 * temporary files behind).  Returns how many were removed.  An output
 * directory shared between machines over a network file system would need
 * the host in the name too; there a live writer's file may be kept or, if
 * its pid happens to be free here, removed, and that writer then fails
 * with an I/O error: never a half-written result. */
int sim_atomic_remove_stale(const char *path);

/* Writes a whole buffer atomically. */
gboolean sim_write_file_atomic(const char *path, const char *data, size_t len, GError **err);

#endif
