import Foundation
import Synchronization
import Testing

/// The test databases do not pile up in the system's temporary directory.
@Suite struct TemporaryFolderTests {
    private struct Failure: Error {}

    @Test func aTestsFolderAndItsDatabasesAreRemovedWhenTheTestEndsEvenOnFailure() async throws {
        let paths = Mutex<[String]>([])
        await #expect(throws: Failure.self) {
            try await TemporaryFolder.withFolder {
                let database = try makeDatabase()
                try await database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (n INTEGER)") }
                let folder = try #require(TemporaryFolder.current).path
                #expect(FileManager.default.fileExists(atPath: database.path))
                paths.withLock { $0 = [folder, database.path, database.path + "-wal"] }
                throw Failure()
            }
        }
        let left = paths.withLock { $0 }
        #expect(left.count == 3)
        for path in left {
            #expect(!FileManager.default.fileExists(atPath: path), "\(path) was left behind")
        }
    }

    @Test func makingADatabaseOutsideTheTraitSaysWhatIsMissing() {
        #expect(TemporaryFolder.current == nil)
        #expect(throws: TemporaryFolder.Missing.self) { try makeDatabase() }
    }
}
