import Foundation
import Testing

/// Gives each test of the suite it is attached to its own temporary folder, removed when the test ends, passed or
/// failed: `@Suite(.temporaryFolder)`. `makeDatabase()` creates its databases there, so a run of the tests leaves
/// nothing behind in the system's temporary directory (databases under load reach a gigabyte).
struct TemporaryFolder: SuiteTrait, TestTrait, TestScoping {
    /// The folder of the running test; nil outside a test of a suite marked `.temporaryFolder`.
    @TaskLocal static var current: URL?

    /// Applied to every test of the suite, each with its own folder.
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard !test.isSuite else {
            try await function()
            return
        }
        try await Self.withFolder(function)
    }

    /// Runs `body` with a fresh `current` folder and removes the folder and everything in it afterwards.
    static func withFolder(_ body: @Sendable () async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("defence-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { remove(folder) }
        try await $current.withValue(folder, operation: body)
    }

    /// Removes `folder`, again for up to two seconds while it is still there: a database of the test may still
    /// have a thread (its writer, its checkpointer) that reopens or writes a file after the test's last line, and
    /// then the removal fails (the folder was not empty) or the file comes back. One clean run left such a folder.
    static func remove(_ folder: URL) {
        for _ in 0..<40 {
            try? FileManager.default.removeItem(at: folder)
            guard FileManager.default.fileExists(atPath: folder.path) else { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// A fresh path for a file or folder inside the running test's folder.
    static func path(_ name: String) throws -> String {
        guard let folder = current else {
            throw Missing()
        }
        return folder.appendingPathComponent("\(name)-\(UUID().uuidString)").path
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "this test's suite needs the .temporaryFolder trait: @Suite(.temporaryFolder)" }
    }
}

extension Trait where Self == TemporaryFolder {
    /// Each test gets its own temporary folder, removed when it ends.
    static var temporaryFolder: Self { TemporaryFolder() }
}
