# fs/: open files and the file kinds that need no filesystem (pipes, eventfd, timerfd, epoll).
kernel-srcs += fs/file.c fs/poll.c fs/pipe.c fs/eventfd.c fs/timerfd.c fs/epoll.c
