"""Offers UDP frames from a lab guest's generator namespace to the device under test, for ./sluice lab --traffic.

offer.py IFACE DST_MAC SRC_IP DST_IP COUNT RATE [FLOWS]

Sends COUNT 60-byte IPv4/UDP frames (40000 -> 9; with FLOWS, source ports 40000 to 40000 + FLOWS - 1 in turn, for a
NIC's RSS to spread) from IFACE through an AF_PACKET socket that bypasses the qdisc,
so a frame the driver cannot take now is refused (ENOBUFS) and sent again rather than lost: every frame counted
here was handed to the driver. Prints one line with the count and IFACE's tx_packets delta, which must agree.
"""
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_QDISC_BYPASS = 20


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src_mac, dst_mac, src_ip, dst_ip, src_port):
    payload = bytes(18)
    udp = struct.pack("!HHHH", src_port, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def tx_packets(iface):
    with open("/sys/class/net/%s/statistics/tx_packets" % iface) as f:
        return int(f.read())


def main():
    iface, dst, src_ip, dst_ip, count, rate = sys.argv[1:7]
    count, rate = int(count), int(rate)
    flows = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    with open("/sys/class/net/%s/address" % iface) as f:
        src_mac = bytes.fromhex(f.read().strip().replace(":", ""))
    frames = [frame(src_mac, bytes.fromhex(dst.replace(":", "")), src_ip, dst_ip, 40000 + f) for f in range(flows)]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    s.bind((iface, 0))
    before = tx_packets(iface)
    start = time.monotonic()
    sent = refused = 0
    while sent < count:
        due = start + sent / rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        try:
            s.send(frames[sent % flows])
            sent += 1
        except (BlockingIOError, OSError):
            refused += 1
            time.sleep(0.0005)
    elapsed = time.monotonic() - start
    time.sleep(0.2)
    print("offered %d frames from gen:%s to %s in %.1f s (%s tx_packets +%d, %d sends refused and retried)"
          % (sent, iface, dst, elapsed, iface, tx_packets(iface) - before, refused), flush=True)


if __name__ == "__main__":
    main()
