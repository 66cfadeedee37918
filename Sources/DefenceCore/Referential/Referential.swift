import Foundation

/// A certification's referential: its blocks, competences, evaluation criteria and épreuves.
///
/// The value is what a JSON referential file holds (format `defence-referential/1`). Load one with
/// ``ReferentialLoader``, which validates it; rooms keep the ``LoadedReferential/hash`` of the version
/// they were created with.
public struct Referential: Codable, Hashable, Sendable {
    /// The file format, `defence-referential/1`.
    public var format: String
    /// A stable identifier of the certification, e.g. `rncp-expert-informatique-si`.
    public var id: String
    /// The certification's title.
    public var title: String
    /// Where the text comes from.
    public var source: String
    /// The épreuves (assessment modalities) competences are assessed through.
    public var epreuves: [Epreuve]
    /// The closing assessment (final report and individual defence), when the referential has one.
    public var finalAssessment: FinalAssessment?
    /// The specialisations: core blocks plus an option.
    public var specialisations: [Specialisation]
    /// The activity blocks with their tasks and sub-tasks.
    public var blocks: [Block]
    /// Every competence with its criteria.
    public var competences: [Competence]
    /// How blocks are validated and the certification awarded; the standard rule when the file gives none.
    public var outcomeRule: OutcomeRule?

    /// The rule outcomes follow (``OutcomeRule/standard`` when the file gives none).
    public var rule: OutcomeRule { outcomeRule ?? .standard }

    /// How many of something are needed: all of them, or at least a number. JSON: `"all"` or a positive integer.
    public enum Threshold: Codable, Hashable, Sendable {
        /// Every one.
        case all
        /// At least this many (never more than there are).
        case atLeast(Int)

        /// How many of `count` are needed.
        public func needed(of count: Int) -> Int {
            switch self {
            case .all: count
            case .atLeast(let number): min(number, count)
            }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let number = try? container.decode(Int.self) {
                self = .atLeast(number)
            } else if try container.decode(String.self) == "all" {
                self = .all
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "a threshold is \"all\" or a positive integer")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .all: try container.encode("all")
            case .atLeast(let number): try container.encode(number)
            }
        }
    }

    /// How signed decisions become validated blocks and an awarded certification (PROTOCOL.md §12.5): a block is
    /// validated when enough of its competences are acquis; the certification is awarded when enough blocks of the
    /// candidate's track are validated.
    public struct OutcomeRule: Codable, Hashable, Sendable {
        /// How many of a block's competences must be acquis.
        public var competencesPerBlock: Threshold
        /// How many of the track's blocks must be validated.
        public var blocksPerTrack: Threshold

        /// Creates a rule.
        public init(competencesPerBlock: Threshold, blocksPerTrack: Threshold) {
            self.competencesPerBlock = competencesPerBlock
            self.blocksPerTrack = blocksPerTrack
        }

        /// Every competence of a block, every block of the track.
        public static let standard = OutcomeRule(competencesPerBlock: .all, blocksPerTrack: .all)
    }

    /// An assessment modality.
    public struct Epreuve: Codable, Hashable, Sendable {
        /// Its number in the referential (1, 2).
        public var number: Int
        /// `dossier` (individual report and defence) or `mspr` (team professional situation).
        public var kind: String
        /// Its title.
        public var title: String
        /// What the candidates do.
        public var description: String
        /// Length of the oral defence, in minutes.
        public var oralMinutes: Int
        /// Fewest candidates in one defence.
        public var minCandidates: Int
        /// Most candidates in one defence.
        public var maxCandidates: Int
        /// Jurors in a room.
        public var jurySize: Int
        /// Why the jury size is what it is, when the referential does not say.
        public var juryNote: String?
        /// Length of the individual written test, in minutes, if any.
        public var writtenTestMinutes: Int?
        /// The preparation times the referential gives, in hours.
        public var preparationHours: [Int]?

        /// The known kinds.
        public static let kinds: Set<String> = ["dossier", "mspr"]
    }

    /// The closing assessment.
    public struct FinalAssessment: Codable, Hashable, Sendable {
        /// Its title.
        public var title: String
        /// The referential's description.
        public var description: String
        /// Length of the oral defence, in minutes.
        public var oralMinutes: Int
        /// The report's expected length.
        public var reportPages: String?
        /// Who assesses.
        public var jury: String?
    }

    /// A specialisation: the core blocks and the option's blocks.
    public struct Specialisation: Codable, Hashable, Sendable {
        /// A stable identifier, e.g. `etudes-developpement`.
        public var id: String
        /// The short name a candidate's track goes by, e.g. `dev` (the id when the file gives none).
        public var track: String?

        /// The track's short name.
        public var trackID: String { track ?? id }
        /// Its title.
        public var title: String
        /// The core blocks, common to every specialisation.
        public var core: [String]
        /// The option's blocks.
        public var option: [String]

        /// Every block of the specialisation, core first.
        public var blocks: [String] { core + option }
    }

    /// An activity block (A1 … A7).
    public struct Block: Codable, Hashable, Sendable {
        /// Its code, e.g. `A1`.
        public var code: String
        /// Its title.
        public var title: String
        /// Its tasks.
        public var tasks: [Task]
    }

    /// A task of a block (A1T2).
    public struct Task: Codable, Hashable, Sendable {
        /// Its code, e.g. `A1T2`.
        public var code: String
        /// Its title.
        public var title: String
        /// Its sub-tasks, possibly none.
        public var subtasks: [Subtask]
    }

    /// A sub-task (A1T2S1).
    public struct Subtask: Codable, Hashable, Sendable {
        /// Its code, e.g. `A1T2S1`.
        public var code: String
        /// Its title.
        public var title: String
    }

    /// A competence and the criteria that evidence it.
    public struct Competence: Codable, Hashable, Sendable {
        /// Its code, e.g. `A1C1`.
        public var code: String
        /// The code of its block.
        public var block: String
        /// The code of its task.
        public var task: String
        /// The code of its sub-task, when it has one.
        public var subtask: String?
        /// Its full title, verbatim.
        public var title: String
        /// The number of the épreuve it is assessed through.
        public var epreuve: Int
        /// Whether the épreuve is written on the competence's own row (`true`) or only implied by the merged
        /// cell above it in the same block (`false`).
        public var epreuveStated: Bool
        /// Preparation hours given by its épreuve cell, if any.
        public var preparationHours: Int?
        /// Its criteria, grouped under the lead-in sentences that introduce them.
        public var criteriaGroups: [CriteriaGroup]

        /// Every criterion, in order.
        public var criteria: [Criterion] { criteriaGroups.flatMap(\.criteria) }
    }

    /// Criteria introduced by one lead-in sentence ("Le candidat est en capacité de … :").
    public struct CriteriaGroup: Codable, Hashable, Sendable {
        /// The lead-in, verbatim; absent for criteria that stand alone.
        public var leadIn: String?
        /// The criteria, one per bullet, verbatim.
        public var criteria: [Criterion]
    }

    /// One evaluation criterion: what a juror ticks.
    public struct Criterion: Codable, Hashable, Sendable {
        /// Its identifier, `<competence>.<n>`, e.g. `A1C1.3`.
        public var id: String
        /// Its text, verbatim.
        public var text: String
    }

    /// The specialisation a track names, by its short name or its id.
    public func specialisation(track: String) -> Specialisation? {
        specialisations.first { $0.trackID == track } ?? specialisations.first { $0.id == track }
    }

    /// The competence with this code.
    public func competence(_ code: String) -> Competence? {
        competences.first { $0.code == code }
    }

    /// The épreuve with this number.
    public func epreuve(_ number: Int) -> Epreuve? {
        epreuves.first { $0.number == number }
    }

    /// The block with this code.
    public func block(_ code: String) -> Block? {
        blocks.first { $0.code == code }
    }

    /// Competences, in referential order, optionally of one block and one épreuve.
    public func competences(block: String? = nil, epreuve: Int? = nil) -> [Competence] {
        competences.filter { competence in
            (block == nil || competence.block == block) && (epreuve == nil || competence.epreuve == epreuve)
        }
    }

    /// The number of criteria of the whole referential.
    public var criteriaCount: Int { competences.reduce(0) { $0 + $1.criteria.count } }
}
