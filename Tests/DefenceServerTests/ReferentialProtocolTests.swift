import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import DefenceStore
import Foundation
import Testing

@Suite struct ReferentialProtocolTests {
    func request(_ connection: DefenceConnection, _ command: Command) async throws -> Reply {
        try await connection.request(command)
    }

    func failure(_ connection: DefenceConnection, _ command: Command) async -> (code: String, line: String)? {
        do {
            _ = try await connection.request(command)
            return nil
        } catch ClientError.failed(let code, _, let line) {
            return (code, line)
        } catch {
            return ("?", "\(error)")
        }
    }

    func session(_ server: TestServer, role: Role) async throws -> DefenceConnection {
        let token = role == .admin ? server.adminToken : try await server.makeUser("u-\(role.rawValue)", role: role)
        let connection = try await DefenceConnection.connect(host: "127.0.0.1", port: server.port, tls: server.tls)
        try await connection.authenticate(token: token)
        return connection
    }

    @Test func everyRoleReadsTheActiveReferential() async throws {
        try await withServer { server in
            let bundled = try ReferentialLoader.bundled()
            for role in Role.allCases {
                let connection = try await session(server, role: role)
                let reply = try await request(connection, .referential(ref: nil))
                #expect(reply.terminal.withoutTags
                    == "OK REFERENTIAL \(bundled.hash) rncp-expert-informatique-si blocks=7 competences=47 criteria=176 :Expert en informatique et système d’information")
                await connection.close()
            }
        }
    }

    @Test func blocksWithTasksAndSubtasks() async throws {
        try await withServer { server in
            let connection = try await session(server, role: .juror)
            let reply = try await request(connection, .blockList(ref: nil))
            let blocks = reply.data.filter { $0.verb == "BLOCK" }
            #expect(blocks.map { $0.parameters.first } == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"])
            #expect(blocks.map { $0.parameters.dropLast() } == [["A1", "7"], ["A2", "8"], ["A3", "8"], ["A4", "9"], ["A5", "8"], ["A6", "5"], ["A7", "2"]])
            #expect(blocks[0].withoutTags == "BLOCK A1 7 :Analyse et définition de la stratégie des systèmes d’information")
            #expect(reply.data.contains { $0.withoutTags == "SUBTASK A1T2S1 A1T2 :Recueil du besoin S.I." })
            #expect(reply.data.filter { $0.verb == "TASK" }.count == 15)
            #expect(reply.terminal.parameters == ["BLOCK-LIST", String(reply.data.count)])
            await connection.close()
        }
    }

    @Test func competencesFilteredByBlockAndEpreuve() async throws {
        try await withServer { server in
            let connection = try await session(server, role: .candidate)
            #expect(try await request(connection, .competenceList(block: nil, epreuve: nil, ref: nil)).data.count == 47)
            let a1 = try await request(connection, .competenceList(block: "A1", epreuve: nil, ref: nil))
            #expect(a1.data.map { $0.parameters.first } == ["A1C1", "A1C2", "A1C3", "A1C4", "A1C5", "A1C6", "A1C7"])
            #expect(a1.data[2].parameters.dropLast() == ["A1C3", "A1", "2", "implied", "criteria=6"])
            let oral = try await request(connection, .competenceList(block: "A1", epreuve: 1, ref: nil))
            #expect(oral.data.map { $0.parameters.first } == ["A1C4", "A1C5"])
            #expect(oral.terminal.parameters == ["COMPETENCE-LIST", "2"])
            let dossier = try await request(connection, .competenceList(block: nil, epreuve: 1, ref: nil))
            #expect(dossier.data.count == 15)
            #expect(await failure(connection, .competenceList(block: "A9", epreuve: nil, ref: nil))?.code == "NOT_FOUND")
            #expect(await failure(connection, .competenceList(block: nil, epreuve: 3, ref: nil))?.code == "NOT_FOUND")
            await connection.close()
        }
    }

    @Test func oneCompetenceWithItsCriteria() async throws {
        try await withServer { server in
            let connection = try await session(server, role: .juror)
            let reply = try await request(connection, .competenceShow(code: "A1C2", ref: nil))
            #expect(reply.data.map(\.withoutTags) == [
                "COMPETENCE A1C2 A1 2 stated task=A1T2 subtask=A1T2S1 hours=30 criteria=3 :Collecter les besoins des directions métiers de l’entreprise afin de bâtir le projet de développement du SI dans le respect des besoins et attentes des directions métiers et de vérifier son alignement stratégique",
                "CRITERIA 1 :Le candidat est en capacité de présenter ses éléments de préparation à la collecte des besoins en détaillant :",
                "CRITERION A1C2.1 1 :l’interview-type à mener avec le questionnaire à utiliser en précisant la méthodologie de retranscription (tableau, graphique,…)",
                "CRITERIA 2 :le candidat formalise le questionnaire avec les éléments suivants :",
                "CRITERION A1C2.2 2 :Résultats attendus par le client en termes de fonctionnalités (gestion client, lien avec le crm, gestion de la mobilité, possibilité d’accès centralisé…)",
                "CRITERION A1C2.3 2 :Contraintes métiers à prendre en compte",
            ])
            #expect(reply.terminal.parameters == ["COMPETENCE-SHOW", "A1C2", "3"])
            let missing = await failure(connection, .competenceShow(code: "A8C1", ref: nil))
            #expect(missing?.line == "@id=c3 FAIL COMPETENCE-SHOW NOT_FOUND A8C1 :no competence A8C1")
            await connection.close()
        }
    }

    @Test func olderVersionsStayReadableAfterAnImport() async throws {
        try await withServer { server in
            let bundled = try ReferentialLoader.bundled()
            var json = try #require(try JSONSerialization.jsonObject(with: bundled.data) as? [String: Any])
            var competences = json["competences"] as! [[String: Any]]
            competences[0]["title"] = "Titre modifié"
            json["competences"] = competences
            let edition2 = try ReferentialLoader.load(try JSONSerialization.data(withJSONObject: json))
            try await ReferentialStore(database: server.database).importReferential(edition2, now: Date())

            let connection = try await session(server, role: .admin)
            #expect(try await request(connection, .referential(ref: nil)).terminal.okArguments?.first == edition2.hash)
            let now = try await request(connection, .competenceShow(code: "A1C1", ref: nil))
            #expect(now.data[0].parameters.last == "Titre modifié")
            let before = try await request(connection, .competenceShow(code: "A1C1", ref: String(bundled.hash.prefix(12))))
            #expect(before.data[0].parameters.last?.hasPrefix("Mettre en place un dispositif de veille") == true)
            #expect(await failure(connection, .competenceShow(code: "A1C1", ref: "abc"))?.code == "INVALID")
            #expect(await failure(connection, .blockList(ref: "0123456789abcdef"))?.code == "NOT_FOUND")
            await connection.close()
        }
    }

    @Test func badArguments() async throws {
        try await withServer { server in
            let connection = try await server.connect(token: server.adminToken)
            for line in ["COMPETENCE-SHOW", "COMPETENCE-LIST epreuve=two", "COMPETENCE-LIST block", "BLOCK-LIST A1", "REFERENTIAL now"] {
                try await connection.send("@id=x \(line)")
                #expect(try await connection.nextLine().contains(" BAD_ARGUMENTS "), "\(line)")
            }
            await connection.close()
        }
    }
}

extension Message {
    /// The line without its tags, for comparisons that ignore request ids.
    var withoutTags: String {
        var copy = self
        copy.tags = []
        return copy.serialized
    }
}
