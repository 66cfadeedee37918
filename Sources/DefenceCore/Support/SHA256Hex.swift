import Crypto
import Foundation

/// SHA-256 digests written as lower-case hexadecimal: the form every stored hash takes (token hashes,
/// referential versions, grid hashes, event-chain links).
public enum SHA256Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The SHA-256 of `bytes`, 64 lower-case hex characters.
    public static func of(_ bytes: some DataProtocol) -> String {
        encode(SHA256.hash(data: bytes))
    }

    /// The SHA-256 of the UTF-8 of `text`.
    public static func of(_ text: String) -> String {
        of(Data(text.utf8))
    }

    /// `bytes` as lower-case hex.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var characters: [UInt8] = []
        characters.reserveCapacity(64)
        for byte in bytes {
            characters.append(digits[Int(byte >> 4)])
            characters.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: characters, as: UTF8.self)
    }
}
