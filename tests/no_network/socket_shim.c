// LD_PRELOAD shim for test_no_network: every socket() the process makes is logged (its address
// family, one per line, to $MODALLENS_SOCKET_LOG), and network ones (IPv4, IPv6, packet) are refused.
// Local sockets (AF_UNIX: D-Bus, X11) are IPC, not network: they are logged and allowed.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol)
{
    static int (*real)(int, int, int);
    if (!real)
        real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
    const char *log = getenv("MODALLENS_SOCKET_LOG");
    if (log) {
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "%d\n", domain);
            fclose(f);
        }
    }
    if (domain == AF_INET || domain == AF_INET6 || domain == AF_PACKET) {
        errno = EACCES;
        return -1;
    }
    return real(domain, type, protocol);
}
