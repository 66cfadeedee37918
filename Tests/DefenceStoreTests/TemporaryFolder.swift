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
        defer { try? FileManager.default.removeItem(at: folder) }
        try await $current.withValue(folder, operation: body)
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
