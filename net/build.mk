# net/: sockets (include/mote/socket.h, docs/net.md): the generic layer and AF_UNIX.
net-srcs := net/socket.c net/unix.c
kernel-srcs += $(net-srcs)
