import Crypto
import Foundation

/// The hash chain over a room's stored events: each link is SHA-256 of the previous link and the event's
/// stored payload, so that changing, removing or reordering any stored event breaks every later link.
public enum EventChain {
    /// The link before a room's first event.
    public static let genesis = ""

    /// The link of an event, lower-case hex.
    public static func link(previous: String, payload: String) -> String {
        // SHA-256 of `previous + "\n" + payload`, fed in three parts: no joined copy of the payload per event.
        var hasher = SHA256()
        func feed(_ text: String) {
            var text = text
            text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        feed(previous)
        feed("\n")
        feed(payload)
        return SHA256Hex.encode(hasher.finalize())
    }
}
