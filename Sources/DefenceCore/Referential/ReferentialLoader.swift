import DefenceProtocol
import Foundation

/// A referential that passed validation, with the hash that identifies its exact content.
public struct LoadedReferential: Hashable, Sendable {
    /// The content.
    public let referential: Referential
    /// SHA-256 of the file's bytes, lower-case hex: the version rooms keep.
    public let hash: String
    /// The file's bytes, as stored.
    public let data: Data
}

/// One fault of a referential file: which entry, and what is wrong with it.
public struct ReferentialIssue: Hashable, Sendable, CustomStringConvertible {
    /// The entry concerned: a code (`A1C3`, `A1C3.2`, `A2T1`), `epreuve 2`, `specialisation x`, or `file`.
    public var entry: String
    /// What is wrong.
    public var problem: String

    /// Creates an issue.
    public init(_ entry: String, _ problem: String) {
        self.entry = entry
        self.problem = problem
    }

    public var description: String { "\(entry): \(problem)" }
}

/// A referential file was refused; every fault found is listed.
public struct ReferentialError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The faults, in file order.
    public var issues: [ReferentialIssue]

    public var description: String {
        "referential refused (\(issues.count) problem\(issues.count == 1 ? "" : "s")):\n"
            + issues.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Decodes and validates referential files.
public enum ReferentialLoader {
    /// The format this version reads.
    public static let format = "defence-referential/1"

    /// The referential shipped with Defence Rooms: RNCP *Expert en informatique et système d'information*.
    /// - Throws: ``ReferentialError`` if the bundled file is faulty (a test guards against it).
    public static func bundled() throws -> LoadedReferential {
        guard let url = Bundle.module.url(forResource: "referential", withExtension: "json"),
            let data = try? Data(contentsOf: url)
        else {
            throw ReferentialError(issues: [ReferentialIssue("file", "the bundled referential.json is missing")])
        }
        return try load(data)
    }

    /// Decodes and validates a referential file.
    /// - Throws: ``ReferentialError`` listing every fault: JSON syntax, missing fields, or rule violations.
    public static func load(_ data: Data) throws(ReferentialError) -> LoadedReferential {
        let referential: Referential
        do {
            referential = try JSONDecoder().decode(Referential.self, from: data)
        } catch let error as DecodingError {
            throw ReferentialError(issues: [ReferentialIssue("file", describe(error))])
        } catch {
            throw ReferentialError(issues: [ReferentialIssue("file", "not a referential: \(error)")])
        }
        let issues = validate(referential)
        guard issues.isEmpty else { throw ReferentialError(issues: issues) }
        let hash = SHA256Hex.of(data)
        return LoadedReferential(referential: referential, hash: hash, data: data)
    }

    /// Checks every rule; returns the faults found (empty when the referential is sound).
    public static func validate(_ referential: Referential) -> [ReferentialIssue] {
        var issues: [ReferentialIssue] = []
        func check(_ condition: Bool, _ entry: String, _ problem: @autoclosure () -> String) {
            if !condition { issues.append(ReferentialIssue(entry, problem())) }
        }
        func checkText(_ text: String?, _ entry: String, _ what: String) {
            guard let text else { return }
            check(!text.trimmingCharacters(in: .whitespaces).isEmpty, entry, "\(what) is empty")
            check(!text.unicodeScalars.contains(where: LineParser.isControl), entry, "\(what) contains a control character")
            check(text == text.trimmingCharacters(in: .whitespaces), entry, "\(what) has leading or trailing spaces")
        }

        check(referential.format == format, "file", "format is '\(referential.format)', expected '\(format)'")
        check(isIdentifier(referential.id), "file", "id '\(referential.id)' must be 1 to 64 of A-Z a-z 0-9 . _ -")
        checkText(referential.title, "file", "title")

        var epreuveNumbers: Set<Int> = []
        for epreuve in referential.epreuves {
            let entry = "epreuve \(epreuve.number)"
            check(epreuveNumbers.insert(epreuve.number).inserted, entry, "épreuve number is used twice")
            check(Referential.Epreuve.kinds.contains(epreuve.kind), entry, "unknown kind '\(epreuve.kind)'; kinds are dossier, mspr")
            checkText(epreuve.title, entry, "title")
            check(epreuve.oralMinutes > 0, entry, "oralMinutes must be positive")
            check(epreuve.minCandidates >= 1 && epreuve.minCandidates <= epreuve.maxCandidates, entry,
                  "candidates must satisfy 1 ≤ minCandidates ≤ maxCandidates")
            check(epreuve.jurySize >= 1, entry, "jurySize must be positive")
        }
        check(!referential.epreuves.isEmpty, "file", "no épreuve")

        var codes: Set<String> = []
        var taskBlock: [String: String] = [:]
        var subtaskTask: [String: String] = [:]
        for block in referential.blocks {
            check(isIdentifier(block.code), block.code, "block code must be 1 to 64 of A-Z a-z 0-9 . _ -")
            check(codes.insert(block.code).inserted, block.code, "code is used twice")
            checkText(block.title, block.code, "title")
            for task in block.tasks {
                check(codes.insert(task.code).inserted, task.code, "code is used twice")
                check(isIdentifier(task.code), task.code, "task code must be 1 to 64 of A-Z a-z 0-9 . _ -")
                checkText(task.title, task.code, "title")
                taskBlock[task.code] = block.code
                for subtask in task.subtasks {
                    check(codes.insert(subtask.code).inserted, subtask.code, "code is used twice")
                    check(isIdentifier(subtask.code), subtask.code, "sub-task code must be 1 to 64 of A-Z a-z 0-9 . _ -")
                    checkText(subtask.title, subtask.code, "title")
                    subtaskTask[subtask.code] = task.code
                }
            }
        }
        check(!referential.blocks.isEmpty, "file", "no block")

        var criterionIDs: Set<String> = []
        for competence in referential.competences {
            let entry = competence.code
            check(isIdentifier(competence.code), entry, "competence code must be 1 to 64 of A-Z a-z 0-9 . _ -")
            check(codes.insert(competence.code).inserted, entry, "code is used twice")
            checkText(competence.title, entry, "title")
            check(referential.block(competence.block) != nil, entry, "block '\(competence.block)' does not exist")
            if let owner = taskBlock[competence.task] {
                check(owner == competence.block, entry, "task '\(competence.task)' belongs to block \(owner), not \(competence.block)")
            } else {
                issues.append(ReferentialIssue(entry, "task '\(competence.task)' does not exist"))
            }
            if let subtask = competence.subtask {
                if let owner = subtaskTask[subtask] {
                    check(owner == competence.task, entry, "sub-task '\(subtask)' belongs to task \(owner), not \(competence.task)")
                } else {
                    issues.append(ReferentialIssue(entry, "sub-task '\(subtask)' does not exist"))
                }
            }
            check(epreuveNumbers.contains(competence.epreuve), entry,
                  "épreuve \(competence.epreuve) is unknown; known: \(epreuveNumbers.sorted().map(String.init).joined(separator: ", "))")
            if let hours = competence.preparationHours { check(hours > 0, entry, "preparationHours must be positive") }
            check(!competence.criteriaGroups.isEmpty, entry, "has no criteria")
            for (index, group) in competence.criteriaGroups.enumerated() {
                checkText(group.leadIn, entry, "lead-in of criteria group \(index + 1)")
                check(!group.criteria.isEmpty, entry, "criteria group \(index + 1) has no criterion")
                for criterion in group.criteria {
                    check(criterionIDs.insert(criterion.id).inserted, criterion.id, "criterion id is used twice")
                    check(isIdentifier(criterion.id), criterion.id, "criterion id must be 1 to 64 of A-Z a-z 0-9 . _ -")
                    checkText(criterion.text, criterion.id, "criterion text")
                }
            }
        }
        check(!referential.competences.isEmpty, "file", "no competence")

        var specialisationIDs: Set<String> = []
        var trackIDs: Set<String> = []
        for specialisation in referential.specialisations {
            let entry = "specialisation \(specialisation.id)"
            check(specialisationIDs.insert(specialisation.id).inserted, entry, "id is used twice")
            check(isIdentifier(specialisation.trackID), entry, "track must be 1 to 64 of A-Z a-z 0-9 . _ -")
            check(trackIDs.insert(specialisation.trackID).inserted, entry, "track \(specialisation.trackID) is used twice")
            checkText(specialisation.title, entry, "title")
            check(!specialisation.option.isEmpty, entry, "option has no block")
            for block in specialisation.blocks {
                check(referential.block(block) != nil, entry, "block '\(block)' does not exist")
            }
        }
        if let rule = referential.outcomeRule {
            for (name, threshold) in [("competencesPerBlock", rule.competencesPerBlock), ("blocksPerTrack", rule.blocksPerTrack)] {
                if case .atLeast(let number) = threshold { check(number >= 1, "outcomeRule", "\(name) must be \"all\" or at least 1") }
            }
        }
        return issues
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, text.unicodeScalars.count <= 64 else { return false }
        func alnum(_ s: Unicode.Scalar) -> Bool { s.isASCII && (s.properties.isAlphabetic || ("0"..."9").contains(s)) }
        return alnum(first) && text.unicodeScalars.allSatisfy { alnum($0) || "._-".unicodeScalars.contains($0) }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let components = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }
            return components.isEmpty ? "top level" : String(components.joined().drop(while: { $0 == "." }))
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(key.stringValue)' at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "not valid JSON at \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
