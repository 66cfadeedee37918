import Foundation

/// The hash chain over a room's stored events: each link is SHA-256 of the previous link and the event's
/// stored payload, so that changing, removing or reordering any stored event breaks every later link.
public enum EventChain {
    /// The link before a room's first event.
    public static let genesis = ""

    /// The link of an event, lower-case hex.
    public static func link(previous: String, payload: String) -> String {
        SHA256Hex.of(previous + "\n" + payload)
    }
}
