/* floor_client - the floor chronicle-send is measured against: the least a
 * hook command can do.  Connects to a Unix socket, writes 1 KB, exits.
 * Built static, like the sender.   floor_client SOCKET */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, argv[1], sizeof sa.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return 1;
    char kb[1024];
    memset(kb, 'x', sizeof kb);
    if (write(fd, kb, sizeof kb) != (ssize_t)sizeof kb)
        return 1;
    close(fd);
    return 0;
}
