# lwIP (-Os, one section per function so the link drops what mote never
# calls), built into the kernel from Debian's source package (fetched into
# $(BUILD)/lwip by tools/fetch-lwip.sh, pinned and checksummed there), and
# our port of it. lwIP's own files are compiled without our warning flags
# (they are not our code to fix); the port and net/ files that include
# lwIP headers get its include paths and wait for the fetch.
LWIP_SRC := $(BUILD)/lwip/src/src
LWIP_STAMP := $(BUILD)/lwip/VERSION
LWIP_INC := -Inet/port -Inet/port/libc -I$(LWIP_SRC)/include

lwip-srcs := core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c \
	core/udp.c \
	core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4_frag.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c \
	core/ipv6/ethip6.c core/ipv6/icmp6.c core/ipv6/inet6.c core/ipv6/ip6.c core/ipv6/ip6_addr.c \
	core/ipv6/ip6_frag.c core/ipv6/mld6.c core/ipv6/nd6.c \
	netif/ethernet.c
lwip-objs := $(patsubst %.c,$(BUILD)/lwip/obj/%.o,$(lwip-srcs))
kernel-extra-objs += $(lwip-objs)

# Our files that include lwIP headers.
lwip-port-srcs := net/port/sys_arch.c net/port/frame.c net/port/dhcp_dns.c net/net.c net/inet.c
kernel-srcs += $(lwip-port-srcs)
lwip-port-objs := $(patsubst %.c,$(BUILD)/k/%.o,$(lwip-port-srcs))
$(lwip-port-objs): KCFLAGS += $(LWIP_INC)
$(lwip-port-objs): | $(LWIP_STAMP)

$(LWIP_STAMP): tools/fetch-lwip.sh $(wildcard tools/net-patches/*.patch)
	$(Q)tools/fetch-lwip.sh $(BUILD)/lwip && touch $@
$(addprefix $(LWIP_SRC)/,$(lwip-srcs)): $(LWIP_STAMP) ;

$(BUILD)/lwip/obj/%.o: $(LWIP_SRC)/%.c net/port/lwipopts.h net/port/arch/cc.h net/port/build.mk
	@mkdir -p $(dir $@)
	@echo "  CC      lwip/$*.c"
	$(Q)$(CC) $(filter-out $(WARN) -O2,$(KCFLAGS)) -Os -ffunction-sections -fdata-sections -w $(LWIP_INC) -c $< -o $@
