import Foundation

/// The machine's TCP counters that tell whether a storm of connections was queued or dropped (Linux: read from
/// `/proc/net/netstat` and `/proc/net/snmp`, the counters `nstat` shows). They count the whole machine: the bench
/// and its server are meant to be alone on it.
struct TCPCounters: Sendable {
    /// Connections dropped because a listening socket's accept queue was full (`TcpExt ListenOverflows`).
    var listenOverflows: Int
    /// TCP segments sent again (`Tcp RetransSegs`): among them the handshakes of dropped connections.
    var retransmittedSegments: Int

    /// The counters now, or nil where the files are missing (not Linux).
    static func read() -> TCPCounters? {
        guard let overflows = counter("ListenOverflows", table: "TcpExt:", file: "/proc/net/netstat"),
            let retransmitted = counter("RetransSegs", table: "Tcp:", file: "/proc/net/snmp")
        else { return nil }
        return TCPCounters(listenOverflows: overflows, retransmittedSegments: retransmitted)
    }

    /// What happened between `earlier` and `self`.
    func since(_ earlier: TCPCounters) -> TCPCounters {
        TCPCounters(listenOverflows: listenOverflows - earlier.listenOverflows, retransmittedSegments: retransmittedSegments - earlier.retransmittedSegments)
    }

    /// These files hold each table as two lines that start with its name: the counters' names, then their values.
    static func counter(_ name: String, table: String, file: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        let rows = text.split(separator: "\n").filter { $0.hasPrefix(table + " ") }.map { $0.split(separator: " ").dropFirst() }
        guard rows.count == 2, let index = rows[0].firstIndex(where: { $0 == name }) else { return nil }
        let values = Array(rows[1])
        let position = index - rows[0].startIndex
        return position < values.count ? Int(values[position]) : nil
    }
}
