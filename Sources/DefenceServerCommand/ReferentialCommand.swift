import ArgumentParser
import DefenceCore
import DefenceServer
import DefenceStore
import Foundation

/// `defence-server referential …`: check, import, list and export referential files.
struct ReferentialCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "referential",
        abstract: "Check, import, list and export certification referentials.",
        discussion: """
            A referential is a JSON file (format defence-referential/1) holding the certification's blocks, \
            competences, criteria, épreuves and specialisations. The server ships one (RNCP Expert en \
            informatique et système d'information); 'export --bundled' writes it out as a template. \
            Rooms keep the exact version (SHA-256 of the file) they were created with, so importing a \
            new version never changes a past evaluation.
            """,
        subcommands: [Check.self, Import.self, List.self, Export.self]
    )

    /// `referential check FILE`.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a referential file and print a summary, or every problem found (exit status 1)."
        )

        @Argument(help: "The JSON referential file.")
        var file: String

        func run() async throws {
            let loaded = try load(file)
            say(summary(loaded))
        }
    }

    /// `referential import FILE`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a referential file, store it, and make it the referential of new rooms.",
            discussion: "Works while the server runs: new rooms pick the imported version at once."
        )

        @Argument(help: "The JSON referential file.")
        var file: String

        @Option(help: "The server's data folder.")
        var dataDir: String = "data"

        func run() async throws {
            let loaded = try load(file)
            let database = try openDatabase(dataDir)
            try await ServerSetup.installBundledReferential(database: database, now: Date())
            let isNew = try await ReferentialStore(database: database).importReferential(loaded, now: Date())
            say(summary(loaded))
            say(isNew ? "Imported; new rooms now use this version." : "Already stored; new rooms now use this version again.")
        }
    }

    /// `referential list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored referential versions; the active one is marked '*'.")

        @Option(help: "The server's data folder.")
        var dataDir: String = "data"

        func run() async throws {
            let database = try openDatabase(dataDir)
            try await ServerSetup.installBundledReferential(database: database, now: Date())
            let versions = try await ReferentialStore(database: database).list()
            let active = versions.first { $0.activatedAt != nil }?.hash
            for version in versions {
                let mark = version.hash == active ? "*" : " "
                say("\(mark) \(version.hash.prefix(16))  \(version.origin.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  \(version.referentialID)  \(version.title)")
            }
        }
    }

    /// `referential export`.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a referential file to standard output: the bundled one, or a stored version."
        )

        @Flag(help: "Export the referential shipped with the server.")
        var bundled = false

        @Argument(help: "The hash (or its first 8+ characters) of a stored version; the active one when omitted.")
        var hash: String?

        @Option(help: "The server's data folder.")
        var dataDir: String = "data"

        func run() async throws {
            let data: Data
            if bundled {
                data = try ReferentialLoader.bundled().data
            } else {
                let database = try openDatabase(dataDir)
                try await ServerSetup.installBundledReferential(database: database, now: Date())
                let store = ReferentialStore(database: database)
                let version: StoredReferential?
                if let hash {
                    let matches = try await store.versions(matching: hash)
                    guard matches.count <= 1 else { throw ValidationError("\(hash) matches \(matches.count) versions") }
                    version = matches.first
                } else {
                    version = try await store.active()
                }
                guard let version, let content = try await store.content(of: version.hash) else {
                    throw ValidationError("no such referential version")
                }
                data = content
            }
            FileHandle.standardOutput.write(data)
        }
    }
}

/// Reads and validates a referential file, turning every fault into a readable error.
func load(_ file: String) throws -> LoadedReferential {
    guard let data = FileManager.default.contents(atPath: file) else {
        throw ValidationError("cannot read \(file)")
    }
    do {
        return try ReferentialLoader.load(data)
    } catch {
        throw ReferentialCheckFailure(file: file, error: error)
    }
}

func openDatabase(_ dataDir: String) throws -> DefenceDatabase {
    try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return try DefenceDatabase(path: (dataDir as NSString).appendingPathComponent("defence.sqlite"))
}

func summary(_ loaded: LoadedReferential) -> String {
    let referential = loaded.referential
    return """
        \(referential.title) (\(referential.id))
          \(referential.blocks.count) blocks, \(referential.competences.count) competences, \(referential.criteriaCount) criteria, \(referential.epreuves.count) épreuves, \(referential.specialisations.count) specialisations
          sha256 \(loaded.hash)
        """
}

/// A referential file was refused; printed as one line per problem.
struct ReferentialCheckFailure: Error, CustomStringConvertible {
    let file: String
    let error: ReferentialError

    var description: String { "\(file): \(error)" }
}
