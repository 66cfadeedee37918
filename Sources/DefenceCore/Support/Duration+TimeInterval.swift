import Foundation

extension Duration {
    /// The duration in seconds, as a `TimeInterval` (what rates, deadlines and latency histograms count in).
    public var timeInterval: TimeInterval {
        TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18
    }
}
