/*
 * loadgen.c - drive a TCP echo server and verify every echoed byte.
 *
 * Single-threaded, non-blocking sockets on one edge-triggered epoll.
 *
 * usage: loadgen HOST PORT MODE CONNS SIZE DURATION WARMUP
 *   MODE pingpong  CONNS connections, exactly one SIZE-byte message in
 *                  flight per connection; latency = send start to last
 *                  echoed byte.
 *   MODE churn     CONNS concurrent workers, each looping connect -> send
 *                  SIZE bytes -> read the echo -> close; latency = connect
 *                  start to verified echo.
 *   MODE idle      open CONNS connections, echo SIZE bytes once on each,
 *                  print the report, then hold them until stdin reaches
 *                  EOF or SIGTERM arrives.
 *
 * stdout: pingpong/churn print {"event":"start"} when the warm-up ends (the
 * runner samples server CPU time at that moment), then one JSON report line.
 * Every phase is bounded by a deadline and alarm() backs them all up, so the
 * program cannot hang on a dead or stuck server.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { MODE_PINGPONG, MODE_CHURN, MODE_IDLE };
enum { ST_FREE, ST_CONNECTING, ST_ACTIVE, ST_HELD };

/* Offsets cycle through a prime so consecutive messages differ. */
#define PATTERN_PERIOD 251
/* Bound SYNs in flight so the listen queue never overflows into
 * 1-second SYN retransmits that would distort idle setup. */
#define MAX_PENDING_CONNECTS 256
#define CONNECT_PHASE_LIMIT_S 60.0

typedef struct {
    int fd;
    int state;
    size_t sent, recvd;
    unsigned offset; /* pattern offset of the message in flight */
    uint64_t t_start;
    uint64_t msgs;
} conn_t;

/* Log-linear latency histogram in ns: exact below 1024 ns, then 512
 * sub-buckets per power of two (relative error < 0.2%). */
#define SUB_BITS 9
#define SUB_COUNT (1u << SUB_BITS)
#define MAX_EXP 42
#define NBUCKETS (2 * SUB_COUNT + (MAX_EXP - SUB_BITS) * SUB_COUNT)

static uint64_t hist[NBUCKETS];
static uint64_t hist_count, hist_max;
static double hist_sum;

static struct sockaddr_in target;
static int mode, nconns, epfd;
static size_t msg_size;
static unsigned char *pattern, *rbuf;
static conn_t *conns;
static uint64_t requests, errors, connect_errors, bytes_moved;
static int measuring;
static volatile sig_atomic_t stop_flag;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static unsigned bucket_of(uint64_t v) {
    if (v < 2 * SUB_COUNT) return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v);
    if (e > MAX_EXP) e = MAX_EXP, v = (1ull << (MAX_EXP + 1)) - 1;
    unsigned shift = e - SUB_BITS;
    return 2 * SUB_COUNT + (e - SUB_BITS - 1) * SUB_COUNT +
           (unsigned)((v >> shift) - SUB_COUNT);
}

static double bucket_mid(unsigned b) {
    if (b < 2 * SUB_COUNT) return (double)b;
    unsigned rel = b - 2 * SUB_COUNT;
    unsigned e = rel / SUB_COUNT + SUB_BITS + 1;
    unsigned shift = e - SUB_BITS;
    uint64_t lo = ((uint64_t)(rel % SUB_COUNT + SUB_COUNT)) << shift;
    return (double)lo + (double)(1ull << shift) / 2.0;
}

static void record(uint64_t ns) {
    hist[bucket_of(ns)]++;
    hist_count++;
    hist_sum += (double)ns;
    if (ns > hist_max) hist_max = ns;
}

static double percentile_us(double q) {
    if (hist_count == 0) return 0.0;
    uint64_t rank = (uint64_t)(q * (double)hist_count);
    if (rank >= hist_count) rank = hist_count - 1;
    uint64_t seen = 0;
    for (unsigned b = 0; b < NBUCKETS; b++) {
        seen += hist[b];
        if (seen > rank) return bucket_mid(b) / 1000.0;
    }
    return (double)hist_max / 1000.0;
}

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "{\"error\":\"loadgen timed out\"}\n";
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(3);
}

static void on_term(int sig) { (void)sig; stop_flag = 1; }

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void close_conn(conn_t *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->state = ST_FREE;
}

static int pending_connects;

/* Start a non-blocking connect; the conn becomes writable once done. */
static int start_connect(conn_t *c) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int r = connect(fd, (struct sockaddr *)&target, sizeof target);
    if (r < 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                             .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->state = ST_CONNECTING;
    c->sent = c->recvd = 0;
    c->t_start = now_ns();
    pending_connects++;
    return 0;
}

static void begin_message(conn_t *c) {
    c->sent = c->recvd = 0;
    c->offset = (unsigned)((c - conns) + c->msgs * 7) % PATTERN_PERIOD;
    if (mode == MODE_PINGPONG) c->t_start = now_ns();
}

/* Push unsent bytes; return -1 on a socket error. */
static int pump_send(conn_t *c) {
    while (c->sent < msg_size) {
        ssize_t n = send(c->fd, pattern + c->offset + c->sent,
                         msg_size - c->sent, MSG_NOSIGNAL);
        if (n > 0) { c->sent += (size_t)n; continue; }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        return -1;
    }
    return 0;
}

/* Drain and verify echoed bytes; return 1 when the message is complete,
 * 0 to wait for more, -1 on error/EOF/mismatch. */
static int pump_recv(conn_t *c) {
    while (c->recvd < msg_size) {
        ssize_t n = recv(c->fd, rbuf, msg_size - c->recvd, 0);
        if (n > 0) {
            if (memcmp(rbuf, pattern + c->offset + c->recvd, (size_t)n) != 0)
                return -1;
            c->recvd += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        return -1; /* EOF before the full echo is an error too */
    }
    return 1;
}

static void complete_message(conn_t *c, uint64_t t) {
    c->msgs++;
    if (measuring) {
        requests++;
        bytes_moved += msg_size;
        record(t - c->t_start);
    }
}

static void fail(conn_t *c) {
    if (c->state == ST_CONNECTING) {
        pending_connects--;
        connect_errors++;
    }
    errors++;
    close_conn(c);
}

static void on_event(conn_t *c, uint32_t events) {
    if (c->state == ST_CONNECTING) {
        if (events & (EPOLLERR | EPOLLHUP)) { fail(c); return; }
        if (!(events & EPOLLOUT)) return;
        pending_connects--;
        c->state = ST_ACTIVE;
        begin_message(c);
    }
    if (c->state != ST_ACTIVE) return;
    /* Edge-triggered: retry both directions until each would block, and
     * loop so a completed pingpong message immediately starts the next. */
    for (;;) {
        if (pump_send(c) < 0) { fail(c); return; }
        int r = pump_recv(c);
        if (r < 0) { fail(c); return; }
        if (r == 0) return;
        uint64_t t = now_ns();
        if (mode == MODE_PINGPONG) {
            complete_message(c, t);
            begin_message(c);
            if (pump_send(c) < 0) { fail(c); return; }
            /* We consumed exactly what the server could have sent, so the
             * receive queue is empty: the echo's arrival is a fresh edge and
             * a speculative recv() would only return EAGAIN. Skipping it
             * keeps the load generator off the critical path longer. */
            if (c->sent == msg_size) return;
            continue;
        }
        if (mode == MODE_CHURN) {
            complete_message(c, t);
            close_conn(c);
        } else {
            complete_message(c, t);
            c->state = ST_HELD;
        }
        return;
    }
}

/* Reopen failed (pingpong) or finished (churn) slots, pacing connects. */
static void refill(void) {
    for (int i = 0; i < nconns && pending_connects < MAX_PENDING_CONNECTS; i++) {
        if (conns[i].state != ST_FREE) continue;
        if (start_connect(&conns[i]) < 0) {
            connect_errors++;
            errors++;
            return; /* e.g. EADDRNOTAVAIL: retry on the next tick */
        }
    }
}

static void poll_once(int timeout_ms) {
    static struct epoll_event evs[1024];
    int n = epoll_wait(epfd, evs, 1024, timeout_ms);
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events);
}

static int count_state(int st) {
    int k = 0;
    for (int i = 0; i < nconns; i++) k += conns[i].state == st;
    return k;
}

static void print_report(const char *modename, double secs, double cpu) {
    printf("{\"mode\":\"%s\",\"conns\":%d,\"size\":%zu,\"duration_s\":%.4f,"
           "\"requests\":%llu,\"rps\":%.1f,\"bytes\":%llu,"
           "\"lat_us\":{\"p50\":%.2f,\"p99\":%.2f,\"p999\":%.2f,"
           "\"mean\":%.2f,\"max\":%.2f},"
           "\"errors\":%llu,\"connect_errors\":%llu,\"loadgen_cpu_s\":%.4f}\n",
           modename, nconns, msg_size, secs, (unsigned long long)requests,
           secs > 0 ? (double)requests / secs : 0.0,
           (unsigned long long)bytes_moved, percentile_us(0.50),
           percentile_us(0.99), percentile_us(0.999),
           hist_count ? hist_sum / (double)hist_count / 1000.0 : 0.0,
           (double)hist_max / 1000.0, (unsigned long long)errors,
           (unsigned long long)connect_errors, cpu);
    fflush(stdout);
}

static void run_timed(const char *modename, double duration, double warmup) {
    uint64_t t0 = now_ns();
    uint64_t t_measure = t0 + (uint64_t)(warmup * 1e9);
    uint64_t t_end = t_measure + (uint64_t)(duration * 1e9);
    double cpu0 = 0;
    for (;;) {
        uint64_t t = now_ns();
        if (!measuring && t >= t_measure) {
            /* Drop warm-up errors so only the measured window counts. */
            errors = connect_errors = 0;
            measuring = 1;
            cpu0 = cpu_seconds();
            printf("{\"event\":\"start\"}\n");
            fflush(stdout);
        }
        if (t >= t_end || stop_flag) break;
        refill();
        poll_once(5);
    }
    double secs = (double)(now_ns() - t_measure) / 1e9;
    print_report(modename, secs, cpu_seconds() - cpu0);
}

static void run_idle(void) {
    measuring = 1;
    double cpu0 = cpu_seconds();
    uint64_t t0 = now_ns();
    uint64_t deadline = t0 + (uint64_t)(CONNECT_PHASE_LIMIT_S * 1e9);
    int opened = 0;
    while (now_ns() < deadline && !stop_flag) {
        /* Open each slot once; failures are counted, not retried. */
        while (opened < nconns && pending_connects < MAX_PENDING_CONNECTS) {
            if (start_connect(&conns[opened]) < 0) {
                connect_errors++;
                errors++;
            }
            opened++;
        }
        if (opened == nconns && count_state(ST_CONNECTING) == 0 &&
            count_state(ST_ACTIVE) == 0)
            break;
        poll_once(5);
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    int held = count_state(ST_HELD);
    printf("{\"mode\":\"idle\",\"conns\":%d,\"held\":%d,\"size\":%zu,"
           "\"setup_s\":%.4f,\"requests\":%llu,\"errors\":%llu,"
           "\"connect_errors\":%llu,\"lat_us\":{\"p50\":%.2f,\"p99\":%.2f,"
           "\"p999\":%.2f},\"loadgen_cpu_s\":%.4f}\n",
           nconns, held, msg_size, secs, (unsigned long long)requests,
           (unsigned long long)errors, (unsigned long long)connect_errors,
           percentile_us(0.50), percentile_us(0.99), percentile_us(0.999),
           cpu_seconds() - cpu0);
    fflush(stdout);
    /* Hold until the runner closes our stdin (or signals us). */
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    char tmp[256];
    while (!stop_flag) {
        int r = poll(&pfd, 1, 200);
        if (r > 0) {
            ssize_t n = read(0, tmp, sizeof tmp);
            if (n <= 0) break;
        }
    }
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s HOST PORT pingpong|churn|idle CONNS SIZE "
                        "DURATION WARMUP\n", argv[0]);
        return 2;
    }
    const char *modename = argv[3];
    if (strcmp(modename, "pingpong") == 0) mode = MODE_PINGPONG;
    else if (strcmp(modename, "churn") == 0) mode = MODE_CHURN;
    else if (strcmp(modename, "idle") == 0) mode = MODE_IDLE;
    else { fprintf(stderr, "bad mode %s\n", modename); return 2; }
    nconns = atoi(argv[4]);
    msg_size = (size_t)atol(argv[5]);
    double duration = atof(argv[6]), warmup = atof(argv[7]);
    if (nconns <= 0 || msg_size == 0 || duration <= 0 || warmup < 0) {
        fprintf(stderr, "bad numeric argument\n");
        return 2;
    }
    memset(&target, 0, sizeof target);
    target.sin_family = AF_INET;
    target.sin_port = htons((uint16_t)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) {
        fprintf(stderr, "bad host %s\n", argv[1]);
        return 2;
    }

    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    signal(SIGALRM, on_alarm);
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    /* Idle holds until told to stop, so its alarm also covers the hold. */
    unsigned limit = (unsigned)(CONNECT_PHASE_LIMIT_S + warmup + duration) + 30u;
    if (mode == MODE_IDLE) limit = (unsigned)CONNECT_PHASE_LIMIT_S + 300u;
    alarm(limit);

    pattern = malloc(msg_size + PATTERN_PERIOD);
    rbuf = malloc(msg_size);
    conns = calloc((size_t)nconns, sizeof *conns);
    if (!pattern || !rbuf || !conns) { perror("malloc"); return 1; }
    for (size_t i = 0; i < msg_size + PATTERN_PERIOD; i++)
        pattern[i] = (unsigned char)((i * 131u + 7u) & 0xff);
    for (int i = 0; i < nconns; i++) conns[i].fd = -1;

    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) { perror("epoll_create1"); return 1; }

    if (mode == MODE_IDLE) {
        run_idle();
    } else {
        if (mode == MODE_PINGPONG) {
            /* Connect everything before the clock starts so setup cost is
             * not billed to the warm-up or the measured window. */
            uint64_t deadline = now_ns() + (uint64_t)(CONNECT_PHASE_LIMIT_S * 1e9);
            measuring = 0;
            while (count_state(ST_ACTIVE) < nconns) {
                /* Refused connects fail fast, so a dead server trips this
                 * bound long before the deadline would. */
                if (now_ns() >= deadline ||
                    connect_errors > 10ull * (unsigned)nconns + 100ull) {
                    printf("{\"error\":\"could not connect all %d conns: %d active, "
                           "%llu connect errors\"}\n", nconns, count_state(ST_ACTIVE),
                           (unsigned long long)connect_errors);
                    return 1;
                }
                refill();
                poll_once(5);
            }
        }
        run_timed(modename, duration, warmup);
    }
    for (int i = 0; i < nconns; i++)
        if (conns[i].fd >= 0) close(conns[i].fd);
    return 0;
}
