/* Test helper for privport's remedy tests: "bindport PORT" binds and listens on 0.0.0.0:PORT,
 * "bindport ping" opens an unprivileged ICMP echo socket. Prints "ok" and exits 0 on success,
 * else prints the error and exits 1. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: bindport PORT|ping\n");
    return 2;
  }
  if (strcmp(argv[1], "ping") == 0) {
    int fd = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (fd < 0) {
      printf("error: %s\n", strerror(errno));
      return 1;
    }
    printf("ok\n");
    return 0;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short) atoi(argv[1]));
  if (fd < 0 || bind(fd, (struct sockaddr *) &addr, sizeof addr) != 0 || listen(fd, 1) != 0) {
    printf("error: %s\n", strerror(errno));
    return 1;
  }
  printf("ok\n");
  close(fd);
  return 0;
}
