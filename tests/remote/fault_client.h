/* fault_client.h - the remote tests' side channel to the fault-injecting
 * server (fault_server.py): a plain HTTP/1.1 GET on loopback, without the
 * library, for its control paths (/__stats, /__reset). */
#ifndef TGM_TEST_FAULT_CLIENT_H
#define TGM_TEST_FAULT_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* GET `path` from the server at `base` ("http://127.0.0.1:PORT"): the
 * whole response, headers included, NUL-terminated in buf (at most cap - 1
 * bytes).  false when the server could not be reached or said nothing. */
static bool fault_http_get(const char *base, const char *path, char *buf, size_t cap) {
    unsigned port = 0;
    if (cap == 0 || sscanf(base, "http://127.0.0.1:%u", &port) != 1) {
        return false;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return false;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    char req[256];
    int rl =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    ok = ok && rl > 0 && (size_t)rl < sizeof req && write(fd, req, (size_t)rl) == rl;
    size_t got = 0;
    while (ok && got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    close(fd);
    return ok && got > 0;
}

/* The counter `key` of the server's /__stats, or -1. */
static long fault_stat(const char *base, const char *key) {
    enum { CAP = 1 << 17 }; /* the stats carry the log of requested ranges */
    char *buf = malloc(CAP), pat[64];
    long v = -1;
    if (buf != NULL && fault_http_get(base, "/__stats", buf, CAP)) {
        snprintf(pat, sizeof pat, "\"%s\": ", key);
        const char *p = strstr(buf, pat);
        v = p != NULL ? strtol(p + strlen(pat), NULL, 10) : -1;
    }
    free(buf);
    return v;
}

/* Wait until the server's counter reaches want (the server's state is
 * polled: it is another process); its last value.  The bound (2 minutes)
 * only keeps a broken build from hanging. */
static long fault_wait_stat(const char *base, const char *key, long want) {
    long v = -1;
    for (int i = 0; i < 6000; i++) {
        v = fault_stat(base, key);
        if (v >= want) {
            break;
        }
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    return v;
}

#endif
