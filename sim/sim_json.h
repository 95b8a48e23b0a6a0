/* JSON documents with positions.
 *
 * cJSON parses, but it does not say where a value stood in the file.  Users
 * need "file:line:column" in every error, so after a successful parse we index
 * the source text once: every value's key path (e.g. "hosts[0].sockets") maps
 * to the line and column where the value starts. */
#ifndef DOM0SIM_SIM_JSON_H
#define DOM0SIM_SIM_JSON_H

#include <cjson/cJSON.h>
#include <glib.h>

typedef struct SimJsonDoc SimJsonDoc;

/* Reads and parses a file.  On malformed JSON, fails with DOM0SIM_ERROR_INPUT
 * and a message "FILE:LINE:COL: <what was expected>"; an unreadable file is
 * DOM0SIM_ERROR_IO.  `name` is used in messages for the text variant. */
SimJsonDoc *sim_json_load_file(const char *path, GError **err);
SimJsonDoc *sim_json_load_text(const char *text, size_t len, const char *name, GError **err);
void sim_json_doc_free(SimJsonDoc *doc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimJsonDoc, sim_json_doc_free)

/* The parsed tree (owned by doc; callers may edit it in place). */
cJSON *sim_json_doc_root(SimJsonDoc *doc);
/* The file name given at load time. */
const char *sim_json_doc_name(const SimJsonDoc *doc);

/* Where the value at `path` started in the source ("" is the root).  Returns
 * FALSE if the path was not in the original text (e.g. added by --set or by
 * a default); line and column are 1-based. */
gboolean sim_json_doc_position(const SimJsonDoc *doc, const char *path, int *line, int *col);

/* A prefix for messages about `path`: "FILE:LINE:COL: path" when the position
 * is known, else "FILE: path" (newly allocated). */
char *sim_json_doc_where(const SimJsonDoc *doc, const char *path);

#endif
