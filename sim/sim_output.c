#include "sim/sim_output.h"

#include <errno.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "sim/sim_error.h"

struct SimAtomicFile {
    char *final_path;
    char *tmp_path;
    FILE *fp;
};

SimAtomicFile *sim_atomic_open(const char *path, GError **err)
{
    g_autofree char *tmpl = g_strdup_printf("%s.tmp.XXXXXX", path);
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
