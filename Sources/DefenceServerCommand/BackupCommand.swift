import ArgumentParser
import DefenceStore
import Foundation

/// `defence-server backup FILE`: an online, consistent copy of the database.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database to a new file, consistently, while the server runs.",
        discussion: """
            Uses SQLite's online backup: the copy is the database as of one moment, whatever the server is \
            writing meanwhile, and its integrity is checked. Restore by stopping the server and putting the copy \
            in place of <data-dir>/defence.sqlite (removing defence.sqlite-wal and defence.sqlite-shm).
            """
    )

    @Argument(help: "The new file.")
    var file: String

    @Option(help: "The server's data folder.")
    var dataDir: String = "data"

    func run() async throws {
        let path = (dataDir as NSString).appendingPathComponent("defence.sqlite")
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        let database = try DefenceDatabase(path: path)
        let counts = try database.backup(to: file)
        say("backup written to \(file): \(counts.users) users, \(counts.rooms) rooms, \(counts.events) room events; integrity ok")
    }
}
