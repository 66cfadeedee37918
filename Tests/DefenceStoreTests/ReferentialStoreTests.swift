import DefenceCore
import DefenceStore
import Foundation
import Testing

@Suite(.temporaryFolder) struct ReferentialStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func variant(_ source: String) throws -> LoadedReferential {
        var json = try #require(try JSONSerialization.jsonObject(with: try ReferentialLoader.bundled().data) as? [String: Any])
        json["source"] = source
        return try ReferentialLoader.load(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
    }

    @Test func bundledIsInstalledAndActivatedOnAFreshDatabase() async throws {
        let store = ReferentialStore(database: try makeDatabase())
        let bundled = try ReferentialLoader.bundled()
        #expect(try await store.active() == nil)
        #expect(try await store.installBundled(bundled, now: t0))
        #expect(try await store.active()?.hash == bundled.hash)
        #expect(try await store.content(of: bundled.hash) == bundled.data)
        // Installing the same version again changes nothing.
        #expect(try await store.installBundled(bundled, now: t0.addingTimeInterval(5)) == false)
        #expect(try await store.list().count == 1)
    }

    @Test func anImportBecomesActiveAndStaysActiveAcrossRestarts() async throws {
        let store = ReferentialStore(database: try makeDatabase())
        let bundled = try ReferentialLoader.bundled()
        try await store.installBundled(bundled, now: t0)
        let imported = try variant("edition 2")
        #expect(try await store.importReferential(imported, now: t0.addingTimeInterval(10)))
        #expect(try await store.active()?.hash == imported.hash)
        // A restart installs the bundled version again: the operator's import stays active.
        #expect(try await store.installBundled(bundled, now: t0.addingTimeInterval(20)) == false)
        #expect(try await store.active()?.hash == imported.hash)
        // Both versions stay available, unchanged, for the rooms that use them.
        #expect(try await store.content(of: bundled.hash) == bundled.data)
        #expect(try await store.list().map(\.hash) == [imported.hash, bundled.hash])
    }

    @Test func aNewerBundledVersionReplacesAnOlderBundledOne() async throws {
        let store = ReferentialStore(database: try makeDatabase())
        let old = try variant("bundled in release 1")
        try await store.installBundled(old, now: t0)
        let new = try variant("bundled in release 2")
        #expect(try await store.installBundled(new, now: t0.addingTimeInterval(60)))
        #expect(try await store.active()?.hash == new.hash)
        #expect(try await store.active()?.origin == .bundled)
    }

    @Test func reimportingAnOlderVersionReactivatesIt() async throws {
        let store = ReferentialStore(database: try makeDatabase())
        let first = try variant("a")
        let second = try variant("b")
        try await store.importReferential(first, now: t0)
        try await store.importReferential(second, now: t0.addingTimeInterval(1))
        #expect(try await store.importReferential(first, now: t0.addingTimeInterval(2)) == false)
        #expect(try await store.active()?.hash == first.hash)
    }

    @Test func versionsByHashPrefix() async throws {
        let store = ReferentialStore(database: try makeDatabase())
        let bundled = try ReferentialLoader.bundled()
        try await store.installBundled(bundled, now: t0)
        #expect(try await store.versions(matching: String(bundled.hash.prefix(10))).map(\.hash) == [bundled.hash])
        #expect(try await store.versions(matching: String(bundled.hash.prefix(10)).uppercased()).count == 1)
        #expect(try await store.versions(matching: "00000000").isEmpty)
    }
}
