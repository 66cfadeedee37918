import DefenceClient
import DefenceServer
import DefenceStore
import NIOSSL
import DefenceProtocol
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `defence-server` and `defence` executables, as a person would from a fresh checkout.
@Suite(.serialized) struct ProcessTests {
    /// The folder holding the built products (next to the test bundle).
    static var productsFolder: URL {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On Linux the test bundle is an executable inside the products folder; on macOS a bundle deeper in it.
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("defence-server").path),
            folder.path != "/"
        {
            folder.deleteLastPathComponent()
        }
        return folder
    }

    static func product(_ name: String) throws -> URL {
        let url = productsFolder.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw ProcessTestError("\(name) was not built next to the tests (looked in \(productsFolder.path))")
        }
        return url
    }

    struct ProcessTestError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// A running server process with its output captured in files.
    final class ServerProcess {
        let process = Process()
        let folder: URL
        let stdoutURL: URL

        init(folder: URL, arguments: [String]) throws {
            self.folder = folder
            stdoutURL = folder.appendingPathComponent("stdout-\(UUID().uuidString).txt")
            _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
            process.executableURL = try ProcessTests.product("defence-server")
            process.arguments = arguments
            process.currentDirectoryURL = folder
            process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var output: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

        /// Waits for the "listening on host:port" line and returns the port.
        func waitForPort() async throws -> Int {
            for _ in 0..<300 {
                if let line = output.split(separator: "\n").first(where: { $0.contains(" listening on ") }),
                    let port = line.split(separator: " ").first(where: { $0.contains(":") })?.split(separator: ":").last,
                    let number = Int(port)
                {
                    return number
                }
                guard process.isRunning else { throw ProcessTestError("server exited early: \(output)") }
                try await Task.sleep(for: .milliseconds(50))
            }
            throw ProcessTestError("server did not report its port: \(output)")
        }

        func waitForExit(timeout: Duration = .seconds(15)) async throws -> Int32 {
            let deadline = ContinuousClock.now + timeout
            while process.isRunning {
                guard ContinuousClock.now < deadline else {
                    process.terminate()
                    throw ProcessTestError("server did not exit in time")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return process.terminationStatus
        }
    }

    /// A new empty folder under the temporary directory (the caller removes it).
    static func scratchFolder(_ prefix: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func permissions(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func freshCheckoutStartsServesAndStopsOnSIGTERM() async throws {
        let folder = try Self.scratchFolder("defence-process")
        defer { try? FileManager.default.removeItem(at: folder) }

        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()

        // Embedded defaults: database, development certificates, first admin with its token file.
        let tokenPath = folder.appendingPathComponent("data/admin.token").path
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(server.output.contains(token), "the first admin's token is printed once")
        #expect(try Self.permissions(tokenPath) == 0o600)
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/defence.sqlite").path))
        for name in ["ca.pem", "server.pem"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("Certs/\(name)").path))
        }
        for name in ["ca-key.pem", "server-key.pem"] {
            #expect(try Self.permissions(folder.appendingPathComponent("Certs/\(name)").path) == 0o600)
        }
        let caPath = folder.appendingPathComponent("Certs/ca.pem").path

        // The client executable, as in the README.
        let client = Process()
        client.executableURL = try Self.product("defence")
        client.arguments = ["--server", "127.0.0.1:\(port)", "--ca", caPath, "--token-file", tokenPath, "whoami"]
        let pipe = Pipe()
        client.standardOutput = pipe
        try client.run()
        let clientOutput = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        #expect(client.terminationStatus == 0)
        #expect(clientOutput.contains("OK WHOAMI admin admin :Administrator"), "\(clientOutput)")

        // A live session is told about the shutdown; the process exits 0.
        let session = try await LineConnection.connect(host: "127.0.0.1", port: port, tls: ClientTLS.configuration(caFile: caPath))
        _ = try await session.nextLine()
        try await session.send("AUTH \(token)")
        #expect(try await session.nextLine().hasPrefix("OK AUTH admin"))
        kill(server.process.processIdentifier, SIGTERM)
        let lines = try await session.waitForClose(timeout: .seconds(10))
        #expect(lines == ["FAIL * SHUTTING_DOWN :server is shutting down"])
        #expect(try await server.waitForExit() == 0)
        #expect(server.output.contains("defence-server stopped"))

        // A restart reuses the data and the certificates and creates no second admin.
        let caBefore = try String(contentsOfFile: caPath, encoding: .utf8)
        let again = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port2 = try await again.waitForPort()
        #expect(!again.output.contains("First admin created"))
        #expect(try String(contentsOfFile: caPath, encoding: .utf8) == caBefore)
        let relogin = try await DefenceConnection.connect(host: "127.0.0.1", port: port2, tls: ClientTLS.configuration(caFile: caPath))
        #expect(try await relogin.authenticate(token: token).parameters.prefix(2) == ["AUTH", "admin"])
        await relogin.close()
        kill(again.process.processIdentifier, SIGINT)
        #expect(try await again.waitForExit() == 0)
    }

    @Test func badOptionsAreRefusedWithAClearMessage() async throws {
        let process = Process()
        process.executableURL = try Self.product("defence-server")
        process.arguments = ["--cert", "/nonexistent.pem"]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let error = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(error.contains("--cert and --key go together"), "\(error)")
    }

    /// Runs `defence-server` with `arguments` in `folder`; returns exit status, standard output and error.
    static func run(_ arguments: [String], in folder: URL) throws -> (status: Int32, out: String, err: String) {
        try launch("defence-server", arguments, in: folder)
    }

    /// Runs a built product in `folder`, with `environment` added to this process's; returns its exit status, standard
    /// output and standard error.
    static func launch(_ product: String, _ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try Self.product(product)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = folder
        let out = folder.appendingPathComponent("out-\(UUID().uuidString)")
        let err = folder.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    @Test func referentialCheckImportListExport() throws {
        let folder = try Self.scratchFolder("defence-ref")
        defer { try? FileManager.default.removeItem(at: folder) }

        let exported = try Self.run(["referential", "export", "--bundled"], in: folder)
        #expect(exported.status == 0)
        try exported.out.write(to: folder.appendingPathComponent("ref.json"), atomically: true, encoding: .utf8)

        let check = try Self.run(["referential", "check", "ref.json"], in: folder)
        #expect(check.status == 0)
        #expect(check.out.contains("7 blocks, 47 competences, 176 criteria"))

        let broken = exported.out
            .replacingOccurrences(of: "\"code\": \"A1C2\"", with: "\"code\": \"A1C1\"")
            .replacingOccurrences(of: "\"task\": \"A7T1\"", with: "\"task\": \"A7T9\"")
        try broken.write(to: folder.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let refused = try Self.run(["referential", "check", "broken.json"], in: folder)
        #expect(refused.status != 0)
        #expect(refused.err.contains("A1C1: code is used twice"), "\(refused.err)")
        #expect(refused.err.contains("A7C1: task 'A7T9' does not exist"), "\(refused.err)")
        #expect(refused.err.contains("A7C2: task 'A7T9' does not exist"), "\(refused.err)")

        let edition2 = exported.out.replacingOccurrences(of: "seed 000_853fdd63f66e15ed", with: "seed 000_853fdd63f66e15ed, édition 2")
        try edition2.write(to: folder.appendingPathComponent("edition2.json"), atomically: true, encoding: .utf8)
        let imported = try Self.run(["referential", "import", "edition2.json", "--data-dir", "data"], in: folder)
        #expect(imported.status == 0, "\(imported.err)")
        #expect(imported.out.contains("Imported; new rooms now use this version."))
        let list = try Self.run(["referential", "list", "--data-dir", "data"], in: folder)
        let rows = list.out.split(separator: "\n")
        #expect(rows.count == 2)
        #expect(rows.first?.hasPrefix("* ") == true && rows.first?.contains("imported") == true)
        #expect(rows.last?.contains("bundled") == true)
        let active = try Self.run(["referential", "export", "--data-dir", "data"], in: folder)
        #expect(active.out == edition2)
    }

    /// Connects as the first admin of the server in `folder` and creates camille and paul (jurors) and lea
    /// (candidate), returning the admin's connection, the TLS settings and the three tokens.
    static func adminWithParticipants(folder: URL, port: Int) async throws -> (admin: DefenceConnection, tls: TLSConfiguration, tokens: [String: String]) {
        let tls = ClientTLS.configuration(caFile: folder.appendingPathComponent("Certs/ca.pem").path)
        let adminToken = try String(contentsOfFile: folder.appendingPathComponent("data/admin.token").path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try await DefenceConnection.connect(host: "127.0.0.1", port: port, tls: tls)
        try await admin.authenticate(token: adminToken)
        var tokens: [String: String] = [:]
        for (id, role) in [("camille", "juror"), ("paul", "juror"), ("lea", "candidate")] {
            _ = try await admin.request(.userCreate(user: id, role: role, email: nil, displayName: id))
            let issued = try await admin.request(.tokenIssue(user: id, expiry: nil, label: nil)).terminal
            tokens[id] = try #require(TokenIssuedReply(issued)).token
        }
        return (admin, tls, tokens)
    }

    @Test func aRunningTimerSurvivesSIGKILL() async throws {
        let folder = try Self.scratchFolder("defence-kill")
        defer { try? FileManager.default.removeItem(at: folder) }

        let first = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await first.waitForPort()
        let (admin, tls, tokens) = try await Self.adminWithParticipants(folder: folder, port: port)
        let start = WireTime.format(Date())
        _ = try await admin.request(.roomCreate(
            room: "r1", kind: "team",
            options: ["start": start, "candidates": "lea", "jurors": "camille,paul", "president": "camille", "block": "A1"],
            title: nil
        ))
        let juror = try await DefenceConnection.connect(host: "127.0.0.1", port: port, tls: tls)
        try await juror.authenticate(token: tokens["camille"]!)
        _ = try await juror.request(.join(room: "r1"))
        _ = try await juror.request(.timerStart(room: "r1"))
        let before = try await juror.request(.time(room: "r1")).terminal
        let endsAt = try #require(before.parameters.first { $0.hasPrefix("ends-at=") })
        let shown = try await juror.request(.roomShow(room: "r1"))
        let seqText = try #require(shown.data.first?.parameters.first { $0.hasPrefix("seq=") })
        let seqBefore = try #require(Int(seqText.dropFirst(4)))

        // Kill it hard: no shutdown, no last heartbeat.
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.waitForExit()

        let second = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port2 = try await second.waitForPort()
        let back = try await DefenceConnection.connect(host: "127.0.0.1", port: port2, tls: tls)
        try await back.authenticate(token: tokens["camille"]!)
        let after = try await back.request(.time(room: "r1")).terminal
        #expect(after.okArguments?[1] == "running")
        #expect(after.parameters.contains(endsAt), "the deadline was persisted: \(after.serialized)")
        // The room, its sequence numbers and the downtime are intact.
        let ledger = try await back.request(.outages(room: "r1"))
        #expect(ledger.data.count == 1)
        #expect(ledger.data.first.flatMap(OutageLine.init).map { $0.user == nil } == true, "a server downtime")
        let resumed = try await back.request(.resume(room: "r1", lastSeq: seqBefore))
        #expect(resumed.terminal.parameters.last == "replayed=1", "the downtime: \(resumed.terminal.serialized)")
        let show = try await back.request(.roomShow(room: "r1"))
        #expect(show.data[0].parameters.contains("seq=\(seqBefore + 2)"), "downtime, then Camille's return")
        await back.close()
        kill(second.process.processIdentifier, SIGTERM)
        #expect(try await second.waitForExit() == 0)
    }

    /// Runs the `defence` client with `arguments`; returns exit status, standard output and standard error.
    static func run(client arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try launch("defence", arguments, in: folder, environment: environment)
    }

    /// Runs the `defence` client with `arguments`; returns exit status and standard output.
    static func client(_ arguments: [String], in folder: URL, environment: [String: String] = [:]) throws -> (status: Int32, out: String) {
        let result = try launch("defence", arguments, in: folder, environment: environment)
        return (result.status, result.out)
    }

    @Test func adminClientCertificateFromTheCommandLine() async throws {
        let folder = try Self.scratchFolder("defence-client-cert")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0", "--admin-client-ca", "Certs/ca.pem"])
        let port = try await server.waitForPort()
        let issued = try Self.run(["certs", "client", "admin"], in: folder)
        #expect(issued.status == 0, "\(issued.err)")
        #expect(try Self.permissions(folder.appendingPathComponent("Certs/client-admin-key.pem").path) == 0o600)
        let common = ["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token"]
        let english = ["LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]

        let withCertificate = try Self.client(
            common + ["--client-cert", "Certs/client-admin.pem", "--client-key", "Certs/client-admin-key.pem", "whoami"], in: folder, environment: english
        )
        #expect(withCertificate.status == 0)
        #expect(withCertificate.out.contains("admin"), "\(withCertificate.out)")
        let without = try Self.client(common + ["whoami"], in: folder, environment: english)
        #expect(without.status != 0)
        let halfGiven = try Self.client(common + ["--client-cert", "Certs/client-admin.pem", "whoami"], in: folder, environment: english)
        #expect(halfGiven.status != 0)

        server.process.terminate()
        #expect(try await server.waitForExit() == 0)
    }

    @Test func adminSchedulesFromTheCommandLine() async throws {
        let folder = try Self.scratchFolder("defence-admin")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()
        let common = ["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "admin"]
        let english = ["LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        let day = DayImportTests.example.path

        let imported = try Self.client(common + ["import-day", day], in: folder, environment: english)
        #expect(imported.status == 0)
        #expect(imported.out == "OK DAY-IMPORT users=7 rooms=3\n")
        let again = try Self.client(common + ["import-day", day], in: folder, environment: english)
        #expect(again.status == 1)
        #expect(again.out.contains("2     ALREADY_EXISTS  user camille.martin already exists"), "\(again.out)")

        let created = try Self.client(common + [
            "create-room", "r9", "--kind", "individual", "--start", "2026-12-02T08:00:00Z", "--candidates", "malo.leroy",
            "--jurors", "camille.martin,paul.bernard", "--president", "paul.bernard", "--block", "A5", "--title", "Dossier Malo",
        ], in: folder, environment: english)
        #expect(created.status == 0, "\(created.out)")
        #expect(created.out.contains("OK ROOM-CREATE r9 1"))
        #expect(created.out.contains("visibility"))
        let listed = try Self.client(common + ["rooms", "--day", "2026-12-02"], in: folder, environment: english)
        #expect(listed.out.hasSuffix("OK ROOM-LIST 1\n"))
        #expect(listed.out.contains("r9    scheduled  individual  2026-12-02T08:00:00.000Z  2026-12-02T08:45:00.000Z"), "\(listed.out)")
        let users = try Self.client(common + ["users", "--role", "juror"], in: folder, environment: english)
        #expect(users.out.hasPrefix("user            role   state   email                       name\n"), "\(users.out)")
        #expect(users.out.contains("ines.roche      juror  active  ines.roche@example.org      Inès Roche"))
        // A token in JSON is found by name, never by position.
        let issued = try Self.client(common + ["issue-token", "lea.dupont", "--ttl", "3600", "--json"], in: folder, environment: english)
        let token = try JSONSerialization.jsonObject(with: Data(issued.out.utf8)) as? [[String: Any]]
        #expect((token?.first?["token"] as? String)?.hasPrefix("drt_") == true && token?.first?["user"] as? String == "lea.dupont", "\(issued.out)")
        #expect(token?.first?["expires"] is String && token?.first?["args"] == nil)
        let json = try Self.client(common + ["users", "--role", "candidate", "--json"], in: folder, environment: english)
        let decoded = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: String]]
        #expect(decoded?.count == 4)
        #expect(decoded?.first?["user"] == "hugo.petit" && decoded?.first?["type"] == "user")
        let audit = try Self.client(common + ["audit"], in: folder, environment: english)
        #expect(audit.status == 0 && audit.out.contains("OK AUDIT rooms=4"), "\(audit.out)")
        let board = try Self.client(common + ["watch", "--once", "--lang", "en", "--day", "2026-12-02"], in: folder, environment: english)
        #expect(board.out.contains("r9    scheduled  presentation  45:00  0/3"), "\(board.out)")
        let refused = try Self.client(common + [
            "create-room", "r10", "--kind", "team", "--start", "2026-12-02T08:20:00Z", "--candidates", "malo.leroy",
            "--jurors", "ines.roche,paul.bernard", "--president", "ines.roche", "--block", "A1",
        ], in: folder, environment: english)
        #expect(refused.status == 1)
        #expect(refused.out.hasPrefix("FAIL ROOM-CREATE DOUBLE_BOOKED"), "\(refused.out)")
        #expect(refused.out.contains("Refused (DOUBLE_BOOKED): someone is already in another room at that time"))
        // The same in French, the default without an English locale.
        let french = ["LANG": "fr_FR.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        let usersFR = try Self.client(common + ["users", "--role", "juror"], in: folder, environment: french)
        #expect(usersFR.out.hasPrefix("utilisateur     rôle   état    email"), "\(usersFR.out)")
        let refusedFR = try Self.client(common + [
            "create-room", "r10", "--kind", "team", "--start", "2026-12-02T08:20:00Z", "--candidates", "malo.leroy",
            "--jurors", "ines.roche,paul.bernard", "--president", "ines.roche", "--block", "A1",
        ], in: folder, environment: french)
        #expect(refusedFR.out.contains("Refusé (DOUBLE_BOOKED) : une personne est déjà dans une autre salle au même moment"))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func anAcknowledgedMarkSurvivesSIGKILLAndTheAuditSeesTampering() async throws {
        let folder = try Self.scratchFolder("defence-mark")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await first.waitForPort()
        let (admin, tls, tokens) = try await Self.adminWithParticipants(folder: folder, port: port)
        _ = try await admin.request(.roomCreate(
            room: "r1", kind: "team",
            options: ["start": "2026-12-01T08:00:00Z", "candidates": "lea", "jurors": "camille,paul", "president": "camille", "competences": "A1C1"],
            title: nil
        ))
        let juror = try await DefenceConnection.connect(host: "127.0.0.1", port: port, tls: tls)
        try await juror.authenticate(token: tokens["camille"]!)
        _ = try await juror.request(.join(room: "r1"))
        let ack = try await juror.request(.mark(room: "r1", candidate: "lea", criterion: "A1C1.3", mark: .partlyMet, comment: "outil cité, pas utilisé"))
        #expect(ack.terminal.parameters.first == "MARK")

        // The acknowledgement came after the commit: a hard kill right now loses nothing.
        kill(first.process.processIdentifier, SIGKILL)
        _ = try await first.waitForExit()
        let second = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port2 = try await second.waitForPort()
        let back = try await DefenceConnection.connect(host: "127.0.0.1", port: port2, tls: tls)
        try await back.authenticate(token: tokens["camille"]!)
        let progress = try await back.request(.progress(room: "r1"))
        #expect(progress.data.contains { $0.verb == "MARK" && $0.parameters == ["camille", "lea", "A1C1.3", "partly-met", "outil cité, pas utilisé"] })
        await back.close()

        // The admin exports results and the PV from the command line.
        let common = ["--server", "127.0.0.1:\(port2)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "admin"]
        let results = try Self.client(common + ["results", "--room", "r1", "--format", "csv"], in: folder)
        #expect(results.status == 0)
        #expect(results.out == "room,candidate,competence,decision,status,comment\nr1,lea,A1C1,-,provisional,\n")
        let pv = try Self.client(common + ["pv", "--room", "r1"], in: folder)
        #expect(pv.status == 0)
        let markdown = try String(contentsOf: folder.appendingPathComponent("pv-r1.md"), encoding: .utf8)
        #expect(markdown.contains("partiellement atteint — outil cité, pas utilisé"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("pv-r1.html").path))
        kill(second.process.processIdentifier, SIGTERM)
        #expect(try await second.waitForExit() == 0)

        // The audit: intact, then one stored event altered by hand.
        let intact = try Self.run(["audit", "verify"], in: folder)
        #expect(intact.status == 0)
        #expect(intact.out.hasPrefix("ok: 1 room,"))
        let database = try DefenceDatabase(path: folder.appendingPathComponent("data/defence.sqlite").path)
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE room_event SET payload = replace(payload, 'partly-met', 'met') WHERE type = 'mark'")
        }
        let broken = try Self.run(["audit", "verify", "--room", "r1"], in: folder)
        #expect(broken.status == 1)
        #expect(broken.out.contains("BROKEN room r1, event"), "\(broken.out)")
    }

    /// `audit verify` checks a printed PV later (`--at`), and never creates what it audits.
    @Test func theAuditChecksAPrintedPVAndRefusesWhatIsNotThere() async throws {
        let folder = try Self.scratchFolder("defence-audit")
        defer { try? FileManager.default.removeItem(at: folder) }
        let nothing = try Self.run(["audit", "verify"], in: folder)
        #expect(nothing.status == 2, "\(nothing.out) \(nothing.err)")
        #expect(nothing.err.contains("no database at data/defence.sqlite"), "\(nothing.err)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("data").path), "nothing created")

        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()
        let common = ["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "admin"]
        #expect(try Self.client(common + ["import-day", DayImportTests.example.path], in: folder).status == 0)
        let pv = try Self.client(common + ["pv", "--room", "mspr-a1-0900"], in: folder)
        #expect(pv.status == 0)
        let markdown = try String(contentsOf: folder.appendingPathComponent("pv-mspr-a1-0900.md"), encoding: .utf8)
        #expect(markdown.contains("defence-server audit verify --room mspr-a1-0900 --at 1"), "\(markdown)")
        let printed = try #require(markdown.firstMatch(of: /empreinte SHA-256 du dernier maillon : ([0-9a-f]{64})/)?.1)

        let checked = try Self.run(["audit", "verify", "--room", "mspr-a1-0900", "--at", "1"], in: folder)
        #expect(checked.status == 0, "\(checked.out) \(checked.err)")
        #expect(checked.out.hasSuffix("fingerprint of room mspr-a1-0900 at event 1: \(printed)\n"), "\(checked.out)")
        let unknown = try Self.run(["audit", "verify", "--room", "nope"], in: folder)
        #expect(unknown.status == 2 && unknown.err.contains("no room nope is stored"), "\(unknown.err)")
        let beyond = try Self.run(["audit", "verify", "--room", "mspr-a1-0900", "--at", "99"], in: folder)
        #expect(beyond.status == 2 && beyond.err.contains("room mspr-a1-0900 has no event 99"), "\(beyond.err)")

        // The certification officer's documents: a transcript and a PV in English, and an outcome, from the client.
        let certificationDay = DayImportTests.example.deletingLastPathComponent().appendingPathComponent("certification-day.csv").path
        #expect(try Self.client(common + ["import-day", certificationDay], in: folder).status == 0)
        let transcript = try Self.client(common + ["transcript", "nina.morel", "--lang", "en"], in: folder)
        #expect(transcript.status == 0 && transcript.out.hasSuffix("outcome=incomplete\n"), "\(transcript.out)")
        let relevé = try String(contentsOf: folder.appendingPathComponent("transcript-nina.morel.md"), encoding: .utf8)
        #expect(relevé.hasPrefix("# Transcript of competences") && relevé.contains("- Candidate: MOREL Nina Claire (nina.morel)"))
        #expect(try String(contentsOf: folder.appendingPathComponent("transcript-nina.morel.html"), encoding: .utf8).contains("<html lang=\"en\">"))
        #expect(try Self.client(common + ["transcript", "lea.dupont"], in: folder).status == 1, "a candidate without a track has no transcript")
        let english = try Self.client(common + ["pv", "--room", "finale-nina-1400", "--lang", "en", "--output", "pv-en"], in: folder)
        #expect(english.status == 0)
        #expect(try String(contentsOf: folder.appendingPathComponent("pv-en.md"), encoding: .utf8).hasPrefix("# Defence report (procès-verbal)"))
        #expect(try Self.client(common + ["pv", "--room", "finale-nina-1400", "--lang", "de"], in: folder).status != 0)
        let outcomes = try Self.client(common + ["outcomes", "--track", "dev", "--format", "json"], in: folder)
        let decoded = try JSONSerialization.jsonObject(with: Data(outcomes.out.utf8)) as? [[String: Any]]
        #expect(decoded?.first?["needed"] as? Int == 5, "counts are numbers: \(outcomes.out)")
        let spaced = try Self.client(common + ["create-user", "x.y", "--role", "candidate", "--number", "20 26", "--name", "X"], in: folder)
        #expect(spaced.status != 0 && !spaced.out.contains("FAIL"), "refused by the client with why, before anything is sent: \(spaced.out)")
        let outcome = try Self.client(Array(common.dropLast()) + ["outcome", "nina.morel", "--format", "csv"], in: folder)
        #expect(outcome.status == 0 && outcome.out.contains("\ncertification,dev,incomplete,,,0/5 (5)\n"), "\(outcome.out)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    /// A day file saved by a spreadsheet (CRLF, byte order mark) imports; a file with a faulty line imports
    /// nothing and runs nothing; a file that is not a day file is refused before anything is sent.
    @Test func importDayTakesSpreadsheetFilesAndNeverRunsALine() async throws {
        let folder = try Self.scratchFolder("defence-import")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()
        let common = ["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "admin"]
        let english = ["LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]
        let lines = try String(contentsOf: DayImportTests.example, encoding: .utf8).split(separator: "\n").map(String.init)

        // One faulty line (a command, as a careless export could hold), CRLF: nothing is imported, nothing runs.
        let injected = lines.prefix(3) + ["USER-CREATE csv.injected admin :x", "TOKEN-ISSUE admin"] + lines.dropFirst(3)
        try Data((injected.joined(separator: "\r\n") + "\r\n").utf8).write(to: folder.appendingPathComponent("bad.csv"))
        let refused = try Self.client(common + ["import-day", "bad.csv"], in: folder, environment: english)
        #expect(refused.status == 1, "\(refused.out)")
        #expect(refused.out.contains("4     BAD_ARGUMENTS"), "\(refused.out)")
        let users = try Self.client(common + ["users"], in: folder, environment: english)
        #expect(!users.out.contains("csv.injected") && !users.out.contains("camille.martin"), "\(users.out)")
        let tokens = try Self.client(common + ["tokens"], in: folder, environment: english)
        #expect(tokens.out.hasSuffix("OK TOKEN-LIST 1\n"), "only the bootstrap token: \(tokens.out)")

        // The same day as Excel saves it on Windows.
        try (Data([0xEF, 0xBB, 0xBF]) + Data((lines.joined(separator: "\r\n") + "\r\n").utf8)).write(to: folder.appendingPathComponent("excel.csv"))
        let imported = try Self.client(common + ["import-day", "excel.csv"], in: folder, environment: english)
        #expect(imported.status == 0)
        #expect(imported.out == "OK DAY-IMPORT users=7 rooms=3\n", "\(imported.out)")

        // Not a day file: refused by the client, with why.
        try Data("USER-CREATE x admin :x\n".utf8).write(to: folder.appendingPathComponent("commands.csv"))
        let notADay = try Self.run(client: common + ["import-day", "commands.csv"], in: folder, environment: english)
        #expect(notADay.status != 0)
        #expect(notADay.err.contains("commands.csv is not a day file: the first line must be the header"), "\(notADay.err)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func loginStoresAProfileThatEveryCommandUses() async throws {
        let folder = try Self.scratchFolder("defence-login")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()
        let config = folder.appendingPathComponent("config").path
        let environment = ["XDG_CONFIG_HOME": config, "DEFENCE_TOKEN": "", "LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]

        let login = try Self.client(["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "login"], in: folder, environment: environment)
        #expect(login.status == 0)
        #expect(login.out.contains("Administrator (admin, admin) — profile saved to \(config)/defence/profile.json"), "\(login.out)")
        let profile = config + "/defence/profile.json"
        #expect(try Self.permissions(profile) == 0o600)
        #expect(try Self.permissions(config + "/defence") == 0o700)
        // No flag at all: the profile supplies server, CA and token.
        let whoami = try Self.client(["whoami"], in: folder, environment: environment)
        #expect(whoami.status == 0 && whoami.out.contains("OK WHOAMI admin admin :Administrator"), "\(whoami.out)")

        // A pinned certificate instead of a CA; a wrong pin is refused.
        let pin = try ClientTLS.fingerprint(pemFile: folder.appendingPathComponent("Certs/server.pem").path)
        let pinned = try Self.client(["--server", "127.0.0.1:\(port)", "--pin", pin, "--token-file", "data/admin.token", "whoami"], in: folder, environment: environment)
        #expect(pinned.status == 0 && pinned.out.contains("OK WHOAMI admin"))
        let wrong = try Self.client(["--server", "127.0.0.1:\(port)", "--pin", String(repeating: "a", count: 64), "--token-file", "data/admin.token", "whoami"], in: folder, environment: environment)
        #expect(wrong.status != 0)

        // --post-quantum is remembered by the profile (the hybrid then comes first; this server, without
        // --post-quantum, still agrees on X25519).
        #expect(!(try String(contentsOfFile: profile, encoding: .utf8).contains("postQuantum")))
        let hybrid = try Self.client(["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "--post-quantum", "login"], in: folder, environment: environment)
        #expect(hybrid.status == 0, "\(hybrid.out)")
        #expect(try String(contentsOfFile: profile, encoding: .utf8).contains("\"postQuantum\" : true"))
        let again = try Self.client(["whoami"], in: folder, environment: environment)
        #expect(again.status == 0 && again.out.contains("OK WHOAMI admin"), "\(again.out)")
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    /// The first things a newcomer gets wrong are told as sentences in their language, with what to do.
    @Test func clientErrorsAreSentences() throws {
        let folder = try Self.scratchFolder("defence-errors")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("not a certificate\n".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        func stderr(_ arguments: [String], _ language: String) throws -> (status: Int32, err: String) {
            let result = try Self.run(client: arguments, in: folder, environment: ["LANG": language, "LC_ALL": "", "LC_MESSAGES": ""])
            return (result.status, result.err)
        }
        let missing = try stderr(["--ca", "nowhere.pem", "--token", "x", "whoami"], "fr_FR.UTF-8")
        #expect(missing.status == 1 && missing.err.hasPrefix("Erreur : --ca nowhere.pem : ce fichier n’existe pas"), "\(missing.err)")
        let notPEM = try stderr(["--ca", "notes.txt", "--token", "x", "whoami"], "en_GB.UTF-8")
        #expect(notPEM.status == 1 && notPEM.err == "Error: --ca notes.txt is not a PEM certificate (-----BEGIN CERTIFICATE-----).\n", "\(notPEM.err)")
        let refused = try stderr(["--server", "127.0.0.1:1", "--pin", String(repeating: "a", count: 64), "--token", "x", "whoami"], "en_GB.UTF-8")
        #expect(refused.status == 1 && refused.err.hasPrefix("Error: cannot reach a server at 127.0.0.1:1. Check --server"), "\(refused.err)")
        #expect(!refused.err.contains("Error: connection reset"), "the sentence comes first")
    }

    /// `defence admin watch` picks up a room created while it runs.
    @Test func theBoardShowsARoomCreatedWhileItRuns() async throws {
        let folder = try Self.scratchFolder("defence-watch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()
        let common = ["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "admin"]
        #expect(try Self.client(common + ["import-day", DayImportTests.example.path], in: folder).status == 0)
        // Everyone knows where and when to be: a whole day for the staff, one's own rooms for a juror.
        let day = try Self.client(common + ["rooms", "--day", "2026-12-01", "--ics"], in: folder)
        #expect(day.status == 0 && day.out.hasPrefix("BEGIN:VCALENDAR\r\n") && day.out.components(separatedBy: "BEGIN:VEVENT").count == 4, "\(day.out)")
        let issued = try Self.client(common + ["issue-token", "ines.roche", "--json"], in: folder)
        let secret = try #require((try JSONSerialization.jsonObject(with: Data(issued.out.utf8)) as? [[String: Any]])?.first?["token"] as? String)
        let agenda = try Self.client(["--server", "127.0.0.1:\(port)", "--ca", "Certs/ca.pem", "--token", secret, "agenda", "--lang", "en"], in: folder, environment: ["LANG": "en_GB.UTF-8", "LC_ALL": ""])
        #expect(agenda.status == 0 && agenda.out.contains("dossier-zoe-1000") && agenda.out.contains("jury president") && !agenda.out.contains("mspr-a1-0900"), "\(agenda.out)")
        let watch = Process()
        watch.executableURL = try Self.product("defence")
        watch.arguments = common + ["watch", "--lang", "en"]
        watch.currentDirectoryURL = folder
        let output = folder.appendingPathComponent("board.txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        watch.standardOutput = try FileHandle(forWritingTo: output)
        watch.standardError = FileHandle.nullDevice
        try watch.run()
        defer { if watch.isRunning { watch.terminate() } }
        func board() -> String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        let deadline = ContinuousClock.now + .seconds(60)
        while !board().contains("mspr-a1-0900"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(board().contains("mspr-a1-0900"), "the board is up")
        #expect(!board().contains("late-room"))
        let created = try Self.client(common + [
            "create-room", "late-room", "--kind", "individual", "--start", "2026-12-01T15:00:00Z", "--candidates", "zoe.garnier",
            "--jurors", "ines.roche,paul.bernard", "--president", "ines.roche", "--specialisation", "etudes-developpement",
        ], in: folder)
        #expect(created.status == 0, "\(created.out)")
        while !board().contains("late-room"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(board().contains("late-room"), "the new room shows without restarting the board")
        watch.terminate()
        watch.waitUntilExit()
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func anOnlineBackupIsConsistent() async throws {
        let folder = try Self.scratchFolder("defence-backup")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        _ = try await server.waitForPort()
        let common = ["--server", "127.0.0.1:\(try await server.waitForPort())", "--ca", "Certs/ca.pem", "--token-file", "data/admin.token", "admin"]
        #expect(try Self.client(common + ["import-day", DayImportTests.example.path], in: folder).status == 0)

        // While the server runs.
        let backup = try Self.run(["backup", "copy.sqlite"], in: folder)
        #expect(backup.status == 0, "\(backup.err)")
        #expect(backup.out.contains("backup written to copy.sqlite: 8 users, 3 rooms, 3 room events; integrity ok"), "\(backup.out)")
        let copy = try DefenceDatabase(path: folder.appendingPathComponent("copy.sqlite").path)
        #expect(try await AccountStore(database: copy).user("zoe.garnier")?.displayName == "Zoé Garnier, dite \"Zo\"")
        #expect(try await RoomStore(database: copy).verifyChains().breaks.isEmpty)
        // Never over an existing file.
        let again = try Self.run(["backup", "copy.sqlite"], in: folder)
        #expect(again.status != 0 && again.err.contains("already exists"))
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func theBenchLosesNoEventAcrossARestart() async throws {
        // Not a timing test: the bench's own integrity counters at a tiny scale.
        let process = Process()
        process.executableURL = try Self.product("defence-bench")
        process.arguments = ["--rooms", "4", "--duration", "3", "--mark-interval", "1", "--restart", "--json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        #expect(report["connections"] as? Int == 24)
        #expect(report["resumed"] as? Int == 24)
        #expect(report["gaps"] as? Int == 0)
        #expect(report["duplicates"] as? Int == 0)
        #expect((report["marks"] as? Int ?? 0) > 0)
    }

    @Test func sighupReloadsTheCertificateWithoutDroppingSessions() async throws {
        let folder = try Self.scratchFolder("defence-hup")
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(folder: folder, arguments: ["--port", "0"])
        let port = try await server.waitForPort()
        let certs = folder.appendingPathComponent("Certs").path
        let adminToken = try String(contentsOfFile: folder.appendingPathComponent("data/admin.token").path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let oldPin = try ClientTLS.fingerprint(pemFile: certs + "/server.pem")
        let session = try await DefenceConnection.connect(host: "127.0.0.1", port: port, tls: ClientTLS.configuration(caFile: certs + "/ca.pem"))
        try await session.authenticate(token: adminToken)

        // A renewed certificate from the same CA, then SIGHUP.
        try FileManager.default.removeItem(atPath: certs + "/server.pem")
        try FileManager.default.removeItem(atPath: certs + "/server-key.pem")
        try DevelopmentCertificates.ensure(in: certs)
        let newPin = try ClientTLS.fingerprint(pemFile: certs + "/server.pem")
        #expect(newPin != oldPin)
        kill(server.process.processIdentifier, SIGHUP)

        func presents(_ pin: String) async -> Bool {
            guard let connection = try? await DefenceConnection.connect(host: "127.0.0.1", port: port, tls: ClientTLS.configuration(caFile: nil), pin: pin) else { return false }
            await connection.close()
            return true
        }
        var reloaded = false
        for _ in 0..<100 where !reloaded {
            reloaded = await presents(newPin)
            if !reloaded { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(reloaded, "new connections get the renewed certificate")
        #expect(!(await presents(oldPin)))
        // The session opened before the reload goes on.
        #expect(try await session.request(.whoami).terminal.parameters.prefix(2) == ["WHOAMI", "admin"])
        await session.close()
        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
