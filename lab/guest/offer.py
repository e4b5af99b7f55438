"""Offers UDP frames from a lab guest's generator namespace to the device under test, for ./sluice lab --traffic.

offer.py IFACE DST_MAC SRC_IP DST_IP COUNT RATE [FLOWS [SIZES]]

Sends COUNT 60-byte IPv4/UDP frames (40000 -> 9; with FLOWS, source port flow_port(f) for flow f in turn, for a NIC's
RSS to spread; with SIZES, a comma-separated list of frame sizes in bytes taken in turn, for jumbo frames; the
UDP payload's byte k is k & 0xff) from IFACE through an AF_PACKET socket that bypasses the qdisc,
so a frame the driver cannot take now is refused (ENOBUFS) and sent again rather than lost: every frame counted
here was handed to the driver. Prints one line with the count and IFACE's tx_packets delta, which must agree once
the driver has counted its completions.
"""
import socket
import struct
import sys
import time

SOL_PACKET = 263


def flow_port(flow):
    """Flow f's source port, as LabGuest.flowPort has it: 40000 for flow 0, the others spread by a multiplier whose
    carries mix the bits. Ports 40000 + f differ in their low bits only, and RSS's Toeplitz hash, linear in the bits,
    puts them in a small subspace that a boot's random key kept off one of igb's five queues in one CI run (a
    simulation over random keys: 4.5% of boots leave a queue without flows; with this spread, under 0.1%)."""
    return 40000 + (flow * 7919) % 25000
PACKET_QDISC_BYPASS = 20


def checksum(data):
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src_mac, dst_mac, src_ip, dst_ip, src_port, size):
    payload = bytes(k & 0xFF for k in range(size - 42))
    udp = struct.pack("!HHHH", src_port, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def tx_packets(iface):
    with open("/sys/class/net/%s/statistics/tx_packets" % iface) as f:
        return int(f.read())


def settled(iface, before, sent):
    """IFACE's tx_packets delta once it reaches SENT or stops moving for 2 s: virtio_net counts a frame when the
    host hands its buffer back, which under TCG can come a second or more after the send."""
    last, last_change = tx_packets(iface) - before, time.monotonic()
    while last < sent and time.monotonic() - last_change < 2.0:
        time.sleep(0.05)
        now = tx_packets(iface) - before
        if now != last:
            last, last_change = now, time.monotonic()
    return last


def main():
    iface, dst, src_ip, dst_ip, count, rate = sys.argv[1:7]
    count, rate = int(count), int(rate)
    flows = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    sizes = [int(size) for size in sys.argv[8].split(",")] if len(sys.argv) > 8 else [60]
    with open("/sys/class/net/%s/address" % iface) as f:
        src_mac = bytes.fromhex(f.read().strip().replace(":", ""))
    dst_mac = bytes.fromhex(dst.replace(":", ""))
    frames = [frame(src_mac, dst_mac, src_ip, dst_ip, flow_port(f % flows), sizes[f % len(sizes)])
              for f in range(flows * len(sizes))]
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
            s.send(frames[sent % len(frames)])
            sent += 1
        except (BlockingIOError, OSError):
            refused += 1
            time.sleep(0.0005)
    elapsed = time.monotonic() - start
    sent_by_nic = settled(iface, before, sent)
    print("offered %d frames from gen:%s to %s in %.1f s (%s tx_packets +%d, %d sends refused and retried)"
          % (sent, iface, dst, elapsed, iface, sent_by_nic, refused), flush=True)


if __name__ == "__main__":
    main()
