#include "sim/sim_output.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/sim_error.h"

struct SimAtomicFile {
    char *final_path;
    char *tmp_path;
    FILE *fp;
};

SimAtomicFile *sim_atomic_open(const char *path, GError **err)
{
    g_autofree char *tmpl = g_strdup_printf("%s.tmp.%ld.XXXXXX", path, (long)getpid());
    int fd = g_mkstemp(tmpl);
    if (fd < 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot create a file beside %s: %s",
                    path, g_strerror(errno));
        return NULL;
    }
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        int e = errno;
        close(fd);
        unlink(tmpl);
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot open %s: %s", tmpl,
                    g_strerror(e));
        return NULL;
    }
    SimAtomicFile *f = g_new0(SimAtomicFile, 1);
    f->final_path = g_strdup(path);
    f->tmp_path = g_steal_pointer(&tmpl);
    f->fp = fp;
    return f;
}

FILE *sim_atomic_stream(SimAtomicFile *f)
{
    return f->fp;
}

static void atomic_free(SimAtomicFile *f)
{
    g_free(f->final_path);
    g_free(f->tmp_path);
    g_free(f);
}

gboolean sim_atomic_commit(SimAtomicFile *f, GError **err)
{
    gboolean ok = FALSE;
    int e = 0;
    /* mkstemp creates the file 0600; results are meant to be shared. */
    if (fchmod(fileno(f->fp), 0644) != 0 || fflush(f->fp) != 0 || ferror(f->fp) ||
        fsync(fileno(f->fp)) != 0)
        e = errno ? errno : EIO;
    if (fclose(f->fp) != 0 && !e)
        e = errno;
    f->fp = NULL;
    if (!e && rename(f->tmp_path, f->final_path) != 0)
        e = errno;
    if (e) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot write %s: %s", f->final_path,
                    g_strerror(e));
        unlink(f->tmp_path);
    } else {
        ok = TRUE;
    }
    atomic_free(f);
    return ok;
}

void sim_atomic_abort(SimAtomicFile *f)
{
    if (!f)
        return;
    if (f->fp)
        fclose(f->fp);
    unlink(f->tmp_path);
    atomic_free(f);
}

gboolean sim_write_file_atomic(const char *path, const char *data, size_t len, GError **err)
{
    SimAtomicFile *f = sim_atomic_open(path, err);
    if (!f)
        return FALSE;
    if (fwrite(data, 1, len, f->fp) != len) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot write %s: %s", path,
                    g_strerror(errno));
        sim_atomic_abort(f);
        return FALSE;
    }
    return sim_atomic_commit(f, err);
}

/* The process id in the temporary name `entry` of a file named `base`
 * ("BASE.tmp.PID.XXXXXX"), or 0 if it is no such name. */
static long temp_owner(const char *entry, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(entry, base, n) != 0 || strncmp(entry + n, ".tmp.", 5) != 0)
        return 0;
    const char *p = entry + n + 5;
    char *end;
    errno = 0;
    long pid = strtol(p, &end, 10);
    if (errno || end == p || pid <= 0 || *end != '.' || strlen(end + 1) != 6)
        return 0;
    return pid;
}

int sim_atomic_remove_stale(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0;
    int removed = 0;
    const char *entry;
    while ((entry = g_dir_read_name(d))) {
        long pid = temp_owner(entry, base);
        /* kill(pid, 0) fails with ESRCH only when no such process exists:
         * a live writer's file (or one whose pid was reused) is kept. */
        if (pid == 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        g_autofree char *full = g_build_filename(dir, entry, NULL);
        if (unlink(full) == 0)
            removed++;
    }
    g_dir_close(d);
    return removed;
}
