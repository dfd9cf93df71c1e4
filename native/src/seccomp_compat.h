/* seccomp user-notification constants from Linux 6.6 that not every
 * distribution's headers have yet (Debian 12 ships 6.1 headers). */
#ifndef INTERCEPTOR_SECCOMP_COMPAT_H
#define INTERCEPTOR_SECCOMP_COMPAT_H
#include <linux/seccomp.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1UL
#endif

#endif
