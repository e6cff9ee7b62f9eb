/* admin_paths.c - where the admin command finds chronicle-send and settings. */
#include "admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int admin_default_send_path(char out[PATH_MAX])
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash == NULL) {
        errno = EINVAL;
        return -1;
    }
    *slash = '\0';
    if (snprintf(out, PATH_MAX, "%s/chronicle-send", self) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int admin_user_settings_path(char out[PATH_MAX])
{
    const char *home = getenv("HOME");
    if (home == NULL || home[0] != '/') {
        errno = EINVAL;
        return -1;
    }
    if (snprintf(out, PATH_MAX, "%s/.claude/settings.json", home) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}
