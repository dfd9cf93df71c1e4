/* Network benchmark sender (the "P2P app"): sends to 127.0.0.1:PORT as fast as the
 * socket allows, with plain send()/sendto() so LD_PRELOAD shapers (trickle) see it too.
 * usage: sender tcp|udp PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sender tcp|udp PORT\n");
    return 2;
  }
  int udp = strcmp(argv[1], "udp") == 0;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[2]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int s = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (s < 0) return 1;
  static char buf[16384];
  memset(buf, 7, sizeof buf);
  if (!udp) {
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) return 1;
    for (;;)
      if (send(s, buf, sizeof buf, 0) < 0) return 0;
  }
  for (;;) sendto(s, buf, 1400, 0, (struct sockaddr *)&a, sizeof a);
}
