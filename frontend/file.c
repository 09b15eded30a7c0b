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

/* Reads a whole regular file of at most ONNX_MAX_FILE bytes (file.c opens it without blocking and
 * refuses anything else); the buffer is owned by the caller (ir_free). NULL with the reason in d. */
void *
onnx_read_file(const char *path, size_t *size, Diag *d)
{
    /* messages name the file unless the Diag already does */
    const char *label = d->file && strcmp(d->file, path) == 0 ? "" : path;
    int64_t n = 0;
    int fd = onnx_file_open(path, label, 0, &n, d);
    if (fd < 0)
        return NULL;
    void *buf = NULL;
    if (n > ONNX_MAX_FILE) {
        diag_error(d, "%s%sthe file is %lld bytes; protobuf files are limited to 2 GiB", label,
                   label[0] ? ": " : "", (long long)n);
        goto done;
    }
    buf = ir_alloc((size_t)n + 1);
    if (!buf) {
        diag_oom(d);
        goto done;
    }
    if (onnx_file_read(fd, buf, (size_t)n, 0, label, d) < 0) {
        ir_free(buf);
        buf = NULL;
        goto done;
    }
    *size = (size_t)n;
done:
    close(fd);
    return buf;
}

/* The folder holding file path ("" for the current directory, "/" for the root), allocated with
 * ir_alloc; NULL when out of memory. External data is resolved against it. */
char *
onnx_folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = ir_alloc(slash ? (size_t)(slash - path) + 1 : 1);
    if (!dir)
        return NULL;
    if (slash) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = 0;
        if (slash == path)
            strcpy(dir, "/");
    } else {
        dir[0] = 0;
    }
    return dir;
}
