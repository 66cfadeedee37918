import DefenceCore
import DefenceStore
import Foundation

/// Serves referential versions from the database, decoding each version once.
actor ReferentialCatalog {
    private let store: ReferentialStore
    private var cache: [String: LoadedReferential] = [:]

    init(store: ReferentialStore) {
        self.store = store
    }

    /// The version named by a hash prefix (at least 8 hex characters), or the active one when `prefix` is nil.
    /// - Throws: `NOT_FOUND` for an unknown version or when none is active; `INVALID` for a short or ambiguous prefix.
    func referential(_ prefix: String?) async throws -> LoadedReferential {
        guard let prefix else {
            guard let active = try await store.active() else {
                throw DomainError(.notFound, "no referential is active; import one with 'defence-server referential import'")
            }
            return try await load(active.hash)
        }
        // Rooms name their version by its full hash: once loaded, no database round trip.
        if let cached = cache[prefix] { return cached }
        guard prefix.count >= 8, prefix.allSatisfy(\.isHexDigit) else {
            throw DomainError(.invalid, "ref must be at least 8 hexadecimal characters of a referential's hash")
        }
        let matches = try await store.versions(matching: prefix)
        switch matches.count {
        case 0: throw DomainError(.notFound, context: [prefix], "no referential version \(prefix)")
        case 1: return try await load(matches[0].hash)
        default: throw DomainError(.invalid, context: [prefix], "\(prefix) matches \(matches.count) versions; give more characters")
        }
    }

    private func load(_ hash: String) async throws -> LoadedReferential {
        if let cached = cache[hash] { return cached }
        guard let data = try await store.content(of: hash) else {
            throw DomainError(.notFound, context: [hash], "no referential version \(hash)")
        }
        let loaded = try ReferentialLoader.load(data)
        cache[hash] = loaded
        return loaded
    }
}
