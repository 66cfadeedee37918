import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The server's own command-latency histogram, read from its Prometheus endpoint: how long a room command took
/// inside the server (room lock, decision, durable commit, fan-out), without the network or the bench.
struct ServerHistogram {
    /// Cumulative counts per upper bound (seconds), as in `defence_command_seconds_bucket`.
    var buckets: [(bound: Double, count: Int)] = []
    var total = 0

    /// Reads `GET /metrics` from the loopback port.
    static func fetch(port: Int) -> ServerHistogram? {
        guard let text = httpGet(port: port, path: "/metrics") else { return nil }
        var histogram = ServerHistogram()
        for line in text.split(separator: "\n") where line.hasPrefix("defence_command_seconds_bucket{le=\"") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let count = Int(parts[1]) else { continue }
            let label = parts[0].dropFirst("defence_command_seconds_bucket{le=\"".count).dropLast(2)
            if label == "+Inf" {
                histogram.total = count
            } else if let bound = Double(label) {
                histogram.buckets.append((bound, count))
            }
        }
        return histogram
    }

    /// One counter or gauge of the same endpoint, such as `defence_room_events_total`.
    static func counter(_ name: String, port: Int) -> Int? {
        guard let text = httpGet(port: port, path: "/metrics") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// What was recorded between `earlier` and this one.
    func since(_ earlier: ServerHistogram) -> ServerHistogram {
        var result = ServerHistogram()
        result.total = total - earlier.total
        for (index, bucket) in buckets.enumerated() {
            let before = index < earlier.buckets.count ? earlier.buckets[index].count : 0
            result.buckets.append((bucket.bound, bucket.count - before))
        }
        return result
    }

    /// The smallest bucket bound under which at least `percentile` % of the commands fall (nil: above the last).
    func bound(atPercentile percentile: Double) -> Double? {
        guard total > 0 else { return nil }
        let needed = Double(total) * percentile / 100
        return buckets.first { Double($0.count) >= needed }?.bound
    }

    static func httpGet(port: Int, path: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { return nil }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            response.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }
}
