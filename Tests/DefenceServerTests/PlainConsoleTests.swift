import DefenceClient
import DefenceCore
import DefenceProtocol
import Foundation
import Testing

/// The `defence room --plain` console, driven through its standard input like a script or a screen reader would.
final class PlainConsole {
    let process = Process()
    let input = Pipe()
    let outputURL: URL

    init(server: TestServer, token: String, room: String, language: String) throws {
        outputURL = URL(fileURLWithPath: server.folder).appendingPathComponent("console-\(UUID().uuidString).txt")  // removed with the server's folder
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        process.executableURL = try ProcessTests.product("defence")
        process.arguments = ["--server", "127.0.0.1:\(server.port)", "--ca", server.caPath, "--token", token, "room", room, "--plain", "--lang", language]
        process.standardInput = input
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }

    func type(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func waitFor(_ text: String, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while !output.contains(text) {
            guard ContinuousClock.now < deadline else {
                throw ProcessTests.ProcessTestError("the console did not print '\(text)'; it printed:\n\(output)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Closes standard input; the console leaves the room and exits.
    func finish() async throws -> Int32 {
        try input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning {
            guard ContinuousClock.now < deadline else { process.terminate(); throw ProcessTests.ProcessTestError("the console did not exit") }
            try await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationStatus
    }
}

@Suite(.serialized) struct PlainConsoleTests {
    @Test func aWholeDefenceInPlainMode() async throws {
        try await withServer { server in
            let leaToken = try await server.makeUser("lea", role: .candidate)
            let jurors = try await server.makeUsers(["camille", "paul"], role: .juror)
            let admin = try await RoomClient.connect(server, name: "admin", token: server.adminToken)
            try await admin.ok("ROOM-CREATE r1 team start=2026-12-01T08:00:00Z candidates=lea jurors=camille,paul president=camille competences=A1C1")

            let juror = try PlainConsole(server: server, token: jurors[0], room: "r1", language: "fr")
            try await juror.waitFor("camille est arrivé·e (jury).")
            let candidate = try PlainConsole(server: server, token: leaToken, room: "r1", language: "en")
            try await candidate.waitFor("Room r1: open, phase presentation, time left 30:00.")
            try await juror.waitFor("lea est arrivé·e (candidat·e).")

            juror.type("start")
            try await candidate.waitFor("The clock starts (camille).")
            try await juror.waitFor("Le chrono démarre (camille).")
            juror.type("say Bienvenue, vous pouvez commencer")
            try await candidate.waitFor("camille: Bienvenue, vous pouvez commencer")
            juror.type("jury note privée pour Paul")
            try await juror.waitFor("camille au jury : note privée pour Paul")
            candidate.type("hand")
            try await juror.waitFor("lea lève la main.")
            candidate.type("pause")
            try await candidate.waitFor("Refused (FORBIDDEN)")
            juror.type("+120 démarrage tardif")
            try await candidate.waitFor("Time changed by +120 s (camille): démarrage tardif")
            juror.type("time")
            try await juror.waitFor("Temps restant : 3")

            for index in 1...5 { juror.type("mark lea A1C1.\(index) met") }
            juror.type("propose lea A1C1 acquis")
            try await juror.waitFor("camille propose lea A1C1 : acquis.")
            juror.type("deliberate")
            try await candidate.waitFor("The jury is deliberating.")
            juror.type("decide lea A1C1 acquis veille solide")
            juror.type("sign")
            try await juror.waitFor("camille a signé.")
            let paul = try await RoomClient.connect(server, name: "paul", token: jurors[1])
            try await paul.ok("SIGN r1")
            try await juror.waitFor("Résultat signé et verrouillé.")
            juror.type("mark lea A1C1.1 not-met")
            try await juror.waitFor("Refusé (LOCKED)")
            juror.type("dance")
            try await juror.waitFor("Commande inconnue « dance »")

            // Each had a line refused (PAUSE by a candidate, a mark on a locked room, an unknown word): exit status 1.
            #expect(try await candidate.finish() == 1)
            #expect(try await juror.finish() == 1)
            #expect(juror.output.contains("Au moins une commande a été refusée"))
            // Every line taken: exit status 0.
            let reader = try PlainConsole(server: server, token: jurors[1], room: "r1", language: "en")
            try await reader.waitFor("Room r1:")
            reader.type("time")
            try await reader.waitFor("OK")
            #expect(try await reader.finish() == 0)
            // The candidate's console never showed anything reserved to the jury.
            for secret in ["note privée", "mark", "propose", "Decision", "signed", "lea raises"] {
                #expect(!candidate.output.contains(secret), "the candidate saw '\(secret)'")
            }
            await paul.close()
            await admin.close()
        }
    }
}
