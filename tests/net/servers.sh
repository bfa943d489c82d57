# tests/net/servers.sh: what each network server VM holds, shared by the mote images
# (tests/net/make-images.sh) and the Linux guest (bench/linux/run-server.sh), so both
# run the same binaries with the same files and arguments. Source it, then call
# server_def NAME; it sets:
#   srv_prog   the host program (dynamic: its libraries are collected by mote build,
#              or by build/host/deps-list for the Linux guest)
#   srv_files  HOST:GUEST files to add
#   srv_dirs   HOSTDIR:GUESTDIR trees to add
#   srv_args   the program's arguments
#   srv_port   the guest port it listens on
#   srv_probe  what answers when it is up: http or redis or tcp
# Returns 1 for an unknown NAME. Also free_port and echo_answers, for the scripts that run them.
net_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
server_names="nginx redis pyhttp echo"
server_def() {
	srv_files=() srv_dirs=() srv_args=()
	case $1 in
	nginx)
		srv_prog=/usr/sbin/nginx
		srv_files=("$net_dir/nginx.conf:/etc/nginx/nginx.conf" "$net_dir/index.html:/srv/www/index.html")
		srv_args=(-c /etc/nginx/nginx.conf)
		srv_port=80 srv_probe=http ;;
	redis)
		srv_prog=/usr/bin/redis-server
		srv_files=("$net_dir/redis.conf:/etc/redis/redis.conf")
		srv_args=(/etc/redis/redis.conf)
		srv_port=6379 srv_probe=redis ;;
	pyhttp)
		srv_prog=/usr/bin/python3
		srv_files=("$net_dir/index.html:/srv/www/index.html")
		srv_dirs=("/usr/lib/python3.11:/usr/lib/python3.11")
		srv_args=(-m http.server 80 -d /srv/www)
		srv_port=80 srv_probe=http ;;
	echo)	# tests/net/echo-server.c, static (musl): TCP and UDP echo on port 7
		srv_prog=${BUILD:-$net_dir/../../build}/net/echo-server
		srv_args=()
		srv_port=7 srv_probe=tcp ;;
	*) return 1 ;;
	esac
}

# A free TCP port on 127.0.0.1 for a forwarded port (free when asked, as any such probe).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Whether the echo server behind host port $1 answers a line. QEMU's user networking accepts a
# forwarded connection before the guest does, so a bare connect proves nothing.
echo_answers() {
	python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
s.sendall(b"up?\n")
sys.exit(0 if s.recv(16) == b"up?\n" else 1)' "$1" 2>/dev/null
}
