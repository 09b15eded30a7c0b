/*
 * file.c: the frontend's files, opened as a compiler pointed at files from anywhere must open
 * them. A model, an external data file or a bound tensor file is opened without blocking (a FIFO
 * with no writer or a device never stalls the open) and refused unless fstat says it is a regular
 * file; its size comes from that fstat, before anything is allocated, and reading never goes past
 * it. External data is confined to the model's folder by real path: the folder and the data file
 * are both resolved (symlinks followed) and the file must lie below the folder, so a symlink
 * inside the folder cannot lead out of it. The resolved path is what gets opened, and its last
 * component with O_NOFOLLOW.
 */
#define _XOPEN_SOURCE 700     /* realpath */
#include "onnx_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
onnx_file_open(const char *path, const char *label, int flags, int64_t *size, Diag *d)
{
    const char *sep = label[0] ? ": " : "";
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags);
    if (fd < 0) {
        diag_error(d, "%s%scannot open: %s", label, sep, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        diag_env(d, "%s%sfstat failed: %s", label, sep, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        diag_error(d, "%s%snot a regular file (%s)", label, sep,
                   S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode) ? "a FIFO"
                   : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device" : "a special file");
        close(fd);
        return -1;
    }
    /* a regular file never blocks; reads from here on are ordinary ones */
    int fl = fcntl(fd, F_GETFL);
    if (fl != -1)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    *size = (int64_t)st.st_size;
    return fd;
}

int
onnx_file_read(int fd, void *dst, size_t n, int64_t offset, const char *label, Diag *d)
{
    const char *sep = label[0] ? ": " : "";
    unsigned char *p = dst;
    size_t done = 0;
    while (done < n) {
        size_t want = n - done < ((size_t)1 << 30) ? n - done : (size_t)1 << 30;
        ssize_t k = pread(fd, p + done, want, (off_t)(offset + (int64_t)done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return diag_env(d, "%s%sread failed: %s", label, sep, strerror(errno));
        if (k == 0)
            return diag_error(d, "%s%sthe file ended %zu bytes short (changed while being "
                              "read?)", label, sep, n - done);
        done += (size_t)k;
    }
    return 0;
}

/* 1 if location has a ".." component ('\' counts as a separator too, as on the systems that
 * may have written it) */
static int
has_dotdot(const char *location)
{
    for (const char *p = location; *p;) {
        size_t k = strcspn(p, "/\\");
        if (k == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += k;
        if (*p)
            p++;
    }
    return 0;
}

char *
onnx_external_path(const char *dir, const char *location, const char *what, Diag *d)
{
    if (!location[0]) {
        diag_error(d, "%s: external data has no location", what);
        return NULL;
    }
    if (location[0] == '/' || location[0] == '\\') {
        diag_error(d, "%s: external data path \"%s\" is absolute; it must be relative to the "
                   "model's folder", what, location);
        return NULL;
    }
    if (has_dotdot(location)) {
        diag_error(d, "%s: external data path \"%s\" leaves the model's folder", what, location);
        return NULL;
    }
    size_t n = strlen(dir) + strlen(location) + 2;
    char *joined = ir_alloc(n), *real = ir_alloc(PATH_MAX), *folder = ir_alloc(PATH_MAX);
    char *out = NULL;
    if (!joined || !real || !folder) {
        diag_oom(d);
        goto done;
    }
    snprintf(joined, n, "%s%s%s", dir, dir[0] ? "/" : "", location);
    if (!realpath(dir[0] ? dir : ".", folder)) {
        diag_error(d, "%s: cannot resolve the model's folder \"%s\": %s", what,
                   dir[0] ? dir : ".", strerror(errno));
        goto done;
    }
    if (!realpath(joined, real)) {
        diag_error(d, "%s: cannot open external data \"%s\": %s", what, joined, strerror(errno));
        goto done;
    }
    size_t k = strlen(folder);
    int root = k == 1 && folder[0] == '/';
    if (!root && (strncmp(real, folder, k) != 0 || (real[k] != '/' && real[k] != 0))) {
        diag_error(d, "%s: external data path \"%s\" resolves to \"%s\", outside the model's "
                   "folder \"%s\"", what, location, real, folder);
        goto done;
    }
    out = real;
    real = NULL;
done:
    ir_free(joined);
    ir_free(real);
    ir_free(folder);
    return out;
}
