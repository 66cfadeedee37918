import DefenceCore
import Foundation
import Testing

@Suite struct ReferentialLoaderTests {
    /// The bundled referential as a mutable JSON object.
    func bundledJSON() throws -> [String: Any] {
        let data = try ReferentialLoader.bundled().data
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func issues(after change: (inout [String: Any]) throws -> Void) throws -> [ReferentialIssue] {
        var json = try bundledJSON()
        try change(&json)
        let data = try JSONSerialization.data(withJSONObject: json)
        do {
            _ = try ReferentialLoader.load(data)
            return []
        } catch {
            return error.issues
        }
    }

    /// Edits competence `index` of the JSON.
    func editCompetence(_ json: inout [String: Any], _ index: Int, _ edit: (inout [String: Any]) -> Void) {
        var competences = json["competences"] as! [[String: Any]]
        edit(&competences[index])
        json["competences"] = competences
    }

    @Test func duplicateCompetenceCode() throws {
        let found = try issues { json in editCompetence(&json, 1) { $0["code"] = "A1C1" } }
        #expect(found.contains(ReferentialIssue("A1C1", "code is used twice")))
    }

    @Test func unknownBlockTaskAndSubtask() throws {
        let found = try issues { json in
            editCompetence(&json, 0) { $0["block"] = "A9" }
            editCompetence(&json, 1) { $0["task"] = "A2T1" }
            editCompetence(&json, 2) { $0["subtask"] = "A1T9S9" }
        }
        #expect(found.contains(ReferentialIssue("A1C1", "block 'A9' does not exist")))
        #expect(found.contains(ReferentialIssue("A1C2", "task 'A2T1' belongs to block A2, not A1")))
        #expect(found.contains(ReferentialIssue("A1C3", "sub-task 'A1T9S9' does not exist")))
    }

    @Test func unknownEpreuve() throws {
        let found = try issues { json in editCompetence(&json, 3) { $0["epreuve"] = 3 } }
        #expect(found == [ReferentialIssue("A1C4", "épreuve 3 is unknown; known: 1, 2")])
    }

    @Test func emptyTitleAndCriteria() throws {
        let found = try issues { json in
            editCompetence(&json, 4) { $0["title"] = " " }
            editCompetence(&json, 5) { $0["criteriaGroups"] = [[String: Any]]() }
            editCompetence(&json, 6) { competence in
                var groups = competence["criteriaGroups"] as! [[String: Any]]
                groups[0]["criteria"] = [[String: Any]]()
                competence["criteriaGroups"] = groups
            }
        }
        #expect(found.contains(ReferentialIssue("A1C5", "title is empty")))
        #expect(found.contains(ReferentialIssue("A1C6", "has no criteria")))
        #expect(found.contains(ReferentialIssue("A1C7", "criteria group 1 has no criterion")))
    }

    @Test func duplicateCriterionIDAndControlCharacter() throws {
        let found = try issues { json in
            editCompetence(&json, 0) { competence in
                var groups = competence["criteriaGroups"] as! [[String: Any]]
                var criteria = groups[0]["criteria"] as! [[String: Any]]
                criteria[1]["id"] = criteria[0]["id"]
                criteria[2]["text"] = "Il utilise\tun outil"
                groups[0]["criteria"] = criteria
                competence["criteriaGroups"] = groups
            }
        }
        #expect(found.contains(ReferentialIssue("A1C1.1", "criterion id is used twice")))
        #expect(found.contains(ReferentialIssue("A1C1.3", "criterion text contains a control character")))
    }

    @Test func epreuvesAndSpecialisationsAreChecked() throws {
        let found = try issues { json in
            var epreuves = json["epreuves"] as! [[String: Any]]
            epreuves[1]["kind"] = "quiz"
            epreuves[1]["maxCandidates"] = 0
            json["epreuves"] = epreuves
            var specialisations = json["specialisations"] as! [[String: Any]]
            specialisations[0]["option"] = ["A8"]
            json["specialisations"] = specialisations
        }
        #expect(found.contains(ReferentialIssue("epreuve 2", "unknown kind 'quiz'; kinds are dossier, mspr")))
        #expect(found.contains(ReferentialIssue("epreuve 2", "candidates must satisfy 1 ≤ minCandidates ≤ maxCandidates")))
        #expect(found.contains(ReferentialIssue("specialisation etudes-developpement", "block 'A8' does not exist")))
    }

    @Test func everyFaultIsReportedAtOnce() throws {
        let found = try issues { json in
            json["format"] = "something/2"
            editCompetence(&json, 0) { $0["epreuve"] = 7 }
            editCompetence(&json, 46) { $0["block"] = "B1" }
        }
        #expect(found.count >= 4)
        #expect(found.first == ReferentialIssue("file", "format is 'something/2', expected 'defence-referential/1'"))
    }

    @Test func malformedJSONNamesThePlace() {
        #expect(throws: ReferentialError.self) { try ReferentialLoader.load(Data("{ not json".utf8)) }
        do {
            _ = try ReferentialLoader.load(Data(#"{"format":"defence-referential/1","id":"x","title":"T","source":"s","epreuves":[],"specialisations":[],"blocks":[{"code":"A1","tasks":[]}],"competences":[]}"#.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.issues == [ReferentialIssue("file", "missing field 'title' at blocks[0]")])
        }
    }

    @Test func hashIdentifiesTheExactContent() throws {
        let bundled = try ReferentialLoader.bundled()
        #expect(try ReferentialLoader.load(bundled.data).hash == bundled.hash)
        var json = try bundledJSON()
        json["source"] = "another edition"
        let changed = try ReferentialLoader.load(try JSONSerialization.data(withJSONObject: json))
        #expect(changed.hash != bundled.hash)
    }
}
