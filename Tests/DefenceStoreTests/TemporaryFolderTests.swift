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

    @Test func aFolderStillWrittenToAfterTheTestIsRemovedOnceTheWritingStops() async throws {
        let folder = Mutex<URL?>(nil)
        try await TemporaryFolder.withFolder {
            let current = try #require(TemporaryFolder.current)
            folder.withLock { $0 = current }
            // A late writer, like a database's thread after the test's last line: for 300 ms it keeps adding
            // files, so a single removal finds the folder not empty (or the listing already stale).
            Thread.detachNewThread {
                let until = Date().addingTimeInterval(0.3)
                var index = 0
                while Date() < until {
                    let file = current.appendingPathComponent("late-\(index)")
                    guard FileManager.default.createFile(atPath: file.path, contents: Data([1])) else { return }
                    index += 1
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let left = try #require(folder.withLock { $0 })
        #expect(!FileManager.default.fileExists(atPath: left.path), "\(left.path) was left behind")
        TemporaryFolder.remove(left)
    }

    @Test func makingADatabaseOutsideTheTraitSaysWhatIsMissing() {
        #expect(TemporaryFolder.current == nil)
        #expect(throws: TemporaryFolder.Missing.self) { try makeDatabase() }
    }
}
